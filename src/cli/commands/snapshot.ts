import type { Command } from 'commander';
import { SNAPSHOT_PREFIX } from '../../audit/publisher/snapshotMessage.js';
import { countCustomers, writeSnapshotBatch, type SnapshotFilter } from '../../audit/publisher/snapshotWriter.js';
import { createPool } from '../../runtime/db.js';
import { UserError } from '../../runtime/errors.js';
import { unreachable } from '../../runtime/unavailable.js';
import { componentLogger } from '../../runtime/logger.js';
import { readSlot } from '../../replication/slots.js';
import { countProgress } from '../countProgress.js';
import { idList, nonNegativeInt, positiveInt } from '../outputOptions.js';
import { loadContext, type GlobalOptions } from '../context.js';

export function registerSnapshotCommand(program: Command): void {
  program
    .command('snapshot')
    .description(
      'Publish every customer as it is now, as change events with op "r", so a new downstream service can build its view from the change topic. ' +
        'Customers are read in batches of ascending id; each batch goes through the WAL, in order with the changes around it. ' +
        'With --ids or --where only the chosen customers are published (a partial snapshot). ' +
        'Interrupted, run it again with --from-id (the last id printed). Exit 2 when no publisher slot exists yet or the predicate is not valid SQL.',
    )
    .option('--batch-size <n>', 'customers per batch (one transaction each, holding their rows FOR SHARE)', positiveInt, 1_000)
    .option('--from-id <id>', 'start after this customer id', nonNegativeInt, 0)
    .option('--ids <list>', 'only these customer ids (comma-separated)', idList)
    .option('--where <predicate>', 'only customers matching this SQL predicate on the customers table, e.g. "updated_at > now() - interval \'1 day\'"')
    .action(async (options: { batchSize: number; fromId: number; ids?: number[]; where?: string }, command: Command) => {
      const { config, logger } = loadContext(command.optsWithGlobals<GlobalOptions>());
      const pool = createPool(config.database, componentLogger(logger, 'postgres'), 'custsync-cli');
      try {
        const slot = await readSlot(pool, config.publisher.slotName);
        if (!config.publisher.enabled || !slot) {
          throw new UserError(
            'CUSTSYNC_USAGE',
            `no change-event publisher reads this database yet (publisher.enabled: ${config.publisher.enabled}, slot "${config.publisher.slotName}" ${slot ? 'exists' : 'missing'}): ` +
              'start the daemon with the publisher enabled first, or the snapshot would be published to nobody',
          );
        }
        const filter: SnapshotFilter = { ...(options.ids ? { ids: options.ids } : {}), ...(options.where !== undefined ? { where: options.where } : {}) };
        let total: number;
        try {
          total = await countCustomers(pool, filter, options.fromId);
        } catch (err) {
          // Postgres refused the predicate (syntax, unknown column, a write in a read-only transaction): the operator's to fix.
          if (options.where !== undefined && !unreachable(err)) throw new UserError('CUSTSYNC_USAGE', `--where: ${(err as Error).message}`);
          throw err;
        }
        const progress = countProgress(process.stderr, 'snapshot', total);
        const snapshotLogger = componentLogger(logger, 'snapshot');
        let lastId = options.fromId;
        let customers = 0;
        let batches = 0;
        try {
          for (;;) {
            const batch = await writeSnapshotBatch(pool, lastId, options.batchSize, snapshotLogger, filter);
            if (batch.customers === 0) break;
            lastId = batch.lastId;
            customers += batch.customers;
            batches += 1;
            progress.update(Math.min(customers, total), { 'last id': lastId });
          }
        } finally {
          progress.stop();
        }
        logger.info({ customers, batches, fromId: options.fromId, lastId, partial: options.ids !== undefined || options.where !== undefined, prefix: SNAPSHOT_PREFIX }, 'snapshot written');
        process.stdout.write(
          `snapshot: ${customers} customer(s) in ${batches} batch(es), ids ${options.fromId + 1}..${lastId}, written into the WAL; ` +
            `the publisher sends them to ${config.kafka.changeTopic} as op "r" events\n`,
        );
      } finally {
        await pool.end();
      }
    });
}
