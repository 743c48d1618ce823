import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { Kafka } from 'kafkajs';
import type pg from 'pg';
import { stringify } from 'yaml';
import { PositionStore, storedKey, streams } from '../../src/unifier/PositionStore.js';
import { KAFKA_BROKERS, REPO } from './env.js';

/** The built CLI (`npm run build` first); CUSTSYNC_FAULT_CLI tests another build (docs/reliability.md). */
export const CLI = resolve(REPO, process.env.CUSTSYNC_FAULT_CLI ?? 'dist/cli/main.js');

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
  /** Default: the test brokers (test/helpers/env.ts). */
  brokers?: string[];
  extra?: Record<string, unknown>;
}): Record<string, unknown> {
  return {
    database: { url: options.databaseUrl, poolSize: 6 },
    kafka: {
      brokers: options.brokers ?? KAFKA_BROKERS,
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

/** Writes a configuration as `custsync.yaml` into `dir` (default: a new temporary directory); returns its path. */
export function writeConfig(config: Record<string, unknown>, dir = mkdtempSync(join(tmpdir(), 'custsync-test-'))): string {
  mkdirSync(dir, { recursive: true });
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

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, Math.max(0, ms)));

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
  const stored = await new PositionStore(pool).nextOfStreams(topics.map(streams.kafka));
  const admin = kafka.admin();
  await admin.connect();
  try {
    for (const topic of topics) {
      for (const p of await admin.fetchTopicOffsets(topic)) {
        if (BigInt(p.high) > 0n && (stored.get(storedKey(streams.kafka(topic), p.partition)) ?? 0n) < BigInt(p.high)) return false;
      }
    }
    return true;
  } finally {
    await admin.disconnect();
  }
}
