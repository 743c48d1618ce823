import type { Command } from 'commander';
import { replayDeadLetters } from '../../connectors/deadLetterReplay.js';
import { createKafka } from '../../connectors/kafka/client.js';
import { UserError } from '../../runtime/errors.js';
import { componentLogger } from '../../runtime/logger.js';
import { loadContext, type GlobalOptions } from '../context.js';

interface ReplayOptions {
  since?: string;
  reason?: string;
  dryRun?: boolean;
}

export function registerDeadLetterCommands(program: Command): void {
  const dlq = program.command('dlq').description('Dead-letter topic operations');
  dlq
    .command('replay')
    .description('Re-inject dead letters into the topics they came from (after a fix); the daemon then consumes them again')
    .option('--since <time>', 'only dead letters written at or after this ISO-8601 time')
    .option('--reason <reason>', 'only dead letters with this reason (e.g. mapping_failed, schema_invalid)')
    .option('--dry-run', 'count what would be replayed, produce nothing')
    .action(async (options: ReplayOptions, command: Command) => {
      const { config, logger } = loadContext(command.optsWithGlobals<GlobalOptions>());
      let since: Date | undefined;
      if (options.since !== undefined) {
        since = new Date(options.since);
        if (Number.isNaN(since.getTime())) throw new UserError('CUSTSYNC_USAGE', `--since: not an ISO-8601 time: ${options.since}`);
      }
      const kafka = createKafka(config.kafka, componentLogger(logger, 'kafkajs'), '-dlq-replay');
      const result = await replayDeadLetters(kafka, config.kafka.deadLetterTopic, { since, reason: options.reason, dryRun: options.dryRun }, componentLogger(logger, 'dlq-replay'));
      const topics = Object.entries(result.byTopic).map(([t, n]) => `${t}: ${n}`).join(', ') || 'none';
      process.stdout.write(
        `${options.dryRun ? 'would replay' : 'replayed'} ${options.dryRun ? result.matched - result.notReplayable : result.replayed} of ${result.scanned} dead letters ` +
          `(${result.matched} matched the filters; ${result.notReplayable} not from Kafka, left alone); by topic: ${topics}\n`,
      );
    });
}
