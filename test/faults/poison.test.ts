import { closeSync, openSync, readFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { CompressionTypes, Partitioners } from 'kafkajs';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { scanBatches } from '../../src/connectors/kafka/wire.js';
import { genericEvents, keyOf, normalizedGeneric } from '../helpers/generic.js';
import { expectedState } from '../helpers/oracle.js';
import { auditByEmail } from '../helpers/state.js';
import { readState } from '../helpers/state.js';
import { testConfig, writeConfig } from '../helpers/daemon.js';
import { DaemonProcess } from './helpers/daemon.js';
import { FAULT_KAFKA_BROKERS, FAULT_VAR_DIR, TOPIC_PREFIX } from './helpers/services.js';
import { createFaultDatabase } from './helpers/setup.js';
import { highWatermarks, readTopicFully } from '../helpers/kafka.js';
import { faultKafka } from './helpers/kafka.js';

/**
 * A poison message amid 10,000 events (docs/reliability.md): one record batch
 * whose compressed payload is corrupted on the broker's disk after it was
 * accepted, as bit rot or a broken producer codec would leave it. kafkajs
 * cannot decode it, and decodes a fetch as a whole, so the consumer crashes
 * at the same place after every restart. The daemon must restart the
 * consumer, find the batch, dead-letter it (undecodable_batch, with its
 * origin), apply every other event exactly as the model says, and stay up.
 */

const run = process.env.CUSTSYNC_FAULT_RUN ?? 'adhoc';
const PLATFORMS = [
  { name: 'crm', mapper: 'generic', priority: 70, topics: [] as string[] },
  { name: 'stripe', mapper: 'generic', priority: 60, topics: [] as string[] },
  { name: 'hotmart', mapper: 'generic', priority: 50, topics: [] as string[] },
  { name: 'kiwify', mapper: 'generic', priority: 40, topics: [] as string[] },
];

/** Overwrites the start of the batch's compressed records (the lz4 frame's magic number) in the segment file. */
function corruptBatchOnDisk(topic: string, offset: bigint): void {
  const segment = join(FAULT_VAR_DIR, 'kafka', 'data', `${topic}-0`, '00000000000000000000.log');
  const bytes = readFileSync(segment);
  let position = 0;
  for (const batch of scanBatches(bytes)) {
    if (batch.baseOffset === offset) {
      const fd = openSync(segment, 'r+');
      try {
        const garbage = Buffer.alloc(8, 0xee);
        writeSync(fd, garbage, 0, garbage.length, position + 61);
      } finally {
        closeSync(fd);
      }
      return;
    }
    position += batch.bytes.length;
  }
  throw new Error(`no batch at offset ${offset} in ${segment}`);
}

describe('a poison message amid 10,000 events', () => {
  const topic = `${TOPIC_PREFIX}poison.${run}`;
  const deadLetterTopic = `${TOPIC_PREFIX}poison-dlq.${run}`;
  const kafka = faultKafka('custsync-faults-poison');
  const dir = join(FAULT_VAR_DIR, 'runs', run, 'poison');
  let pool: pg.Pool;
  let daemon: DaemonProcess | undefined;
  let poisonOffset = -1n;
  const events = [...genericEvents(5_000, 400, 11), ...genericEvents(5_000, 400, 12)];
  const platforms = PLATFORMS.map((p) => (p.name === 'crm' ? { ...p, topics: [topic] } : p));

  beforeAll(async () => {
    const db = await createFaultDatabase(`${run}_poison`);
    pool = new pg.Pool({ connectionString: db.url, max: 2 });
    const admin = kafka.admin();
    await admin.connect();
    await admin.createTopics({ waitForLeaders: true, topics: [topic, deadLetterTopic].map((t) => ({ topic: t, numPartitions: 1, replicationFactor: 1 })) });
    await admin.disconnect();

    const producer = kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner });
    await producer.connect();
    const send = async (list: typeof events) => {
      for (let i = 0; i < list.length; i += 500) {
        await producer.send({ topic, acks: -1, messages: list.slice(i, i + 500).map((e) => ({ key: keyOf(e), value: JSON.stringify(e) })) });
      }
    };
    await send(events.slice(0, 5_000));
    const poison = { eventId: 'poison-1', eventTime: '2024-06-01T00:00:00Z', email: 'poison@example.com', customer: { name: 'P'.repeat(2_000) } };
    const [meta] = await producer.send({ topic, acks: -1, compression: CompressionTypes.LZ4, messages: [{ key: 'poison', value: JSON.stringify(poison) }] });
    poisonOffset = BigInt(meta?.baseOffset ?? '-1');
    await send(events.slice(5_000));
    await producer.disconnect();
    corruptBatchOnDisk(topic, poisonOffset);

    const config = testConfig({
      databaseUrl: db.url,
      groupId: `faults-poison-${run}`,
      platforms,
      deadLetterTopic,
      changeTopic: `${TOPIC_PREFIX}poison-changes.${run}`,
      brokers: FAULT_KAFKA_BROKERS,
      batchSize: 500,
    });
    const configFile = writeConfig(
      {
        ...config,
        database: { url: db.url, poolSize: 4 },
        kafka: { ...(config.kafka as Record<string, unknown>), clientId: 'custsync-faults-poison', createMissingTopics: false, lagIntervalMs: 1_000 },
      },
      dir,
    );
    daemon = new DaemonProcess('poison', configFile, dir);
  }, 300_000);

  afterAll(async () => {
    if (daemon?.running) {
      daemon.signal('SIGKILL');
      await daemon.exited;
    }
    await pool?.end();
  });

  it('dead-letters the poison with its reason and origin, applies every other event, and stays up', async () => {
    const high = (await highWatermarks(kafka, topic)).get(0) ?? 0n;
    expect(high).toBe(10_001n);
    const stored = async () => BigInt((await pool.query<{ n: string }>(`SELECT coalesce(max(next_ordinal), 0)::text AS n FROM custsync.source_positions`)).rows[0]?.n ?? '0');
    const deadline = Date.now() + 180_000;
    while ((await stored()) < high && Date.now() < deadline && daemon?.running) await new Promise((r) => setTimeout(r, 500));
    expect(daemon?.running, `the daemon exited: ${JSON.stringify(daemon?.exit)}; log ${daemon?.logFile}`).toBe(true);
    expect(await stored()).toBe(high);

    // Every event but the poison, exactly as the model applies them.
    const expected = expectedState(events.map((e) => normalizedGeneric(e)), { platforms, operatorPriority: 1_000 });
    const state = await readState(pool);
    expect(state.customers).toEqual(expected.customers);
    const trails = auditByEmail(state.audit);
    for (const [email, trail] of expected.auditByEmail) expect(trails.get(email), email).toEqual(trail);

    // The poison, accounted for: one dead letter with its reason and origin.
    const letters = await readTopicFully(kafka, deadLetterTopic, 60_000);
    expect(letters).toHaveLength(1);
    expect(letters[0]?.headers).toMatchObject({
      'custsync.reason': 'undecodable_batch',
      'custsync.source.topic': topic,
      'custsync.source.partition': '0',
      'custsync.source.offset': poisonOffset.toString(),
      'custsync.source.last-offset': poisonOffset.toString(),
      'custsync.source.compression': 'lz4',
    });
    expect(letters[0]?.value?.length).toBeGreaterThan(61);

    // Alive and ready, with the crashes and the dead letter counted.
    expect((await daemon?.readyz())?.status).toBe(200);
    const metrics = await fetch(`http://127.0.0.1:${daemon?.port}/metrics`).then((r) => r.text());
    expect(metrics).toContain('custsync_dead_letters_total{platform="crm",reason="undecodable_batch"} 1');
    expect(metrics).toMatch(/custsync_consumer_crashes_total\{consumer="kafka-source"\} [2-9]/);
    expect(daemon?.fatalLines).toEqual([]);
    daemon?.signal('SIGTERM');
    expect((await daemon?.exited)?.code).toBe(0);
  }, 240_000);
});
