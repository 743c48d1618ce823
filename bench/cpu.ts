import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { resolve } from 'node:path';

/**
 * CPU time per process from /proc (Linux), so a benchmark can say where the
 * two cores went: CPU time is what bounds throughput on a machine whose cores
 * are shared by the daemon, Postgres and the broker, and unlike wall time it
 * barely moves when something else runs beside the benchmark.
 */

const TICKS_PER_SECOND = 100; // USER_HZ on Linux

function readCpuMs(pid: number | string): number {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.split(' ') ?? [];
    return ((Number(fields[11]) + Number(fields[12])) / TICKS_PER_SECOND) * 1000;
  } catch {
    return 0; // the process is gone
  }
}

function pids(): string[] {
  return readdirSync('/proc').filter((d) => /^\d+$/.test(d));
}

function commandLine(pid: string): string {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').replace(/\0/g, ' ');
  } catch {
    return '';
  }
}

/** A process's CPU so far, in ms (user + system). */
export function processCpuMs(pid: number): number {
  return readCpuMs(pid);
}

/**
 * CPU so far of the Postgres processes that work for `database`: its
 * backends (by the database name in their title) and the server's shared
 * writers (WAL writer, checkpointer, background writer). Backends that exited
 * are not counted; keep the pool open until the reading.
 */
export function postgresCpuMs(database: string): number {
  let total = 0;
  for (const pid of pids()) {
    const cmd = commandLine(pid);
    if (!cmd.startsWith('postgres')) continue;
    if (cmd.includes(` ${database} `) || /walwriter|checkpointer|background writer/.test(cmd)) total += readCpuMs(pid);
  }
  return total;
}

/** The services' Kafka broker (scripts/services.sh writes its pid), 0 when unknown. */
export function brokerCpuMs(): number {
  const pidFile = resolve(import.meta.dirname, '../.var/kafka/kafka.pid');
  if (!existsSync(pidFile)) return 0;
  return readCpuMs(readFileSync(pidFile, 'utf8').trim());
}

/** This process's CPU so far, in ms, all threads. */
export function ownCpuMs(): number {
  const usage = process.cpuUsage();
  return (usage.user + usage.system) / 1000;
}

export const CORES = cpus().length;

/** `a + b + c = X µs of CPU per record; at most N records/s on K cores` for the parts measured. */
export function cpuBudgetLine(parts: readonly [label: string, ms: number][], records: number, unit = 'record'): string {
  const perRecord = parts.map(([label, ms]) => [label, (ms * 1000) / records] as const);
  const total = perRecord.reduce((sum, [, us]) => sum + us, 0);
  const ceiling = (CORES * 1e6) / total;
  return (
    `${perRecord.map(([label, us]) => `${label} ${us.toFixed(0)}`).join(' + ')} = ${total.toFixed(0)} µs of CPU per ${unit}; ` +
    `${CORES} cores allow at most ${Math.round(ceiling).toLocaleString('en-US')} ${unit}s/s at that cost`
  );
}
