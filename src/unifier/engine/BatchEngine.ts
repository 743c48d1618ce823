import type { Pool, PoolClient } from 'pg';
import { ADDRESS_FIELDS, CUSTOMER_FIELDS, isField, type Field } from '../fields.js';
import type { NormalizedRecord } from '../normalize/index.js';
import type { SourcePosition } from '../SourceRecord.js';
import { advancesFor, isApplied, mergeAdvances, storedKey, type PositionAdvance } from '../positions.js';
import type { PriorityRules } from '../priorities.js';
import { emailHash } from '../emailHash.js';
import { emptyValues, type CustomerState, type Provenance } from '../survivorship.js';
import { emptyPlan, planBatch, type CustomerRecords, type CustomerWrite, type IndexedRecord, type LoadedCustomer, type ProvenanceWrite, type WritePlan } from './plan.js';
import * as SQL from './sql.js';
import { CustsyncError } from '../../runtime/errors.js';
import type { Logger } from '../../runtime/logger.js';
import { retryTransient } from '../../runtime/retry.js';
import { inTransaction } from '../../runtime/transaction.js';

export interface Batch {
  /** Valid records, in source order. */
  records: readonly NormalizedRecord[];
  /**
   * Positions to store besides the records' own: a Kafka batch advances past
   * dead-lettered and skipped messages too.
   */
  advance?: readonly PositionAdvance[];
  /**
   * Dead letters sent for this batch, counted in custsync.dead_letter_counts
   * with it; like records, those a stored position already covers are not
   * counted again (a zombie consumer sending the same batch after a rebalance).
   */
  deadLetters?: readonly { platform: string; reason: string; position: SourcePosition }[];
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
  event_ms: number;
  event_id: string | null;
}

/** Records per customer, in batch order: an alias's records fold together with its customer's own. */
function groupByCustomer(recordsByEmail: ReadonlyMap<string, IndexedRecord[]>, byEmail: ReadonlyMap<string, LoadedCustomer>): CustomerRecords[] {
  const groups = new Map<LoadedCustomer, IndexedRecord[]>();
  for (const [email, records] of recordsByEmail) {
    const customer = byEmail.get(email);
    if (!customer) throw new Error('a record email resolved to no customer');
    groups.set(customer, [...(groups.get(customer) ?? []), ...records]);
  }
  return [...groups].map(([customer, records]) => ({ customer, records: records.sort((a, b) => a.index - b.index) }));
}

/** A row of UPDATE_CUSTOMERS / INSERT_CUSTOMERS: the key (id or email), then the columns in statement order. */
function customerTuple(key: number | string | null, write: CustomerWrite): unknown[] {
  const v = write.values;
  return [key, v.name, v.customer_id, write.customer.addressId, v.phone_local_code, v.phone_number, v.document_type, v.document_number];
}

function provenanceRows(rows: readonly ProvenanceWrite[]): string {
  return JSON.stringify(rows.map((p) => [p.customer.id, p.field, p.platform, p.priority, p.eventTime.getTime(), p.eventId]));
}

/** Occurrences of each key, sorted by key so concurrent batches lock counter rows in one order. */
function countBy(keys: readonly string[][]): { key: string[]; count: number }[] {
  const counts = new Map<string, { key: string[]; count: number }>();
  for (const key of keys) {
    const id = key.join('\u0000');
    const entry = counts.get(id) ?? { key, count: 0 };
    entry.count += 1;
    counts.set(id, entry);
  }
  return [...counts.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([, entry]) => entry);
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
  apply(batch: Batch): Promise<ApplyResult> {
    const retry = { maxAttempts: this.options.maxAttempts, baseMs: this.retryBaseMs, logger: this.logger, what: 'batch' };
    return retryTransient(retry, async (attempt) => ({ ...(await this.applyOnce(batch)), attempts: attempt }));
  }

  private applyOnce(batch: Batch): Promise<Omit<ApplyResult, 'attempts'>> {
    return inTransaction(this.pool, { begin: SQL.BEGIN_AS_ENGINE }, (client) => this.applyInTransaction(client, batch));
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
    let plan = emptyPlan();
    if (recordsByEmail.size > 0) {
      const byEmail = await this.loadCustomers(client, [...recordsByEmail.keys()]);
      plan = planBatch(groupByCustomer(recordsByEmail, byEmail), this.rules);
      await this.write(client, plan);
    }
    const kept = [...recordsByEmail.values()].flat();
    await this.countDropped(client, kept);
    await this.countDeadLetters(client, (batch.deadLetters ?? []).filter((letter) => !isApplied(letter.position, stored)));
    if (advances.length > 0) {
      await client.query(SQL.ADVANCE_POSITIONS, [
        advances.map((a) => a.stream),
        advances.map((a) => a.partition),
        advances.map((a) => a.next.toString()),
      ]);
    }
    return { ...result, suppressed, createdCustomers: plan.creations.length, changedCustomers: plan.changedCustomers, auditRows: plan.audit.length };
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
   * Locks the batch's existing customers (matched by email or through a
   * merged email's alias) and their addresses, and reads their provenance.
   * Emails without a customer get a new, not yet inserted one.
   */
  private async loadCustomers(client: PoolClient, emails: string[]): Promise<Map<string, LoadedCustomer>> {
    const rowsById = new Map<number, CustomerRow>();
    const idOf = new Map<string, number>();
    const take = (rows: CustomerRow[]) => {
      for (const row of rows) {
        if (!rowsById.has(row.id)) rowsById.set(row.id, row);
        if (!idOf.has(row.email_key)) idOf.set(row.email_key, row.id);
      }
    };
    take((await client.query<CustomerRow>(SQL.LOCK_CUSTOMERS_BY_EMAIL, [emails, []])).rows);
    // Aliases are read after the lock: a merge that committed while we waited
    // for the dropped customer's row has its alias visible by now.
    const unmatched = emails.filter((e) => !idOf.has(e));
    if (unmatched.length > 0) {
      const aliases = (await client.query<{ email: string; customer_id: number }>(SQL.SELECT_ALIASES, [unmatched])).rows;
      if (aliases.length > 0) {
        take((await client.query<CustomerRow>(SQL.LOCK_CUSTOMERS_BY_EMAIL, [[], aliases.map((a) => a.customer_id)])).rows);
        for (const alias of aliases) if (rowsById.has(alias.customer_id)) idOf.set(alias.email, alias.customer_id);
      }
    }
    const rows = [...rowsById.values()];
    const addressIds = rows.map((r) => r.address_id).filter((id): id is number => id !== null);
    const addresses = new Map<number, AddressRow>();
    if (addressIds.length > 0) {
      for (const row of (await client.query<AddressRow>(SQL.LOCK_ADDRESSES, [addressIds])).rows) addresses.set(row.id, row);
    }
    const provenance = new Map<number, Partial<Record<Field, Provenance>>>();
    if (rows.length > 0) {
      for (const row of (await client.query<ProvenanceRow>(SQL.SELECT_PROVENANCE, [rows.map((r) => r.id)])).rows) {
        if (!isField(row.field)) continue;
        const entry = provenance.get(row.customer_id) ?? {};
        entry[row.field] = { platform: row.platform, priority: row.priority, eventTime: new Date(row.event_ms), eventId: row.event_id };
        provenance.set(row.customer_id, entry);
      }
    }
    const existing = new Map<number, LoadedCustomer>();
    for (const row of rows) {
      const values = emptyValues();
      for (const field of CUSTOMER_FIELDS) values[field] = row[field];
      const address = row.address_id === null ? undefined : addresses.get(row.address_id);
      if (address) for (const field of ADDRESS_FIELDS) values[field] = address[field];
      const state: CustomerState = { email: row.email, values, provenance: provenance.get(row.id) ?? {} };
      existing.set(row.id, { id: row.id, addressId: row.address_id, created: false, state });
    }
    const byEmail = new Map<string, LoadedCustomer>();
    for (const email of emails) {
      const id = idOf.get(email);
      const customer = id === undefined ? undefined : existing.get(id);
      byEmail.set(email, customer ?? { id: null, addressId: null, created: true, state: { email, values: emptyValues(), provenance: {} } });
    }
    return byEmail;
  }

  private async write(client: PoolClient, plan: WritePlan): Promise<void> {
    const newAddresses = plan.addresses.filter((a) => a.id === null);
    if (newAddresses.length > 0) {
      const { rows } = await client.query<{ id: number }>(SQL.ALLOCATE_ADDRESS_IDS, [newAddresses.length]);
      newAddresses.forEach((address, i) => {
        const id = rows[i]?.id;
        if (id === undefined) throw new Error('address id allocation returned too few ids');
        address.id = id;
        address.customer.addressId = id;
      });
    }
    if (plan.addresses.length > 0) {
      await client.query(SQL.UPSERT_ADDRESSES, [JSON.stringify(plan.addresses.map((a) => [a.id, ...ADDRESS_FIELDS.map((field) => a.values[field])]))]);
    }
    if (plan.creations.length > 0) await this.insertCustomers(client, plan.creations);
    if (plan.updates.length > 0) {
      await client.query(SQL.UPDATE_CUSTOMERS, [JSON.stringify(plan.updates.map((c) => customerTuple(c.customer.id, c)))]);
    }
    if (plan.audit.length > 0) {
      await client.query(SQL.INSERT_CUSTOMER_LOGS, [
        JSON.stringify(plan.audit.map((a) => [a.customer.id, a.field, a.oldValue, a.newValue, a.changedBy, a.reason])),
      ]);
    }
    const created = plan.provenance.filter((p) => p.customer.created);
    const existing = plan.provenance.filter((p) => !p.customer.created);
    if (created.length > 0) await client.query(SQL.INSERT_PROVENANCE, [provenanceRows(created)]);
    if (existing.length > 0) await client.query(SQL.UPSERT_PROVENANCE, [provenanceRows(existing)]);
  }

  /** Inserts created customers and learns their ids; an email another engine created meanwhile retries the batch. */
  private async insertCustomers(client: PoolClient, creations: readonly CustomerWrite[]): Promise<void> {
    const { rows } = await client.query<{ id: number; email: string }>(SQL.INSERT_CUSTOMERS, [
      JSON.stringify(creations.map((c) => customerTuple(c.customer.state.email, c))),
    ]);
    const ids = new Map(rows.map((r) => [r.email, r.id]));
    for (const creation of creations) creation.customer.id = ids.get(creation.customer.state.email) ?? null;
    if (rows.length < creations.length) {
      throw new CustsyncError('CUSTSYNC_DB_CONFLICT', 'another instance created some of this batch’s customers meanwhile; retrying the batch', { retriable: true });
    }
  }

  private async countDropped(client: PoolClient, records: readonly IndexedRecord[]): Promise<void> {
    const rows = countBy(records.flatMap(({ record }) => record.dropped.map((d) => [record.platform, d.field, d.reason])));
    if (rows.length === 0) return;
    await client.query(SQL.COUNT_DROPPED_VALUES, [rows.map((r) => r.key[0]), rows.map((r) => r.key[1]), rows.map((r) => r.key[2]), rows.map((r) => r.count)]);
  }

  private async countDeadLetters(client: PoolClient, letters: readonly { platform: string; reason: string }[]): Promise<void> {
    const rows = countBy(letters.map((l) => [l.platform, l.reason]));
    if (rows.length === 0) return;
    await client.query(SQL.COUNT_DEAD_LETTERS, [rows.map((r) => r.key[0]), rows.map((r) => r.key[1]), rows.map((r) => r.count)]);
  }
}
