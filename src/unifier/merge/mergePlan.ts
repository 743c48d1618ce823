import { ADDRESS_FIELDS, ALL_FIELDS, type Field } from '../../contract.js';
import type { PriorityRules } from '../priorities.js';
import { decide, heldPriority, type Candidate, type Decision, type FieldValues, type Provenance } from '../survivorship.js';

/** One of the two customers of a merge, as survivorship sees it. */
export interface MergeSide {
  id: number;
  values: FieldValues;
  provenance: Partial<Record<Field, Provenance>>;
}

/**
 * What happened to a field the dropped customer had a value for:
 * - `filled`: the kept customer had none and takes the dropped one;
 * - `replaced`: the dropped value held a higher priority (or the same, newer);
 * - `kept`: the kept value holds; the dropped one is discarded (it stays in the merge snapshot);
 * - `same`: both had this value; the kept customer's provenance stays;
 * - `confirmed`: both had this value; the dropped customer's stronger provenance takes over.
 */
export type FieldOutcome = 'filled' | 'replaced' | 'kept' | 'same' | 'confirmed';

export interface FieldMerge {
  field: Field;
  before: string | null;
  dropped: string;
  after: string | null;
  outcome: FieldOutcome;
}

export interface MergePlan {
  /** The kept customer's values after the merge. */
  values: FieldValues;
  /** One entry per field the dropped customer had a value for, in field order. */
  fields: FieldMerge[];
  /** Fields whose value changes (one audit row each). */
  changed: Field[];
  /** Fields whose provenance row is copied from the dropped customer. */
  provenanceFromDropped: Field[];
  /** Fields that take a dropped value nobody claimed: the kept customer's provenance row goes. */
  provenanceCleared: Field[];
  addressChanged: boolean;
}

/**
 * Phone and document are pairs (normalization keeps or drops them together):
 * the number decides for both, so a merged area code never belongs to the
 * other customer's number.
 */
const PAIR_LEAD: Partial<Record<Field, Field>> = { phone_local_code: 'phone_number', document_type: 'document_number' };

function isBlank(value: string | null | undefined): value is null | undefined {
  return value === null || value === undefined || value.trim() === '';
}

function outcomeOf(decision: Decision, before: string | null, dropped: string): FieldOutcome {
  if (decision === 'keep') return before === dropped ? 'same' : 'kept';
  if (decision === 'confirm' || before === dropped) return 'confirmed';
  return isBlank(before) ? 'filled' : 'replaced';
}

/**
 * Folds the dropped customer's values into the kept one under the
 * survivorship rules: each dropped value competes with the priority its own
 * setter holds (`heldPriority`: current config, operator priority for hand
 * edits, lowest for values nobody claimed) and its event time, exactly as if
 * its setter's record arrived now. Pure.
 */
export function planMerge(keep: MergeSide, drop: MergeSide, rules: PriorityRules): MergePlan {
  const decisions = new Map<Field, Decision>();
  const ownDecision = (field: Field): Decision | undefined => {
    const value = drop.values[field];
    if (isBlank(value)) return undefined;
    const provenance = drop.provenance[field];
    const candidate: Candidate = {
      value,
      platform: provenance?.platform ?? '',
      priority: heldPriority(field, provenance, rules),
      eventTime: provenance?.eventTime ?? new Date(0),
    };
    return decide(field, keep.values[field], keep.provenance[field], candidate, rules);
  };
  for (const field of ALL_FIELDS) {
    const lead = PAIR_LEAD[field];
    const leadDecision = lead === undefined ? undefined : ownDecision(lead);
    const value = drop.values[field];
    if (isBlank(value)) continue;
    if (leadDecision === undefined) {
      const own = ownDecision(field);
      if (own !== undefined) decisions.set(field, own);
    } else {
      decisions.set(field, leadDecision === 'keep' ? 'keep' : value === keep.values[field] ? 'confirm' : 'set');
    }
  }

  const plan: MergePlan = { values: { ...keep.values }, fields: [], changed: [], provenanceFromDropped: [], provenanceCleared: [], addressChanged: false };
  for (const field of ALL_FIELDS) {
    const decision = decisions.get(field);
    const dropped = drop.values[field];
    if (decision === undefined || isBlank(dropped)) continue;
    const before = keep.values[field];
    const outcome = outcomeOf(decision, before, dropped);
    if (decision !== 'keep') {
      plan.values[field] = dropped;
      if (drop.provenance[field]) plan.provenanceFromDropped.push(field);
      if (before !== dropped) {
        if (!drop.provenance[field]) plan.provenanceCleared.push(field);
        plan.changed.push(field);
      }
    }
    plan.fields.push({ field, before, dropped, after: plan.values[field], outcome });
  }
  plan.addressChanged = plan.changed.some((f) => (ADDRESS_FIELDS as readonly Field[]).includes(f));
  return plan;
}
