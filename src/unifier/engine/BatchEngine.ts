import type { Pool, PoolClient } from 'pg';
import { ADDRESS_FIELDS, CUSTOMER_FIELDS, isField, type Field } from '../fields.js';
import type { NormalizedRecord } from '../normalize/index.js';
import { advancesFor, isApplied, mergeAdvances, storedKey, type PositionAdvance } from '../positions.js';
import type { PriorityRules } from '../priorities.js';
import { emailHash } from '../emailHash.js';
import { emptyValues, type CustomerState, type Provenance } from '../survivorship.js';
import { planBatch, type IndexedRecord, type LoadedCustomer, type WritePlan } from './plan.js';
import * as SQL from './sql.js';
import { toCustsyncError } from '../../runtime/errors.js';
import type { Logger } from '../../runtime/logger.js';

export interface Batch {
  /** Valid records, in source order. */
  records: readonly NormalizedRecord[];
  /**
   * Positions to store besides the records' own: a Kafka batch advances past
   * dead-lettered and skipped messages too.
   */
  advance?: readonly PositionAdvance[];
}

export interface ApplyResult {
  /** Records the batch carried. */
  received: number;
  /** Records already covered by a stored position (redelivered), ignored. */
  replayed: number;
  /** Records applied (whether or not they changed anything), suppressed ones included. */
  applied: number;
  /** Records for forgotten people, dropped (custsync.suppressions). */
  suppressed: number;
  createdCustomers: number;
  changedCustomers: number;
  auditRows: number;
  attempts: number;
}

export interface BatchEngineOptions {
  maxAttempts: number;
  /** Base of the exponential backoff between attempts. */
  retryBaseMs?: number;
}

interface CustomerRow {
  id: number;
  email: string;
  email_key: string;
  name: string | null;
  customer_id: string | null;
  address_id: number | null;
  phone_local_code: string | null;
  phone_number: string | null;
  document_type: string | null;
  document_number: string | null;
}

type AddressRow = { id: number } & Record<(typeof ADDRESS_FIELDS)[number], string | null>;

interface ProvenanceRow {
  customer_id: number;
  field: string;
  platform: string;
  priority: number | null;
  event_time: Date;
  event_id: string | null;
}

/** Records per customer, in batch order: an alias's records fold together with its customer's own. */
function regroupByCustomer(recordsByEmail: ReadonlyMap<string, IndexedRecord[]>, byEmail: ReadonlyMap<string, number>): Map<number, IndexedRecord[]> {
  const out = new Map<number, IndexedRecord[]>();
  for (const [email, records] of recordsByEmail) {
    const id = byEmail.get(email);
    if (id === undefined) throw new Error('a record email resolved to no customer');
    const list = out.get(id);
    if (list) list.push(...records);
    else out.set(id, [...records]);
  }
  for (const list of out.values()) list.sort((a, b) => a.index - b.index);
  return out;
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/**
 * Applies batches of normalized records to Postgres, one transaction per
 * batch, with a fixed number of set-based statements. The outcome (customers,
 * addresses, audit rows, provenance) equals applying the records one by one in
 * order; positions are stored in the same transaction, so a redelivered record
 * changes nothing.
 */
export class BatchEngine {
  private readonly retryBaseMs: number;

  constructor(
    private readonly pool: Pool,
    private rules: PriorityRules,
    private readonly logger: Logger,
    private readonly options: BatchEngineOptions,
  ) {
    this.retryBaseMs = options.retryBaseMs ?? 50;
  }

  /** Takes effect from the next batch (SIGHUP reload). */
  setRules(rules: PriorityRules): void {
    this.rules = rules;
  }

  /** Applies the batch, retrying deadlocks, serialization failures and lost connections with backoff. */
  async apply(batch: Batch): Promise<ApplyResult> {
    for (let attempt = 1; ; attempt += 1) {
      try {
        const result = await this.applyOnce(batch);
        return { ...result, attempts: attempt };
      } catch (err) {
        const error = toCustsyncError(err);
        if (!error.retriable || attempt >= this.options.maxAttempts) throw error;
        const delay = Math.min(this.retryBaseMs * 2 ** (attempt - 1), 5_000) * (0.5 + Math.random() / 2);
        this.logger.warn({ code: error.code, attempt, delayMs: Math.round(delay), err: error.message }, 'batch failed; retrying');
        await sleep(delay);
      }
    }
  }

  private async applyOnce(batch: Batch): Promise<Omit<ApplyResult, 'attempts'>> {
    const client = await this.pool.connect();
    let broken: Error | undefined;
    try {
      await client.query(SQL.BEGIN_AS_ENGINE);
      try {
        const result = await this.applyInTransaction(client, batch);
        await client.query('COMMIT');
        return result;
      } catch (err) {
        await client.query('ROLLBACK').catch((rollbackErr: Error) => {
          broken = rollbackErr;
        });
        throw err;
      }
    } catch (err) {
      if (toCustsyncError(err).code === 'CUSTSYNC_DB_UNAVAILABLE') broken = err as Error;
      throw err;
    } finally {
      client.release(broken);
    }
  }

  private async applyInTransaction(client: PoolClient, batch: Batch): Promise<Omit<ApplyResult, 'attempts'>> {
    const advances = mergeAdvances(advancesFor(batch.records.map((r) => r.position)), [...(batch.advance ?? [])]);
    const stored = await this.lockPositions(client, advances);
    const fresh: IndexedRecord[] = [];
    batch.records.forEach((record, index) => {
      if (!isApplied(record.position, stored)) fresh.push({ index, record });
    });
    const result = { received: batch.records.length, replayed: batch.records.length - fresh.length, applied: fresh.length };

    const recordsByEmail = new Map<string, IndexedRecord[]>();
    for (const item of fresh) {
      const list = recordsByEmail.get(item.record.email);
      if (list) list.push(item);
      else recordsByEmail.set(item.record.email, [item]);
    }
    const suppressed = await this.dropSuppressed(client, recordsByEmail);
    let plan: WritePlan = { addresses: [], customers: [], audit: [], provenance: [], changedCustomers: 0 };
    let created = 0;
    if (recordsByEmail.size > 0) {
      const { customers, byEmail } = await this.loadCustomers(client, [...recordsByEmail.keys()]);
      created = [...customers.values()].filter((c) => c.created).length;
      plan = planBatch(customers, regroupByCustomer(recordsByEmail, byEmail), this.rules);
      await this.write(client, plan);
    }
    const kept = [...recordsByEmail.values()].flat();
    await this.countDropped(client, kept);
    if (advances.length > 0) {
      await client.query(SQL.ADVANCE_POSITIONS, [
        advances.map((a) => a.stream),
        advances.map((a) => a.partition),
        advances.map((a) => a.next.toString()),
      ]);
    }
    return { ...result, suppressed, createdCustomers: created, changedCustomers: plan.changedCustomers, auditRows: plan.audit.length };
  }

  private async lockPositions(client: PoolClient, advances: readonly PositionAdvance[]): Promise<Map<string, bigint>> {
    const stored = new Map<string, bigint>();
    if (advances.length === 0) return stored;
    const { rows } = await client.query<{ stream: string; partition: number; next_ordinal: string }>(SQL.LOCK_POSITIONS, [
      advances.map((a) => a.stream),
      advances.map((a) => a.partition),
    ]);
    for (const row of rows) stored.set(storedKey(row.stream, row.partition), BigInt(row.next_ordinal));
    return stored;
  }

  /** Drops the records of forgotten people (and counts them against their suppression entry). */
  private async dropSuppressed(client: PoolClient, recordsByEmail: Map<string, IndexedRecord[]>): Promise<number> {
    if (recordsByEmail.size === 0) return 0;
    const emails = [...recordsByEmail.keys()];
    const hashes = emails.map(emailHash);
    const { rows } = await client.query<{ email_hash: string }>(SQL.COUNT_SUPPRESSED, [hashes, emails.map((e) => recordsByEmail.get(e)?.length ?? 0)]);
    if (rows.length === 0) return 0;
    const hit = new Set(rows.map((r) => r.email_hash.trim()));
    let dropped = 0;
    emails.forEach((email, i) => {
      if (!hit.has(hashes[i] as string)) return;
      dropped += recordsByEmail.get(email)?.length ?? 0;
      recordsByEmail.delete(email);
    });
    return dropped;
  }

  /**
   * Locks the batch's customers (creating missing ones, resolving merged
   * emails through their alias), their addresses, and reads provenance.
   * Returns the customers by id and which customer each email resolved to.
   */
  private async loadCustomers(client: PoolClient, emails: string[]): Promise<{ customers: Map<number, LoadedCustomer>; byEmail: Map<string, number> }> {
    const aliases = new Map(
      (await client.query<{ email: string; customer_id: number }>(SQL.SELECT_ALIASES, [emails])).rows.map((r) => [r.email, r.customer_id]),
    );
    const rowsById = new Map<number, { row: CustomerRow; created: boolean }>();
    const byEmail = new Map<string, number>();
    const take = (rows: CustomerRow[], created: boolean) => {
      for (const row of rows) {
        if (!rowsById.has(row.id)) rowsById.set(row.id, { row, created });
        if (!byEmail.has(row.email_key)) byEmail.set(row.email_key, row.id);
      }
    };
    const direct = emails.filter((e) => !aliases.has(e));
    take((await client.query<CustomerRow>(SQL.LOCK_CUSTOMERS_BY_EMAIL, [direct, [...new Set(aliases.values())]])).rows, false);
    for (const [email, id] of aliases) if (rowsById.has(id)) byEmail.set(email, id);
    const missing = emails.filter((e) => !byEmail.has(e));
    if (missing.length > 0) {
      take((await client.query<CustomerRow>(SQL.INSERT_CUSTOMERS, [missing])).rows, true);
      const raced = missing.filter((e) => !byEmail.has(e));
      if (raced.length > 0) take((await client.query<CustomerRow>(SQL.LOCK_CUSTOMERS_BY_EMAIL, [raced, []])).rows, false);
    }
    const customerRows = [...rowsById.values()];
    const addressIds = customerRows.map((c) => c.row.address_id).filter((id): id is number => id !== null);
    const addresses = new Map<number, AddressRow>();
    if (addressIds.length > 0) {
      for (const row of (await client.query<AddressRow>(SQL.LOCK_ADDRESSES, [addressIds])).rows) addresses.set(row.id, row);
    }
    const provenance = new Map<number, Partial<Record<Field, Provenance>>>();
    const existingIds = customerRows.filter((c) => !c.created).map((c) => c.row.id);
    if (existingIds.length > 0) {
      for (const row of (await client.query<ProvenanceRow>(SQL.SELECT_PROVENANCE, [existingIds])).rows) {
        if (!isField(row.field)) continue;
        const entry = provenance.get(row.customer_id) ?? {};
        entry[row.field] = { platform: row.platform, priority: row.priority, eventTime: row.event_time, eventId: row.event_id };
        provenance.set(row.customer_id, entry);
      }
    }
    const customers = new Map<number, LoadedCustomer>();
    for (const { row, created } of customerRows) {
      const values = emptyValues();
      for (const field of CUSTOMER_FIELDS) values[field] = row[field];
      const address = row.address_id === null ? undefined : addresses.get(row.address_id);
      if (address) for (const field of ADDRESS_FIELDS) values[field] = address[field];
      const state: CustomerState = { email: row.email, values, provenance: provenance.get(row.id) ?? {} };
      customers.set(row.id, { id: row.id, addressId: row.address_id, created, state });
    }
    return { customers, byEmail };
  }

  private async write(client: PoolClient, plan: WritePlan): Promise<void> {
    const newAddresses = plan.addresses.filter((a) => a.id === null);
    if (newAddresses.length > 0) {
      const { rows } = await client.query<{ id: number }>(SQL.ALLOCATE_ADDRESS_IDS, [newAddresses.length]);
      const addressIdOf = new Map<number, number>();
      newAddresses.forEach((address, i) => {
        const id = rows[i]?.id;
        if (id === undefined) throw new Error('address id allocation returned too few ids');
        address.id = id;
        addressIdOf.set(address.customerId, id);
      });
      for (const customer of plan.customers) customer.addressId = addressIdOf.get(customer.id) ?? customer.addressId;
    }
    if (plan.addresses.length > 0) {
      await client.query(SQL.UPSERT_ADDRESSES, [
        plan.addresses.map((a) => a.id),
        ...ADDRESS_FIELDS.map((field) => plan.addresses.map((a) => a.values[field])),
      ]);
    }
    if (plan.customers.length > 0) {
      const column = (field: (typeof CUSTOMER_FIELDS)[number]) => plan.customers.map((c) => c.values[field]);
      await client.query(SQL.UPDATE_CUSTOMERS, [
        plan.customers.map((c) => c.id),
        column('name'),
        column('customer_id'),
        plan.customers.map((c) => c.addressId),
        column('phone_local_code'),
        column('phone_number'),
        column('document_type'),
        column('document_number'),
      ]);
    }
    if (plan.audit.length > 0) {
      await client.query(SQL.INSERT_CUSTOMER_LOGS, [
        plan.audit.map((a) => a.customerId),
        plan.audit.map((a) => a.field),
        plan.audit.map((a) => a.oldValue),
        plan.audit.map((a) => a.newValue),
        plan.audit.map((a) => a.changedBy),
        plan.audit.map((a) => a.reason),
      ]);
    }
    if (plan.provenance.length > 0) {
      await client.query(SQL.UPSERT_PROVENANCE, [
        plan.provenance.map((p) => p.customerId),
        plan.provenance.map((p) => p.field),
        plan.provenance.map((p) => p.platform),
        plan.provenance.map((p) => p.priority),
        plan.provenance.map((p) => p.eventTime.toISOString()),
        plan.provenance.map((p) => p.eventId),
      ]);
    }
  }

  private async countDropped(client: PoolClient, records: readonly IndexedRecord[]): Promise<void> {
    const counts = new Map<string, { platform: string; field: string; reason: string; count: number }>();
    for (const { record } of records) {
      for (const dropped of record.dropped) {
        const key = `${record.platform}\u0000${dropped.field}\u0000${dropped.reason}`;
        const entry = counts.get(key) ?? { platform: record.platform, field: dropped.field, reason: dropped.reason, count: 0 };
        entry.count += 1;
        counts.set(key, entry);
      }
    }
    if (counts.size === 0) return;
    const rows = [...counts.values()].sort((a, b) => (a.platform + a.field + a.reason < b.platform + b.field + b.reason ? -1 : 1));
    await client.query(SQL.COUNT_DROPPED_VALUES, [
      rows.map((r) => r.platform),
      rows.map((r) => r.field),
      rows.map((r) => r.reason),
      rows.map((r) => r.count),
    ]);
  }
}
