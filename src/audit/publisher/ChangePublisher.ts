import { hostname } from 'node:os';
import type { Config } from '../../runtime/config.js';
import { CustsyncError, toCustsyncError, type ErrorCode } from '../../runtime/errors.js';
import { once, type Component } from '../../runtime/lifecycle.js';
import type { Logger } from '../../runtime/logger.js';
import type { Metrics } from '../../runtime/metrics.js';
import { checkLogicalReplication, checkReplicaIdentityFull, ensurePublication } from '../../replication/publication.js';
import { checkSlot, ensureSlot, type Queryable } from '../../replication/slots.js';
import { sleep } from '../../runtime/sleep.js';
import { ChangeReplicationJob } from './ChangeReplicationJob.js';
import { FULL_IDENTITY_TABLES, PUBLISHED_TABLES } from './digest.js';
import { ThreadedKafkaChangeWriter } from './kafkaThread.js';
import { acquirePublisherLeadership } from './leadership.js';
import { AddressCache, LookupResolver } from './lookups.js';

export type PublisherRole = 'stopped' | 'standby' | 'leader' | 'retrying' | 'failed';

/** Errors no retry cures: the daemon stops instead of running without change events. */
const FATAL: ReadonlySet<ErrorCode> = new Set(['CUSTSYNC_SLOT_LOST', 'CUSTSYNC_WAL_NOT_LOGICAL', 'CUSTSYNC_CONFIG_INVALID', 'CUSTSYNC_USAGE']);

const DISABLE_HINT = 'Or set publisher.enabled: false to run without change events.';

/** A publish group waiting on Kafka longer than this makes the instance unready. */
const STALL_MS = 60_000;

export interface ChangePublisherDeps {
  config: Config;
  /** Lookups and preflight checks. */
  pool: Queryable;
  metrics: Metrics;
  logger: Logger;
}

/**
 * The change-event publisher as a daemon component. Every instance checks
 * at start that the database can publish (wal_level, privileges, replica
 * identity, slot not lost) and fails clearly otherwise; then one instance at a
 * time (advisory lock) streams the slot to Kafka while the others stand by.
 */
export class ChangePublisher implements Component {
  readonly name = 'change-publisher';
  readonly stop: () => Promise<void>;
  /** Called when publishing cannot go on (lost slot, wal_level changed): the daemon then exits non-zero. */
  onFatal: (err: unknown) => void = () => undefined;
  private readonly abort = new AbortController();
  private readonly settings: Config['publisher'];
  private loop: Promise<void> | undefined;
  private job: ChangeReplicationJob | undefined;
  private database = '';
  private lastError: CustsyncError | undefined;
  private currentRole: PublisherRole = 'stopped';

  constructor(private readonly deps: ChangePublisherDeps) {
    this.settings = deps.config.publisher;
    this.stop = once(() => this.shutdown());
  }

  get role(): PublisherRole {
    return this.currentRole;
  }

  /** Events this instance published in its current leadership term. */
  get eventsPublished(): number {
    return this.job?.eventsPublished ?? 0;
  }

  async start(): Promise<void> {
    const { pool } = this.deps;
    this.database = (await checkLogicalReplication(pool, DISABLE_HINT)).database;
    await checkReplicaIdentityFull(pool, FULL_IDENTITY_TABLES);
    await checkSlot(pool, this.settings.slotName);
    this.currentRole = 'standby';
    this.loop = this.run(this.abort.signal).catch((err: unknown) => {
      this.currentRole = 'failed';
      this.lastError = toCustsyncError(err);
      this.deps.logger.fatal({ code: this.lastError.code, err: this.lastError.message }, 'change publisher stopped');
      this.onFatal(err);
    });
  }

  /** Readiness: a standby is ready; a leader is ready unless retrying or stuck on Kafka. */
  async check(): Promise<void> {
    if (this.currentRole === 'failed' || this.currentRole === 'retrying') {
      throw new Error(`change publisher ${this.currentRole}: ${this.lastError?.message ?? 'unknown error'}`);
    }
    const busy = this.job?.busyMs ?? 0;
    if (busy > STALL_MS) throw new Error(`change publisher: Kafka has not acknowledged a group for ${Math.round(busy / 1000)} s`);
  }

  private applicationName(): string {
    return `custsync-publisher ${hostname()}:${process.pid}`.slice(0, 63);
  }

  private async run(signal: AbortSignal): Promise<void> {
    const { config, logger } = this.deps;
    let failures = 0;
    while (!signal.aborted) {
      this.currentRole = failures > 0 ? 'retrying' : 'standby';
      const leadership = await acquirePublisherLeadership(
        {
          databaseUrl: config.database.url,
          slotName: this.settings.slotName,
          applicationName: this.applicationName(),
          pollMs: this.settings.standbyPollMs,
          logger,
          onStandby: () => {
            // Another instance publishes: whatever failed here is no longer this instance's concern.
            failures = 0;
            this.currentRole = 'standby';
          },
        },
        signal,
      );
      if (!leadership) return;
      const term = new AbortController();
      const endTerm = () => term.abort();
      signal.addEventListener('abort', endTerm, { once: true });
      let lostWith: Error | undefined;
      void leadership.lost.then((err) => {
        lostWith = err;
        term.abort();
      });
      let writerFailure: unknown;
      let writer: ThreadedKafkaChangeWriter | undefined;
      let retryInMs = 0;
      try {
        this.currentRole = 'leader';
        // A producer per term: after a failure the next term starts from the slot with a fresh one.
        // Its thread starts now, beside the checks and the stream; the first send waits for it.
        writer = ThreadedKafkaChangeWriter.launch({
          kafka: config.kafka,
          topic: config.kafka.changeTopic,
          compression: this.settings.compression ?? config.kafka.compression,
          logLevel: logger.level,
        });
        writer.ready.catch((err: unknown) => {
          writerFailure = err;
          term.abort();
        });
        const added = await ensurePublication(leadership.client, this.settings.publicationName, PUBLISHED_TABLES);
        if (added.length > 0) logger.info({ publication: this.settings.publicationName, tables: added.map((t) => `${t.schema}.${t.table}`) }, 'publication tables added');
        const { slot, created } = await ensureSlot(leadership.client, this.settings.slotName, 'change-publisher');
        if (writerFailure !== undefined) throw writerFailure;
        logger.info({ slot: slot.name, created, from: slot.confirmedFlushLsn, topic: config.kafka.changeTopic }, 'leader: publishing change events');
        this.job = new ChangeReplicationJob(
          {
            databaseUrl: config.database.url,
            database: this.database,
            slotName: this.settings.slotName,
            publicationName: this.settings.publicationName,
            startLsn: slot.confirmedFlushLsn ?? '0/0',
            maxBatchEvents: this.settings.maxBatchEvents,
            maxRequestBytes: this.settings.maxRequestBytes,
            tombstones: this.settings.tombstones,
            maxQueuedChanges: this.settings.maxQueuedChanges,
            heartbeatIntervalMs: this.settings.heartbeatIntervalMs,
            lagLogIntervalMs: this.settings.lagLogIntervalMs,
          },
          {
            db: this.deps.pool,
            heartbeatDb: leadership.client,
            writer,
            // A cache per term: while another instance led, the addresses may have changed.
            resolver: new LookupResolver(this.deps.pool, new AddressCache(this.settings.addressCacheSize)),
            metrics: this.deps.metrics,
            logger,
          },
        );
        await this.job.run(term.signal);
        if (writerFailure !== undefined) throw writerFailure;
        if (lostWith && !signal.aborted) throw new CustsyncError('CUSTSYNC_DB_UNAVAILABLE', `leadership lost: ${lostWith.message}`);
        failures = 0;
      } catch (err) {
        const error = toCustsyncError(err);
        if (FATAL.has(error.code)) throw error;
        if (signal.aborted) return;
        failures += 1;
        this.lastError = error;
        this.currentRole = 'retrying';
        retryInMs = Math.min(500 * 2 ** (failures - 1), 30_000);
        logger.error({ code: error.code, err: error.message, attempt: failures, retryInMs }, 'change publisher failed; releasing leadership and retrying');
      } finally {
        signal.removeEventListener('abort', endTerm);
        this.job = undefined;
        await writer?.stop();
        await leadership.release();
      }
      // Released first: a standby may take over meanwhile.
      if (retryInMs > 0) await sleep(retryInMs, signal);
    }
  }

  private async shutdown(): Promise<void> {
    this.abort.abort();
    await this.loop;
    this.currentRole = 'stopped';
  }
}
