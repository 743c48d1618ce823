import type { Admin, Consumer, EachBatchPayload, Kafka } from 'kafkajs';
import type { Pool } from 'pg';
import type { Config } from '../../runtime/config.js';
import type { Logger } from '../../runtime/logger.js';
import type { Metrics } from '../../runtime/metrics.js';
import { StoppedError, type Unifier } from '../../unifier/Unifier.js';
import { SourceConnector } from '../Connector.js';
import { mapperFor } from '../mappers/registry.js';
import { decodeMessage, type DecodeContext } from './decode.js';

const STORED_POSITIONS = `
SELECT partition, next_ordinal::text FROM custsync.source_positions WHERE stream = $1 AND partition = ANY($2::int[])`;

/**
 * Consumes every configured platform topic in one consumer group. Offsets are
 * committed to Kafka only after the unifier's transaction (which stored them
 * in Postgres too) committed; auto-commit is off.
 */
export class KafkaSource extends SourceConnector {
  readonly name = 'kafka-source';
  private readonly consumer: Consumer;
  private readonly admin: Admin;
  private readonly contexts = new Map<string, DecodeContext>();
  private running = false;

  constructor(
    kafka: Kafka,
    private readonly config: Config,
    private readonly pool: Pool,
    unifier: Unifier,
    private readonly metrics: Metrics,
    logger: Logger,
  ) {
    super(unifier, logger);
    this.consumer = kafka.consumer({
      groupId: config.kafka.groupId,
      maxBytesPerPartition: config.kafka.maxBytesPerPartition,
      maxBytes: config.kafka.maxBytesPerPartition * config.kafka.partitionsConsumedConcurrently * 2,
      sessionTimeout: config.kafka.sessionTimeoutMs,
      heartbeatInterval: Math.min(3_000, Math.floor(config.kafka.sessionTimeoutMs / 3)),
      allowAutoTopicCreation: false,
    });
    this.admin = kafka.admin();
    const knownPlatforms = new Set(config.platforms.map((p) => p.name));
    for (const platform of config.platforms) {
      const mapper = mapperFor(platform.mapper);
      for (const topic of platform.topics) {
        this.contexts.set(topic, { platform: platform.name, mapper, knownPlatforms, maxMessageBytes: config.kafka.maxMessageBytes });
      }
    }
  }

  get topics(): string[] {
    return [...this.contexts.keys()];
  }

  async testConnection(): Promise<void> {
    if (!this.running) throw new Error('kafka consumer is not running');
    await this.admin.describeCluster();
  }

  protected async connect(): Promise<void> {
    await this.admin.connect();
    await this.consumer.connect();
    this.consumer.on(this.consumer.events.GROUP_JOIN, ({ payload }) => {
      void this.seekToStoredPositions(payload.memberAssignment).catch((err: unknown) =>
        this.logger.warn({ err: (err as Error).message }, 'could not compare stored positions on assignment; the unifier skips applied records anyway'),
      );
    });
    this.consumer.on(this.consumer.events.CRASH, ({ payload }) => {
      this.logger.error({ err: payload.error.message, restart: payload.restart }, 'kafka consumer crashed');
      if (!payload.restart) this.onFatal(payload.error);
    });
    if (this.topics.length > 0) await this.consumer.subscribe({ topics: this.topics, fromBeginning: true });
  }

  protected async consume(signal: AbortSignal): Promise<void> {
    if (this.topics.length === 0) {
      this.logger.warn('no platform topics configured; the Kafka source is idle');
    } else {
      await this.consumer.run({
        autoCommit: false,
        eachBatchAutoResolve: false,
        partitionsConsumedConcurrently: this.config.kafka.partitionsConsumedConcurrently,
        eachBatch: (payload) => this.handleBatch(payload),
      });
    }
    this.running = true;
    await new Promise<void>((resolve) => signal.addEventListener('abort', () => resolve(), { once: true }));
    // kafkajs' stop waits for the eachBatch in flight, which finishes its chunk and commits.
    await this.consumer.stop();
    this.running = false;
  }

  protected async disconnect(): Promise<void> {
    await this.consumer.disconnect();
    await this.admin.disconnect();
  }

  private async handleBatch({ batch, resolveOffset, heartbeat, isRunning, isStale }: EachBatchPayload): Promise<void> {
    const context = this.contexts.get(batch.topic);
    if (!context) return;
    const chunkSize = this.config.unifier.batchSize;
    const stream = `kafka:${batch.topic}`;
    for (let start = 0; start < batch.messages.length; start += chunkSize) {
      if (!isRunning() || isStale()) return;
      const messages = batch.messages.slice(start, start + chunkSize);
      const last = messages[messages.length - 1];
      if (!last) return;
      const next = BigInt(last.offset) + 1n;
      this.metrics.messagesConsumed.inc({ platform: context.platform }, messages.length);
      const items = messages.map((m) => decodeMessage(batch.topic, batch.partition, m, context));
      try {
        await this.deliver(
          { items, advance: [{ stream, partition: batch.partition, next }] },
          async () => {
            resolveOffset(last.offset);
            await this.consumer.commitOffsets([{ topic: batch.topic, partition: batch.partition, offset: next.toString() }]);
          },
          { shouldStop: () => !isRunning() || isStale(), onWait: heartbeat },
        );
      } catch (err) {
        if (err instanceof StoppedError) return; // not committed: redelivered to whoever owns the partition next
        throw err;
      }
      this.metrics.consumerLag.set({ topic: batch.topic, partition: String(batch.partition) }, Math.max(Number(BigInt(batch.highWatermark) - next), 0));
      await heartbeat().catch(() => undefined);
    }
  }

  /**
   * After a rebalance, Kafka's committed offset may lag the position stored in
   * Postgres (a crash between the two commits): seek there, so applied
   * records are not even fetched again.
   */
  private async seekToStoredPositions(assignment: Record<string, number[]>): Promise<void> {
    for (const [topic, partitions] of Object.entries(assignment)) {
      if (partitions.length === 0 || !this.contexts.has(topic)) continue;
      const { rows } = await this.pool.query<{ partition: number; next_ordinal: string }>(STORED_POSITIONS, [`kafka:${topic}`, partitions]);
      if (rows.length === 0) continue;
      const [committed] = await this.admin.fetchOffsets({ groupId: this.config.kafka.groupId, topics: [topic] });
      const committedOf = new Map((committed?.partitions ?? []).map((p) => [p.partition, BigInt(p.offset)]));
      for (const row of rows) {
        const stored = BigInt(row.next_ordinal);
        const kafkaOffset = committedOf.get(row.partition) ?? -1n;
        if (stored > kafkaOffset) {
          this.logger.info({ topic, partition: row.partition, committed: kafkaOffset.toString(), stored: stored.toString() }, 'seeking to the position stored in Postgres');
          this.consumer.seek({ topic, partition: row.partition, offset: stored.toString() });
        }
      }
    }
  }
}
