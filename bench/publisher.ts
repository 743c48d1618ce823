/**
 * `npm run bench:publisher` — first the latency of change events at fixed
 * offered rates (bench/publisherLatency.ts), then the throughput: change events published per second from the
 * WAL to Kafka, beside the raw pgoutput decode rate of the same WAL (the
 * floor: pg-logical-replication alone, counting messages), measured in the
 * same run. The workload: customers with addresses exist (created before the
 * slots), then each is changed once, as the batch engine writes a change from
 * a higher-priority platform: a new name (per customer one UPDATE of
 * customers, one audit row, one provenance upsert) or, with BENCH_FIELDS=3,
 * a new name and phone (three audit rows, three upserts), in transactions of
 * BENCH_BATCH customers. The addresses are unchanged, so the publisher must
 * look them up. Prints figures; never fails because the machine is slow.
 *
 * Knobs: BENCH_PUBLISHER (latency,throughput: which parts run), BENCH_THROUGHPUT_CUSTOMERS (100000), BENCH_BATCH (2000), BENCH_FIELDS (1 or 3),
 * BENCH_MAX_BATCH_EVENTS, BENCH_MAX_QUEUED_CHANGES, BENCH_CACHE (publisher.maxBatchEvents,
 * maxQueuedChanges, addressCacheSize; default the configuration's),
 * BENCH_WRITER (sql: set-based statements shaped like the engine's, fast to set
 * up; engine: the BatchEngine itself).
 */
import { randomBytes } from 'node:crypto';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { cpus, loadavg } from 'node:os';
import { Kafka, logLevel } from 'kafkajs';
import pg from 'pg';
import { LogicalReplicationService, PgoutputPlugin } from 'pg-logical-replication';
import { pino } from 'pino';
import { PUBLISHED_TABLES } from '../src/audit/publisher/digest.js';
import { Config } from '../src/runtime/config.js';
import { Metrics } from '../src/runtime/metrics.js';
import { formatLsn, parseLsn } from '../src/replication/lsn.js';
import { ensurePublication } from '../src/replication/publication.js';
import { dropSlot, ensureSlot, readSlot } from '../src/replication/slots.js';
import { benchDatabase, PG_ADMIN_URL, rate } from './db.js';
import { publisherLatency } from './publisherLatency.js';
import { engineWorkload, sqlWorkload } from './publisherWorkload.js';
import { registerKafkaCodecs } from '../src/connectors/kafka/codecs.js';

// The publisher as the daemon runs it, from the build (its Kafka thread then starts without a TypeScript loader).
const { ChangePublisher } = (await import(pathToFileURL(resolve(import.meta.dirname, '../dist/audit/publisher/ChangePublisher.js')).href)) as typeof import('../src/audit/publisher/ChangePublisher.js');

const CUSTOMERS = Number(process.env.BENCH_THROUGHPUT_CUSTOMERS ?? 100_000);
const PARTS = (process.env.BENCH_PUBLISHER ?? 'latency,throughput').split(',');
const BATCH = Number(process.env.BENCH_BATCH ?? 2_000);
const WRITER = process.env.BENCH_WRITER === 'engine' ? 'engine' : 'sql';
const FIELDS = process.env.BENCH_FIELDS === '3' ? 3 : 1;
const BROKERS = (process.env.CUSTSYNC_BENCH_KAFKA_BROKERS ?? '127.0.0.1:19092').split(',');
/** pg-logical-replication alone: every pgoutput message of the slot, parsed and counted, up to `end`. */
async function rawDecode(url: string, slot: string, publication: string, end: bigint): Promise<{ messages: number; rows: number; ms: number; cpuMs: number }> {
  const service = new LogicalReplicationService({ connectionString: url }, { acknowledge: { auto: false, timeoutSeconds: 0 } });
  let messages = 0;
  let rows = 0;
  const t = performance.now();
  const cpu = process.cpuUsage();
  await new Promise<void>((resolve, reject) => {
    const check = (lsn: string) => {
      if (parseLsn(lsn) >= end) resolve();
    };
    service.on('data', (lsn: string, message: { tag: string }) => {
      messages += 1;
      if (message.tag === 'insert' || message.tag === 'update' || message.tag === 'delete') rows += 1;
      if (message.tag === 'commit') check(lsn);
    });
    service.on('heartbeat', (lsn: string) => check(lsn));
    service.on('error', reject);
    service.subscribe(new PgoutputPlugin({ protoVersion: 1, publicationNames: [publication] }), slot).catch(reject);
  });
  const ms = performance.now() - t;
  const used = process.cpuUsage(cpu);
  await service.destroy();
  return { messages, rows, ms, cpuMs: (used.user + used.system) / 1000 };
}

async function servicesUp(kafka: Kafka): Promise<void> {
  const client = new pg.Client({ connectionString: PG_ADMIN_URL, connectionTimeoutMillis: 3_000 });
  const admin = kafka.admin();
  try {
    await client.connect();
    await admin.connect();
    await admin.describeCluster();
  } catch (err) {
    console.error(`services are not reachable (${(err as Error).message}); start them with: bash scripts/services.sh up`);
    process.exit(1);
  } finally {
    await client.end().catch(() => undefined);
    await admin.disconnect().catch(() => undefined);
  }
}

async function main(): Promise<void> {
  registerKafkaCodecs(); // custsync compresses what it writes (kafka.compression)
  const kafka = new Kafka({ clientId: 'custsync-bench', brokers: BROKERS, logLevel: logLevel.NOTHING });
  await servicesUp(kafka);
  if (PARTS.includes('latency')) await publisherLatency();
  if (PARTS.includes('throughput')) await throughput(kafka);
}

async function throughput(kafka: Kafka): Promise<void> {
  console.log(
    `bench:publisher — ${CUSTOMERS.toLocaleString('en-US')} customer changes of ${FIELDS} field${FIELDS > 1 ? 's' : ''} ` +
      `(${WRITER} writer, transactions of ${BATCH.toLocaleString('en-US')}), WAL → Kafka`,
  );
  const db = await benchDatabase('custsync_bench_pub');
  const suffix = randomBytes(4).toString('hex');
  const rawSlot = `bench_raw_${suffix}`;
  const pubSlot = `bench_pub_${suffix}`;
  const topic = `bench.changes.${suffix}`;
  const admin = kafka.admin();
  await admin.connect();
  let publisher: InstanceType<typeof ChangePublisher> | undefined;
  try {
    const workload = (WRITER === 'engine' ? engineWorkload : sqlWorkload)(db.pool, CUSTOMERS, BATCH, FIELDS);
    let t = performance.now();
    await workload.create();
    const createMs = performance.now() - t;
    console.log(`setup:     ${CUSTOMERS.toLocaleString('en-US')} customers with addresses created in ${(createMs / 1000).toFixed(1)} s (before the slots: not published)`);

    await ensurePublication(db.pool, pubSlot, PUBLISHED_TABLES);
    await db.pool.query(`SELECT pg_create_logical_replication_slot($1, 'pgoutput')`, [rawSlot]);
    await ensureSlot(db.pool, pubSlot, 'change-publisher');
    const start = parseLsn((await readSlot(db.pool, pubSlot))?.confirmedFlushLsn ?? '0/0');
    t = performance.now();
    await workload.change();
    const writeMs = performance.now() - t;
    const end = parseLsn((await db.pool.query<{ lsn: string }>('SELECT pg_current_wal_lsn()::text AS lsn')).rows[0]?.lsn ?? '0/0');
    const walMb = Number(end - start) / 1024 / 1024;
    console.log(`write:     ${CUSTOMERS.toLocaleString('en-US')} changes written in ${(writeMs / 1000).toFixed(1)} s = ${rate(CUSTOMERS, writeMs)} changes/s (${walMb.toFixed(0)} MB of WAL)`);

    const raw = await rawDecode(db.url, rawSlot, pubSlot, end);
    const rawRate = (raw.messages / raw.ms) * 1000;
    console.log(
      `raw:       ${raw.messages.toLocaleString('en-US')} pgoutput messages (${raw.rows.toLocaleString('en-US')} rows) decoded in ${(raw.ms / 1000).toFixed(1)} s = ${rate(raw.messages, raw.ms)} msgs/s ` +
        `(this process: ${((raw.cpuMs * 1000) / CUSTOMERS).toFixed(0)} µs CPU per customer changed)`,
    );

    await admin.createTopics({ waitForLeaders: true, topics: [{ topic, numPartitions: 3, replicationFactor: 1 }] });
    const config = Config.parse({
      database: { url: db.url },
      kafka: { brokers: BROKERS, changeTopic: topic },
      publisher: {
        slotName: pubSlot,
        publicationName: pubSlot,
        lagLogIntervalMs: 600_000,
        ...(process.env.BENCH_MAX_BATCH_EVENTS ? { maxBatchEvents: Number(process.env.BENCH_MAX_BATCH_EVENTS) } : {}),
        ...(process.env.BENCH_CACHE ? { addressCacheSize: Number(process.env.BENCH_CACHE) } : {}),
        ...(process.env.BENCH_MAX_QUEUED_CHANGES ? { maxQueuedChanges: Number(process.env.BENCH_MAX_QUEUED_CHANGES) } : {}),
      },
    });
    publisher = new ChangePublisher({ config, pool: db.pool, metrics: new Metrics(), logger: pino({ level: 'warn' }) });
    t = performance.now();
    const cpu = process.cpuUsage();
    await publisher.start();
    let first: { at: number; events: number } | undefined;
    for (;;) {
      if (!first && publisher.eventsPublished > 0) first = { at: performance.now(), events: publisher.eventsPublished };
      const confirmed = parseLsn((await readSlot(db.pool, pubSlot))?.confirmedFlushLsn ?? '0/0');
      if (confirmed >= end) break;
      await new Promise((r) => setTimeout(r, 10));
    }
    const done = performance.now();
    const used = process.cpuUsage(cpu);
    const pubMs = done - t;
    const events = publisher.eventsPublished;
    const eventRate = (events / pubMs) * 1000;
    console.log(
      `publisher: ${events} events in ${(pubMs / 1000).toFixed(1)} s = ${rate(events, pubMs)} events/s ` +
        `(raw pgoutput decode: ${rate(raw.messages, raw.ms)} msgs/s, ratio ${(eventRate / rawRate).toFixed(2)}; ` +
        `same WAL up to ${formatLsn(end)}: raw ${(raw.ms / 1000).toFixed(1)} s, publisher ${(pubMs / 1000).toFixed(1)} s)`,
    );
    if (first) {
      console.log(
        `           of which start-up (leadership, slot checks, producer thread) until the first acknowledged group: ${((first.at - t) / 1000).toFixed(1)} s; ` +
          `after it: ${rate(events - first.events, done - first.at)} events/s`,
      );
    }
    console.log(
      `           this process (decoding, assembling, the Kafka producer thread): ${((used.user + used.system) / events).toFixed(0)} µs CPU per event; ` +
        `load average ${loadavg().map((l) => l.toFixed(1)).join(' ')} on ${cpus().length} CPUs`,
    );
  } finally {
    await publisher?.stop();
    await admin.deleteTopics({ topics: [topic] }).catch(() => undefined);
    await admin.disconnect();
    for (const slot of [rawSlot, pubSlot]) await dropSlot(db.pool, slot).catch(() => undefined);
    await db.drop();
  }
}

await main();
