import type { WalTableConfig } from '../../runtime/config.js';
import type { WalRow } from '../../replication/stream.js';
import { ALL_FIELDS, isAddressField, isCustomerField } from '../../contract.js';
import type { AddressValues, CustomerValues, SourcePosition } from '../../contract.js';
import { parseInstant } from '../mappers/time.js';
import { validatedRecord } from '../payload.js';
import type { DeadLetterOrigin } from '../../contract.js';
import type { Incoming } from '../../contract.js';

/**
 * Pure: a row of a configured source table (as pg's type parsers decoded it,
 * in the snapshot and in the stream alike) to what the unifier takes.
 */

export interface RowContext {
  platform: string;
  position: SourcePosition;
  eventId: string;
  /** The commit time of the row's transaction (the snapshot's time for snapshot rows). */
  commitTime: Date;
}

/** Header naming the source table on a dead letter. */
export const SOURCE_TABLE_HEADER = 'custsync.source.table';

/**
 * A cell as text: `undefined` when the stream did not carry it (an unchanged
 * TOASTed value) or it has no sensible text (bytea), so the field is left
 * alone; `null` for SQL NULL.
 */
export function cellText(value: unknown): string | null | undefined {
  if (value === undefined || value === null) return value;
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'bigint' || typeof value === 'boolean') return String(value);
  if (value instanceof Date) return Number.isNaN(value.getTime()) ? undefined : value.toISOString();
  if (Buffer.isBuffer(value)) return undefined;
  return JSON.stringify(value);
}

/** The row's event time from the configured column; the commit time when there is none or it is unreadable. */
export function rowEventTime(row: WalRow, table: WalTableConfig, commitTime: Date): Date {
  if (!table.eventTime) return commitTime;
  const value = row[table.eventTime];
  if (value instanceof Date && !Number.isNaN(value.getTime())) return value;
  if (typeof value === 'string') return parseInstant(value) ?? commitTime;
  return commitTime;
}

const mappedColumnsCache = new WeakMap<WalTableConfig, string[]>();

/** The source columns a table's mapping reads, in a stable order (the snapshot selects only these). */
export function mappedColumns(table: WalTableConfig): string[] {
  let columns = mappedColumnsCache.get(table);
  if (!columns) {
    const all = [table.columns.email, ...ALL_FIELDS.map((field) => table.columns[field]).filter((c): c is string => c !== undefined)];
    if (table.eventTime) all.push(table.eventTime);
    columns = [...new Set(all)];
    mappedColumnsCache.set(table, columns);
  }
  return columns;
}

/**
 * The row's mapped columns as JSON, for the dead-letter topic. Only those:
 * a streamed row carries every column, and the others (a password hash, say)
 * have no business in a Kafka topic. A bigint becomes its decimal text.
 */
export function rowJson(row: WalRow, table: WalTableConfig): string {
  const picked: Record<string, unknown> = {};
  for (const column of mappedColumns(table)) if (column in row) picked[column] = row[column];
  return JSON.stringify(picked, (_key, value: unknown) => (typeof value === 'bigint' ? value.toString() : value));
}

export function rowIncoming(row: WalRow, table: WalTableConfig, ctx: RowContext): Incoming {
  const origin: DeadLetterOrigin = {
    position: ctx.position,
    key: null,
    value: Buffer.from(rowJson(row, table)),
    headers: { [SOURCE_TABLE_HEADER]: table.table },
  };
  const customer: CustomerValues = {};
  const address: AddressValues = {};
  for (const field of ALL_FIELDS) {
    const column = table.columns[field];
    if (column === undefined) continue;
    const text = cellText(row[column]);
    if (text === undefined) continue;
    if (isCustomerField(field)) customer[field] = text;
    else if (isAddressField(field)) address[field] = text;
  }
  const eventTime = rowEventTime(row, table, ctx.commitTime);
  // Missing email: the normalizer rejects it as email_missing, dead-lettered like a Kafka message's.
  const email = cellText(row[table.columns.email]) ?? '';
  return validatedRecord({ email, eventId: ctx.eventId, eventTime, customer, address }, origin, { platform: ctx.platform, eventId: ctx.eventId, eventTime });
}
