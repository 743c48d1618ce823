import { readFileSync } from 'node:fs';
import pg from 'pg';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { migrate } from '../../src/runtime/migrate.js';
import { emptyDatabase } from '../helpers/db.js';

const SEED_TABLES = ['customers', 'addresses', 'customer_logs'];

interface Column {
  table_name: string;
  column_name: string;
  data_type: string;
  character_maximum_length: number | null;
  is_nullable: string;
  column_default: string | null;
}

async function describeSchema(url: string) {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const columns = await client.query<Column>(
      `SELECT table_name, column_name, data_type, character_maximum_length, is_nullable, column_default
         FROM information_schema.columns
        WHERE table_schema = 'public' AND table_name = ANY($1)
        ORDER BY table_name, ordinal_position`,
      [SEED_TABLES],
    );
    const indexes = await client.query<{ indexname: string; indexdef: string }>(
      `SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = 'public' AND tablename = ANY($1) ORDER BY indexname`,
      [SEED_TABLES],
    );
    const constraints = await client.query<{ conname: string; def: string }>(
      `SELECT conname, pg_get_constraintdef(oid) AS def FROM pg_constraint
        WHERE conrelid::regclass::text = ANY($1) ORDER BY conname`,
      [SEED_TABLES],
    );
    return { columns: columns.rows, indexes: indexes.rows, constraints: constraints.rows };
  } finally {
    await client.end();
  }
}

describe('migrations build the seed schema exactly', () => {
  let seed: Awaited<ReturnType<typeof describeSchema>>;
  let migrated: Awaited<ReturnType<typeof describeSchema>>;
  const dropAll: (() => Promise<void>)[] = [];

  beforeAll(async () => {
    const seedDb = await emptyDatabase();
    const migratedDb = await emptyDatabase();
    dropAll.push(seedDb.drop, migratedDb.drop);
    const client = new pg.Client({ connectionString: seedDb.url });
    await client.connect();
    await client.query(readFileSync(new URL('../fixtures/seed-ddl.sql', import.meta.url), 'utf8'));
    await client.end();
    await migrate(migratedDb.url, pino({ level: 'silent' }));
    seed = await describeSchema(seedDb.url);
    migrated = await describeSchema(migratedDb.url);
  });
  afterAll(async () => {
    for (const drop of dropAll) await drop();
  });

  it('has every seed column with the same type, length, nullability and default', () => {
    expect(seed.columns.length).toBe(31);
    for (const column of seed.columns) {
      const match = migrated.columns.find((c) => c.table_name === column.table_name && c.column_name === column.column_name);
      expect(match, `${column.table_name}.${column.column_name}`).toEqual(column);
    }
  });

  it('adds only nullable columns to seed tables', () => {
    const extra = migrated.columns.filter((c) => !seed.columns.some((s) => s.table_name === c.table_name && s.column_name === c.column_name));
    expect(extra.map((c) => `${c.table_name}.${c.column_name}`)).toEqual(['customer_logs.reason']);
    for (const column of extra) expect(column.is_nullable).toBe('YES');
  });

  it('has every seed index, including idx_customers_email_lower, defined identically', () => {
    expect(seed.indexes.map((i) => i.indexname)).toContain('idx_customers_email_lower');
    for (const index of seed.indexes) {
      expect(migrated.indexes.find((i) => i.indexname === index.indexname), index.indexname).toEqual(index);
    }
  });

  it('has the seed constraints (primary keys, unique email, foreign keys with ON DELETE CASCADE)', () => {
    for (const constraint of seed.constraints) {
      expect(migrated.constraints.find((c) => c.conname === constraint.conname), constraint.conname).toEqual(constraint);
    }
  });
});

describe('custsync migrate', () => {
  it('is idempotent and safe when several instances run it at once', async () => {
    const db = await emptyDatabase();
    try {
      const logger = pino({ level: 'silent' });
      const results = await Promise.all([migrate(db.url, logger), migrate(db.url, logger), migrate(db.url, logger)]);
      const applied = results.map((r) => r.applied.length).sort();
      expect(applied[0]).toBe(0);
      expect(applied[1]).toBe(0);
      expect(applied[2]).toBeGreaterThanOrEqual(3);
      expect((await migrate(db.url, logger)).applied).toEqual([]);
    } finally {
      await db.drop();
    }
  });
});
