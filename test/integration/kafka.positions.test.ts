import { Writable } from 'node:stream';
import type { Kafka } from 'kafkajs';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BrokerProbe } from '../../src/connectors/kafka/brokerProbe.js';
import { formatTopicId } from '../../src/connectors/kafka/wire.js';
import { createDaemon, type Daemon } from '../../src/app/daemon.js';
import { parseConfig } from '../../src/app/loadConfig.js';
import { runCli } from '../helpers/cli.js';
import { freshDatabase, type TestDatabase } from '../helpers/db.js';
import { caughtUp, testConfig, waitUntil, writeConfig } from '../helpers/daemon.js';
import { createTopics, randomTopic, testKafka } from '../helpers/kafka.js';
import { readState } from '../helpers/state.js';

const event = (id: string, email: string) => JSON.stringify({ eventId: id, eventTime: '2024-05-01T12:00:00Z', email, customer: { name: id } });

describe('positions that cannot be right (a topic deleted and recreated)', () => {
  let db: TestDatabase;
  let kafka: Kafka;
  let daemon: Daemon | undefined;
  let raw: Record<string, unknown>;
  let configFile: string;
  const topic = randomTopic('recreated');
  const stream = `kafka:${topic}`;
  const logs: string[] = [];

  const produce = async (values: string[]) => {
    const producer = kafka.producer();
    await producer.connect();
    await producer.send({ topic, acks: -1, messages: values.map((value) => ({ key: 'k', value })) });
    await producer.disconnect();
  };
  const start = async () => {
    const sink = new Writable({ write: (chunk: Buffer, _e, done) => { logs.push(chunk.toString()); done(); } });
    daemon = createDaemon(parseConfig(raw, 'test-config', {}), pino({ level: 'info' }, sink), { migrate: false, httpPort: 0 });
    await daemon.lifecycle.start();
  };
  const stop = async () => {
    await daemon?.lifecycle.stop();
    daemon = undefined;
  };
  const stored = async () => (await db.pool.query<{ next: string; topic_id: string | null }>(`SELECT next_ordinal::text AS next, topic_id::text FROM custsync.source_positions WHERE stream = $1`, [stream])).rows[0];

  beforeAll(async () => {
    db = await freshDatabase();
    kafka = testKafka();
    await createTopics(kafka, [topic], 1);
    raw = testConfig({ databaseUrl: db.url, groupId: randomTopic('group'), deadLetterTopic: randomTopic('dlq'), changeTopic: randomTopic('changes'), platforms: [{ name: 'crm', mapper: 'generic', priority: 70, topics: [topic] }] });
    configFile = writeConfig(raw);
  });
  afterAll(async () => {
    await stop();
    await db?.drop();
  });

  it('stores the topic id with the position, refuses the recreated topic naming the fix, and applies it after positions reset', async () => {
    await start();
    await produce([event('a', 'a@example.com'), event('b', 'b@example.com'), event('c', 'c@example.com')]);
    await waitUntil('caught up', () => caughtUp(kafka, db.pool, [topic]), 30_000);
    const probe = new BrokerProbe(kafka);
    const firstId = (await probe.topicIds([topic])).get(topic);
    expect(firstId).toMatch(/^[0-9a-f]{32}$/);
    await waitUntil('the topic id stored', async () => (await stored())?.topic_id === formatTopicId(firstId as string), 10_000);
    await stop();

    // The topic is deleted and recreated: offsets start at 0 again, below the stored 3.
    const admin = kafka.admin();
    await admin.connect();
    await admin.deleteTopics({ topics: [topic] });
    await waitUntil('the topic recreated', async () => {
      try {
        return await admin.createTopics({ waitForLeaders: true, topics: [{ topic, numPartitions: 1, replicationFactor: 1 }] });
      } catch {
        return false;
      }
    }, 30_000, 500);
    await admin.disconnect();
    await produce([event('d', 'd@example.com'), event('e', 'e@example.com')]);
    const newId = (await probe.topicIds([topic])).get(topic);
    await probe.disconnect();
    expect(newId).not.toBe(firstId);

    await start();
    await waitUntil('the partition refused', () => logs.some((l) => l.includes('Partition stopped')), 30_000);
    const refusal = logs.find((l) => l.includes('Partition stopped')) ?? '';
    expect(refusal).toContain('"level":50');
    expect(refusal).toContain(`custsync positions reset --stream ${stream}`);
    await expect(daemon?.kafkaSource.check()).rejects.toThrow(/partition\(s\) stopped/);
    expect((await readState(db.pool)).customers.map((c) => c.email)).not.toContain('d@example.com');
    expect(await daemon?.metrics.registry.getSingleMetricAsString('custsync_partitions_stopped')).toContain(`custsync_partitions_stopped{topic="${topic}"} 1`);

    const list = await runCli(['positions', 'list', '--format', 'json', '--config', configFile]);
    expect(list.code, list.stderr).toBe(1);
    const row = (JSON.parse(list.stdout) as { stream: string; state: string; stored: string; high: string }[]).find((r) => r.stream === stream);
    expect(row).toMatchObject({ state: 'topic recreated', stored: '3', high: '2' });

    const dryRun = await runCli(['positions', 'reset', '--stream', stream, '--to', 'earliest', '--config', configFile]);
    expect(dryRun.code, dryRun.stderr).toBe(0);
    expect(dryRun.stdout).toContain('would reset (dry run');
    expect(dryRun.stdout).toContain('[0] stored 3 -> 0');
    expect((await stored())?.next).toBe('3');

    const refused = await runCli(['positions', 'reset', '--stream', stream, '--yes', '--config', configFile]);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain('stop every custsync instance first');

    await stop();
    const reset = await runCli(['positions', 'reset', '--stream', stream, '--to', 'earliest', '--yes', '--config', configFile]);
    expect(reset.code, reset.stderr).toBe(0);
    expect(await stored()).toEqual({ next: '0', topic_id: formatTopicId(newId as string) });

    await start();
    await waitUntil('the new topic applied', () => caughtUp(kafka, db.pool, [topic]), 30_000);
    expect((await readState(db.pool)).customers.map((c) => c.email)).toEqual(expect.arrayContaining(['d@example.com', 'e@example.com']));
    await expect(daemon?.kafkaSource.check()).resolves.toBeUndefined();
  });
});
