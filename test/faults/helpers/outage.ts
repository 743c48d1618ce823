import type { Kafka } from 'kafkajs';
import type pg from 'pg';
import type { ReadyStatus } from './daemon.js';
import { type Instances } from './instances.js';
import { services } from './services.js';
import { PositionStore } from '../../../src/unifier/PositionStore.js';
import { sleep } from '../../helpers/daemon.js';

/** Probe deadline: a readiness probe that does not answer within it counts as a failed probe, not as "not ready". */
export const PROBE_TIMEOUT_MS = 3_000;

export interface Poll {
  instance: string;
  /** ms since the service went down. */
  t: number;
  status: ReadyStatus;
  ms: number;
  body: string;
}

export interface OutageReport {
  service: 'pg' | 'kafka';
  /** What "positions" means for this outage (see `frozen`). */
  positionsOf: string;
  plannedMs: number;
  downMs: number;
  /** Polls while the service was down (after `graceMs`). */
  during: Poll[];
  graceMs: number;
  /** Position snapshots taken after the grace period and just before the restart. */
  frozen: { first: string; last: string; equal: boolean } | undefined;
  /** Per instance running through the outage: ms from the restart until /readyz said 200 (null: never within the limit). */
  readyAgainMs: Record<string, number | null>;
  /** ms from the restart until the stored positions moved again, or nothing was left to consume (null: neither within the limit). */
  resumedAfterMs: number | null;
  /** Instances that exited during the outage or the recovery, with how. */
  exited: Record<string, string>;
  errors: string[];
}

/** The stored Postgres positions of the source topics, as one comparable string. */
export async function storedPositions(pool: pg.Pool): Promise<string> {
  const rows = await new PositionStore(pool).list();
  return rows.map((r) => `${r.stream}[${r.partition}]=${r.next}`).join(' ');
}

/** The consumer group's committed Kafka offsets, as one comparable string. */
export async function committedOffsets(kafka: Kafka, groupId: string, topics: string[]): Promise<string> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    const offsets = await admin.fetchOffsets({ groupId, topics });
    return offsets
      .flatMap((t) => t.partitions.map((p) => `${t.topic}[${p.partition}]=${p.offset}`))
      .sort()
      .join(' ');
  } finally {
    await admin.disconnect();
  }
}

/**
 * Takes a service down for `downMs`, polls /readyz of every running instance
 * once a second meanwhile, snapshots the positions that must not move, then
 * brings it back and measures how long each instance takes to be ready and
 * the positions to move again.
 *
 * Postgres down: the consumer group's committed offsets must not move (they
 * are committed only after the Postgres transaction). Kafka down: the
 * positions stored in Postgres must not move once what was fetched before is
 * applied (nothing new can be consumed).
 */
export async function outage(
  service: 'pg' | 'kafka',
  downMs: number,
  instances: Instances,
  snapshot: () => Promise<string>,
  resumed: () => Promise<string>,
  idle: () => Promise<boolean>,
): Promise<OutageReport> {
  // Kafka down: what was fetched before may still be applied for a moment; nothing after that.
  const graceMs = service === 'pg' ? 1_500 : 8_000;
  const report: OutageReport = {
    service,
    positionsOf: service === 'pg' ? 'Kafka committed offsets of the group' : 'positions stored in Postgres',
    plannedMs: downMs,
    downMs: 0,
    during: [],
    graceMs,
    frozen: undefined,
    readyAgainMs: {},
    resumedAfterMs: null,
    exited: {},
    errors: [],
  };
  const watched = instances.running;
  instances.paused = true;
  try {
    await services('down', service);
    const downAt = Date.now();
    let first: string | undefined;
    while (Date.now() - downAt < downMs) {
      const t = Date.now() - downAt;
      if (t >= graceMs) {
        const polls = await Promise.all(watched.map(async (p) => ({ instance: p.name, t, ...(await p.readyz(PROBE_TIMEOUT_MS)) })));
        report.during.push(...polls);
        if (first === undefined) first = await snapshot().catch((err: Error) => `error: ${err.message}`);
      }
      await sleep(Math.min(1_000, downMs - (Date.now() - downAt)));
    }
    const last = await snapshot().catch((err: Error) => `error: ${err.message}`);
    if (first !== undefined) report.frozen = { first, last, equal: first === last };
    // The baseline for "resumed": the last reading while down (Kafka), or the first one once back (Postgres).
    let before = await resumed().catch(() => undefined);
    await services('up', service);
    const upAt = Date.now();
    report.downMs = upAt - downAt;
    instances.paused = false;
    const pending = new Set(watched.filter((p) => p.running));
    for (const p of watched) report.readyAgainMs[p.name] = null;
    while (Date.now() - upAt < 90_000 && (pending.size > 0 || report.resumedAfterMs === null)) {
      for (const p of [...pending]) {
        if ((await p.readyz(PROBE_TIMEOUT_MS)).status === 200) {
          report.readyAgainMs[p.name] = Date.now() - upAt;
          pending.delete(p);
        }
      }
      if (report.resumedAfterMs === null) {
        const now = await resumed().catch(() => undefined);
        if (before === undefined) before = now;
        else if ((now !== undefined && now !== before) || (await idle().catch(() => false))) report.resumedAfterMs = Date.now() - upAt;
      }
      await sleep(250);
    }
  } catch (err) {
    report.errors.push((err as Error).message);
    await services('up', service).catch((e: Error) => report.errors.push(e.message));
  } finally {
    instances.paused = false;
  }
  for (const p of watched) if (p.exit) report.exited[p.name] = `exit code ${p.exit.code}, signal ${p.exit.signal}`;
  return report;
}

/** Everything wrong with an outage report, as sentences (empty: it behaved). */
export function outageProblems(report: OutageReport | undefined, name: string): string[] {
  if (!report) return [`${name}: the outage did not run`];
  const problems = [...report.errors.map((e) => `${name}: ${e}`)];
  const instances = new Set(report.during.map((p) => p.instance));
  if (report.during.length === 0) problems.push(`${name}: no /readyz poll during the outage`);
  for (const [instance, how] of Object.entries(report.exited)) problems.push(`${name}: ${instance} exited (${how}) instead of waiting for the service`);
  for (const instance of instances) {
    const polls = report.during.filter((p) => p.instance === instance);
    // An instance that exited is reported once, above.
    const bad = polls.filter((p) => p.status !== 503 && p.status !== 'exited');
    if (bad.length > 0) {
      const kinds = [...new Set(bad.map((p) => String(p.status)))].join(', ');
      problems.push(`${name}: ${instance} answered /readyz ${bad.length} of ${polls.length} times with ${kinds} instead of 503 while the service was down`);
    }
  }
  if (!report.frozen) problems.push(`${name}: positions were not sampled during the outage`);
  else if (!report.frozen.equal) problems.push(`${name}: ${report.positionsOf} moved during the outage:\n  ${report.frozen.first}\n  ${report.frozen.last}`);
  for (const [instance, ms] of Object.entries(report.readyAgainMs)) {
    if (ms === null && !report.exited[instance]) problems.push(`${name}: ${instance} did not report ready within 90 s after the service came back`);
  }
  if (report.resumedAfterMs === null) problems.push(`${name}: consumption did not resume within 90 s after the service came back`);
  return problems;
}
