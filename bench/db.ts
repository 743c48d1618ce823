import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { pino } from 'pino';
import { migrate } from '../src/runtime/migrate.js';

export const PG_ADMIN_URL = process.env.CUSTSYNC_BENCH_PG_URL ?? 'postgres://postgres@127.0.0.1:55432/postgres';

/** A fresh, migrated database for one benchmark run; `drop()` removes it. */
export async function benchDatabase(prefix = 'custsync_bench'): Promise<{ name: string; url: string; pool: pg.Pool; drop: () => Promise<void> }> {
  const name = `${prefix}_${randomBytes(4).toString('hex')}`;
  const admin = new pg.Client({ connectionString: PG_ADMIN_URL });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  const url = new URL(PG_ADMIN_URL);
  url.pathname = `/${name}`;
  await migrate(url.toString(), pino({ level: 'silent' }));
  const pool = new pg.Pool({ connectionString: url.toString(), max: 8 });
  return {
    name,
    url: url.toString(),
    pool,
    drop: async () => {
      await pool.end();
      const c = new pg.Client({ connectionString: PG_ADMIN_URL });
      await c.connect();
      await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await c.end();
    },
  };
}

export function rate(count: number, ms: number): string {
  return Math.round((count / ms) * 1000).toLocaleString('en-US');
}
