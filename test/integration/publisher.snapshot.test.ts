import type { Kafka } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ChangeEvent, type CustomerImage } from '../../src/audit/publisher/ChangeEvent.js';
import { ChangePublisher } from '../../src/audit/publisher/ChangePublisher.js';
import { writeSnapshotBatch } from '../../src/audit/publisher/snapshotWriter.js';
import type { Config } from '../../src/runtime/config.js';
import { parseConfig } from '../../src/app/loadConfig.js';
import { parseLsn } from '../../src/replication/lsn.js';
import { runCli } from '../helpers/cli.js';
import { freshDatabase, type TestDatabase } from '../helpers/db.js';
import { testConfig, waitUntil, writeConfig } from '../helpers/daemon.js';
import { silentLogger, testEngine } from '../helpers/engine.js';
import { createTopics, randomTopic, testKafka } from '../helpers/kafka.js';
import { record } from '../helpers/records.js';
import { collectTopic, randomSlotName, startLeadingPublisher, type TopicMessage } from '../helpers/replication.js';
import { dropSlotsOf } from '../helpers/db.js';

const PEOPLE = 30;

describe('a view built from the change topic alone: snapshots (op r, in order with the changes around them) and tombstones', () => {
  let db: TestDatabase;
  let kafka: Kafka;
  let config: Config;
  let configObject: Record<string, unknown>;
  let publisher: ChangePublisher;
  let topic: TopicMessage[];
  let stopCollecting: () => Promise<void>;
  const slot = randomSlotName('pub_snap');

  const events = () => topic.filter((m) => m.value !== null).map((m) => ChangeEvent.parse(m.value));
  const lsnOf = (e: ChangeEvent) => parseLsn(e.source.lsn);
  /** What a consumer applying events in LSN order (duplicates ignored) ends with, per customer. */
  const latest = () => {
    const out = new Map<number, ChangeEvent>();
    for (const event of events()) {
      const known = out.get(event.key.id);
      if (!known || lsnOf(event) > lsnOf(known)) out.set(event.key.id, event);
    }
    return out;
  };
  const caughtUp = async () => {
    const { rows } = await db.pool.query<{ behind: boolean }>(
      'SELECT confirmed_flush_lsn < pg_current_wal_lsn() AS behind FROM pg_replication_slots WHERE slot_name = $1',
      [slot],
    );
    return rows[0]?.behind === false;
  };
  /** The database's customers as events spell them. */
  const current = async () => {
    const { rows } = await db.pool.query<{ id: number; name: string | null; city: string | null; updated_at: string }>(
      `SELECT c.id, c.name, a.city, to_char(c.updated_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS updated_at
         FROM customers c LEFT JOIN addresses a ON a.id = c.address_id ORDER BY c.id`,
    );
    return rows;
  };

  beforeAll(async () => {
    db = await freshDatabase();
    kafka = testKafka();
    const changeTopic = randomTopic('changes');
    await createTopics(kafka, [changeTopic], 3);
    configObject = testConfig({
      databaseUrl: db.url,
      groupId: randomTopic('group'),
      platforms: [],
      deadLetterTopic: randomTopic('dlq'),
      changeTopic,
      // Small groups and the smallest decode-ahead bound: snapshot batches must weigh like the rows they carry.
      extra: { publisher: { slotName: slot, publicationName: slot, heartbeatIntervalMs: 300, standbyPollMs: 200, tombstones: true, maxBatchEvents: 10, maxQueuedChanges: 1_000 } },
    });
    config = parseConfig(configObject, 'test-config', {});
    publisher = await startLeadingPublisher(config, db);
    ({ messages: topic, stop: stopCollecting } = await collectTopic(kafka, changeTopic));
  });

  afterAll(async () => {
    await stopCollecting?.();
    await publisher?.stop();
    if (db) await dropSlotsOf(db.name);
    await db?.drop();
  });

  it('publishes each customer once per batch with the image its change events carry', async () => {
    const engine = testEngine(db.pool);
    await engine.apply({
      records: Array.from({ length: PEOPLE }, (_, i) =>
        record({ platform: 'hotmart', email: `p${i}@example.com`, offset: i, customer: { name: `Person ${i}` }, ...(i % 3 === 0 ? {} : { address: { city: `City ${i}`, zip_code: '50030-230' } }) }),
      ),
    });
    await waitUntil('the c events', () => events().filter((e) => e.op === 'c').length === PEOPLE, 20_000, 50);

    const result = await runCli(['snapshot', '--batch-size', '7', '--config', writeConfig(configObject)]);
    expect(result.stderr).not.toMatch(/error/i);
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(new RegExp(`snapshot: ${PEOPLE} customer\\(s\\) in 5 batch\\(es\\)`));
    await waitUntil('the r events', () => events().filter((e) => e.op === 'r').length === PEOPLE, 20_000, 50);

    const created = new Map(events().filter((e) => e.op === 'c').map((e) => [e.key.id, e]));
    const reads = events().filter((e) => e.op === 'r');
    expect(new Set(reads.map((e) => e.key.id))).toEqual(new Set(created.keys()));
    for (const read of reads) {
      expect(read).toMatchObject({ before: null, changes: [], changed_by: [], sources: [], pseudonymized: false, event_id: `${read.source.lsn}:${read.key.id}` });
      // Byte for byte the image the change events carry: a consumer can mix both.
      expect(read.after).toEqual(created.get(read.key.id)?.after);
      expect(lsnOf(read)).toBeGreaterThan(lsnOf(created.get(read.key.id) as ChangeEvent));
    }
    // One message per batch: 5 transactions, ids ascending across them.
    const batches = [...new Set(reads.map((e) => e.source.lsn))].sort((a, b) => Number(parseLsn(a) - parseLsn(b)));
    expect(batches).toHaveLength(5);
    const idsInOrder = batches.flatMap((lsn) => reads.filter((e) => e.source.lsn === lsn).map((e) => e.key.id).sort((a, b) => a - b));
    expect(idsInOrder).toEqual([...idsInOrder].sort((a, b) => a - b));

    // A change after the snapshot comes after it in the stream.
    const someone = reads[0] as ChangeEvent;
    await db.pool.query(`UPDATE customers SET name = 'Renamed' WHERE id = $1`, [someone.key.id]);
    await waitUntil('the u event', () => events().some((e) => e.op === 'u' && e.key.id === someone.key.id), 20_000, 50);
    const renamed = events().find((e) => e.op === 'u' && e.key.id === someone.key.id) as ChangeEvent;
    expect(renamed.before).toEqual(someone.after);
    expect(lsnOf(renamed)).toBeGreaterThan(lsnOf(someone));
  });

  it('while the engine changes the same customers, each r event shows what the changes before it left; in LSN order the events end with the database state', async () => {
    const engine = testEngine(db.pool);
    const round = (n: number) =>
      engine.apply({
        records: Array.from({ length: PEOPLE }, (_, i) =>
          record({ platform: 'stripe', email: `p${i}@example.com`, offset: 1_000 + n * PEOPLE + i, eventId: `r${n}-${i}`, customer: { name: `Person ${i} v${n}` }, address: { city: `City ${i} v${n}` } }),
        ),
      });
    await round(0);
    let writing = true;
    let rounds = 0;
    const writer = (async () => {
      while (writing) await round((rounds += 1));
    })();
    let snapshots = 0;
    for (let pass = 0; pass < 8; pass += 1) {
      for (let after = 0; ; ) {
        const batch = await writeSnapshotBatch(db.pool, after, 3, silentLogger);
        if (batch.customers === 0) break;
        after = batch.lastId;
        snapshots += batch.customers;
      }
    }
    writing = false;
    await writer;
    expect(rounds).toBeGreaterThan(1);
    expect(snapshots).toBe(8 * PEOPLE);
    await waitUntil('the publisher to catch up', caughtUp, 30_000, 50);
    await waitUntil('the last events to arrive', async () => {
      const state = latest();
      return (await current()).every((row) => state.get(row.id)?.after?.updated_at === row.updated_at);
    }, 20_000, 100);

    // Each r event shows exactly what the change events before it in the stream left.
    const byCustomer = new Map<number, ChangeEvent[]>();
    for (const event of events()) byCustomer.set(event.key.id, [...(byCustomer.get(event.key.id) ?? []), event]);
    let checked = 0;
    for (const list of byCustomer.values()) {
      const ordered = [...new Map(list.map((e) => [e.event_id, e])).values()].sort((a, b) => Number(lsnOf(a) - lsnOf(b)));
      let last: ChangeEvent | undefined;
      for (const event of ordered) {
        if (event.op !== 'r') last = event;
        else if (last) {
          expect(event.after, `r event ${event.event_id} after ${last.event_id}`).toEqual(last.after);
          checked += 1;
        }
      }
    }
    expect(checked).toBeGreaterThanOrEqual(8 * PEOPLE);

    const state = latest();
    for (const row of await current()) {
      const after = state.get(row.id)?.after as CustomerImage;
      expect({ id: row.id, name: after.name, city: after.main_address?.city ?? null, updated_at: after.updated_at }).toEqual(row);
    }
  });

  it('partial snapshots: --ids and --where publish only the chosen customers; a predicate Postgres refuses exits 2 and publishes nothing', async () => {
    const reads = () => events().filter((e) => e.op === 'r');
    const before = reads().length;
    const ids = (await db.pool.query<{ id: number }>('SELECT id FROM customers ORDER BY id LIMIT 3')).rows.map((r) => r.id);
    const byIds = await runCli(['snapshot', '--ids', ids.join(','), '--config', writeConfig(configObject)]);
    expect(byIds.code).toBe(0);
    expect(byIds.stdout).toMatch(/snapshot: 3 customer\(s\) in 1 batch\(es\)/);
    await waitUntil('the r events of --ids', () => reads().length === before + 3, 20_000, 50);
    expect(reads().slice(before).map((e) => e.key.id).sort((a, b) => a - b)).toEqual(ids);

    const cities = (await db.pool.query<{ id: number }>(`SELECT c.id FROM customers c JOIN addresses a ON a.id = c.address_id WHERE a.city LIKE 'City 1%' ORDER BY c.id`)).rows.map((r) => r.id);
    expect(cities.length).toBeGreaterThan(1);
    const where = `address_id IN (SELECT id FROM addresses WHERE city LIKE 'City 1%')`;
    const byWhere = await runCli(['snapshot', '--where', where, '--batch-size', '2', '--config', writeConfig(configObject)]);
    expect(byWhere.code).toBe(0);
    expect(byWhere.stdout).toContain(`snapshot: ${cities.length} customer(s)`);
    await waitUntil('the r events of --where', () => reads().length === before + 3 + cities.length, 20_000, 50);
    expect(reads().slice(before + 3).map((e) => e.key.id).sort((a, b) => a - b)).toEqual(cities);

    // Both together: the intersection.
    const both = await runCli(['snapshot', '--ids', `${cities[0]},${ids[0]}`, '--where', where, '--config', writeConfig(configObject)]);
    expect(both.stdout).toMatch(/snapshot: 1 customer\(s\)/);
    await waitUntil('the r event of --ids with --where', () => reads().length === before + 4 + cities.length, 20_000, 50);
    expect(reads().at(-1)?.key.id).toBe(cities[0]);

    for (const bad of ['nosuchcolumn = 1', 'id = ', '(SELECT 1 FROM pg_sleep(0)) = 1 AND nextval(\'customers_id_seq\') > 0']) {
      const refused = await runCli(['snapshot', '--where', bad, '--config', writeConfig(configObject)]);
      expect(refused.code, bad).toBe(2);
      expect(refused.stderr).toMatch(/--where: /);
    }
    const refusedIds = await runCli(['snapshot', '--ids', '1,x', '--config', writeConfig(configObject)]);
    expect(refusedIds.code).toBe(2);
    await new Promise((r) => setTimeout(r, 500));
    expect(reads().length).toBe(before + 4 + cities.length);
  });

  it('refuses, with exit 2, when no publisher slot exists', async () => {
    const missing = { ...configObject, publisher: { slotName: randomSlotName('pub_none'), publicationName: slot } };
    const result = await runCli(['snapshot', '--config', writeConfig(missing)]);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/no change-event publisher reads this database yet/);
  });

  it('with publisher.tombstones, a delete event is followed by a tombstone: the same key, a null value, next on the partition', async () => {
    const id = (await db.pool.query<{ id: number }>('SELECT max(id) AS id FROM customers')).rows[0]?.id as number;
    await db.pool.query('DELETE FROM customers WHERE id = $1', [id]);
    await waitUntil('the tombstone', () => topic.some((m) => m.key === String(id) && m.value === null), 20_000, 50);
    const ofCustomer = topic.filter((m) => m.key === String(id));
    const deleted = ofCustomer.find((m) => m.value !== null && (m.value as { op: string }).op === 'd');
    const tombstone = ofCustomer.find((m) => m.value === null);
    expect(deleted).toBeDefined();
    expect(tombstone?.partition).toBe(deleted?.partition);
    expect(BigInt(tombstone?.offset ?? -1)).toBe(BigInt(deleted?.offset ?? -2) + 1n);
    expect(ofCustomer.at(-1)).toBe(tombstone);
  });
});
