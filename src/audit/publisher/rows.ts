import type { WalRow } from '../../replication/stream.js';
import type { CustomerImage, MainAddress } from './ChangeEvent.js';

/*
 * Rows of the tables the publisher reads, typed. They come from the stream
 * (every value as Postgres' text) or from queries (ints parsed by pg,
 * timestamps selected as text with `timestampText`), so one conversion serves
 * both.
 */

export type CustomerRow = Omit<CustomerImage, 'main_address'>;
export type AddressRow = MainAddress;

export interface AuditRow {
  customerId: number;
  field: string;
  oldValue: string | null;
  newValue: string | null;
  changedBy: string | null;
  reason: string | null;
}


function text(value: unknown): string | null {
  if (value === null || value === undefined) return null;
  return typeof value === 'string' ? value : String(value);
}

const PG_UTC_TEXT = /^\d{4,}-\d\d-\d\d \d\d:\d\d:\d\d(?:\.\d{1,6})?\+00$/;

/** The last conversion: a row's two timestamps, and a customer's before and after images, often repeat one. */
let lastText = '';
let lastIso = '';

/**
 * A timestamp in one spelling whatever its origin: `2024-03-01T12:00:00.123456Z`
 * (UTC, microseconds). The stream delivers Postgres' text in UTC
 * (`2024-03-01 12:00:00.1234+00`); queries select the same text (`timestampText`).
 * Runs several times per event, so it slices rather than capturing.
 */
export function timestamp(value: unknown): string | null {
  if (value === null || value === undefined) return null;
  if (value instanceof Date) return `${value.toISOString().slice(0, -1)}000Z`;
  const raw = String(value);
  if (raw === lastText) return lastIso;
  let iso = raw; // infinity, or a session outside UTC: kept as Postgres wrote it
  if (PG_UTC_TEXT.test(raw)) {
    const space = raw.indexOf(' ');
    const end = raw.length - 3;
    const dot = raw.indexOf('.', space);
    const fraction = dot === -1 ? '' : raw.slice(dot + 1, end);
    iso = `${raw.slice(0, space)}T${raw.slice(space + 1, dot === -1 ? end : dot)}.${fraction.padEnd(6, '0')}Z`;
  }
  lastText = raw;
  lastIso = iso;
  return iso;
}

/** SQL expression giving a timestamptz as the stream's text, for `timestamp()`. */
export function timestampTextExpression(column: string): string {
  return `to_char(${column} AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS.US') || '+00'`;
}

/** A select-list item: the timestamptz column as the stream's text, under its own name. */
export function timestampText(column: string): string {
  return `${timestampTextExpression(column)} AS ${column}`;
}

function int(value: unknown): number | null {
  if (value === null || value === undefined) return null;
  return typeof value === 'number' ? value : Number(value);
}

function requiredInt(value: unknown, what: string): number {
  const n = int(value);
  if (n === null || !Number.isInteger(n)) throw new Error(`${what} is not an integer: ${String(value)}`);
  return n;
}

/** Keys in the order of the published schema (CustomerImage), written out: this runs for every row. */
export function customerRow(row: WalRow): CustomerRow {
  return {
    id: requiredInt(row.id, 'customers.id'),
    email: text(row.email),
    name: text(row.name),
    customer_id: text(row.customer_id),
    phone_local_code: text(row.phone_local_code),
    phone_number: text(row.phone_number),
    document_type: text(row.document_type),
    document_number: text(row.document_number),
    address_id: int(row.address_id),
    created_at: timestamp(row.created_at),
    updated_at: timestamp(row.updated_at),
  };
}

export function addressRow(row: WalRow): AddressRow {
  return {
    id: requiredInt(row.id, 'addresses.id'),
    address: text(row.address),
    number: text(row.number),
    complement: text(row.complement),
    neighborhood: text(row.neighborhood),
    city: text(row.city),
    state: text(row.state),
    zip_code: text(row.zip_code),
    country: text(row.country),
    ip: text(row.ip),
    created_at: timestamp(row.created_at),
    updated_at: timestamp(row.updated_at),
  };
}

export function auditRow(row: WalRow): AuditRow {
  return {
    customerId: requiredInt(row.customer_id, 'customer_logs.customer_id'),
    field: String(row.field_name),
    oldValue: text(row.old_value),
    newValue: text(row.new_value),
    changedBy: text(row.changed_by),
    reason: text(row.reason),
  };
}

/** A custsync.customer_state row: its customer and provenance document (JSON text; null when absent or unchanged TOAST). */
export function stateRow(row: WalRow | null): { customerId: number; provenance: string | null } | null {
  if (!row) return null;
  return { customerId: requiredInt(row.customer_id, 'customer_state.customer_id'), provenance: text(row.provenance) };
}
