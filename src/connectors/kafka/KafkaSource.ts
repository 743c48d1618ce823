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
/** Which platform and mapper read each topic (rebuilt on a configuration reload). */
function decodeContexts(config: Config): Map<string, DecodeContext> {
  const contexts = new Map<string, DecodeContext>();
  const knownPlatforms = new Set(config.platforms.map((p) => p.name));
  for (const platform of config.platforms) {
    const mapper = mapperFor(platform.mapper);
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
  private consumer: Consumer | undefined;
  private readonly admin: Admin;
  private contexts: Map<string, DecodeContext>;
  private running = false;
  private reconfiguring: Promise<void> = Promise.resolve();

  constructor(
    private readonly kafka: Kafka,
    private config: Config,
    private readonly pool: Pool,
    unifier: Unifier,
    private readonly metrics: Metrics,
    logger: Logger,
  ) {
    super(unifier, logger);
    this.admin = kafka.admin();
    this.contexts = decodeContexts(config);
  }

  get topics(): string[] {
    return [...this.contexts.keys()];
  }

  async testConnection(): Promise<void> {
    if (!this.running) throw new Error('kafka consumer is not running');
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
      await this.stopConsumer();
      this.contexts = contexts;
      if (!this.stopping) await this.startConsumer();
    });
    return this.reconfiguring;
  }

  protected async connect(): Promise<void> {
    await this.admin.connect();
  }

  protected async consume(signal: AbortSignal): Promise<void> {
    await this.startConsumer();
    await new Promise<void>((resolve) => signal.addEventListener('abort', () => resolve(), { once: true }));
    await this.reconfiguring;
    await this.stopConsumer();
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
    });
    consumer.on(consumer.events.GROUP_JOIN, ({ payload }) => {
      void this.seekToStoredPositions(consumer, payload.memberAssignment).catch((err: unknown) =>
        this.logger.warn({ err: (err as Error).message }, 'could not compare stored positions on assignment; the unifier skips applied records anyway'),
      );
    });
    consumer.on(consumer.events.CRASH, ({ payload }) => {
      this.logger.error({ err: payload.error.message, restart: payload.restart }, 'kafka consumer crashed');
      if (!payload.restart) this.onFatal(payload.error);
    });
    return consumer;
  }

  private async startConsumer(): Promise<void> {
    if (this.topics.length === 0) {
      this.logger.warn('no platform topics configured; the Kafka source is idle');
      this.running = true;
      return;
    }
    const consumer = this.createConsumer();
    this.consumer = consumer;
    await consumer.connect();
    await consumer.subscribe({ topics: this.topics, fromBeginning: true });
    await consumer.run({
      autoCommit: false,
      eachBatchAutoResolve: false,
      partitionsConsumedConcurrently: this.config.kafka.partitionsConsumedConcurrently,
      eachBatch: (payload) => this.handleBatch(consumer, payload),
    });
    this.running = true;
  }

  /** kafkajs' stop waits for the eachBatch in flight, which finishes its chunk and commits. */
  private async stopConsumer(): Promise<void> {
    const consumer = this.consumer;
    this.consumer = undefined;
    this.running = false;
    if (!consumer) return;
    await consumer.stop();
    await consumer.disconnect();
  }

  protected async disconnect(): Promise<void> {
    await this.admin.disconnect();
  }

  private async handleBatch(consumer: Consumer, { batch, resolveOffset, heartbeat, isRunning, isStale }: EachBatchPayload): Promise<void> {
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
            await consumer.commitOffsets([{ topic: batch.topic, partition: batch.partition, offset: next.toString() }]);
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
  private async seekToStoredPositions(consumer: Consumer, assignment: Record<string, number[]>): Promise<void> {
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
          consumer.seek({ topic, partition: row.partition, offset: stored.toString() });
        }
      }
    }
  }
}
