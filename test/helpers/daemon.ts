import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { Kafka } from 'kafkajs';
import type pg from 'pg';
import { stringify } from 'yaml';
import { KAFKA_BROKERS } from './env.js';
import { headerStrings } from './kafka.js';

export const CLI = resolve(import.meta.dirname, '../../dist/cli/main.js');

export interface PlatformSpec {
  name: string;
  mapper: string;
  priority: number;
  topics: string[];
  fieldPriorities?: Record<string, number>;
}

export function testConfig(options: {
  databaseUrl: string;
  groupId: string;
  platforms: PlatformSpec[];
  deadLetterTopic: string;
  changeTopic: string;
  batchSize?: number;
  extra?: Record<string, unknown>;
}): Record<string, unknown> {
  return {
    database: { url: options.databaseUrl, poolSize: 6 },
    kafka: {
      brokers: KAFKA_BROKERS,
      clientId: 'custsync-test',
      groupId: options.groupId,
      deadLetterTopic: options.deadLetterTopic,
      changeTopic: options.changeTopic,
      newTopicReplicationFactor: 1,
      partitionsConsumedConcurrently: 3,
      sessionTimeoutMs: 6_000,
    },
    unifier: { batchSize: options.batchSize ?? 500 },
    platforms: options.platforms,
    http: { host: '127.0.0.1', port: 0 },
    log: { level: 'info' },
    // Off unless a test asks for it (extra.publisher): slot names are cluster-wide and a
    // leftover slot keeps its database from being dropped.
    publisher: { enabled: false },
    ...options.extra,
  };
}

export function writeConfig(config: Record<string, unknown>): string {
  const dir = mkdtempSync(join(tmpdir(), 'custsync-test-'));
  const file = join(dir, 'custsync.yaml');
  writeFileSync(file, stringify(config));
  return file;
}

export interface SpawnedDaemon {
  child: ChildProcess;
  output: () => string;
  exited: Promise<number | null>;
}

/** Runs the built CLI (`npm run build` first) as a separate process. */
export function spawnDaemon(args: string[], env: Record<string, string> = {}): SpawnedDaemon {
  const child = spawn(process.execPath, [CLI, ...args], {
    env: { ...process.env, ...env, CUSTSYNC_HTTP_PORT: '0' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout?.on('data', (chunk: Buffer) => (out += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (out += chunk.toString()));
  const exited = new Promise<number | null>((resolveExit) => child.on('exit', (code) => resolveExit(code)));
  return { child, output: () => out, exited };
}

export async function waitUntil(what: string, predicate: () => Promise<boolean> | boolean, timeoutMs = 60_000, intervalMs = 200): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await predicate()) return;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}

/** Whether Postgres has stored, for every partition of `topics`, a position at its high watermark. */
export async function caughtUp(kafka: Kafka, pool: pg.Pool, topics: string[]): Promise<boolean> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    for (const topic of topics) {
      const offsets = await admin.fetchTopicOffsets(topic);
      const { rows } = await pool.query<{ partition: number; next: string }>(
        `SELECT partition, next_ordinal::text AS next FROM custsync.source_positions WHERE stream = $1`,
        [`kafka:${topic}`],
      );
      const stored = new Map(rows.map((r) => [r.partition, BigInt(r.next)]));
      for (const p of offsets) {
        if (BigInt(p.high) > 0n && (stored.get(p.partition) ?? 0n) < BigInt(p.high)) return false;
      }
    }
    return true;
  } finally {
    await admin.disconnect();
  }
}

/** Reads every message of a topic from the beginning (a throwaway consumer group). */
export async function readTopic(kafka: Kafka, topic: string, expectAtLeast: number, timeoutMs = 30_000) {
  const consumer = kafka.consumer({ groupId: `reader-${Math.random().toString(16).slice(2)}` });
  const messages: { key: Buffer | null; value: Buffer | null; headers: Record<string, string>; partition: number; offset: string }[] = [];
  await consumer.connect();
  await consumer.subscribe({ topics: [topic], fromBeginning: true });
  await consumer.run({
    eachMessage: async ({ message, partition }) => {
      const headers = headerStrings(message.headers);
      messages.push({ key: message.key, value: message.value, headers, partition, offset: message.offset });
    },
  });
  try {
    await waitUntil(`${expectAtLeast} messages on ${topic}`, () => messages.length >= expectAtLeast, timeoutMs);
  } finally {
    await consumer.disconnect();
  }
  return messages;
}
