import type { Command } from 'commander';
import { migrate } from '../../runtime/migrate.js';
import { componentLogger } from '../../runtime/logger.js';
import { loadContext, type GlobalOptions } from '../context.js';

export function registerMigrateCommand(program: Command): void {
  program
    .command('migrate')
    .description('Apply pending database migrations (idempotent; safe when several instances run it at once)')
    .action(async (_options: unknown, command: Command) => {
      const { config, logger } = loadContext(command.optsWithGlobals<GlobalOptions>());
      const { applied } = await migrate(config.database.url, componentLogger(logger, 'migrate'));
      process.stdout.write(applied.length > 0 ? `applied: ${applied.join(', ')}\n` : 'schema is up to date\n');
    });
}
