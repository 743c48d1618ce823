import type { Command } from 'commander';
import { DEFAULT_DUPLICATE_OPTIONS, duplicateRows, findDuplicates } from '../../reports/duplicates.js';
import { formatRows, type OutputFormat } from '../../reports/format.js';
import { createPool } from '../../runtime/db.js';
import { componentLogger } from '../../runtime/logger.js';
import { loadContext, type GlobalOptions } from '../context.js';
import { formatOption, fraction, positiveInt, revealOption } from '../outputOptions.js';

interface DuplicatesOptions {
  minSimilarity: number;
  limit: number;
  format: OutputFormat;
  reveal: boolean;
}

export function registerDuplicatesCommand(program: Command): void {
  program
    .command('duplicates')
    .description('List candidate duplicate customers (same document, same phone, or similar name with the same zip code), best first')
    .option('--min-similarity <s>', 'lowest name similarity (pg_trgm, 0-1) that counts, with the same zip code', fraction, DEFAULT_DUPLICATE_OPTIONS.minSimilarity)
    .option('--limit <n>', 'at most n pairs', positiveInt, DEFAULT_DUPLICATE_OPTIONS.limit)
    .addOption(formatOption())
    .addOption(revealOption())
    .action(async (options: DuplicatesOptions, command: Command) => {
      const { config, logger } = loadContext(command.optsWithGlobals<GlobalOptions>());
      const pool = createPool(config.database, componentLogger(logger, 'postgres'), 'custsync-duplicates');
      try {
        const pairs = await findDuplicates(pool, { minSimilarity: options.minSimilarity, limit: options.limit });
        if (options.reveal) logger.info({ pairs: pairs.length }, 'duplicates listed with personal data revealed');
        process.stdout.write(formatRows(duplicateRows(pairs, options.reveal), options.format));
      } finally {
        await pool.end();
      }
    });
}
