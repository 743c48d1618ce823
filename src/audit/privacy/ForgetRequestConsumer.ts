import type { Consumer, EachBatchPayload, Kafka } from 'kafkajs';
import { ensureTopics } from '../../connectors/kafka/client.js';
import type { DeadLetter, DeadLetterSink } from '../../connectors/deadLetters.js';
import type { Config } from '../../runtime/config.js';
import { toCustsyncError } from '../../runtime/errors.js';
import { once, type Component } from '../../runtime/lifecycle.js';
import type { Logger } from '../../runtime/logger.js';
import { maskEmail } from '../../runtime/mask.js';
import type { Forgetter } from './Forgetter.js';
import type { ForgetRequest } from './plan.js';
import { decodeForgetMessage } from './requests.js';

/** Requests per forget transaction. */
const CHUNK = 500;

class Abandoned extends Error {}

/**
 * Consumes `privacy.forgetTopic` in its own consumer group (`<groupId>-forget`)
 * so forget requests never wait behind a platform backlog. Invalid requests go
 * to the dead-letter topic; a chunk's offset is committed only after its
 * forget transaction committed. A redelivered request is harmless: forgetting
 * is idempotent (a redelivered invalid one may be dead-lettered twice).
 */
export class ForgetRequestConsumer implements Component {
  readonly name = 'forget-requests';
  readonly stop: () => Promise<void>;
  private readonly consumer: Consumer;
  private stopping = false;

  constructor(
    private readonly kafka: Kafka,
    private readonly config: Config,
    readonly topic: string,
    private readonly forgetter: Forgetter,
    private readonly deadLetters: DeadLetterSink,
    private readonly logger: Logger,
  ) {
    this.consumer = kafka.consumer({
      groupId: `${config.kafka.groupId}-forget`,
      sessionTimeout: config.kafka.sessionTimeoutMs,
      heartbeatInterval: Math.min(3_000, Math.floor(config.kafka.sessionTimeoutMs / 3)),
      maxBytesPerPartition: config.kafka.maxBytesPerPartition,
      allowAutoTopicCreation: false,
    });
    this.stop = once(async () => {
      this.stopping = true;
      // kafkajs' disconnect stops the consumer, waiting for the batch in flight.
      await this.consumer.disconnect();
    });
  }

  async start(): Promise<void> {
    if (this.config.kafka.createMissingTopics) {
      const created = await ensureTopics(this.kafka, [this.topic, this.config.kafka.deadLetterTopic], {
        partitions: this.config.kafka.newTopicPartitions,
        replicationFactor: this.config.kafka.newTopicReplicationFactor,
      });
      if (created.length > 0) this.logger.info({ topics: created }, 'created missing topics');
    }
    await this.consumer.connect();
    await this.consumer.subscribe({ topics: [this.topic], fromBeginning: true });
    await this.consumer.run({ autoCommit: false, eachBatchAutoResolve: false, eachBatch: (payload) => this.handleBatch(payload) });
    this.logger.info({ topic: this.topic }, 'consuming forget requests');
  }

  private async handleBatch({ batch, resolveOffset, heartbeat, isRunning, isStale }: EachBatchPayload): Promise<void> {
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
        await this.retrying(() => this.deadLetters.send(letters), shouldStop, heartbeat);
        for (const letter of letters) {
          this.logger.warn({ reason: letter.reason, path: letter.path, position: letter.origin.position }, `forget request dead-lettered: ${letter.message}`);
        }
        const result = await this.retrying(() => this.forgetter.forgetEmails(requests), shouldStop, heartbeat);
        for (const outcome of result.outcomes) {
          this.logger.info({ email: maskEmail(outcome.email), status: outcome.status, customers: outcome.customerIds }, 'forget request applied');
        }
      } catch (err) {
        if (err instanceof Abandoned) return; // not committed: redelivered to the partition's next owner
        throw err;
      }
      const next = (BigInt(last.offset) + 1n).toString();
      resolveOffset(last.offset);
      await this.consumer.commitOffsets([{ topic: batch.topic, partition: batch.partition, offset: next }]);
      await heartbeat().catch(() => undefined);
    }
  }

  /** Retries until it succeeds or the consumer stops (then the chunk is abandoned, uncommitted). */
  private async retrying<T>(work: () => Promise<T>, shouldStop: () => boolean, heartbeat: () => Promise<void>): Promise<T> {
    for (let attempt = 1; ; attempt += 1) {
      if (shouldStop()) throw new Abandoned();
      try {
        return await work();
      } catch (err) {
        const error = toCustsyncError(err);
        const delay = Math.min(250 * 2 ** Math.min(attempt - 1, 6), 10_000);
        this.logger.error({ code: error.code, attempt, delayMs: delay, err: error.message }, 'forget requests failed; pausing and retrying');
        const until = Date.now() + delay;
        while (Date.now() < until && !shouldStop()) {
          await new Promise((resolve) => setTimeout(resolve, Math.min(500, until - Date.now())));
          await heartbeat().catch(() => undefined);
        }
      }
    }
  }
}
