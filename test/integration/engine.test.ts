import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { freshDatabase, type TestDatabase } from '../helpers/db.js';
import { testEngine } from '../helpers/engine.js';
import { record } from '../helpers/records.js';
import { readState, truncateAll } from '../helpers/state.js';
import type { BatchEngine } from '../../src/unifier/engine/BatchEngine.js';
import { emailHash } from '../../src/unifier/emailHash.js';

describe('batch engine on real Postgres', () => {
  let db: TestDatabase;
  let engine: BatchEngine;
  beforeAll(async () => {
    db = await freshDatabase();
    engine = testEngine(db.pool);
  });
  afterAll(async () => {
    await db.drop();
  });
  beforeEach(async () => {
    await truncateAll(db.pool);
  });

  const ana = () =>
    record({
      email: '  Ana.Souza@Example.com ',
      offset: 0,
      eventId: 'evt-ana-1',
      time: 60,
      customer: { name: 'Ana  Souza', phone_number: '+55 11 99999-0000', document_number: '529.982.247-25' },
      address: { city: 'Uberlândia', zip_code: '38400123', country: 'Brasil' },
    });

  it('creates a customer with one audit row, the email, as the seed has it; provenance says who set each value', async () => {
    const result = await engine.apply({ records: [ana()] });
    expect(result).toMatchObject({ applied: 1, replayed: 0, createdCustomers: 1, changedCustomers: 1 });
    const state = await readState(db.pool);
    expect(state.customers).toEqual([
      {
        email: 'ana.souza@example.com',
        values: expect.objectContaining({
          name: 'Ana Souza',
          phone_local_code: '11',
          phone_number: '999990000',
          document_type: 'CPF',
          document_number: '52998224725',
          city: 'Uberlândia',
          zip_code: '38400-123',
          country: 'BR',
        }),
      },
    ]);
    expect(state.audit.map((a) => [a.field, a.old, a.new, a.changedBy])).toEqual([['email', null, 'ana.souza@example.com', 'hotmart']]);
    expect(result.auditRows).toBe(1);
    const { rows } = await db.pool.query(`SELECT field, platform, priority, event_time, event_id FROM custsync.field_provenance ORDER BY field`);
    expect(rows.map((r) => r.field)).toEqual(['city', 'country', 'document_number', 'document_type', 'name', 'phone_local_code', 'phone_number', 'zip_code']);
    expect(rows.every((r) => r.platform === 'hotmart' && r.priority === 50 && r.event_id === 'evt-ana-1')).toBe(true);
    expect(rows[0]?.event_time).toEqual(new Date(Date.UTC(2024, 0, 1) + 60_000));
    const { rows: stateRows } = await db.pool.query(`SELECT last_seen_at, last_seen_platform, json_array_length(provenance -> 'sources') AS sources FROM custsync.customer_state`);
    expect(stateRows).toEqual([{ last_seen_at: new Date(Date.UTC(2024, 0, 1) + 60_000), last_seen_platform: 'hotmart', sources: 1 }]);
  });

  it('audits every initial value with old_value NULL when audit.logInitialValues is on', async () => {
    const verbose = testEngine(db.pool, undefined, undefined, { logInitialValues: true });
    const result = await verbose.apply({ records: [ana()] });
    expect((await readState(db.pool)).audit.map((a) => [a.field, a.old, a.new, a.changedBy])).toEqual([
      ['email', null, 'ana.souza@example.com', 'hotmart'],
      ['name', null, 'Ana Souza', 'hotmart'],
      ['phone_local_code', null, '11', 'hotmart'],
      ['phone_number', null, '999990000', 'hotmart'],
      ['document_type', null, 'CPF', 'hotmart'],
      ['document_number', null, '52998224725', 'hotmart'],
      ['city', null, 'Uberlândia', 'hotmart'],
      ['zip_code', null, '38400-123', 'hotmart'],
      ['country', null, 'BR', 'hotmart'],
    ]);
    expect(result.auditRows).toBe(9);
  });

  it('moves last seen on every applied event, also one that changes nothing, and writes no audit row for it', async () => {
    await engine.apply({ records: [ana()] });
    const before = await db.pool.query(`SELECT c.updated_at, s.updated_at AS state_updated_at FROM customers c JOIN custsync.customer_state s ON s.customer_id = c.id`);
    const repeat = record({ platform: 'kiwify', email: 'ana.souza@example.com', offset: 1, time: 3_600, customer: { name: 'Ana Souza' } });
    const result = await engine.apply({ records: [repeat] });
    expect(result).toMatchObject({ applied: 1, changedCustomers: 0, auditRows: 0 });
    const { rows } = await db.pool.query(`SELECT c.updated_at, s.updated_at AS state_updated_at, s.last_seen_at, s.last_seen_platform FROM customers c JOIN custsync.customer_state s ON s.customer_id = c.id`);
    expect(rows[0]).toEqual({
      updated_at: before.rows[0].updated_at,
      state_updated_at: before.rows[0].state_updated_at,
      last_seen_at: new Date(Date.UTC(2024, 0, 1) + 3_600_000),
      last_seen_platform: 'kiwify',
    });
    expect((await readState(db.pool)).audit).toHaveLength(1);
    // an older event (a late webhook, an import of history) does not move it back
    await engine.apply({ records: [record({ platform: 'eduzz', email: 'ana.souza@example.com', offset: 2, time: 5 })] });
    const { rows: after } = await db.pool.query(`SELECT last_seen_at, last_seen_platform FROM custsync.customer_state`);
    expect(after[0]).toEqual({ last_seen_at: new Date(Date.UTC(2024, 0, 1) + 3_600_000), last_seen_platform: 'kiwify' });
  });

  it('treats case and space variants of one email as one customer', async () => {
    await engine.apply({
      records: [
        record({ email: 'joao@example.com', offset: 0, customer: { name: 'João' } }),
        record({ email: ' JOAO@EXAMPLE.COM', offset: 1, customer: { customer_id: 'h-1' } }),
        record({ email: 'Joao@Example.Com  ', offset: 2, address: { city: 'Recife' } }),
      ],
    });
    const { rows } = await db.pool.query('SELECT count(*)::int AS n FROM customers');
    expect(rows[0].n).toBe(1);
    expect((await readState(db.pool)).customers[0]?.values).toMatchObject({ name: 'João', customer_id: 'h-1', city: 'Recife' });
  });

  it('lets a higher priority win and keeps a lower one from overwriting, in either order', async () => {
    // stripe (60) beats hotmart (50) for name
    await engine.apply({ records: [record({ platform: 'hotmart', email: 'a@example.com', offset: 0, customer: { name: 'From Hotmart' } })] });
    await engine.apply({ records: [record({ platform: 'stripe', email: 'a@example.com', offset: 1, customer: { name: 'From Stripe' } })] });
    await engine.apply({ records: [record({ platform: 'hotmart', email: 'a@example.com', offset: 2, time: 999, customer: { name: 'Hotmart Again' } })] });
    const state = await readState(db.pool);
    expect(state.customers[0]?.values.name).toBe('From Stripe');
    expect(state.audit.filter((a) => a.field === 'name').map((a) => [a.old, a.new, a.changedBy])).toEqual([['From Hotmart', 'From Stripe', 'stripe']]);
  });

  it('applies per-field priority overrides', async () => {
    // stripe has priority 60 but only 10 for phone; hotmart (50) keeps the phone
    await engine.apply({
      records: [
        record({ platform: 'hotmart', email: 'b@example.com', offset: 0, customer: { phone_number: '+5511988887777', name: 'B' } }),
        record({ platform: 'stripe', email: 'b@example.com', offset: 1, customer: { phone_number: '+5521977776666', name: 'Bee' } }),
      ],
    });
    expect((await readState(db.pool)).customers[0]?.values).toMatchObject({ phone_local_code: '11', phone_number: '988887777', name: 'Bee' });
  });

  it('at equal priority takes the newer event, and a late older event does not undo it', async () => {
    await engine.apply({
      records: [
        record({ platform: 'kiwify', email: 'c@example.com', offset: 0, time: 100, customer: { name: 'Newer' } }),
        record({ platform: 'eduzz', email: 'c@example.com', offset: 1, time: 50, customer: { name: 'Older' } }),
      ],
    });
    await engine.apply({ records: [record({ platform: 'eduzz', email: 'c@example.com', offset: 2, time: 200, customer: { name: 'Newest' } })] });
    const state = await readState(db.pool);
    expect(state.customers[0]?.values.name).toBe('Newest');
    // the creation audits the email; 'Older' never applied; 'Newest' replaced 'Newer'
    expect(state.audit.map((a) => [a.field, a.old, a.new])).toEqual([
      ['email', null, 'c@example.com'],
      ['name', 'Newer', 'Newest'],
    ]);
  });

  it('never lets an empty value overwrite, and writes no audit row when nothing changed', async () => {
    await engine.apply({ records: [record({ platform: 'shopify', email: 'd@example.com', offset: 0, customer: { name: 'Dora' }, address: { city: 'Natal' } })] });
    const before = await readState(db.pool);
    const result = await engine.apply({
      records: [
        record({ platform: 'stripe', email: 'd@example.com', offset: 1, customer: { name: '   ', customer_id: '' }, address: { city: null } }),
        record({ platform: 'shopify', email: 'D@example.com', offset: 2, time: 1, customer: { name: 'Dora' } }),
      ],
    });
    expect(result.auditRows).toBe(0);
    expect(result.changedCustomers).toBe(0);
    expect(await readState(db.pool)).toEqual(before);
  });

  it('stores positions with the data: a redelivered batch changes nothing and logs nothing', async () => {
    const batch = {
      records: [
        record({ email: 'e@example.com', offset: 10, customer: { name: 'Eva' } }),
        record({ email: 'f@example.com', offset: 11, customer: { name: 'Fábio' } }),
      ],
    };
    const first = await engine.apply(batch);
    const state = await readState(db.pool);
    const again = await engine.apply(batch);
    expect(first.applied).toBe(2);
    expect(again).toMatchObject({ applied: 0, replayed: 2, auditRows: 0 });
    expect(await readState(db.pool)).toEqual(state);
    const { rows } = await db.pool.query(`SELECT stream, partition, next_ordinal::text FROM custsync.source_positions`);
    expect(rows).toEqual([{ stream: 'kafka:t', partition: 0, next_ordinal: '12' }]);
    // a batch straddling the stored position applies only what is new
    const straddling = await engine.apply({
      records: [record({ email: 'f@example.com', offset: 11, customer: { name: 'X' } }), record({ email: 'g@example.com', offset: 12, customer: { name: 'Gil' } })],
    });
    expect(straddling).toMatchObject({ applied: 1, replayed: 1 });
  });

  it('counts a batch’s dead letters once, also when the batch is delivered twice (a zombie consumer)', async () => {
    const letter = { platform: 'hotmart', reason: 'invalid_json', position: { kind: 'kafka' as const, topic: 'dl', partition: 0, offset: '5' } };
    const batch = { records: [record({ email: 'dl@example.com', topic: 'dl', offset: 6 })], deadLetters: [letter] };
    await engine.apply(batch);
    await engine.apply(batch);
    const { rows } = await db.pool.query(`SELECT platform, reason, count::int FROM custsync.dead_letter_counts`);
    expect(rows).toEqual([{ platform: 'hotmart', reason: 'invalid_json', count: 1 }]);
  });

  it('advances positions past records the batch did not carry (dead letters)', async () => {
    await engine.apply({ records: [], advance: [{ stream: 'kafka:t', partition: 3, next: 42n }] });
    const { rows } = await db.pool.query(`SELECT next_ordinal::text AS n FROM custsync.source_positions WHERE partition = 3`);
    expect(rows[0].n).toBe('42');
  });

  it('upserts the main address under the same rules', async () => {
    await engine.apply({ records: [record({ platform: 'shopify', email: 'h@example.com', offset: 0, address: { address: 'Rua A', city: 'Ottawa', country: 'CA' } })] });
    await engine.apply({ records: [record({ platform: 'hotmart', email: 'h@example.com', offset: 1, address: { city: 'Toronto', number: '10' } })] });
    await engine.apply({ records: [record({ platform: 'shopify', email: 'h@example.com', offset: 2, time: 9_999, address: { city: 'Montreal' } })] });
    const { rows } = await db.pool.query(`SELECT count(*)::int AS n FROM addresses`);
    expect(rows[0].n).toBe(1);
    expect((await readState(db.pool)).customers[0]?.values).toMatchObject({ address: 'Rua A', city: 'Toronto', number: '10', country: 'CA' });
  });

  it('counts invalid optional values it dropped, and applies the rest of the record', async () => {
    await engine.apply({ records: [record({ email: 'i@example.com', offset: 0, customer: { name: 'Ivo', document_number: '123.456.789-00' }, address: { ip: 'not-an-ip' } })] });
    expect((await readState(db.pool)).customers[0]?.values).toMatchObject({ name: 'Ivo', document_number: null, ip: null });
    const { rows } = await db.pool.query(`SELECT platform, field, reason, count::int FROM custsync.dropped_values ORDER BY field`);
    expect(rows).toEqual([
      { platform: 'hotmart', field: 'document_number', reason: 'document_invalid', count: 1 },
      { platform: 'hotmart', field: 'ip', reason: 'ip_invalid', count: 1 },
    ]);
  });
});

describe('suppressions and aliases', () => {
  let db: TestDatabase;
  beforeAll(async () => {
    db = await freshDatabase();
  });
  afterAll(async () => {
    await db.drop();
  });

  it('drops and counts records of a suppressed email instead of re-creating the person', async () => {
    const engine = testEngine(db.pool);
    await db.pool.query(`INSERT INTO custsync.suppressions (email_hash, reason, created_by) VALUES ($1, 'GDPR Request', 'test')`, [
      emailHash('gone@example.com'),
    ]);
    const result = await engine.apply({
      records: [
        record({ email: ' Gone@Example.com', offset: 0, customer: { name: 'Gone' } }),
        record({ email: 'gone@example.com', offset: 1, customer: { name: 'Gone Again' } }),
        record({ email: 'kept@example.com', offset: 2, customer: { name: 'Kept' } }),
      ],
    });
    expect(result).toMatchObject({ applied: 3, suppressed: 2, createdCustomers: 1 });
    expect((await readState(db.pool)).customers.map((c) => c.email)).toEqual(['kept@example.com']);
    const { rows } = await db.pool.query(`SELECT dropped::int FROM custsync.suppressions`);
    expect(rows[0].dropped).toBe(2);
    const { rows: positions } = await db.pool.query(`SELECT next_ordinal::int AS n FROM custsync.source_positions`);
    expect(positions[0].n).toBe(3);
  });

  it('lands records for an alias (a merged email) on the kept customer, in batch order', async () => {
    const engine = testEngine(db.pool);
    await engine.apply({ records: [record({ email: 'main@example.com', topic: 'alias', offset: 0, customer: { name: 'Main' } })] });
    await db.pool.query(`INSERT INTO custsync.email_aliases (email, customer_id) SELECT 'old@example.com', id FROM customers WHERE email = 'main@example.com'`);
    await engine.apply({
      records: [
        record({ email: 'OLD@example.com', topic: 'alias', offset: 1, time: 10, customer: { customer_id: 'old-1' }, address: { city: 'Belém' } }),
        record({ email: 'main@example.com', topic: 'alias', offset: 2, time: 11, address: { city: 'Manaus' } }),
      ],
    });
    const state = await readState(db.pool);
    expect(state.customers.filter((c) => c.email.endsWith('example.com') && c.email !== 'kept@example.com').map((c) => c.email)).toEqual(['main@example.com']);
    const main = state.customers.find((c) => c.email === 'main@example.com');
    expect(main?.values).toMatchObject({ customer_id: 'old-1', city: 'Manaus' });
  });
});

describe('out-of-band edits', () => {
  let db: TestDatabase;
  beforeAll(async () => {
    db = await freshDatabase();
  });
  afterAll(async () => {
    await db.drop();
  });

  it('audits a hand UPDATE with CURRENT_USER, one row per changed field, and not the engine’s own writes twice', async () => {
    const engine = testEngine(db.pool);
    await engine.apply({ records: [record({ email: 'j@example.com', offset: 0, customer: { name: 'Júlia' }, address: { city: 'Salvador' } })] });
    const engineRows = (await readState(db.pool)).audit.length;
    expect(engineRows).toBe(1);
    await db.pool.query(`UPDATE customers SET name = 'Julia Hand', phone_number = '912345678' WHERE email = 'j@example.com'`);
    await db.pool.query(`UPDATE addresses SET city = 'Feira de Santana'`);
    await db.pool.query(`UPDATE customers SET name = name WHERE email = 'j@example.com'`);
    const audit = (await readState(db.pool)).audit.slice(engineRows);
    expect(audit.map((a) => [a.field, a.old, a.new, a.changedBy])).toEqual([
      ['name', 'Júlia', 'Julia Hand', 'postgres'],
      ['phone_number', null, '912345678', 'postgres'],
      ['city', 'Salvador', 'Feira de Santana', 'postgres'],
    ]);
    // the hand edit holds the operator priority: a platform cannot overwrite it
    await engine.apply({ records: [record({ platform: 'stripe', email: 'j@example.com', offset: 1, customer: { name: 'Stripe Name' } })] });
    expect((await readState(db.pool)).customers[0]?.values.name).toBe('Julia Hand');
  });
});

describe('customers that predate custsync', () => {
  let db: TestDatabase;
  beforeAll(async () => {
    db = await freshDatabase();
  });
  afterAll(async () => {
    await db.drop();
  });

  it('gives a customer made by hand (no state row yet) its state on its first event, also one that changes nothing', async () => {
    const engine = testEngine(db.pool);
    await db.pool.query(`INSERT INTO customers (email, name) VALUES ('hand@example.com', NULL), ('still@example.com', NULL)`);
    expect((await db.pool.query(`SELECT count(*)::int AS n FROM custsync.customer_state`)).rows[0].n).toBe(0);
    await engine.apply({
      records: [
        record({ platform: 'kiwify', email: 'hand@example.com', offset: 10, time: 100, customer: { name: 'Hand Made' } }),
        record({ platform: 'kiwify', email: 'still@example.com', offset: 11, time: 101 }),
      ],
    });
    const { rows } = await db.pool.query(
      `SELECT c.email, s.last_seen_platform, s.last_seen_at, (SELECT array_agg(p.field) FROM custsync.field_provenance p WHERE p.customer_id = c.id) AS fields
         FROM customers c JOIN custsync.customer_state s ON s.customer_id = c.id WHERE c.email IN ('hand@example.com', 'still@example.com') ORDER BY c.email`,
    );
    expect(rows).toEqual([
      { email: 'hand@example.com', last_seen_platform: 'kiwify', last_seen_at: new Date(Date.UTC(2024, 0, 1) + 100_000), fields: ['name'] },
      { email: 'still@example.com', last_seen_platform: 'kiwify', last_seen_at: new Date(Date.UTC(2024, 0, 1) + 101_000), fields: null },
    ]);
  });
});
