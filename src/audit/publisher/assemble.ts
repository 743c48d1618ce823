import { ADDRESS_FIELDS, CUSTOMER_FIELDS } from '../../contract.js';
import { SCHEMA_VERSION, type ChangeEvent, type CustomerImage, type EventSource, type FieldChange, type MainAddress, type TrackedField } from './ChangeEvent.js';
import type { RowHistory, TransactionDigest } from './digest.js';
import { provenanceSources, type ProvenanceSource } from '../../unifier/provenanceJson.js';
import type { AddressRow, AuditRow, CustomerRow } from './rows.js';

/** State from outside the transaction (the publisher's address cache and queries). */
export interface Lookups {
  /** The address as it was before the transaction (see docs/change-events.md for how exact that is). */
  address(id: number): AddressRow | undefined;
  /** Customers whose main address is `addressId`. */
  owners(addressId: number): readonly CustomerRow[];
}

export interface EventContext {
  database: string;
  slot: string;
  /** Epoch ms written to ts_ms. */
  now: number;
}

/** The event id: the same for every re-publication of the same change. */
export function eventId(commitLsn: string, customerId: number): string {
  return `${commitLsn}:${customerId}`;
}

const CUSTOMER_TRACKED = ['email', ...CUSTOMER_FIELDS] as const;

function image(customer: CustomerRow | null, address: MainAddress | null): CustomerImage | null {
  return customer ? { ...customer, main_address: address } : null;
}

/** Personal values nulled; ids and timestamps kept. */
function withoutPersonalData(customer: CustomerImage | null): CustomerImage | null {
  if (!customer) return null;
  const out: CustomerImage = { ...customer, email: null };
  for (const field of CUSTOMER_FIELDS) out[field] = null;
  if (customer.main_address) {
    const address = { ...customer.main_address };
    for (const field of ADDRESS_FIELDS) address[field] = null;
    out.main_address = address;
  }
  return out;
}

/** The columns a tracked-field diff does not look at: ids and timestamps. */
function sameUntracked(a: CustomerImage, b: CustomerImage): boolean {
  const x = a.main_address;
  const y = b.main_address;
  return (
    a.address_id === b.address_id &&
    a.created_at === b.created_at &&
    a.updated_at === b.updated_at &&
    (x === y || (x !== null && y !== null && x.id === y.id && x.created_at === y.created_at && x.updated_at === y.updated_at))
  );
}

/** The provenance document the transaction wrote for a customer, per field (empty when it wrote none). */
function provenanceOf(text: string | null | undefined): Map<string, ProvenanceSource> {
  if (text === null || text === undefined) return new Map();
  try {
    return provenanceSources(JSON.parse(text));
  } catch {
    return new Map(); // a document custsync did not write (a hand edit of the state row): the fields show no provenance
  }
}

/** The fields whose values differ, with who changed them (the last audit row of the field) and their provenance. */
function diff(before: CustomerImage | null, after: CustomerImage | null, audit: readonly AuditRow[], provenance: Map<string, ProvenanceSource>, soleWriter: string | null): FieldChange[] {
  const changes: FieldChange[] = [];
  const add = (field: TrackedField, oldValue: string | null, newValue: string | null) => {
    let last: AuditRow | undefined;
    for (const row of audit) if (row.field === field) last = row;
    const row = provenance.get(field);
    changes.push({
      field,
      old: oldValue,
      new: newValue,
      // A writer that audits once per customer (pseudonymization) names itself for every field.
      changed_by: last?.changedBy ?? soleWriter,
      reason: last?.reason ?? null,
      provenance: row ? { platform: row.platform, priority: row.priority, event_time: row.event_time, event_id: row.event_id } : null,
    });
  };
  for (const field of CUSTOMER_TRACKED) {
    const oldValue = before ? before[field] : null;
    const newValue = after ? after[field] : null;
    if (oldValue !== newValue) add(field, oldValue, newValue);
  }
  const oldAddress = before?.main_address ?? null;
  const newAddress = after?.main_address ?? null;
  if (oldAddress !== newAddress) {
    for (const field of ADDRESS_FIELDS) {
      const oldValue = oldAddress ? oldAddress[field] : null;
      const newValue = newAddress ? newAddress[field] : null;
      if (oldValue !== newValue) add(field, oldValue, newValue);
    }
  }
  return changes;
}

function changedByOf(audit: readonly AuditRow[]): string[] {
  const out: string[] = [];
  for (const row of audit) if (row.changedBy !== null && !out.includes(row.changedBy)) out.push(row.changedBy);
  return out;
}

/** The sources of the changed values, each once, in field order. */
function sourcesOf(changes: readonly FieldChange[]): ChangeEvent['sources'] {
  const out: ChangeEvent['sources'] = [];
  for (const { provenance: row } of changes) {
    if (row && !out.some((s) => s.platform === row.platform && s.event_id === row.event_id)) out.push({ platform: row.platform, event_id: row.event_id });
  }
  return out;
}

/**
 * Pure: one event per customer the transaction changed, in the order the
 * transaction first touched them. A customer is changed when its row was
 * inserted, updated or deleted, or when its main address row changed; an
 * update that left every column as it was is no change. Then one `r` event
 * per customer of a snapshot batch the transaction carries (see snapshot.ts).
 */
export function assembleEvents(digest: TransactionDigest, lookups: Lookups, context: EventContext): ChangeEvent[] {
  const { tx } = digest;
  const histories = new Map<number, RowHistory<CustomerRow>>(digest.customers);
  const referenced = new Set<number>();
  for (const { before, after } of histories.values()) {
    if (before?.address_id != null) referenced.add(before.address_id);
    if (after?.address_id != null) referenced.add(after.address_id);
  }
  for (const addressId of digest.addresses.keys()) {
    if (referenced.has(addressId)) continue;
    for (const owner of lookups.owners(addressId)) if (!histories.has(owner.id)) histories.set(owner.id, { before: owner, after: owner });
  }
  const addressAt = (id: number | null, side: 'before' | 'after'): AddressRow | null => {
    if (id === null) return null;
    const history = digest.addresses.get(id);
    return history ? history[side] : (lookups.address(id) ?? null);
  };
  const source: EventSource = {
    connector: 'custsync',
    db: context.database,
    schema: 'public',
    table: 'customers',
    slot: context.slot,
    lsn: tx.commitLsn,
    tx_id: tx.xid,
    ts_ms: tx.commitTime.getTime(),
    commit_time: tx.commitTime.toISOString(),
  };

  const events: ChangeEvent[] = [];
  for (const [id, history] of histories) {
    let before = image(history.before, addressAt(history.before?.address_id ?? null, 'before'));
    const after = image(history.after, addressAt(history.after?.address_id ?? null, 'after'));
    if (!before && !after) continue; // created and deleted by the same transaction
    const op = !before ? 'c' : !after ? 'd' : 'u';
    const audit = digest.audit.get(id) ?? [];
    const changedBy = changedByOf(audit);
    const changes = op === 'd' ? [] : diff(before, after, audit, provenanceOf(digest.provenance.get(id)), changedBy.length === 1 ? (changedBy[0] ?? null) : null);
    if (op === 'u' && changes.length === 0 && before && after && sameUntracked(before, after)) continue;
    const pseudonymized = digest.pseudonymized.has(id);
    if (pseudonymized) {
      before = withoutPersonalData(before);
      for (const change of changes) change.old = null;
    }
    events.push({
      schema_version: SCHEMA_VERSION,
      event_id: eventId(tx.commitLsn, id),
      op,
      key: { id },
      before,
      after,
      changes,
      changed_by: changedBy,
      sources: sourcesOf(changes),
      pseudonymized,
      source,
      ts_ms: context.now,
    });
  }
  for (const [id, { customer, address }] of digest.snapshot) {
    if (histories.has(id)) continue; // changed by the same transaction: its event already carries the whole customer
    events.push({
      schema_version: SCHEMA_VERSION,
      event_id: eventId(tx.commitLsn, id),
      op: 'r',
      key: { id },
      before: null,
      after: image(customer, address),
      changes: [],
      changed_by: [],
      sources: [],
      pseudonymized: false,
      source,
      ts_ms: context.now,
    });
  }
  return events;
}
