import { randomBytes } from 'node:crypto';
import { Kafka, logLevel, Partitioners, type Producer } from 'kafkajs';
import { ID_HEADER, type Outgoing } from './messages.js';
import { FAULT_KAFKA_BROKERS } from './services.js';
import { headerStrings } from '../../helpers/kafka.js';
import { registerKafkaCodecs } from '../../../src/connectors/kafka/codecs.js';

registerKafkaCodecs();

export function faultKafka(clientId = 'custsync-faults-suite'): Kafka {
  return new Kafka({ clientId, brokers: FAULT_KAFKA_BROKERS, logLevel: logLevel.NOTHING, connectionTimeout: 3_000, retry: { retries: 5, maxRetryTime: 2_000 } });
}

export interface ReadMessage {
  topic: string;
  partition: number;
  offset: bigint;
  key: Buffer | null;
  value: Buffer | null;
  headers: Record<string, string>;
  timestamp: string;
}

/** High watermark per partition. */
export async function highWatermarks(kafka: Kafka, topic: string): Promise<Map<number, bigint>> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    const offsets = await admin.fetchTopicOffsets(topic);
    return new Map(offsets.map((o) => [o.partition, BigInt(o.high)]));
  } finally {
    await admin.disconnect();
  }
}

/** Every message of a topic up to its current high watermarks, sorted by partition and offset. */
export async function readTopicFully(kafka: Kafka, topic: string, timeoutMs = 600_000): Promise<ReadMessage[]> {
  const high = await highWatermarks(kafka, topic);
  const wanted = [...high.values()].reduce((n, h) => n + h, 0n);
  const out: ReadMessage[] = [];
  if (wanted === 0n) return out;
  const done = new Set<number>([...high].filter(([, h]) => h === 0n).map(([p]) => p));
  const consumer = kafka.consumer({
    groupId: `faults-reader-${randomBytes(5).toString('hex')}`,
    maxBytesPerPartition: 16 * 1024 * 1024,
    maxBytes: 64 * 1024 * 1024,
    maxWaitTimeInMs: 200,
  });
  await consumer.connect();
  try {
    await consumer.subscribe({ topics: [topic], fromBeginning: true });
    let finish: () => void = () => undefined;
    const finished = new Promise<void>((r) => (finish = r));
    await consumer.run({
      autoCommit: false,
      eachBatch: async ({ batch }) => {
        const limit = high.get(batch.partition) ?? 0n;
        for (const m of batch.messages) {
          const offset = BigInt(m.offset);
          if (offset >= limit) break;
          const headers = headerStrings(m.headers);
          out.push({ topic, partition: batch.partition, offset, key: m.key, value: m.value, headers, timestamp: m.timestamp });
          if (offset === limit - 1n) done.add(batch.partition);
        }
        if (done.size === high.size) finish();
      },
    });
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      finished,
      new Promise((_, reject) => {
        timer = setTimeout(() => reject(new Error(`reading ${topic}: ${out.length} of ${wanted} messages after ${timeoutMs} ms`)), timeoutMs);
      }),
    ]).finally(() => clearTimeout(timer));
  } finally {
    await consumer.disconnect();
  }
  return out.sort((a, b) => a.partition - b.partition || (a.offset < b.offset ? -1 : a.offset > b.offset ? 1 : 0));
}

export function faultId(message: ReadMessage): number | undefined {
  const id = message.headers[ID_HEADER];
  return id === undefined ? undefined : Number(id);
}

/**
 * Produces a list of messages paced over `durationMs` (so faults happen
 * while it streams), retrying through broker outages. A retried chunk may
 * land twice: the suite reads the topics back, so duplicates are part of the
 * expected input rather than an error.
 */
export class PacedProducer {
  sent = 0;
  failedSends = 0;
  blockedMs = 0;
  private readonly producer: Producer;
  private stopped = false;

  constructor(
    kafka: Kafka,
    private readonly messages: readonly Outgoing[],
    private readonly durationMs: number,
  ) {
    this.producer = kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner, allowAutoTopicCreation: false, retry: { retries: 2, maxRetryTime: 1_000 } });
  }

  stop(): void {
    this.stopped = true;
  }

  async run(onProgress?: (sent: number) => void): Promise<void> {
    await this.connect();
    const started = Date.now();
    try {
      while (this.sent < this.messages.length && !this.stopped) {
        const due = Math.min(this.messages.length, Math.ceil((this.messages.length * (Date.now() - started)) / this.durationMs));
        if (this.sent >= due) {
          await new Promise((r) => setTimeout(r, 25));
          continue;
        }
        const chunk = this.nextChunk(Math.min(due - this.sent, 500));
        await this.sendWithRetry(chunk);
        this.sent += chunk.length;
        onProgress?.(this.sent);
      }
    } finally {
      await this.producer.disconnect().catch(() => undefined);
    }
  }

  /** Up to `max` messages of one topic; a large message goes alone (a request must stay under the broker's limit). */
  private nextChunk(max: number): Outgoing[] {
    const first = this.messages[this.sent] as Outgoing;
    if ((first.value?.length ?? 0) > 100_000) return [first];
    const chunk = [first];
    let bytes = first.value?.length ?? 0;
    for (let i = this.sent + 1; i < this.messages.length && chunk.length < max; i += 1) {
      const m = this.messages[i] as Outgoing;
      const size = m.value?.length ?? 0;
      if (size > 100_000 || bytes + size > 900_000) break;
      chunk.push(m);
      bytes += size;
    }
    return chunk;
  }

  private async connect(): Promise<void> {
    for (;;) {
      try {
        await this.producer.connect();
        return;
      } catch {
        await new Promise((r) => setTimeout(r, 500));
      }
    }
  }

  private async sendWithRetry(chunk: Outgoing[]): Promise<void> {
    const byTopic = new Map<string, Outgoing[]>();
    for (const m of chunk) byTopic.set(m.topic, [...(byTopic.get(m.topic) ?? []), m]);
    const topicMessages = [...byTopic].map(([topic, list]) => ({
      topic,
      messages: list.map((m) => ({ key: m.key, value: m.value, headers: { [ID_HEADER]: String(m.id) } })),
    }));
    let blockedSince: number | undefined;
    for (;;) {
      try {
        await this.producer.sendBatch({ acks: -1, topicMessages });
        if (blockedSince !== undefined) this.blockedMs += Date.now() - blockedSince;
        return;
      } catch {
        this.failedSends += 1;
        blockedSince ??= Date.now();
        await new Promise((r) => setTimeout(r, 500));
      }
    }
  }
}
