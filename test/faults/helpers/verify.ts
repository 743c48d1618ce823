import type pg from 'pg';
import { DLQ_HEADER } from '../../../src/connectors/deadLetters.js';
import { auditByEmail } from '../../helpers/state.js';
import { readState, type AuditView, type CustomerView } from '../../helpers/state.js';
import type { Outgoing } from './messages.js';
import { originKey, type Model } from './model.js';
import type { ReadMessage } from '../../helpers/kafka.js';

export interface StateReport {
  expectedCustomers: number;
  actualCustomers: number;
  missingCustomers: string[];
  unexpectedCustomers: string[];
  differentCustomers: { email: string; field: string; expected: unknown; actual: unknown }[];
  duplicateCustomers: { email: string; count: number }[];
  expectedAuditRows: number;
  actualAuditRows: number;
  /** Rows of the model a trail lacks. */
  missingAuditRows: number;
  /** Rows a trail has more often than the model (the same change written twice). */
  duplicateAuditRows: number;
  /** Rows the model does not have at all (a diverged history: counted as lost data). */
  wrongAuditRows: number;
  /** Same rows, other order. */
  reorderedTrails: string[];
  trailSamples: string[];
}

function rowKey(row: AuditView): string {
  return JSON.stringify([row.field, row.old, row.new, row.changedBy]);
}

function multiset(rows: readonly AuditView[]): Map<string, number> {
  const out = new Map<string, number>();
  for (const row of rows) out.set(rowKey(row), (out.get(rowKey(row)) ?? 0) + 1);
  return out;
}

/** customers, addresses and customer_logs against the model: exact values and exact per-customer audit trails. */
export async function compareState(pool: pg.Pool, model: Model): Promise<StateReport> {
  const state = await readState(pool);
  const expectedByEmail = new Map<string, CustomerView>(model.expected.customers.map((c) => [c.email, c]));
  const actualByEmail = new Map<string, CustomerView>();
  for (const c of state.customers) actualByEmail.set(c.email, c);
  const report: StateReport = {
    expectedCustomers: expectedByEmail.size,
    actualCustomers: state.customers.length,
    missingCustomers: [],
    unexpectedCustomers: [],
    differentCustomers: [],
    duplicateCustomers: [],
    expectedAuditRows: 0,
    actualAuditRows: state.audit.length,
    missingAuditRows: 0,
    duplicateAuditRows: 0,
    wrongAuditRows: 0,
    reorderedTrails: [],
    trailSamples: [],
  };
  for (const [email, expected] of expectedByEmail) {
    const actual = actualByEmail.get(email);
    if (!actual) {
      report.missingCustomers.push(email);
      continue;
    }
    for (const [field, value] of Object.entries(expected.values)) {
      if ((actual.values[field] ?? null) !== (value ?? null)) report.differentCustomers.push({ email, field, expected: value, actual: actual.values[field] });
    }
  }
  for (const email of actualByEmail.keys()) if (!expectedByEmail.has(email)) report.unexpectedCustomers.push(email);
  const dups = await pool.query<{ email: string; n: number }>(`SELECT lower(email) AS email, count(*)::int AS n FROM customers GROUP BY 1 HAVING count(*) > 1`);
  report.duplicateCustomers = dups.rows.map((r) => ({ email: r.email, count: r.n }));

  const actualTrails = auditByEmail(state.audit);
  for (const [email, trail] of model.expected.auditByEmail) {
    report.expectedAuditRows += trail.length;
    const actual = actualTrails.get(email) ?? [];
    if (JSON.stringify(actual) === JSON.stringify(trail)) continue;
    const want = multiset(trail);
    const have = multiset(actual);
    let missing = 0;
    let duplicate = 0;
    let wrong = 0;
    for (const [key, n] of want) missing += Math.max(0, n - (have.get(key) ?? 0));
    for (const [key, n] of have) {
      const expected = want.get(key);
      if (expected === undefined) wrong += n;
      else duplicate += Math.max(0, n - expected);
    }
    report.missingAuditRows += missing;
    report.duplicateAuditRows += duplicate;
    report.wrongAuditRows += wrong;
    if (missing === 0 && duplicate === 0 && wrong === 0) report.reorderedTrails.push(email);
    if (report.trailSamples.length < 5) {
      report.trailSamples.push(`${email}\n  expected: ${trail.map(rowKey).join('\n            ')}\n  actual:   ${actual.map(rowKey).join('\n            ')}`);
    }
  }
  for (const [email, trail] of actualTrails) if (!model.expected.auditByEmail.has(email)) report.wrongAuditRows += trail.length;
  return report;
}

export interface LiteralReport {
  checked: number;
  failures: string[];
}

/** The values the hostile generator wrote down by hand, read from Postgres. */
export async function checkLiterals(pool: pg.Pool, generated: Iterable<Outgoing>): Promise<LiteralReport> {
  const state = await readState(pool);
  const byEmail = new Map(state.customers.map((c) => [c.email, c]));
  const counts = new Map<string, number>();
  for (const c of state.customers) counts.set(c.email.toLowerCase(), (counts.get(c.email.toLowerCase()) ?? 0) + 1);
  const report: LiteralReport = { checked: 0, failures: [] };
  const show = (v: unknown) => JSON.stringify(typeof v === 'string' && v.length > 80 ? `${v.slice(0, 80)}…(${v.length})` : v);
  for (const out of generated) {
    if (out.expect.kind !== 'valid') continue;
    for (const check of out.expect.literal ?? []) {
      report.checked += 1;
      const customer = byEmail.get(check.email);
      const actual = customer ? (customer.values[check.field] ?? null) : undefined;
      if (actual !== check.value) report.failures.push(`${out.expect.what}: ${check.email} ${check.field} = ${show(actual)}, expected ${show(check.value)}`);
    }
    for (const email of out.expect.customers ?? []) {
      report.checked += 1;
      if (counts.get(email) !== 1) report.failures.push(`${out.expect.what}: ${email} exists ${counts.get(email) ?? 0} times, expected once`);
    }
    for (const email of out.expect.absent ?? []) {
      report.checked += 1;
      if (counts.has(email)) report.failures.push(`${out.expect.what}: ${email} exists, expected no such customer`);
    }
  }
  return report;
}

export interface DeadLetterReport {
  raw: number;
  unique: number;
  /** Origins dead-lettered more than once (redelivery after a crash). */
  redelivered: number;
  missing: string[];
  /** Dead letters of messages that were valid: data that should have been applied. */
  unexpected: string[];
  wrongReason: string[];
  withoutReason: string[];
  byReason: Map<string, number>;
  /** Unique dead letters by `platform / reason` (what custsync.dead_letter_counts must hold). */
  byPlatformReason: Map<string, number>;
}

/** The dead-letter topic against the malformed messages: each exactly once per origin, with the expected reason. */
export function checkDeadLetters(letters: readonly ReadMessage[], model: Model): DeadLetterReport {
  const seen = new Map<string, number>();
  const report: DeadLetterReport = {
    raw: letters.length,
    unique: 0,
    redelivered: 0,
    missing: [],
    unexpected: [],
    wrongReason: [],
    withoutReason: [],
    byReason: new Map(),
    byPlatformReason: new Map(),
  };
  for (const letter of letters) {
    const h = letter.headers;
    const origin = originKey(h[DLQ_HEADER.topic] ?? '?', h[DLQ_HEADER.partition] ?? '?', h[DLQ_HEADER.offset] ?? '?');
    const count = (seen.get(origin) ?? 0) + 1;
    seen.set(origin, count);
    if (count > 1) continue;
    const reason = h[DLQ_HEADER.reason];
    if (!reason || !h[DLQ_HEADER.error]) report.withoutReason.push(origin);
    report.byReason.set(reason ?? '(none)', (report.byReason.get(reason ?? '(none)') ?? 0) + 1);
    const counted = `${h[DLQ_HEADER.platform] ?? ''} / ${reason ?? ''}`;
    report.byPlatformReason.set(counted, (report.byPlatformReason.get(counted) ?? 0) + 1);
    const expected = model.malformed.get(origin);
    if (!expected) report.unexpected.push(`${origin} (${reason}: ${h[DLQ_HEADER.error] ?? ''})`);
    else if (expected.reason !== reason) report.wrongReason.push(`${origin} (${expected.what}): ${reason}, expected ${expected.reason}`);
  }
  report.unique = seen.size;
  report.redelivered = [...seen.values()].filter((n) => n > 1).length;
  for (const [origin, expected] of model.malformed) if (!seen.has(origin)) report.missing.push(`${origin} (${expected.what}, ${expected.reason})`);
  return report;
}

export interface ChangeReport {
  rawEvents: number;
  uniqueEvents: number;
  /** Net changes per (customer, transaction) derived from customer_logs. */
  changes: number;
  /** Found in the event of the same customer and transaction. */
  matchedExactly: number;
  /** Found only in another event of the customer (transaction ids differ). */
  matchedLoosely: number;
  missing: string[];
  /** Audit rows superseded within their own transaction (an event carries the net change only). */
  coalesced: number;
}

interface EventShape {
  event_id: string;
  key: { id: number };
  changes: { field: string; new: string | null }[];
  source: { tx_id: number };
}

/**
 * The change topic holds an event for every change: every net change of a
 * customer's field in a transaction (customer_logs grouped by customer and
 * inserting transaction, xmin) appears, with its new value, in that
 * customer's event of that transaction (events deduplicated by event_id).
 */
export async function checkChangeEvents(pool: pg.Pool, events: readonly ReadMessage[]): Promise<ChangeReport> {
  const unique = new Map<string, EventShape>();
  for (const m of events) {
    const event = JSON.parse(m.value?.toString('utf8') ?? 'null') as EventShape | null;
    if (event?.event_id) unique.set(event.event_id, event);
  }
  const byTx = new Map<string, Set<string>>();
  const byCustomer = new Map<number, Set<string>>();
  const change = (field: string, value: string | null) => JSON.stringify([field, value]);
  for (const event of unique.values()) {
    const txKey = `${event.key.id}:${event.source.tx_id}`;
    const tx = byTx.get(txKey) ?? new Set<string>();
    const customer = byCustomer.get(event.key.id) ?? new Set<string>();
    for (const c of event.changes) {
      tx.add(change(c.field, c.new));
      customer.add(change(c.field, c.new));
    }
    byTx.set(txKey, tx);
    byCustomer.set(event.key.id, customer);
  }
  const { rows } = await pool.query<{ customer_id: number; field_name: string; old_value: string | null; new_value: string | null; xid: string }>(
    `SELECT customer_id, field_name, old_value, new_value, xmin::text AS xid FROM customer_logs ORDER BY id`,
  );
  // Per (customer, transaction, field): the first old value and the last new value.
  const net = new Map<string, { customer: number; xid: string; field: string; first: string | null; last: string | null; rows: number }>();
  for (const r of rows) {
    const key = `${r.customer_id}:${r.xid}:${r.field_name}`;
    const entry = net.get(key);
    if (entry) {
      entry.last = r.new_value;
      entry.rows += 1;
    } else net.set(key, { customer: r.customer_id, xid: r.xid, field: r.field_name, first: r.old_value, last: r.new_value, rows: 1 });
  }
  const report: ChangeReport = { rawEvents: events.length, uniqueEvents: unique.size, changes: 0, matchedExactly: 0, matchedLoosely: 0, missing: [], coalesced: 0 };
  for (const entry of net.values()) {
    report.coalesced += entry.rows - 1;
    if (entry.first === entry.last) continue;
    report.changes += 1;
    const wanted = change(entry.field, entry.last);
    if (byTx.get(`${entry.customer}:${entry.xid}`)?.has(wanted)) report.matchedExactly += 1;
    else if (byCustomer.get(entry.customer)?.has(wanted)) report.matchedLoosely += 1;
    else if (report.missing.length < 50) report.missing.push(`customer ${entry.customer} tx ${entry.xid}: ${entry.field} → ${JSON.stringify(entry.last)?.slice(0, 60)}`);
    else report.missing.push('');
  }
  return report;
}

export interface CounterReport {
  droppedValues: number;
  deadLetters: number;
  differences: string[];
}

async function counts(pool: pg.Pool, sql: string): Promise<Map<string, number>> {
  const { rows } = await pool.query<{ key: string; count: string }>(sql);
  return new Map(rows.map((r) => [r.key, Number(r.count)]));
}

function diff(what: string, expected: ReadonlyMap<string, number>, actual: ReadonlyMap<string, number>): string[] {
  const out: string[] = [];
  for (const key of new Set([...expected.keys(), ...actual.keys()])) {
    const want = expected.get(key) ?? 0;
    const have = actual.get(key) ?? 0;
    if (want !== have) out.push(`${what} ${key}: ${have}, expected ${want}`);
  }
  return out;
}

/**
 * custsync's own counters are written in the batch's transaction, so they too
 * must be exact despite kills and redeliveries: custsync.dropped_values
 * equals the values the model dropped, custsync.dead_letter_counts the
 * unique dead letters.
 */
export async function checkCounters(pool: pg.Pool, model: Model, letters: DeadLetterReport): Promise<CounterReport> {
  const dropped = new Map<string, number>();
  for (const record of model.records) {
    for (const d of record.dropped) {
      const key = `${record.platform} / ${d.field} / ${d.reason}`;
      dropped.set(key, (dropped.get(key) ?? 0) + 1);
    }
  }
  const actualDropped = await counts(pool, `SELECT concat_ws(' / ', platform, field, reason) AS key, count::text FROM custsync.dropped_values`);
  const actualLetters = await counts(pool, `SELECT concat_ws(' / ', platform, reason) AS key, count::text FROM custsync.dead_letter_counts`);
  return {
    droppedValues: [...dropped.values()].reduce((a, b) => a + b, 0),
    deadLetters: [...letters.byPlatformReason.values()].reduce((a, b) => a + b, 0),
    differences: [...diff('custsync.dropped_values', dropped, actualDropped), ...diff('custsync.dead_letter_counts', letters.byPlatformReason, actualLetters)],
  };
}
