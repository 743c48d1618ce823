import { CompressionTypes, type IHeaders, type Producer } from 'kafkajs';
import type { DeadLetter, DeadLetterSink } from '../contract.js';

export const DLQ_HEADER = {
  reason: 'custsync.reason',
  error: 'custsync.error',
  path: 'custsync.error.path',
  platform: 'custsync.platform',
  topic: 'custsync.source.topic',
  partition: 'custsync.source.partition',
  offset: 'custsync.source.offset',
  timestamp: 'custsync.source.timestamp',
  position: 'custsync.source.position',
  time: 'custsync.dead-lettered-at',
  /** Set when the original value was too large for the dead-letter topic and was left out. */
  valueOmitted: 'custsync.value-omitted',
  /** An undecodable batch: the last offset it covers, and its codec. */
  lastOffset: 'custsync.source.last-offset',
  compression: 'custsync.source.compression',
} as const;

/** Headers describing the failure, added to the original headers. */
export function deadLetterHeaders(letter: DeadLetter, now: Date): IHeaders {
  const { position } = letter.origin;
  const headers: IHeaders = {
    ...letter.origin.headers,
    [DLQ_HEADER.reason]: letter.reason,
    [DLQ_HEADER.error]: letter.message.slice(0, 1_000),
    [DLQ_HEADER.platform]: letter.platform,
    [DLQ_HEADER.position]: JSON.stringify(position),
    [DLQ_HEADER.time]: now.toISOString(),
  };
  if (letter.path) headers[DLQ_HEADER.path] = letter.path;
  if (position.kind === 'kafka') {
    headers[DLQ_HEADER.topic] = position.topic;
    headers[DLQ_HEADER.partition] = String(position.partition);
    headers[DLQ_HEADER.offset] = position.offset;
  }
  if (letter.origin.timestamp) headers[DLQ_HEADER.timestamp] = letter.origin.timestamp;
  return headers;
}

function isTooLarge(err: unknown): boolean {
  return typeof err === 'object' && err !== null && (err as { type?: unknown }).type === 'MESSAGE_TOO_LARGE';
}

/** Dead letters to a Kafka topic with acks from all in-sync replicas. */
export class KafkaDeadLetterSink implements DeadLetterSink {
  constructor(
    private readonly producer: Producer,
    private readonly topic: string,
    private readonly clock: () => Date = () => new Date(),
    /** kafka.compression (see codecs.ts for the names). */
    private readonly compression: CompressionTypes = CompressionTypes.None,
  ) {}

  async send(letters: readonly DeadLetter[]): Promise<void> {
    if (letters.length === 0) return;
    const now = this.clock();
    const message = (letter: DeadLetter) => ({ key: letter.origin.key, value: letter.origin.value, headers: deadLetterHeaders(letter, now) });
    try {
      await this.producer.send({ topic: this.topic, acks: -1, compression: this.compression, messages: letters.map(message) });
    } catch (err) {
      if (!isTooLarge(err)) throw err;
      // The dead-letter topic takes smaller messages than the source did: send
      // one by one, and a letter that still does not fit goes without its value
      // (which stays in the source topic) rather than stalling the partition.
      for (const letter of letters) {
        try {
          await this.producer.send({ topic: this.topic, acks: -1, compression: this.compression, messages: [message(letter)] });
        } catch (single) {
          if (!isTooLarge(single)) throw single;
          const { key, headers } = message(letter);
          headers[DLQ_HEADER.valueOmitted] = `${letter.origin.value?.length ?? 0} bytes: larger than the dead-letter topic accepts`;
          await this.producer.send({ topic: this.topic, acks: -1, compression: this.compression, messages: [{ key, value: null, headers }] });
        }
      }
    }
  }
}
