import type { TableRef } from '../../replication/slots.js';
import type { WalChange, WalRow, WalTransaction } from '../../replication/stream.js';
import { parseSnapshotMessage, SNAPSHOT_PREFIX, type SnapshotRow } from './snapshotMessage.js';
import { addressRow, auditRow, customerRow, stateRow, type AddressRow, type AuditRow, type CustomerRow } from './rows.js';

/** The tables the publication carries. */
export const PUBLISHED_TABLES: readonly TableRef[] = [
  { schema: 'public', table: 'customers' },
  { schema: 'public', table: 'addresses' },
  { schema: 'public', table: 'customer_logs' },
  { schema: 'custsync', table: 'customer_state' },
];

/** Tables whose updates and deletes must carry full before-images. */
export const FULL_IDENTITY_TABLES: readonly TableRef[] = PUBLISHED_TABLES.slice(0, 2);

/** The customer_logs field name of the seed's pseudonymization audit row. */
export const PSEUDONYMIZATION_FIELD = 'pseudonymization';

/** A row as it was before the transaction and as the transaction left it (null: absent). */
export interface RowHistory<R> {
  before: R | null;
  after: R | null;
}

/** The transaction's identity and commit; its row changes are not kept (a queued digest holds only what events need). */
export type CommitInfo = Pick<WalTransaction, 'xid' | 'commitLsn' | 'endLsn' | 'commitTime'>;

/** What one transaction did, per customer and per address, in first-touched order. */
export interface TransactionDigest {
  tx: CommitInfo;
  customers: Map<number, RowHistory<CustomerRow>>;
  addresses: Map<number, RowHistory<AddressRow>>;
  /** customer_logs rows inserted, per customer, in order. */
  audit: Map<number, AuditRow[]>;
  /**
   * The provenance document (custsync.customer_state, as JSON text) of each
   * customer whose state row this transaction wrote; null when it wrote none
   * or deleted it. Parsed only for customers that get an event: most state
   * writes only move last seen.
   */
  provenance: Map<number, string | null>;
  /** Customers with the pseudonymization audit row in this transaction. */
  pseudonymized: Set<number>;
  /** customers or addresses truncated (TRUNCATE carries no rows: no events). */
  truncated: TableRef[];
  /** Customers a snapshot batch in this transaction carries (`custsync snapshot`), in order. */
  snapshot: Map<number, SnapshotRow>;
  /** Messages under the snapshot prefix that could not be read, with the reason. */
  invalidSnapshots: { lsn: string; reason: string }[];
}

function track<R extends { id: number }>(histories: Map<number, RowHistory<R>>, change: WalChange, parse: (row: WalRow) => R): void {
  const before = change.before ? parse(change.before) : null;
  const after = change.after ? parse(change.after) : null;
  const id = (after ?? before)?.id;
  if (id === undefined) return;
  const known = histories.get(id);
  if (known) known.after = after;
  // A first update without an old row (identity not FULL) has no before-image: the after-image is the best guess.
  else histories.set(id, { before: change.op === 'insert' ? null : (before ?? after), after });
}

function push<K, V>(map: Map<K, V[]>, key: K, value: V): void {
  const list = map.get(key);
  if (list) list.push(value);
  else map.set(key, [value]);
}

/** Pure: folds a transaction's row changes into per-customer and per-address histories. */
export function digestTransaction(tx: WalTransaction): TransactionDigest {
  const digest: TransactionDigest = {
    tx: { xid: tx.xid, commitLsn: tx.commitLsn, endLsn: tx.endLsn, commitTime: tx.commitTime },
    customers: new Map(),
    addresses: new Map(),
    audit: new Map(),
    provenance: new Map(),
    pseudonymized: new Set(),
    truncated: tx.truncated.filter((t) => t.schema === 'public' && (t.table === 'customers' || t.table === 'addresses')),
    snapshot: new Map(),
    invalidSnapshots: [],
  };
  for (const message of tx.messages) {
    if (message.prefix !== SNAPSHOT_PREFIX) continue;
    const parsed = parseSnapshotMessage(message);
    if (!parsed.ok) digest.invalidSnapshots.push({ lsn: message.lsn, reason: parsed.message });
    else for (const row of parsed.rows) digest.snapshot.set(row.customer.id, row);
  }
  for (const change of tx.changes) {
    const table = `${change.schema}.${change.table}`;
    if (table === 'public.customers') track(digest.customers, change, customerRow);
    else if (table === 'public.addresses') track(digest.addresses, change, addressRow);
    else if (table === 'public.customer_logs') {
      // Updates and deletes (the scrub of a forgotten customer's audit trail, cascades) are not customer changes.
      if (change.op !== 'insert' || !change.after) continue;
      const row = auditRow(change.after);
      push(digest.audit, row.customerId, row);
      if (row.field === PSEUDONYMIZATION_FIELD) digest.pseudonymized.add(row.customerId);
    } else if (table === 'custsync.customer_state') {
      const row = stateRow(change.after ?? change.before);
      if (row) digest.provenance.set(row.customerId, change.after ? row.provenance : null);
    }
  }
  return digest;
}

/** What the assembler needs from outside the transaction. */
export interface LookupsNeeded {
  /** Main addresses of the transaction's customers that the transaction did not write. */
  addressIds: number[];
  /** Addresses the transaction changed while none of its customer rows points to them (hand edits of an address alone). */
  ownerAddressIds: number[];
}

export function lookupsNeeded(digest: TransactionDigest): LookupsNeeded {
  const addressIds = new Set<number>();
  const referenced = new Set<number>();
  for (const { before, after } of digest.customers.values()) {
    for (const row of [before, after]) {
      if (row?.address_id === null || row?.address_id === undefined) continue;
      referenced.add(row.address_id);
      if (!digest.addresses.has(row.address_id)) addressIds.add(row.address_id);
    }
  }
  const ownerAddressIds = [...digest.addresses.keys()].filter((id) => !referenced.has(id));
  return { addressIds: [...addressIds], ownerAddressIds };
}
