import { execFile } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freshDatabase, type TestDatabase } from '../helpers/db.js';
import { CLI, testConfig, writeConfig } from '../helpers/daemon.js';
import { testEngine } from '../helpers/engine.js';
import { record } from '../helpers/records.js';
import { readState } from '../helpers/state.js';

const run = promisify(execFile);

async function cli(args: string[], env: Record<string, string> = {}): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run(process.execPath, [CLI, ...args], { env: { ...process.env, ...env } });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

describe('the custsync command', () => {
  let db: TestDatabase;
  let configFile: string;
  beforeAll(async () => {
    db = await freshDatabase();
    configFile = writeConfig(
      testConfig({
        databaseUrl: db.url,
        groupId: 'g',
        deadLetterTopic: 'dlq',
        changeTopic: 'changes',
        platforms: [{ name: 'hotmart', mapper: 'hotmart', priority: 50, topics: ['hotmart.webhooks'] }],
      }),
    );
  });
  afterAll(async () => {
    await db.drop();
  });

  it('prints its version and help for every command', async () => {
    const version = await cli(['--version']);
    expect(version.code).toBe(0);
    expect(version.stdout.trim()).toMatch(/^\d+\.\d+\.\d+$/);
    const help = await cli(['--help']);
    expect(help.code).toBe(0);
    const commandsOf = (text: string) =>
      [...(text.split('Commands:')[1] ?? '').matchAll(/^ {2}([a-z-]+)/gm)].map((m) => m[1] as string).filter((c) => c !== 'help');
    const commands = commandsOf(help.stdout);
    expect(commands).toEqual(expect.arrayContaining(['run', 'migrate', 'config', 'customer']));
    for (const command of commands) {
      const sub = await cli([command, '--help']);
      expect(sub.code, command).toBe(0);
      expect(sub.stdout).toContain(`Usage: custsync ${command}`);
      for (const nested of commandsOf(sub.stdout)) {
        const deeper = await cli([command, nested, '--help']);
        expect(deeper.code, `${command} ${nested}`).toBe(0);
        expect(deeper.stdout).toContain(`Usage: custsync ${command} ${nested}`);
      }
    }
  });

  it('exits 2 on usage errors', async () => {
    expect((await cli(['no-such-command'])).code).toBe(2);
    expect((await cli(['run', '--no-such-flag'])).code).toBe(2);
  });

  it('config check: exit 0 for a valid file, 2 with the file, key path and expectation for a bad one, no stack trace', async () => {
    const ok = await cli(['config', 'check', 'config/custsync.example.yaml']);
    expect(ok.code).toBe(0);
    expect(ok.stdout).toContain('valid');
    const bad = writeConfig({ database: { url: 'postgres://x/y' }, kafka: { brokers: ['h:1'] }, platforms: [{ name: 'hotmart', mapper: 'hotmart', priority: 'high' }] });
    const result = await cli(['config', 'check', bad]);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain(bad);
    expect(result.stderr).toContain('platforms[0].priority: Invalid input: expected number, received string');
    expect(result.stderr).not.toMatch(/\n\s+at /);
    const missing = await cli(['config', 'check', '/nonexistent.yaml']);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain('/nonexistent.yaml: cannot read configuration: file not found');
    const yamlError = writeConfig({});
    writeFileSync(yamlError, 'database: [unclosed\n');
    expect((await cli(['config', 'check', yamlError])).stderr).toContain('not valid YAML');
  });

  it('migrate is idempotent', async () => {
    const result = await cli(['migrate', '--config', configFile]);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('schema is up to date');
  });

  it('customer update applies an operator edit with its reason, and rejects unknown fields with the list of valid ones', async () => {
    await testEngine(db.pool).apply({ records: [record({ email: 'op@example.com', customer: { name: 'Op Name' } })] });
    const ok = await cli(['customer', 'update', '--config', configFile, '--email', ' OP@example.com', '--set', 'name=Operator Name', '--set', 'city=Natal', '--reason', 'ticket 42', '--operator', 'alice']);
    expect(ok.code, ok.stderr).toBe(0);
    const { rows } = await db.pool.query(`SELECT field_name, old_value, new_value, changed_by, reason FROM customer_logs WHERE changed_by LIKE 'operator:%' ORDER BY id`);
    expect(rows).toEqual([
      { field_name: 'name', old_value: 'Op Name', new_value: 'Operator Name', changed_by: 'operator:alice', reason: 'ticket 42' },
      { field_name: 'city', old_value: null, new_value: 'Natal', changed_by: 'operator:alice', reason: 'ticket 42' },
    ]);
    // a platform cannot overwrite an operator's value
    await testEngine(db.pool).apply({ records: [record({ platform: 'stripe', email: 'op@example.com', offset: 999, customer: { name: 'Stripe' } })] });
    expect((await readState(db.pool)).customers.find((c) => c.email === 'op@example.com')?.values.name).toBe('Operator Name');

    const bad = await cli(['customer', 'update', '--config', configFile, '--email', 'op@example.com', '--set', 'nam=X', '--reason', 'r']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('unknown field "nam"; valid fields: name, customer_id');
    const nobody = await cli(['customer', 'update', '--config', configFile, '--email', 'nobody@example.com', '--set', 'name=X', '--reason', 'r']);
    expect(nobody.code).toBe(2);
    expect(nobody.stderr).toContain('no customer with email');
  });
});
