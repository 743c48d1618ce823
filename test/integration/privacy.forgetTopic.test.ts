import type { Kafka } from 'kafkajs';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDaemon, type Daemon } from '../../src/app/daemon.js';
import { parseConfig } from '../../src/app/loadConfig.js';
import { emailHash } from '../../src/unifier/emailHash.js';
import { freshDatabase, type TestDatabase } from '../helpers/db.js';
import { caughtUp, testConfig, waitUntil } from '../helpers/daemon.js';
import { createTopics, randomTopic, testKafka } from '../helpers/kafka.js';
import { readTopic } from '../helpers/kafka.js';

describe('forget requests from Kafka (privacy.forgetTopic)', () => {
  let db: TestDatabase;
  let kafka: Kafka;
  let daemon: Daemon;
  const crm = randomTopic('crm');
  const forgetTopic = randomTopic('forget');
  const deadLetterTopic = randomTopic('dlq');
  const groupId = randomTopic('group');

  const produce = async (topic: string, values: (string | null)[]) => {
    const producer = kafka.producer();
    await producer.connect();
    await producer.send({ topic, acks: -1, messages: values.map((value) => ({ key: 'k', value })) });
    await producer.disconnect();
  };
  const event = (id: string, email: string, name: string) =>
    JSON.stringify({ eventId: id, eventTime: '2024-05-01T12:00:00Z', email, customer: { name, document_number: '529.982.247-25' }, address: { city: 'Recife' } });

  /** Whether the forget group committed every partition of the topic up to its end. */
  const forgetCommitted = async () => {
    const admin = kafka.admin();
    await admin.connect();
    try {
      const ends = await admin.fetchTopicOffsets(forgetTopic);
      const [committed] = await admin.fetchOffsets({ groupId: `${groupId}-forget`, topics: [forgetTopic] });
      const at = new Map((committed?.partitions ?? []).map((p) => [p.partition, BigInt(p.offset)]));
      return ends.every((p) => BigInt(p.high) === 0n || (at.get(p.partition) ?? -1n) >= BigInt(p.high));
    } finally {
      await admin.disconnect();
    }
  };

  beforeAll(async () => {
    db = await freshDatabase();
    kafka = testKafka();
    await createTopics(kafka, [crm, forgetTopic, deadLetterTopic], 1);
    const config = parseConfig(
      testConfig({
        databaseUrl: db.url,
        groupId,
        deadLetterTopic,
        changeTopic: randomTopic('changes'),
        platforms: [{ name: 'crm', mapper: 'generic', priority: 70, topics: [crm] }],
        extra: { privacy: { forgetTopic } },
      }),
      'test-config',
      {},
    );
    daemon = createDaemon(config, pino({ level: 'silent' }), { migrate: false, httpPort: 0 });
    await daemon.lifecycle.start();
  });
  afterAll(async () => {
    await daemon?.lifecycle.stop();
    await db?.drop();
  });

  it('pseudonymizes on a request, dead-letters invalid ones, and commits offsets after the transaction', async () => {
    expect(daemon.forgetRequests?.topic).toBe(forgetTopic);
    await produce(crm, [event('e1', 'Lia.Moura@Example.com', 'Lia Moura'), event('e2', 'rui@example.com', 'Rui')]);
    await waitUntil('the crm events', () => caughtUp(kafka, db.pool, [crm]), 30_000);

    await produce(forgetTopic, [
      JSON.stringify({ email: ' LIA.MOURA@example.com', requestedBy: 'dpo@company', reason: 'ticket 9' }),
      'unknown.person@example.com',
      'not-an-email',
      '{"email": ',
      null,
    ]);
    await waitUntil('forget offsets committed', forgetCommitted, 30_000);

    const { rows: lia } = await db.pool.query(`SELECT id, email, name, document_number FROM customers WHERE name = 'Anonymized Customer'`);
    expect(lia).toHaveLength(1);
    expect(lia[0]).toMatchObject({ email: expect.stringMatching(/^deleted_[0-9a-f]{32}@anonymous\.com$/), document_number: null });
    const { rows: audit } = await db.pool.query(`SELECT changed_by, reason FROM customer_logs WHERE customer_id = $1 AND field_name = 'pseudonymization'`, [lia[0].id]);
    expect(audit).toEqual([{ changed_by: 'GDPR Request', reason: 'requested by dpo@company: ticket 9' }]);
    const { rows: suppressions } = await db.pool.query(`SELECT email_hash, created_by FROM custsync.suppressions ORDER BY created_by`);
    expect(suppressions).toEqual([
      { email_hash: emailHash('lia.moura@example.com'), created_by: 'dpo@company' },
      { email_hash: emailHash('unknown.person@example.com'), created_by: `kafka:${forgetTopic}` },
    ]);
    expect((await db.pool.query(`SELECT name FROM customers WHERE email = 'rui@example.com'`)).rows).toEqual([{ name: 'Rui' }]);

    const letters = await readTopic(kafka, deadLetterTopic, 3);
    expect(letters.map((l) => l.headers['custsync.reason'])).toEqual(['email_invalid', 'invalid_json', 'empty_value']);
    for (const letter of letters) {
      expect(letter.headers).toMatchObject({ 'custsync.platform': 'custsync.forget', 'custsync.source.topic': forgetTopic });
      expect(letter.headers['custsync.error']).not.toContain('not-an-email');
    }
    expect(letters[0]?.value?.toString()).toBe('not-an-email');

    // a later event for the forgotten person is dropped
    await produce(crm, [event('e3', 'lia.moura@example.com', 'Lia Again')]);
    await waitUntil('the later crm event', () => caughtUp(kafka, db.pool, [crm]), 30_000);
    expect((await db.pool.query(`SELECT count(*)::int AS n FROM customers WHERE name LIKE 'Lia%'`)).rows[0].n).toBe(0);
    expect((await db.pool.query(`SELECT dropped::int FROM custsync.suppressions WHERE email_hash = $1`, [emailHash('lia.moura@example.com')])).rows[0].dropped).toBe(1);
  });
});
