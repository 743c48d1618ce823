import { hostname } from 'node:os';
import type { Leadership } from '../../replication/advisoryLeader.js';
import { leadTerms } from '../../replication/leaderTerms.js';
import { checkLogicalReplication, checkReplicaIdentityFull, ensurePublication } from '../../replication/publication.js';
import { checkSlot, ensureSlot, type Queryable } from '../../replication/slots.js';
import type { Config } from '../../runtime/config.js';
import type { CustsyncError } from '../../runtime/errors.js';
import { Job } from '../../runtime/Job.js';
import type { Logger } from '../../runtime/logger.js';
import type { Metrics } from '../../runtime/metrics.js';
import { ChangeReplicationJob } from './ChangeReplicationJob.js';
import { FULL_IDENTITY_TABLES, PUBLISHED_TABLES } from './digest.js';
import { ThreadedKafkaChangeWriter } from './kafkaThread.js';
import { publisherLeaderOptions } from './leadership.js';
import { eventFormat } from './format.js';
import { AddressCache, LookupResolver } from './lookups.js';

export type PublisherRole = 'stopped' | 'standby' | 'leader' | 'retrying' | 'failed';

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
 * The change-event publisher as a daemon job. Every instance checks at start
 * that the database can publish (wal_level, privileges, replica identity,
 * slot not lost) and fails clearly otherwise; then one instance at a time
 * (the leader-term loop, replication/leaderTerms.ts) streams the slot to Kafka
 * while the others stand by. A lost slot or wal_level no longer logical (fatal
 * codes in the retry table) stop the daemon rather than run without change
 * events; any other failure ends the term and the loop tries again.
 */
export class ChangePublisher extends Job {
  readonly name = 'change-publisher';
  private readonly settings: Config['publisher'];
  private job: ChangeReplicationJob | undefined;
  private database = '';
  private lastError: CustsyncError | undefined;
  private currentRole: PublisherRole = 'stopped';

  constructor(private readonly deps: ChangePublisherDeps) {
    super(deps.logger);
    this.settings = deps.config.publisher;
  }

  get role(): PublisherRole {
    return this.currentRole;
  }

  /** Events this instance published in its current leadership term. */
  get eventsPublished(): number {
    return this.job?.eventsPublished ?? 0;
  }

  protected override async prepare(): Promise<void> {
    const { pool } = this.deps;
    this.database = (await checkLogicalReplication(pool, DISABLE_HINT)).database;
    await checkReplicaIdentityFull(pool, FULL_IDENTITY_TABLES);
    await checkSlot(pool, this.settings.slotName);
    this.currentRole = 'standby';
  }

  /** Readiness: a standby is ready; a leader is ready unless retrying or stuck on Kafka. */
  protected override async readiness(): Promise<void> {
    if (this.currentRole === 'retrying') {
      throw new Error(`change publisher ${this.currentRole}: ${this.lastError?.message ?? 'unknown error'}`);
    }
    const busy = this.job?.busyMs ?? 0;
    if (busy > STALL_MS) throw new Error(`change publisher: Kafka has not acknowledged a group for ${Math.round(busy / 1000)} s`);
  }

  private applicationName(): string {
    return `custsync-publisher ${hostname()}:${process.pid}`.slice(0, 63);
  }

  protected async run(signal: AbortSignal): Promise<void> {
    const { config, logger } = this.deps;
    const leader = publisherLeaderOptions({
      databaseUrl: config.database.url,
      slotName: this.settings.slotName,
      applicationName: this.applicationName(),
      pollMs: this.settings.standbyPollMs,
      logger,
    });
    try {
      await leadTerms(
        {
          ...leader,
          what: 'change publisher',
          onStandby: () => {
            this.currentRole = 'standby';
          },
          onLeader: () => {
            this.currentRole = 'leader';
          },
          onFailure: (error) => {
            this.lastError = error;
            this.currentRole = 'retrying';
          },
        },
        signal,
        (leadership, termSignal, healthy) => this.term(leadership, termSignal, healthy),
      );
      this.currentRole = 'stopped';
    } catch (err) {
      this.currentRole = 'failed';
      throw err;
    }
  }

  /** One leadership term: a producer thread, the publication and the slot checked, then the slot streamed to Kafka until the term ends. */
  private async term(leadership: Leadership, termSignal: AbortSignal, healthy: () => void): Promise<void> {
    const { config, logger } = this.deps;
    const writerFailed = new AbortController();
    const signal = AbortSignal.any([termSignal, writerFailed.signal]);
    let writerFailure: unknown;
    // A producer per term: after a failure the next term starts from the slot with a fresh one.
    // Its thread starts now, beside the checks and the stream; the first send waits for it.
    const format = eventFormat(this.settings);
    const writer = ThreadedKafkaChangeWriter.launch({
      kafka: config.kafka,
      topic: config.kafka.changeTopic,
      compression: this.settings.compression ?? config.kafka.compression,
      logLevel: logger.level,
      maxRequestBytes: this.settings.maxRequestBytes,
      ...(format.key ? { key: format.key } : {}),
    });
    writer.ready.catch((err: unknown) => {
      writerFailure = err;
      writerFailed.abort();
    });
    try {
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
          lingerMs: this.settings.lingerMs,
          maxRequestBytes: this.settings.maxRequestBytes,
          tombstones: this.settings.tombstones,
          serialize: format.value,
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
          onStreaming: healthy,
        },
      );
      await this.job.run(signal);
      if (writerFailure !== undefined) throw writerFailure;
    } finally {
      this.job = undefined;
      await writer.stop();
    }
  }
}
