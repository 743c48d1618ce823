import type { Kafka } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freshDatabase, type TestDatabase } from '../helpers/db.js';
import { caughtUp, spawnDaemon, testConfig, waitUntil, writeConfig, type SpawnedDaemon } from '../helpers/daemon.js';
import { genericEvents, keyOf, normalizedGeneric } from '../helpers/generic.js';
import { createTopics, randomTopic, testKafka } from '../helpers/kafka.js';
import { expectedState } from '../helpers/oracle.js';
import { auditByEmail } from '../helpers/state.js';
import { readState } from '../helpers/state.js';

const PLATFORMS = [
  { name: 'crm', mapper: 'generic', priority: 70, topics: [] as string[] },
  { name: 'stripe', mapper: 'stripe', priority: 60, topics: [] as string[] },
  { name: 'hotmart', mapper: 'hotmart', priority: 50, topics: [] as string[] },
  { name: 'kiwify', mapper: 'kiwify', priority: 40, topics: [] as string[] },
];

describe('the daemon killed with SIGKILL mid-stream', () => {
  let db: TestDatabase;
  let kafka: Kafka;
  const running: SpawnedDaemon[] = [];
  beforeAll(async () => {
    db = await freshDatabase();
    kafka = testKafka();
  });
  afterAll(async () => {
    for (const d of running) d.child.kill('SIGKILL');
    await db.drop();
  });

  it('loses nothing and duplicates nothing after a restart, and stops cleanly on SIGTERM', async () => {
    const topic = randomTopic('generic');
    await createTopics(kafka, [topic], 3);
    const platforms = PLATFORMS.map((p) => (p.name === 'crm' ? { ...p, topics: [topic] } : p));
    const configFile = writeConfig(
      testConfig({
        databaseUrl: db.url,
        groupId: randomTopic('group'),
        deadLetterTopic: randomTopic('dlq'),
        changeTopic: randomTopic('changes'),
        platforms,
        batchSize: 50,
      }),
    );
    const events = genericEvents(4_000, 250, 7);
    const producer = kafka.producer();
    await producer.connect();
    for (let i = 0; i < events.length; i += 500) {
      await producer.send({
        topic,
        acks: -1,
        messages: events.slice(i, i + 500).map((e) => ({ key: keyOf(e), value: JSON.stringify(e) })),
      });
    }
    await producer.disconnect();

    const applied = async () =>
      Number((await db.pool.query<{ n: string }>(`SELECT coalesce(sum(next_ordinal), 0)::text AS n FROM custsync.source_positions`)).rows[0]?.n);

    const first = spawnDaemon(['run', '--config', configFile]);
    running.push(first);
    await waitUntil('some progress before the kill', async () => (await applied()) >= 400, 30_000, 20);
    first.child.kill('SIGKILL');
    await first.exited;
    const progressAtKill = await applied();
    expect(progressAtKill).toBeLessThan(events.length);

    const second = spawnDaemon(['run', '--config', configFile]);
    running.push(second);
    await waitUntil('the restarted daemon to catch up', () => caughtUp(kafka, db.pool, [topic]), 60_000);
    second.child.kill('SIGTERM');
    const started = Date.now();
    expect(await second.exited).toBe(0);
    expect(Date.now() - started).toBeLessThan(10_000);
    expect(second.output()).toContain('stopped cleanly');

    const expected = expectedState(events.map((e) => normalizedGeneric(e)), { platforms, operatorPriority: 1_000 });
    const state = await readState(db.pool);
    expect(state.customers).toEqual(expected.customers);
    const actualTrails = auditByEmail(state.audit);
    for (const [email, trail] of expected.auditByEmail) expect(actualTrails.get(email), email).toEqual(trail);
    expect(state.audit.length).toBe([...expected.auditByEmail.values()].reduce((n, t) => n + t.length, 0));
  });
});
