import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freshDatabase, type TestDatabase } from '../helpers/db.js';
import { createTopics, randomTopic, testKafka } from '../helpers/kafka.js';

describe('the real services', () => {
  let db: TestDatabase;
  beforeAll(async () => {
    db = await freshDatabase();
  });
  afterAll(async () => {
    await db.drop();
  });

  it('Postgres runs with logical replication', async () => {
    const { rows } = await db.pool.query<{ wal_level: string }>('SHOW wal_level');
    expect(rows[0]?.wal_level).toBe('logical');
    const slots = await db.pool.query<{ setting: string }>(`SELECT setting FROM pg_settings WHERE name IN ('max_replication_slots', 'max_wal_senders')`);
    for (const row of slots.rows) expect(Number(row.setting)).toBeGreaterThanOrEqual(10);
    const port = await db.pool.query<{ port: string }>(`SHOW port`);
    expect(port.rows[0]?.port).not.toBe('5432');
  });

  it('Kafka round-trips a message through a new topic', async () => {
    const kafka = testKafka();
    const topic = randomTopic('roundtrip');
    await createTopics(kafka, [topic]);
    const producer = kafka.producer();
    await producer.connect();
    await producer.send({ topic, acks: -1, messages: [{ key: 'k', value: 'hello custsync', headers: { h: 'v' } }] });
    await producer.disconnect();

    const consumer = kafka.consumer({ groupId: randomTopic('g') });
    await consumer.connect();
    await consumer.subscribe({ topics: [topic], fromBeginning: true });
    const received = await new Promise<{ key: string; value: string; header: string }>((resolve) => {
      void consumer.run({
        eachMessage: async ({ message }) =>
          resolve({ key: String(message.key), value: String(message.value), header: String(message.headers?.h) }),
      });
    });
    await consumer.disconnect();
    expect(received).toEqual({ key: 'k', value: 'hello custsync', header: 'v' });
  });
});
