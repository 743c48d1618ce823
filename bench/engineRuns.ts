import { createHash } from 'node:crypto';
import type pg from 'pg';
import { pino } from 'pino';
import { BatchEngine, type BatchEngineOptions } from '../src/unifier/engine/BatchEngine.js';
import { StatementStats } from '../src/unifier/engine/statements.js';
import type { NormalizedRecord } from '../src/unifier/normalize/index.js';
import type { PriorityRules } from '../src/unifier/priorities.js';
import { cpuBudgetLine, ownCpuMs, postgresCpuMs } from './cpu.js';
import { rate } from './db.js';

/** What the engine reads and locks, as opposed to the rows it writes (the raw floor replays only those). */
export const READ_STATEMENTS = new Set(['lock positions', 'suppressions', 'lock customers', 'aliases', 'lock addresses', 'read state', 'allocate ids']);

export interface EngineRun {
  records: number;
  streams: number;
  ms: number;
  stats: StatementStats;
  created: number;
  auditRows: number;
  /** CPU of this process (folding, serializing, the pg client) and of Postgres for the run, ms. */
  nodeCpuMs: number;
  postgresCpuMs: number;
}

/** Records as `streams` partitions of `topic` keyed by email would carry them, each with its own offsets. */
export function splitIntoStreams(records: readonly NormalizedRecord[], streams: number, topic: string): NormalizedRecord[][] {
  const out: NormalizedRecord[][] = Array.from({ length: streams }, () => []);
  for (const record of records) {
    const stream = streams === 1 ? 0 : createHash('md5').update(record.email).digest().readUInt32BE(0) % streams;
    const list = out[stream] as NormalizedRecord[];
    list.push({ ...record, position: { kind: 'kafka', topic, partition: stream, offset: String(list.length) } });
  }
  return out;
}

/**
 * Applies the records through one engine: `streams` partitions at once, each
 * on its own connection, batches of `batch` in order within a partition (what
 * the daemon does with partitionsConsumedConcurrently).
 */
export async function runEngine(
  pool: pg.Pool,
  rules: PriorityRules,
  records: readonly NormalizedRecord[],
  options: { batch: number; streams: number; topic: string; database: string; capture?: boolean; append?: BatchEngineOptions['append'] },
): Promise<EngineRun> {
  const stats = new StatementStats(options.capture);
  const engine = new BatchEngine(pool, rules, pino({ level: 'silent' }), { maxAttempts: 20, stats, ...(options.append ? { append: options.append } : {}) });
  const streams = splitIntoStreams(records, options.streams, options.topic);
  let created = 0;
  let auditRows = 0;
  await Promise.all(Array.from({ length: options.streams }, () => pool.query('SELECT 1'))); // connections open before the first reading
  const node0 = ownCpuMs();
  const pg0 = postgresCpuMs(options.database);
  const t = performance.now();
  await Promise.all(
    streams.map(async (stream) => {
      for (let i = 0; i < stream.length; i += options.batch) {
        const result = await engine.apply({ records: stream.slice(i, i + options.batch) });
        created += result.createdCustomers;
        auditRows += result.auditRows;
      }
    }),
  );
  const ms = performance.now() - t;
  return { records: records.length, streams: options.streams, ms, stats, created, auditRows, nodeCpuMs: ownCpuMs() - node0, postgresCpuMs: postgresCpuMs(options.database) - pg0 };
}

/** Rows the run wrote (every statement but reads and locks), per record. */
export function rowsWritten(run: EngineRun): number {
  let rows = 0;
  for (const [name, entry] of run.stats.byName) if (!READ_STATEMENTS.has(name)) rows += entry.rows;
  return rows;
}

/** The per-statement breakdown: time summed over the run (across connections), calls, rows. */
export function breakdown(run: EngineRun, indent = '                '): string[] {
  const total = run.stats.totalMs;
  const lines = [...run.stats.byName.entries()]
    .sort(([, a], [, b]) => b.ms - a.ms)
    .map(
      ([name, e]) =>
        `${indent}${name.padEnd(22)} ${(e.ms / 1000).toFixed(2).padStart(7)} s ${((e.ms / total) * 100).toFixed(0).padStart(3)} %  ` +
        `${e.calls.toLocaleString('en-US').padStart(6)} calls ${e.rows.toLocaleString('en-US').padStart(10)} rows` +
        (READ_STATEMENTS.has(name) ? '  (read/lock)' : ''),
    );
  // Each connection was busy for the whole run: what its statements do not account for went to folding,
  // serializing, BEGIN/COMMIT, or waiting for the CPU.
  const outside = run.ms * run.streams - total;
  lines.push(
    `${indent}${'statements in all'.padEnd(22)} ${(total / 1000).toFixed(2).padStart(7)} s over ${run.streams} connection${run.streams === 1 ? '' : 's'} ` +
      `(wall ${(run.ms / 1000).toFixed(2)} s each; ${(Math.max(0, outside) / 1000).toFixed(2)} s outside statements: folding, serializing, BEGIN/COMMIT, waiting for a CPU)`,
  );
  return lines;
}

/** Where the CPU went, and the throughput it allows on this machine's cores. */
export function cpuLine(run: EngineRun, indent = '                '): string {
  return `${indent}CPU: ${cpuBudgetLine([['custsync', run.nodeCpuMs], ['Postgres', run.postgresCpuMs]], run.records)}`;
}

export function summary(label: string, run: EngineRun): string {
  return (
    `${label.padEnd(16)}${run.records.toLocaleString('en-US')} records in ${(run.ms / 1000).toFixed(2)} s = ${rate(run.records, run.ms)} records/s ` +
    `(${run.created.toLocaleString('en-US')} customers created, ${run.auditRows.toLocaleString('en-US')} audit rows, ${(rowsWritten(run) / run.records).toFixed(2)} rows written per record)`
  );
}
