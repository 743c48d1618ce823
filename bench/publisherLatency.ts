/**
 * `npm run bench:publisher` (latency part) — commit → Kafka acknowledgement
 * latency of change events at fixed offered rates, measured as a new user
 * would: the real daemon (`custsync run`, from the build, with two platform
 * topics so its consumers join a group at start), 1,000 customers, hand
 * UPDATEs through pgbench at a fixed rate (`-R`, one customer per
 * transaction, each fired through the audit trigger), and per event the
 * broker's append time (the change topic uses LogAppendTime) minus the commit
 * time the event carries. Phases:
 *   - floor: before the daemon starts, the same load at BENCH_START_RATE read
 *     by a bare pgoutput client (pg-logical-replication, nothing else) on a
 *     slot of its own: commit → decoded, what Postgres' WAL sender and the
 *     machine allow before custsync does anything (the daemon's `wal` stage);
 *   - start: load begins as soon as the daemon's publisher streams its slot
 *     (about a second after the process started; its consumers still joining
 *     their group, its caches cold), BENCH_START_RATE changes/s (1,000) for
 *     30 s;
 *   - each rate of BENCH_RATES (1000,2500) for BENCH_SECONDS (30) on the warm daemon;
 *   - max: pgbench unthrottled for 15 s (the highest rate the machine sustains
 *     through the trigger), unless BENCH_MAX=0.
 * BENCH_CUSTOMERS (1000) customers; BENCH_DAEMON_NODE_ARGS go to the daemon's node.
 * For each: p50, p99, max, and the daemon's own split of the time
 * (custsync_change_event_latency_seconds: wal, queue, kafka), plus the load
 * average. Prints figures; never fails because the machine is slow.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { Kafka, logLevel } from 'kafkajs';
import { LogicalReplicationService, PgoutputPlugin } from 'pg-logical-replication';
import type pg from 'pg';
import { PUBLISHED_TABLES } from '../src/audit/publisher/digest.js';
import { ensurePublication } from '../src/replication/publication.js';
import { stringify } from 'yaml';
import { registerKafkaCodecs } from '../src/connectors/kafka/codecs.js';
import { dropSlot } from '../src/replication/slots.js';
import { benchDatabase } from './db.js';

const CUSTOMERS = Number(process.env.BENCH_CUSTOMERS ?? 1_000);
const START_RATE = Number(process.env.BENCH_START_RATE ?? 1_000);
const RATES = (process.env.BENCH_RATES ?? '1000,2500').split(',').map(Number).filter((n) => n > 0);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 30);
const MAX = process.env.BENCH_MAX !== '0';
const BROKERS = (process.env.CUSTSYNC_BENCH_KAFKA_BROKERS ?? '127.0.0.1:19092').split(',');
const CLI = resolve(import.meta.dirname, '../dist/cli/main.js');

interface Sample {
  commitMs: number;
  latencyMs: number;
}

function quantile(sorted: readonly number[], q: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))] as number;
}

/** Histogram buckets and sums of the daemon's latency metric, per stage; `cpu`: the process' CPU seconds. */
type Scrape = Map<string, { buckets: Map<number, number>; sum: number; count: number }> & { cpu?: number };

async function scrape(port: number): Promise<Scrape> {
  const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
  const out: Scrape = new Map();
  out.cpu = Number(/^process_cpu_seconds_total (\S+)$/m.exec(text)?.[1] ?? Number.NaN);
  const entry = (stage: string) => {
    let e = out.get(stage);
    if (!e) out.set(stage, (e = { buckets: new Map(), sum: 0, count: 0 }));
    return e;
  };
  for (const line of text.split('\n')) {
    let m = /^custsync_change_event_latency_seconds_bucket\{le="([^"]+)",stage="([^"]+)"\} (\S+)$/.exec(line) ?? /^custsync_change_event_latency_seconds_bucket\{stage="([^"]+)",le="([^"]+)"\} (\S+)$/.exec(line);
    if (m) {
      const [le, stage] = line.includes('{le=') ? [m[1], m[2]] : [m[2], m[1]];
      entry(stage as string).buckets.set(le === '+Inf' ? Infinity : Number(le), Number(m[3]));
      continue;
    }
    m = /^custsync_change_event_latency_seconds_(sum|count)\{stage="([^"]+)"\} (\S+)$/.exec(line);
    if (m) entry(m[2] as string)[m[1] as 'sum' | 'count'] = Number(m[3]);
  }
  return out;
}

/** Per stage between two scrapes: mean and the bucket bound under which 99 % fall. */
function breakdown(before: Scrape, after: Scrape): string {
  const parts: string[] = [];
  for (const stage of ['wal', 'queue', 'kafka', 'total']) {
    const a = after.get(stage);
    if (!a) continue;
    const b = before.get(stage);
    const count = a.count - (b?.count ?? 0);
    if (count <= 0) continue;
    const mean = ((a.sum - (b?.sum ?? 0)) / count) * 1000;
    let p99 = Infinity;
    for (const [le, n] of [...a.buckets].sort((x, y) => x[0] - y[0])) {
      if (n - (b?.buckets.get(le) ?? 0) >= 0.99 * count) {
        p99 = le;
        break;
      }
    }
    parts.push(`${stage} mean ${mean.toFixed(1)} ms, p99 ≤ ${Number.isFinite(p99) ? `${p99 * 1000} ms` : '∞'}`);
  }
  const events = (after.get('total')?.count ?? 0) - (before.get('total')?.count ?? 0);
  if (events > 0 && after.cpu !== undefined && before.cpu !== undefined) parts.push(`daemon CPU ${Math.round(((after.cpu - before.cpu) * 1e6) / events)} µs per event`);
  return parts.join('; ');
}

function pgbench(url: string, script: string, rate: number | null, seconds: number): Promise<{ tps: number; transactions: number; output: string }> {
  const u = new URL(url);
  const args = ['-n', '-h', u.hostname, '-p', u.port, '-U', u.username || 'postgres', '-c', '4', '-j', '2', '-T', String(seconds), '-f', script, u.pathname.slice(1)];
  if (rate !== null) args.push('-R', String(rate));
  return new Promise((resolvePromise, reject) => {
    const child = spawn('pgbench', args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (c: Buffer) => (output += c.toString()));
    child.stderr.on('data', (c: Buffer) => (output += c.toString()));
    child.on('error', reject);
    child.on('exit', (code) => {
      if (code !== 0) return reject(new Error(`pgbench exited ${code}:\n${output}`));
      const tps = Number(/tps = ([\d.]+)/.exec(output)?.[1] ?? Number.NaN);
      const transactions = Number(/number of transactions actually processed: (\d+)/.exec(output)?.[1] ?? 0);
      resolvePromise({ tps, transactions, output });
    });
  });
}

/** Commit → decoded by a bare pgoutput client, per transaction, while `load` runs. */
async function walFloor(url: string, pool: pg.Pool, slot: string, load: () => Promise<{ tps: number }>): Promise<string> {
  await ensurePublication(pool, slot, PUBLISHED_TABLES);
  await pool.query(`SELECT pg_create_logical_replication_slot($1, 'pgoutput')`, [slot]);
  const service = new LogicalReplicationService({ connectionString: url }, { acknowledge: { auto: true, timeoutSeconds: 1 } });
  const latencies: number[] = [];
  service.on('data', (_lsn: string, message: { tag: string; commitTime?: bigint }) => {
    if (message.tag === 'commit' && message.commitTime !== undefined) latencies.push(Date.now() - Number(message.commitTime / 1000n));
  });
  service.on('error', () => undefined);
  void service.subscribe(new PgoutputPlugin({ protoVersion: 1, publicationNames: [slot] }), slot).catch(() => undefined);
  try {
    const run = await load();
    await new Promise((r) => setTimeout(r, 1_000));
    latencies.sort((a, b) => a - b);
    return (
      `${Math.round(run.tps).toLocaleString('en-US')} changes/s committed, ${latencies.length.toLocaleString('en-US')} transactions: ` +
      `p50 ${quantile(latencies, 0.5)} ms, p99 ${quantile(latencies, 0.99)} ms, max ${latencies.at(-1)} ms (load average ${loadavg().map((l) => l.toFixed(1)).join(' ')})`
    );
  } finally {
    await service.destroy();
    await pool.query('SELECT pg_drop_replication_slot($1)', [slot]).catch(() => undefined);
    await pool.query(`DROP PUBLICATION IF EXISTS ${slot}`);
  }
}

async function waitFor(what: string, predicate: () => boolean | Promise<boolean>, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await predicate())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

export async function publisherLatency(): Promise<void> {
  registerKafkaCodecs();
  if (spawnSync('pgbench', ['--version']).status !== 0) {
    console.log('latency:   skipped: pgbench is not installed (Debian package postgresql-client)');
    return;
  }
  const kafka = new Kafka({ clientId: 'custsync-bench-latency', brokers: BROKERS, logLevel: logLevel.NOTHING });
  const suffix = randomBytes(4).toString('hex');
  const db = await benchDatabase('custsync_bench_lat');
  const slot = `bench_lat_${suffix}`;
  const changeTopic = `bench.latency.${suffix}`;
  const platformTopics = [`bench.lat.in1.${suffix}`, `bench.lat.in2.${suffix}`];
  const admin = kafka.admin();
  await admin.connect();
  let daemon: ChildProcess | undefined;
  const consumer = kafka.consumer({ groupId: `bench-latency-${suffix}`, maxWaitTimeInMs: 20 });
  try {
    await db.pool.query(
      `INSERT INTO addresses (id, address, number, city, state, zip_code, country)
       SELECT i, 'Rua Augusta', i::text, 'São Paulo', 'SP', '01305-000', 'BR' FROM generate_series(1, $1::int) i`,
      [CUSTOMERS],
    );
    await db.pool.query(
      `INSERT INTO customers (id, email, name, address_id) SELECT i, 'person' || i || '@example.com', 'Person ' || i, i FROM generate_series(1, $1::int) i`,
      [CUSTOMERS],
    );
    await admin.createTopics({
      waitForLeaders: true,
      topics: [
        // The broker stamps each record with its append time: the event's Kafka timestamp is when Kafka took it.
        { topic: changeTopic, numPartitions: 3, replicationFactor: 1, configEntries: [{ name: 'message.timestamp.type', value: 'LogAppendTime' }] },
        ...platformTopics.map((topic) => ({ topic, numPartitions: 3, replicationFactor: 1 })),
      ],
    });
    const dir = mkdtempSync(join(tmpdir(), 'custsync-bench-latency-'));
    const configFile = join(dir, 'custsync.yaml');
    writeFileSync(
      configFile,
      stringify({
        database: { url: db.url },
        kafka: { brokers: BROKERS, groupId: `bench-lat-${suffix}`, changeTopic, deadLetterTopic: `bench.lat.dlq.${suffix}` },
        platforms: [{ name: 'crm', mapper: 'generic', priority: 70, topics: platformTopics }],
        http: { host: '127.0.0.1', port: 0 },
        log: { level: 'info' },
        publisher: { slotName: slot, publicationName: slot, lagLogIntervalMs: 600_000 },
      }),
    );
    const script = join(dir, 'update.sql');
    writeFileSync(script, `\\set id random(1, ${CUSTOMERS})\nUPDATE customers SET name = 'Person ' || :id || ' ' || md5(random()::text) WHERE id = :id;\n`);

    const samples: Sample[] = [];
    await consumer.connect();
    await consumer.subscribe({ topics: [changeTopic], fromBeginning: true });
    await consumer.run({
      eachMessage: async ({ message }) => {
        if (!message.value) return;
        const commitMs = (JSON.parse(message.value.toString('utf8')) as { source: { ts_ms: number } }).source.ts_ms;
        samples.push({ commitMs, latencyMs: Number(message.timestamp) - commitMs });
      },
    });

    console.log(
      `latency:   commit → Kafka append time, ${CUSTOMERS.toLocaleString('en-US')} customers, pgbench hand UPDATEs (one customer per transaction, through the audit trigger), ` +
        `the daemon with 2 platform topics; ${cpus().length} CPUs shared with Postgres and Kafka`,
    );
    const floor = await walFloor(db.url, db.pool, `bench_floor_${suffix}`, () => pgbench(db.url, script, START_RATE, 20));
    console.log(`floor      ${START_RATE.toLocaleString('en-US')}/s offered, a bare pgoutput client, commit → decoded: ${floor}`);
    const spawnedAt = Date.now();
    // BENCH_DAEMON_NODE_ARGS: e.g. --cpu-prof --cpu-prof-dir=/tmp/prof, to see where the daemon's time goes.
    const nodeArgs = (process.env.BENCH_DAEMON_NODE_ARGS ?? '').split(' ').filter(Boolean);
    daemon = spawn(process.execPath, [...nodeArgs, CLI, 'run', '--config', configFile], { stdio: ['ignore', 'pipe', 'pipe'] });
    let log = '';
    daemon.stdout?.on('data', (c: Buffer) => (log = (log + c.toString()).slice(-200_000)));
    daemon.stderr?.on('data', (c: Buffer) => (log = (log + c.toString()).slice(-200_000)));
    let port = 0;
    await waitFor('the daemon\'s HTTP endpoint', async () => {
      port ||= Number(/"port":(\d+)[^\n]*http listening/.exec(log)?.[1] ?? 0);
      return port > 0 && (await fetch(`http://127.0.0.1:${port}/healthz`).then((r) => r.ok, () => false));
    }, 60_000);
    // A change committed before the slot exists is never published: the first run of a daemon creates it.
    await waitFor('the publisher to stream its slot', async () => (await db.pool.query('SELECT 1 FROM pg_replication_slots WHERE slot_name = $1 AND active', [slot])).rows.length === 1, 60_000);

    const phase = async (name: string, rate: number | null, seconds: number) => {
      const before = await scrape(port);
      const from = Date.now();
      const run = await pgbench(db.url, script, rate, seconds);
      const to = Date.now();
      const inWindow = () => samples.filter((s) => s.commitMs >= from - 5 && s.commitMs <= to + 5);
      await waitFor(`${name}: ${run.transactions} events`, () => inWindow().length >= run.transactions, 120_000).catch((err: unknown) => console.log(`           ${(err as Error).message}`));
      await new Promise((r) => setTimeout(r, 300));
      const after = await scrape(port);
      const latencies = inWindow().map((s) => s.latencyMs).sort((a, b) => a - b);
      const offered = rate === null ? 'unthrottled' : `${rate.toLocaleString('en-US')}/s offered`;
      console.log(
        `${name.padEnd(10)} ${offered}, ${Math.round(run.tps).toLocaleString('en-US')} changes/s committed, ${latencies.length.toLocaleString('en-US')} events: ` +
          `p50 ${quantile(latencies, 0.5)} ms, p99 ${quantile(latencies, 0.99)} ms, max ${latencies.at(-1)} ms ` +
          `(load average ${loadavg().map((l) => l.toFixed(1)).join(' ')})`,
      );
      console.log(`           daemon's split: ${breakdown(before, after)}`);
    };

    const loadAt = Date.now();
    await phase('start', START_RATE, 30);
    console.log(`           (load began ${((loadAt - spawnedAt) / 1000).toFixed(1)} s after the daemon was spawned, as soon as its publisher streamed)`);
    for (const rate of RATES) {
      await new Promise((r) => setTimeout(r, 2_000));
      await phase(`warm`, rate, SECONDS);
    }
    if (MAX) {
      await new Promise((r) => setTimeout(r, 2_000));
      await phase('max', null, 15);
    }
  } finally {
    await consumer.disconnect().catch(() => undefined);
    if (daemon && daemon.exitCode === null) {
      const exited = new Promise((r) => daemon?.once('exit', r));
      daemon.kill('SIGTERM');
      await exited;
    }
    await dropSlot(db.pool, slot).catch(() => undefined);
    await admin.deleteTopics({ topics: [changeTopic, ...platformTopics] }).catch(() => undefined);
    await admin.disconnect();
    await db.drop();
  }
}
