import { CustsyncError } from '../../runtime/errors.js';
import type { Logger } from '../../runtime/logger.js';
import type { Metrics } from '../../runtime/metrics.js';
import { emitHeartbeat, readSlot, type Queryable } from '../../replication/slots.js';
import { ReplicationStream, type WalTransaction } from '../../replication/stream.js';
import { sleep } from '../../runtime/sleep.js';
import { TransactionQueue } from '../../replication/TransactionQueue.js';
import { assembleEvents } from './assemble.js';
import { digestTransaction, type TransactionDigest } from './digest.js';
import type { ChangeEvent } from './ChangeEvent.js';
import { EventEncoder, type EncodedEvents } from './encode.js';
import type { ChangeWriter } from './KafkaChangeWriter.js';
import type { GroupLookups, LookupResolver } from './lookups.js';

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
  /** How long a transaction may wait for others to share its produce request (0: none). */
  lingerMs: number;
  /** Upper bound of one produce request's payload: Kafka rejects a record batch over message.max.bytes (1 MiB by default). */
  maxRequestBytes: number;
  /** A tombstone (key, null value) after each delete event. */
  tombstones: boolean;
  /** The message value of an event (publisher.format); JSON.stringify by default. */
  serialize?: (event: ChangeEvent) => string;
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
  /** Told once the slot streams (the term works). */
  onStreaming?: () => void;
}

interface Queued {
  digest: TransactionDigest;
  changes: number;
  /** When the transaction was decoded (epoch ms). */
  receivedAt: number;
}

/** The events a transaction gives, at least one for the group's sake (a transaction without customers is acknowledged too). */
function customersOf(digest: TransactionDigest): number {
  return Math.max(digest.customers.size + digest.snapshot.size, 1);
}

/** How long a stopping term waits for Kafka to acknowledge the groups in flight (under the daemon's stop deadline). */
const ABORT_DRAIN_MS = 5_000;

/** A group taken off the queue, its lookups on their way. */
interface Prepared {
  group: Queued[];
  lookups: Promise<GroupLookups>;
}

/** A group handed to the writer: what acknowledging it takes (its rows are gone by then). */
interface Sent {
  endLsn: string;
  changes: number;
  events: number;
  byOp: EncodedEvents['byOp'];
  postedAt: number;
  written: Promise<void>;
  /** Commit times (epoch ms) of the group's transactions, for the latency metric. */
  commits: number[];
}

/**
 * One leadership term of the publisher: streams the slot, turns each
 * committed transaction into events, writes them to Kafka in groups and
 * acknowledges a group's last commit to Postgres only after Kafka
 * acknowledged every event of it. A crash in between re-reads the group from
 * the slot: the same events, with the same ids, are published again.
 */
export class ChangeReplicationJob {
  /** Transactions decoded and not yet acknowledged by Kafka hold the stream back above maxQueuedChanges. */
  private readonly queue: TransactionQueue<Queued>;
  /** Customers (events) the queue holds. */
  private queuedCustomers = 0;
  private stream: ReplicationStream | undefined;
  /** Groups handed to the writer and not yet acknowledged, oldest first. */
  private readonly unacknowledged: Sent[] = [];
  private published = 0;
  private lastLagLog = 0;

  constructor(
    private readonly options: ChangeReplicationJobOptions,
    private readonly deps: ChangeReplicationJobDeps,
  ) {
    this.queue = new TransactionQueue({ pauseAbove: options.maxQueuedChanges, resumeAt: options.maxQueuedChanges / 2 });
  }

  /** How long the oldest group handed to Kafka has been waiting for its acknowledgement (0 when none waits). */
  get busyMs(): number {
    const oldest = this.unacknowledged[0];
    return oldest ? Date.now() - oldest.postedAt : 0;
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
    if (signal.aborted) inner.abort();
    inner.signal.addEventListener('abort', () => this.queue.wake(), { once: true });
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
    this.queue.attach(stream);
    stream.done.catch(fail);
    try {
      await stream.start();
      this.deps.onStreaming?.();
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
    for (const invalid of digest.invalidSnapshots) {
      this.deps.logger.error({ lsn: invalid.lsn, reason: invalid.reason }, 'a snapshot message could not be read; its customers are not published');
    }
    if (digest.truncated.length > 0) {
      this.deps.logger.warn({ tables: digest.truncated.map((t) => `${t.schema}.${t.table}`), lsn: tx.commitLsn }, 'TRUNCATE is not published as change events');
    }
    // A snapshot batch carries its customers in one message: each weighs like a changed row.
    const changes = tx.changes.length + digest.snapshot.size;
    this.queuedCustomers += customersOf(digest);
    this.queue.push({ digest, changes, receivedAt: Date.now() }, changes);
  }

  /**
   * Groups are assembled as soon as they are decoded and handed to the writer
   * at once (its producer sends them one request at a time, in order), so the
   * decoded rows are short-lived and Kafka always has the next request
   * waiting; the next group's lookups are queried while one is assembled.
   * Acknowledgements follow commit order: a group's last commit is
   * acknowledged once its events and those of every group before it are.
   * After a failed write no later group is acknowledged.
   */
  private async publishLoop(signal: AbortSignal): Promise<void> {
    let acknowledging: Promise<void> = Promise.resolve();
    let failure: { error: unknown } | undefined;
    let next: Prepared | undefined;
    try {
      while (!signal.aborted && !failure) {
        next ??= this.prepare();
        if (!next) {
          const linger = this.lingerLeft();
          await this.queue.waitForWork(linger > 0 ? linger : undefined);
          continue;
        }
        const { group, lookups } = next;
        const found = await lookups;
        if (signal.aborted || failure) break;
        // The next group's lookups go to Postgres while this one is assembled.
        next = this.prepare();
        const encoded = this.assemble(group, found);
        const last = group[group.length - 1] as Queued;
        const written = encoded.events > 0 ? this.deps.writer.write(encoded.chunks) : Promise.resolve();
        written.catch(() => undefined); // observed in order below
        const sent: Sent = {
          endLsn: last.digest.tx.endLsn,
          changes: group.reduce((n, q) => n + q.changes, 0),
          events: encoded.events,
          byOp: encoded.byOp,
          postedAt: Date.now(),
          written,
          commits: this.observeHandover(group),
        };
        this.unacknowledged.push(sent);
        acknowledging = acknowledging
          .then(() => (failure ? undefined : this.acknowledge(sent)))
          .catch((error: unknown) => {
            failure ??= { error };
            this.queue.wake();
          });
      }
    } finally {
      // A group prepared but not sent is read again from the slot by the next term.
      next?.lookups.then((found) => found.release(), () => undefined);
      await this.drain(acknowledging, signal.aborted && !failure);
    }
    if (failure) throw failure.error;
  }

  /**
   * Waits for the groups in flight to be acknowledged; when the term was told
   * to stop, for ABORT_DRAIN_MS at most: a broker that stays away must not
   * hold the slot's connection (the next leader publishes those groups again).
   */
  private async drain(acknowledging: Promise<void>, bounded: boolean): Promise<void> {
    if (!bounded) return acknowledging;
    let timer: NodeJS.Timeout | undefined;
    const gaveUp = await Promise.race([
      acknowledging.then(() => false),
      new Promise<boolean>((resolve) => {
        timer = setTimeout(() => resolve(true), ABORT_DRAIN_MS);
      }),
    ]);
    clearTimeout(timer);
    if (gaveUp) {
      this.deps.logger.warn(
        { groups: this.unacknowledged.length, waitedMs: ABORT_DRAIN_MS },
        'stopping with groups Kafka has not acknowledged; they are not confirmed to Postgres and will be published again',
      );
    }
  }

  /** Takes the next group off the queue and sends its lookups; undefined when nothing is queued. */
  private prepare(): Prepared | undefined {
    if (this.queue.length === 0 || this.lingerLeft() > 0) return undefined;
    // Whole transactions, about `maxBatchEvents` customers' worth (at least one transaction).
    const group = this.queue.take(this.options.maxBatchEvents, (q) => customersOf(q.digest)).items;
    for (const q of group) this.queuedCustomers -= customersOf(q.digest);
    const lookups = this.deps.resolver.forGroup(group.map((q) => q.digest));
    lookups.catch(() => undefined); // awaited by the loop, unless the term ends first
    return { group, lookups };
  }

  /**
   * How much longer the oldest queued transaction waits for others to share
   * its request (publisher.lingerMs): 0 when it has waited long enough or a
   * full group is queued. Under load groups fill up and nothing waits; a
   * trickle of single-customer transactions gets requests of several events
   * instead of one each, at a fraction of the CPU per event.
   */
  private lingerLeft(): number {
    const oldest = this.queue.first;
    if (!oldest || this.options.lingerMs <= 0 || this.queuedCustomers >= this.options.maxBatchEvents) return 0;
    return Math.max(0, oldest.receivedAt + this.options.lingerMs - Date.now());
  }

  /** The wal and queue stages of a group's transactions, as it is handed over; their commit times. */
  private observeHandover(group: readonly Queued[]): number[] {
    const now = Date.now();
    const latency = this.deps.metrics.changeEventLatency;
    const commits: number[] = new Array(group.length);
    for (const [i, { digest, receivedAt }] of group.entries()) {
      const commit = digest.tx.commitTime.getTime();
      commits[i] = commit;
      latency.observe({ stage: 'wal' }, Math.max(receivedAt - commit, 0) / 1000);
      latency.observe({ stage: 'queue' }, (now - receivedAt) / 1000);
    }
    return commits;
  }

  /** The group's events, serialized as each transaction is assembled. */
  private assemble(group: readonly Queued[], found: GroupLookups): EncodedEvents {
    const context = { database: this.options.database, slot: this.options.slotName, now: Date.now() };
    const encoder = new EventEncoder(this.options.maxRequestBytes, this.options.serialize);
    for (const { digest } of group) {
      for (const event of assembleEvents(digest, found.lookups, context)) {
        encoder.add(event);
        if (event.op === 'd' && this.options.tombstones) encoder.addTombstone(event.key.id);
      }
      found.applied(digest);
    }
    found.release();
    this.deps.resolver.cache.trim();
    return encoder.finish();
  }

  /** Waits for Kafka to acknowledge a group's events, then acknowledges its last commit to Postgres. */
  private async acknowledge(sent: Sent): Promise<void> {
    await sent.written;
    this.unacknowledged.shift();
    this.stream?.acknowledge(sent.endLsn);
    this.published += sent.events;
    for (const [op, count] of Object.entries(sent.byOp)) if (count > 0) this.deps.metrics.changeEventsPublished.inc({ op }, count);
    this.queue.release(sent.changes);
    const now = Date.now();
    const latency = this.deps.metrics.changeEventLatency;
    for (const commit of sent.commits) {
      latency.observe({ stage: 'kafka' }, (now - sent.postedAt) / 1000);
      latency.observe({ stage: 'total' }, Math.max(now - commit, 0) / 1000);
    }
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
          { slot: slotName, lagBytes: slot.lagBytes, confirmedLsn: slot.confirmedFlushLsn, eventsPublished: this.published, queuedChanges: this.queue.weight },
          'change publisher: slot lag',
        );
      }
      await sleep(this.options.heartbeatIntervalMs, signal);
    }
  }
}
