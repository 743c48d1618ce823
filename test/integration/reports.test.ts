import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_REPORT_OPTIONS, findReport, type ReportOptions } from '../../src/reports/catalog.js';
import type { Row } from '../../src/reports/format.js';
import { runReport } from '../../src/reports/run.js';
import { runCli } from '../helpers/cli.js';
import { testConfig, writeConfig } from '../helpers/daemon.js';
import { freshDatabase, type TestDatabase } from '../helpers/db.js';
import { testEngine } from '../helpers/engine.js';
import { record } from '../helpers/records.js';

const PSEUDONYM = 'deleted_0cc175b9c0f1b6a831c399e269772661@anonymous.com';

/** The upsert the unifier runs for dead letters (see docs/reports.md). */
const COUNT_DEAD_LETTERS = `
INSERT INTO custsync.dead_letter_counts AS d (platform, reason, count)
SELECT * FROM unnest($1::text[], $2::text[], $3::bigint[])
ON CONFLICT (platform, reason) DO UPDATE
   SET count = d.count + EXCLUDED.count, last_at = CURRENT_TIMESTAMP`;

/**
 * Five customers through the engine (7 audit rows: each creation is one row,
 * its email; then stripe renames Ana and hotmart renames Bruno: hotmart 3,
 * kiwify 2, stripe 2), one hand edit in SQL, one value nobody claimed, one
 * pseudonymized customer, dropped values (Bruno's invalid CPF, Eli's phone,
 * Carla's IP) and dead letters; then fixed audit times and activity.
 */
async function seed(db: TestDatabase): Promise<void> {
  const engine = testEngine(db.pool);
  await engine.apply({
    records: [
      record({
        platform: 'hotmart',
        email: 'ana@example.com',
        offset: 0,
        customer: { name: 'Ana Souza', phone_number: '+5511999990000', document_number: '529.982.247-25' },
        address: { city: 'São Paulo', state: 'SP', zip_code: '01310-100', country: 'BR' },
      }),
      record({ platform: 'kiwify', email: 'bruno@example.com', offset: 1, customer: { name: 'Bruno Lima' }, address: { city: 'Recife', state: 'PE', country: 'BR' } }),
      record({
        platform: 'stripe',
        email: 'carla@example.com',
        offset: 2,
        customer: { name: 'Carla Dias' },
        address: { city: 'San Francisco', state: 'CA', country: 'US', ip: 'not-an-ip' },
      }),
      record({ platform: 'stripe', email: 'ana@example.com', offset: 3, customer: { name: 'Ana S. Souza' } }),
      record({ platform: 'hotmart', email: 'bruno@example.com', offset: 4, customer: { name: 'Bruno L.', document_number: '123.456.789-00' } }),
      record({ platform: 'kiwify', email: 'dora@example.com', offset: 5, address: { city: 'Recife', state: 'PE', country: 'BR', zip_code: '50000-000' } }),
      record({ platform: 'hotmart', email: 'eli@example.com', offset: 6, customer: { phone_number: 'bad' } }),
    ],
  });
  // a hand edit: audited as the database user, provenance sql:postgres
  await db.pool.query(`UPDATE customers SET customer_id = 'crm-9' WHERE email = 'carla@example.com'`);
  const client = await db.pool.connect();
  try {
    // writes nobody audits or claims: a value from before custsync, a pseudonymized customer
    await client.query(`BEGIN; SELECT set_config('custsync.writer', 'test', true)`);
    await client.query(`UPDATE customers SET name = 'Dora Old' WHERE email = 'dora@example.com'`);
    await client.query(
      `WITH a AS (INSERT INTO addresses (country, state, city) VALUES ('BR', 'SP', 'São Paulo') RETURNING id)
       INSERT INTO customers (email, name, address_id) SELECT $1, 'Anonymized Customer', id FROM a`,
      [PSEUDONYM],
    );
    await client.query('COMMIT');
  } finally {
    client.release();
  }
  await db.pool.query(`
    UPDATE customer_logs SET created_at = CASE changed_by
      WHEN 'hotmart' THEN timestamptz '2024-03-01 12:00:00+00'
      WHEN 'kiwify' THEN timestamptz '2024-03-02 01:00:00+00'
      WHEN 'stripe' THEN timestamptz '2024-03-02 23:30:00+00'
      ELSE timestamptz '2024-03-03 00:30:00+00' END`);
  await db.pool.query(`
    UPDATE customers SET updated_at = now() - make_interval(days => CASE email
      WHEN 'ana@example.com' THEN 10 WHEN 'bruno@example.com' THEN 200 WHEN 'carla@example.com' THEN 400
      WHEN 'eli@example.com' THEN 181 WHEN '${PSEUDONYM}' THEN 1000 ELSE 0 END)`);
  // every event was sent long ago, but one about Eli 20 days ago: a sign of life without a change
  await db.pool.query(`UPDATE custsync.customer_state SET last_seen_at = now() - interval '1500 days'`);
  await db.pool.query(`UPDATE custsync.customer_state s SET last_seen_at = now() - interval '20 days' FROM customers c WHERE c.id = s.customer_id AND c.email = 'eli@example.com'`);
  await db.pool.query(COUNT_DEAD_LETTERS, [['hotmart', 'hotmart', 'kiwify'], ['invalid_json', 'email_missing', 'email_missing'], [3, 2, 1]]);
  await db.pool.query(COUNT_DEAD_LETTERS, [['hotmart'], ['invalid_json'], [2]]);
}

describe('reports on seeded data', () => {
  let db: TestDatabase;
  let configFile: string;

  const report = async (name: string, options: Partial<ReportOptions> = {}, reveal = false): Promise<readonly Row[]> => {
    const definition = findReport(name);
    if (!definition) throw new Error(`no report ${name}`);
    return (await runReport(db.pool, definition, { ...DEFAULT_REPORT_OPTIONS, ...options }, reveal)).rows;
  };

  beforeAll(async () => {
    db = await freshDatabase();
    await seed(db);
    configFile = writeConfig(testConfig({ databaseUrl: db.url, groupId: 'unused', platforms: [], deadLetterTopic: 'dlq', changeTopic: 'changes' }));
  });
  afterAll(async () => {
    await db.drop();
  });

  it('changes-by-field counts audit rows per field, most changed first: real changes, a creation counts once', async () => {
    expect(await report('changes-by-field')).toEqual([
      { field_name: 'email', change_count: 5 },
      { field_name: 'name', change_count: 2 },
      { field_name: 'customer_id', change_count: 1 },
    ]);
  });

  it('changes-by-origin counts audit rows per changed_by', async () => {
    expect(await report('changes-by-origin')).toEqual([
      { changed_by: 'hotmart', change_count: 3 },
      { changed_by: 'kiwify', change_count: 2 },
      { changed_by: 'stripe', change_count: 2 },
      { changed_by: 'postgres', change_count: 1 },
    ]);
  });

  it('changes-by-day counts per calendar day of the requested time zone', async () => {
    expect(await report('changes-by-day')).toEqual([
      { change_date: '2024-03-03', daily_changes: 1 },
      { change_date: '2024-03-02', daily_changes: 4 },
      { change_date: '2024-03-01', daily_changes: 3 },
    ]);
    expect(await report('changes-by-day', { timeZone: 'America/Sao_Paulo' })).toEqual([
      { change_date: '2024-03-02', daily_changes: 3 },
      { change_date: '2024-03-01', daily_changes: 5 },
    ]);
  });

  it('completeness gives, per column, the share of the 5 live customers with a value', async () => {
    const rows = await report('completeness');
    expect(rows.map((r) => [r.field, r.filled, r.customers, r.percentage])).toEqual([
      ['email', 5, 5, 100],
      ['name', 4, 5, 80],
      ['customer_id', 1, 5, 20],
      ['phone_local_code', 1, 5, 20],
      ['phone_number', 1, 5, 20],
      ['document_type', 1, 5, 20],
      ['document_number', 1, 5, 20],
      ['address', 0, 5, 0],
      ['number', 0, 5, 0],
      ['complement', 0, 5, 0],
      ['neighborhood', 0, 5, 0],
      ['city', 4, 5, 80],
      ['state', 4, 5, 80],
      ['zip_code', 2, 5, 40],
      ['country', 4, 5, 80],
      ['ip', 0, 5, 0],
    ]);
  });

  it('value-sources gives who set the current values, hand edits as sql:<user>, unclaimed as NULL', async () => {
    expect((await report('value-sources')).map((r) => [r.field, r.platform, r.value_count, r.percentage])).toEqual([
      ['name', 'stripe', 2, 50],
      ['name', 'hotmart', 1, 25],
      ['name', null, 1, 25],
      ['customer_id', 'sql:postgres', 1, 100],
      ['phone_local_code', 'hotmart', 1, 100],
      ['phone_number', 'hotmart', 1, 100],
      ['document_type', 'hotmart', 1, 100],
      ['document_number', 'hotmart', 1, 100],
      ['city', 'kiwify', 2, 50],
      ['city', 'hotmart', 1, 25],
      ['city', 'stripe', 1, 25],
      ['state', 'kiwify', 2, 50],
      ['state', 'hotmart', 1, 25],
      ['state', 'stripe', 1, 25],
      ['zip_code', 'hotmart', 1, 50],
      ['zip_code', 'kiwify', 1, 50],
      ['country', 'kiwify', 2, 50],
      ['country', 'hotmart', 1, 25],
      ['country', 'stripe', 1, 25],
    ]);
  });

  it('dropped-values lists invalid values dropped, by reason', async () => {
    const rows = await report('dropped-values');
    expect(rows.map(({ last_at, ...rest }) => (expect(last_at).toBeInstanceOf(Date), rest))).toEqual([
      { reason: 'document_invalid', field: 'document_number', platform: 'hotmart', count: 1 },
      { reason: 'ip_invalid', field: 'ip', platform: 'stripe', count: 1 },
      { reason: 'phone_invalid', field: 'phone_number', platform: 'hotmart', count: 1 },
    ]);
  });

  it('dead-letters lists the counted dead letters, by reason', async () => {
    const rows = await report('dead-letters');
    expect(rows.map(({ last_at, ...rest }) => (expect(last_at).toBeInstanceOf(Date), rest))).toEqual([
      { reason: 'email_missing', platform: 'hotmart', count: 2 },
      { reason: 'email_missing', platform: 'kiwify', count: 1 },
      { reason: 'invalid_json', platform: 'hotmart', count: 5 },
    ]);
  });

  it('inactive lists live customers with no change and no event for more than --days, longest idle first, emails masked', async () => {
    const rows = await report('inactive');
    // Eli changed 181 days ago but a source sent an event about him 20 days ago: active
    expect(rows.map((r) => [r.email, r.days_inactive])).toEqual([
      ['c****@e******.com', 400],
      ['b****@e******.com', 200],
    ]);
    expect(rows[0]?.updated_at).toBeInstanceOf(Date);
    expect(rows[0]?.last_seen_at).toBeInstanceOf(Date);
    expect((await report('inactive', { days: 300 }, true)).map((r) => r.email)).toEqual(['carla@example.com']);
    expect((await report('inactive', { limit: 2 }, true)).map((r) => r.email)).toEqual(['carla@example.com', 'bruno@example.com']);
  });

  it('geo-by-country, -state and -city count every customer by main address', async () => {
    expect(await report('geo-by-country')).toEqual([
      { country: 'BR', customer_count: 4, percentage: 66.67 },
      { country: 'US', customer_count: 1, percentage: 16.67 },
      { country: null, customer_count: 1, percentage: 16.67 },
    ]);
    expect(await report('geo-by-state')).toEqual([
      { country: 'BR', state: 'PE', customer_count: 2, percentage: 33.33 },
      { country: 'BR', state: 'SP', customer_count: 2, percentage: 33.33 },
      { country: 'US', state: 'CA', customer_count: 1, percentage: 16.67 },
      { country: null, state: null, customer_count: 1, percentage: 16.67 },
    ]);
    expect(await report('geo-by-city')).toEqual([
      { country: 'BR', state: 'PE', city: 'Recife', customer_count: 2, percentage: 33.33 },
      { country: 'BR', state: 'SP', city: 'São Paulo', customer_count: 2, percentage: 33.33 },
      { country: 'US', state: 'CA', city: 'San Francisco', customer_count: 1, percentage: 16.67 },
      { country: null, state: null, city: null, customer_count: 1, percentage: 16.67 },
    ]);
  });

  describe('custsync report (built CLI)', () => {
    it('prints one report as a table, JSON and CSV', async () => {
      const table = await runCli(['report', 'changes-by-origin', '--config', configFile]);
      expect(table).toMatchObject({ code: 0, stderr: '' });
      expect(table.stdout).toBe(
        ['changed_by | change_count', '-----------+-------------', 'hotmart    |            3', 'kiwify     |            2', 'stripe     |            2', 'postgres   |            1', '(4 rows)', ''].join('\n'),
      );
      const json = await runCli(['report', 'changes-by-origin', '--format', 'json', '--config', configFile]);
      expect(json.code).toBe(0);
      expect(JSON.parse(json.stdout)).toEqual([
        { changed_by: 'hotmart', change_count: 3 },
        { changed_by: 'kiwify', change_count: 2 },
        { changed_by: 'stripe', change_count: 2 },
        { changed_by: 'postgres', change_count: 1 },
      ]);
      const csv = await runCli(['report', 'changes-by-origin', '--format', 'csv', '--config', configFile]);
      expect(csv.code).toBe(0);
      expect(csv.stdout).toBe('changed_by,change_count\r\nhotmart,3\r\nkiwify,2\r\nstripe,2\r\npostgres,1\r\n');
    });

    it('takes the report options on the command line', async () => {
      const result = await runCli(['report', 'inactive', '--days', '300', '--reveal', '--format', 'csv', '--config', configFile]);
      expect(result.code).toBe(0);
      expect(result.stdout).toMatch(/^id,email,updated_at,last_seen_at,days_inactive\r\n\d+,carla@example\.com,[^,]+,[^,]+,400\r\n$/);
      const zone = await runCli(['report', 'changes-by-day', '--time-zone', 'America/Sao_Paulo', '--format', 'json', '--config', configFile]);
      expect(JSON.parse(zone.stdout)).toEqual([
        { change_date: '2024-03-02', daily_changes: 3 },
        { change_date: '2024-03-01', daily_changes: 5 },
      ]);
    });

    it('lists the reports with --list', async () => {
      const result = await runCli(['report', '--list']);
      expect(result.code).toBe(0);
      expect(result.stdout.trimEnd().split('\n')).toHaveLength(11);
      expect(result.stdout).toMatch(/^completeness\s+data health/m);
    });

    it('exits 2 naming the valid reports for an unknown name, and for options or values that do not apply', async () => {
      const unknown = await runCli(['report', 'nope', '--config', configFile]);
      expect(unknown.code).toBe(2);
      expect(unknown.stderr).toContain('unknown report "nope"; valid names: changes-by-field, changes-by-origin, changes-by-day');
      const missing = await runCli(['report', '--config', configFile]);
      expect(missing.code).toBe(2);
      expect(missing.stderr).toContain('valid names: changes-by-field');
      const foreign = await runCli(['report', 'changes-by-field', '--days', '7', '--config', configFile]);
      expect(foreign.code).toBe(2);
      expect(foreign.stderr).toContain('--days does not apply to report "changes-by-field"');
      const format = await runCli(['report', 'changes-by-field', '--format', 'xml', '--config', configFile]);
      expect(format.code).toBe(2);
      const days = await runCli(['report', 'inactive', '--days', '0', '--config', configFile]);
      expect(days.code).toBe(2);
      const zone = await runCli(['report', 'changes-by-day', '--time-zone', 'Mars/Olympus', '--config', configFile]);
      expect(zone.code).toBe(2);
      expect(zone.stderr).toContain('--time-zone');
    });
  });
});
