import { randomBytes } from 'node:crypto';
import { waitUntil } from './daemon.js';
import { Kafka, logLevel, type Admin, type IHeaders } from 'kafkajs';
import { registerKafkaCodecs } from '../../src/connectors/kafka/codecs.js';
import { KAFKA_BROKERS } from './env.js';

// Tests read what custsync writes, compressed with any codec.
registerKafkaCodecs();

export interface TestKafkaOptions {
  /** Default: the test brokers (test/helpers/env.ts). */
  brokers?: string[];
  connectionTimeout?: number;
  /** Upper bound of one retry's wait (the fault suite keeps it short while brokers come and go). */
  maxRetryTime?: number;
}

export function testKafka(clientId = 'custsync-test', options: TestKafkaOptions = {}): Kafka {
  return new Kafka({
    clientId,
    brokers: options.brokers ?? KAFKA_BROKERS,
    logLevel: logLevel.NOTHING,
    ...(options.connectionTimeout ? { connectionTimeout: options.connectionTimeout } : {}),
    retry: { retries: 5, ...(options.maxRetryTime ? { maxRetryTime: options.maxRetryTime } : {}) },
  });
}

/** A topic name no other test uses. */
export function randomTopic(prefix = 't'): string {
  return `${prefix}.${randomBytes(5).toString('hex')}`;
}

export async function createTopics(kafka: Kafka, topics: string[], numPartitions = 1): Promise<void> {
  const admin: Admin = kafka.admin();
  await admin.connect();
  try {
    await admin.createTopics({ waitForLeaders: true, topics: topics.map((topic) => ({ topic, numPartitions, replicationFactor: 1 })) });
  } finally {
    await admin.disconnect();
  }
}

/** Message headers as strings (the first value of a repeated header). */
export function headerStrings(headers: IHeaders | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(headers ?? {})) out[k] = String(Array.isArray(v) ? v[0] : v);
  return out;
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

/** Reads every message of a topic from the beginning (a throwaway consumer group). */
export async function readTopic(kafka: Kafka, topic: string, expectAtLeast: number, timeoutMs = 30_000) {
  const consumer = kafka.consumer({ groupId: `reader-${Math.random().toString(16).slice(2)}` });
  const messages: { key: Buffer | null; value: Buffer | null; headers: Record<string, string>; partition: number; offset: string }[] = [];
  await consumer.connect();
  await consumer.subscribe({ topics: [topic], fromBeginning: true });
  await consumer.run({
    eachMessage: async ({ message, partition }) => {
      const headers = headerStrings(message.headers);
      messages.push({ key: message.key, value: message.value, headers, partition, offset: message.offset });
    },
  });
  try {
    await waitUntil(`${expectAtLeast} messages on ${topic}`, () => messages.length >= expectAtLeast, timeoutMs);
  } finally {
    await consumer.disconnect();
  }
  return messages;
}
