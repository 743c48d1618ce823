import { ALL_FIELDS, type Field } from './fields.js';
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

export function emptyValues(): FieldValues {
  return Object.fromEntries(ALL_FIELDS.map((f) => [f, null])) as FieldValues;
}

function isEmpty(value: string | null | undefined): boolean {
  return value === null || value === undefined || value.trim() === '';
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
  /** One entry per field per record that changed it, in application order. */
  audit: AuditEntry[];
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
 * one would. `created` adds the creation's audit row for the email (the
 * initial values are audited as changes from NULL like any other).
 */
export function foldRecords(
  start: CustomerState,
  records: readonly NormalizedRecord[],
  rules: PriorityRules,
  created = false,
): FoldResult {
  const state: CustomerState = { email: start.email, values: { ...start.values }, provenance: { ...start.provenance } };
  const audit: AuditEntry[] = [];
  const changed = new Set<Field>();
  const provenanceChanged = new Set<Field>();
  records.forEach((record, index) => {
    const { changedBy, reason } = auditSource(record);
    if (created && index === 0) audit.push({ sequence: index, field: 'email', oldValue: null, newValue: state.email, changedBy, reason });
    for (const field of ALL_FIELDS) {
      const value = record.values[field];
      if (value === undefined) continue;
      const candidate: Candidate = {
        value,
        platform: record.platform,
        priority: candidatePriority(record.platform, field, rules),
        eventTime: record.eventTime,
      };
      const current = state.values[field];
      const decision = decide(field, current, state.provenance[field], candidate, rules);
      if (decision === 'keep') continue;
      state.provenance[field] = {
        platform: record.platform,
        priority: candidate.priority,
        eventTime: record.eventTime,
        eventId: record.eventId,
      };
      provenanceChanged.add(field);
      if (decision === 'set') {
        audit.push({ sequence: index, field, oldValue: current, newValue: value, changedBy, reason });
        state.values[field] = value;
      }
    }
  });
  for (const field of ALL_FIELDS) {
    if (state.values[field] !== start.values[field]) changed.add(field);
  }
  return { state, changed, provenanceChanged, audit };
}
