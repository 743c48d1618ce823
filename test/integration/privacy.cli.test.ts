import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freshDatabase, type TestDatabase } from '../helpers/db.js';
import { CLI, testConfig, writeConfig } from '../helpers/daemon.js';
import { testEngine } from '../helpers/engine.js';
import { makeIdle, person, seedPerson } from '../helpers/privacy.js';
import { randomTopic } from '../helpers/kafka.js';

/** Runs the built CLI (`npm run build` first), keeping stdout and stderr apart. */
function runCli(args: string[], env: Record<string, string> = {}): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [CLI, ...args], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('exit', (code) => resolve({ code, stdout, stderr }));
  });
}

describe('privacy commands (built CLI)', () => {
  let db: TestDatabase;
  let configFile: string;
  let withPolicy: string;
  const dir = mkdtempSync(join(tmpdir(), 'custsync-privacy-cli-'));
  const [ana, bia, caio] = [person('ana'), person('bia'), person('caio')];

  beforeAll(async () => {
    db = await freshDatabase();
    const engine = testEngine(db.pool);
    for (const p of [ana, bia, caio]) await seedPerson(engine, p, `cli-${p.email}`);
    const base = { databaseUrl: db.url, groupId: randomTopic('g'), platforms: [], deadLetterTopic: randomTopic('dlq'), changeTopic: randomTopic('c') };
    configFile = writeConfig(testConfig(base));
    withPolicy = writeConfig(testConfig({ ...base, extra: { retention: { inactiveAfter: '3y', batchSize: 2 } } }));
  });
  afterAll(async () => {
    await db.drop();
  });

  it('forget --email pseudonymizes, and a second run says nothing changed', async () => {
    const first = await runCli(['--config', configFile, 'forget', '--email', ` ${ana.email.toUpperCase()} `, '--requested-by', 'dpo', '--reason', 'ticket 1']);
    expect(first.code).toBe(0);
    expect(first.stdout).toMatch(/^pseudonymized a\*+@e\*+\.com: customer \d+ anonymized and audited/);
    const second = await runCli(['--config', configFile, 'forget', '--email', ana.email]);
    expect(second).toMatchObject({ code: 0, stdout: expect.stringMatching(/^already forgotten: a\*+@e\*+\.com is suppressed/) });
    for (const out of [first.stdout, first.stderr, second.stdout, second.stderr]) expect(out).not.toContain(ana.email);
    const { rows } = await db.pool.query(`SELECT reason FROM customer_logs WHERE field_name = 'pseudonymization'`);
    expect(rows).toEqual([{ reason: 'requested by dpo: ticket 1' }]);
  });

  it('forget lift removes the suppression, and says when there is none', async () => {
    expect(await runCli(['--config', configFile, 'forget', 'lift', '--email', ana.email])).toMatchObject({
      code: 0,
      stdout: expect.stringMatching(/^lifted the suppression of a\*+@e\*+\.com \(GDPR Request, recorded by dpo/),
    });
    expect(await runCli(['--config', configFile, 'forget', 'lift', '--email', ana.email])).toMatchObject({ code: 0, stdout: expect.stringContaining('is not suppressed') });
  });

  it.each([
    [['forget'], 'give exactly one of --email or --file'],
    [['forget', '--email', 'a@b.com', '--file', 'x'], 'give exactly one of --email or --file'],
    [['forget', '--email', 'not-an-email'], '--email: email must contain exactly one @'],
    [['forget', 'undo', '--email', 'a@b.com'], 'unknown action "undo"'],
    [['forget', 'lift', '--file', 'x'], 'forget lift takes --email'],
    [['forget', '--file', '/nonexistent/emails.txt'], 'cannot read /nonexistent/emails.txt'],
    [['export'], "required option '--email <email>'"],
    [['retention', 'run'], 'no retention policy configured'],
  ])('%j exits 2: %s', async (args, message) => {
    const result = await runCli(['--config', configFile, ...args]);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain(message);
  });

  it('exits 3 when Postgres is unreachable', async () => {
    const result = await runCli(['--config', configFile, 'forget', '--email', 'x@example.com'], { DATABASE_URL: 'postgres://postgres@127.0.0.1:1/none' });
    expect(result.code).toBe(3);
  });

  it('forget --file reports invalid lines by number, forgets the rest in batches, exits 1', async () => {
    const file = join(dir, 'emails.txt');
    writeFileSync(file, `# DPO batch\n${bia.email}\n\nnot-an-email\n  ${caio.email.toUpperCase()}\nnobody@example.com\n${bia.email}\n`);
    // batches of 2: the repeated email lands in the second batch, after the first committed
    const result = await runCli(['--config', configFile, 'forget', '--file', file, '--batch-size', '2']);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(`${file}:4: skipped (email_invalid): email must contain exactly one @`);
    expect(result.stderr).toMatch(/forgetting: 4\/4 \(100%\)/);
    expect(result.stdout).toBe(`${file}: 4 email(s) forgotten: 2 pseudonymized, 1 suppressed without a customer to anonymize, 1 already forgotten; 1 invalid line(s) skipped\n`);
    for (const p of [bia, caio]) expect(result.stdout + result.stderr).not.toContain(p.email);
    const { rows } = await db.pool.query(`SELECT count(*)::int AS n FROM customers WHERE name = 'Anonymized Customer'`);
    expect(rows[0].n).toBe(3);
  });

  it('export writes the JSON to stdout or, with mode 0600, to --out; an unknown email is found: false', async () => {
    const engine = testEngine(db.pool);
    const dora = person('dora');
    await seedPerson(engine, dora, 'cli-export');
    const toStdout = await runCli(['--config', configFile, 'export', '--email', dora.email]);
    expect(toStdout.code).toBe(0);
    expect(JSON.parse(toStdout.stdout)).toMatchObject({ found: true, customer: { email: dora.email, name: `${dora.name} Jr` }, suppression: { suppressed: false } });
    expect(toStdout.stderr).not.toContain(dora.email);

    const out = join(dir, 'dora.json');
    const toFile = await runCli(['--config', configFile, 'export', '--email', dora.email, '--out', out]);
    expect(toFile.code).toBe(0);
    expect(toFile.stderr).toContain(`to ${out} (found: true)`);
    expect(statSync(out).mode & 0o777).toBe(0o600);
    expect(JSON.parse(readFileSync(out, 'utf8')).customer.email).toBe(dora.email);

    const unknown = await runCli(['--config', configFile, 'export', '--email', 'nobody@example.com']);
    expect(unknown.code).toBe(0);
    expect(JSON.parse(unknown.stdout)).toMatchObject({ found: false, customer: null, suppression: { suppressed: true, reason: 'GDPR Request' } });
  });

  it('retention run --dry-run lists what it would do; run does it', async () => {
    const engine = testEngine(db.pool);
    const olds = [person('old1'), person('old2'), person('old3')];
    for (const p of olds) await seedPerson(engine, p, `cli-retention-${p.email}`);
    await makeIdle(db.pool, olds.map((p) => p.email), '4 years');

    const dry = await runCli(['--config', withPolicy, 'retention', 'run', '--dry-run']);
    expect(dry.code).toBe(0);
    const lines = dry.stdout.trim().split('\n');
    expect(lines[0]).toMatch(/^dry run: 3 customer\(s\) with no activity since \S+ \(retention\.inactiveAfter 3y\) would be anonymized$/);
    expect(lines.slice(1, 4).every((l) => /^ {2}customer \d+ o\*+@e\*+\.com last active \S+$/.test(l))).toBe(true);
    expect(lines[4]).toBe('dry run: nothing changed');
    expect(dry.stdout + dry.stderr).not.toContain(olds[0]?.email);
    expect((await db.pool.query(`SELECT count(*)::int AS n FROM customer_logs WHERE changed_by = 'Retention Policy'`)).rows[0].n).toBe(0);

    const run = await runCli(['--config', withPolicy, 'retention', 'run']);
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/^retention: anonymized 3 of 3 customer\(s\) with no activity since .* changed_by 'Retention Policy'; 3 suppression\(s\) recorded in 2 batch\(es\)\n$/);
    expect((await db.pool.query(`SELECT count(*)::int AS n FROM customer_logs WHERE changed_by = 'Retention Policy'`)).rows[0].n).toBe(3);
    expect((await runCli(['--config', withPolicy, 'retention', 'run'])).stdout).toMatch(/^retention: anonymized 0 of 0/);
  });
});
