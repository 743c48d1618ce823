import type { Command } from 'commander';
import { formatRows, type OutputFormat } from '../../reports/format.js';
import { createKafka } from '../../connectors/kafka/client.js';
import { applyReset, listPositions, parseResetTarget, planReset, type PositionRow, type ResetPlan } from '../../connectors/kafka/positions.js';
import { createPool } from '../../runtime/db.js';
import { PositionStore } from '../../unifier/PositionStore.js';
import { componentLogger } from '../../runtime/logger.js';
import { loadContext, type GlobalOptions } from '../context.js';
import { formatOption, nonNegativeInt } from '../outputOptions.js';

function listRows(rows: readonly PositionRow[]) {
  return rows.map((r) => ({
    stream: r.stream,
    partition: r.partition,
    stored: r.stored,
    committed: r.committed ?? null,
    low: r.low ?? null,
    high: r.high ?? null,
    lag: r.high !== undefined && r.stored !== null ? Math.max(Number(BigInt(r.high) - BigInt(r.stored)), 0) : null,
    state: r.state,
    topic_id: r.topicId ?? r.storedTopicId,
    stored_topic_id: r.storedTopicId,
    updated_at: r.updatedAt,
  }));
}

function planText(plan: ResetPlan, applied: boolean): string {
  const lines = [`${applied ? 'reset' : 'would reset (dry run; --yes applies it)'} ${plan.stream}, consumer group ${plan.groupId}${plan.topicId ? `, topic id ${plan.topicId}` : ''}:`];
  for (const c of plan.changes) {
    lines.push(`  [${c.partition}] stored ${c.storedBefore ?? '(none)'} -> ${c.next}; committed ${c.committedBefore ?? '(none)'} -> ${c.next}`);
  }
  return `${lines.join('\n')}\n`;
}

export function registerPositionsCommands(program: Command): void {
  const positions = program.command('positions').description('Source positions stored in Postgres beside the Kafka offsets: list them, reset a stream that cannot be right');
  positions
    .command('list')
    .description('Every stored position and every partition of the configured topics: stored, committed, low/high offsets, topic ids, and whether the position can be right')
    .addOption(formatOption())
    .action(async (options: { format: OutputFormat }, command: Command) => {
      const { config, logger } = loadContext(command.optsWithGlobals<GlobalOptions>());
      const pool = createPool(config.database, componentLogger(logger, 'postgres'), 'custsync-positions');
      const kafka = createKafka(config.kafka, componentLogger(logger, 'kafkajs'), '-positions');
      try {
        const rows = await listPositions(new PositionStore(pool), kafka, config);
        const columns = ['stream', 'partition', 'stored', 'committed', 'low', 'high', 'lag', 'state', 'topic_id', 'stored_topic_id', 'updated_at'];
        process.stdout.write(formatRows({ columns, rows: listRows(rows) }, options.format));
        if (rows.some((r) => r.state === 'past end' || r.state === 'topic recreated')) process.exitCode = 1;
      } finally {
        await pool.end();
      }
    });
  positions
    .command('reset')
    .description('Move a Kafka stream to earliest, latest or an offset: the stored positions and the consumer group offsets (dry run unless --yes; stop custsync first)')
    .requiredOption('--stream <stream>', 'kafka:<topic>, as `positions list` shows it')
    .option('--to <where>', 'earliest (the oldest message still in the topic), latest (only new messages) or an offset', 'earliest')
    .option('--partition <n>', 'only this partition (default: all)', nonNegativeInt)
    .option('--yes', 'apply the change (without it nothing is written)', false)
    .action(async (options: { stream: string; to: string; partition?: number; yes: boolean }, command: Command) => {
      const target = parseResetTarget(options.to);
      const { config, logger } = loadContext(command.optsWithGlobals<GlobalOptions>());
      const pool = createPool(config.database, componentLogger(logger, 'postgres'), 'custsync-positions');
      const kafka = createKafka(config.kafka, componentLogger(logger, 'kafkajs'), '-positions');
      try {
        const plan = await planReset(new PositionStore(pool), kafka, config, options.stream, target, options.partition);
        if (options.yes) {
          await applyReset(pool, kafka, plan);
          logger.info({ stream: plan.stream, groupId: plan.groupId, partitions: plan.changes.map((c) => ({ partition: c.partition, from: c.storedBefore, to: c.next })) }, 'positions reset');
        }
        process.stdout.write(planText(plan, options.yes));
      } finally {
        await pool.end();
      }
    });
}
