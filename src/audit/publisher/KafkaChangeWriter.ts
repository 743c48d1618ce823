import { CompressionTypes, type Message, type Producer } from 'kafkajs';
import type { ChangeEvent } from './ChangeEvent.js';

/** Where assembled events go; resolves once every event is durably written. */
export interface ChangeWriter {
  write(events: readonly ChangeEvent[]): Promise<void>;
}

export interface KafkaChangeWriterOptions {
  topic: string;
  /**
   * Upper bound of one produce request's payload. Kafka rejects a partition's
   * record batch over message.max.bytes (1 MiB by default), so larger groups
   * go out as several requests, in order.
   */
  maxRequestBytes: number;
  /** gzip (kafkajs' built-in codec, run off the main thread) or none. */
  compression: 'gzip' | 'none';
}

/** Serializes one event as the Kafka message consumers read (key: customer id). */
export function changeMessage(event: ChangeEvent): Message {
  return { key: String(event.key.id), value: Buffer.from(JSON.stringify(event)) };
}

/**
 * Writes events to the change topic with acks=all through an idempotent
 * producer, one request at a time, so that when `write` resolves every event
 * is durable and events of one customer (one key, one partition) are in
 * commit order.
 */
export class KafkaChangeWriter implements ChangeWriter {
  constructor(
    private readonly producer: Producer,
    private readonly options: KafkaChangeWriterOptions,
  ) {}

  async write(events: readonly ChangeEvent[]): Promise<void> {
    let messages: Message[] = [];
    let bytes = 0;
    for (const event of events) {
      const message = changeMessage(event);
      const size = (message.value as Buffer).length + 64;
      if (messages.length > 0 && bytes + size > this.options.maxRequestBytes) {
        await this.send(messages);
        messages = [];
        bytes = 0;
      }
      messages.push(message);
      bytes += size;
    }
    if (messages.length > 0) await this.send(messages);
  }

  private async send(messages: Message[]): Promise<void> {
    await this.producer.send({
      topic: this.options.topic,
      acks: -1,
      compression: this.options.compression === 'gzip' ? CompressionTypes.GZIP : CompressionTypes.None,
      messages,
    });
  }
}
