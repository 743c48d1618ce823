import type { Admin, Consumer, EachBatchPayload, Kafka, KafkaMessage } from 'kafkajs';
import { BrokerProbe } from '../connectors/kafka/brokerProbe.js';
import { ensureTopics } from '../connectors/kafka/client.js';
import { SupervisedConsumer } from '../connectors/kafka/SupervisedConsumer.js';
import { findUndecodable, undecodableKey, undecodableLetter } from '../connectors/kafka/undecodable.js';
import type { Config } from '../runtime/config.js';
import { retry, StoppedError } from '../runtime/retry.js';
import { Job } from '../runtime/Job.js';
import { aborted } from '../runtime/sleep.js';
import type { Logger } from '../runtime/logger.js';
import { maskEmail } from '../runtime/mask.js';
import type { Metrics } from '../runtime/metrics.js';
import { unreachable } from '../runtime/unavailable.js';
import type { Forgetter } from './Forgetter.js';
import type { ForgetRequest } from './plan.js';
import { decodeForgetMessage, FORGET_DLQ_PLATFORM } from './requests.js';
import type { DeadLetter, DeadLetterSink } from '../contract.js';

/** Requests per forget transaction. */
const CHUNK = 500;

/**
 * Consumes `privacy.forgetTopic` in its own consumer group (`<groupId>-forget`)
 * so forget requests never wait behind a platform backlog. Invalid requests go
 * to the dead-letter topic; a chunk's offset is committed only after its
 * forget transaction committed. A redelivered request is harmless: forgetting
 * is idempotent (a redelivered invalid one may be dead-lettered twice).
 *
 * Like the Kafka source, its consumer is supervised: a crash restarts it with
 * backoff (readiness reports it meanwhile), and a record batch that cannot be
 * decoded is dead-lettered (`undecodable_batch`) after a second probe finds
 * it, then skipped.
 */
export class ForgetRequestConsumer extends Job {
  readonly name = 'forget-requests';
  private readonly supervisor: SupervisedConsumer;
  private readonly admin: Admin;
  private readonly probe: BrokerProbe;
  private assignment: number[] = [];
  private readonly pendingSeeks = new Map<number, bigint>();
  private readonly suspects = new Map<string, number>();

  constructor(
    private readonly kafka: Kafka,
    private readonly config: Config,
    readonly topic: string,
    private readonly forgetter: Forgetter,
    private readonly deadLetters: DeadLetterSink,
    logger: Logger,
    metrics: Metrics,
  ) {
    super(logger);
    this.admin = kafka.admin();
    this.probe = new BrokerProbe(kafka);
    this.supervisor = new SupervisedConsumer({
      name: this.name,
      create: () => this.createConsumer(),
      run: (consumer) => this.runConsumer(consumer),
      beforeRestart: async (error) => {
        if (!unreachable(error)) await this.setAsideUndecodable();
      },
      logger,
      metrics,
    });
  }

  private get groupId(): string {
    return `${this.config.kafka.groupId}-forget`;
  }

  private createConsumer(): Consumer {
    const consumer = this.kafka.consumer({
      groupId: this.groupId,
      sessionTimeout: this.config.kafka.sessionTimeoutMs,
      heartbeatInterval: Math.min(3_000, Math.floor(this.config.kafka.sessionTimeoutMs / 3)),
      maxBytesPerPartition: this.config.kafka.maxBytesPerPartition,
      allowAutoTopicCreation: false,
      retry: { restartOnFailure: async () => false },
    });
    consumer.on(consumer.events.GROUP_JOIN, ({ payload }) => {
      this.assignment = payload.memberAssignment[this.topic] ?? [];
      for (const partition of this.assignment) {
        const offset = this.pendingSeeks.get(partition);
        if (offset !== undefined) consumer.seek({ topic: this.topic, partition, offset: offset.toString() });
      }
    });
    return consumer;
  }

  private async runConsumer(consumer: Consumer): Promise<void> {
    await consumer.connect();
    await consumer.subscribe({ topics: [this.topic], fromBeginning: true });
    await consumer.run({ autoCommit: false, eachBatchAutoResolve: false, eachBatch: (payload) => this.handleBatch(consumer, payload) });
  }

  protected override async prepare(): Promise<void> {
    if (this.config.kafka.createMissingTopics) {
      const created = await ensureTopics(this.kafka, [this.topic, this.config.kafka.deadLetterTopic], {
        partitions: this.config.kafka.newTopicPartitions,
        replicationFactor: this.config.kafka.newTopicReplicationFactor,
      });
      if (created.length > 0) this.logger.info({ topics: created }, 'created missing topics');
    }
    await this.admin.connect();
  }

  protected async run(signal: AbortSignal): Promise<void> {
    // A consumer that fails for good (a fatal code in the retry table) fails this job.
    const consumerFailed = new Promise<void>((_, reject) => (this.supervisor.onFatal = reject));
    try {
      await this.supervisor.start();
      this.logger.info({ topic: this.topic }, 'consuming forget requests');
      await Promise.race([consumerFailed, aborted(signal)]);
    } finally {
      // kafkajs' stop waits for the batch in flight.
      await this.supervisor.stop();
    }
  }

  protected override async cleanup(): Promise<void> {
    await this.probe.disconnect();
    await this.admin.disconnect().catch(() => undefined);
  }

  /** Readiness: the consumer runs (not crashed, not restarting). */
  protected override async readiness(): Promise<void> {
    await this.supervisor.check();
  }

  /** See KafkaSource: the same search, without Postgres positions (the group's committed offsets say where it stands). */
  private async setAsideUndecodable(): Promise<void> {
    const [committed] = await this.admin.fetchOffsets({ groupId: this.groupId, topics: [this.topic] });
    const lows = new Map((await this.admin.fetchTopicOffsets(this.topic)).map((o) => [o.partition, BigInt(o.low)]));
    const partitions = this.assignment.length > 0 ? this.assignment : [...lows.keys()];
    for (const partition of partitions) {
      const at = BigInt(committed?.partitions.find((p) => p.partition === partition)?.offset ?? '-1');
      const from = this.pendingSeeks.get(partition) ?? (at >= 0n ? at : (lows.get(partition) ?? 0n));
      const found = await findUndecodable(this.probe, this.topic, partition, from, this.config.kafka.maxBytesPerPartition);
      if (!found) continue;
      const seen = (this.suspects.get(undecodableKey(found)) ?? 0) + 1;
      this.suspects.set(undecodableKey(found), seen);
      if (seen < 2) continue;
      // The requests before it came in the same fetch, which failed as a whole: they are handled here.
      const requests: ForgetRequest[] = [];
      const letters: DeadLetter[] = [];
      for (const record of found.before) {
        const decoded = decodeForgetMessage(this.topic, partition, record as unknown as KafkaMessage, this.config.kafka.maxMessageBytes);
        if (decoded.kind === 'request') requests.push(decoded.request);
        else letters.push(decoded.letter);
      }
      letters.push(undecodableLetter(found, FORGET_DLQ_PLATFORM));
      await this.deadLetters.send(letters);
      if (requests.length > 0) await this.forgetter.forgetEmailsOnce(requests);
      const next = found.batch.lastOffset + 1n;
      this.pendingSeeks.set(partition, next);
      this.suspects.delete(undecodableKey(found));
      // Works when no other instance is in the group; otherwise the seek on the next join does it.
      await this.admin.setOffsets({ groupId: this.groupId, topic: this.topic, partitions: [{ partition, offset: next.toString() }] }).catch(() => undefined);
      this.logger.error({ partition, firstOffset: found.batch.baseOffset.toString(), lastOffset: found.batch.lastOffset.toString(), err: found.error }, 'undecodable forget-request batch dead-lettered (reason undecodable_batch)');
    }
  }

  private async handleBatch(consumer: Consumer, { batch, resolveOffset, heartbeat, isRunning, isStale }: EachBatchPayload): Promise<void> {
    const shouldStop = () => this.stopping || !isRunning() || isStale();
    for (let start = 0; start < batch.messages.length; start += CHUNK) {
      if (shouldStop()) return;
      const messages = batch.messages.slice(start, start + CHUNK);
      const last = messages[messages.length - 1];
      if (!last) return;
      const requests: ForgetRequest[] = [];
      const letters: DeadLetter[] = [];
      for (const message of messages) {
        const decoded = decodeForgetMessage(batch.topic, batch.partition, message, this.config.kafka.maxMessageBytes);
        if (decoded.kind === 'request') requests.push(decoded.request);
        else letters.push(decoded.letter);
      }
      try {
        const retrying = { logger: this.logger, what: 'forget requests', shouldStop, onWait: heartbeat };
        await retry(retrying, () => this.deadLetters.send(letters));
        for (const letter of letters) {
          this.logger.warn({ reason: letter.reason, path: letter.path, position: letter.origin.position }, `forget request dead-lettered: ${letter.message}`);
        }
        const result = await retry(retrying, () => this.forgetter.forgetEmailsOnce(requests));
        for (const outcome of result.outcomes) {
          this.logger.info({ email: maskEmail(outcome.email), status: outcome.status, customers: outcome.customerIds }, 'forget request applied');
        }
      } catch (err) {
        if (err instanceof StoppedError) return; // not committed: redelivered to the partition's next owner
        throw err;
      }
      const next = (BigInt(last.offset) + 1n).toString();
      resolveOffset(last.offset);
      await consumer.commitOffsets([{ topic: batch.topic, partition: batch.partition, offset: next }]);
      this.supervisor.healthy();
      this.pendingSeeks.delete(batch.partition);
      await heartbeat().catch(() => undefined);
    }
  }
}
