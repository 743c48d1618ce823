/**
 * `npm run bench:unifier` — the batch engine against the real Postgres, on
 * two workloads, beside baselines measured in the same run on the same data:
 *   - today's workload: 200,000 records, half new customers, half updates, a
 *     tenth conflicting;
 *   - a steady-state mix: 200,000 events for customers already held, 80 %
 *     repeating what custsync holds (webhooks on every purchase), 20 % with
 *     one changed field.
 * For each: records/s, rows written per record, the time of every engine
 * statement summed over the run, and the raw floor for the rows written (the
 * same writes replayed alone, nothing read, locked or decided). Also the seed's
 * pseudocode one transaction per record, on a sample. Prints figures; never
 * fails because the machine is slow.
 */
import { copyRows } from '../src/unifier/engine/copy.js';
import type { StatementStats } from '../src/unifier/engine/statements.js';
import { BEGIN_AS_ENGINE } from '../src/unifier/engine/sql.js';
import { DEFAULT_NORMALIZE_OPTIONS, normalizeRecord, type NormalizedRecord } from '../src/unifier/normalize/index.js';
import { priorityRules } from '../src/unifier/priorities.js';
import { SourceRecord } from '../src/contract.js';
import { benchEvents, type BenchEvent } from './data.js';
import { benchDatabase, rate } from './db.js';
import { breakdown, cpuLine, READ_STATEMENTS, runEngine, summary, type EngineRun } from './engineRuns.js';
import { applyNaively } from './naive.js';

const RECORDS = Number(process.env.BENCH_RECORDS ?? 200_000);
const STEADY_CUSTOMERS = Number(process.env.BENCH_STEADY_CUSTOMERS ?? 100_000);
const STEADY_EVENTS = Number(process.env.BENCH_STEADY_EVENTS ?? 200_000);
const BATCH = Number(process.env.BENCH_BATCH ?? 2_000);
/** Partitions applied at once, each on its own connection (the daemon's partitionsConsumedConcurrently). */
const STREAMS = Number(process.env.BENCH_STREAMS ?? 2);
const NAIVE_SAMPLE = Math.min(Number(process.env.BENCH_NAIVE_SAMPLE ?? 5_000), RECORDS);
const rules = priorityRules(
  [
    { name: 'hotmart', priority: 50 },
    { name: 'kiwify', priority: 40 },
    { name: 'eduzz', priority: 40 },
    { name: 'stripe', priority: 60, fieldPriorities: { phone_number: 10, phone_local_code: 10 } },
    { name: 'shopify', priority: 30 },
  ],
  1_000,
);

function normalized(events: readonly BenchEvent[]): NormalizedRecord[] {
  return events.map((e, i) => {
    const result = normalizeRecord(
      SourceRecord.parse({ ...e, position: { kind: 'kafka', topic: 'bench', partition: 0, offset: String(i) } }),
      DEFAULT_NORMALIZE_OPTIONS,
    );
    if (!result.ok) throw new Error(`bench record rejected: ${result.reason}`);
    return result.record;
  });
}

/**
 * The steady state: every event is about a customer already held, from the
 * platform that created it, newer; 80 % carry exactly what is held, 20 % a
 * new phone number (one changed field).
 */
function steadyEvents(people: readonly BenchEvent[], count: number): BenchEvent[] {
  const base = Date.UTC(2025, 0, 1);
  const current = people.map((p) => p.customer);
  return Array.from({ length: count }, (_, i) => {
    const index = (i * 7_919) % people.length;
    const person = people[index] as BenchEvent;
    if (i % 5 === 4) current[index] = { ...current[index], phone_number: `+55119${String(10_000_000 + i).slice(-8)}` };
    return { ...person, eventId: `steady-${i}`, eventTime: new Date(base + i * 1000), customer: current[index] as BenchEvent['customer'] };
  });
}

/**
 * The raw floor: the run's writes alone (its COPYs, UPDATEs and upserts with
 * the very same rows, one transaction per batch, in order) into a fresh
 * database holding what the run started from, on one connection. Nothing is
 * read, locked or decided.
 */
async function rawFloor(stats: StatementStats, setup?: StatementStats): Promise<{ ms: number; rows: number }> {
  const db = await benchDatabase();
  try {
    const client = await db.pool.connect();
    const replay = async (transactions: StatementStats['transactions']) => {
      let rows = 0;
      for (const statements of transactions) {
        await client.query(BEGIN_AS_ENGINE);
        for (const statement of statements) {
          if (READ_STATEMENTS.has(statement.name)) continue;
          if (statement.kind === 'copy') {
            await copyRows(client, statement.target, statement.rows);
            rows += statement.rows.length;
          } else {
            rows += (await client.query(statement.sql, statement.params)).rowCount ?? 0;
          }
        }
        await client.query('COMMIT');
      }
      return rows;
    };
    if (setup) await replay(setup.transactions);
    await client.query(`SELECT setval(pg_get_serial_sequence('customers', 'id'), 10000000), setval(pg_get_serial_sequence('addresses', 'id'), 10000000)`);
    const t = performance.now();
    const rows = await replay(stats.transactions);
    const ms = performance.now() - t;
    client.release();
    return { ms, rows };
  } finally {
    await db.drop();
  }
}

function floorLines(run: EngineRun, floor: { ms: number; rows: number }, streams: number): string[] {
  const floorRate = (run.records / floor.ms) * 1000;
  const engineRate = (run.records / run.ms) * 1000;
  return [
    `raw floor:      the same ${floor.rows.toLocaleString('en-US')} rows written in ${(floor.ms / 1000).toFixed(2)} s = ${rate(floor.rows, floor.ms)} rows/s, ` +
      `i.e. ${rate(run.records, floor.ms)} records/s (the run's COPYs and set-based writes replayed alone on one connection; nothing read, locked or decided)`,
    `ratio:          engine/raw floor = ${(engineRate / floorRate).toFixed(2)} (engine on ${streams} connection${streams === 1 ? '' : 's'}, floor on one)`,
  ];
}

async function main(): Promise<void> {
  console.log(
    `bench:unifier — batches of ${BATCH}, ${STREAMS} partition${STREAMS === 1 ? '' : 's'} applied at once (each on its own connection), append by COPY unless said otherwise`,
  );
  const events = benchEvents({ count: RECORDS });
  let t = performance.now();
  const records = normalized(events);
  console.log(`normalize:      ${RECORDS.toLocaleString('en-US')} records in ${((performance.now() - t) / 1000).toFixed(2)} s = ${rate(RECORDS, performance.now() - t)} records/s (not part of the engine's figures)`);

  // Today's workload
  console.log(`\ntoday's workload: ${RECORDS.toLocaleString('en-US')} records, half new customers, half updates, a tenth conflicting`);
  const db = await benchDatabase();
  let run: EngineRun;
  try {
    run = await runEngine(db.pool, rules, records, { batch: BATCH, streams: STREAMS, topic: 'today', database: db.name });
    const { rows } = await db.pool.query<{ customers: number; logs: number; states: number }>(
      `SELECT (SELECT count(*) FROM customers)::int AS customers, (SELECT count(*) FROM customer_logs)::int AS logs, (SELECT count(*) FROM custsync.customer_state)::int AS states`,
    );
    console.log(`${summary('engine:', run)}; table check: ${rows[0]?.customers} customers, ${rows[0]?.logs} customer_logs, ${rows[0]?.states} state rows`);
    for (const line of breakdown(run)) console.log(line);
    console.log(cpuLine(run));
  } finally {
    await db.drop();
  }
  const oneDb = await benchDatabase();
  try {
    const one = await runEngine(oneDb.pool, rules, records, { batch: BATCH, streams: 1, topic: 'today', capture: true, database: oneDb.name });
    console.log(summary('engine, 1 conn:', one));
    for (const line of floorLines(one, await rawFloor(one.stats), 1)) console.log(line);
  } finally {
    await oneDb.drop();
  }
  const insertDb = await benchDatabase();
  try {
    const insert = await runEngine(insertDb.pool, rules, records, { batch: BATCH, streams: STREAMS, topic: 'today', append: 'insert', database: insertDb.name });
    console.log(`${summary('append: INSERT', insert)} — COPY: ${rate(run.records, run.ms)} records/s`);
  } finally {
    await insertDb.drop();
  }

  // The seed's pseudocode, one transaction per record, and the engine on exactly that sample
  const naiveDb = await benchDatabase();
  const sampleDb = await benchDatabase();
  try {
    const client = await naiveDb.pool.connect();
    t = performance.now();
    for (const record of records.slice(0, NAIVE_SAMPLE)) await applyNaively(client, record, rules);
    const naiveMs = performance.now() - t;
    client.release();
    const sample = await runEngine(sampleDb.pool, rules, records.slice(0, NAIVE_SAMPLE), { batch: BATCH, streams: 1, topic: 'sample', database: sampleDb.name });
    console.log(
      `naive:          ${NAIVE_SAMPLE.toLocaleString('en-US')} records in ${(naiveMs / 1000).toFixed(2)} s = ${rate(NAIVE_SAMPLE, naiveMs)} records/s ` +
        `(one transaction per record); the engine on the same records, one connection: ${rate(NAIVE_SAMPLE, sample.ms)} records/s = ${(naiveMs / sample.ms).toFixed(1)}x`,
    );
  } finally {
    await naiveDb.drop();
    await sampleDb.drop();
  }

  // The steady state
  console.log(
    `\nsteady-state mix: ${STEADY_EVENTS.toLocaleString('en-US')} events for ${STEADY_CUSTOMERS.toLocaleString('en-US')} customers already held, 80 % repeating what is held, 20 % with one changed field`,
  );
  const people = benchEvents({ count: STEADY_CUSTOMERS, updateShare: 0, seed: 7 });
  const setupRecords = normalized(people);
  const steadyRecords = normalized(steadyEvents(people, STEADY_EVENTS));
  const steadyDb = await benchDatabase();
  try {
    await runEngine(steadyDb.pool, rules, setupRecords, { batch: BATCH, streams: 1, topic: 'setup', database: steadyDb.name });
    const steady = await runEngine(steadyDb.pool, rules, steadyRecords, { batch: BATCH, streams: STREAMS, topic: 'steady', database: steadyDb.name });
    console.log(summary('engine:', steady));
    for (const line of breakdown(steady)) console.log(line);
    console.log(cpuLine(steady));
  } finally {
    await steadyDb.drop();
  }
  const steadyOneDb = await benchDatabase();
  try {
    const setup = await runEngine(steadyOneDb.pool, rules, setupRecords, { batch: BATCH, streams: 1, topic: 'setup', capture: true, database: steadyOneDb.name });
    const one = await runEngine(steadyOneDb.pool, rules, steadyRecords, { batch: BATCH, streams: 1, topic: 'steady', capture: true, database: steadyOneDb.name });
    console.log(summary('engine, 1 conn:', one));
    for (const line of floorLines(one, await rawFloor(one.stats, setup.stats), 1)) console.log(line);
    // The same events again, under new event ids: every one of them now repeats what is held.
    const held = new Map(steadyRecords.map((r) => [r.email, r]));
    const unchanged = steadyRecords.map((r, i) => ({ ...(held.get(r.email) as NormalizedRecord), eventId: `again-${i}`, eventTime: new Date(r.eventTime.getTime() + 365 * 86_400_000) }));
    const repeat = await runEngine(steadyOneDb.pool, rules, unchanged, { batch: BATCH, streams: STREAMS, topic: 'again', database: steadyOneDb.name });
    console.log(`${summary('unchanged only:', repeat)} — events that change nothing write their state row (last seen) and positions only`);
    const replay = await runEngine(steadyOneDb.pool, rules, steadyRecords, { batch: BATCH, streams: 1, topic: 'steady', database: steadyOneDb.name });
    console.log(`${summary('replay:', replay)} — a redelivered batch: positions only`);
  } finally {
    await steadyOneDb.drop();
  }
}

await main();
