import type pg from 'pg';
import { toCustsyncError } from './errors.js';

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
