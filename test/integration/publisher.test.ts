import { execFileSync } from 'node:child_process';
import type { Kafka } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ChangeEvent } from '../../src/audit/publisher/ChangeEvent.js';
import { ChangePublisher } from '../../src/audit/publisher/ChangePublisher.js';
import { collectStatus } from '../../src/cli/commands/status.js';
import type { Config } from '../../src/runtime/config.js';
import { parseConfig } from '../../src/app/loadConfig.js';
import { Metrics } from '../../src/runtime/metrics.js';
import { parseLsn } from '../../src/replication/lsn.js';
import { freshDatabase, type TestDatabase } from '../helpers/db.js';
import { testConfig, waitUntil } from '../helpers/daemon.js';
import { silentLogger, testEngine } from '../helpers/engine.js';
import { createTopics, randomTopic, testKafka } from '../helpers/kafka.js';
import { record } from '../helpers/records.js';
import { collectTopic, randomSlotName, startLeadingPublisher, type TopicMessage } from '../helpers/replication.js';
import { dropSlotsOf } from '../helpers/db.js';

describe('change-event publisher (real Postgres WAL, real Kafka)', () => {
  let db: TestDatabase;
  let kafka: Kafka;
  let config: Config;
  let metrics: Metrics;
  let publisher: ChangePublisher;
  let topic: TopicMessage[];
  let stopCollecting: () => Promise<void>;
  const slot = randomSlotName();

  const customerId = async (email: string) => (await db.pool.query<{ id: number }>('SELECT id FROM customers WHERE email = $1', [email])).rows[0]?.id ?? -1;
  const eventsOf = (id: number) => topic.filter((m) => m.key === String(id)).map((m) => m.value as ChangeEvent);
  const nextEvent = async (id: number, seen: number): Promise<ChangeEvent> => {
    await waitUntil(`event ${seen + 1} of customer ${id}`, () => eventsOf(id).length > seen, 20_000, 50);
    const event = eventsOf(id)[seen];
    if (!event) throw new Error('no event');
    return ChangeEvent.parse(event);
  };
  const psql = (sql: string) => execFileSync('psql', [db.url, '-v', 'ON_ERROR_STOP=1', '-q', '-c', sql], { encoding: 'utf8' });

  beforeAll(async () => {
    db = await freshDatabase();
    kafka = testKafka();
    const changeTopic = randomTopic('changes');
    await createTopics(kafka, [changeTopic], 3);
    config = parseConfig(
      testConfig({
        databaseUrl: db.url,
        groupId: randomTopic('group'),
        platforms: [],
        deadLetterTopic: randomTopic('dlq'),
        changeTopic,
        extra: { publisher: { slotName: slot, publicationName: slot, heartbeatIntervalMs: 300, standbyPollMs: 200, lagLogIntervalMs: 1_000 } },
      }),
      'test-config',
      {},
    );
    metrics = new Metrics();
    publisher = await startLeadingPublisher(config, db, metrics);
    ({ messages: topic, stop: stopCollecting } = await collectTopic(kafka, changeTopic));
  });

  afterAll(async () => {
    await stopCollecting?.();
    await publisher?.stop();
    if (db) await dropSlotsOf(db.name);
    await db?.drop();
  });

  it('an engine write gives an event with the right before and after', async () => {
    const engine = testEngine(db.pool);
    await engine.apply({
      records: [
        record({ platform: 'hotmart', email: ' Ana.Souza@Example.com', offset: 1, eventId: 'hp-1', customer: { name: 'Ana Souza', phone_number: '+55 11 99999-0000' }, address: { city: 'Recife', zip_code: '50030-230' } }),
      ],
    });
    const id = await customerId('ana.souza@example.com');
    const created = await nextEvent(id, 0);
    expect(created).toMatchObject({
      op: 'c',
      event_id: `${created.source.lsn}:${id}`,
      key: { id },
      before: null,
      after: { id, email: 'ana.souza@example.com', name: 'Ana Souza', phone_local_code: '11', phone_number: '999990000', main_address: { city: 'Recife', zip_code: '50030-230' } },
      changed_by: ['hotmart'],
      sources: [{ platform: 'hotmart', event_id: 'hp-1' }],
      pseudonymized: false,
      source: { connector: 'custsync', db: db.name, table: 'customers', slot },
    });
    expect(created.changes.map((c) => c.field)).toEqual(['email', 'name', 'phone_local_code', 'phone_number', 'city', 'zip_code']);

    await engine.apply({ records: [record({ platform: 'stripe', email: 'ana.souza@example.com', offset: 2, eventId: 'evt_2', customer: { name: 'Ana B. Souza' }, address: { city: 'Olinda' } })] });
    const updated = await nextEvent(id, 1);
    expect(updated.op).toBe('u');
    expect(updated.before).toEqual(created.after);
    const row = (
      await db.pool.query<{ name: string; updated_at: string }>(
        `SELECT name, to_char(updated_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS updated_at FROM customers WHERE id = $1`,
        [id],
      )
    ).rows[0];
    expect(updated.after).toMatchObject({ name: row?.name, updated_at: row?.updated_at, main_address: { city: 'Olinda', zip_code: '50030-230' } });
    expect(updated.changes).toEqual([
      { field: 'name', old: 'Ana Souza', new: 'Ana B. Souza', changed_by: 'stripe', reason: null, provenance: expect.objectContaining({ platform: 'stripe', priority: 60, event_id: 'evt_2' }) },
      { field: 'city', old: 'Recife', new: 'Olinda', changed_by: 'stripe', reason: null, provenance: expect.objectContaining({ platform: 'stripe', event_id: 'evt_2' }) },
    ]);
    expect(parseLsn(updated.source.lsn)).toBeGreaterThan(parseLsn(created.source.lsn));
  });

  it('a hand UPDATE in psql gives an event with changed_by the database user', async () => {
    const id = await customerId('ana.souza@example.com');
    const user = (await db.pool.query<{ u: string }>('SELECT current_user AS u')).rows[0]?.u;
    const seen = eventsOf(id).length;
    psql(`UPDATE customers SET name = 'Ana Hand' WHERE id = ${id}`);
    const event = await nextEvent(id, seen);
    expect(event).toMatchObject({ op: 'u', changed_by: [user], before: { name: 'Ana B. Souza' }, after: { name: 'Ana Hand' } });
    expect(event.changes).toEqual([
      { field: 'name', old: 'Ana B. Souza', new: 'Ana Hand', changed_by: user, reason: null, provenance: expect.objectContaining({ platform: `sql:${user}`, priority: null }) },
    ]);

    psql(`UPDATE addresses SET number = '101' WHERE id = (SELECT address_id FROM customers WHERE id = ${id})`);
    const addressEdit = await nextEvent(id, seen + 1);
    expect(addressEdit).toMatchObject({ op: 'u', changed_by: [user], before: { name: 'Ana Hand', main_address: { number: null } }, after: { name: 'Ana Hand', main_address: { number: '101' } } });
    expect(addressEdit.changes.map((c) => [c.field, c.old, c.new, c.changed_by])).toEqual([['number', null, '101', user]]);
  });

  it('a pseudonymization is one event without the personal data of the before-image; the audit scrub publishes nothing', async () => {
    const id = await customerId('ana.souza@example.com');
    const seen = eventsOf(id).length;
    const client = await db.pool.connect();
    try {
      await client.query(`BEGIN; SELECT set_config('custsync.writer', 'forget', true)`);
      await client.query(
        `INSERT INTO customer_logs (customer_id, field_name, old_value, new_value, changed_by) VALUES ($1, 'pseudonymization', 'Complete personal data', 'Anonymized data', 'GDPR Request')`,
        [id],
      );
      await client.query(
        `UPDATE customers SET email = CONCAT('deleted_', MD5(email), '@anonymous.com'), name = 'Anonymized Customer', phone_local_code = NULL, phone_number = NULL WHERE id = $1`,
        [id],
      );
      await client.query(`UPDATE addresses SET address = NULL, number = NULL, zip_code = NULL, ip = NULL WHERE id = (SELECT address_id FROM customers WHERE id = $1)`, [id]);
      await client.query(
        `UPDATE customer_logs SET old_value = CASE WHEN old_value IS NULL THEN NULL ELSE '[scrubbed]' END, new_value = CASE WHEN new_value IS NULL THEN NULL ELSE '[scrubbed]' END
          WHERE customer_id = $1 AND field_name <> 'pseudonymization'`,
        [id],
      );
      await client.query(`UPDATE custsync.customer_state SET provenance = NULL WHERE customer_id = $1`, [id]);
      await client.query('COMMIT');
    } finally {
      client.release();
    }
    const event = await nextEvent(id, seen);
    expect(event).toMatchObject({ op: 'u', pseudonymized: true, changed_by: ['GDPR Request'], after: { name: 'Anonymized Customer', phone_number: null } });
    const raw = JSON.stringify(topic.find((m) => (m.value as ChangeEvent).event_id === event.event_id)?.value);
    for (const personal of ['Ana Hand', 'ana.souza@example.com', '999990000', '50030-230', '101']) expect(raw).not.toContain(personal);
    expect(event.changes.every((c) => c.old === null)).toBe(true);
    // The heartbeat after it proves the stream moved on; still only one event for that transaction.
    await new Promise((r) => setTimeout(r, 700));
    expect(eventsOf(id).filter((e) => e.source.lsn === event.source.lsn)).toHaveLength(1);
  });

  it('a DELETE gives op d with the before-image and no after', async () => {
    const engine = testEngine(db.pool);
    await engine.apply({ records: [record({ platform: 'kiwify', email: 'bruno@example.com', offset: 3, customer: { name: 'Bruno Lima' }, address: { city: 'Natal' } })] });
    const id = await customerId('bruno@example.com');
    await nextEvent(id, 0);
    psql(`DELETE FROM customers WHERE id = ${id}`);
    const deleted = await nextEvent(id, 1);
    expect(deleted).toMatchObject({ op: 'd', after: null, changes: [], before: { id, email: 'bruno@example.com', name: 'Bruno Lima', main_address: { city: 'Natal' } } });
  });

  it('an idle database still moves the slot (heartbeat); the lag is a metric and in custsync status', async () => {
    const { rows } = await db.pool.query<{ lsn: string }>('SELECT pg_current_wal_lsn()::text AS lsn');
    const before = parseLsn(rows[0]?.lsn ?? '0/0');
    await waitUntil('the slot to confirm past the current WAL position', async () => {
      const slotRow = (await db.pool.query<{ lsn: string }>('SELECT confirmed_flush_lsn::text AS lsn FROM pg_replication_slots WHERE slot_name = $1', [slot])).rows[0];
      return parseLsn(slotRow?.lsn ?? '0/0') >= before;
    }, 10_000);
    const gauge = await metrics.slotLagBytes.get();
    expect(gauge.values.find((v) => v.labels.slot === slot)?.value).toBeGreaterThanOrEqual(0);
    const status = await collectStatus(db.pool, config);
    expect(status.publisher.leader?.applicationName).toMatch(/^custsync-publisher /);
    expect(status.slots).toEqual([expect.objectContaining({ name: slot, purpose: 'change-publisher', active: true, lost: false, lagBytes: expect.any(Number) })]);
  });

  it('a slot lost while stopped is reported, never silently recreated', async () => {
    await publisher.stop();
    await dropSlotsOf(db.name);
    const again = new ChangePublisher({ config, pool: db.pool, metrics, logger: silentLogger });
    await expect(again.start()).rejects.toMatchObject({ code: 'CUSTSYNC_SLOT_LOST', message: expect.stringMatching(/no longer exists.*DELETE FROM custsync.replication_slots/) });
    await again.stop();
    const status = await collectStatus(db.pool, config);
    expect(status.slots).toEqual([expect.objectContaining({ name: slot, lost: true })]);
  });
});
