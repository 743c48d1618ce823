import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Kafka } from 'kafkajs';
import pg from 'pg';
import { PositionStore, storedKey, streams } from '../../../src/unifier/PositionStore.js';
import { prng } from '../../helpers/generic.js';
import type { PlatformSpec } from '../../helpers/daemon.js';
import { writeFaultConfig } from './daemon.js';
import { hostileMessages, hostileSummary } from './hostile.js';
import { Instances, type Crash } from './instances.js';
import { faultKafka, PacedProducer } from './kafka.js';
import { interleave, type FaultTopics, type Outgoing } from './messages.js';
import { committedOffsets, outage, storedPositions, type OutageReport } from './outage.js';
import { faultPlatforms } from './platforms.js';
import { FAULT_VAR_DIR } from './services.js';
import { mainStream } from './stream.js';
import {
  checkChangeEvents,
  checkCounters,
  checkDeadLetters,
  checkLiterals,
  compareState,
  type ChangeReport,
  type CounterReport,
  type DeadLetterReport,
  type LiteralReport,
  type StateReport,
} from './verify.js';
import { buildModel, type Model } from './model.js';
import { highWatermarks, readTopicFully } from '../../helpers/kafka.js';
import { sleep } from '../../helpers/daemon.js';

export interface ScenarioOptions {
  run: string;
  seed: number;
  databaseUrl: string;
  /** Main-stream events (hostile messages come on top). */
  events: number;
  /** Over how long the stream is produced. */
  streamMs: number;
  /** Length of each service outage. */
  outageMs: number;
  generic: { partitions: number };
}

export interface FaultRecord {
  /** ms since the stream started. */
  at: number;
  fault: string;
  detail: string;
}

export interface ScenarioReport {
  options: ScenarioOptions;
  topics: FaultTopics;
  faults: FaultRecord[];
  kills: number;
  secondInstance: { fromMs: number; toMs: number; exit: string } | undefined;
  pgOutage: OutageReport | undefined;
  kafkaOutage: OutageReport | undefined;
  sent: { main: number; malformed: number; tricky: number; total: number; largest: number };
  producer: { failedSends: number; blockedMs: number };
  topicMessages: number;
  model: Model | undefined;
  state: StateReport | undefined;
  literals: LiteralReport | undefined;
  deadLetters: DeadLetterReport | undefined;
  changes: ChangeReport | undefined;
  counters: CounterReport | undefined;
  crashes: Crash[];
  fatal: string[];
  /** Partitions that did not reach their high watermark, with their lag. */
  stalled: string[];
  /** streamMs: until the last message was produced. */
  durations: { streamMs: number; drainMs: number; publisherMs: number; verifyMs: number };
  errors: string[];
}

const SOURCE_KEYS = ['generic', 'hotmart', 'stripe', 'kiwify'] as const;

async function createTopics(kafka: Kafka, topics: FaultTopics, genericPartitions: number): Promise<void> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    await admin.createTopics({
      waitForLeaders: true,
      topics: [
        { topic: topics.generic, numPartitions: genericPartitions },
        ...[topics.hotmart, topics.stripe, topics.kiwify, topics.deadLetters, topics.changes].map((topic) => ({ topic, numPartitions: 3 })),
      ].map((t) => ({ ...t, replicationFactor: 1 })),
    });
  } finally {
    await admin.disconnect();
  }
}

/** Per partition of the source topics: stored position vs high watermark. Empty when all caught up. */
async function lagging(kafka: Kafka, pool: pg.Pool, topics: string[]): Promise<string[]> {
  const stored = await new PositionStore(pool).nextOfStreams(topics.map(streams.kafka));
  const out: string[] = [];
  for (const topic of topics) {
    for (const [partition, high] of await highWatermarks(kafka, topic)) {
      const at = stored.get(storedKey(streams.kafka(topic), partition)) ?? 0n;
      if (at < high) out.push(`${topic}[${partition}] at ${at} of ${high} (lag ${high - at})`);
    }
  }
  return out;
}

async function waitFor(what: string, predicate: () => Promise<boolean>, timeoutMs: number, intervalMs = 500): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await predicate().catch(() => false)) return true;
    await sleep(intervalMs);
  }
  return false;
}

/**
 * The whole run: a stream produced while instances are killed and
 * restarted, a second instance joins and leaves, and Postgres and the Kafka
 * broker each go down for `outageMs`; then the drain and every check.
 * Never throws for what it finds: everything lands in the report.
 */
export async function runScenario(options: ScenarioOptions, log: (line: string) => void): Promise<ScenarioReport> {
  const { run, seed } = options;
  const random = prng(seed);
  const between = (a: number, b: number) => a + (b - a) * random();
  const topics = Object.fromEntries(
    (['generic', 'hotmart', 'stripe', 'kiwify', 'deadLetters', 'changes'] as const).map((k) => [k, `faults.${run}.${k}`]),
  ) as unknown as FaultTopics;
  const sourceTopics = SOURCE_KEYS.map((k) => topics[k]);
  const platforms: PlatformSpec[] = faultPlatforms(topics);
  const runDir = join(FAULT_VAR_DIR, 'runs', run);
  mkdirSync(join(runDir, 'logs'), { recursive: true });
  const slotName = `faults_${run}`;
  const groupId = `faults.${run}.group`;
  const configFile = writeFaultConfig(runDir, { databaseUrl: options.databaseUrl, groupId, platforms, deadLetterTopic: topics.deadLetters, changeTopic: topics.changes, slotName });

  const report: ScenarioReport = {
    options,
    topics,
    faults: [],
    kills: 0,
    secondInstance: undefined,
    pgOutage: undefined,
    kafkaOutage: undefined,
    sent: { main: 0, malformed: 0, tricky: 0, total: 0, largest: 0 },
    producer: { failedSends: 0, blockedMs: 0 },
    topicMessages: 0,
    model: undefined,
    state: undefined,
    literals: undefined,
    deadLetters: undefined,
    changes: undefined,
    counters: undefined,
    crashes: [],
    fatal: [],
    stalled: [],
    durations: { streamMs: 0, drainMs: 0, publisherMs: 0, verifyMs: 0 },
    errors: [],
  };

  // ------------------------------------------------------------ the input
  const scale = options.events / 100_000;
  const main = mainStream(topics, { generic: Math.round(80_000 * scale), hotmart: Math.round(8_000 * scale), stripe: Math.round(6_000 * scale), kiwify: Math.round(6_000 * scale) }, random, 0);
  const hostile = hostileMessages(topics, random, 10_000_000);
  const all: Outgoing[] = interleave([...main, hostile], random);
  const generated = new Map(all.map((m) => [m.id, m]));
  const summary = hostileSummary(hostile);
  report.sent = {
    main: main.reduce((n, l) => n + l.length, 0),
    malformed: summary.malformed,
    tricky: summary.tricky,
    total: all.length,
    largest: Math.max(...all.map((m) => m.value?.length ?? 0)),
  };
  log(`input: ${report.sent.main} events + ${summary.malformed} malformed + ${summary.tricky} tricky = ${all.length} messages`);

  const kafka = faultKafka();
  await createTopics(kafka, topics, options.generic.partitions);
  const pool = new pg.Pool({ connectionString: options.databaseUrl, max: 4 });
  // Postgres restarts under the suite too: a dead idle connection must not end the test process.
  pool.on('error', () => undefined);
  const instances = new Instances(configFile, join(runDir, 'logs'));
  const producer = new PacedProducer(kafka, all, options.streamMs);
  let streamStart = Date.now();
  const at = () => Date.now() - streamStart;
  const fault = (name: string, detail: string) => {
    report.faults.push({ at: at(), fault: name, detail });
    log(`${(at() / 1000).toFixed(1).padStart(6)} s  ${name}: ${detail}`);
  };
  const until = (ms: number) => sleep(ms - at());
  const kill = async (slot: string) => {
    const { killed, restarted, readyMs } = await instances.kill(slot, between(300, 2_000));
    report.kills += 1;
    fault('SIGKILL', `${killed} killed, ${restarted} started (ready after ${readyMs} ms)`);
  };
  const pickRunning = () => (instances.process('B')?.running && random() < 0.5 ? 'B' : 'A');

  try {
    const first = instances.start('A');
    await first.waitReady(60_000);
    instances.supervise();
    streamStart = Date.now();
    const producing = producer.run().then(() => {
      report.durations.streamMs = at();
    });
    const d = options.streamMs;

    // Faults, in order; each waits for the previous one to settle. Times are seeded.
    await until(between(4_000, 9_000));
    await kill('A');
    await until(at() + between(4_000, 8_000));
    await kill('A');
    await until(Math.max(at() + 3_000, d * 0.15));
    const b = instances.start('B');
    const bFrom = at();
    fault('second instance', `${b.name} joins the group (ready after ${await b.waitReady(60_000)} ms)`);
    await until(at() + between(3_000, 8_000));
    await kill(pickRunning());
    await until(at() + between(3_000, 7_000));
    fault('Postgres down', `for ${options.outageMs / 1000} s (${instances.running.map((p) => p.name).join(', ')} running)`);
    const idle = async () => (await lagging(kafka, pool, sourceTopics)).length === 0;
    report.pgOutage = await outage('pg', options.outageMs, instances, () => committedOffsets(kafka, groupId, sourceTopics), () => storedPositions(pool), idle);
    fault('Postgres up', `after ${(report.pgOutage.downMs / 1000).toFixed(1)} s`);
    await until(at() + between(2_000, 6_000));
    await kill(pickRunning());
    await until(Math.max(at() + 3_000, d * 0.65));
    const stopped = await instances.stop('B');
    report.secondInstance = { fromMs: bFrom, toMs: at(), exit: `${stopped.name}: code ${stopped.code}, signal ${stopped.signal}, ${stopped.ms} ms` };
    fault('second instance', `${stopped.name} stopped with SIGTERM: exit code ${stopped.code} after ${stopped.ms} ms`);
    await until(at() + between(3_000, 6_000));
    fault('Kafka down', `for ${options.outageMs / 1000} s (${instances.running.map((p) => p.name).join(', ')} running)`);
    report.kafkaOutage = await outage('kafka', options.outageMs, instances, () => storedPositions(pool), () => storedPositions(pool), idle);
    fault('Kafka up', `after ${(report.kafkaOutage.downMs / 1000).toFixed(1)} s`);
    await until(at() + between(2_000, 6_000));
    await kill('A');

    await producing;
    report.producer = { failedSends: producer.failedSends, blockedMs: producer.blockedMs };
    log(`stream produced in ${(report.durations.streamMs / 1000).toFixed(1)} s (${producer.failedSends} failed sends retried)`);

    // ------------------------------------------------------------ the drain
    const drainStart = Date.now();
    const drainLimitMs = Math.max(180_000, options.events * 2);
    await waitFor('every partition at its high watermark', async () => (await lagging(kafka, pool, sourceTopics)).length === 0, drainLimitMs, 1_000);
    report.stalled = await lagging(kafka, pool, sourceTopics).catch((err: Error) => [`could not read positions: ${err.message}`]);
    report.durations.drainMs = Date.now() - drainStart;
    log(`drained in ${(report.durations.drainMs / 1000).toFixed(1)} s${report.stalled.length ? `; STALLED: ${report.stalled.join('; ')}` : ''}`);
    const publisherStart = Date.now();
    const lsn = (await pool.query<{ lsn: string }>(`SELECT pg_current_wal_lsn()::text AS lsn`)).rows[0]?.lsn ?? '0/0';
    const published = await waitFor(
      'the publisher to confirm the WAL up to the drain',
      async () => (await pool.query<{ ok: boolean }>(`SELECT confirmed_flush_lsn >= $1::pg_lsn AS ok FROM pg_replication_slots WHERE slot_name = $2`, [lsn, slotName])).rows[0]?.ok === true,
      90_000,
    );
    report.durations.publisherMs = Date.now() - publisherStart;
    if (!published) report.errors.push(`the change publisher did not confirm the WAL up to ${lsn} within 90 s`);
    const last = await instances.stop('A');
    fault('stop', `${last.name} stopped with SIGTERM: exit code ${last.code} after ${last.ms} ms`);
    await sleep(1_500); // crash bookkeeping of the last exit
  } catch (err) {
    report.errors.push(`scenario: ${(err as Error).stack ?? String(err)}`);
    producer.stop();
  } finally {
    await instances.killAll();
    report.crashes = instances.crashes;
    report.fatal = instances.fatalLines();
  }

  // ------------------------------------------------------------ the checks
  const verifyStart = Date.now();
  try {
    const read = (await Promise.all(sourceTopics.map((t) => readTopicFully(kafka, t)))).flat();
    report.topicMessages = read.length;
    const model = buildModel(read, generated, platforms);
    report.model = model;
    report.state = await compareState(pool, model);
    report.literals = await checkLiterals(pool, all);
    report.deadLetters = checkDeadLetters(await readTopicFully(kafka, topics.deadLetters), model);
    report.counters = await checkCounters(pool, model, report.deadLetters);
    report.changes = await checkChangeEvents(pool, await readTopicFully(kafka, topics.changes));
  } catch (err) {
    report.errors.push(`verification: ${(err as Error).stack ?? String(err)}`);
  } finally {
    await pool.end();
  }
  report.durations.verifyMs = Date.now() - verifyStart;
  return report;
}

/** The pids of the daemons a run started (for a last-resort cleanup). */
export function daemonPids(run: string): number[] {
  try {
    return readFileSync(join(FAULT_VAR_DIR, 'runs', run, 'logs', 'pids'), 'utf8').split('\n').filter(Boolean).map(Number);
  } catch {
    return [];
  }
}
