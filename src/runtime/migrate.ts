import { runner } from 'node-pg-migrate';
import type { Logger } from './logger.js';
import { CustsyncError } from './errors.js';
import { MIGRATIONS_DIR } from './paths.js';

export interface MigrationResult {
  applied: string[];
}

/**
 * Applies pending migrations (numbered SQL files in `migrations/`) in one
 * transaction. Safe when several instances start at once: node-pg-migrate
 * holds an advisory lock and the others wait for it, then find nothing to do.
 */
export async function migrate(databaseUrl: string, logger: Logger): Promise<MigrationResult> {
  try {
    const ran = await runner({
      databaseUrl,
      dir: MIGRATIONS_DIR,
      direction: 'up',
      migrationsSchema: 'custsync',
      migrationsTable: 'schema_migrations',
      createMigrationsSchema: true,
      checkOrder: true,
      singleTransaction: true,
      advisoryLockMode: 'wait',
      logger: {
        debug: (msg: string) => logger.debug(msg),
        info: (msg: string) => logger.debug(msg),
        warn: (msg: string) => logger.warn(msg),
        // It logs what it then throws (with a stack trace); the caller reports the error once.
        error: (msg: string) => logger.debug(msg),
      },
    });
    const applied = ran.map((m) => m.name);
    return { applied };
  } catch (err) {
    throw new CustsyncError('CUSTSYNC_MIGRATION_FAILED', `migration failed: ${(err as Error).message}`, { cause: err });
  }
}
