import { randomBytes } from 'node:crypto';
import type { Kafka, KafkaMessage } from 'kafkajs';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mergeCustomers } from '../../src/unifier/merge/merge.js';
import type { ChangePublisher } from '../../src/audit/publisher/ChangePublisher.js';
import { decodeMessage } from '../../src/connectors/kafka/decode.js';
import { platformMapper } from '../../src/connectors/mappers/registry.js';
import type { Config } from '../../src/runtime/config.js';
import { parseConfig } from '../../src/app/loadConfig.js';
import { priorityRules } from '../../src/unifier/priorities.js';
import { DEFAULT_NORMALIZE_OPTIONS, normalizeRecord, type NormalizedRecord } from '../../src/unifier/normalize/index.js';
import { startConnectWorker, type ConnectWorker } from '../helpers/connect.js';
import { caughtUp, spawnDaemon, testConfig, waitUntil, writeConfig, type SpawnedDaemon } from '../helpers/daemon.js';
import { admin, dropSlotsOf, freshDatabase, type TestDatabase } from '../helpers/db.js';
import { databaseUrl } from '../helpers/env.js';
import { TEST_PLATFORMS, testEngine } from '../helpers/engine.js';
import { createTopics, randomTopic, testKafka } from '../helpers/kafka.js';
import { expectedState } from '../helpers/oracle.js';
import { testForgetter } from '../helpers/privacy.js';
import { record } from '../helpers/records.js';
import { collectTopic, randomSlotName, startLeadingPublisher, type TopicMessage } from '../helpers/replication.js';
import { auditByEmail, readState } from '../helpers/state.js';

/*
 * custsync beside the real Debezium connectors, in one Kafka Connect worker
 * (standalone, a port of its own) for the whole file:
 *  - out: the JDBC sink connector keeps a replica of `customers` in another
 *    database from custsync's change topic (publisher.format: debezium), and
 *    Debezium's own Postgres connector, reading the same table, shows the
 *    schemas and rows custsync must match;
 *  - in: Debezium's Postgres connector reads a legacy database and custsync
 *    unifies its topic (mapper debezium), exactly once across a SIGKILL.
 */

const PG = new URL(databaseUrl('postgres'));

function jdbcUrl(database: string): string {
  return `jdbc:postgresql://${PG.hostname}:${PG.port}/${database}`;
}

/** A database outside the run's prefix (one holding a slot cannot be dropped by the run's teardown). */
async function scratchDatabase(tag: string): Promise<{ name: string; url: string; pool: pg.Pool; drop: () => Promise<void> }> {
  const name = `custsync_dbz_${tag}_${randomBytes(4).toString('hex')}`;
  await admin((c) => c.query(`CREATE DATABASE ${name}`));
  const url = databaseUrl(name);
  const pool = new pg.Pool({ connectionString: url, max: 3 });
  return {
    name,
    url,
    pool,
    drop: async () => {
      await pool.end();
      await dropSlotsOf(name);
      await admin((c) => c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`));
    },
  };
}

function debeziumSource(options: { database: string; prefix: string; slot: string; table: string; snapshot: 'initial' | 'no_data' }): Record<string, string> {
  return {
    'connector.class': 'io.debezium.connector.postgresql.PostgresConnector',
    'tasks.max': '1',
    'database.hostname': PG.hostname,
    'database.port': PG.port,
    'database.user': PG.username || 'postgres',
    'database.password': 'unused',
    'database.dbname': options.database,
    'topic.prefix': options.prefix,
    'plugin.name': 'pgoutput',
    'slot.name': options.slot,
    'publication.name': options.slot,
    'publication.autocreate.mode': 'filtered',
    'table.include.list': options.table,
    'snapshot.mode': options.snapshot,
    'poll.interval.ms': '100',
  };
}

let worker: ConnectWorker;
let kafka: Kafka;

beforeAll(async () => {
  kafka = testKafka();
  worker = await startConnectWorker();
}, 180_000);

afterAll(async () => {
  await worker?.stop();
});

const CUSTOMER_COLUMNS = ['id', 'email', 'name', 'customer_id', 'address_id', 'created_at', 'updated_at', 'phone_local_code', 'phone_number', 'document_type', 'document_number'];

/** Every row as text, timestamps as instants in UTC, whatever type the replica gave the column. */
async function rowsOf(pool: pg.Pool): Promise<Record<string, string | null>[]> {
  const select = CUSTOMER_COLUMNS.map((c) => (c.endsWith('_at') ? `to_char(${c}::timestamptz AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS.US') AS ${c}` : `${c}::text AS ${c}`));
  const { rows } = await pool.query<Record<string, string | null>>(`SELECT ${select.join(', ')} FROM customers ORDER BY id`);
  return rows;
}

describe('out: the Debezium JDBC sink connector replicates custsync\'s change topic (publisher.format: debezium)', () => {
  let db: TestDatabase;
  let replica: Awaited<ReturnType<typeof scratchDatabase>>;
  let publisher: ChangePublisher;
  let ours: TopicMessage[];
  let theirs: TopicMessage[];
  const stops: (() => Promise<void>)[] = [];
  const serverName = `dbzref${randomBytes(3).toString('hex')}`;
  const changeTopic = randomTopic('dbz.changes');
  const refSlot = randomSlotName('dbz_ref');

  const replicaMatches = async () => JSON.stringify(await rowsOf(replica.pool).catch(() => [])) === JSON.stringify(await rowsOf(db.pool));
  const waitForReplica = (what: string) =>
    waitUntil(`the replica to equal customers after ${what}`, replicaMatches, 90_000, 300).catch(async (err: unknown) => {
      throw new Error(`${(err as Error).message}\ncustomers: ${JSON.stringify(await rowsOf(db.pool))}\nreplica: ${JSON.stringify(await rowsOf(replica.pool).catch((e: unknown) => String(e)))}\n${worker.log().slice(-3_000)}`);
    });
  const idOf = async (email: string) => (await db.pool.query<{ id: number }>('SELECT id FROM customers WHERE email = $1', [email])).rows[0]?.id ?? -1;

  beforeAll(async () => {
    db = await freshDatabase();
    replica = await scratchDatabase('replica');
    await createTopics(kafka, [changeTopic], 3);
    await createTopics(kafka, [`${serverName}.public.customers`], 1);
    const slot = randomSlotName('dbz_pub');
    const config: Config = parseConfig(
      testConfig({
        databaseUrl: db.url,
        groupId: randomTopic('group'),
        platforms: [],
        deadLetterTopic: randomTopic('dlq'),
        changeTopic,
        extra: {
          publisher: { slotName: slot, publicationName: slot, heartbeatIntervalMs: 300, standbyPollMs: 200, tombstones: true, format: 'debezium', debezium: { serverName, schemas: true } },
        },
      }),
      'test-config',
      {},
    );
    publisher = await startLeadingPublisher(config, db);
    // Debezium's own connector on the same table, streaming from now on: the reference.
    await worker.addConnector(`ref-${serverName}`, debeziumSource({ database: db.name, prefix: serverName, slot: refSlot, table: 'public.customers', snapshot: 'no_data' }));
    await waitUntil('the reference connector to stream', async () => (await db.pool.query(`SELECT 1 FROM pg_replication_slots WHERE slot_name = $1 AND active`, [refSlot])).rows.length === 1, 60_000);
    await worker.addConnector(`sink-${serverName}`, {
      'connector.class': 'io.debezium.connector.jdbc.JdbcSinkConnector',
      'tasks.max': '1',
      topics: changeTopic,
      'connection.url': jdbcUrl(replica.name),
      'connection.username': PG.username || 'postgres',
      'connection.password': 'unused',
      'insert.mode': 'upsert',
      'delete.enabled': 'true',
      'primary.key.mode': 'record_key',
      'primary.key.fields': 'id',
      'schema.evolution': 'basic',
      'collection.name.format': 'customers',
      'batch.size': '500',
    });
    for (const [topic, target] of [[changeTopic, 'ours'], [`${serverName}.public.customers`, 'theirs']] as const) {
      const collected = await collectTopic(kafka, topic);
      stops.push(collected.stop);
      if (target === 'ours') ours = collected.messages;
      else theirs = collected.messages;
    }
  }, 180_000);

  afterAll(async () => {
    for (const stop of stops) await stop();
    await worker?.removeConnector(`sink-${serverName}`).catch(() => undefined);
    await worker?.removeConnector(`ref-${serverName}`).catch(() => undefined);
    await publisher?.stop();
    if (db) await dropSlotsOf(db.name);
    await db?.drop();
    await replica?.drop();
  });

  it('creates, updates, a forget and a merge: the replica equals customers, deletes included', async () => {
    const engine = testEngine(db.pool);
    const people = ['ana', 'bruno', 'carla'].map((p) => `${p}.dbz@example.com`);
    await engine.apply({
      records: people.map((email, i) =>
        record({
          platform: 'hotmart',
          email,
          offset: i,
          customer: { name: `${email.split('.')[0]} Souza`, phone_number: '+55 11 99999-000' + i, document_number: i === 2 ? '529.982.247-25' : null },
          address: { city: 'Recife', zip_code: '50030-230' },
        }),
      ),
    });
    await waitForReplica('three creations');

    await engine.apply({ records: [record({ platform: 'stripe', email: people[0] as string, offset: 10, customer: { name: 'Ana Beatriz Souza', customer_id: 'cus_1' } })] });
    await db.pool.query(`UPDATE customers SET phone_number = NULL WHERE email = $1`, [people[1]]);
    await waitForReplica('updates by a platform and by hand');

    await testForgetter(db.pool).forgetEmails([{ email: people[0] as string, requestedBy: 'dpo' }]);
    await waitForReplica('a forget');
    expect((await rowsOf(replica.pool)).find((r) => r.email?.startsWith('deleted_'))).toMatchObject({ name: 'Anonymized Customer' });

    const keep = await idOf(people[1] as string);
    const drop = await idOf(people[2] as string);
    await mergeCustomers(db.pool, priorityRules(TEST_PLATFORMS, 1000), { keepId: keep, dropId: drop, operator: 'alice', reason: 'same person' });
    await waitForReplica('a merge');
    const replicaIds = (await rowsOf(replica.pool)).map((r) => Number(r.id));
    expect(replicaIds).toContain(keep);
    expect(replicaIds).not.toContain(drop);
    // The dropped customer: a delete event, then a tombstone, as Debezium writes them.
    const dropped = ours.filter((m) => (JSON.parse(m.key) as { payload: { id: number } }).payload.id === drop);
    expect(dropped.slice(-2).map((m) => (m.value === null ? null : (m.value as { payload: { op: string } }).payload.op))).toEqual(['d', null]);
  });

  it('the keys, the schemas and the rows are those of Debezium\'s own Postgres connector on the same table', async () => {
    await waitUntil('the reference connector to catch up', () => theirs.length > 0 && lastById(theirs).size >= lastById(ours).size, 30_000);
    const [key] = ours;
    const [refKey] = theirs;
    expect(JSON.parse(key?.key ?? '').schema).toEqual(JSON.parse(refKey?.key ?? '').schema);
    const value = ours.find((m) => m.value !== null)?.value as { schema: { fields: { field: string }[] } };
    const refValue = theirs.find((m) => m.value !== null)?.value as { schema: { fields: { field: string }[] } };
    // Debezium's envelope schema exactly, plus custsync's extension field.
    expect({ ...value.schema, fields: value.schema.fields.filter((f) => f.field !== 'custsync') }).toEqual(refValue.schema);
    // The last image of every customer, and the same ids deleted.
    const mine = lastById(ours);
    const reference = lastById(theirs);
    expect([...mine.keys()].sort()).toEqual([...reference.keys()].sort());
    for (const [id, payload] of mine) {
      const ref = reference.get(id);
      expect(payload?.after, `customer ${id}`).toEqual(ref?.after);
      expect(Object.keys(payload?.source ?? {})).toEqual(Object.keys(ref?.source ?? {}));
      expect(payload?.source).toMatchObject({ connector: 'postgresql', name: serverName, db: db.name, schema: 'public', table: 'customers', snapshot: 'false' });
    }
  });
});

interface Payload {
  op: string;
  after: Record<string, unknown> | null;
  source: Record<string, unknown>;
}

/** The last envelope per customer id (tombstones skipped). */
function lastById(messages: readonly TopicMessage[]): Map<number, Payload | undefined> {
  const out = new Map<number, Payload | undefined>();
  for (const m of messages) {
    if (m.value === null) continue;
    const id = (JSON.parse(m.key) as { payload: { id: number } }).payload.id;
    out.set(id, (m.value as { payload: Payload }).payload);
  }
  return out;
}

describe('in: custsync unifies the topic of Debezium\'s Postgres connector on a legacy database (mapper debezium)', () => {
  let db: TestDatabase;
  let legacy: Awaited<ReturnType<typeof scratchDatabase>>;
  const running: SpawnedDaemon[] = [];
  const prefix = `legacy${randomBytes(3).toString('hex')}`;
  const topic = `${prefix}.public.users`;
  const slot = randomSlotName('dbz_legacy');
  const platform = {
    name: 'legacy',
    mapper: 'debezium',
    priority: 45,
    topics: [topic],
    columns: { email: 'email', name: 'full_name', document_number: 'cpf', phone_number: 'phone', city: 'city', customer_id: 'id' },
  };

  beforeAll(async () => {
    db = await freshDatabase();
    legacy = await scratchDatabase('legacy');
    await legacy.pool.query(`
      CREATE TABLE users (
        id         BIGSERIAL PRIMARY KEY,
        email      TEXT NOT NULL,
        full_name  VARCHAR(200),
        cpf        NUMERIC(11),
        phone      BIGINT,
        city       TEXT,
        born       DATE,
        updated_at TIMESTAMP NOT NULL DEFAULT now()
      )`);
    await legacy.pool.query(`
      INSERT INTO users (email, full_name, cpf, phone, city, born)
      SELECT 'user' || i || '@legacy.example', 'User ' || i, CASE WHEN i = 1 THEN 52998224725 END, 5511999990000 + i, 'Natal', DATE '1990-01-01' + i
        FROM generate_series(1, 300) i`);
    await createTopics(kafka, [topic], 3);
    await worker.addConnector(`legacy-${prefix}`, debeziumSource({ database: legacy.name, prefix, slot, table: 'public.users', snapshot: 'initial' }));
  }, 180_000);

  afterAll(async () => {
    for (const d of running) d.child.kill('SIGKILL');
    await worker?.removeConnector(`legacy-${prefix}`).catch(() => undefined);
    await db?.drop();
    await legacy?.drop();
  });

  it('applies the snapshot and the stream exactly once across a SIGKILL, skipping and counting deletes', async () => {
    const configFile = writeConfig({
      ...testConfig({ databaseUrl: db.url, groupId: randomTopic('group'), deadLetterTopic: randomTopic('dlq'), changeTopic: randomTopic('changes'), platforms: [], batchSize: 20 }),
      platforms: [platform],
    });
    const applied = async () => Number((await db.pool.query<{ n: string }>(`SELECT coalesce(sum(next_ordinal), 0)::text AS n FROM custsync.source_positions`)).rows[0]?.n);
    const first = spawnDaemon(['run', '--config', configFile]);
    running.push(first);
    await waitUntil('some of the snapshot applied', async () => (await applied()) >= 60, 60_000, 20);
    // The stream goes on while custsync is down.
    await legacy.pool.query(`UPDATE users SET full_name = full_name || ' Filho', updated_at = now() WHERE id % 3 = 0`);
    first.child.kill('SIGKILL');
    await first.exited;
    await legacy.pool.query(`UPDATE users SET city = 'Recife', updated_at = now() WHERE id <= 50`);
    await legacy.pool.query(`INSERT INTO users (email, full_name, phone) VALUES ('late@legacy.example', 'Late Comer', 5584988887777)`);
    await legacy.pool.query(`DELETE FROM users WHERE id = 2`);
    const kafkaAdmin = kafka.admin();
    await kafkaAdmin.connect();
    const produced = async () => (await kafkaAdmin.fetchTopicOffsets(topic)).reduce((n, o) => n + Number(o.high), 0);
    // 300 snapshot rows, 100 + 50 updates, 1 insert, a delete and its tombstone.
    await waitUntil('the connector to publish every change', async () => (await produced()) >= 300 + 100 + 50 + 1 + 2, 60_000, 200);
    await kafkaAdmin.disconnect();

    const second = spawnDaemon(['run', '--config', configFile]);
    running.push(second);
    await waitUntil('the restarted daemon to catch up', () => caughtUp(kafka, db.pool, [topic]), 90_000);
    const port = Number(/"port":(\d+).*http listening/.exec(second.output())?.[1]);
    const metrics = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
    second.child.kill('SIGTERM');
    expect(await second.exited).toBe(0);

    // What the topic says, mapped and unified by the pure rules, in offset order per partition.
    const records = await mappedTopic(kafka, topic, platform);
    const expected = expectedState(records, { platforms: [{ name: 'legacy', priority: 45 }], operatorPriority: 1_000 });
    const state = await readState(db.pool);
    expect(state.customers).toEqual(expected.customers);
    const trails = auditByEmail(state.audit);
    for (const [email, trail] of expected.auditByEmail) expect(trails.get(email), email).toEqual(trail);
    expect(state.audit.length).toBe([...expected.auditByEmail.values()].reduce((n, t) => n + t.length, 0));

    // Decoded as Debezium encodes them: NUMERIC bytes, BIGINT, and every user once.
    expect(state.customers).toHaveLength(301);
    expect(state.customers.find((c) => c.email === 'user1@legacy.example')?.values).toMatchObject({ document_number: '52998224725', document_type: 'CPF', city: 'Recife', customer_id: '1' });
    expect(state.customers.find((c) => c.email === 'user3@legacy.example')?.values).toMatchObject({ name: 'User 3 Filho', city: 'Recife' });
    expect(state.customers.find((c) => c.email === 'late@legacy.example')?.values).toMatchObject({ name: 'Late Comer', phone_local_code: '84', phone_number: '988887777' });
    // The deleted user stays (a delete is not a forget); its delete and tombstone were counted.
    expect(state.customers.find((c) => c.email === 'user2@legacy.example')).toBeDefined();
    expect(metrics).toMatch(/custsync_records_skipped_total\{[^}]*reason="source_delete"[^}]*\} 1/);
    expect(metrics).toMatch(/custsync_records_skipped_total\{[^}]*reason="source_tombstone"[^}]*\} 1/);
  });
});

/** The topic's messages through the debezium mapper and the normalizer, partition by partition in offset order. */
async function mappedTopic(kafka: Kafka, topic: string, platform: { name: string; mapper: string; columns: Record<string, string> }): Promise<NormalizedRecord[]> {
  const messages: { partition: number; message: KafkaMessage }[] = [];
  const consumer = kafka.consumer({ groupId: `model-${randomBytes(4).toString('hex')}` });
  const admin = kafka.admin();
  await admin.connect();
  const total = (await admin.fetchTopicOffsets(topic)).reduce((n, o) => n + Number(o.high), 0);
  await admin.disconnect();
  await consumer.connect();
  await consumer.subscribe({ topics: [topic], fromBeginning: true });
  await consumer.run({ eachMessage: async ({ partition, message }) => void messages.push({ partition, message }) });
  await waitUntil(`${total} messages of ${topic}`, () => messages.length >= total, 30_000);
  await consumer.disconnect();
  const mapper = platformMapper({ mapper: platform.mapper, columns: { email: platform.columns.email as string, ...platform.columns } });
  const context = { platform: platform.name, mapper, knownPlatforms: new Set([platform.name]), maxMessageBytes: 1_048_576 };
  const out: NormalizedRecord[] = [];
  for (const { partition, message } of messages.sort((a, b) => a.partition - b.partition || Number(a.message.offset) - Number(b.message.offset))) {
    const incoming = decodeMessage(topic, partition, message, context);
    if (incoming.kind !== 'record') continue;
    const normalized = normalizeRecord(incoming.record, DEFAULT_NORMALIZE_OPTIONS);
    if (normalized.ok) out.push(normalized.record);
  }
  return out;
}
