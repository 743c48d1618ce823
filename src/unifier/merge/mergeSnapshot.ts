import { ALL_FIELDS, type Field } from '../../contract.js';
import type { MergePlan } from './mergePlan.js';

/** A row as `to_jsonb` gave it: timestamps keep their microseconds as text, for an exact snapshot. */
export type JsonRow = Record<string, unknown>;

export interface SnapshotInput {
  keepId: number;
  keptAddressId: number | null;
  dropped: JsonRow;
  droppedAddress: JsonRow | undefined;
  provenance: readonly JsonRow[];
  /** The customers' last seen (custsync.customer_state), by id; absent when it had no state row. */
  activity: ReadonlyMap<number, JsonRow>;
  plan: MergePlan;
  movedLogIds: number[];
  movedAliases: string[];
}

/**
 * The `merge` row's old_value (format 1), everything a reversal by hand
 * needs: the dropped customer's rows as they were (to re-insert them with
 * jsonb_populate_record), which audit rows and aliases moved, and what the
 * kept customer had before in the fields and provenance the merge changed.
 * `dropped.last_seen` (its activity) came later within format 1: a script
 * reading it must accept its absence.
 * The reversal script in docs/dedup-and-merge.md reads these keys: change
 * them only with a new format number and a script for it.
 */
export function mergeSnapshot(input: SnapshotInput): JsonRow {
  const dropId = input.dropped.id;
  const provenanceFields: Field[] = ALL_FIELDS.filter((f) => input.plan.provenanceFromDropped.includes(f) || input.plan.provenanceCleared.includes(f));
  return {
    format: 1,
    kept_id: input.keepId,
    dropped: {
      customer: input.dropped,
      address: input.droppedAddress ?? null,
      provenance: input.provenance.filter((p) => p.customer_id === dropId),
      aliases: input.movedAliases,
      log_ids: input.movedLogIds,
      last_seen: input.activity.get(Number(dropId)) ?? null,
    },
    kept_before: {
      values: Object.fromEntries(input.plan.fields.filter((f) => input.plan.changed.includes(f.field)).map((f) => [f.field, f.before])),
      address_id: input.keptAddressId,
      provenance_fields: provenanceFields,
      provenance: input.provenance.filter((p) => p.customer_id === input.keepId && provenanceFields.includes(p.field as Field)),
    },
  };
}
