import type { DeadLetter } from '../src/contract.js';
import type { Incoming } from '../src/contract.js';
/**
 * `npm run bench` — the whole daemon end to end on the real broker and the
 * real Postgres. Prints:
 *   - end-to-end events/s: a backlog of realistic events across six platform
 *     formats, from the daemon's first commit to its last;
 *   - latency from produce to commit (p50, p99) at a steady 5,000 events/s;
 *   - the daemon's peak RSS;
 *   - baselines measured in the same run on the same data: the raw kafkajs
 *     consume rate, and the unifier alone (decode + normalize + engine, no Kafka).
 * Never fails because the machine is slow.
 */
import { spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { Kafka, logLevel, type KafkaMessage } from 'kafkajs';
import { pino } from 'pino';
import { stringify } from 'yaml';
import { decodeMessage, type DecodeContext } from '../src/connectors/kafka/decode.js';
import { mapperFor } from '../src/connectors/mappers/registry.js';
import { Metrics } from '../src/runtime/metrics.js';
import { BatchEngine } from '../src/unifier/engine/BatchEngine.js';
import { DEFAULT_NORMALIZE_OPTIONS } from '../src/unifier/normalize/index.js';
import { priorityRules } from '../src/unifier/priorities.js';
import { Unifier } from '../src/unifier/Unifier.js';
import { PositionStore } from '../src/unifier/PositionStore.js';
import { benchEvents } from './data.js';
import { brokerCpuMs, cpuBudgetLine, postgresCpuMs, processCpuMs } from './cpu.js';
import { benchDatabase, rate } from './db.js';
import { BENCH_PLATFORMS, payloadFor, type BenchPlatform } from './payloads.js';
import { registerKafkaCodecs } from '../src/connectors/kafka/codecs.js';

const EVENTS = Number(process.env.BENCH_EVENTS ?? 200_000);
const STEADY_RATE = Number(process.env.BENCH_STEADY_RATE ?? 5_000);
const STEADY_SECONDS = Number(process.env.BENCH_STEADY_SECONDS ?? 20);
/** BENCH_UNIFIER_ONLY=0 skips the unifier-only baseline (when profiling the daemon). */
const UNIFIER_ONLY = process.env.BENCH_UNIFIER_ONLY !== '0';
const PARTITIONS = 3;
const WITH_PUBLISHER = process.env.BENCH_PUBLISHER === '1';
const BROKERS = (process.env.KAFKA_BROKERS ?? '127.0.0.1:19092').split(',');
const CLI = resolve(import.meta.dirname, '../dist/cli/main.js');
const run = randomBytes(3).toString('hex');
const topicOf = (platform: BenchPlatform) => `bench.${platform}.${run}`;
const PRIORITIES: Record<BenchPlatform, number> = { hotmart: 50, kiwify: 40, eduzz: 40, stripe: 60, shopify: 30, crm: 70 };
const MAPPER: Record<BenchPlatform, string> = { hotmart: 'hotmart', kiwify: 'kiwify', eduzz: 'eduzz', stripe: 'stripe', shopify: 'shopify', crm: 'generic' };

interface Outgoing {
  topic: string;
  partition: number;
  key: string;
  value: string;
}

function partitionOf(key: string): number {
  return createHash('md5').update(key).digest().readUInt32BE(0) % PARTITIONS;
}

function messagesFor(count: number, seed: number, offsetIndex = 0): Outgoing[] {
  return benchEvents({ count, seed, platforms: [...BENCH_PLATFORMS] }).map((e, i) => {
    const platform = e.platform as BenchPlatform;
    return { topic: topicOf(platform), partition: partitionOf(e.email), key: e.email, value: JSON.stringify(payloadFor(platform, e, i + offsetIndex)) };
  });
}

const percentile = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? NaN;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function main(): Promise<void> {
  console.log(
    `bench — ${EVENTS.toLocaleString('en-US')} events across ${BENCH_PLATFORMS.length} platform formats, ${PARTITIONS} partitions per topic; change-event publisher ${WITH_PUBLISHER ? 'on' : 'off'}`,
  );
  registerKafkaCodecs(); // custsync compresses what it writes (kafka.compression)
  const kafka = new Kafka({ clientId: 'custsync-bench', brokers: BROKERS, logLevel: logLevel.NOTHING });
  const admin = kafka.admin();
  await admin.connect();
  const topics = BENCH_PLATFORMS.map(topicOf);
  await admin.createTopics({ waitForLeaders: true, topics: topics.map((topic) => ({ topic, numPartitions: PARTITIONS, replicationFactor: 1 })) });
  const db = await benchDatabase();
  const unifierDb = await benchDatabase();
  const producer = kafka.producer({ allowAutoTopicCreation: false });
  await producer.connect();

  try {
    // The backlog
    const backlog = messagesFor(EVENTS, 42);
    let t = performance.now();
    for (let i = 0; i < backlog.length; i += 2_000) {
      const chunk = backlog.slice(i, i + 2_000);
      await producer.sendBatch({ acks: -1, topicMessages: topics.map((topic) => ({ topic, messages: chunk.filter((m) => m.topic === topic) })) });
    }
    console.log(`produce:        ${EVENTS.toLocaleString('en-US')} events in ${((performance.now() - t) / 1000).toFixed(2)} s = ${rate(EVENTS, performance.now() - t)} events/s (kafkajs producer, acks=all)`);

    // Baseline: raw kafkajs consume of the same backlog
    const raw = kafka.consumer({ groupId: `bench-raw-${run}`, maxBytesPerPartition: 2_097_152 });
    await raw.connect();
    await raw.subscribe({ topics, fromBeginning: true });
    let consumed = 0;
    let firstRaw = 0;
    const rawDone = new Promise<number>((resolveDone) => {
      void raw.run({
        partitionsConsumedConcurrently: 4,
        eachBatch: async ({ batch }) => {
          if (firstRaw === 0) firstRaw = performance.now();
          consumed += batch.messages.length;
          if (consumed >= EVENTS) resolveDone(performance.now());
        },
      });
    });
    const rawEnd = await rawDone;
    await raw.disconnect();
    const rawMs = rawEnd - firstRaw;

    // Baseline: the unifier alone on the same messages (decode + normalize + engine), no Kafka
    const rules = priorityRules(BENCH_PLATFORMS.map((p) => ({ name: p, priority: PRIORITIES[p] })), 1_000);
    const engine = new BatchEngine(unifierDb.pool, rules, pino({ level: 'silent' }), { maxAttempts: 5 });
    const letters: DeadLetter[] = [];
    const unifier = new Unifier(new PositionStore(unifierDb.pool), engine, { send: async (l) => void letters.push(...l) }, new Metrics(), pino({ level: 'silent' }), DEFAULT_NORMALIZE_OPTIONS);
    const contexts = new Map<string, DecodeContext>(
      BENCH_PLATFORMS.map((p) => [topicOf(p), { platform: p, mapper: mapperFor(MAPPER[p]), knownPlatforms: new Set(BENCH_PLATFORMS), maxMessageBytes: 1_048_576 }]),
    );
    const byPartition = new Map<string, { topic: string; partition: number; messages: KafkaMessage[] }>();
    for (const m of backlog) {
      const key = `${m.topic}/${m.partition}`;
      const entry = byPartition.get(key) ?? { topic: m.topic, partition: m.partition, messages: [] };
      entry.messages.push({ key: Buffer.from(m.key), value: Buffer.from(m.value), offset: String(entry.messages.length), timestamp: String(Date.now()), attributes: 0, headers: {} });
      byPartition.set(key, entry);
    }
    t = performance.now();
    for (const { topic, partition, messages } of UNIFIER_ONLY ? byPartition.values() : []) {
      for (let i = 0; i < messages.length; i += 2_000) {
        const chunk = messages.slice(i, i + 2_000);
        const items: Incoming[] = chunk.map((m) => decodeMessage(topic, partition, m, contexts.get(topic) as DecodeContext));
        await unifier.ingest({ items, advance: [{ stream: `kafka:${topic}`, partition, next: BigInt(i + chunk.length) }] });
      }
    }
    const unifierMs = performance.now() - t;

    // The daemon on the backlog
    const dir = mkdtempSync(join(tmpdir(), 'custsync-bench-'));
    const configFile = join(dir, 'custsync.yaml');
    writeFileSync(
      configFile,
      stringify({
        database: { url: db.url, poolSize: 8 },
        kafka: { brokers: BROKERS, groupId: `bench-daemon-${run}`, deadLetterTopic: `bench.dlq.${run}`, changeTopic: `bench.changes.${run}`, newTopicReplicationFactor: 1, partitionsConsumedConcurrently: 4 },
        unifier: { batchSize: 2_000 },
        // The change-event publisher has its own benchmark (bench:publisher); BENCH_PUBLISHER=1 runs it here too.
        publisher: { enabled: WITH_PUBLISHER, slotName: `bench_${run}`, publicationName: `bench_${run}` },
        platforms: BENCH_PLATFORMS.map((p) => ({ name: p, mapper: MAPPER[p], priority: PRIORITIES[p], topics: [topicOf(p)] })),
        http: { host: '127.0.0.1', port: 0 },
        log: { level: 'warn' },
      }),
    );
    const positions = async () => {
      const { rows } = await db.pool.query<{ stream: string; partition: number; next: string }>(`SELECT stream, partition, next_ordinal::text AS next FROM custsync.source_positions`);
      return new Map(rows.map((r) => [`${r.stream.slice('kafka:'.length)}/${r.partition}`, BigInt(r.next)]));
    };
    const highs = new Map<string, bigint>();
    for (const topic of topics) for (const p of await admin.fetchTopicOffsets(topic)) highs.set(`${topic}/${p.partition}`, BigInt(p.high));
    const caughtUp = (stored: Map<string, bigint>) => [...highs].every(([k, high]) => (stored.get(k) ?? 0n) >= high);

    const cpuAtStart = { postgres: postgresCpuMs(db.name), broker: brokerCpuMs() };
    const started = performance.now();
    // BENCH_DAEMON_NODE_ARGS: extra node flags for the daemon, e.g. "--cpu-prof --cpu-prof-dir=/tmp/prof".
    const nodeArgs = (process.env.BENCH_DAEMON_NODE_ARGS ?? '').split(' ').filter(Boolean);
    const daemon = spawn(process.execPath, [...nodeArgs, CLI, 'run', '--config', configFile], { stdio: ['ignore', 'ignore', 'inherit'] });
    let exitCode: number | null | undefined;
    daemon.on('exit', (code) => (exitCode = code));
    let firstCommit = 0;
    for (;;) {
      if (exitCode !== undefined) throw new Error(`the daemon exited (code ${exitCode}) before catching up`);
      const stored = await positions();
      if (firstCommit === 0 && stored.size > 0) firstCommit = performance.now();
      if (caughtUp(stored)) break;
      await sleep(50);
    }
    const lastCommit = performance.now();
    const daemonMs = lastCommit - firstCommit;
    const backlogCpu: [string, number][] = [
      ['custsync', processCpuMs(daemon.pid ?? 0)],
      ['Postgres', postgresCpuMs(db.name) - cpuAtStart.postgres],
      ['Kafka broker', brokerCpuMs() - cpuAtStart.broker],
    ];

    // Steady load: latency from produce to commit
    const sent = new Map<string, number>(); // "topic/partition/offset" -> produce time
    let producing = true;
    const latencies: number[] = [];
    const poller = (async () => {
      const acknowledged = new Map<string, bigint>(highs);
      while (producing || sent.size > 0) {
        const stored = await positions();
        const now = performance.now();
        for (const [key, next] of stored) {
          let from = acknowledged.get(key) ?? 0n;
          for (; from < next; from += 1n) {
            const at = sent.get(`${key}/${from}`);
            if (at !== undefined) {
              latencies.push(now - at);
              sent.delete(`${key}/${from}`);
            }
          }
          acknowledged.set(key, next);
        }
        await sleep(10);
      }
    })();
    const steady = messagesFor(STEADY_RATE * STEADY_SECONDS, 7, EVENTS);
    const perTick = STEADY_RATE / 100;
    const steadyStart = performance.now();
    for (let i = 0; i < steady.length; i += perTick) {
      const due = steadyStart + (i / STEADY_RATE) * 1000;
      const wait = due - performance.now();
      if (wait > 0) await sleep(wait);
      const chunk = steady.slice(i, i + perTick);
      const at = performance.now();
      const grouped = new Map<string, Outgoing[]>();
      for (const m of chunk) grouped.set(`${m.topic}/${m.partition}`, [...(grouped.get(`${m.topic}/${m.partition}`) ?? []), m]);
      const results = await producer.sendBatch({
        acks: -1,
        topicMessages: [...grouped.values()].map((ms) => ({ topic: ms[0]?.topic as string, messages: ms.map((m) => ({ partition: m.partition, key: m.key, value: m.value })) })),
      });
      for (const r of results) {
        const group = grouped.get(`${r.topicName}/${r.partition}`) ?? [];
        group.forEach((_, j) => sent.set(`${r.topicName}/${r.partition}/${BigInt(r.baseOffset ?? '0') + BigInt(j)}`, at));
      }
    }
    const steadyMs = performance.now() - steadyStart;
    producing = false;
    const drainDeadline = performance.now() + 120_000;
    while (sent.size > 0 && performance.now() < drainDeadline) await sleep(50);
    const unacknowledged = sent.size;
    sent.clear();
    await poller;

    const status = readFileSync(`/proc/${daemon.pid}/status`, 'utf8');
    const peakRssMb = Number(/VmHWM:\s+(\d+)/.exec(status)?.[1] ?? 0) / 1024;
    daemon.kill('SIGTERM');
    await new Promise((r) => daemon.on('exit', r));

    const sorted = latencies.sort((a, b) => a - b);
    const e2eRate = (EVENTS / daemonMs) * 1000;
    console.log(`raw consume:    ${EVENTS.toLocaleString('en-US')} messages in ${(rawMs / 1000).toFixed(2)} s = ${rate(EVENTS, rawMs)} messages/s (kafkajs eachBatch, no work)`);
    console.log(`unifier only:   ${EVENTS.toLocaleString('en-US')} events in ${(unifierMs / 1000).toFixed(2)} s = ${rate(EVENTS, unifierMs)} events/s (decode + normalize + engine, one stream, no Kafka)`);
    console.log(
      `end to end:     ${EVENTS.toLocaleString('en-US')} events in ${(daemonMs / 1000).toFixed(2)} s = ${rate(EVENTS, daemonMs)} events/s (first commit to last commit; ${((lastCommit - started) / 1000).toFixed(2)} s from process start)`,
    );
    console.log(
      `latency:        p50 ${percentile(sorted, 50).toFixed(0)} ms, p99 ${percentile(sorted, 99).toFixed(0)} ms, produce to commit, ${sorted.length.toLocaleString('en-US')} events at ${rate(sorted.length + unacknowledged, steadyMs)} events/s offered (target ${STEADY_RATE})${unacknowledged ? `, ${unacknowledged} not committed within 120 s` : ''}`,
    );
    console.log(`peak RSS:       ${peakRssMb.toFixed(0)} MB (daemon process, VmHWM)`);
    console.log(`ratios:         end to end / raw consume = ${(e2eRate / ((EVENTS / rawMs) * 1000)).toFixed(2)}, end to end / unifier only = ${(e2eRate / ((EVENTS / unifierMs) * 1000)).toFixed(2)}`);
    console.log(`CPU, backlog:   ${cpuBudgetLine(backlogCpu, EVENTS, 'event')} (from process start to the last commit)`);
    const p99 = percentile(sorted, 99);
    console.log(
      `targets:        >= 12,000 events/s end to end: ${e2eRate >= 12_000 ? 'met' : 'NOT met'}; p99 < 500 ms at ${STEADY_RATE.toLocaleString('en-US')} events/s: ${p99 < 500 ? 'met' : 'NOT met'}; ` +
        `peak RSS < 300 MB: ${peakRssMb < 300 ? 'met' : 'NOT met'}`,
    );
    if (letters.length > 0) console.log(`note:           ${letters.length} events were dead-lettered by the unifier-only run (${letters[0]?.reason})`);
  } finally {
    await producer.disconnect();
    await admin.deleteTopics({ topics: [...topics, `bench.dlq.${run}`, `bench.changes.${run}`] }).catch(() => undefined);
    await admin.disconnect();
    if (WITH_PUBLISHER) await db.pool.query(`SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots WHERE slot_name = $1`, [`bench_${run}`]).catch(() => undefined);
    await db.drop();
    await unifierDb.drop();
  }
}

await main();
