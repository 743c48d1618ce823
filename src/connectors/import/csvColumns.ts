import { ADDRESS_FIELDS, CUSTOMER_FIELDS, isAddressField, isCustomerField } from '../../contract.js';
import type { AddressValues, CustomerValues } from '../../contract.js';
import { parseInstant, dateFromEpochMillis } from '../mappers/time.js';

/**
 * The CSV import format: a header row naming the generic format's fields
 * flat (`email`, the customer and address columns of the seed, `event_id`,
 * `event_time`), then one customer per record. Column order is free; only
 * `email` is required.
 */
export const CSV_COLUMNS = ['email', ...CUSTOMER_FIELDS, ...ADDRESS_FIELDS, 'event_id', 'event_time'] as const;
export type CsvColumn = (typeof CSV_COLUMNS)[number];

export class CsvHeaderError extends Error {}

/** Which field each column index holds; `null` for an ignored column. */
export interface CsvHeader {
  columns: readonly (CsvColumn | null)[];
}

function isCsvColumn(name: string): name is CsvColumn {
  return (CSV_COLUMNS as readonly string[]).includes(name);
}

/**
 * Validates the header row. Names are compared trimmed and lower-cased. An
 * unknown column is an error (a misspelt `e-mail` would otherwise drop data
 * silently) unless `ignoreUnknown`.
 */
export function parseCsvHeader(fields: readonly string[], ignoreUnknown: boolean): CsvHeader {
  const seen = new Set<string>();
  const unknown: string[] = [];
  const columns = fields.map((field, index) => {
    const name = (index === 0 ? field.replace(/^\uFEFF/, '') : field).trim().toLowerCase();
    if (!isCsvColumn(name)) {
      unknown.push(name === '' ? `(empty, column ${index + 1})` : name);
      return null;
    }
    if (seen.has(name)) throw new CsvHeaderError(`column "${name}" appears twice in the header`);
    seen.add(name);
    return name;
  });
  if (unknown.length > 0 && !ignoreUnknown) {
    throw new CsvHeaderError(
      `unknown column(s) ${unknown.map((u) => `"${u}"`).join(', ')}; valid columns: ${CSV_COLUMNS.join(', ')} (or pass --ignore-unknown-columns)`,
    );
  }
  if (!seen.has('email')) throw new CsvHeaderError('the header has no "email" column');
  return { columns };
}

export interface CsvRowValues {
  email: string;
  eventId?: string;
  eventTime?: Date;
  customer: CustomerValues;
  address: AddressValues;
}

export type CsvRowResult = { ok: true; values: CsvRowValues } | { ok: false; message: string; path?: string };

/** `event_time`: ISO-8601 with an offset (or Z), or epoch milliseconds, as in the generic JSON format. */
export function parseEventTime(text: string): Date | undefined {
  const trimmed = text.trim();
  return /^\d{1,16}$/.test(trimmed) ? dateFromEpochMillis(Number(trimmed)) : parseInstant(trimmed);
}

/**
 * Pure: one record's fields to values. Empty cells are left out (empty
 * never overwrites anyway); messages never quote a value.
 */
export function csvRowValues(fields: readonly string[], header: CsvHeader): CsvRowResult {
  if (fields.length !== header.columns.length) {
    return { ok: false, message: `expected ${header.columns.length} fields, found ${fields.length}` };
  }
  const values: CsvRowValues = { email: '', customer: {}, address: {} };
  for (let i = 0; i < fields.length; i += 1) {
    const column = header.columns[i];
    const value = fields[i] ?? '';
    if (!column || value === '') continue;
    if (column === 'email') values.email = value;
    else if (column === 'event_id') {
      if (value.length > 255) return { ok: false, message: 'event_id is longer than 255 characters', path: 'event_id' };
      values.eventId = value;
    } else if (column === 'event_time') {
      const time = parseEventTime(value);
      if (!time) return { ok: false, message: 'event_time is not an ISO-8601 date-time with an offset, nor epoch milliseconds', path: 'event_time' };
      values.eventTime = time;
    } else if (isCustomerField(column)) values.customer[column] = value;
    else if (isAddressField(column)) values.address[column] = value;
  }
  return { ok: true, values };
}
