import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freshDatabase, type TestDatabase } from '../helpers/db.js';
import { spawnDaemon, testConfig, waitUntil, writeConfig, type SpawnedDaemon } from '../helpers/daemon.js';
import { genericEvents, normalizedGeneric } from '../helpers/generic.js';
import { expectedState } from '../helpers/oracle.js';
import { auditByEmail } from '../helpers/state.js';
import { readState } from '../helpers/state.js';

const PLATFORMS = [
  { name: 'crm', mapper: 'generic', priority: 70, topics: [] as string[] },
  { name: 'stripe', mapper: 'stripe', priority: 60, topics: [] as string[] },
  { name: 'hotmart', mapper: 'hotmart', priority: 50, topics: [] as string[] },
  { name: 'kiwify', mapper: 'kiwify', priority: 40, topics: [] as string[] },
];

/** Runs the built CLI to completion (`npm run build` first). */
async function cli(args: string[]): Promise<{ code: number | null; out: string }> {
  const run = spawnDaemon(args);
  const code = await run.exited;
  return { code, out: run.output() };
}

function rejects(file: string): { line: number; reason: string; input?: string }[] {
  if (!existsSync(file)) return [];
  return readFileSync(file, 'utf8').trim().split('\n').filter(Boolean).map((l) => JSON.parse(l) as { line: number; reason: string; input?: string });
}

describe('custsync import (built CLI, real Postgres)', () => {
  let db: TestDatabase;
  let dir: string;
  const configFor = (batchSize: number) =>
    writeConfig(testConfig({ databaseUrl: db.url, groupId: 'g', deadLetterTopic: 'dlq', changeTopic: 'changes', platforms: PLATFORMS, batchSize }));
  const running: SpawnedDaemon[] = [];

  beforeAll(async () => {
    db = await freshDatabase();
    dir = mkdtempSync(join(tmpdir(), 'custsync-import-'));
  });
  afterAll(async () => {
    for (const r of running) r.child.kill('SIGKILL');
    await db?.drop();
  });

  it('imports a CSV file, reports bad lines with their numbers and applies the rest', async () => {
    const file = join(dir, 'customers.csv');
    writeFileSync(
      file,
      [
        'email,name,phone_number,document_number,address,city,state,zip_code,event_time',
        'Ana.Souza@Example.com ,Ana Souza,(11) 99999-0000,529.982.247-25,Rua A,Recife,PE,50000-000,2024-01-01T00:00:00Z',
        'not-an-email,Broken,,,,,,,',
        '"bruno@example.com","Bruno ""Bê"" Lima",,,"Rua B, 10","Natal",RN,,',
        'carla@example.com,Carla,,,,,,,yesterday',
        '',
        'davi@example.com,"unclosed,,,,,,,',
        'elisa@example.com,Elisa Prado,,,,,,,1704067200000',
        'fabio@example.com,too,many,fields,,,,,,,',
      ].join('\n'),
    );
    const run = await cli(['import', file, '--platform', 'crm', '--config', configFor(3)]);
    expect(run.code, run.out).toBe(0);
    expect(run.out).toContain('line 3: email_invalid');
    expect(run.out).toContain('line 5: schema_invalid (event_time)');
    expect(run.out).toContain('line 7: invalid_csv');
    expect(run.out).toContain('line 9: invalid_csv');
    expect(run.out).toMatch(/created customers: +3/);
    expect(run.out).toMatch(/rejected: +4/);
    expect(run.out).not.toContain('Ana Souza'); // stderr reports never quote values

    expect(rejects(`${file}.rejected.jsonl`).map((r) => [r.line, r.reason])).toEqual([
      [3, 'email_invalid'],
      [5, 'schema_invalid'],
      [7, 'invalid_csv'],
      [9, 'invalid_csv'],
    ]);
    const state = await readState(db.pool);
    expect(state.customers.map((c) => c.email)).toEqual(['ana.souza@example.com', 'bruno@example.com', 'elisa@example.com']);
    expect(state.customers[0]?.values).toMatchObject({ name: 'Ana Souza', phone_local_code: '11', phone_number: '999990000', document_type: 'CPF', city: 'Recife' });
    expect(state.customers[1]?.values).toMatchObject({ name: 'Bruno "Bê" Lima', address: 'Rua B, 10', city: 'Natal' });
    expect(new Set(state.audit.map((a) => a.changedBy))).toEqual(new Set(['crm']));

    // the same file again: everything is already imported, nothing changes, rejects stay once
    const again = await cli(['import', file, '--platform', 'crm', '--config', configFor(3)]);
    expect(again.code, again.out).toBe(0);
    expect(again.out).toMatch(/already imported: +7/);
    expect((await readState(db.pool)).audit).toHaveLength(state.audit.length);
    expect(rejects(`${file}.rejected.jsonl`)).toHaveLength(4);
  });

  it('imports JSONL through the platform mapper, with rejects where --rejects says', async () => {
    const file = join(dir, 'hotmart.jsonl');
    const rejectsFile = join(dir, 'hotmart-bad.jsonl');
    const purchase = (id: string, email: string | undefined, name: string) => ({
      id,
      creation_date: Date.UTC(2024, 2, 1, 12),
      event: 'PURCHASE_APPROVED',
      version: '2.0.0',
      data: { buyer: { email, name, document: '52998224725' }, purchase: { transaction: id, status: 'APPROVED' } },
    });
    writeFileSync(
      file,
      [
        JSON.stringify(purchase('h1', 'gabriela@example.com', 'Gabriela')),
        '{"not json',
        JSON.stringify(purchase('h2', undefined, 'No Email')),
        JSON.stringify({ id: 'c1', creation_date: 1, event: 'CLUB_FIRST_ACCESS', version: '2.0.0', data: { user: { email: 'x@example.com' } } }),
        JSON.stringify(purchase('h3', 'heitor@example.com', 'Heitor')),
      ].join('\n') + '\n',
    );
    const run = await cli(['import', file, '--platform', 'hotmart', '--format', 'jsonl', '--rejects', rejectsFile, '--config', configFor(500)]);
    expect(run.code, run.out).toBe(0);
    expect(rejects(rejectsFile).map((r) => [r.line, r.reason])).toEqual([
      [2, 'invalid_json'],
      [3, 'mapping_failed'],
    ]);
    expect(rejects(rejectsFile)[0]?.input).toBe('{"not json');
    expect(run.out).toMatch(/ignored \(no data\): +1/);
    const { rows } = await db.pool.query<{ email: string; changed_by: string }>(
      `SELECT c.email, l.changed_by FROM customers c JOIN customer_logs l ON l.customer_id = c.id AND l.field_name = 'email' WHERE c.email IN ('gabriela@example.com', 'heitor@example.com') ORDER BY 1`,
    );
    expect(rows).toEqual([
      { email: 'gabriela@example.com', changed_by: 'hotmart' },
      { email: 'heitor@example.com', changed_by: 'hotmart' },
    ]);
  });

  it('refuses an unknown platform or a bad header with exit 2, applying nothing', async () => {
    const file = join(dir, 'x.csv');
    writeFileSync(file, 'email,name\nx@example.com,X\n');
    const unknown = await cli(['import', file, '--platform', 'nope', '--config', configFor(10)]);
    expect(unknown.code).toBe(2);
    expect(unknown.out).toContain('valid: crm, stripe, hotmart, kiwify');
    const misspelt = join(dir, 'y.csv');
    writeFileSync(misspelt, 'e-mail,name\ny@example.com,Y\n');
    const header = await cli(['import', misspelt, '--platform', 'crm', '--config', configFor(10)]);
    expect(header.code).toBe(2);
    expect(header.out).toContain('unknown column(s) "e-mail"');
    const { rows } = await db.pool.query(`SELECT 1 FROM customers WHERE email IN ('x@example.com', 'y@example.com')`);
    expect(rows).toHaveLength(0);
  });

  it('resumes an interrupted import (SIGINT, then SIGKILL) without losing or repeating anything', async () => {
    const fresh = await freshDatabase();
    try {
      const config = writeConfig(testConfig({ databaseUrl: fresh.url, groupId: 'g', deadLetterTopic: 'dlq', changeTopic: 'changes', platforms: PLATFORMS, batchSize: 100 }));
      const events = genericEvents(8_000, 600, 11);
      const lines = events.map((e, i) => (i % 997 === 500 ? '{"broken' : JSON.stringify(e)));
      const file = join(dir, 'big.jsonl');
      writeFileSync(file, `${lines.join('\n')}\n`);
      const applied = async () =>
        Number((await fresh.pool.query<{ n: string }>(`SELECT coalesce(max(next_ordinal), 0)::text AS n FROM custsync.source_positions`)).rows[0]?.n);
      const args = ['import', file, '--platform', 'crm', '--config', config];

      const first = spawnDaemon(args);
      running.push(first);
      await waitUntil('some lines imported', async () => (await applied()) > 1_000, 60_000, 20);
      first.child.kill('SIGINT');
      expect(await first.exited).toBe(130);
      expect(first.output()).toContain('Run the same command again to resume');
      const afterInterrupt = await applied();
      expect(afterInterrupt).toBeLessThan(events.length);

      const second = spawnDaemon(args);
      running.push(second);
      await waitUntil('more lines imported', async () => (await applied()) > afterInterrupt + 1_500, 60_000, 20);
      second.child.kill('SIGKILL');
      await second.exited;
      expect(await applied()).toBeLessThan(events.length);

      const third = await cli(args);
      expect(third.code, third.out).toBe(0);
      expect(third.out).toMatch(/resumed at line \d+/);

      const good = events.filter((_, i) => i % 997 !== 500);
      const expected = expectedState(good.map((e) => normalizedGeneric(e)), { platforms: PLATFORMS, operatorPriority: 1_000 });
      const state = await readState(fresh.pool);
      expect(state.customers).toEqual(expected.customers);
      const trails = auditByEmail(state.audit);
      for (const [email, trail] of expected.auditByEmail) expect(trails.get(email), email).toEqual(trail);
      expect(state.audit.length).toBe([...expected.auditByEmail.values()].reduce((n, t) => n + t.length, 0));
      const badLines = events.map((_, i) => i + 1).filter((line) => (line - 1) % 997 === 500);
      expect(rejects(`${file}.rejected.jsonl`).map((r) => r.line)).toEqual(badLines);
    } finally {
      await fresh.drop();
    }
  });
});
