import { execFileSync } from 'node:child_process';
import type { Kafka } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ChangeEvent } from '../../src/audit/publisher/ChangeEvent.js';
import { publisherHolder } from '../../src/audit/publisher/leadership.js';
import { freshDatabase, type TestDatabase } from '../helpers/db.js';
import { CLI, spawnDaemon, testConfig, waitUntil, writeConfig, type SpawnedDaemon } from '../helpers/daemon.js';
import { testEngine } from '../helpers/engine.js';
import { createTopics, randomTopic, testKafka } from '../helpers/kafka.js';
import { record } from '../helpers/records.js';
import { collectTopic, randomSlotName, type TopicMessage } from '../helpers/replication.js';
import { dropSlotsOf } from '../helpers/db.js';

describe('two instances run one publisher', () => {
  let db: TestDatabase;
  let kafka: Kafka;
  let messages: TopicMessage[];
  let stopCollecting: () => Promise<void>;
  const running: SpawnedDaemon[] = [];
  const slot = randomSlotName('pub_leader');
  const topic = randomTopic('changes');

  beforeAll(async () => {
    db = await freshDatabase();
    kafka = testKafka();
    await createTopics(kafka, [topic], 3);
    ({ messages, stop: stopCollecting } = await collectTopic(kafka, topic));
  });
  afterAll(async () => {
    await stopCollecting?.();
    for (const d of running) d.child.kill('SIGKILL');
    await Promise.all(running.map((d) => d.exited));
    if (db) await dropSlotsOf(db.name);
    await db?.drop();
  });

  const write = (round: number) =>
    testEngine(db.pool).apply({
      records: Array.from({ length: 50 }, (_, i) => record({ platform: 'hotmart', email: `p${i}@example.com`, offset: round * 100 + i, customer: { customer_id: `id-${i}-${round}` } })),
    });
  const eventsOfRound = (round: number) => messages.map((m) => m.value as ChangeEvent).filter((e) => e.after?.customer_id?.endsWith(`-${round}`));

  it('one leads, the other stands by and takes over within 10 s after the leader is killed', async () => {
    const configFile = writeConfig(
      testConfig({
        databaseUrl: db.url,
        groupId: randomTopic('group'),
        platforms: [],
        deadLetterTopic: randomTopic('dlq'),
        changeTopic: topic,
        extra: { publisher: { slotName: slot, publicationName: slot, standbyPollMs: 1_000, heartbeatIntervalMs: 1_000 } },
      }),
    );
    const a = spawnDaemon(['run', '--config', configFile]);
    const b = spawnDaemon(['run', '--config', configFile]);
    running.push(a, b);
    const sessions = async () =>
      Number((await db.pool.query<{ n: number }>(`SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = current_database() AND application_name LIKE 'custsync-publisher %'`)).rows[0]?.n);
    await waitUntil('a leader streaming and a standby polling', async () => {
      const slotActive = (await db.pool.query(`SELECT 1 FROM pg_replication_slots WHERE slot_name = $1 AND active`, [slot])).rows.length === 1;
      return slotActive && (await sessions()) === 2 && (await publisherHolder(db.pool, slot)) !== null;
    }, 60_000);
    const holder = await publisherHolder(db.pool, slot);
    const [leader, standby] = holder?.applicationName.endsWith(`:${a.child.pid}`) ? [a, b] : [b, a];
    expect(holder?.applicationName).toMatch(new RegExp(`:${leader.child.pid}$`));
    await waitUntil('the standby to say so', () => standby.output().includes('standby: another instance publishes change events'), 10_000);

    await write(1);
    await waitUntil('round 1 published', () => eventsOfRound(1).length >= 50, 20_000);
    await new Promise((r) => setTimeout(r, 1_500));
    expect(new Set(eventsOfRound(1).map((e) => e.event_id)).size).toBe(eventsOfRound(1).length); // published once: one publisher

    const status = execFileSync(process.execPath, [CLI, 'status', '--config', configFile], { encoding: 'utf8' });
    expect(status).toContain(`leader custsync-publisher`);
    expect(status).toContain('1 standby');
    expect(status).toMatch(new RegExp(`${slot}\\s+change-publisher\\s+active .* lag [\\d,]+ bytes`));

    leader.child.kill('SIGKILL');
    const killedAt = Date.now();
    await leader.exited;
    await waitUntil('the standby to take over', async () => {
      const now = await publisherHolder(db.pool, slot);
      const slotRow = (await db.pool.query<{ active: boolean }>(`SELECT active FROM pg_replication_slots WHERE slot_name = $1`, [slot])).rows[0];
      return (now?.applicationName.endsWith(`:${standby.child.pid}`) ?? false) && slotRow?.active === true;
    }, 10_000, 100);
    const takeoverMs = Date.now() - killedAt;
    expect(takeoverMs).toBeLessThan(10_000);
    console.log(`publisher takeover after SIGKILL of the leader: ${takeoverMs} ms`);

    await write(2);
    await waitUntil('round 2 published by the new leader', () => eventsOfRound(2).length >= 50, 20_000);
    standby.child.kill('SIGTERM');
    expect(await standby.exited).toBe(0);
  });
});
