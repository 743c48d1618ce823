import { writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';
import { testConfig, writeConfig } from '../helpers/daemon.js';
import { KAFKA_BROKERS, PG_ADMIN_URL } from '../helpers/env.js';

/** A port nothing listens on (the discard port, never served here). */
const DEAD = '127.0.0.1:9';

function config(databaseUrl: string, brokers: string[]): string {
  const raw = testConfig({
    databaseUrl,
    groupId: 'g',
    deadLetterTopic: 'dlq',
    changeTopic: 'changes',
    platforms: [{ name: 'crm', mapper: 'generic', priority: 70, topics: ['crm.unreachable'] }],
  });
  (raw.kafka as Record<string, unknown>).brokers = brokers;
  return writeConfig(raw);
}

function expectUnreachable(result: { code: number; stderr: string }, service: string, where: string): void {
  expect(result.code, result.stderr).toBe(3);
  const lines = result.stderr.trim().split('\n').filter((l) => l.startsWith('custsync:'));
  expect(lines).toHaveLength(1);
  expect(lines[0]).toContain(`custsync: ${service} is unreachable at ${where}`);
  expect(result.stderr).not.toMatch(/\n\s+at /); // no stack trace
  expect(result.stderr).not.toContain('s3cret');
}

describe('a service that cannot be reached: exit 3, one line naming it and where, no stack trace, no password', () => {
  const noPostgres = config(`postgres://custsync:s3cret@${DEAD}/custsync`, KAFKA_BROKERS);
  const file = join(tmpdir(), `custsync-unreachable-${process.pid}.jsonl`);
  writeFileSync(file, `${JSON.stringify({ eventId: 'e1', eventTime: '2024-01-01T00:00:00Z', email: 'a@example.com' })}\n`);

  it.each([
    ['run', ['run']],
    ['migrate', ['migrate']],
    ['status', ['status']],
    ['report', ['report', 'completeness']],
    ['import', ['import', file, '--platform', 'crm']],
  ])('Postgres down: %s', async (_name, args) => {
    expectUnreachable(await runCli([...args, '--config', noPostgres]), 'Postgres', DEAD);
  });

  it('Kafka down: run exits 3 within seconds, naming the broker', async () => {
    const url = new URL(PG_ADMIN_URL);
    const noKafka = config(url.toString(), [DEAD]);
    const started = Date.now();
    expectUnreachable(await runCli(['run', '--no-migrate', '--config', noKafka]), 'Kafka', DEAD);
    expect(Date.now() - started).toBeLessThan(20_000);
  });
});
