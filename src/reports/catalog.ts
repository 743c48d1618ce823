import * as SQL from './sql.js';

export interface ReportOptions {
  /** `inactive`: idle for more than this many days. */
  days: number;
  /** `changes-by-day`: the time zone whose calendar days are counted. */
  timeZone: string;
  /** `inactive`: at most this many customers (null: all). */
  limit: number | null;
}

export type ReportOptionName = keyof ReportOptions | 'reveal';

export const DEFAULT_REPORT_OPTIONS: ReportOptions = { days: 180, timeZone: 'UTC', limit: null };

export interface ReportDefinition {
  name: string;
  /** One line for `custsync report --list`. */
  description: string;
  sql: string;
  params(options: ReportOptions): unknown[];
  /** Options this report takes; the command refuses the others instead of ignoring them. */
  options: readonly ReportOptionName[];
  /** Columns holding emails, masked unless the operator asks to reveal them. */
  emailColumns: readonly string[];
}

const none = () => [];

function report(definition: Omit<ReportDefinition, 'params' | 'options' | 'emailColumns'> & Partial<ReportDefinition>): ReportDefinition {
  return { params: none, options: [], emailColumns: [], ...definition };
}

export const REPORTS: readonly ReportDefinition[] = [
  report({ name: 'changes-by-field', description: 'audit rows per changed field, most changed first', sql: SQL.CHANGES_BY_FIELD }),
  report({ name: 'changes-by-origin', description: 'audit rows per changed_by (platform, operator, database user)', sql: SQL.CHANGES_BY_ORIGIN }),
  report({
    name: 'changes-by-day',
    description: 'audit rows per calendar day, newest first (--time-zone, default UTC)',
    sql: SQL.CHANGES_BY_DAY,
    params: (o) => [o.timeZone],
    options: ['timeZone'],
  }),
  report({ name: 'completeness', description: 'data health: share of customers with a value, per customer and address column', sql: SQL.COMPLETENESS }),
  report({ name: 'value-sources', description: 'data health: who set the current values, per field and platform (provenance)', sql: SQL.VALUE_SOURCES }),
  report({ name: 'dropped-values', description: 'data health: invalid optional values dropped, by reason, field and platform', sql: SQL.DROPPED_VALUES }),
  report({ name: 'dead-letters', description: 'data health: messages dead-lettered, by reason and platform', sql: SQL.DEAD_LETTERS }),
  report({
    name: 'inactive',
    description: 'customers with no activity (no change and no event from any source) for more than --days days (default 180), longest idle first',
    sql: SQL.INACTIVE,
    params: (o) => [o.days, o.limit],
    options: ['days', 'limit', 'reveal'],
    emailColumns: ['email'],
  }),
  report({ name: 'geo-by-country', description: 'customers per country of their main address', sql: SQL.GEO_BY_COUNTRY }),
  report({ name: 'geo-by-state', description: 'customers per country and state', sql: SQL.GEO_BY_STATE }),
  report({ name: 'geo-by-city', description: 'customers per country, state and city', sql: SQL.GEO_BY_CITY }),
];

export function findReport(name: string): ReportDefinition | undefined {
  return REPORTS.find((r) => r.name === name);
}

/** The `--list` text: names aligned, one line each. */
export function reportList(): string {
  const width = Math.max(...REPORTS.map((r) => r.name.length));
  return REPORTS.map((r) => `${r.name.padEnd(width)}  ${r.description}`).join('\n') + '\n';
}
