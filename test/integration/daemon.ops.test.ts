import { writeFileSync } from 'node:fs';
import type { Kafka } from 'kafkajs';
import { stringify } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freshDatabase, type TestDatabase } from '../helpers/db.js';
import { caughtUp, spawnDaemon, testConfig, waitUntil, writeConfig, type SpawnedDaemon } from '../helpers/daemon.js';
import { createTopics, randomTopic, testKafka } from '../helpers/kafka.js';
import { readState } from '../helpers/state.js';

describe('operating the daemon: health, metrics, SIGHUP reload', () => {
  let db: TestDatabase;
  let kafka: Kafka;
  let daemon: SpawnedDaemon | undefined;
  const topicA = randomTopic('ops-a');
  const topicB = randomTopic('ops-b');

  beforeAll(async () => {
    db = await freshDatabase();
    kafka = testKafka();
    await createTopics(kafka, [topicA, topicB]);
  });
  afterAll(async () => {
    daemon?.child.kill('SIGKILL');
    await db.drop();
  });

  const event = (platform: string, name: string, second: number) =>
    JSON.stringify({ eventId: `${platform}-${second}`, eventTime: new Date(Date.UTC(2024, 0, 1, 0, 0, second)).toISOString(), platform, email: 'ops@example.com', customer: { name } });
  const produce = async (topic: string, value: string) => {
    const producer = kafka.producer();
    await producer.connect();
    await producer.send({ topic, acks: -1, messages: [{ key: 'ops', value }] });
    await producer.disconnect();
  };
  const nameNow = async () => (await readState(db.pool)).customers[0]?.values.name;

  it('serves /healthz, /readyz and /metrics, and applies a reloaded configuration (refusing a bad one)', async () => {
    const base = (lowPriority: number, lowTopics: string[]) =>
      testConfig({
        databaseUrl: db.url,
        groupId: randomTopic('ops-group'),
        deadLetterTopic: randomTopic('ops-dlq'),
        changeTopic: randomTopic('ops-changes'),
        platforms: [
          { name: 'crm', mapper: 'generic', priority: 5, topics: [topicA] },
          { name: 'high', mapper: 'generic', priority: 20, topics: [] },
          { name: 'low', mapper: 'generic', priority: lowPriority, topics: lowTopics },
        ],
      });
    const initial = base(10, []);
    const file = writeConfig(initial);
    daemon = spawnDaemon(['run', '--config', file]);
    let port = 0;
    await waitUntil('the daemon to listen', () => {
      const match = /"port":(\d+).*http listening/.exec(daemon?.output() ?? '');
      port = Number(match?.[1] ?? 0);
      return port > 0 && /custsync running/.test(daemon?.output() ?? '');
    }, 30_000);
    const get = async (path: string) => {
      const response = await fetch(`http://127.0.0.1:${port}${path}`);
      return { status: response.status, body: await response.text() };
    };
    expect(await get('/healthz')).toEqual({ status: 200, body: '{"status":"ok"}\n' });
    await waitUntil('ready', async () => (await get('/readyz')).status === 200, 20_000);
    expect(JSON.parse((await get('/readyz')).body)).toMatchObject({ ready: true, checks: expect.arrayContaining([{ name: 'postgres', ok: true }]) });

    await produce(topicA, event('high', 'From High', 1));
    await produce(topicA, event('low', 'From Low', 2));
    await waitUntil('applied', () => caughtUp(kafka, db.pool, [topicA]));
    expect(await nameNow()).toBe('From High');

    const metrics = (await get('/metrics')).body;
    expect(metrics).toMatch(/custsync_messages_consumed_total\{platform="crm"\} 2/);
    expect(metrics).toMatch(/custsync_records_applied_total\{platform="(high|low)"\}/);
    expect(metrics).toContain('custsync_batch_duration_seconds_bucket');
    expect(metrics).toContain(`custsync_consumer_lag_messages{topic="${topicA}",partition="0"} 0`);
    expect(metrics).toContain(`custsync_consumer_lag_seconds{topic="${topicA}",partition="0"} 0`);
    expect(metrics).toMatch(/custsync_build_info\{version="\d+\.\d+\.\d+",node_version="v\d+[^"]*"\} 1/);
    // Node's process metrics under their standard names, for stock dashboards.
    expect(metrics).toContain('process_resident_memory_bytes');
    expect(metrics).not.toContain('custsync_process_');

    // a bad file is refused, naming the key; the running configuration stays
    writeFileSync(file, stringify({ ...initial, platforms: [{ name: 'low', mapper: 'generic', priority: 'very high' }] }));
    daemon.child.kill('SIGHUP');
    await waitUntil('the refusal', () => /configuration reload refused/.test(daemon?.output() ?? ''), 10_000);
    expect(daemon.output()).toContain('platforms[0].priority');

    // a good one re-ranks platforms and adds a topic, live
    writeFileSync(file, stringify(base(30, [topicB])));
    daemon.child.kill('SIGHUP');
    await waitUntil('the reload', () => /configuration reloaded/.test(daemon?.output() ?? ''), 30_000);
    await produce(topicB, event('low', 'Low Wins Now', 3));
    await waitUntil('applied after reload', async () => (await nameNow()) === 'Low Wins Now', 30_000);

    daemon.child.kill('SIGTERM');
    expect(await daemon.exited).toBe(0);
  });
});
