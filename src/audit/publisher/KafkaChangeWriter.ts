import type { Producer } from 'kafkajs';
import { compressionType } from '../../connectors/kafka/codecs.js';
import type { KafkaCompression } from '../../runtime/config.js';
import type { KeyTemplate } from './debezium.js';
import { chunkMessages, type EncodedChunk } from './encode.js';

/** Where encoded events go; resolves once every chunk is durably written, in order. */
export interface ChangeWriter {
  write(chunks: readonly EncodedChunk[]): Promise<void>;
}

export interface KafkaChangeWriterOptions {
  topic: string;
  compression: KafkaCompression;
  key?: KeyTemplate;
}

/**
 * Writes chunks to the change topic with acks=all through an idempotent
 * producer, one request per chunk and one at a time in the order of the
 * `write` calls, so that when `write` resolves every event is durable and
 * events of one customer (one key, one partition) are in commit order. The
 * daemon runs the same on a thread of its own (kafkaThread.ts); this one
 * serves tests that drive a producer directly.
 */
export class KafkaChangeWriter implements ChangeWriter {
  /** The last request queued: requests go one at a time, in the order `write` was called. */
  private tail: Promise<void> = Promise.resolve();
  private broken: unknown;

  constructor(
    private readonly producer: Producer,
    private readonly options: KafkaChangeWriterOptions,
  ) {}

  write(chunks: readonly EncodedChunk[]): Promise<void> {
    const done = this.tail.then(async () => {
      // After a failure nothing later is written, so nothing is written out of order.
      if (this.broken !== undefined) throw this.broken;
      try {
        for (const chunk of chunks) await this.send(chunk);
      } catch (err) {
        this.broken = err;
        throw err;
      }
    });
    this.tail = done.catch(() => undefined);
    return done;
  }

  private async send(chunk: EncodedChunk): Promise<void> {
    await this.producer.send({
      topic: this.options.topic,
      acks: -1,
      compression: compressionType(this.options.compression),
      messages: chunkMessages(chunk, this.options.key),
    });
  }
}
