import { randomBytes } from 'node:crypto';
import { runner } from 'node-pg-migrate';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MIGRATIONS_DIR } from '../../src/runtime/paths.js';
import { admin } from '../helpers/db.js';
import { DB_PREFIX, databaseUrl } from '../helpers/env.js';

/**
 * Migration 0009 turns the per-field provenance rows into one state row per
 * customer: what existed before must read the same through the
 * custsync.field_provenance view afterwards, and come back on the way down.
 */

const migrate = (url: string, direction: 'up' | 'down', count?: number) =>
  runner({
    databaseUrl: url,
    dir: MIGRATIONS_DIR,
    direction,
    ...(count === undefined ? {} : { count }),
    migrationsSchema: 'custsync',
    migrationsTable: 'schema_migrations',
    createMigrationsSchema: true,
    checkOrder: true,
    singleTransaction: true,
    log: () => undefined,
  });

/** The provenance rows as 0008 kept them, written by hand (triggers quiet). */
const ROWS = [
  { customer: 1, field: 'name', platform: 'hotmart', priority: 50, time: '2024-03-01 12:00:00.123456', id: 'ev-1' },
  { customer: 1, field: 'city', platform: 'hotmart', priority: 50, time: '2024-03-01 12:00:00.123456', id: 'ev-1' },
  { customer: 1, field: 'phone_number', platform: 'stripe', priority: 60, time: '2024-05-02 08:00:00.000000', id: 'evt_2' },
  { customer: 2, field: 'name', platform: 'sql:postgres', priority: null, time: '2024-06-01 10:11:12.654321', id: 'sql:991' },
];

describe('migration 0009: provenance in one state row per customer', () => {
  const name = `${DB_PREFIX}mig_${randomBytes(4).toString('hex')}`;
  const url = databaseUrl(name);
  let pool: pg.Pool;

  beforeAll(async () => {
    await admin((c) => c.query(`CREATE DATABASE ${name}`));
    await migrate(url, 'up', 8);
    pool = new pg.Pool({ connectionString: url, max: 2 });
    const client = await pool.connect();
    try {
      await client.query(`BEGIN; SELECT set_config('custsync.writer', 'test', true)`);
      await client.query(`INSERT INTO customers (id, email, name) VALUES (1, 'ana@example.com', 'Ana'), (2, 'bia@example.com', 'Bia'), (3, 'caio@example.com', 'Caio')`);
      for (const r of ROWS) {
        await client.query(
          `INSERT INTO custsync.field_provenance (customer_id, field, platform, priority, event_time, event_id, updated_at) VALUES ($1, $2, $3, $4, $5, $6, '2024-07-01 00:00:00+00')`,
          [r.customer, r.field, r.platform, r.priority, `${r.time}+00`, r.id],
        );
      }
      await client.query(`CREATE PUBLICATION ${name}_pub FOR TABLE customers, custsync.field_provenance`);
      await client.query('COMMIT');
    } finally {
      client.release();
    }
    await migrate(url, 'up');
  });
  afterAll(async () => {
    await pool.end();
    await admin((c) => c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`));
  });

  const viewRows = async () =>
    (
      await pool.query(
        `SELECT customer_id, field, platform, priority, to_char(event_time AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS.US') AS time, event_id
           FROM custsync.field_provenance ORDER BY customer_id, field`,
      )
    ).rows;
  const expected = ROWS.map((r) => ({
    customer_id: r.customer,
    field: r.field,
    platform: r.platform,
    priority: r.priority,
    time: r.time,
    event_id: r.id,
  })).sort((a, b) => a.customer_id - b.customer_id || (a.field < b.field ? -1 : 1));

  it('shows every provenance row through the view, exact to the microsecond, each source stored once', async () => {
    expect(await viewRows()).toEqual(expected);
    const { rows } = await pool.query(`SELECT customer_id, json_array_length(provenance -> 'sources') AS sources FROM custsync.customer_state ORDER BY customer_id`);
    expect(rows).toEqual([
      { customer_id: 1, sources: 2 },
      { customer_id: 2, sources: 1 },
    ]);
  });

  it('starts last seen at the newest event that set a value (hand edits are no source activity)', async () => {
    const { rows } = await pool.query(`SELECT customer_id, last_seen_at, last_seen_platform FROM custsync.customer_state ORDER BY customer_id`);
    expect(rows).toEqual([
      { customer_id: 1, last_seen_at: new Date('2024-05-02T08:00:00Z'), last_seen_platform: 'stripe' },
      { customer_id: 2, last_seen_at: null, last_seen_platform: null },
    ]);
  });

  it('publishes the state rows where the provenance rows were published', async () => {
    const { rows } = await pool.query(`SELECT schemaname, tablename FROM pg_publication_tables WHERE pubname = $1 ORDER BY 1, 2`, [`${name}_pub`]);
    expect(rows).toEqual([
      { schemaname: 'custsync', tablename: 'customer_state' },
      { schemaname: 'public', tablename: 'customers' },
    ]);
  });

  it('records a hand edit in the state row, and the way down gives the rows back', async () => {
    await pool.query(`UPDATE customers SET name = 'Caio Hand' WHERE id = 3`);
    const { rows: hand } = await pool.query(`SELECT field, platform, priority FROM custsync.field_provenance WHERE customer_id = 3`);
    expect(hand).toEqual([{ field: 'name', platform: 'sql:postgres', priority: null }]);

    const before = await viewRows();
    // down to 0008 (every migration after it), then the table holds the same rows
    const { rows: applied } = await pool.query<{ n: number }>(`SELECT count(*)::int AS n FROM custsync.schema_migrations`);
    await migrate(url, 'down', (applied[0]?.n ?? 0) - 8);
    const { rows: kind } = await pool.query(`SELECT relkind FROM pg_class WHERE oid = 'custsync.field_provenance'::regclass`);
    expect(kind).toEqual([{ relkind: 'r' }]);
    expect(await viewRows()).toEqual(before);
  });
});
