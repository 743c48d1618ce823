import type { Pool, PoolClient } from 'pg';
import { emailHash } from '../unifier/emailHash.js';

/**
 * Right of access: everything custsync holds about one person, read in one
 * REPEATABLE READ snapshot so the parts agree with each other.
 */

const FIND_CUSTOMERS = `
SELECT id FROM customers
 WHERE lower(email) = $1 OR id IN (SELECT customer_id FROM custsync.email_aliases WHERE email = $1)
 ORDER BY id`;

const SELECT_CUSTOMER = `
SELECT id, email, name, customer_id, address_id, phone_local_code, phone_number, document_type, document_number,
       created_at, updated_at
  FROM customers WHERE id = $1`;

const SELECT_ADDRESSES = `
SELECT id, address, number, complement, neighborhood, city, state, zip_code, country, ip, created_at, updated_at
  FROM addresses WHERE id = $1 ORDER BY id`;

const SELECT_AUDIT = `
SELECT id, field_name, old_value, new_value, changed_by, reason, created_at, updated_at
  FROM customer_logs WHERE customer_id = $1 ORDER BY created_at, id`;

const SELECT_PROVENANCE = `
SELECT field, platform, priority, event_time, event_id, updated_at
  FROM custsync.field_provenance WHERE customer_id = $1 ORDER BY field`;

const SELECT_ACTIVITY = `
SELECT last_seen_at, last_seen_platform FROM custsync.customer_state WHERE customer_id = $1 AND last_seen_at IS NOT NULL`;

const SELECT_ALIASES = `
SELECT email, reason, created_at FROM custsync.email_aliases WHERE customer_id = $1 ORDER BY email`;

const SELECT_SUPPRESSION = `
SELECT reason, created_by, created_at, dropped::text AS dropped, last_dropped_at
  FROM custsync.suppressions WHERE email_hash = $1`;

type Row = Record<string, unknown>;

export interface SuppressionState {
  suppressed: boolean;
  reason?: string;
  createdBy?: string;
  createdAt?: Date;
  /** Events for this email dropped since the suppression was recorded. */
  droppedEvents?: number;
  lastDroppedAt?: Date | null;
}

export interface CustomerExport {
  customer: Row;
  mainAddress: Row | null;
  /** Every address held for the customer (the seed keeps one, the main address). */
  addresses: Row[];
  /** customer_logs, oldest first. */
  auditHistory: Row[];
  /** Which platform set each current value, when (custsync.field_provenance). */
  provenance: Row[];
  /** When a source last sent an event about the person, and which (custsync.customer_state). */
  activity: Row | null;
  /** Other emails merged into this customer. */
  aliases: Row[];
}

/** The same keys whether or not the person is found, so tools reading exports need no special case. */
export interface SubjectExport extends Omit<CustomerExport, 'customer'> {
  format: 'custsync.subject-export/v1';
  generatedAt: string;
  /** The normalized email asked about. */
  email: string;
  found: boolean;
  customer: Row | null;
  suppression: SuppressionState;
  /** Only when more than one customer matches (rows that differ only by case, made by hand in SQL). */
  otherCustomers?: CustomerExport[];
}

const NOTHING: Omit<CustomerExport, 'customer'> & { customer: null } = {
  customer: null,
  mainAddress: null,
  addresses: [],
  auditHistory: [],
  provenance: [],
  activity: null,
  aliases: [],
};

async function customerExport(client: PoolClient, id: number): Promise<CustomerExport> {
  const customer = (await client.query<Row>(SELECT_CUSTOMER, [id])).rows[0] as Row;
  const addressId = customer.address_id;
  const addresses = typeof addressId === 'number' ? (await client.query<Row>(SELECT_ADDRESSES, [addressId])).rows : [];
  return {
    customer,
    mainAddress: addresses[0] ?? null,
    addresses,
    auditHistory: (await client.query<Row>(SELECT_AUDIT, [id])).rows,
    provenance: (await client.query<Row>(SELECT_PROVENANCE, [id])).rows,
    activity: (await client.query<Row>(SELECT_ACTIVITY, [id])).rows[0] ?? null,
    aliases: (await client.query<Row>(SELECT_ALIASES, [id])).rows,
  };
}

async function suppressionState(client: PoolClient, email: string): Promise<SuppressionState> {
  const row = (await client.query<{ reason: string; created_by: string; created_at: Date; dropped: string; last_dropped_at: Date | null }>(SELECT_SUPPRESSION, [emailHash(email)])).rows[0];
  if (!row) return { suppressed: false };
  return {
    suppressed: true,
    reason: row.reason,
    createdBy: row.created_by,
    createdAt: row.created_at,
    droppedEvents: Number(row.dropped),
    lastDroppedAt: row.last_dropped_at,
  };
}

/** Exports what is held for a normalized email (directly or as an alias); `found: false` when nothing is. */
export async function exportSubject(pool: Pool, email: string, now: () => Date = () => new Date()): Promise<SubjectExport> {
  const client = await pool.connect();
  try {
    await client.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
    const ids = (await client.query<{ id: number }>(FIND_CUSTOMERS, [email])).rows.map((r) => r.id);
    const exports: CustomerExport[] = [];
    for (const id of ids) exports.push(await customerExport(client, id));
    const suppression = await suppressionState(client, email);
    await client.query('COMMIT');
    const head = { format: 'custsync.subject-export/v1' as const, generatedAt: now().toISOString(), email };
    const [first, ...others] = exports;
    if (!first) return { ...head, found: false, ...NOTHING, suppression };
    return { ...head, found: true, ...first, suppression, ...(others.length > 0 ? { otherCustomers: others } : {}) };
  } catch (err) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw err;
  } finally {
    client.release();
  }
}
