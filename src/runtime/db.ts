import pg from 'pg';
import type { Config } from './config.js';
import type { Logger } from './logger.js';
import { CustsyncError } from './errors.js';
import { withTimeout } from './timeout.js';

// BIGINT (int8) as string is pg's default; custsync converts where it needs numbers.

export function createPool(database: Config['database'], logger: Logger, applicationName = 'custsync'): pg.Pool {
  const pool = new pg.Pool({
    connectionString: database.url,
    max: database.poolSize,
    application_name: applicationName,
    statement_timeout: database.statementTimeoutMs || undefined,
    connectionTimeoutMillis: 5_000,
    idleTimeoutMillis: 30_000,
  });
  // An idle client losing its connection must not crash the process; the next checkout reconnects.
  pool.on('error', (err) => logger.warn({ err: err.message }, 'idle Postgres connection lost'));
  return pool;
}

/** Readiness probe: a trivial query with a short deadline. */
export async function pingDatabase(pool: pg.Pool, timeoutMs = 2_000): Promise<void> {
  await withTimeout(pool.query('SELECT 1'), timeoutMs, () => new CustsyncError('CUSTSYNC_DB_UNAVAILABLE', `no answer within ${timeoutMs} ms`));
}
