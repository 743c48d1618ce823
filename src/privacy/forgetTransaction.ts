import type { PoolClient } from 'pg';
import { emailHash } from '../unifier/emailHash.js';
import {
  CLEARED_ADDRESS_FIELDS,
  CLEARED_CUSTOMER_FIELDS,
  SCRUBBED,
  planForgetBatch,
  type ClearedAddressField,
  type ForgetBatchPlan,
  type ForgetKind,
  type ForgetRequest,
  type LockedCustomer,
  type Requester,
} from './plan.js';
import * as SQL from './sql.js';

/** What one forget transaction is about: emails (forget requests) and/or customer ids (retention). */
export interface ForgetTarget {
  emails: string[];
  customerIds: number[];
  requests: readonly ForgetRequest[];
  /** Who asked for customers selected by id (retention). */
  requester?: Requester;
  /** Customers selected by id (not by email) are skipped unless their last activity is still before this. */
  inactiveBefore?: Date;
}

type CustomerRow = {
  id: number;
  email: string | null;
  email_key: string | null;
  name: string | null;
  address_id: number | null;
  pseudonym_taken: boolean;
} & Record<(typeof CLEARED_CUSTOMER_FIELDS)[number], string | null>;

type AddressRow = { id: number } & Record<ClearedAddressField, string | null>;

function limit(text: string, max: number): string {
  const chars = [...text];
  return chars.length <= max ? text : chars.slice(0, max).join('');
}

function auditReason(requester: Requester): string {
  return requester.reason ? `requested by ${requester.requestedBy}: ${requester.reason}` : `requested by ${requester.requestedBy}`;
}

function pushTo<K, V>(map: Map<K, V[]>, key: K, value: V): void {
  const list = map.get(key);
  if (list) list.push(value);
  else map.set(key, [value]);
}

/**
 * Inside the forget transaction: locks everything the batch touches (the
 * suppressions table first, see LOCK_SUPPRESSIONS; then customers and main
 * addresses in id order, like the engine) and reads what the plan needs.
 */
export async function lockAndPlan(client: PoolClient, target: ForgetTarget): Promise<ForgetBatchPlan> {
  await client.query(SQL.LOCK_SUPPRESSIONS);
  const aliasRows = target.emails.length > 0 ? (await client.query<{ email: string; customer_id: number }>(SQL.SELECT_ALIASES_BY_EMAIL, [target.emails])).rows : [];
  const byId = [...new Set([...target.customerIds, ...aliasRows.map((a) => a.customer_id)])];
  const locked = (await client.query<CustomerRow>(SQL.LOCK_CUSTOMERS, [target.emails, byId])).rows;
  const cameBack = new Set<number>();
  if (target.inactiveBefore && target.customerIds.length > 0) {
    const byEmail = new Set(locked.filter((r) => r.email_key !== null && target.emails.includes(r.email_key)).map((r) => r.id));
    const retained = target.customerIds.filter((id) => !byEmail.has(id));
    for (const r of (await client.query<{ id: number }>(SQL.ACTIVE_SINCE, [retained, target.inactiveBefore])).rows) cameBack.add(r.id);
  }
  const rows = locked.filter((r) => !cameBack.has(r.id));
  const ids = rows.map((r) => r.id);
  const addressIds = rows.map((r) => r.address_id).filter((id): id is number => id !== null);
  const addresses = new Map<number, AddressRow>();
  if (addressIds.length > 0) for (const a of (await client.query<AddressRow>(SQL.LOCK_ADDRESSES, [addressIds])).rows) addresses.set(a.id, a);
  const aliasesOf = new Map<number, string[]>();
  const unscrubbed = new Set<number>();
  const withProvenance = new Set<number>();
  if (ids.length > 0) {
    for (const a of (await client.query<{ email: string; customer_id: number }>(SQL.SELECT_ALIASES_OF_CUSTOMERS, [ids])).rows) pushTo(aliasesOf, a.customer_id, a.email);
    for (const r of (await client.query<{ customer_id: number }>(SQL.CUSTOMERS_WITH_UNSCRUBBED_LOGS, [ids, SCRUBBED])).rows) unscrubbed.add(r.customer_id);
    for (const r of (await client.query<{ customer_id: number }>(SQL.CUSTOMERS_WITH_PROVENANCE, [ids])).rows) withProvenance.add(r.customer_id);
  }

  const idsByEmail = new Map<string, number[]>();
  for (const row of rows) if (row.email_key !== null) pushTo(idsByEmail, row.email_key, row.id);
  for (const alias of aliasRows) if (!idsByEmail.get(alias.email)?.includes(alias.customer_id)) pushTo(idsByEmail, alias.email, alias.customer_id);
  const requests = target.requests.map((request) => ({ request, customerIds: idsByEmail.get(request.email) ?? [] }));
  // The first request naming a customer is the one its audit row credits.
  const requesters = new Map<number, Requester>();
  for (const { request, customerIds } of requests) {
    for (const id of customerIds) if (!requesters.has(id)) requesters.set(id, { requestedBy: request.requestedBy, reason: request.reason });
  }
  const customers = rows.map((row) => {
    const address = row.address_id === null ? undefined : addresses.get(row.address_id);
    const locked: LockedCustomer = {
      id: row.id,
      email: row.email,
      name: row.name,
      values: Object.fromEntries(CLEARED_CUSTOMER_FIELDS.map((f) => [f, row[f]])) as LockedCustomer['values'],
      address: address ? (Object.fromEntries(CLEARED_ADDRESS_FIELDS.map((f) => [f, address[f]])) as LockedCustomer['address']) : null,
      pseudonymTaken: row.pseudonym_taken,
      unscrubbedLogs: unscrubbed.has(row.id),
      hasProvenance: withProvenance.has(row.id),
      aliases: aliasesOf.get(row.id) ?? [],
    };
    return { customer: locked, requester: requesters.get(row.id) ?? target.requester ?? { requestedBy: 'custsync' } };
  });

  const candidates = new Set<string>(target.emails.map(emailHash));
  for (const { customer } of customers) {
    if (customer.email !== null) candidates.add(emailHash(customer.email.trim().toLowerCase()));
    for (const alias of customer.aliases) candidates.add(emailHash(alias));
  }
  const existing = new Set((await client.query<{ email_hash: string }>(SQL.EXISTING_SUPPRESSIONS, [[...candidates]])).rows.map((r) => r.email_hash.trim()));
  return planForgetBatch({ requests, customers, existingSuppressions: existing });
}

/** Applies a plan: audit values scrubbed before the seed's row is added, so that row is never scrubbed. */
export async function applyForgetPlan(client: PoolClient, kind: ForgetKind, plan: ForgetBatchPlan): Promise<void> {
  const ids = plan.customers.map((c) => c.id);
  if (ids.length > 0) {
    await client.query(SQL.SCRUB_LOGS, [ids, SCRUBBED]);
    await client.query(SQL.CLEAR_ADDRESSES, [ids]);
    await client.query(SQL.PSEUDONYMIZE_CUSTOMERS, [ids, plan.customers.map((c) => c.email)]);
    await client.query(SQL.DELETE_PROVENANCE, [ids]);
    await client.query(SQL.DELETE_ALIASES, [ids]);
  }
  if (plan.suppressions.length > 0) {
    await client.query(SQL.INSERT_SUPPRESSIONS, [
      plan.suppressions.map((s) => s.emailHash),
      plan.suppressions.map(() => kind),
      plan.suppressions.map((s) => limit(s.createdBy, 100)),
    ]);
  }
  if (ids.length > 0) {
    await client.query(SQL.INSERT_PSEUDONYMIZATION_LOGS, [ids, kind, plan.customers.map((c) => auditReason(c.requester))]);
  }
}
