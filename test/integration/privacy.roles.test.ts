import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freshDatabase, type TestDatabase } from '../helpers/db.js';
import { testEngine } from '../helpers/engine.js';
import { person, seedPerson, STORED, testForgetter } from '../helpers/privacy.js';

describe('least privilege: custsync_readonly and the masked views', () => {
  let db: TestDatabase;
  const ana = person('ana');

  /** Runs `work` as custsync_readonly in a transaction that is rolled back. */
  async function asReadonly<T>(work: (client: pg.PoolClient) => Promise<T>): Promise<T> {
    const client = await db.pool.connect();
    try {
      await client.query('BEGIN');
      await client.query('SET LOCAL ROLE custsync_readonly');
      return await work(client);
    } finally {
      await client.query('ROLLBACK');
      client.release();
    }
  }

  beforeAll(async () => {
    db = await freshDatabase();
    // every initial value audited too, so the masked view is checked on a row of every field
    await seedPerson(testEngine(db.pool, undefined, undefined, { logInitialValues: true }), ana, 'roles');
  });
  afterAll(async () => {
    await db.drop();
  });

  it('exists as a NOLOGIN role', async () => {
    const { rows } = await db.pool.query(`SELECT rolcanlogin FROM pg_roles WHERE rolname = 'custsync_readonly'`);
    expect(rows).toEqual([{ rolcanlogin: false }]);
  });

  it('reads customers_masked: masked email, initials, last two digits, analytical address fields only', async () => {
    const rows = await asReadonly(async (c) => (await c.query('SELECT * FROM customers_masked')).rows);
    expect(rows).toEqual([
      {
        id: expect.any(Number),
        email: 'a***@e***.com',
        name: 'A. S. J.',
        customer_id: '*********91', // hot-ana-991
        created_at: expect.any(Date),
        updated_at: expect.any(Date),
        phone_local_code: STORED.phoneLocal,
        phone_number: '*******67',
        document_type: 'CPF',
        document_number: '*********25',
        city: 'Uberlândia',
        state: 'MG',
        country: 'BR',
        pseudonymized: false,
      },
    ]);
  });

  it('reads customer_logs_masked without a personal value in it', async () => {
    const rows = await asReadonly(async (c) => (await c.query('SELECT field_name, old_value, new_value, changed_by FROM customer_logs_masked ORDER BY id')).rows);
    expect(rows.length).toBeGreaterThan(10);
    expect(rows.find((r) => r.field_name === 'name' && r.old_value !== null)).toMatchObject({ old_value: 'A. S.', new_value: 'A. S. J.', changed_by: 'stripe' });
    expect(rows.find((r) => r.field_name === 'city')).toMatchObject({ new_value: 'Uberlândia' });
    expect(rows.find((r) => r.field_name === 'address')).toMatchObject({ new_value: '***' });
    const text = JSON.stringify(rows);
    for (const value of [ana.email, 'Souza', STORED.document, STORED.phoneNumber, ana.customerId, ana.street, '203.0.113.7', '38405-142']) {
      expect(text, value).not.toContain(value);
    }
  });

  it.each(['customers', 'addresses', 'customer_logs', 'custsync.suppressions', 'custsync.customer_state', 'custsync.field_provenance', 'custsync.email_aliases'])(
    'cannot select %s',
    async (table) => {
      await expect(asReadonly((c) => c.query(`SELECT * FROM ${table} LIMIT 1`))).rejects.toThrow(/permission denied/);
    },
  );

  it('cannot write, not even through the views', async () => {
    const { rows } = await db.pool.query(
      `SELECT has_table_privilege('custsync_readonly', t, 'INSERT,UPDATE,DELETE,TRUNCATE') AS writes FROM unnest(ARRAY['customers_masked', 'customer_logs_masked', 'customers']) AS t`,
    );
    expect(rows.map((r) => r.writes)).toEqual([false, false, false]);
    await expect(asReadonly((c) => c.query(`DELETE FROM customers_masked`))).rejects.toThrow(/permission denied|cannot delete/);
  });

  it('shows a forgotten customer as pseudonymized', async () => {
    await testForgetter(db.pool).forgetEmails([{ email: ana.email, requestedBy: 'dpo' }]);
    const rows = await asReadonly(async (c) => (await c.query('SELECT email, name, pseudonymized, city FROM customers_masked')).rows);
    expect(rows).toEqual([{ email: 'd***@a***.com', name: 'A. C.', pseudonymized: true, city: 'Uberlândia' }]);
  });
});
