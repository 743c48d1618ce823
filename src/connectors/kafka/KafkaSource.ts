import type { Admin, Consumer, EachBatchPayload, Kafka, KafkaMessage } from 'kafkajs';
import type { Config } from '../../runtime/config.js';
import type { Logger } from '../../runtime/logger.js';
import type { Metrics } from '../../runtime/metrics.js';
import { unreachable } from '../../runtime/unavailable.js';
import type { RecordSink } from '../../contract.js';
import { retry, StoppedError } from '../../runtime/retry.js';
import { SourceConnector } from '../Connector.js';
import { platformMapper } from '../mappers/registry.js';
import { BrokerProbe } from './brokerProbe.js';
import { decodeMessage, type DecodeContext } from './decode.js';
import { lagMessages, LagMonitor } from './LagMonitor.js';
import { judgePosition } from './positionGuard.js';
import { aborted } from '../../runtime/sleep.js';
import { SupervisedConsumer } from './SupervisedConsumer.js';
import { formatTopicId } from './wire.js';
import { storedKey, streams, type PositionStore } from '../../unifier/PositionStore.js';
import { findUndecodable, undecodableKey, undecodableLetter } from './undecodable.js';

/** Probes that must find the same undecodable batch before it is dead-lettered (the consumer's crash was the first failure). */
const UNDECODABLE_CONFIRMATIONS = 2;

function partitionKey(topic: string, partition: number): string {
  return `${topic}\u0000${partition}`;
}

/**
 * Consumes every configured platform topic in one consumer group. Offsets are
 * committed to Kafka only after the unifier's transaction (which stored them
 * in Postgres too) committed; auto-commit is off.
 */
/** Which platform and mapper read each topic (rebuilt on a configuration reload). */
function decodeContexts(config: Config): Map<string, DecodeContext> {
  const contexts = new Map<string, DecodeContext>();
  const knownPlatforms = new Set(config.platforms.map((p) => p.name));
  for (const platform of config.platforms) {
    const mapper = platformMapper(platform);
    for (const topic of platform.topics) {
      contexts.set(topic, { platform: platform.name, mapper, knownPlatforms, maxMessageBytes: config.kafka.maxMessageBytes });
    }
  }
  return contexts;
}

function sameRouting(a: ReadonlyMap<string, DecodeContext>, b: ReadonlyMap<string, DecodeContext>): boolean {
  if (a.size !== b.size) return false;
  for (const [topic, context] of a) {
    const other = b.get(topic);
    if (!other || other.platform !== context.platform || other.mapper !== context.mapper) return false;
  }
  return true;
}

export class KafkaSource extends SourceConnector {
  readonly name = 'kafka-source';
  private readonly admin: Admin;
  private readonly probe: BrokerProbe;
  /** The consumer of the current routing; a reload that changes topics replaces it. */
  private supervisor: SupervisedConsumer;
  private readonly lag: LagMonitor;
  private contexts: Map<string, DecodeContext>;
  private idle = false;
  private consumerFailed: (err: unknown) => void = () => undefined;
  private reconfiguring: Promise<void> = Promise.resolve();
  /** The partitions of the last assignment, kept while the consumer restarts (lag, crash isolation). */
  private assignment = new Map<string, number[]>();
  /** Offsets to seek to as soon as a partition is assigned, before any fetch (an undecodable batch was set aside). */
  private readonly pendingSeeks = new Map<string, bigint>();
  /** Partitions checked against the broker since the consumer (re)started. */
  private readonly verified = new Set<string>();
  /** Partitions refused because their stored position cannot be right, with why. */
  private readonly refused = new Map<string, string>();
  /** Undecodable batches seen by probes, and how often. */
  private readonly suspects = new Map<string, number>();
  private readonly topicIds = new Map<string, string | null>();
  private readonly topicIdRecorded = new Set<string>();

  constructor(
    private readonly kafka: Kafka,
    private config: Config,
    private readonly positions: PositionStore,
    unifier: RecordSink,
    private readonly metrics: Metrics,
    logger: Logger,
  ) {
    super(unifier, logger);
    this.admin = kafka.admin();
    this.probe = new BrokerProbe(kafka);
    this.contexts = decodeContexts(config);
    this.supervisor = this.newSupervisor();
    this.lag = new LagMonitor({
      admin: this.admin,
      probe: this.probe,
      positions,
      metrics,
      logger,
      intervalMs: config.kafka.lagIntervalMs,
      partitions: () => this.assignment,
    });
  }

  get topics(): string[] {
    return [...this.contexts.keys()];
  }

  private newSupervisor(): SupervisedConsumer {
    const supervisor = new SupervisedConsumer({
      name: this.name,
      create: () => this.createConsumer(),
      run: (consumer) => this.runConsumer(consumer),
      beforeRestart: (error) => this.afterCrash(error),
      logger: this.logger,
      metrics: this.metrics,
    });
    supervisor.onFatal = (err) => this.consumerFailed(err);
    return supervisor;
  }

  /** Readiness: the consumer runs (not crashed or restarting), no partition is refused, the cluster answers. */
  protected override async readiness(): Promise<void> {
    if (!this.idle) await this.supervisor.check();
    const [refusal] = this.refused.values();
    if (refusal) throw new Error(`${this.refused.size} partition(s) stopped: ${refusal}`);
    await this.admin.describeCluster();
  }

  /**
   * Applies a reloaded configuration. Decoding settings take effect with the
   * next batch; a change of topics or mappers restarts the consumer (the batch
   * in flight finishes and commits first), which rebalances the group.
   */
  reconfigure(config: Config): Promise<void> {
    this.reconfiguring = this.reconfiguring.then(async () => {
      const contexts = decodeContexts(config);
      const restart = !sameRouting(this.contexts, contexts);
      this.config = config;
      if (!restart) {
        this.contexts = contexts;
        return;
      }
      this.logger.info({ topics: [...contexts.keys()] }, 'topics or mappers changed: restarting the consumer');
      await this.supervisor.stop();
      this.contexts = contexts;
      this.supervisor = this.newSupervisor();
      if (!this.stopping) await this.startConsumer();
    });
    return this.reconfiguring;
  }

  protected override async prepare(): Promise<void> {
    await this.admin.connect();
  }

  protected async run(signal: AbortSignal): Promise<void> {
    // A consumer that fails for good (a fatal code in the retry table) fails the source.
    const consumerFailed = new Promise<void>((_, reject) => (this.consumerFailed = reject));
    try {
      await this.startConsumer();
      await this.lag.start();
      await Promise.race([consumerFailed, aborted(signal)]);
    } finally {
      await this.reconfiguring;
      await this.lag.stop();
      await this.supervisor.stop();
    }
  }

  private async startConsumer(): Promise<void> {
    this.idle = this.topics.length === 0;
    if (this.idle) {
      this.logger.warn('no platform topics configured; the Kafka source is idle');
      return;
    }
    await this.supervisor.start();
  }

  private createConsumer(): Consumer {
    const { kafka: settings } = this.config;
    const consumer = this.kafka.consumer({
      groupId: settings.groupId,
      maxBytesPerPartition: settings.maxBytesPerPartition,
      maxBytes: settings.maxBytesPerPartition * settings.partitionsConsumedConcurrently * 2,
      sessionTimeout: settings.sessionTimeoutMs,
      heartbeatInterval: Math.min(3_000, Math.floor(settings.sessionTimeoutMs / 3)),
      allowAutoTopicCreation: false,
      // Restarts are the supervisor's, for every kind of crash, with its backoff and readiness.
      retry: { restartOnFailure: async () => false },
    });
    consumer.on(consumer.events.GROUP_JOIN, ({ payload }) => {
      this.assignment = new Map(Object.entries(payload.memberAssignment).filter(([topic]) => this.contexts.has(topic)));
      this.verified.clear();
      // Synchronously, so that it happens before the first fetch: past a batch set aside.
      for (const [topic, partitions] of this.assignment) {
        for (const partition of partitions) {
          const offset = this.pendingSeeks.get(partitionKey(topic, partition));
          if (offset !== undefined) consumer.seek({ topic, partition, offset: offset.toString() });
        }
      }
      void this.seekToStoredPositions(consumer, payload.memberAssignment).catch((err: unknown) =>
        this.logger.warn({ err: (err as Error).message }, 'could not compare stored positions on assignment; the unifier skips applied records anyway'),
      );
    });
    return consumer;
  }

  private async runConsumer(consumer: Consumer): Promise<void> {
    this.verified.clear();
    await consumer.connect();
    await consumer.subscribe({ topics: this.topics, fromBeginning: true });
    await consumer.run({
      autoCommit: false,
      eachBatchAutoResolve: false,
      partitionsConsumedConcurrently: this.config.kafka.partitionsConsumedConcurrently,
      eachBatch: (payload) => this.handleBatch(consumer, payload),
    });
  }

  protected override async cleanup(): Promise<void> {
    await this.probe.disconnect();
    await this.admin.disconnect();
  }

  private async handleBatch(consumer: Consumer, { batch, resolveOffset, heartbeat, isRunning, isStale }: EachBatchPayload): Promise<void> {
    const context = this.contexts.get(batch.topic);
    if (!context) return;
    const stream = streams.kafka(batch.topic);
    let allowed: boolean;
    try {
      // Postgres away: wait (heartbeating) like a batch does, rather than failing the batch.
      allowed = await retry(
        { logger: this.logger, what: 'position check', shouldStop: () => this.stopping || !isRunning() || isStale(), onWait: heartbeat },
        () => this.mayConsume(consumer, batch.topic, batch.partition, BigInt(batch.highWatermark)),
      );
    } catch (err) {
      if (err instanceof StoppedError) return;
      throw err;
    }
    if (!allowed) return;
    const chunkSize = this.config.unifier.batchSize;
    // Chunk N+1 is decoded and normalized (CPU) while Postgres applies chunk N.
    const prepare = (start: number) => {
      const messages = batch.messages.slice(start, start + chunkSize);
      const last = messages[messages.length - 1];
      if (!last) return undefined;
      const next = BigInt(last.offset) + 1n;
      this.metrics.messagesConsumed.inc({ platform: context.platform }, messages.length);
      const items = messages.map((m) => decodeMessage(batch.topic, batch.partition, m, context));
      return { last, next, batch: this.unifier.prepare({ items, advance: [{ stream, partition: batch.partition, next }] }) };
    };
    let upcoming = prepare(0);
    for (let start = 0; upcoming; start += chunkSize) {
      if (!isRunning() || isStale()) return;
      const { last, next, batch: prepared } = upcoming;
      const delivering = this.deliver(
        prepared,
        async () => {
          resolveOffset(last.offset);
          await consumer.commitOffsets([{ topic: batch.topic, partition: batch.partition, offset: next.toString() }]);
        },
        { shouldStop: () => !isRunning() || isStale(), onWait: heartbeat },
      );
      delivering.catch(() => undefined); // awaited below, after the next chunk is prepared
      upcoming = start + chunkSize < batch.messages.length ? prepare(start + chunkSize) : undefined;
      try {
        await delivering;
      } catch (err) {
        if (err instanceof StoppedError) return; // not committed: redelivered to whoever owns the partition next
        throw err;
      }
      this.supervisor.healthy();
      // Between the lag monitor's ticks, each batch says where its partition stands.
      const labels = { topic: batch.topic, partition: String(batch.partition) };
      const lag = lagMessages(BigInt(batch.highWatermark), next);
      this.metrics.consumerLag.set(labels, lag);
      if (lag === 0) this.metrics.consumerLagSeconds.set(labels, 0);
      this.pendingSeeks.delete(partitionKey(batch.topic, batch.partition));
      await this.recordTopicIdOnce(batch.topic);
      await heartbeat().catch(() => undefined);
    }
  }

  /**
   * Before a partition's first batch: its stored position must not be past
   * the partition's end, and must belong to this topic (same topic id).
   * Otherwise the partition is paused and reported, nothing is applied.
   */
  private async mayConsume(consumer: Consumer, topic: string, partition: number, highWatermark: bigint): Promise<boolean> {
    const key = partitionKey(topic, partition);
    if (this.refused.has(key)) return false;
    if (this.verified.has(key)) return true;
    const stream = streams.kafka(topic);
    const stored = await this.positions.withTopicId(stream, partition);
    const verdict = judgePosition({ stream, partition, stored, highWatermark, topicId: await this.topicIdOf(topic) });
    if (verdict.ok) {
      this.verified.add(key);
      return true;
    }
    this.refused.set(key, verdict.message);
    this.metrics.partitionsStopped.set({ topic }, [...this.refused.keys()].filter((k) => k.startsWith(`${topic}\u0000`)).length);
    consumer.pause([{ topic, partitions: [partition] }]);
    this.logger.error({ topic, partition, reason: verdict.reason }, verdict.message);
    return false;
  }

  private async topicIdOf(topic: string): Promise<string | null> {
    if (!this.topicIds.has(topic)) {
      const ids = await this.probe.topicIds([topic]).catch((err: unknown) => {
        this.logger.warn({ topic, err: (err as Error).message }, 'could not read the topic id; positions are checked against the high-water mark only');
        return new Map<string, string | null>();
      });
      this.topicIds.set(topic, ids.get(topic) ?? null);
    }
    return this.topicIds.get(topic) ?? null;
  }

  private async recordTopicIdOnce(topic: string): Promise<void> {
    if (this.topicIdRecorded.has(topic)) return;
    const id = await this.topicIdOf(topic);
    this.topicIdRecorded.add(topic);
    if (id) await this.positions.recordTopicId(streams.kafka(topic), formatTopicId(id)).catch(() => this.topicIdRecorded.delete(topic));
  }

  /**
   * After a crash: fetch each owned partition alone from where it stands and
   * look for a batch that does not decode. Found again by a second probe, it
   * is dead-lettered (`undecodable_batch`) through the unifier, together with
   * the decodable records before it, and its offsets are stored in the same
   * transaction; the restarted consumer then seeks past it. Nothing valid is
   * skipped, and the crash does not come back.
   */
  private async afterCrash(error: Error): Promise<void> {
    // A broker that cannot be reached explains the crash; there is nothing to look for.
    if (unreachable(error)) return;
    // No deadline: what it applies must finish (or the daemon stop) before the consumer restarts.
    await this.setAsideUndecodable(error);
  }

  private async setAsideUndecodable(error: Error): Promise<void> {
    const owned = this.assignment.size > 0 ? this.assignment : await this.allPartitions();
    const committed = await this.committedOffsets([...owned.keys()]);
    for (const [topic, partitions] of owned) {
      const context = this.contexts.get(topic);
      if (!context || partitions.length === 0) continue;
      const stream = streams.kafka(topic);
      const stored = await this.storedOf(topic, partitions);
      const lows = new Map((await this.admin.fetchTopicOffsets(topic)).map((o) => [o.partition, BigInt(o.low)]));
      for (const partition of partitions) {
        const key = partitionKey(topic, partition);
        const kafkaAt = committed.get(key);
        const storedAt = stored.get(partition);
        // Stored ahead of Kafka's commit (a crash between the two): seek before the first fetch, not after.
        if (storedAt !== undefined && (kafkaAt === undefined || storedAt > kafkaAt)) this.pendingSeeks.set(key, storedAt);
        const from = [storedAt, kafkaAt, lows.get(partition) ?? 0n].reduce<bigint>((a, b) => (b !== undefined && b > a ? b : a), 0n);
        const found = await findUndecodable(this.probe, topic, partition, from, this.config.kafka.maxBytesPerPartition);
        if (!found) continue;
        const seen = (this.suspects.get(undecodableKey(found)) ?? 0) + 1;
        this.suspects.set(undecodableKey(found), seen);
        const range = { topic, partition, firstOffset: found.batch.baseOffset.toString(), lastOffset: found.batch.lastOffset.toString() };
        if (seen < UNDECODABLE_CONFIRMATIONS) {
          this.logger.warn({ ...range, err: found.error, crash: error.message }, 'a record batch does not decode; the consumer restarts once more before it is dead-lettered');
          continue;
        }
        // The decodable records first, in batches of unifier.batchSize, then the dead letter with the rest.
        const size = this.config.unifier.batchSize;
        const shouldStop = () => this.stopping;
        for (let i = 0; i + size < found.before.length; i += size) {
          const records = found.before.slice(i, i + size);
          const last = BigInt(records[records.length - 1]?.offset ?? '0') + 1n;
          const items = records.map((record) => decodeMessage(topic, partition, record as unknown as KafkaMessage, context));
          await this.unifier.ingest({ items, advance: [{ stream, partition, next: last }] }, { shouldStop });
        }
        const rest = found.before.slice(Math.max(Math.floor((found.before.length - 1) / size) * size, 0));
        const items = rest.map((record) => decodeMessage(topic, partition, record as unknown as KafkaMessage, context));
        items.push({ kind: 'invalid', letter: undecodableLetter(found, context.platform) });
        const next = found.batch.lastOffset + 1n;
        await this.unifier.ingest({ items, advance: [{ stream, partition, next }] }, { shouldStop });
        this.pendingSeeks.set(key, next);
        this.suspects.delete(undecodableKey(found));
        this.logger.error({ ...range, applied: found.before.length, err: found.error }, 'undecodable record batch dead-lettered (reason undecodable_batch); the partition goes on after it');
      }
    }
  }

  /** The stored next offset of these partitions of a topic, by partition. */
  private async storedOf(topic: string, partitions: readonly number[]): Promise<Map<number, bigint>> {
    const stream = streams.kafka(topic);
    const stored = await this.positions.nextOf(partitions.map((partition) => ({ stream, partition })));
    const out = new Map<number, bigint>();
    for (const partition of partitions) {
      const next = stored.get(storedKey(stream, partition));
      if (next !== undefined) out.set(partition, next);
    }
    return out;
  }

  private async allPartitions(): Promise<Map<string, number[]>> {
    const { topics } = await this.admin.fetchTopicMetadata({ topics: this.topics });
    return new Map(topics.map((t) => [t.name, t.partitions.map((p) => p.partitionId)]));
  }

  private async committedOffsets(topics: string[]): Promise<Map<string, bigint>> {
    const out = new Map<string, bigint>();
    if (topics.length === 0) return out;
    for (const { topic, partitions } of await this.admin.fetchOffsets({ groupId: this.config.kafka.groupId, topics })) {
      for (const p of partitions) if (BigInt(p.offset) >= 0n) out.set(partitionKey(topic, p.partition), BigInt(p.offset));
    }
    return out;
  }

  /**
   * After a rebalance, Kafka's committed offset may lag the position stored in
   * Postgres (a crash between the two commits): seek there, so applied
   * records are not even fetched again.
   */
  private async seekToStoredPositions(consumer: Consumer, assignment: Record<string, number[]>): Promise<void> {
    for (const [topic, partitions] of Object.entries(assignment)) {
      if (partitions.length === 0 || !this.contexts.has(topic)) continue;
      const stored = await this.storedOf(topic, partitions);
      if (stored.size === 0) continue;
      const [committed] = await this.admin.fetchOffsets({ groupId: this.config.kafka.groupId, topics: [topic] });
      const committedOf = new Map((committed?.partitions ?? []).map((p) => [p.partition, BigInt(p.offset)]));
      for (const [partition, next] of stored) {
        const kafkaOffset = committedOf.get(partition) ?? -1n;
        if (next > kafkaOffset) {
          this.logger.info({ topic, partition, committed: kafkaOffset.toString(), stored: next.toString() }, 'seeking to the position stored in Postgres');
          consumer.seek({ topic, partition, offset: next.toString() });
        }
      }
    }
  }
}
