import type { WalChange, WalMessage, WalRow, WalTransaction } from '../../../../src/replication/stream.js';

/** Builders of decoded WAL, as the publisher's stream delivers it: every value as Postgres' text (UTC). */

export const T0 = '2024-03-01 12:00:00+00';
export const T1 = '2024-03-02 08:30:00.25+00';
/** T0 and T1 as events spell them. */
export const ISO0 = '2024-03-01T12:00:00.000000Z';
export const ISO1 = '2024-03-02T08:30:00.250000Z';

/** Numbers become their text, as pgoutput sends them. */
function text(row: Record<string, unknown>): WalRow {
  return Object.fromEntries(Object.entries(row).map(([k, v]) => [k, v === null || v === undefined ? null : String(v)]));
}

export function customerRow(id: number, values: Record<string, unknown> = {}): WalRow {
  return text({
    id,
    email: `person${id}@example.com`,
    name: null,
    customer_id: null,
    address_id: null,
    created_at: T0,
    updated_at: T0,
    phone_local_code: null,
    phone_number: null,
    document_type: null,
    document_number: null,
    ...values,
  });
}

export function addressRow(id: number, values: Record<string, unknown> = {}): WalRow {
  return text({
    id,
    address: null,
    neighborhood: null,
    country: null,
    city: null,
    zip_code: null,
    complement: null,
    number: null,
    ip: null,
    created_at: T0,
    updated_at: T0,
    state: null,
    ...values,
  });
}

export function logRow(customerId: number, field: string, oldValue: string | null, newValue: string | null, changedBy: string, reason: string | null = null): WalRow {
  return text({ id: Math.floor(Math.random() * 1e6), customer_id: customerId, field_name: field, old_value: oldValue, new_value: newValue, changed_by: changedBy, reason, created_at: T1, updated_at: T1 });
}

/** Who set a field, as a test writes it: platform, event id, priority (default 50); the event time is ISO1. */
export type SetBy = [platform: string, eventId: string | null, priority?: number | null];

/**
 * A custsync.customer_state row as the stream delivers it: the provenance
 * document written out by hand (sources once each, fields pointing at them),
 * independently of the engine's encoder.
 */
export function state(customerId: number, fields: Record<string, SetBy>, provenanceText?: string | null): WalRow {
  const sources: { platform: string; priority: number | null; event_time: string; event_id: string | null }[] = [];
  const index: Record<string, number> = {};
  for (const [field, [platform, eventId, priority = 50]] of Object.entries(fields)) {
    let i = sources.findIndex((s) => s.platform === platform && s.event_id === eventId && s.priority === priority);
    if (i === -1) i = sources.push({ platform, priority, event_time: ISO1, event_id: eventId }) - 1;
    index[field] = i;
  }
  const provenance = provenanceText !== undefined ? provenanceText : JSON.stringify({ sources, fields: index });
  return text({ customer_id: customerId, provenance, last_seen_at: T1, last_seen_platform: null, updated_at: T1 });
}

const SCHEMAS: Record<string, string> = { customers: 'public', addresses: 'public', customer_logs: 'public', customer_state: 'custsync' };

export const insert = (table: string, after: WalRow): WalChange => ({ op: 'insert', schema: SCHEMAS[table] ?? 'public', table, before: null, after });
export const update = (table: string, before: WalRow, after: WalRow): WalChange => ({ op: 'update', schema: SCHEMAS[table] ?? 'public', table, before, after });
export const remove = (table: string, before: WalRow): WalChange => ({ op: 'delete', schema: SCHEMAS[table] ?? 'public', table, before, after: null });

export function transaction(changes: WalChange[], commitLsn = '0/16B3748', messages: WalMessage[] = []): WalTransaction {
  return { xid: 731, commitLsn, endLsn: '0/16B3790', commitTime: new Date('2024-03-02T08:30:00.250Z'), changes, truncated: [], messages };
}
