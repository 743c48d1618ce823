import type pg from 'pg';
import { toCustsyncError } from './errors.js';
import type { Logger } from './logger.js';
import { sleep } from './sleep.js';

export interface TransactionOptions {
  /** Statement(s) opening the transaction, e.g. BEGIN plus a `custsync.writer` setting. */
  begin: string;
  /** Roll back instead of committing (dry runs). */
  rollback?: boolean;
}

/**
 * Runs `work` in one transaction on a pooled client. The client listens for
 * 'error' while checked out (pg-pool only does while it is idle, so a
 * connection lost between two statements would otherwise be an unhandled
 * 'error' event that kills the process), and a client whose connection broke
 * is destroyed instead of returned to the pool.
 */
export async function inTransaction<T>(pool: pg.Pool, options: TransactionOptions, work: (client: pg.PoolClient) => Promise<T>): Promise<T> {
  const client = await pool.connect();
  let broken: Error | undefined;
  const onError = (err: Error) => {
    broken = err;
  };
  client.on('error', onError);
  try {
    await client.query(options.begin);
    try {
      const result = await work(client);
      await client.query(options.rollback ? 'ROLLBACK' : 'COMMIT');
      return result;
    } catch (err) {
      await client.query('ROLLBACK').catch((rollbackErr: Error) => {
        broken = rollbackErr;
      });
      throw err;
    }
  } catch (err) {
    if (toCustsyncError(err).code === 'CUSTSYNC_DB_UNAVAILABLE') broken ??= err as Error;
    throw err;
  } finally {
    client.off('error', onError);
    client.release(broken);
  }
}

export interface RetryOptions {
  maxAttempts: number;
  /** First backoff; doubled per attempt, capped at 5 s, with jitter. */
  baseMs: number;
  logger: Logger;
  /** What failed, for the log line (`batch failed; retrying`). */
  what: string;
}

/**
 * Runs `attempt` until it succeeds, retrying what a retry may cure (deadlock,
 * serialization failure, lost connection: `isRetriable`) with bounded
 * exponential backoff; anything else, or the last attempt's error, is thrown.
 * `attempt` receives the attempt number (from 1).
 */
export async function retryTransient<T>(options: RetryOptions, attempt: (n: number) => Promise<T>): Promise<T> {
  for (let n = 1; ; n += 1) {
    try {
      return await attempt(n);
    } catch (err) {
      const error = toCustsyncError(err);
      if (!error.retriable || n >= options.maxAttempts) throw error;
      const delay = Math.min(options.baseMs * 2 ** (n - 1), 5_000) * (0.5 + Math.random() / 2);
      options.logger.warn({ code: error.code, attempt: n, delayMs: Math.round(delay), err: error.message }, `${options.what} failed; retrying`);
      await sleep(delay);
    }
  }
}
