import type pg from 'pg';

export interface CustomerView {
  email: string;
  values: Record<string, string | null>;
}

export interface AuditView {
  email: string;
  field: string;
  old: string | null;
  new: string | null;
  changedBy: string | null;
}

/**
 * The observable state, without surrogate ids and timestamps, so two
 * databases that applied the same records in different ways compare equal.
 */
export async function readState(pool: pg.Pool): Promise<{ customers: CustomerView[]; audit: AuditView[] }> {
  const customers = await pool.query<Record<string, string | null>>(`
    SELECT c.email, c.name, c.customer_id, c.phone_local_code, c.phone_number, c.document_type, c.document_number,
           a.address, a.number, a.complement, a.neighborhood, a.city, a.state, a.zip_code, a.country, a.ip
      FROM customers c LEFT JOIN addresses a ON a.id = c.address_id
     ORDER BY c.email`);
  const audit = await pool.query<{ email: string; field_name: string; old_value: string | null; new_value: string | null; changed_by: string | null }>(`
    SELECT c.email, l.field_name, l.old_value, l.new_value, l.changed_by
      FROM customer_logs l JOIN customers c ON c.id = l.customer_id
     ORDER BY l.id`);
  return {
    customers: customers.rows.map(({ email, ...values }) => ({ email: email ?? '', values })),
    audit: audit.rows.map((r) => ({ email: r.email, field: r.field_name, old: r.old_value, new: r.new_value, changedBy: r.changed_by })),
  };
}

export interface StateView {
  email: string;
  /** field → "platform/priority/event time/event id" of who set it (custsync.field_provenance). */
  provenance: Record<string, string>;
  lastSeenAt: string | null;
  lastSeenPlatform: string | null;
}

/** Each customer's custsync state (provenance and activity), without surrogate ids, by email. */
export async function readCustomerState(pool: pg.Pool): Promise<StateView[]> {
  const { rows } = await pool.query<{ email: string; provenance: Record<string, string> | null; last_seen_at: Date | null; last_seen_platform: string | null }>(`
    SELECT c.email, s.last_seen_at, s.last_seen_platform,
           (SELECT jsonb_object_agg(p.field, concat_ws('/', p.platform, p.priority, p.event_time, p.event_id))
              FROM custsync.field_provenance p WHERE p.customer_id = c.id) AS provenance
      FROM customers c LEFT JOIN custsync.customer_state s ON s.customer_id = c.id
     ORDER BY c.email`);
  return rows.map((r) => ({
    email: r.email,
    provenance: r.provenance ?? {},
    lastSeenAt: r.last_seen_at?.toISOString() ?? null,
    lastSeenPlatform: r.last_seen_platform,
  }));
}

export async function truncateAll(pool: pg.Pool): Promise<void> {
  await pool.query(`TRUNCATE customer_logs, customers, addresses, custsync.customer_state, custsync.source_positions, custsync.dropped_values, custsync.dead_letter_counts RESTART IDENTITY CASCADE`);
}

/** Groups `readState`'s audit rows per customer, keeping their order. */
export function auditByEmail(rows: readonly AuditView[]): Map<string, AuditView[]> {
  const out = new Map<string, AuditView[]>();
  for (const row of rows) {
    const list = out.get(row.email) ?? [];
    list.push(row);
    out.set(row.email, list);
  }
  return out;
}
