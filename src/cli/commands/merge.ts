import { userInfo } from 'node:os';
import type { Command } from 'commander';
import { mergeCustomers } from '../../unifier/merge/merge.js';
import { mergeSummary } from '../mergeSummary.js';
import { createPool } from '../../runtime/db.js';
import { rulesFromConfig } from '../../app/settings.js';
import { toCustsyncError, UserError } from '../../runtime/errors.js';
import { componentLogger } from '../../runtime/logger.js';
import { loadContext, type GlobalOptions } from '../context.js';
import { positiveInt, revealOption } from '../outputOptions.js';

interface MergeOptions {
  keep: number;
  drop: number;
  reason: string;
  operator?: string;
  dryRun: boolean;
  reveal: boolean;
}

export function registerMergeCommand(program: Command): void {
  program
    .command('merge')
    .description('Merge a duplicate customer into another under the survivorship rules, audited and reversible by hand')
    .requiredOption('--keep <id>', 'id of the customer that stays', positiveInt)
    .requiredOption('--drop <id>', 'id of the customer merged into it and deleted; its email becomes an alias', positiveInt)
    .requiredOption('--reason <text>', 'why: kept in customer_logs.reason')
    .option('--operator <name>', 'who is merging (default: the OS user)')
    .option('--dry-run', 'show what would change, write nothing', false)
    .addOption(revealOption())
    .action(async (options: MergeOptions, command: Command) => {
      if (options.reason.trim() === '') throw new UserError('CUSTSYNC_USAGE', '--reason must not be empty');
      const { config, logger } = loadContext(command.optsWithGlobals<GlobalOptions>());
      const operator = options.operator ?? userInfo().username;
      const pool = createPool(config.database, componentLogger(logger, 'postgres'), 'custsync-merge');
      try {
        const result = await mergeCustomers(pool, rulesFromConfig(config), {
          keepId: options.keep,
          dropId: options.drop,
          operator,
          reason: options.reason,
          dryRun: options.dryRun,
        }).catch((err: unknown) => {
          throw err instanceof UserError ? err : toCustsyncError(err);
        });
        if (result.committed) {
          logger.info({ keep: result.keepId, drop: result.dropId, mergeLogId: result.mergeLogId, changedFields: result.changedFields, operator }, 'customers merged');
        }
        process.stdout.write(mergeSummary(result, options.reveal));
      } finally {
        await pool.end();
      }
    });
}
