import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_DUPLICATE_OPTIONS, findDuplicates } from '../../src/reports/duplicates.js';
import { mergeCustomers, MergeRefusedError, type MergeRequest } from '../../src/unifier/merge/merge.js';
import { priorityRules } from '../../src/unifier/priorities.js';
import { runCli } from '../helpers/cli.js';
import { testConfig, writeConfig } from '../helpers/daemon.js';
import { freshDatabase, type TestDatabase } from '../helpers/db.js';
import { TEST_PLATFORMS, testEngine } from '../helpers/engine.js';
import { record } from '../helpers/records.js';

const rules = priorityRules(TEST_PLATFORMS, 1000);
const PSEUDONYM_A = 'deleted_0cc175b9c0f1b6a831c399e269772661@anonymous.com';
const PSEUDONYM_B = 'deleted_92eb5ffee6ae2fec3ad71c777531578f@anonymous.com';

/** The reversal script of docs/dedup-and-merge.md, as operators run it. */
const REVERSE_SQL = (() => {
  const doc = readFileSync(new URL('../../docs/dedup-and-merge.md', import.meta.url), 'utf8');
  const block = /<!-- reverse-merge-sql[^>]*-->\s*```sql\n([\s\S]*?)```/.exec(doc)?.[1];
  if (!block) throw new Error('docs/dedup-and-merge.md has no reverse-merge-sql block');
  return block;
})();

async function reverseMerge(db: TestDatabase, mergeLogId: number): Promise<void> {
  const client = await db.pool.connect();
  try {
    await client.query(REVERSE_SQL.replaceAll(':merge_log_id', String(mergeLogId)));
  } catch (err) {
    await client.query('ROLLBACK');
    throw err;
  } finally {
    client.release();
  }
}

async function idOf(db: TestDatabase, email: string): Promise<number> {
  const { rows } = await db.pool.query<{ id: number }>('SELECT id FROM customers WHERE email = $1', [email]);
  if (!rows[0]) throw new Error(`no customer ${email}`);
  return rows[0].id;
}

async function insertPseudonymized(db: TestDatabase, email: string, zip: string, document: string): Promise<void> {
  await db.pool.query(
    `WITH a AS (INSERT INTO addresses (zip_code, country) VALUES ($2, 'BR') RETURNING id)
     INSERT INTO customers (email, name, address_id, document_type, document_number) SELECT $1, 'Anonymized Customer', id, 'CPF', $3 FROM a`,
    [email, zip, document],
  );
}

describe('custsync duplicates', () => {
  let db: TestDatabase;
  let configFile: string;
  const ids: Record<string, number> = {};

  beforeAll(async () => {
    db = await freshDatabase();
    const br = (zip: string) => ({ zip_code: zip, country: 'BR' });
    const engine = testEngine(db.pool);
    // one batch each, so ids follow this order (a batch inserts its new emails sorted)
    for (const one of [
        record({ email: 'maria@example.com', offset: 0, customer: { name: 'Maria Silva', document_number: '529.982.247-25' }, address: br('01310-100') }),
        record({ platform: 'kiwify', email: 'maria.s@work.com', offset: 1, customer: { name: 'Maria da Silva', document_number: '52998224725' }, address: br('01310-100') }),
        record({ platform: 'stripe', email: 'bruno@example.com', offset: 2, customer: { name: 'Bruno Lima', phone_number: '+5521988887777' } }),
        record({ email: 'b.lima@other.com', offset: 3, customer: { name: 'Pedro Santos', phone_number: '(21) 98888-7777' } }),
        record({ email: 'joao@example.com', offset: 4, customer: { name: 'João Pereira' }, address: br('50000-000') }),
        record({ platform: 'kiwify', email: 'jp@example.com', offset: 5, customer: { name: 'Joao Pereira' }, address: br('50000-000') }),
        record({ email: 'jp2@example.com', offset: 6, customer: { name: 'Joao Pereira' }, address: br('99999-999') }),
        record({ email: 'carla@example.com', offset: 7, customer: { name: 'Carla Dias', phone_number: '+5531977776666' }, address: br('30100-000') }),
        record({ email: 'carla.d@example.com', offset: 8, customer: { name: 'Carla Diaz', phone_number: '31977776666' }, address: br('30100-000') }),
        record({ email: 'ana@example.com', offset: 9, customer: { name: 'Ana Souza' }, address: br('70000-000') }),
        record({ email: 'ana.s@example.com', offset: 10, customer: { name: 'Ana Sousa' }, address: br('70000-000') }),
    ]) {
      await engine.apply({ records: [one] });
    }
    // pseudonymized customers keep a document and share a name and zip: never candidates
    await insertPseudonymized(db, PSEUDONYM_A, '01310-100', '52998224725');
    await insertPseudonymized(db, PSEUDONYM_B, '01310-100', '52998224725');
    for (const email of ['maria@example.com', 'maria.s@work.com', 'bruno@example.com', 'b.lima@other.com', 'joao@example.com', 'jp@example.com', 'carla@example.com', 'carla.d@example.com', 'ana@example.com', 'ana.s@example.com']) {
      ids[email] = await idOf(db, email);
    }
    configFile = writeConfig(testConfig({ databaseUrl: db.url, groupId: 'unused', platforms: [], deadLetterTopic: 'dlq', changeTopic: 'changes' }));
  });
  afterAll(async () => {
    await db.drop();
  });

  it('finds pairs by document, phone and similar name with the same zip code, scored and best first', async () => {
    const pairs = await findDuplicates(db.pool, DEFAULT_DUPLICATE_OPTIONS);
    expect(pairs.map((p) => [p.score, p.email_a, p.email_b, p.same_document, p.same_phone, p.name_similarity])).toEqual([
      [1, 'maria@example.com', 'maria.s@work.com', true, false, 0.8],
      [0.897, 'carla@example.com', 'carla.d@example.com', false, true, 0.692],
      [0.8, 'bruno@example.com', 'b.lima@other.com', false, true, null],
      [0.438, 'joao@example.com', 'jp@example.com', false, false, 0.625],
    ]);
    for (const pair of pairs) expect(pair.id_a).toBeLessThan(pair.id_b);
    expect(pairs[0]).toMatchObject({ id_a: ids['maria@example.com'], id_b: ids['maria.s@work.com'], name_a: 'Maria Silva', name_b: 'Maria da Silva' });
  });

  it('honours --min-similarity and --limit', async () => {
    const loose = await findDuplicates(db.pool, { minSimilarity: 0.5, limit: 100 });
    expect(loose.map((p) => [p.score, p.email_a, p.email_b])).toContainEqual([0.377, 'ana@example.com', 'ana.s@example.com']);
    expect(loose).toHaveLength(5);
    const top = await findDuplicates(db.pool, { minSimilarity: 0.6, limit: 2 });
    expect(top.map((p) => p.score)).toEqual([1, 0.897]);
  });

  it('never lists a pseudonymized customer', async () => {
    const pairs = await findDuplicates(db.pool, { minSimilarity: 0.1, limit: 1000 });
    expect(pairs.length).toBeGreaterThan(0);
    for (const pair of pairs) {
      expect(pair.email_a).not.toMatch(/anonymous\.com$/);
      expect(pair.email_b).not.toMatch(/anonymous\.com$/);
    }
  });

  it('prints masked pairs by default and full ones with --reveal (built CLI)', async () => {
    const masked = await runCli(['duplicates', '--limit', '1', '--format', 'json', '--config', configFile]);
    expect(masked.code).toBe(0);
    expect(JSON.parse(masked.stdout)).toEqual([
      {
        score: 1,
        id_a: ids['maria@example.com'],
        email_a: 'm****@e******.com',
        name_a: 'M**********',
        id_b: ids['maria.s@work.com'],
        email_b: 'm******@w***.com',
        name_b: 'M*************',
        matched: 'document, name+zip',
        name_similarity: 0.8,
      },
    ]);
    const revealed = await runCli(['duplicates', '--limit', '1', '--format', 'csv', '--reveal', '--config', configFile]);
    expect(revealed.code).toBe(0);
    expect(revealed.stdout).toBe(
      'score,id_a,email_a,name_a,id_b,email_b,name_b,matched,name_similarity\r\n' +
        `1,${ids['maria@example.com']},maria@example.com,Maria Silva,${ids['maria.s@work.com']},maria.s@work.com,Maria da Silva,"document, name+zip",0.8\r\n`,
    );
    const bad = await runCli(['duplicates', '--min-similarity', '1.5', '--config', configFile]);
    expect(bad.code).toBe(2);
  });
});

interface Snapshot {
  customers: Record<string, unknown>[];
  addresses: Record<string, unknown>[];
  /** Without updated_at: the view shows the state row's, which every rewrite of the row moves. */
  provenance: Record<string, unknown>[];
  activity: Record<string, unknown>[];
  aliases: Record<string, unknown>[];
  logOwners: Map<number, number>;
}

/** Everything a merge touches, rows as JSON so timestamps compare to the microsecond. */
async function snapshot(db: TestDatabase, customerIds: number[]): Promise<Snapshot> {
  const rows = async (sql: string) => (await db.pool.query<{ row: Record<string, unknown> }>(sql, [customerIds])).rows.map((r) => r.row);
  const logs = await db.pool.query<{ id: number; customer_id: number }>('SELECT id, customer_id FROM customer_logs ORDER BY id');
  return {
    customers: await rows('SELECT to_jsonb(c) AS row FROM customers c WHERE id = ANY($1) ORDER BY id'),
    addresses: await rows('SELECT to_jsonb(a) AS row FROM addresses a WHERE id IN (SELECT address_id FROM customers WHERE id = ANY($1)) ORDER BY id'),
    provenance: await rows(`SELECT to_jsonb(p) - 'updated_at' AS row FROM custsync.field_provenance p WHERE customer_id = ANY($1) ORDER BY customer_id, field`),
    activity: await rows('SELECT to_jsonb(s) - $$provenance$$ - $$updated_at$$ AS row FROM custsync.customer_state s WHERE customer_id = ANY($1) ORDER BY customer_id'),
    aliases: await rows('SELECT to_jsonb(e) AS row FROM custsync.email_aliases e WHERE customer_id = ANY($1) ORDER BY email'),
    logOwners: new Map(logs.rows.map((r) => [r.id, r.customer_id])),
  };
}

function withoutUpdatedAt(rows: Record<string, unknown>[], id: number): Record<string, unknown>[] {
  return rows.map((r) => (r.id === id ? { ...r, updated_at: 'ignored' } : r));
}

describe('custsync merge', () => {
  let db: TestDatabase;
  let keep: number;
  let drop: number;
  let before: Snapshot;
  let mergeLogId: number;
  const request = (over: Partial<MergeRequest> = {}): MergeRequest => ({ keepId: keep, dropId: drop, operator: 'test-op', reason: 'same CPF', ...over });

  beforeAll(async () => {
    db = await freshDatabase();
    const engine = testEngine(db.pool);
    for (const one of [
        record({
          platform: 'hotmart',
          email: 'keep@example.com',
          offset: 0,
          time: 10,
          customer: { name: 'Maria Silva', customer_id: 'h-1', phone_number: '+5511999990000' },
          address: { city: 'São Paulo', zip_code: '01310-100', country: 'BR' },
        }),
        record({
          platform: 'stripe',
          email: 'drop@example.com',
          offset: 1,
          time: 5,
          customer: { name: 'Maria da Silva', phone_number: '+5521988887777', document_number: '529.982.247-25' },
          address: { city: 'Campinas', number: '100', country: 'BR' },
        }),
        record({ platform: 'kiwify', email: 'drop@example.com', offset: 2, time: 6, customer: { customer_id: 'k-9' } }),
    ]) {
      await engine.apply({ records: [one] });
    }
    keep = await idOf(db, 'keep@example.com');
    drop = await idOf(db, 'drop@example.com');
    // a hand edit on the dropped customer (provenance sql:postgres) and an alias merged into it earlier
    await db.pool.query(`UPDATE addresses SET complement = 'Apto 1' WHERE id = (SELECT address_id FROM customers WHERE id = $1)`, [drop]);
    await db.pool.query(`INSERT INTO custsync.email_aliases (email, customer_id, reason) VALUES ('older@example.com', $1, 'earlier merge')`, [drop]);
    before = await snapshot(db, [keep, drop]);
  });
  afterAll(async () => {
    await db.drop();
  });

  it('refuses the same id, unknown ids and pseudonymized customers, writing nothing', async () => {
    await insertPseudonymized(db, PSEUDONYM_A, '01310-100', '52998224725');
    const pseudonymized = await idOf(db, PSEUDONYM_A);
    await expect(mergeCustomers(db.pool, rules, request({ dropId: keep }))).rejects.toThrow(/same customer/);
    await expect(mergeCustomers(db.pool, rules, request({ dropId: 999_999 }))).rejects.toThrow('no customer with id 999999');
    await expect(mergeCustomers(db.pool, rules, request({ keepId: 999_998 }))).rejects.toBeInstanceOf(MergeRefusedError);
    await expect(mergeCustomers(db.pool, rules, request({ dropId: pseudonymized }))).rejects.toThrow(`customer ${pseudonymized} is pseudonymized`);
    await expect(mergeCustomers(db.pool, rules, request({ keepId: pseudonymized }))).rejects.toThrow(/pseudonymized/);
    await db.pool.query('WITH c AS (DELETE FROM customers WHERE id = $1 RETURNING address_id) DELETE FROM addresses WHERE id IN (SELECT address_id FROM c)', [pseudonymized]);
    expect(await snapshot(db, [keep, drop])).toEqual(before);
  });

  it('writes nothing on a dry run', async () => {
    const result = await mergeCustomers(db.pool, rules, request({ dryRun: true }));
    expect(result).toMatchObject({ committed: false, mergeLogId: null, changedFields: 6 });
    expect(await snapshot(db, [keep, drop])).toEqual(before);
  });

  it('folds the dropped values under the priorities, moves what it owned, aliases its email and deletes it', async () => {
    const droppedLogs = [...before.logOwners].filter(([, owner]) => owner === drop).map(([id]) => id);
    const result = await mergeCustomers(db.pool, rules, request());
    expect(result).toMatchObject({ committed: true, changedFields: 6, movedLogs: droppedLogs.length, movedAliases: ['older@example.com'], alias: 'drop@example.com' });
    mergeLogId = result.mergeLogId ?? 0;
    expect(result.fields.map((f) => [f.field, f.after, f.outcome])).toEqual([
      ['name', 'Maria da Silva', 'replaced'], // stripe 60 > hotmart 50
      ['customer_id', 'h-1', 'kept'], // kiwify 40 < hotmart 50
      ['phone_local_code', '11', 'kept'], // stripe holds only 10 for the phone
      ['phone_number', '999990000', 'kept'],
      ['document_type', 'CPF', 'filled'],
      ['document_number', '52998224725', 'filled'],
      ['number', '100', 'filled'],
      ['complement', 'Apto 1', 'filled'],
      ['city', 'Campinas', 'replaced'],
      ['country', 'BR', 'confirmed'],
    ]);

    const { rows: customers } = await db.pool.query('SELECT c.*, a.city, a.number, a.complement, a.zip_code, a.country FROM customers c LEFT JOIN addresses a ON a.id = c.address_id ORDER BY c.id');
    expect(customers).toHaveLength(1);
    expect(customers[0]).toMatchObject({
      id: keep,
      email: 'keep@example.com',
      name: 'Maria da Silva',
      customer_id: 'h-1',
      phone_local_code: '11',
      phone_number: '999990000',
      document_type: 'CPF',
      document_number: '52998224725',
      city: 'Campinas',
      number: '100',
      complement: 'Apto 1',
      zip_code: '01310-100',
      country: 'BR',
    });
    const { rows: addresses } = await db.pool.query('SELECT id FROM addresses');
    expect(addresses).toEqual([{ id: customers[0].address_id }]);

    const { rows: provenance } = await db.pool.query('SELECT field, platform FROM custsync.field_provenance ORDER BY field');
    expect(Object.fromEntries(provenance.map((p) => [p.field, p.platform]))).toEqual({
      name: 'stripe',
      customer_id: 'hotmart',
      phone_local_code: 'hotmart',
      phone_number: 'hotmart',
      document_type: 'stripe',
      document_number: 'stripe',
      number: 'stripe',
      complement: 'sql:postgres',
      city: 'stripe',
      zip_code: 'hotmart',
      country: 'stripe',
    });
    // the kept customer's last seen is the later of both customers'
    const { rows: activity } = await db.pool.query('SELECT customer_id, last_seen_at, last_seen_platform FROM custsync.customer_state');
    const lastSeen = (id: number) => before.activity.find((a) => a.customer_id === id)?.last_seen_at as string;
    const later = [keep, drop].sort((a, b) => new Date(lastSeen(b)).getTime() - new Date(lastSeen(a)).getTime())[0] as number;
    expect(activity).toEqual([{ customer_id: keep, last_seen_at: new Date(lastSeen(later)), last_seen_platform: before.activity.find((a) => a.customer_id === later)?.last_seen_platform }]);

    const { rows: audit } = await db.pool.query(
      `SELECT id, customer_id, field_name, old_value, new_value, changed_by, reason FROM customer_logs WHERE id > $1 ORDER BY id`,
      [Math.max(...before.logOwners.keys())],
    );
    const reason = `merge of customer ${drop}: same CPF`;
    expect(audit.map((a) => [a.customer_id, a.field_name, a.old_value, a.new_value, a.changed_by, a.reason])).toEqual([
      [keep, 'name', 'Maria Silva', 'Maria da Silva', 'operator:test-op', reason],
      [keep, 'document_type', null, 'CPF', 'operator:test-op', reason],
      [keep, 'document_number', null, '52998224725', 'operator:test-op', reason],
      [keep, 'number', null, '100', 'operator:test-op', reason],
      [keep, 'complement', null, 'Apto 1', 'operator:test-op', reason],
      [keep, 'city', 'São Paulo', 'Campinas', 'operator:test-op', reason],
      [keep, 'merge', expect.any(String), String(keep), 'operator:test-op', reason],
    ]);
    expect(audit.at(-1)?.id).toBe(mergeLogId);
    const snapshotJson = JSON.parse(audit.at(-1)?.old_value as string);
    expect(snapshotJson).toMatchObject({
      format: 1,
      kept_id: keep,
      dropped: { customer: before.customers.find((c) => c.id === drop), aliases: ['older@example.com'], log_ids: droppedLogs },
      kept_before: { values: { name: 'Maria Silva', city: 'São Paulo', number: null }, address_id: before.customers.find((c) => c.id === keep)?.address_id },
    });

    // the dropped customer's history moved with its field names; nothing is left pointing at it
    const { rows: owners } = await db.pool.query('SELECT DISTINCT customer_id FROM customer_logs');
    expect(owners).toEqual([{ customer_id: keep }]);
    const { rows: aliases } = await db.pool.query('SELECT email, customer_id FROM custsync.email_aliases ORDER BY email');
    expect(aliases).toEqual([
      { email: 'drop@example.com', customer_id: keep },
      { email: 'older@example.com', customer_id: keep },
    ]);
  });

  it('lands later events for the dropped email and its old aliases on the kept customer', async () => {
    const engine = testEngine(db.pool);
    await engine.apply({
      records: [
        record({ platform: 'hotmart', email: ' DROP@example.com', topic: 'later', offset: 0, time: 100, address: { neighborhood: 'Centro' } }),
        record({ platform: 'hotmart', email: 'older@example.com', topic: 'later', offset: 1, time: 101, customer: { customer_id: 'h-2' } }),
      ],
    });
    const { rows } = await db.pool.query('SELECT c.id, c.customer_id, a.neighborhood FROM customers c LEFT JOIN addresses a ON a.id = c.address_id');
    expect(rows).toEqual([{ id: keep, customer_id: 'h-2', neighborhood: 'Centro' }]);
  });

  it('is reversed by the documented SQL: the dropped customer, its history, aliases and provenance come back', async () => {
    await reverseMerge(db, mergeLogId);
    const after = await snapshot(db, [keep, drop]);
    // the dropped customer and its address exactly as they were; the kept one as before the merge,
    // except what the later events changed (customer_id, neighborhood) and its updated_at
    const expectedCustomers = withoutUpdatedAt(before.customers, keep);
    expect(withoutUpdatedAt(after.customers, keep)).toEqual(expectedCustomers.map((c) => (c.id === keep ? { ...c, customer_id: 'h-2' } : c)));
    const keptAddressId = before.customers.find((c) => c.id === keep)?.address_id;
    expect(withoutUpdatedAt(after.addresses, keptAddressId as number)).toEqual(
      withoutUpdatedAt(before.addresses, keptAddressId as number).map((a) => (a.id === keptAddressId ? { ...a, neighborhood: 'Centro' } : a)),
    );
    expect(after.provenance.filter((p) => p.customer_id === drop)).toEqual(before.provenance.filter((p) => p.customer_id === drop));
    const keptProvenance = (rows: Record<string, unknown>[]) =>
      rows.filter((p) => p.customer_id === keep && p.field !== 'customer_id' && p.field !== 'neighborhood');
    expect(keptProvenance(after.provenance)).toEqual(keptProvenance(before.provenance));
    // the dropped customer's last seen as before; the kept one keeps the later activity it has
    expect(after.activity.find((a) => a.customer_id === drop)).toEqual(before.activity.find((a) => a.customer_id === drop));
    const lastSeen = (rows: Record<string, unknown>[]) => new Date(String(rows.find((a) => a.customer_id === keep)?.last_seen_at)).getTime();
    expect(lastSeen(after.activity)).toBeGreaterThanOrEqual(lastSeen(before.activity));
    expect(after.aliases).toEqual(before.aliases);
    for (const [id, owner] of before.logOwners) expect(after.logOwners.get(id), `log ${id}`).toBe(owner);

    const { rows: unmerge } = await db.pool.query(`SELECT customer_id, old_value, new_value, reason FROM customer_logs WHERE field_name = 'unmerge' ORDER BY customer_id`);
    expect(unmerge).toEqual(
      [keep, drop].sort((a, b) => a - b).map((id) => ({ customer_id: id, old_value: String(keep), new_value: String(drop), reason: `reversal of merge audit row ${mergeLogId}` })),
    );
    // events for the dropped email land on it again
    await testEngine(db.pool).apply({ records: [record({ platform: 'hotmart', email: 'drop@example.com', topic: 'later', offset: 2, time: 200, address: { state: 'SP' } })] });
    const { rows } = await db.pool.query('SELECT c.id FROM customers c JOIN addresses a ON a.id = c.address_id WHERE a.state = $1', ['SP']);
    expect(rows).toEqual([{ id: drop }]);
  });

  it('reverses a merge that gave the kept customer its first address', async () => {
    await testEngine(db.pool).apply({
      records: [
        record({ platform: 'kiwify', email: 'bare@example.com', topic: 'bare', offset: 0, time: 50, customer: { name: 'Bea' } }),
        record({ platform: 'kiwify', email: 'housed@example.com', topic: 'bare', offset: 1, customer: { name: 'Beatriz' }, address: { city: 'Natal', country: 'BR' } }),
      ],
    });
    const bare = await idOf(db, 'bare@example.com');
    const housed = await idOf(db, 'housed@example.com');
    const start = await snapshot(db, [bare, housed]);
    const result = await mergeCustomers(db.pool, rules, { keepId: bare, dropId: housed, operator: 'test-op', reason: 'same person' });
    expect(result.fields.map((f) => [f.field, f.outcome])).toEqual([
      ['name', 'kept'],
      ['city', 'filled'],
      ['country', 'filled'],
    ]);
    const { rows: merged } = await db.pool.query('SELECT a.city FROM customers c JOIN addresses a ON a.id = c.address_id WHERE c.id = $1', [bare]);
    expect(merged).toEqual([{ city: 'Natal' }]);
    const { rows: createdAddress } = await db.pool.query('SELECT address_id FROM customers WHERE id = $1', [bare]);

    await reverseMerge(db, result.mergeLogId ?? 0);
    const after = await snapshot(db, [bare, housed]);
    expect(withoutUpdatedAt(after.customers, bare)).toEqual(withoutUpdatedAt(start.customers, bare));
    expect(after.addresses).toEqual(start.addresses);
    expect(after.provenance).toEqual(start.provenance);
    const { rows: gone } = await db.pool.query('SELECT id FROM addresses WHERE id = $1', [createdAddress[0].address_id]);
    expect(gone).toEqual([]);
  });

  it('refuses a reversal of something that is not a merge row', async () => {
    const { rows } = await db.pool.query<{ id: number }>(`SELECT id FROM customer_logs WHERE field_name = 'name' LIMIT 1`);
    await expect(reverseMerge(db, rows[0]?.id ?? 0)).rejects.toThrow('not a merge audit row');
  });

  describe('the built CLI', () => {
    let configFile: string;
    beforeAll(() => {
      const platforms = TEST_PLATFORMS.map((p) => ({ ...p, mapper: 'generic', topics: [] as string[] }));
      configFile = writeConfig(testConfig({ databaseUrl: db.url, groupId: 'unused', platforms, deadLetterTopic: 'dlq', changeTopic: 'changes' }));
    });

    it('exits 2 with a clear message when it refuses', async () => {
      const same = await runCli(['merge', '--keep', String(keep), '--drop', String(keep), '--reason', 'x', '--config', configFile]);
      expect(same).toMatchObject({ code: 2, stdout: '' });
      expect(same.stderr).toContain(`--keep and --drop are the same customer (${keep})`);
      const unknown = await runCli(['merge', '--keep', String(keep), '--drop', '424242', '--reason', 'x', '--config', configFile]);
      expect(unknown.code).toBe(2);
      expect(unknown.stderr).toContain('no customer with id 424242');
      const notANumber = await runCli(['merge', '--keep', 'abc', '--drop', '1', '--reason', 'x', '--config', configFile]);
      expect(notANumber.code).toBe(2);
      const noReason = await runCli(['merge', '--keep', '1', '--drop', '2', '--config', configFile]);
      expect(noReason.code).toBe(2);
    });

    it('merges and prints a masked summary of the field changes', async () => {
      const result = await runCli(['merge', '--keep', String(keep), '--drop', String(drop), '--reason', 'again', '--operator', 'cli-op', '--config', configFile]);
      expect(result.code).toBe(0);
      expect(result.stdout).toMatch(new RegExp(`^merged customer ${drop} into customer ${keep} \\(merge audit row \\d+\\)\\n`));
      expect(result.stdout).toMatch(/^name +\| M\*{10} +\| M\*{13} +\| M\*{13} +\| replaced$/m);
      expect(result.stdout).toContain('d***@e******.com is now an alias of customer');
      expect(result.stdout).not.toContain('Maria');
      const { rows } = await db.pool.query(`SELECT changed_by FROM customer_logs WHERE field_name = 'merge' ORDER BY id DESC LIMIT 1`);
      expect(rows).toEqual([{ changed_by: 'operator:cli-op' }]);
    });
  });
});
