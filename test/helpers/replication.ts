import { randomBytes } from 'node:crypto';
import type { Kafka } from 'kafkajs';
import { ChangePublisher } from '../../src/audit/publisher/ChangePublisher.js';
import type { Config } from '../../src/runtime/config.js';
import { Metrics } from '../../src/runtime/metrics.js';
import { waitUntil } from './daemon.js';
import type { TestDatabase } from './db.js';
import { silentLogger } from './engine.js';
import { headerStrings } from './kafka.js';

/** A slot (and publication) name no other test uses: slot names are cluster-wide. */
export function randomSlotName(prefix = 'pub_test'): string {
  return `${prefix}_${randomBytes(5).toString('hex')}`;
}

export interface TopicMessage {
  key: string;
  /** The JSON value; null for a tombstone. */
  value: Record<string, unknown> | null;
  headers: Record<string, string>;
  partition: number;
  offset: string;
}

/** Collects a topic's messages from the beginning until `stop()`; `messages` grows as they arrive. */
export async function collectTopic(kafka: Kafka, topic: string): Promise<{ messages: TopicMessage[]; stop: () => Promise<void> }> {
  const consumer = kafka.consumer({ groupId: `collector-${randomBytes(5).toString('hex')}`, maxWaitTimeInMs: 100 });
  const messages: TopicMessage[] = [];
  await consumer.connect();
  await consumer.subscribe({ topics: [topic], fromBeginning: true });
  await consumer.run({
    eachMessage: async ({ message, partition }) => {
      const headers = headerStrings(message.headers);
      messages.push({
        key: message.key?.toString() ?? '',
        value: JSON.parse(message.value?.toString() ?? 'null') as Record<string, unknown>,
        headers,
        partition,
        offset: message.offset,
      });
    },
  });
  return { messages, stop: () => consumer.disconnect() };
}

/** A change publisher on the test database, returned once it leads and its slot streams. */
export async function startLeadingPublisher(config: Config, db: TestDatabase, metrics = new Metrics()): Promise<ChangePublisher> {
  const publisher = new ChangePublisher({ config, pool: db.pool, metrics, logger: silentLogger });
  await publisher.start();
  await waitUntil(
    'the publisher to lead and stream',
    async () =>
      publisher.role === 'leader' &&
      (await db.pool.query(`SELECT 1 FROM pg_replication_slots WHERE slot_name = $1 AND active`, [config.publisher.slotName])).rows.length === 1,
  );
  return publisher;
}
