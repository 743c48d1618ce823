import { userInfo } from 'node:os';
import type { Command } from 'commander';
import { formatDuration, parseDuration } from '../../runtime/duration.js';
import { withForgetter } from '../../app/forgetter.js';
import { countInactive, inactiveCustomers, retentionCutoff, runRetention } from '../../privacy/retention.js';
import { UserError } from '../../runtime/errors.js';
import { maskEmail } from '../../runtime/mask.js';
import { countProgress } from '../countProgress.js';
import { loadContext, type GlobalOptions } from '../context.js';

export function registerRetentionCommands(program: Command): void {
  const retention = program.command('retention').description('Retention policy (retention.inactiveAfter in the configuration)');
  retention
    .command('run')
    .description(
      "Anonymize customers with no update for retention.inactiveAfter, through the same path as forget (changed_by 'Retention Policy'). " +
        'Exit 2 when no policy is configured.',
    )
    .option('--dry-run', 'list (masked) the customers that would be anonymized; change nothing', false)
    .action(async (options: { dryRun: boolean }, command: Command) => {
      const { config, logger } = loadContext(command.optsWithGlobals<GlobalOptions>());
      const policy = config.retention.inactiveAfter;
      if (policy === undefined) {
        throw new UserError('CUSTSYNC_USAGE', 'no retention policy configured: set retention.inactiveAfter (e.g. 3y) in the configuration');
      }
      const parsed = parseDuration(policy);
      if (!parsed.ok) throw new UserError('CUSTSYNC_CONFIG_INVALID', `retention.inactiveAfter: ${parsed.message}`);
      const label = formatDuration(parsed.duration);
      await withForgetter(config, logger, async (forgetter, pool) => {
        const cutoff = await retentionCutoff(pool, parsed.duration);
        const total = await countInactive(pool, cutoff);
        const since = `no activity since ${cutoff.toISOString()} (retention.inactiveAfter ${label})`;
        if (options.dryRun) {
          process.stdout.write(`dry run: ${total} customer(s) with ${since} would be anonymized\n`);
          for await (const page of inactiveCustomers(pool, cutoff, config.retention.batchSize)) {
            for (const c of page) {
              process.stdout.write(`  customer ${c.id} ${c.email === null ? '(no email)' : maskEmail(c.email)} last active ${c.lastActive.toISOString()}\n`);
            }
          }
          process.stdout.write('dry run: nothing changed\n');
          return;
        }
        const progress = countProgress(process.stderr, 'anonymizing', total);
        const result = await runRetention(pool, forgetter, {
          cutoff,
          batchSize: config.retention.batchSize,
          requester: { requestedBy: `retention run by ${userInfo().username}`, reason: since },
          onBatch: (done, r) => progress.update(Math.min(done, total), { anonymized: r.anonymized }),
        }).finally(() => progress.stop());
        logger.info({ ...result, inactiveAfter: label, cutoff: cutoff.toISOString() }, 'retention run finished');
        process.stdout.write(
          `retention: anonymized ${result.anonymized} of ${result.selected} customer(s) with ${since}, ` +
            `changed_by 'Retention Policy'; ${result.suppressionsAdded} suppression(s) recorded in ${result.batches} batch(es)\n`,
        );
      });
    });
}
