/**
 * `npm run bench:unifier` — the batch engine against the real Postgres,
 * beside two baselines measured in the same run on the same data: the seed's
 * pseudocode applied one transaction per record, and a raw unnest INSERT of
 * the same rows (the floor of any set-based write). Prints figures; never
 * fails because the machine is slow.
 */
import { pino } from 'pino';
import { BatchEngine } from '../src/unifier/engine/BatchEngine.js';
import { DEFAULT_NORMALIZE_OPTIONS, normalizeRecord, type NormalizedRecord } from '../src/unifier/normalize/index.js';
import { priorityRules } from '../src/unifier/priorities.js';
import { SourceRecord } from '../src/unifier/SourceRecord.js';
import { benchEvents } from './data.js';
import { benchDatabase, rate } from './db.js';
import { applyNaively } from './naive.js';

const RECORDS = Number(process.env.BENCH_RECORDS ?? 200_000);
const BATCH = Number(process.env.BENCH_BATCH ?? 2_000);
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

function chunks<T>(items: T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

async function main(): Promise<void> {
  console.log(`bench:unifier — ${RECORDS.toLocaleString('en-US')} records (half new customers, half updates, a tenth conflicting), batches of ${BATCH}`);
  const events = benchEvents({ count: RECORDS });

  let t = performance.now();
  const records: NormalizedRecord[] = events.map((e, i) => {
    const result = normalizeRecord(
      SourceRecord.parse({ ...e, position: { kind: 'kafka', topic: 'bench', partition: 0, offset: String(i) } }),
      DEFAULT_NORMALIZE_OPTIONS,
    );
    if (!result.ok) throw new Error(`bench record rejected: ${result.reason}`);
    return result.record;
  });
  const normalizeMs = performance.now() - t;

  const db = await benchDatabase();
  const naiveDb = await benchDatabase();
  try {
    const engine = new BatchEngine(db.pool, rules, pino({ level: 'silent' }), { maxAttempts: 5 });
    t = performance.now();
    let auditRows = 0;
    let created = 0;
    for (const batch of chunks(records, BATCH)) {
      const result = await engine.apply({ records: batch });
      auditRows += result.auditRows;
      created += result.createdCustomers;
    }
    const engineMs = performance.now() - t;
    const engineRate = (RECORDS / engineMs) * 1000;

    // Baseline 1: one transaction per record, on the first NAIVE_SAMPLE records.
    const client = await naiveDb.pool.connect();
    t = performance.now();
    for (const record of records.slice(0, NAIVE_SAMPLE)) await applyNaively(client, record, rules);
    const naiveMs = performance.now() - t;
    client.release();
    const naiveRate = (NAIVE_SAMPLE / naiveMs) * 1000;

    // Baseline 2: raw unnest INSERT of the same rows into a table shaped like customers.
    await db.pool.query(`CREATE TABLE bench_raw (LIKE customers INCLUDING DEFAULTS)`);
    await db.pool.query(`ALTER TABLE bench_raw ALTER COLUMN id SET DEFAULT nextval('customers_id_seq')`);
    t = performance.now();
    for (const batch of chunks(records, BATCH)) {
      await db.pool.query(
        `INSERT INTO bench_raw (email, name, customer_id, phone_local_code, phone_number, document_type, document_number)
         SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[])`,
        [
          batch.map((r) => r.email),
          ...(['name', 'customer_id', 'phone_local_code', 'phone_number', 'document_type', 'document_number'] as const).map((f) => batch.map((r) => r.values[f] ?? null)),
        ],
      );
    }
    const rawMs = performance.now() - t;
    const rawRate = (RECORDS / rawMs) * 1000;

    const { rows } = await db.pool.query<{ customers: number; logs: number }>(
      `SELECT (SELECT count(*) FROM customers)::int AS customers, (SELECT count(*) FROM customer_logs)::int AS logs`,
    );
    console.log(`normalize:      ${RECORDS.toLocaleString('en-US')} records in ${(normalizeMs / 1000).toFixed(2)} s = ${rate(RECORDS, normalizeMs)} records/s`);
    console.log(
      `engine:         ${RECORDS.toLocaleString('en-US')} records in ${(engineMs / 1000).toFixed(2)} s = ${rate(RECORDS, engineMs)} records/s ` +
        `(${created.toLocaleString('en-US')} customers created, ${auditRows.toLocaleString('en-US')} audit rows written; table check: ${rows[0]?.customers} customers, ${rows[0]?.logs} customer_logs)`,
    );
    console.log(`naive:          ${NAIVE_SAMPLE.toLocaleString('en-US')} records in ${(naiveMs / 1000).toFixed(2)} s = ${rate(NAIVE_SAMPLE, naiveMs)} records/s (one transaction per record, first ${NAIVE_SAMPLE} records)`);
    console.log(`raw unnest:     ${RECORDS.toLocaleString('en-US')} rows in ${(rawMs / 1000).toFixed(2)} s = ${rate(RECORDS, rawMs)} rows/s (INSERT ... SELECT unnest, customers columns only)`);
    console.log(`ratios:         engine/naive = ${(engineRate / naiveRate).toFixed(1)}x, engine/raw unnest = ${(engineRate / rawRate).toFixed(2)}`);
    console.log(`targets:        >= 25,000 records/s: ${engineRate >= 25_000 ? 'met' : 'NOT met'}; >= 20x naive: ${engineRate / naiveRate >= 20 ? 'met' : 'NOT met'}`);
  } finally {
    await db.drop();
    await naiveDb.drop();
  }
}

await main();
