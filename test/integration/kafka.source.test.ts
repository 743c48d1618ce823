import { execFileSync } from 'node:child_process';
import type { Kafka } from 'kafkajs';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/app/loadConfig.js';
import { createDaemon, type Daemon } from '../../src/app/daemon.js';
import { replayDeadLetters } from '../../src/connectors/deadLetterReplay.js';
import { freshDatabase, type TestDatabase } from '../helpers/db.js';
import { caughtUp, testConfig, waitUntil } from '../helpers/daemon.js';
import { KAFKA_BROKERS } from '../helpers/env.js';
import { createTopics, randomTopic, testKafka } from '../helpers/kafka.js';
import { readState } from '../helpers/state.js';
import { readTopic } from '../helpers/kafka.js';

const hotmartPurchase = {
  id: '7f3c1a2b-0000-4000-8000-000000000001',
  creation_date: Date.UTC(2024, 2, 1, 12),
  event: 'PURCHASE_APPROVED',
  version: '2.0.0',
  data: {
    buyer: {
      email: 'Ana.Moreira@Example.com',
      name: 'Ana Moreira',
      checkout_phone_code: '34',
      checkout_phone: '34991234567',
      document: '529.982.247-25',
      document_type: 'CPF',
      address: {
        address: 'Avenida Rondon Pacheco',
        number: '1450',
        complement: 'Apto 302',
        neighborhood: 'Tibery',
        city: 'Uberlândia',
        state: 'Minas Gerais',
        zipcode: '38405142',
        country: 'Brasil',
        country_iso: 'BR',
      },
    },
    purchase: { transaction: 'HP0000000001', status: 'APPROVED' },
  },
};

const stripeUpdate = {
  id: 'evt_1TestAna',
  object: 'event',
  created: Date.UTC(2024, 2, 2) / 1000,
  type: 'customer.updated',
  data: {
    object: {
      id: 'cus_TestAna',
      object: 'customer',
      email: 'ana.moreira@example.com',
      name: 'Ana Beatriz Moreira',
      phone: '+5511988887777',
      address: { line1: 'Rua Augusta 20', line2: null, city: 'São Paulo', state: 'SP', postal_code: '01305-000', country: 'BR' },
    },
    previous_attributes: { name: 'Ana Moreira' },
  },
};

const kiwifyOrder = {
  order_id: 'b6ba3959-0000-4000-8000-000000000002',
  order_status: 'paid',
  webhook_event_type: 'order_approved',
  updated_at: '2024-03-03 10:02',
  Customer: {
    full_name: 'Ana K.',
    email: ' ANA.MOREIRA@example.com',
    mobile: '',
    CPF: '52998224725',
    ip: '203.0.113.7',
    street: '',
    complement: '',
  },
};

describe('Kafka source end to end (real broker, real Postgres)', () => {
  let db: TestDatabase;
  let kafka: Kafka;
  let daemon: Daemon;
  const topics = { hotmart: randomTopic('hotmart'), stripe: randomTopic('stripe'), kiwify: randomTopic('kiwify'), crm: randomTopic('crm') };
  const deadLetterTopic = randomTopic('dlq');

  const produce = async (topic: string, values: (string | Buffer | null)[], key = 'k') => {
    const producer = kafka.producer();
    await producer.connect();
    await producer.send({ topic, acks: -1, messages: values.map((value) => ({ key, value })) });
    await producer.disconnect();
  };
  const settle = () => waitUntil('the daemon to catch up', () => caughtUp(kafka, db.pool, Object.values(topics)), 30_000);

  beforeAll(async () => {
    db = await freshDatabase();
    kafka = testKafka();
    await createTopics(kafka, [...Object.values(topics), deadLetterTopic], 1);
    const config = parseConfig(
      testConfig({
        databaseUrl: db.url,
        groupId: randomTopic('group'),
        deadLetterTopic,
        changeTopic: randomTopic('changes'),
        platforms: [
          { name: 'hotmart', mapper: 'hotmart', priority: 50, topics: [topics.hotmart] },
          { name: 'stripe', mapper: 'stripe', priority: 60, topics: [topics.stripe], fieldPriorities: { phone_number: 10, phone_local_code: 10 } },
          { name: 'kiwify', mapper: 'kiwify', priority: 40, topics: [topics.kiwify] },
          { name: 'crm', mapper: 'generic', priority: 70, topics: [topics.crm] },
        ],
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

  it('unifies three platforms with a priority conflict, a per-field override and empty values', async () => {
    await produce(topics.hotmart, [JSON.stringify(hotmartPurchase)]);
    await settle();
    await produce(topics.stripe, [JSON.stringify(stripeUpdate)]);
    await settle();
    await produce(topics.kiwify, [JSON.stringify(kiwifyOrder)]);
    await settle();

    const state = await readState(db.pool);
    expect(state.customers).toEqual([
      {
        email: 'ana.moreira@example.com',
        values: {
          name: 'Ana Beatriz Moreira', // stripe (60) beats hotmart (50); kiwify (40) loses
          customer_id: 'cus_TestAna',
          phone_local_code: '34', // stripe's phone ranks 10: hotmart's stays
          phone_number: '991234567',
          document_type: 'CPF',
          document_number: '52998224725',
          address: 'Rua Augusta 20',
          number: '1450', // nobody else sent one
          complement: 'Apto 302', // stripe's null and kiwify's "" never overwrite
          neighborhood: 'Tibery',
          city: 'São Paulo',
          state: 'SP',
          zip_code: '01305-000',
          country: 'BR',
          ip: '203.0.113.7', // kiwify fills an empty field
        },
      },
    ]);
    const trail = state.audit.map((a) => `${a.changedBy}:${a.field}:${a.old ?? '∅'}→${a.new}`);
    expect(trail).toEqual([
      'hotmart:email:∅→ana.moreira@example.com',
      'stripe:name:Ana Moreira→Ana Beatriz Moreira',
      'stripe:customer_id:∅→cus_TestAna',
      'stripe:address:Avenida Rondon Pacheco→Rua Augusta 20',
      'stripe:city:Uberlândia→São Paulo',
      'stripe:state:MG→SP',
      'stripe:zip_code:38405-142→01305-000',
      'kiwify:ip:∅→203.0.113.7',
    ]);

    // a redelivery of the same events (e.g. a producer retry) changes nothing
    await produce(topics.hotmart, [JSON.stringify(hotmartPurchase)]);
    await settle();
    expect((await readState(db.pool)).audit).toHaveLength(trail.length);
  });

  it('dead-letters bad messages with their reason and origin, and keeps going', async () => {
    const before = (await readState(db.pool)).customers.length;
    const noEmail = { ...hotmartPurchase, id: 'no-email', data: { ...hotmartPurchase.data, buyer: { ...hotmartPurchase.data.buyer, email: undefined } } };
    const clubAccess = { id: 'club-1', creation_date: 1, event: 'CLUB_FIRST_ACCESS', version: '2.0.0', data: { user: { email: 'x@example.com' } } };
    const valid = { ...hotmartPurchase, id: 'after-bad', data: { ...hotmartPurchase.data, buyer: { email: 'carla.dias@example.com', name: 'Carla Dias' } } };
    await produce(topics.hotmart, [
      '{"not json',
      Buffer.from([0x7b, 0xff, 0xfe, 0x7d]),
      null,
      JSON.stringify(noEmail),
      JSON.stringify({ ...hotmartPurchase, id: 'bad-email', data: { ...hotmartPurchase.data, buyer: { email: 'not-an-email', name: 'X' } } }),
      JSON.stringify({ ...hotmartPurchase, creation_date: 'yesterday' }),
      JSON.stringify(clubAccess),
      JSON.stringify(valid),
    ], 'bad-key');
    await settle();

    const state = await readState(db.pool);
    expect(state.customers.map((c) => c.email)).toContain('carla.dias@example.com');
    expect(state.customers.length).toBe(before + 1);

    const letters = await readTopic(kafka, deadLetterTopic, 6);
    expect(letters).toHaveLength(6);
    expect(letters.map((l) => l.headers['custsync.reason'])).toEqual([
      'invalid_json',
      'invalid_utf8',
      'empty_value',
      'mapping_failed',
      'email_invalid',
      'schema_invalid',
    ]);
    for (const letter of letters) {
      expect(letter.key?.toString()).toBe('bad-key');
      expect(letter.headers['custsync.source.topic']).toBe(topics.hotmart);
      expect(letter.headers['custsync.source.partition']).toBe('0');
      expect(letter.headers['custsync.source.offset']).toMatch(/^\d+$/);
      expect(letter.headers['custsync.platform']).toBe('hotmart');
      expect(Date.parse(letter.headers['custsync.dead-lettered-at'] ?? '')).toBeGreaterThan(0);
      expect(letter.headers['custsync.error']).toBeTruthy();
    }
    expect(letters[0]?.value?.toString()).toBe('{"not json');
    expect(letters[1]?.value).toEqual(Buffer.from([0x7b, 0xff, 0xfe, 0x7d]));
    expect(letters[5]?.headers['custsync.error.path']).toBe('creation_date');
    const counts = await db.pool.query(`SELECT platform, reason, count::int FROM custsync.dead_letter_counts ORDER BY reason`);
    expect(counts.rows).toEqual(
      ['email_invalid', 'empty_value', 'invalid_json', 'invalid_utf8', 'mapping_failed', 'schema_invalid'].map((reason) => ({ platform: 'hotmart', reason, count: 1 })),
    );
    // the error text never quotes the payload
    expect(letters.map((l) => l.headers['custsync.error']).join(' ')).not.toContain('not-an-email');
  });

  it('replays dead letters into their source topic (dlq replay), filtered by reason', async () => {
    const logger = pino({ level: 'silent' });
    const dry = await replayDeadLetters(kafka, deadLetterTopic, { reason: 'mapping_failed', dryRun: true }, logger);
    expect(dry).toMatchObject({ scanned: 6, matched: 1, replayed: 0 });
    const real = await replayDeadLetters(kafka, deadLetterTopic, { reason: 'mapping_failed' }, logger);
    expect(real).toMatchObject({ scanned: 6, matched: 1, replayed: 1, byTopic: { [topics.hotmart]: 1 } });
    const none = await replayDeadLetters(kafka, deadLetterTopic, { since: new Date(Date.now() + 60_000) }, logger);
    expect(none).toMatchObject({ matched: 0, replayed: 0 });
    await settle();
    // still unmappable, so it is dead-lettered again, showing where it was replayed from
    const letters = await readTopic(kafka, deadLetterTopic, 7);
    const again = letters[6];
    expect(again?.headers['custsync.reason']).toBe('mapping_failed');
    expect(again?.headers['custsync.replayed-from']).toMatch(/^0:\d+$/);
    expect(again?.key?.toString()).toBe('bad-key');
  });

  it('reads messages written by an independent client (kcat)', async () => {
    const payload = JSON.stringify({
      eventId: 'kcat-1',
      eventTime: '2024-05-01T12:00:00Z',
      email: 'Dario.Lima@Example.org',
      customer: { name: 'Dário Lima' },
      address: { city: 'Porto Alegre', country: 'Brasil' },
    });
    execFileSync('kcat', ['-P', '-b', KAFKA_BROKERS.join(','), '-t', topics.crm, '-k', 'dario', '-H', 'source=kcat'], { input: `${payload}\n` });
    await settle();
    const dario = (await readState(db.pool)).customers.find((c) => c.email === 'dario.lima@example.org');
    expect(dario?.values).toMatchObject({ name: 'Dário Lima', city: 'Porto Alegre', country: 'BR' });
  });
});
