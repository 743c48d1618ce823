import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkSourceTables } from '../../src/connectors/wal/sourceDatabase.js';
import { createDaemon, type Daemon } from '../../src/app/daemon.js';
import { parseConfig } from '../../src/app/loadConfig.js';
import { admin, freshDatabase, type TestDatabase } from '../helpers/db.js';
import { spawnDaemon, testConfig, waitUntil, writeConfig, type SpawnedDaemon } from '../helpers/daemon.js';
import { databaseUrl } from '../helpers/env.js';
import { createTopics, randomTopic, testKafka } from '../helpers/kafka.js';
import { readState } from '../helpers/state.js';
import { readTopic } from '../helpers/kafka.js';

/** The legacy application's database: another database on the same cluster, with a `users` table. */
interface LegacyDatabase {
  name: string;
  url: string;
  pool: pg.Pool;
}

async function legacyDatabase(): Promise<LegacyDatabase> {
  // Not custsync_test_*: other runs' teardown drops those, and a database holding a slot cannot be dropped.
  const name = `custsync_walsrc_${randomBytes(5).toString('hex')}`;
  await admin((c) => c.query(`CREATE DATABASE ${name}`));
  const url = databaseUrl(name);
  const pool = new pg.Pool({ connectionString: url, max: 4 });
  await pool.query(`
    CREATE TABLE users (
      id         SERIAL PRIMARY KEY,
      email      TEXT,
      full_name  TEXT,
      phone      TEXT,
      cpf        TEXT,
      city       TEXT,
      password   TEXT,
      updated_at TIMESTAMPTZ NOT NULL DEFAULT now()
    )`);
  return { name, url, pool };
}

async function dropLegacy(legacy: LegacyDatabase | undefined, slots: string[]): Promise<void> {
  if (!legacy) return;
  await legacy.pool.end();
  await admin(async (c) => {
    for (const slot of slots) {
      await c.query(`SELECT pg_terminate_backend(active_pid) FROM pg_replication_slots WHERE slot_name = $1 AND active_pid IS NOT NULL`, [slot]);
    }
    await waitUntil('slots inactive', async () => (await c.query(`SELECT 1 FROM pg_replication_slots WHERE slot_name = ANY($1) AND active`, [slots])).rows.length === 0, 10_000);
    await c.query(`SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots WHERE slot_name = ANY($1)`, [slots]);
    await c.query(`DROP DATABASE IF EXISTS ${legacy.name} WITH (FORCE)`);
  });
}

function walSource(legacy: LegacyDatabase, slotName: string) {
  return {
    name: 'legacy_app',
    priority: 45,
    databaseUrl: legacy.url,
    slotName,
    tables: [{ table: 'users', columns: { email: 'email', name: 'full_name', phone_number: 'phone', document_number: 'cpf', city: 'city', customer_id: 'id' } }],
  };
}

/** Waits until the slot has confirmed everything written to the legacy database so far (it confirms only what custsync applied). */
async function caughtUp(legacy: LegacyDatabase, slot: string): Promise<void> {
  const { rows } = await legacy.pool.query<{ lsn: string }>(`SELECT pg_current_wal_lsn()::text AS lsn`);
  await waitUntil(
    'the WAL source to catch up',
    async () => (await legacy.pool.query<{ ok: boolean }>(`SELECT confirmed_flush_lsn >= $2::pg_lsn AS ok FROM pg_replication_slots WHERE slot_name = $1`, [slot, rows[0]?.lsn])).rows[0]?.ok === true,
    30_000,
  );
}

const trailOf = (audit: { email: string; field: string; old: string | null; new: string | null; changedBy: string | null }[]) =>
  audit.map((a) => `${a.changedBy}:${a.email}:${a.field}:${a.old ?? '∅'}→${a.new ?? '∅'}`);

describe('WAL source: a table in another database (real Postgres logical replication)', () => {
  let db: TestDatabase;
  let legacy: LegacyDatabase;
  let daemon: Daemon | undefined;
  const slot = `custsync_t_${randomBytes(5).toString('hex')}`;
  const deadLetterTopic = randomTopic('dlq');
  const kafka = testKafka();

  const start = async () => {
    const config = parseConfig(
      testConfig({ databaseUrl: db.url, groupId: randomTopic('group'), deadLetterTopic, changeTopic: randomTopic('changes'), platforms: [], batchSize: 2, extra: { walSources: [walSource(legacy, slot)] } }),
      'test-config',
      {},
    );
    daemon = createDaemon(config, pino({ level: 'silent' }), { migrate: false, httpPort: 0 });
    await daemon.lifecycle.start();
  };
  const stop = async () => {
    await daemon?.lifecycle.stop();
    daemon = undefined;
  };
  const replayed = async () => (await daemon?.metrics.recordsReplayed.get())?.values.find((v) => v.labels.platform === 'legacy_app')?.value ?? 0;

  beforeAll(async () => {
    db = await freshDatabase();
    legacy = await legacyDatabase();
    await createTopics(kafka, [deadLetterTopic], 1);
  });
  afterAll(async () => {
    await stop();
    await dropLegacy(legacy, [slot, `${slot}_bk`]);
    await db?.drop();
  });

  it('snapshots rows present before the start, streams INSERT and UPDATE, skips DELETE, dead-letters rows without an email', async () => {
    await legacy.pool.query(`
      INSERT INTO users (email, full_name, phone, cpf, city, password) VALUES
        ('Ana.Souza@Example.com', 'Ana Souza', '(11) 99999-0000', '529.982.247-25', 'Recife', 'secret'),
        (NULL, 'No Email', NULL, NULL, NULL, 'secret'),
        ('bruno@example.com', 'Bruno Lima', NULL, NULL, 'Natal', 'secret')`);
    await start();
    await waitUntil('the snapshot', async () => (await readState(db.pool)).customers.length === 2, 30_000);

    await legacy.pool.query(`INSERT INTO users (email, full_name, city) VALUES ('carla@example.com', 'Carla Dias', 'Curitiba')`);
    await legacy.pool.query(`UPDATE users SET full_name = 'Ana Beatriz Souza', city = 'Olinda', password = 'changed' WHERE email = 'Ana.Souza@Example.com'`);
    await legacy.pool.query(`UPDATE users SET password = 'only a column custsync does not map' WHERE email = 'bruno@example.com'`);
    await legacy.pool.query(`DELETE FROM users WHERE email = 'bruno@example.com'`);
    const client = await legacy.pool.connect();
    try {
      await client.query('BEGIN');
      await client.query(`INSERT INTO users (email, full_name) VALUES ('davi@example.com', 'Davi')`);
      await client.query(`UPDATE users SET city = 'Porto' WHERE email = 'davi@example.com'`);
      await client.query(`UPDATE users SET phone = '21988887777' WHERE email = 'carla@example.com'`);
      await client.query('COMMIT');
    } finally {
      client.release();
    }
    await legacy.pool.query(`INSERT INTO users (email, full_name, password) VALUES ('  ', 'Streamed No Email', 'secret')`);
    await caughtUp(legacy, slot);

    const state = await readState(db.pool);
    expect(state.customers.map((c) => [c.email, c.values.name, c.values.city])).toEqual([
      ['ana.souza@example.com', 'Ana Beatriz Souza', 'Olinda'],
      ['bruno@example.com', 'Bruno Lima', 'Natal'], // deleted at the source: the unified customer stays
      ['carla@example.com', 'Carla Dias', 'Curitiba'],
      ['davi@example.com', 'Davi', 'Porto'],
    ]);
    const ids = (await legacy.pool.query<{ email: string | null; id: number }>(`SELECT email, id FROM users`)).rows;
    const idOf = (email: string) => String(ids.find((r) => r.email?.trim().toLowerCase() === email)?.id);
    // the source row's id is the platform customer id (provenance says who set it; a creation audits only the email)
    for (const email of ['ana.souza@example.com', 'carla@example.com', 'davi@example.com']) {
      expect(state.customers.find((c) => c.email === email)?.values.customer_id, email).toBe(idOf(email));
    }
    expect(trailOf(state.audit)).toEqual([
      'legacy_app:ana.souza@example.com:email:∅→ana.souza@example.com',
      'legacy_app:bruno@example.com:email:∅→bruno@example.com',
      'legacy_app:carla@example.com:email:∅→carla@example.com',
      'legacy_app:ana.souza@example.com:name:Ana Souza→Ana Beatriz Souza',
      'legacy_app:ana.souza@example.com:city:Recife→Olinda',
      'legacy_app:davi@example.com:email:∅→davi@example.com',
      'legacy_app:davi@example.com:city:∅→Porto',
      'legacy_app:carla@example.com:phone_local_code:∅→21',
      'legacy_app:carla@example.com:phone_number:∅→988887777',
    ]);

    const letters = await readTopic(kafka, deadLetterTopic, 2);
    expect(letters.map((l) => [l.headers['custsync.reason'], l.headers['custsync.platform'], l.headers['custsync.source.table']])).toEqual([
      ['email_missing', 'legacy_app', 'public.users'],
      ['email_missing', 'legacy_app', 'public.users'],
    ]);
    expect(JSON.parse(letters[0]?.value?.toString() ?? '{}')).toMatchObject({ email: null, full_name: 'No Email' }); // from the snapshot
    expect(JSON.parse(letters[1]?.value?.toString() ?? '{}')).toMatchObject({ email: '  ', full_name: 'Streamed No Email' }); // from the stream
    for (const letter of letters) expect(letter.value?.toString()).not.toContain('secret'); // only mapped columns
  });

  it('resumes after a restart exactly, even when the slot re-sends transactions already applied', async () => {
    const before = (await readState(db.pool)).audit.length;
    await stop();
    // A copy of the slot as it is now: restoring it later rewinds the slot, as if the acknowledgements after this point were lost.
    const backup = `${slot}_bk`;
    await legacy.pool.query(`SELECT pg_copy_logical_replication_slot($1, $2)`, [slot, backup]);
    await legacy.pool.query(`UPDATE users SET city = 'Caruaru' WHERE email = 'Ana.Souza@Example.com'`);
    await legacy.pool.query(`INSERT INTO users (email, full_name) VALUES ('elisa@example.com', 'Elisa')`);
    await start();
    await caughtUp(legacy, slot);
    expect(await replayed()).toBe(0);
    await stop();

    await legacy.pool.query(`SELECT pg_drop_replication_slot($1)`, [slot]);
    await legacy.pool.query(`SELECT pg_copy_logical_replication_slot($1, $2)`, [backup, slot]);
    await legacy.pool.query(`SELECT pg_drop_replication_slot($1)`, [backup]);
    await start();
    await legacy.pool.query(`UPDATE users SET full_name = 'Elisa Prado' WHERE email = 'elisa@example.com'`);
    await caughtUp(legacy, slot);
    expect(await replayed()).toBe(2); // the two re-sent transactions, skipped by their stored position
    const trail = trailOf((await readState(db.pool)).audit).slice(before);
    expect(trail).toEqual([
      'legacy_app:ana.souza@example.com:city:Olinda→Caruaru',
      'legacy_app:elisa@example.com:email:∅→elisa@example.com',
      'legacy_app:elisa@example.com:name:Elisa→Elisa Prado',
    ]);
  });

  it('refuses a table or column the source database does not have, naming the config key', async () => {
    const config = parseConfig(
      testConfig({
        databaseUrl: db.url,
        groupId: 'g',
        deadLetterTopic,
        changeTopic: 'c',
        platforms: [],
        extra: { walSources: [{ ...walSource(legacy, slot), tables: [{ table: 'users', columns: { email: 'email', name: 'fullname' } }, { table: 'people', columns: { email: 'email' } }] }] },
      }),
      'test-config',
      {},
    );
    const [source] = config.walSources;
    if (!source) throw new Error('no source');
    await expect(checkSourceTables(legacy.pool, source, 0)).rejects.toThrow(
      'WAL source legacy_app: walSources[0].tables[0]: no column "fullname" in public.users; walSources[0].tables[1].table: no table public.people in the source database (or no privilege to read it)',
    );
  });

  it('takes the snapshot again when a previous one was interrupted (slot left, no position stored)', async () => {
    const other = `custsync_t_${randomBytes(5).toString('hex')}`;
    const fresh = await freshDatabase();
    const leftover = await legacyDatabase();
    let second: Daemon | undefined;
    try {
      await leftover.pool.query(`INSERT INTO users (email, full_name) VALUES ('fabio@example.com', 'Fábio')`);
      await leftover.pool.query(`CREATE PUBLICATION ${other} FOR TABLE users`);
      await leftover.pool.query(`SELECT pg_create_logical_replication_slot($1, 'pgoutput')`, [other]);
      await leftover.pool.query(`INSERT INTO users (email, full_name) VALUES ('gabi@example.com', 'Gabi')`);
      const config = parseConfig(
        testConfig({ databaseUrl: fresh.url, groupId: randomTopic('group'), deadLetterTopic, changeTopic: randomTopic('changes'), platforms: [], extra: { walSources: [walSource(leftover, other)] } }),
        'test-config',
        {},
      );
      second = createDaemon(config, pino({ level: 'silent' }), { migrate: false, httpPort: 0 });
      await second.lifecycle.start();
      await waitUntil('the new snapshot', async () => (await readState(fresh.pool)).customers.length === 2, 30_000);
      await leftover.pool.query(`UPDATE users SET full_name = 'Gabriela' WHERE email = 'gabi@example.com'`);
      await waitUntil('the update', async () => (await readState(fresh.pool)).customers.some((c) => c.values.name === 'Gabriela'), 30_000);
      // each row applied once: one creation (its email row) per person, then the one update
      const audit = (await readState(fresh.pool)).audit;
      expect(audit.filter((a) => a.field === 'email').map((a) => a.new)).toEqual(['fabio@example.com', 'gabi@example.com']);
      expect(audit.filter((a) => a.field === 'name').map((a) => a.new)).toEqual(['Gabriela']);
      const { rows } = await fresh.pool.query<{ stream: string }>(`SELECT stream FROM custsync.source_positions ORDER BY stream`);
      expect(rows.map((r) => r.stream)).toEqual([`wal:${other}`]); // the snapshot's progress rows are cleaned up
    } finally {
      await second?.lifecycle.stop();
      await dropLegacy(leftover, [other]);
      await fresh.drop();
    }
  });
});

describe('WAL source: the daemon killed with SIGKILL mid-stream', () => {
  let db: TestDatabase;
  let legacy: LegacyDatabase;
  const slot = `custsync_t_${randomBytes(5).toString('hex')}`;
  const running: SpawnedDaemon[] = [];
  beforeAll(async () => {
    db = await freshDatabase();
    legacy = await legacyDatabase();
  });
  afterAll(async () => {
    for (const r of running) r.child.kill('SIGKILL');
    await Promise.all(running.map((r) => r.exited));
    await dropLegacy(legacy, [slot]);
    await db?.drop();
  });

  it('loses nothing at the snapshot/stream boundary and applies every source transaction exactly once across the crash', async () => {
    const people = 15;
    const late = 200;
    await legacy.pool.query(`INSERT INTO users (email, full_name) SELECT 'p' || i || '@example.com', 'v0' FROM generate_series(1, ${people}) i`);
    const config = writeConfig(
      testConfig({
        databaseUrl: db.url,
        groupId: randomTopic('group'),
        deadLetterTopic: randomTopic('dlq'),
        changeTopic: randomTopic('changes'),
        platforms: [],
        batchSize: 7,
        // initial values audited too: every name a source row ever had is then one audit row, which the check below counts
        extra: { walSources: [walSource(legacy, slot)], audit: { logInitialValues: true } },
      }),
    );
    const nameChanges = async (pattern = '') =>
      Number((await db.pool.query<{ n: string }>(`SELECT count(*)::text AS n FROM customer_logs WHERE field_name = 'name' AND new_value ~ $1`, [pattern])).rows[0]?.n);
    // Inserts racing the first start: each lands in the snapshot or in the stream, never in neither.
    const inserter = (async () => {
      for (let i = 1; i <= late; i += 1) await legacy.pool.query(`INSERT INTO users (email, full_name) VALUES ($1, 'n0')`, [`late${i}@example.com`]);
    })();
    const first = spawnDaemon(['run', '--config', config]);
    running.push(first);
    await waitUntil('the snapshot', async () => (await nameChanges()) >= people, 60_000);
    await inserter;

    const updates = 600;
    const writer = (async () => {
      for (let i = 1; i <= updates; i += 1) {
        await legacy.pool.query(`UPDATE users SET full_name = $2 WHERE email = $1`, [`p${(i % people) + 1}@example.com`, `v${i}`]);
      }
    })();
    // Only the stream brings v1, v2, ...: the crash lands mid-stream, after the snapshot completed.
    await waitUntil('some updates applied', async () => (await nameChanges('^v[1-9]')) > 100, 60_000, 10);
    first.child.kill('SIGKILL');
    await first.exited;
    await writer;
    expect(await nameChanges()).toBeLessThan(people + late + updates);

    const second = spawnDaemon(['run', '--config', config]);
    running.push(second);
    await waitUntil('every update applied', async () => (await nameChanges()) >= people + late + updates, 60_000).catch(async (err: Error) => {
      throw new Error(`${err.message} (${people + late + updates} expected, ${await nameChanges()} so far); daemon output:\n${second.output().slice(-5_000)}`);
    });
    second.child.kill('SIGTERM');
    expect(await second.exited).toBe(0);

    const { rows } = await db.pool.query<{ email: string; trail: string[] }>(`
      SELECT c.email, array_agg(l.new_value ORDER BY l.id) AS trail
        FROM customer_logs l JOIN customers c ON c.id = l.customer_id
       WHERE l.field_name = 'name' GROUP BY c.email ORDER BY c.email`);
    expect(rows).toHaveLength(people + late);
    for (const { email, trail } of rows) {
      if (email.startsWith('late')) {
        expect(trail, email).toEqual(['n0']);
        continue;
      }
      const person = Number(/^p(\d+)@/.exec(email)?.[1]);
      const expected = ['v0'];
      for (let i = 1; i <= updates; i += 1) if ((i % people) + 1 === person) expected.push(`v${i}`);
      expect(trail, email).toEqual(expected);
    }
  });
});
