import type { WalSourceConfig, WalTableConfig } from '../../runtime/config.js';
import { CustsyncError } from '../../runtime/errors.js';
import type { Logger } from '../../runtime/logger.js';
import type { Metrics } from '../../runtime/metrics.js';
import { readSlot, type Queryable } from '../../replication/slots.js';
import { ReplicationStream, type WalTransaction } from '../../replication/stream.js';
import { sleep } from '../../runtime/sleep.js';
import { walAdvance } from '../../unifier/PositionStore.js';
import { TransactionQueue } from '../../replication/TransactionQueue.js';
import { transactionItems } from './transactions.js';
import type { IngestBatch, IngestResult } from '../../contract.js';

export interface StreamOptions {
  source: WalSourceConfig;
  tables: ReadonlyMap<string, WalTableConfig>;
  /** The slot's confirmed_flush_lsn. */
  startLsn: string;
  batchSize: number;
  lingerMs: number;
  /** A connection to the source database (slot lag). */
  db: Queryable;
  /** Settles when the lock or the source connection is gone: streaming must stop. */
  lost: Promise<Error>;
  metrics: Metrics;
  logger: Logger;
  /** Applies a batch, then runs `acknowledge`. */
  deliver: (batch: IngestBatch, acknowledge: () => Promise<void>) => Promise<IngestResult>;
  signal: AbortSignal;
  /** Told once the stream runs (the source is healthy again). */
  onStreaming?: () => void;
}

const LAG_EVERY_MS = 30_000;

/**
 * Streams the slot until `signal` aborts (resolves after the batch in flight)
 * or the stream fails (rejects). Transactions are queued as they commit
 * (replication/TransactionQueue.ts) and applied in batches of whole
 * transactions; each batch's last commit is acknowledged to the slot only
 * after the unifier's transaction committed. Reading pauses while the queue
 * holds more than four batches' rows and resumes at two (backpressure).
 */
export async function streamTransactions(options: StreamOptions): Promise<void> {
  const { source, batchSize, logger, metrics } = options;
  const queue = new TransactionQueue<WalTransaction>({ pauseAbove: 4 * batchSize, resumeAt: 2 * batchSize });
  let failure: unknown;
  const stream = new ReplicationStream(
    {
      connection: { connectionString: source.databaseUrl, application_name: `custsync-wal-source:${source.name}` },
      slotName: source.slotName,
      publicationNames: [source.publicationName],
      startLsn: options.startLsn,
      logger,
    },
    { onTransaction: (tx) => queue.push(tx, tx.changes.length) },
  );
  queue.attach(stream);
  const fail = (err: unknown) => {
    failure ??= err;
    queue.wake();
  };
  stream.done.catch(fail);
  void options.lost.then((err) => fail(new CustsyncError('CUSTSYNC_DB_UNAVAILABLE', `WAL source connection lost: ${err.message}`, { cause: err })));
  const onAbort = () => queue.wake();
  options.signal.addEventListener('abort', onAbort);

  try {
    await stream.start();
    logger.info({ slot: source.slotName, from: options.startLsn }, 'streaming from the replication slot');
    options.onStreaming?.();
    let lagAt = 0;
    while (!options.signal.aborted && failure === undefined) {
      if (Date.now() - lagAt >= LAG_EVERY_MS) {
        lagAt = Date.now();
        const slot = await readSlot(options.db, source.slotName);
        if (slot && slot.lagBytes !== null) metrics.slotLagBytes.set({ slot: source.slotName }, slot.lagBytes);
      }
      if (queue.length === 0) {
        await queue.waitForWork(LAG_EVERY_MS);
        continue;
      }
      // Linger once for a fuller batch: many small source transactions then share one unifier transaction.
      if (queue.weight < batchSize && options.lingerMs > 0) await sleep(options.lingerMs, options.signal);
      if (options.signal.aborted || failure !== undefined) break;
      const group = queue.take(batchSize, (tx) => tx.changes.length);
      await applyGroup(group.items, options, stream);
      queue.release(group.weight);
    }
  } finally {
    options.signal.removeEventListener('abort', onAbort);
    await stream.stop();
  }
  if (failure !== undefined && !options.signal.aborted) throw failure;
}

async function applyGroup(group: WalTransaction[], options: StreamOptions, stream: ReplicationStream): Promise<void> {
  const { source, metrics, logger } = options;
  const last = group[group.length - 1];
  if (!last) return;
  const items = [];
  let deletes = 0;
  let changes = 0;
  for (const tx of group) {
    const mapped = transactionItems(tx, source, options.tables);
    items.push(...mapped.items);
    deletes += mapped.deletes;
    changes += tx.changes.length;
    if (mapped.truncated.length > 0) logger.warn({ tables: mapped.truncated, lsn: tx.commitLsn }, 'TRUNCATE in the source: ignored (unified customers stay)');
  }
  metrics.messagesConsumed.inc({ platform: source.name }, changes);
  if (deletes > 0) metrics.recordsSkipped.inc({ platform: source.name, reason: 'source_delete' }, deletes);
  await options.deliver({ items, advance: [walAdvance(source.slotName, last.commitLsn)] }, async () => stream.acknowledge(last.endLsn));
}
