import { randomBytes } from 'node:crypto';
import type { Kafka } from 'kafkajs';
import { ChangePublisher } from '../../src/audit/publisher/ChangePublisher.js';
import type { Config } from '../../src/runtime/config.js';
import { Metrics } from '../../src/runtime/metrics.js';
import { waitUntil } from './daemon.js';
import { admin, type TestDatabase } from './db.js';
import { silentLogger } from './engine.js';
import { headerStrings } from './kafka.js';

/** A slot (and publication) name no other test uses: slot names are cluster-wide. */
export function randomSlotName(prefix = 'pub_test'): string {
  return `${prefix}_${randomBytes(5).toString('hex')}`;
}

/**
 * Drops every replication slot of a database, ending the walsenders that hold
 * them first: a database with a slot cannot be dropped.
 */
export async function dropSlotsOf(database: string): Promise<void> {
  await admin(async (client) => {
    for (let attempt = 0; attempt < 50; attempt += 1) {
      await client.query(`SELECT pg_terminate_backend(active_pid) FROM pg_replication_slots WHERE database = $1 AND active_pid IS NOT NULL`, [database]);
      const { rows } = await client.query<{ slot_name: string; active: boolean }>(`SELECT slot_name, active FROM pg_replication_slots WHERE database = $1`, [database]);
      if (rows.length === 0) return;
      for (const slot of rows.filter((r) => !r.active)) {
        await client.query(`SELECT pg_drop_replication_slot($1)`, [slot.slot_name]).catch(() => undefined);
      }
      await new Promise((r) => setTimeout(r, 100));
    }
    throw new Error(`could not drop the replication slots of ${database}`);
  });
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
