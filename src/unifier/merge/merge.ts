import type pg from 'pg';
import { UserError } from '../../runtime/errors.js';
import { ADDRESS_FIELDS, CUSTOMER_FIELDS, isField, type Field } from '../../contract.js';
import { operatorPlatform, type PriorityRules } from '../priorities.js';
import { emptyValues, type Provenance } from '../survivorship.js';
import { planMerge, type FieldMerge, type MergePlan, type MergeSide } from './mergePlan.js';
import { mergeSnapshot, type JsonRow } from './mergeSnapshot.js';
import * as SQL from './sql.js';
import { inTransaction } from '../../runtime/transaction.js';

export interface MergeRequest {
  keepId: number;
  dropId: number;
  operator: string;
  reason: string;
  /** Do everything, report it, and roll back. */
  dryRun?: boolean;
}

export interface MergeResult {
  keepId: number;
  dropId: number;
  /** The `merge` audit row on the kept customer; its old_value is the snapshot that allows reversing. Null on a dry run. */
  mergeLogId: number | null;
  fields: FieldMerge[];
  /** Audit rows written for fields that changed (besides the `merge` row). */
  changedFields: number;
  /** The dropped customer's audit rows, now on the kept customer. */
  movedLogs: number;
  /** Aliases that pointed at the dropped customer and now point at the kept one. */
  movedAliases: string[];
  /** The dropped email, now an alias of the kept customer (null when it had none). */
  alias: string | null;
  committed: boolean;
}

/** A merge that must not happen (same id, unknown id, pseudonymized customer): exit 2, nothing written. */
export class MergeRefusedError extends UserError {
  constructor(message: string) {
    super('CUSTSYNC_USAGE', message);
    this.name = 'MergeRefusedError';
  }
}

/** The seed's pseudonymization writes `deleted_<md5(email)>@anonymous.com`. */
export function isPseudonymizedEmail(email: string | null): boolean {
  return email !== null && /^deleted_[\s\S]*@anonymous\.com$/.test(email);
}

function text(row: JsonRow | undefined, key: string): string | null {
  const value = row?.[key];
  return typeof value === 'string' ? value : null;
}

function addressIdOf(row: JsonRow): number | null {
  return typeof row.address_id === 'number' ? row.address_id : null;
}

function sideOf(id: number, customer: JsonRow, address: JsonRow | undefined, provenanceRows: readonly JsonRow[]): MergeSide {
  const values = emptyValues();
  for (const field of CUSTOMER_FIELDS) values[field] = text(customer, field);
  for (const field of ADDRESS_FIELDS) values[field] = text(address, field);
  const provenance: Partial<Record<Field, Provenance>> = {};
  for (const row of provenanceRows) {
    const field = text(row, 'field');
    if (row.customer_id !== id || field === null || !isField(field)) continue;
    provenance[field] = {
      platform: text(row, 'platform') ?? '',
      priority: typeof row.priority === 'number' ? row.priority : null,
      eventTime: new Date(text(row, 'event_time') ?? 0),
      eventId: text(row, 'event_id'),
    };
  }
  return { id, values, provenance };
}

/** The kept customer's provenance rows after the merge: its own, but the fields the dropped customer gives or clears. */
function keptProvenanceAfter(rows: readonly JsonRow[], plan: MergePlan, keepId: number, dropId: number): JsonRow[] {
  const replaced = new Set<string>([...plan.provenanceFromDropped, ...plan.provenanceCleared]);
  const taken = new Set<string>(plan.provenanceFromDropped);
  return [
    ...rows.filter((r) => r.customer_id === keepId && !replaced.has(String(r.field))),
    ...rows.filter((r) => r.customer_id === dropId && taken.has(String(r.field))),
  ];
}

/**
 * Merges customer `dropId` into `keepId` in one transaction (see
 * docs/dedup-and-merge.md): folds the dropped values under the survivorship
 * rules, moves the dropped customer's audit rows, provenance of the values it
 * gives, activity (the later last seen) and aliases, adds its email as an alias, deletes it (and its address
 * unless shared), and audits each changed field plus one `merge` row whose
 * old_value is a JSON snapshot of everything needed to reverse the merge by hand.
 */
export async function mergeCustomers(pool: pg.Pool, rules: PriorityRules, request: MergeRequest): Promise<MergeResult> {
  if (request.keepId === request.dropId) throw new MergeRefusedError(`--keep and --drop are the same customer (${request.keepId})`);
  const result = await inTransaction(pool, { begin: SQL.BEGIN_AS_MERGE, rollback: request.dryRun === true }, (client) =>
    mergeInTransaction(client, rules, request),
  );
  return request.dryRun ? { ...result, mergeLogId: null, committed: false } : { ...result, committed: true };
}

async function mergeInTransaction(client: pg.PoolClient, rules: PriorityRules, request: MergeRequest): Promise<Omit<MergeResult, 'committed'>> {
  const { keepId, dropId } = request;
  const locked = await client.query<{ id: number; row: JsonRow }>(SQL.LOCK_CUSTOMERS, [[keepId, dropId]]);
  const customer = (id: number): JsonRow => {
    const row = locked.rows.find((r) => r.id === id)?.row;
    if (!row) throw new MergeRefusedError(`no customer with id ${id}`);
    if (isPseudonymizedEmail(text(row, 'email'))) throw new MergeRefusedError(`customer ${id} is pseudonymized; it cannot be merged`);
    return row;
  };
  const kept = customer(keepId);
  const dropped = customer(dropId);
  const keptAddressId = addressIdOf(kept);
  const droppedAddressId = addressIdOf(dropped);
  const addressIds = [...new Set([keptAddressId, droppedAddressId].filter((id): id is number => id !== null))];
  const addresses = new Map(
    addressIds.length === 0 ? [] : (await client.query<{ id: number; row: JsonRow }>(SQL.LOCK_ADDRESSES, [addressIds])).rows.map((r) => [r.id, r.row]),
  );
  const provenance = (await client.query<{ row: JsonRow }>(SQL.SELECT_PROVENANCE, [[keepId, dropId]])).rows.map((r) => r.row);
  const activity = new Map((await client.query<{ customer_id: number; row: JsonRow }>(SQL.SELECT_ACTIVITY, [[keepId, dropId]])).rows.map((r) => [r.customer_id, r.row]));
  const keptAddress = keptAddressId === null ? undefined : addresses.get(keptAddressId);
  const droppedAddress = droppedAddressId === null ? undefined : addresses.get(droppedAddressId);
  const plan = planMerge(sideOf(keepId, kept, keptAddress, provenance), sideOf(dropId, dropped, droppedAddress, provenance), rules);

  const changedBy = operatorPlatform(request.operator);
  const reason = `merge of customer ${dropId}: ${request.reason}`;
  const movedLogIds = (await client.query<{ id: number }>(SQL.MOVE_LOGS, [keepId, dropId])).rows.map((r) => r.id).sort((a, b) => a - b);
  const movedAliases = (await client.query<{ email: string }>(SQL.MOVE_ALIASES, [keepId, dropId])).rows.map((r) => r.email).sort();
  await client.query(SQL.WRITE_KEPT_STATE, [keepId, JSON.stringify(keptProvenanceAfter(provenance, plan, keepId, dropId)), dropId]);

  let addressId = keptAddressId;
  if (plan.addressChanged) {
    const values = ADDRESS_FIELDS.map((f) => plan.values[f]);
    if (addressId === null) addressId = (await client.query<{ id: number }>(SQL.INSERT_ADDRESS, values)).rows[0]?.id ?? null;
    else await client.query(SQL.UPDATE_ADDRESS, [addressId, ...values]);
  }
  await client.query(SQL.UPDATE_KEPT_CUSTOMER, [keepId, ...CUSTOMER_FIELDS.map((f) => plan.values[f]), addressId]);
  if (plan.changed.length > 0) {
    const before = plan.fields.filter((f) => plan.changed.includes(f.field));
    await client.query(SQL.INSERT_LOGS, [
      before.map(() => keepId),
      before.map((f) => f.field),
      before.map((f) => f.before),
      before.map((f) => f.after),
      before.map(() => changedBy),
      before.map(() => reason),
    ]);
  }

  await client.query(SQL.DELETE_CUSTOMER, [dropId]);
  if (droppedAddressId !== null && droppedAddressId !== addressId) await client.query(SQL.DELETE_ORPHAN_ADDRESS, [droppedAddressId]);
  const droppedEmail = text(dropped, 'email');
  const alias = droppedEmail === null || droppedEmail.trim() === '' ? null : droppedEmail.trim().toLowerCase();
  if (alias !== null) await client.query(SQL.ADD_ALIAS, [alias, keepId, reason]);

  const snapshot = mergeSnapshot({ keepId, keptAddressId, dropped, droppedAddress, provenance, activity, plan, movedLogIds, movedAliases });
  const logged = await client.query<{ id: number }>(SQL.INSERT_LOGS, [[keepId], ['merge'], [JSON.stringify(snapshot)], [String(keepId)], [changedBy], [reason]]);
  return {
    keepId,
    dropId,
    mergeLogId: logged.rows[0]?.id ?? null,
    fields: plan.fields,
    changedFields: plan.changed.length,
    movedLogs: movedLogIds.length,
    movedAliases,
    alias,
  };
}
