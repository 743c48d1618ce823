import type { Config } from '../runtime/config.js';
import { createPool } from '../runtime/db.js';
import { componentLogger, type Logger } from '../runtime/logger.js';
import { Forgetter } from '../privacy/Forgetter.js';
import type pg from 'pg';

/** A Forgetter on its own pool for a one-shot command (`forget`, `retention run`); the pool ends with `work`. */
export async function withForgetter<T>(config: Config, logger: Logger, work: (forgetter: Forgetter, pool: pg.Pool) => Promise<T>): Promise<T> {
  const pool = createPool(config.database, componentLogger(logger, 'postgres'), 'custsync-cli');
  try {
    return await work(createForgetter(config, pool, logger), pool);
  } finally {
    await pool.end();
  }
}

/** The Forgetter of a configuration: the daemon's forget-request consumer and the commands share it. */
export function createForgetter(config: Config, pool: pg.Pool, logger: Logger): Forgetter {
  return new Forgetter(pool, componentLogger(logger, 'forget'), { maxAttempts: config.unifier.maxAttempts });
}
