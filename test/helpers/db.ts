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
export async function admin<T>(work: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: PG_ADMIN_URL });
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
