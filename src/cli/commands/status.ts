import type { Command } from 'commander';
import type pg from 'pg';
import { publisherHolder, type PublisherHolder } from '../../audit/publisher/leadership.js';
import type { Config } from '../../runtime/config.js';
import { createPool } from '../../runtime/db.js';
import { componentLogger } from '../../runtime/logger.js';
import { PositionStore, showOrdinal } from '../../unifier/PositionStore.js';
import { listSlots, recordedSlots, type SlotInfo } from '../../replication/slots.js';
import { loadContext, type GlobalOptions } from '../context.js';

export interface SlotStatus extends SlotInfo {
  /** Who created it, when custsync did (custsync.replication_slots). */
  purpose: string | null;
  /** custsync created it and it is gone, or Postgres invalidated it. */
  lost: boolean;
}

export interface StreamPosition {
  stream: string;
  partitions: { partition: number; next: string }[];
  updatedAt: Date;
}

export interface Status {
  database: { name: string; version: string; walLevel: string };
  publisher: { enabled: boolean; slot: string; publication: string; leader: PublisherHolder | null; standbys: number };
  slots: SlotStatus[];
  positions: StreamPosition[];
}

/** Publisher sessions waiting for the lock: every instance names its session `custsync-publisher <host>:<pid>`. */
const COUNT_PUBLISHER_SESSIONS = `
SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = current_database() AND application_name LIKE 'custsync-publisher %'`;

export async function collectStatus(pool: pg.Pool, config: Config): Promise<Status> {
  const [db, slots, recorded, leader, sessions, positions] = await Promise.all([
    pool.query<{ name: string; version: string; wal_level: string }>(
      `SELECT current_database() AS name, current_setting('server_version') AS version, current_setting('wal_level') AS wal_level`,
    ),
    listSlots(pool),
    recordedSlots(pool),
    publisherHolder(pool, config.publisher.slotName),
    pool.query<{ n: number }>(COUNT_PUBLISHER_SESSIONS),
    new PositionStore(pool).list(),
  ]);
  const byName = new Map(slots.map((s): [string, SlotStatus] => [s.name, { ...s, purpose: null, lost: s.walStatus === 'lost' }]));
  for (const r of recorded) {
    const known = byName.get(r.slotName);
    if (known) known.purpose = r.purpose;
    else {
      byName.set(r.slotName, {
        name: r.slotName, plugin: null, database: null, inThisDatabase: true, active: false, activePid: null, walStatus: null,
        restartLsn: null, confirmedFlushLsn: null, lagBytes: null, purpose: r.purpose, lost: true,
      });
    }
  }
  const streams = new Map<string, StreamPosition>();
  for (const row of positions) {
    const entry = streams.get(row.stream) ?? { stream: row.stream, partitions: [], updatedAt: row.updatedAt };
    // WAL sources store the next LSN as a number; shown as an LSN.
    entry.partitions.push({ partition: row.partition, next: showOrdinal(row.stream, row.next) });
    if (row.updatedAt > entry.updatedAt) entry.updatedAt = row.updatedAt;
    streams.set(row.stream, entry);
  }
  const info = db.rows[0];
  return {
    database: { name: info?.name ?? '?', version: info?.version ?? '?', walLevel: info?.wal_level ?? '?' },
    publisher: {
      enabled: config.publisher.enabled,
      slot: config.publisher.slotName,
      publication: config.publisher.publicationName,
      leader,
      standbys: Math.max((sessions.rows[0]?.n ?? 0) - (leader ? 1 : 0), 0),
    },
    slots: [...byName.values()].sort((a, b) => a.name.localeCompare(b.name)),
    positions: [...streams.values()],
  };
}

function bytes(n: number | null): string {
  return n === null ? '?' : `${n.toLocaleString('en-US')} bytes`;
}

export function formatStatus(status: Status): string {
  const lines: string[] = [];
  const { database: db, publisher } = status;
  lines.push(`database   ${db.name} (PostgreSQL ${db.version}, wal_level ${db.walLevel})`);
  const leader = publisher.leader
    ? `leader ${publisher.leader.applicationName} (backend pid ${publisher.leader.pid}, since ${publisher.leader.since?.toISOString() ?? '?'})`
    : 'no leader';
  lines.push(
    publisher.enabled
      ? `publisher  slot ${publisher.slot}, publication ${publisher.publication}: ${leader}; ${publisher.standbys} standby`
      : 'publisher  disabled (publisher.enabled: false)',
  );
  lines.push('slots');
  if (status.slots.length === 0) lines.push('  (none)');
  for (const s of status.slots) {
    if (s.lost && s.walStatus !== 'lost') {
      lines.push(`  ${s.name}  LOST: created by custsync (${s.purpose ?? '?'}) but no longer exists`);
      continue;
    }
    const state = s.active ? `active (pid ${s.activePid ?? '?'})` : 'inactive';
    lines.push(
      `  ${s.name}  ${s.purpose ?? 'not created by custsync'}  ${state}  wal_status ${s.walStatus ?? '?'}${s.lost ? ' (LOST)' : ''}  ` +
        `confirmed ${s.confirmedFlushLsn ?? '?'}  lag ${bytes(s.lagBytes)}`,
    );
  }
  lines.push('source positions');
  if (status.positions.length === 0) lines.push('  (none)');
  for (const p of status.positions) {
    const next = p.partitions.map((x) => (p.partitions.length === 1 && x.partition === 0 ? x.next : `[${x.partition}] ${x.next}`)).join('  ');
    lines.push(`  ${p.stream}  next ${next}  updated ${p.updatedAt.toISOString()}`);
  }
  return `${lines.join('\n')}\n`;
}

export function registerStatusCommand(program: Command): void {
  program
    .command('status')
    .description('Show replication slots and their lag, the active change publisher and source positions (exit 1 if a slot was lost)')
    .option('--json', 'print JSON')
    .action(async (options: { json?: boolean }, command: Command) => {
      const { config, logger } = loadContext(command.optsWithGlobals<GlobalOptions>());
      const pool = createPool(config.database, componentLogger(logger, 'postgres'), 'custsync-cli');
      try {
        const status = await collectStatus(pool, config);
        process.stdout.write(options.json ? `${JSON.stringify(status, null, 2)}\n` : formatStatus(status));
        if (status.slots.some((s) => s.lost)) process.exitCode = 1;
      } finally {
        await pool.end();
      }
    });
}
