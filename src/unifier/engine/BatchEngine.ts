import type { Pool } from 'pg';
import { ADDRESS_FIELDS, CUSTOMER_FIELDS } from '../../contract.js';
import type { NormalizedRecord } from '../normalize/index.js';
import type { IngestResult, PositionAdvance, SourcePosition } from '../../contract.js';
import { advancesFor, isApplied, mergeAdvances, PositionStore } from '../PositionStore.js';
import type { PriorityRules } from '../priorities.js';
import { emailHash } from '../emailHash.js';
import { decodeProvenance } from '../provenanceJson.js';
import { emptyValues, type CustomerState } from '../survivorship.js';
import type { CopyValue } from './copy.js';
import { emptyPlan, planBatch, type AddressWrite, type CustomerRecords, type CustomerWrite, type IndexedRecord, type LoadedCustomer, type StateWrite, type WritePlan } from './plan.js';
import * as SQL from './sql.js';
import { EngineStatements, type StatementStats } from './statements.js';
import { CustsyncError } from '../../runtime/errors.js';
import type { Logger } from '../../runtime/logger.js';
import { retry } from '../../runtime/retry.js';
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

/** What applying a batch did: the unifier's result without the dead letters and skips it counts itself. */
export interface ApplyResult extends Omit<IngestResult, 'deadLettered' | 'skipped'> {
  attempts: number;
}

export interface BatchEngineOptions {
  /** Attempts of `apply` (one-shot callers); the unifier retries `applyOnce` itself. */
  maxAttempts: number;
  /** Audit each initial value of a creation as a change from NULL (`audit.logInitialValues`); default false. */
  logInitialValues?: boolean;
  /**
   * How rows that are only appended (new customers and addresses, their state
   * rows, audit rows) reach Postgres: COPY (default) or INSERT ... SELECT
   * from a JSON parameter. Both write the same rows; bench:unifier measures both.
   */
  append?: 'copy' | 'insert';
  /** Collects the time and rows of every statement (bench:unifier prints them). */
  stats?: StatementStats;
}

/** A locked customer as LOCK_CUSTOMERS_* select it (rows read as arrays). */
type CustomerRow = [
  id: number,
  email: string,
  emailKey: string,
  addressId: number | null,
  ...values: (string | null)[],
];

/** A locked address as LOCK_ADDRESSES selects it: the id, then ADDRESS_FIELDS in order. */
type AddressRow = [id: number, ...values: (string | null)[]];

/** A state row as SELECT_STATE selects it. */
type StateRow = [customerId: number, provenance: unknown];

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

function idOf(customer: LoadedCustomer): number {
  if (customer.id === null) throw new Error('a customer of the batch has no id yet');
  return customer.id;
}

/** A row of UPDATE_CUSTOMERS: the id, then the columns in statement order. */
function customerUpdate(write: CustomerWrite): CopyValue[] {
  const v = write.values;
  return [idOf(write.customer), v.name, v.customer_id, write.customer.addressId, v.phone_local_code, v.phone_number, v.document_type, v.document_number];
}

/** A row of CUSTOMER_COPY_TARGET / INSERT_CUSTOMERS. */
function customerInsert(write: CustomerWrite): CopyValue[] {
  const v = write.values;
  return [idOf(write.customer), write.customer.state.email, v.name, v.customer_id, write.customer.addressId, v.phone_local_code, v.phone_number, v.document_type, v.document_number];
}

function addressRow(write: AddressWrite): CopyValue[] {
  if (write.id === null) throw new Error('a new address has no id yet');
  return [write.id, ...ADDRESS_FIELDS.map((field) => write.values[field])];
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
 * addresses, audit rows, provenance, last seen) equals applying the records
 * one by one in order; positions are stored in the same transaction, so a
 * redelivered record changes nothing.
 *
 * Per batch: lock the positions; drop suppressed emails; lock the customers
 * and their addresses and read their state; fold (pure); then write only what
 * changed: new addresses and customers, their state and the audit rows are
 * appended (COPY), changed rows are updated set-based, and a customer whose
 * records changed nothing costs one last-seen update.
 */
export class BatchEngine {
  private logInitialValues: boolean;
  private readonly append: 'copy' | 'insert';

  constructor(
    private readonly pool: Pool,
    private rules: PriorityRules,
    private readonly logger: Logger,
    private readonly options: BatchEngineOptions,
  ) {
    this.logInitialValues = options.logInitialValues ?? false;
    this.append = options.append ?? 'copy';
  }

  /** Takes effect from the next batch (SIGHUP reload). */
  setRules(rules: PriorityRules): void {
    this.rules = rules;
  }

  /** Takes effect from the next batch (SIGHUP reload of `audit.logInitialValues`). */
  setLogInitialValues(logInitialValues: boolean): void {
    this.logInitialValues = logInitialValues;
  }

  /**
   * Applies the batch for a one-shot caller, retrying what the retry table
   * marks retriable (deadlocks, serialization failures, lost connections) up
   * to `maxAttempts` times.
   */
  apply(batch: Batch): Promise<ApplyResult> {
    const options = { maxAttempts: this.options.maxAttempts, logger: this.logger, what: 'batch' };
    return retry(options, async (attempt) => ({ ...(await this.applyOnce(batch)), attempts: attempt.n }));
  }

  /** Applies the batch in one transaction, once: for a caller with a retry loop of its own (the unifier). */
  async applyOnce(batch: Batch): Promise<ApplyResult> {
    const result = await inTransaction(this.pool, { begin: SQL.BEGIN_AS_ENGINE }, (client) => this.applyInTransaction(new EngineStatements(client, this.options.stats), batch));
    return { ...result, attempts: 1 };
  }

  private async applyInTransaction(db: EngineStatements, batch: Batch): Promise<Omit<ApplyResult, 'attempts'>> {
    const advances = mergeAdvances(advancesFor(batch.records.map((r) => r.position)), [...(batch.advance ?? [])]);
    const stored = await PositionStore.lock(db, advances);
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
    const suppressed = await this.dropSuppressed(db, recordsByEmail);
    let plan = emptyPlan();
    if (recordsByEmail.size > 0) {
      const byEmail = await this.loadCustomers(db, [...recordsByEmail.keys()]);
      plan = planBatch(groupByCustomer(recordsByEmail, byEmail), this.rules, { logInitialValues: this.logInitialValues });
      await this.write(db, plan);
    }
    const kept = [...recordsByEmail.values()].flat();
    await this.countDropped(db, kept);
    await this.countDeadLetters(db, (batch.deadLetters ?? []).filter((letter) => !isApplied(letter.position, stored)));
    await PositionStore.advance(db, advances);
    return { ...result, suppressed, createdCustomers: plan.creations.length, changedCustomers: plan.changedCustomers, auditRows: plan.audit.length };
  }

  /** Drops the records of forgotten people (and counts them against their suppression entry). */
  private async dropSuppressed(db: EngineStatements, recordsByEmail: Map<string, IndexedRecord[]>): Promise<number> {
    if (recordsByEmail.size === 0) return 0;
    const emails = [...recordsByEmail.keys()];
    const hashes = emails.map(emailHash);
    const counts = JSON.stringify(emails.map((e, i) => [hashes[i], recordsByEmail.get(e)?.length ?? 0]));
    const rows = await db.query<{ email_hash: string }>('suppressions', SQL.COUNT_SUPPRESSED, [counts]);
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
   * merged email's alias) and their addresses, and reads their state.
   * Emails without a customer get a new, not yet inserted one.
   */
  private async loadCustomers(db: EngineStatements, emails: string[]): Promise<Map<string, LoadedCustomer>> {
    const rowsById = new Map<number, CustomerRow>();
    const idOfEmail = new Map<string, number>();
    const take = (rows: unknown[][]) => {
      for (const row of rows as CustomerRow[]) {
        const [id, , emailKey] = row;
        if (!rowsById.has(id)) rowsById.set(id, row);
        if (!idOfEmail.has(emailKey)) idOfEmail.set(emailKey, id);
      }
    };
    take(await db.rows('lock customers', SQL.LOCK_CUSTOMERS_BY_EMAIL, [JSON.stringify(emails)]));
    // Aliases are read after the lock: a merge that committed while we waited
    // for the dropped customer's row has its alias visible by now.
    const unmatched = emails.filter((e) => !idOfEmail.has(e));
    if (unmatched.length > 0) {
      const aliases = await db.query<{ email: string; customer_id: number }>('aliases', SQL.SELECT_ALIASES, [JSON.stringify(unmatched)]);
      if (aliases.length > 0) {
        take(await db.rows('lock customers', SQL.LOCK_CUSTOMERS_BY_ID, [JSON.stringify(aliases.map((a) => a.customer_id))]));
        for (const alias of aliases) if (rowsById.has(alias.customer_id)) idOfEmail.set(alias.email, alias.customer_id);
      }
    }
    const rows = [...rowsById.values()];
    const addressIds = rows.map((r) => r[3]).filter((id): id is number => id !== null);
    const addresses = new Map<number, AddressRow>();
    if (addressIds.length > 0) {
      for (const row of (await db.rows('lock addresses', SQL.LOCK_ADDRESSES, [JSON.stringify(addressIds)])) as AddressRow[]) addresses.set(row[0], row);
    }
    const provenance = new Map<number, unknown>();
    if (rows.length > 0) {
      for (const [id, document] of (await db.rows('read state', SQL.SELECT_STATE, [JSON.stringify(rows.map((r) => r[0]))])) as StateRow[]) provenance.set(id, document);
    }
    const existing = new Map<number, LoadedCustomer>();
    for (const row of rows) {
      const [id, email, , addressId] = row;
      const values = emptyValues();
      CUSTOMER_FIELDS.forEach((field, i) => {
        values[field] = row[4 + i] as string | null;
      });
      const address = addressId === null ? undefined : addresses.get(addressId);
      if (address) {
        ADDRESS_FIELDS.forEach((field, i) => {
          values[field] = (address[1 + i] as string | null | undefined) ?? null;
        });
      }
      const state: CustomerState = { email, values, provenance: decodeProvenance(provenance.get(id)) };
      existing.set(id, { id, addressId, created: false, hasState: provenance.has(id), state });
    }
    const byEmail = new Map<string, LoadedCustomer>();
    for (const email of emails) {
      const id = idOfEmail.get(email);
      const customer = id === undefined ? undefined : existing.get(id);
      byEmail.set(email, customer ?? { id: null, addressId: null, created: true, hasState: false, state: { email, values: emptyValues(), provenance: {} } });
    }
    return byEmail;
  }

  private async write(db: EngineStatements, plan: WritePlan): Promise<void> {
    await this.allocateIds(db, plan);
    const copy = this.append === 'copy';
    const created = plan.states.filter((s) => s.customer.created);
    const held = plan.states.filter((s) => s.customer.hasState);
    const missing = plan.states.filter((s) => !s.customer.created && !s.customer.hasState);
    if (copy) {
      await db.copy('copy addresses', SQL.ADDRESS_COPY_TARGET, plan.newAddresses.map(addressRow));
    } else if (plan.newAddresses.length > 0) {
      await db.query('insert addresses', SQL.INSERT_ADDRESSES, [JSON.stringify(plan.newAddresses.map(addressRow))]);
    }
    if (plan.changedAddresses.length > 0) {
      await db.query('update addresses', SQL.UPDATE_ADDRESSES, [JSON.stringify(plan.changedAddresses.map(addressRow))]);
    }
    if (plan.creations.length > 0) await this.insertCustomers(db, plan.creations, copy);
    if (plan.updates.length > 0) await db.query('update customers', SQL.UPDATE_CUSTOMERS, [JSON.stringify(plan.updates.map(customerUpdate))]);
    const audit = plan.audit.map((a): CopyValue[] => [idOf(a.customer), a.field, a.oldValue, a.newValue, a.changedBy, a.reason]);
    if (copy) {
      await db.copy('copy audit rows', SQL.AUDIT_COPY_TARGET, audit);
      await db.copy('copy new states', SQL.STATE_COPY_TARGET, created.map((s) => [idOf(s.customer), s.lastSeenAt.toISOString(), s.lastSeenPlatform, JSON.stringify(s.provenance)]));
    } else {
      if (audit.length > 0) await db.query('insert audit rows', SQL.INSERT_CUSTOMER_LOGS, [JSON.stringify(audit)]);
      if (created.length > 0) await db.query('insert new states', SQL.INSERT_STATE, stateRows(created));
    }
    if (held.length > 0) await db.query('update states', SQL.UPDATE_STATE, stateRows(held));
    if (missing.length > 0) await db.query('upsert states', SQL.UPSERT_STATE, stateRows(missing));
  }

  /** Ids of the batch's new addresses and customers, in one round trip, so no row has to be read back. */
  private async allocateIds(db: EngineStatements, plan: WritePlan): Promise<void> {
    if (plan.newAddresses.length === 0 && plan.creations.length === 0) return;
    const [ids] = await db.query<{ addresses: number[]; customers: number[] }>('allocate ids', SQL.ALLOCATE_IDS, [plan.newAddresses.length, plan.creations.length]);
    if (!ids || ids.addresses.length !== plan.newAddresses.length || ids.customers.length !== plan.creations.length) {
      throw new Error('id allocation returned the wrong number of ids');
    }
    plan.newAddresses.forEach((address, i) => {
      address.id = ids.addresses[i] ?? null;
      address.customer.addressId = address.id;
    });
    plan.creations.forEach((creation, i) => {
      creation.customer.id = ids.customers[i] ?? null;
    });
  }

  /**
   * Inserts created customers, sorted by email so two engines inserting the
   * same emails queue on the first instead of deadlocking. An email another
   * engine committed meanwhile violates the unique email: the batch is retried
   * and then finds that customer existing.
   */
  private async insertCustomers(db: EngineStatements, creations: readonly CustomerWrite[], copy: boolean): Promise<void> {
    const rows = [...creations].sort((a, b) => (a.customer.state.email < b.customer.state.email ? -1 : 1)).map(customerInsert);
    try {
      if (copy) await db.copy('copy customers', SQL.CUSTOMER_COPY_TARGET, rows);
      else await db.query('insert customers', SQL.INSERT_CUSTOMERS, [JSON.stringify(rows)]);
    } catch (err) {
      if ((err as { code?: string }).code === '23505' && (err as { constraint?: string }).constraint === 'customers_email_key') {
        throw new CustsyncError('CUSTSYNC_DB_CONFLICT', 'another instance created some of this batch’s customers meanwhile; retrying the batch', { cause: err });
      }
      throw err;
    }
  }

  private async countDropped(db: EngineStatements, records: readonly IndexedRecord[]): Promise<void> {
    const rows = countBy(records.flatMap(({ record }) => record.dropped.map((d) => [record.platform, d.field, d.reason])));
    if (rows.length === 0) return;
    await db.query('count dropped values', SQL.COUNT_DROPPED_VALUES, [rows.map((r) => r.key[0]), rows.map((r) => r.key[1]), rows.map((r) => r.key[2]), rows.map((r) => r.count)]);
  }

  private async countDeadLetters(db: EngineStatements, letters: readonly { platform: string; reason: string }[]): Promise<void> {
    const rows = countBy(letters.map((l) => [l.platform, l.reason]));
    if (rows.length === 0) return;
    await db.query('count dead letters', SQL.COUNT_DEAD_LETTERS, [rows.map((r) => r.key[0]), rows.map((r) => r.key[1]), rows.map((r) => r.count)]);
  }
}

/** The parameter of INSERT_STATE, UPDATE_STATE and UPSERT_STATE (see STATE_ROWS). */
function stateRows(states: readonly StateWrite[]): [string] {
  return [JSON.stringify(states.map((s) => [idOf(s.customer), s.lastSeenAt.getTime(), s.lastSeenPlatform, s.provenance === null ? null : JSON.stringify(s.provenance)]))];
}
