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

    // The engine on exactly the naive sample, in a fresh database: the like-for-like ratio.
    const sampleDb = await benchDatabase();
    const sampleEngine = new BatchEngine(sampleDb.pool, rules, pino({ level: 'silent' }), { maxAttempts: 5 });
    t = performance.now();
    for (const batch of chunks(records.slice(0, NAIVE_SAMPLE), BATCH)) await sampleEngine.apply({ records: batch });
    const sampleMs = performance.now() - t;
    await sampleDb.drop();
    const sampleRate = (NAIVE_SAMPLE / sampleMs) * 1000;

    // Baseline 2: a raw unnest INSERT of the same rows the engine wrote (customers, addresses,
    // audit rows, provenance) into a fresh database, in the same batch size: the floor of any
    // set-based write path for this workload, without locking, reading or deciding anything.
    const rawDb = await benchDatabase();
    const written = {
      addresses: (await db.pool.query(`SELECT id, address, number, complement, neighborhood, city, state, zip_code, country, ip FROM addresses ORDER BY id`)).rows,
      customers: (await db.pool.query(`SELECT id, email, name, customer_id, address_id, phone_local_code, phone_number, document_type, document_number FROM customers ORDER BY id`)).rows,
      logs: (await db.pool.query(`SELECT customer_id, field_name, old_value, new_value, changed_by FROM customer_logs ORDER BY id`)).rows,
      provenance: (await db.pool.query(`SELECT customer_id, field, platform, priority, event_time, event_id FROM custsync.field_provenance`)).rows,
    };
    const column = (rows: Record<string, unknown>[], name: string) => rows.map((r) => r[name] ?? null);
    const rawInserts: [string, Record<string, unknown>[], string[]][] = [
      ['INSERT INTO addresses (id, address, number, complement, neighborhood, city, state, zip_code, country, ip) SELECT * FROM unnest($1::int[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[], $8::text[], $9::text[], $10::text[])',
        written.addresses, ['id', 'address', 'number', 'complement', 'neighborhood', 'city', 'state', 'zip_code', 'country', 'ip']],
      ['INSERT INTO customers (id, email, name, customer_id, address_id, phone_local_code, phone_number, document_type, document_number) SELECT * FROM unnest($1::int[], $2::text[], $3::text[], $4::text[], $5::int[], $6::text[], $7::text[], $8::text[], $9::text[])',
        written.customers, ['id', 'email', 'name', 'customer_id', 'address_id', 'phone_local_code', 'phone_number', 'document_type', 'document_number']],
      ['INSERT INTO customer_logs (customer_id, field_name, old_value, new_value, changed_by) SELECT * FROM unnest($1::int[], $2::text[], $3::text[], $4::text[], $5::text[])',
        written.logs, ['customer_id', 'field_name', 'old_value', 'new_value', 'changed_by']],
      ['INSERT INTO custsync.field_provenance (customer_id, field, platform, priority, event_time, event_id) SELECT * FROM unnest($1::int[], $2::text[], $3::text[], $4::int[], $5::timestamptz[], $6::text[])',
        written.provenance, ['customer_id', 'field', 'platform', 'priority', 'event_time', 'event_id']],
    ];
    const rawRows = rawInserts.reduce((n, [, rows]) => n + rows.length, 0);
    const perBatch = Math.ceil(rawRows / Math.ceil(RECORDS / BATCH));
    const rawClient = await rawDb.pool.connect();
    await rawClient.query(`SET custsync.writer = 'bench'`);
    t = performance.now();
    for (const [sql, rows, names] of rawInserts) {
      for (const chunk of chunks(rows, perBatch)) await rawClient.query(sql, names.map((n) => column(chunk, n)));
    }
    const rawMs = performance.now() - t;
    rawClient.release();
    await rawDb.drop();
    const rawRate = (RECORDS / rawMs) * 1000;

    const { rows } = await db.pool.query<{ customers: number; logs: number }>(
      `SELECT (SELECT count(*) FROM customers)::int AS customers, (SELECT count(*) FROM customer_logs)::int AS logs`,
    );
    console.log(`normalize:      ${RECORDS.toLocaleString('en-US')} records in ${(normalizeMs / 1000).toFixed(2)} s = ${rate(RECORDS, normalizeMs)} records/s`);
    console.log(
      `engine:         ${RECORDS.toLocaleString('en-US')} records in ${(engineMs / 1000).toFixed(2)} s = ${rate(RECORDS, engineMs)} records/s ` +
        `(${created.toLocaleString('en-US')} customers created, ${auditRows.toLocaleString('en-US')} audit rows written; table check: ${rows[0]?.customers} customers, ${rows[0]?.logs} customer_logs)`,
    );
    console.log(`naive:          ${NAIVE_SAMPLE.toLocaleString('en-US')} records in ${(naiveMs / 1000).toFixed(2)} s = ${rate(NAIVE_SAMPLE, naiveMs)} records/s (one transaction per record, the first ${NAIVE_SAMPLE.toLocaleString('en-US')} records)`);
    console.log(`engine, same:   ${NAIVE_SAMPLE.toLocaleString('en-US')} records in ${(sampleMs / 1000).toFixed(2)} s = ${rate(NAIVE_SAMPLE, sampleMs)} records/s (the engine on exactly the naive sample)`);
    console.log(
      `raw unnest:     the same ${rawRows.toLocaleString('en-US')} rows (customers, addresses, audit, provenance) in ${(rawMs / 1000).toFixed(2)} s = ` +
        `${rate(rawRows, rawMs)} rows/s, i.e. ${rate(RECORDS, rawMs)} records/s (INSERT ... SELECT unnest, nothing read or decided)`,
    );
    console.log(
      `ratios:         engine/naive = ${(sampleRate / naiveRate).toFixed(1)}x on the same ${NAIVE_SAMPLE.toLocaleString('en-US')} records ` +
        `(${(engineRate / naiveRate).toFixed(1)}x taking the whole run's rate), engine/raw unnest = ${(engineRate / rawRate).toFixed(2)}`,
    );
    console.log(
      `targets:        >= 25,000 records/s: ${engineRate >= 25_000 ? 'met' : 'NOT met'} (writing the same rows raw allows ${rate(RECORDS, rawMs)} records/s on this machine); ` +
        `>= 20x naive: ${sampleRate / naiveRate >= 20 ? 'met' : 'NOT met'}`,
    );
  } finally {
    await db.drop();
    await naiveDb.drop();
  }
}

await main();
