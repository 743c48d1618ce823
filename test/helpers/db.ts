import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { DB_PREFIX, PG_ADMIN_URL, TEMPLATE_DB, databaseUrl } from './env.js';

export interface TestDatabase {
  name: string;
  url: string;
  pool: pg.Pool;
  /** Closes the pool and drops the database. */
  drop(): Promise<void>;
}

/** Runs `work` on a short-lived connection to the cluster's `postgres` database. */
export async function admin<T>(work: (client: pg.Client) => Promise<T>, adminUrl = PG_ADMIN_URL): Promise<T> {
  const client = new pg.Client({ connectionString: adminUrl, connectionTimeoutMillis: 5_000 });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

/** application_name of the test pools' connections, so `drop` can wait for them to close. */
const POOL_APPLICATION = 'custsync-test-pool';

/** A fresh, migrated database cloned from the run's template (graphile-worker's pattern). */
export async function freshDatabase(): Promise<TestDatabase> {
  const name = `${DB_PREFIX}${randomBytes(5).toString('hex')}`;
  await admin((c) => c.query(`CREATE DATABASE ${name} TEMPLATE ${TEMPLATE_DB}`));
  const url = databaseUrl(name);
  const pool = new pg.Pool({ connectionString: url, max: 10, application_name: POOL_APPLICATION });
  return {
    name,
    url,
    pool,
    drop: async () => {
      await pool.end();
      await admin(async (c) => {
        // pool.end() resolves before its connections have closed; a backend FORCE terminates
        // first would send its FATAL to a client nobody listens to any more (an uncaught error).
        for (let waited = 0; waited < 3_000; waited += 20) {
          const { rows } = await c.query<{ n: number }>('SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = $1 AND application_name = $2', [name, POOL_APPLICATION]);
          if (rows[0]?.n === 0) break;
          await new Promise((r) => setTimeout(r, 20));
        }
        await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      });
    },
  };
}

/** An empty database (no migrations), for migration tests. */
export async function emptyDatabase(): Promise<Omit<TestDatabase, 'pool'>> {
  const name = `${DB_PREFIX}${randomBytes(5).toString('hex')}`;
  await admin((c) => c.query(`CREATE DATABASE ${name}`));
  return {
    name,
    url: databaseUrl(name),
    drop: () => admin((c) => c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`)).then(() => undefined),
  };
}

/**
 * Drops every replication slot of a database, ending the walsenders that hold
 * them first: a database with a slot cannot be dropped.
 */
export async function dropSlotsOf(database: string, adminUrl = PG_ADMIN_URL): Promise<void> {
  await admin(async (client) => {
    for (let attempt = 0; attempt < 50; attempt += 1) {
      await client.query(`SELECT pg_terminate_backend(active_pid) FROM pg_replication_slots WHERE database = $1 AND active_pid IS NOT NULL`, [database]);
      const { rows } = await client.query<{ slot_name: string; active: boolean }>(`SELECT slot_name, active FROM pg_replication_slots WHERE database = $1`, [database]);
      if (rows.length === 0) return;
      for (const slot of rows.filter((r) => !r.active)) {
        await client.query(`SELECT pg_drop_replication_slot($1)`, [slot.slot_name]).catch(() => undefined);
      }
      await new Promise((r) => setTimeout(r, 100));
    }
    throw new Error(`could not drop the replication slots of ${database}`);
  }, adminUrl);
}

/** Drops a database whatever holds it: its replication slots first, then its sessions (FORCE). */
export async function dropDatabase(name: string, adminUrl = PG_ADMIN_URL): Promise<void> {
  await dropSlotsOf(name, adminUrl);
  await admin((c) => c.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`), adminUrl);
}
