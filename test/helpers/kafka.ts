import { randomBytes } from 'node:crypto';
import { Kafka, logLevel, type Admin, type IHeaders } from 'kafkajs';
import { registerKafkaCodecs } from '../../src/connectors/kafka/codecs.js';
import { KAFKA_BROKERS } from './env.js';

// Tests read what custsync writes, compressed with any codec.
registerKafkaCodecs();

export function testKafka(clientId = 'custsync-test'): Kafka {
  return new Kafka({ clientId, brokers: KAFKA_BROKERS, logLevel: logLevel.NOTHING, retry: { retries: 5 } });
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
