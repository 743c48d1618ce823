import pg from 'pg';
import { pino } from 'pino';
import { BatchEngine } from '../src/unifier/engine/BatchEngine.js';
import { DEFAULT_NORMALIZE_OPTIONS, normalizeRecord, type NormalizedRecord } from '../src/unifier/normalize/index.js';
import { priorityRules } from '../src/unifier/priorities.js';
import { SourceRecord } from '../src/contract.js';

/**
 * The publisher benchmark's writes: `create` (before the slots exist) and
 * `change` (the measured WAL), either through the BatchEngine or as set-based
 * statements shaped like the engine's (same rows, same transaction sizes).
 */
export interface Workload {
  create(): Promise<void>;
  change(): Promise<void>;
}

const rules = priorityRules([{ name: 'hotmart', priority: 50 }, { name: 'stripe', priority: 60 }], 1_000);

function records(count: number, platform: 'hotmart' | 'stripe', fields: 1 | 3): NormalizedRecord[] {
  return Array.from({ length: count }, (_, i) => {
    const first = platform === 'hotmart';
    const result = normalizeRecord(
      SourceRecord.parse({
        platform,
        position: { kind: 'kafka', topic: `bench-${platform}`, partition: 0, offset: String(i) },
        eventId: `${platform}-${i}`,
        eventTime: new Date(Date.UTC(2024, 0, first ? 1 : 2) + i * 1000),
        email: `person${i}@example.com`,
        customer: first || fields === 3 ? { name: `Person ${i} ${first ? 'Silva' : 'Souza'}`, phone_number: `+55 ${first ? 11 : 21} 9${String(1e8 + i).slice(-8)}` } : { name: `Person ${i} Souza` },
        address: first ? { address: 'Rua Augusta', number: String(i % 2000), city: 'São Paulo', state: 'SP', zip_code: '01305-000', country: 'BR' } : {},
      }),
      DEFAULT_NORMALIZE_OPTIONS,
    );
    if (!result.ok) throw new Error(`bench record rejected: ${result.reason}`);
    return result.record;
  });
}

export function engineWorkload(pool: pg.Pool, count: number, batch: number, fields: 1 | 3 = 1): Workload {
  const engine = new BatchEngine(pool, rules, pino({ level: 'silent' }), { maxAttempts: 5 });
  const apply = async (all: NormalizedRecord[]) => {
    for (let i = 0; i < all.length; i += batch) await engine.apply({ records: all.slice(i, i + batch) });
  };
  return { create: () => apply(records(count, 'hotmart', fields)), change: () => apply(records(count, 'stripe', fields)) };
}

/** A provenance source of customer `i`, as the engine writes it (src/unifier/provenanceJson.ts). */
function source(platform: string, priority: number): string {
  return `json_build_object('platform', '${platform}', 'priority', ${priority},
            'event_time', to_char(now() AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"'), 'event_id', '${platform}-' || i)`;
}

const SET_FIELDS = `'name', 'phone_local_code', 'phone_number', 'address', 'number', 'city', 'state', 'zip_code', 'country'`;

const CREATE = [
  `INSERT INTO addresses (id, address, number, city, state, zip_code, country)
   SELECT i, 'Rua Augusta', (i % 2000)::text, 'São Paulo', 'SP', '01305-000', 'BR' FROM generate_series($1::int, $2::int) i`,
  `INSERT INTO customers (id, email, name, address_id, phone_local_code, phone_number)
   SELECT i, 'person' || i || '@example.com', 'Person ' || i || ' Silva', i, '11', '9' || lpad(i::text, 8, '0') FROM generate_series($1::int, $2::int) i`,
  `INSERT INTO custsync.customer_state (customer_id, provenance, last_seen_at, last_seen_platform)
   SELECT i, json_build_object('sources', json_build_array(${source('hotmart', 50)}),
                               'fields', (SELECT json_object_agg(f, 0) FROM unnest(ARRAY[${SET_FIELDS}]) f)),
          now(), 'hotmart'
     FROM generate_series($1::int, $2::int) i`,
];

/** Per customer: a new name from a higher-priority platform, and optionally a new phone (`fields` 3). */
function changeStatements(fields: 1 | 3): string[] {
  const values = [`('name', 'Person ' || i || ' Silva', 'Person ' || i || ' Souza')`];
  if (fields === 3) values.push(`('phone_local_code', '11', '21')`, `('phone_number', '9' || lpad(i::text, 8, '0'), '8' || lpad(i::text, 8, '0'))`);
  const phone = fields === 3 ? `, phone_local_code = '21', phone_number = '8' || lpad(id::text, 8, '0')` : '';
  const changed = fields === 3 ? `'name', 'phone_local_code', 'phone_number'` : `'name'`;
  return [
    `UPDATE customers SET name = 'Person ' || id || ' Souza'${phone}, updated_at = CURRENT_TIMESTAMP WHERE id BETWEEN $1 AND $2`,
    `INSERT INTO customer_logs (customer_id, field_name, old_value, new_value, changed_by)
     SELECT i, v.field, v.old, v.new, 'stripe'
       FROM generate_series($1::int, $2::int) i, LATERAL (VALUES ${values.join(', ')}) AS v(field, old, new)`,
    `UPDATE custsync.customer_state s
        SET provenance = json_build_object('sources', json_build_array(${source('hotmart', 50)}, ${source('stripe', 60)}),
                                           'fields', (SELECT json_object_agg(f, CASE WHEN f = ANY(ARRAY[${changed}]) THEN 1 ELSE 0 END)
                                                        FROM unnest(ARRAY[${SET_FIELDS}]) f)),
            last_seen_at = now(), last_seen_platform = 'stripe', updated_at = CURRENT_TIMESTAMP
       FROM generate_series($1::int, $2::int) i
      WHERE s.customer_id = i`,
  ];
}

export function sqlWorkload(pool: pg.Pool, count: number, batch: number, fields: 1 | 3 = 1): Workload {
  const run = async (statements: string[]) => {
    const client = await pool.connect();
    try {
      for (let first = 1; first <= count; first += batch) {
        const last = Math.min(first + batch - 1, count);
        await client.query(`BEGIN; SELECT set_config('custsync.writer', 'engine', true)`);
        for (const sql of statements) await client.query(sql, [first, last]);
        await client.query('COMMIT');
      }
    } finally {
      client.release();
    }
  };
  return {
    create: async () => {
      await run(CREATE);
      await pool.query(`SELECT setval(pg_get_serial_sequence('customers', 'id'), $1), setval(pg_get_serial_sequence('addresses', 'id'), $1)`, [count]);
    },
    change: () => run(changeStatements(fields)),
  };
}
