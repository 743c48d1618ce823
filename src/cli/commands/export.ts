import { writeFileSync } from 'node:fs';
import type { Command } from 'commander';
import { exportSubject } from '../../privacy/exportSubject.js';
import { forgetRequest } from '../../privacy/requests.js';
import { createPool } from '../../runtime/db.js';
import { UserError } from '../../runtime/errors.js';
import { componentLogger } from '../../runtime/logger.js';
import { maskEmail } from '../../runtime/mask.js';
import { loadContext, type GlobalOptions } from '../context.js';

export function registerExportCommand(program: Command): void {
  program
    .command('export')
    .description(
      'Right of access: write everything held about a person as JSON (customer, addresses, audit history, provenance, aliases, ' +
        'suppression state). An unknown email prints found: false with its suppression state (exit 0).',
    )
    .requiredOption('--email <email>', "the person's email (any case/spacing)")
    .option('--out <file>', 'write the JSON here (mode 0600) instead of stdout')
    .action(async (options: { email: string; out?: string }, command: Command) => {
      const parsed = forgetRequest(options.email, { requestedBy: 'export' });
      if (!parsed.ok) throw new UserError('CUSTSYNC_USAGE', `--email: ${parsed.message}`);
      const { email } = parsed.request;
      const { config, logger } = loadContext(command.optsWithGlobals<GlobalOptions>());
      const pool = createPool(config.database, componentLogger(logger, 'postgres'), 'custsync-cli');
      try {
        const result = await exportSubject(pool, email);
        const json = `${JSON.stringify(result, null, 2)}\n`;
        if (options.out === undefined) {
          process.stdout.write(json);
        } else {
          writeFileSync(options.out, json, { mode: 0o600 });
          process.stderr.write(`wrote the export of ${maskEmail(email)} to ${options.out} (found: ${result.found})\n`);
        }
        logger.info({ email: maskEmail(email), found: result.found, suppressed: result.suppression.suppressed }, 'subject export written');
      } finally {
        await pool.end();
      }
    });
}
