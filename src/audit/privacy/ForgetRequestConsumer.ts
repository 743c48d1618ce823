import type { Consumer, EachBatchPayload, Kafka } from 'kafkajs';
import { ensureTopics } from '../../connectors/kafka/client.js';
import type { DeadLetter, DeadLetterSink } from '../../connectors/deadLetters.js';
import type { Config } from '../../runtime/config.js';
import { retryUntilStopped, StoppedError } from '../../runtime/retry.js';
import { once, type Component } from '../../runtime/lifecycle.js';
import type { Logger } from '../../runtime/logger.js';
import { maskEmail } from '../../runtime/mask.js';
import type { Forgetter } from './Forgetter.js';
import type { ForgetRequest } from './plan.js';
import { decodeForgetMessage } from './requests.js';

/** Requests per forget transaction. */
const CHUNK = 500;

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
        const retry = { logger: this.logger, what: 'forget requests', shouldStop, onWait: heartbeat };
        await retryUntilStopped(retry, () => this.deadLetters.send(letters));
        for (const letter of letters) {
          this.logger.warn({ reason: letter.reason, path: letter.path, position: letter.origin.position }, `forget request dead-lettered: ${letter.message}`);
        }
        const result = await retryUntilStopped(retry, () => this.forgetter.forgetEmails(requests));
        for (const outcome of result.outcomes) {
          this.logger.info({ email: maskEmail(outcome.email), status: outcome.status, customers: outcome.customerIds }, 'forget request applied');
        }
      } catch (err) {
        if (err instanceof StoppedError) return; // not committed: redelivered to the partition's next owner
        throw err;
      }
      const next = (BigInt(last.offset) + 1n).toString();
      resolveOffset(last.offset);
      await this.consumer.commitOffsets([{ topic: batch.topic, partition: batch.partition, offset: next }]);
      await heartbeat().catch(() => undefined);
    }
  }
}
