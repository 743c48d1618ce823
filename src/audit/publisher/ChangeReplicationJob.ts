import { CustsyncError } from '../../runtime/errors.js';
import type { Logger } from '../../runtime/logger.js';
import type { Metrics } from '../../runtime/metrics.js';
import { emitHeartbeat, readSlot, type Queryable } from '../../runtime/replication/slots.js';
import { ReplicationStream, type WalTransaction } from '../../runtime/replication/stream.js';
import { sleep } from '../../runtime/sleep.js';
import { assembleEvents } from './assemble.js';
import type { ChangeEvent } from './ChangeEvent.js';
import { digestTransaction, type TransactionDigest } from './digest.js';
import type { ChangeWriter } from './KafkaChangeWriter.js';
import type { LookupResolver } from './lookups.js';

export const HEARTBEAT_PREFIX = 'custsync.heartbeat';

export interface ChangeReplicationJobOptions {
  databaseUrl: string;
  /** Name written to source.db. */
  database: string;
  slotName: string;
  publicationName: string;
  /** The slot's confirmed_flush_lsn when the job starts. */
  startLsn: string;
  maxBatchEvents: number;
  maxQueuedChanges: number;
  heartbeatIntervalMs: number;
  lagLogIntervalMs: number;
}

export interface ChangeReplicationJobDeps {
  /** For lookups (a pool). */
  db: Queryable;
  /** The leader's own session: heartbeats go through it, so a dead session stops them. */
  heartbeatDb: Queryable;
  writer: ChangeWriter;
  resolver: LookupResolver;
  metrics: Metrics;
  logger: Logger;
}

interface Queued {
  digest: TransactionDigest;
  changes: number;
}

/**
 * One leadership term of the publisher: streams the slot, turns each
 * committed transaction into events, writes them to Kafka in groups and
 * acknowledges a group's last commit to Postgres only after Kafka
 * acknowledged every event of it. A crash in between re-reads the group from
 * the slot: the same events, with the same ids, are published again.
 */
export class ChangeReplicationJob {
  private readonly queue: Queued[] = [];
  private queuedChanges = 0;
  private wake: () => void = () => undefined;
  private stream: ReplicationStream | undefined;
  private busySince: number | null = null;
  private published = 0;
  private lastLagLog = 0;

  constructor(
    private readonly options: ChangeReplicationJobOptions,
    private readonly deps: ChangeReplicationJobDeps,
  ) {}

  /** How long the group being published has been waiting for Kafka (0 when idle). */
  get busyMs(): number {
    return this.busySince === null ? 0 : Date.now() - this.busySince;
  }

  get eventsPublished(): number {
    return this.published;
  }

  /** Runs until `signal` aborts (then finishes the group in flight) or something fails (rejects). */
  async run(signal: AbortSignal): Promise<void> {
    const inner = new AbortController();
    let failure: unknown;
    const fail = (err: unknown) => {
      failure ??= err;
      inner.abort();
    };
    const onAbort = () => inner.abort();
    signal.addEventListener('abort', onAbort, { once: true });
    inner.signal.addEventListener('abort', () => this.wake(), { once: true });
    const stream = new ReplicationStream(
      {
        connection: { connectionString: this.options.databaseUrl, application_name: 'custsync-publisher-wal' },
        slotName: this.options.slotName,
        publicationNames: [this.options.publicationName],
        startLsn: this.options.startLsn,
        messages: true,
        values: 'text',
        statusIntervalMs: Math.min(this.options.heartbeatIntervalMs, 10_000),
        logger: this.deps.logger,
      },
      { onTransaction: (tx) => this.enqueue(tx) },
    );
    this.stream = stream;
    stream.done.catch(fail);
    try {
      await stream.start();
      const heartbeats = this.heartbeats(inner.signal).catch(fail);
      await this.publishLoop(inner.signal).catch(fail);
      await heartbeats;
    } finally {
      signal.removeEventListener('abort', onAbort);
      await stream.stop();
    }
    if (failure !== undefined) throw failure;
  }

  private enqueue(tx: WalTransaction): void {
    const digest = digestTransaction(tx);
    if (digest.truncated.length > 0) {
      this.deps.logger.warn({ tables: digest.truncated.map((t) => `${t.schema}.${t.table}`), lsn: tx.commitLsn }, 'TRUNCATE is not published as change events');
    }
    this.queue.push({ digest, changes: tx.changes.length });
    this.queuedChanges += tx.changes.length;
    if (this.queuedChanges > this.options.maxQueuedChanges) this.stream?.pause();
    this.wake();
  }

  /**
   * Two stages: while one group waits for Kafka, the next is assembled (its
   * lookups queried); sends stay one at a time, so acknowledgements follow
   * commit order.
   */
  private async publishLoop(signal: AbortSignal): Promise<void> {
    let sending: Promise<void> = Promise.resolve();
    try {
      while (!signal.aborted) {
        if (this.queue.length === 0) {
          await sending;
          if (this.queue.length === 0 && !signal.aborted) await new Promise<void>((resolve) => (this.wake = resolve));
          continue;
        }
        const group = this.takeGroup();
        const events = await this.assemble(group);
        await sending;
        sending = this.send(group, events);
        sending.catch(() => undefined); // observed by the next await
      }
    } finally {
      await sending;
    }
  }

  /** Whole transactions, about `maxBatchEvents` customers' worth (at least one transaction). */
  private takeGroup(): Queued[] {
    let customers = 0;
    let count = 0;
    for (const queued of this.queue) {
      const size = Math.max(queued.digest.customers.size, 1);
      if (count > 0 && customers + size > this.options.maxBatchEvents) break;
      customers += size;
      count += 1;
    }
    return this.queue.splice(0, count);
  }

  private async assemble(group: readonly Queued[]): Promise<ChangeEvent[]> {
    const { resolver } = this.deps;
    const lookups = await resolver.forGroup(group.map((q) => q.digest));
    const context = { database: this.options.database, slot: this.options.slotName, now: Date.now() };
    const events: ChangeEvent[] = [];
    for (const { digest } of group) {
      for (const event of assembleEvents(digest, lookups.lookups, context)) events.push(event);
      lookups.applied(digest);
    }
    resolver.cache.trim();
    return events;
  }

  /** Writes the group's events, then acknowledges its last commit. */
  private async send(group: readonly Queued[], events: readonly ChangeEvent[]): Promise<void> {
    this.busySince = Date.now();
    if (events.length > 0) await this.deps.writer.write(events);
    this.busySince = null;
    const last = group[group.length - 1];
    if (last) this.stream?.acknowledge(last.digest.tx.endLsn);
    this.published += events.length;
    const byOp = { c: 0, u: 0, d: 0 };
    for (const event of events) byOp[event.op] += 1;
    for (const op of ['c', 'u', 'd'] as const) if (byOp[op] > 0) this.deps.metrics.changeEventsPublished.inc({ op }, byOp[op]);
    this.queuedChanges -= group.reduce((n, q) => n + q.changes, 0);
    if (this.queuedChanges <= this.options.maxQueuedChanges / 2) this.stream?.resume();
  }

  /** Heartbeat messages keep the slot moving on an idle database; the slot's lag is measured at the same pace. */
  private async heartbeats(signal: AbortSignal): Promise<void> {
    const { slotName } = this.options;
    while (!signal.aborted) {
      await emitHeartbeat(this.deps.heartbeatDb, HEARTBEAT_PREFIX);
      const slot = await readSlot(this.deps.heartbeatDb, slotName);
      if (!slot || slot.walStatus === 'lost') {
        throw new CustsyncError('CUSTSYNC_SLOT_LOST', `replication slot "${slotName}" ${slot ? 'was invalidated (wal_status lost)' : 'was dropped'} while publishing`);
      }
      if (slot.lagBytes !== null) this.deps.metrics.slotLagBytes.set({ slot: slotName }, slot.lagBytes);
      const now = Date.now();
      if (slot.walStatus === 'unreserved') {
        this.deps.logger.warn({ slot: slotName, lagBytes: slot.lagBytes }, 'replication slot is about to be invalidated (wal_status unreserved)');
      } else if (now - this.lastLagLog >= this.options.lagLogIntervalMs) {
        this.lastLagLog = now;
        this.deps.logger.info(
          { slot: slotName, lagBytes: slot.lagBytes, confirmedLsn: slot.confirmedFlushLsn, eventsPublished: this.published, queuedChanges: this.queuedChanges },
          'change publisher: slot lag',
        );
      }
      await sleep(this.options.heartbeatIntervalMs, signal);
    }
  }
}
