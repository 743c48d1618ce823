import { ALL_FIELDS, type Field } from '../contract.js';
import type { NormalizedRecord } from './normalize/index.js';
import type { PriorityRules } from './priorities.js';

/** Who set a field's current value. `priority: null` marks a hand edit in SQL. */
export interface Provenance {
  platform: string;
  priority: number | null;
  eventTime: Date;
  eventId: string | null;
}

export type FieldValues = Record<Field, string | null>;

/** A customer as survivorship sees it: current values and who set them. */
export interface CustomerState {
  email: string;
  values: FieldValues;
  provenance: Partial<Record<Field, Provenance>>;
}

export interface AuditEntry {
  /** Index, in the records folded, of the record that made this change. */
  sequence: number;
  field: Field | 'email';
  oldValue: string | null;
  newValue: string | null;
  changedBy: string;
  reason: string | null;
}

export type Decision = 'set' | 'confirm' | 'keep';

export interface Candidate {
  value: string;
  platform: string;
  priority: number;
  eventTime: Date;
}

const EMPTY_VALUES = Object.freeze(Object.fromEntries(ALL_FIELDS.map((f) => [f, null])) as FieldValues);

/** Every field null. A copy of one template: this runs for every customer of every batch. */
export function emptyValues(): FieldValues {
  return { ...EMPTY_VALUES };
}

/** What String.prototype.trim removes; a value starting with anything else is not blank. */
function isTrimmable(code: number): boolean {
  return (
    (code >= 0x09 && code <= 0x0d) || code === 0x20 || code === 0xa0 || code === 0x1680 || (code >= 0x2000 && code <= 0x200a) ||
    code === 0x2028 || code === 0x2029 || code === 0x202f || code === 0x205f || code === 0x3000 || code === 0xfeff
  );
}

/** null, undefined, "" or whitespace only. Called twice per field per record: no trimmed copy unless it may be blank. */
function isEmpty(value: string | null | undefined): boolean {
  if (value === null || value === undefined || value.length === 0) return true;
  return isTrimmable(value.charCodeAt(0)) && value.trim() === '';
}

/**
 * The priority a current value holds: its setter's priority under the current
 * config (so operators re-ranking platforms takes effect on values already
 * stored), the recorded one for a platform no longer configured, the operator
 * priority for hand edits, and below every source for a value nobody claimed
 * (rows that predate custsync).
 */
export function heldPriority(field: Field, provenance: Provenance | undefined, rules: PriorityRules): number {
  if (!provenance) return Number.NEGATIVE_INFINITY;
  if (provenance.priority === null) return rules.operatorPriority;
  return rules.priorityOf(provenance.platform, field) ?? provenance.priority;
}

/** Priority of an incoming value; an unconfigured platform ranks 0. */
export function candidatePriority(platform: string, field: Field, rules: PriorityRules): number {
  return rules.priorityOf(platform, field) ?? 0;
}

/**
 * One field, one incoming value:
 * - an empty incoming value never overwrites (`keep`);
 * - an empty current value is filled by anyone (`set`);
 * - otherwise the incoming source must rank higher, or equal with a strictly
 *   newer event time, so a late older event cannot undo a newer one;
 * - a winning source bringing the value already there only takes over the
 *   provenance (`confirm`): nothing changes, nothing is audited.
 */
export function decide(
  field: Field,
  currentValue: string | null,
  currentProvenance: Provenance | undefined,
  candidate: Candidate,
  rules: PriorityRules,
): Decision {
  if (isEmpty(candidate.value)) return 'keep';
  if (isEmpty(currentValue)) return 'set';
  const held = heldPriority(field, currentProvenance, rules);
  const wins =
    candidate.priority > held ||
    (candidate.priority === held &&
      currentProvenance !== undefined &&
      candidate.eventTime.getTime() > currentProvenance.eventTime.getTime());
  if (!wins) return 'keep';
  return candidate.value === currentValue ? 'confirm' : 'set';
}

export interface FoldResult {
  state: CustomerState;
  /** Fields whose value differs from the starting state. */
  changed: Set<Field>;
  /** Fields whose provenance differs from the starting state. */
  provenanceChanged: Set<Field>;
  /** One entry per field per record that changed it, in application order (see FoldOptions for a creation). */
  audit: AuditEntry[];
  /** The newest event time among the records folded, and its platform: every applied record is a sign of life. */
  lastSeen: { at: Date; platform: string } | null;
}

export interface FoldOptions {
  /** The first record creates the customer: it is audited as one row for the email (old NULL), as the seed's update trigger implies. */
  created?: boolean;
  /**
   * Also audit each initial value of a creation as a change from NULL
   * (`audit.logInitialValues`). Off by default: who supplied each initial
   * value is in the provenance.
   */
  logInitialValues?: boolean;
}

/** The `changed_by` and `reason` of a record's audit rows. */
export function auditSource(record: Pick<NormalizedRecord, 'platform' | 'position'>): { changedBy: string; reason: string | null } {
  return {
    changedBy: record.platform,
    reason: record.position.kind === 'operator' ? record.position.reason : null,
  };
}

/**
 * Applies records to one customer, in order, exactly as applying them one by
 * one would. A creation (`options.created`) audits the email; later records
 * audit each value they change, one row per field.
 */
export function foldRecords(start: CustomerState, records: readonly NormalizedRecord[], rules: PriorityRules, options: FoldOptions = {}): FoldResult {
  const state: CustomerState = { email: start.email, values: { ...start.values }, provenance: { ...start.provenance } };
  const audit: AuditEntry[] = [];
  const changed = new Set<Field>();
  const provenanceChanged = new Set<Field>();
  let lastSeen: FoldResult['lastSeen'] = null;
  for (let index = 0; index < records.length; index += 1) {
    const record = records[index] as NormalizedRecord;
    const { changedBy, reason } = auditSource(record);
    const creating = options.created === true && index === 0;
    if (creating) audit.push({ sequence: index, field: 'email', oldValue: null, newValue: state.email, changedBy, reason });
    const auditValues = !creating || options.logInitialValues === true;
    const time = record.eventTime.getTime();
    if (!lastSeen || time > lastSeen.at.getTime()) lastSeen = { at: record.eventTime, platform: record.platform };
    // One provenance object per record and priority, shared by the fields it sets (the stored form keeps each source once).
    let setBy: Provenance | undefined;
    for (const field of ALL_FIELDS) {
      const value = record.values[field];
      if (value === undefined) continue;
      const candidate: Candidate = { value, platform: record.platform, priority: candidatePriority(record.platform, field, rules), eventTime: record.eventTime };
      const current = state.values[field];
      const decision = decide(field, current, state.provenance[field], candidate, rules);
      if (decision === 'keep') continue;
      if (setBy?.priority !== candidate.priority) {
        setBy = { platform: record.platform, priority: candidate.priority, eventTime: record.eventTime, eventId: record.eventId };
      }
      state.provenance[field] = setBy;
      provenanceChanged.add(field);
      if (decision === 'set') {
        if (auditValues) audit.push({ sequence: index, field, oldValue: current, newValue: value, changedBy, reason });
        state.values[field] = value;
      }
    }
  }
  for (const field of ALL_FIELDS) {
    if (state.values[field] !== start.values[field]) changed.add(field);
  }
  return { state, changed, provenanceChanged, audit, lastSeen };
}
