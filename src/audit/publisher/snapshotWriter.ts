import type pg from 'pg';
import type { Logger } from '../../runtime/logger.js';
import { retry } from '../../runtime/retry.js';
import { inTransaction } from '../../runtime/transaction.js';
import { timestampTextExpression } from './rows.js';
import { SNAPSHOT_PREFIX } from './snapshotMessage.js';

/*
 * Writes `custsync snapshot` batches into the WAL (see snapshot.ts). Each
 * batch locks its customers and their main addresses FOR SHARE before
 * reading them, so no change to them can commit between the read and the
 * message: every change either committed before (and is in the rows) or
 * commits after the message (and is published after it).
 */

/**
 * Which customers a snapshot publishes: all, or those with the given ids
 * and/or matching an SQL predicate on `customers` (a partial snapshot, as
 * Debezium's ad-hoc incremental snapshots and Sequin's partial backfills do).
 */
export interface SnapshotFilter {
  ids?: readonly number[];
  /** Written by the operator, as Debezium's additional-conditions are: SQL on the customers columns. */
  where?: string;
}

/** Pure: the conditions a filter adds to `WHERE id > $1`, the ids (when given) being parameter `$<idsParam>`. */
export function filterConditions(filter: SnapshotFilter, idsParam: number): string {
  const parts: string[] = [];
  if (filter.ids) parts.push(`AND id = ANY($${idsParam}::int[])`);
  // In parentheses, so an OR in the predicate cannot escape the id range of the batch.
  if (filter.where !== undefined) parts.push(`AND (${filter.where})`);
  return parts.join(' ');
}

function lockCustomers(filter: SnapshotFilter): string {
  return `SELECT id, address_id FROM customers WHERE id > $1 ${filterConditions(filter, 3)} ORDER BY id LIMIT $2 FOR SHARE`;
}

function filterParams(filter: SnapshotFilter): unknown[] {
  return filter.ids ? [[...filter.ids]] : [];
}

const LOCK_ADDRESSES = `SELECT id FROM addresses WHERE id = ANY($1::int[]) ORDER BY id FOR SHARE`;

const customerColumns = ['id', 'email', 'name', 'customer_id', 'phone_local_code', 'phone_number', 'document_type', 'document_number', 'address_id'];
const addressColumns = ['id', 'address', 'number', 'complement', 'neighborhood', 'city', 'state', 'zip_code', 'country', 'ip'];

const INTEGER_COLUMNS = new Set(['id', 'address_id']);

/** `json_build_object` arguments: the ids as numbers, the rest as Postgres' text, timestamps as the stream spells them. */
function jsonColumns(alias: string, columns: readonly string[]): string {
  const plain = columns.map((c) => `'${c}', ${alias}.${c}${INTEGER_COLUMNS.has(c) ? '' : '::text'}`);
  const times = ['created_at', 'updated_at'].map((c) => `'${c}', ${timestampTextExpression(`${alias}.${c}`)}`);
  return [...plain, ...times].join(', ');
}

const EMIT = `
SELECT pg_logical_emit_message(true, '${SNAPSHOT_PREFIX}', json_agg(json_build_object(
         'customer', json_build_object(${jsonColumns('c', customerColumns)}),
         'address', CASE WHEN a.id IS NULL THEN NULL ELSE json_build_object(${jsonColumns('a', addressColumns)}) END
       ) ORDER BY c.id)::text)::text AS lsn
  FROM customers c LEFT JOIN addresses a ON a.id = c.address_id
 WHERE c.id = ANY($1::int[])`;

export interface SnapshotBatchResult {
  /** Customers written in the batch; 0 when none is left after `afterId`. */
  customers: number;
  /** The highest id of the batch: where the next one starts. */
  lastId: number;
}

/** Writes the next batch of customers (ids above `afterId`, at most `batchSize`) into the WAL as one snapshot message. */
export async function writeSnapshotBatch(pool: pg.Pool, afterId: number, batchSize: number, logger: Logger, filter: SnapshotFilter = {}): Promise<SnapshotBatchResult> {
  const lock = lockCustomers(filter);
  return retry({ maxAttempts: 5, logger, what: 'snapshot batch' }, () =>
    inTransaction(pool, { begin: 'BEGIN' }, async (client) => {
      const { rows } = await client.query<{ id: number; address_id: number | null }>(lock, [afterId, batchSize, ...filterParams(filter)]);
      const last = rows[rows.length - 1];
      if (!last) return { customers: 0, lastId: afterId };
      const addressIds = [...new Set(rows.flatMap((r) => (r.address_id === null ? [] : [r.address_id])))];
      if (addressIds.length > 0) await client.query(LOCK_ADDRESSES, [addressIds]);
      await client.query(EMIT, [rows.map((r) => r.id)]);
      return { customers: rows.length, lastId: last.id };
    }),
  );
}

/**
 * How many customers a snapshot would carry, in a read-only transaction: a
 * predicate that does not parse, names an unknown column or would write
 * fails here, before anything is published.
 */
export async function countCustomers(pool: pg.Pool, filter: SnapshotFilter = {}, afterId = 0): Promise<number> {
  return inTransaction(pool, { begin: 'BEGIN READ ONLY' }, async (client) => {
    const { rows } = await client.query<{ n: string }>(`SELECT count(*)::text AS n FROM customers WHERE id > $1 ${filterConditions(filter, 2)}`, [afterId, ...filterParams(filter)]);
    return Number(rows[0]?.n ?? 0);
  });
}
