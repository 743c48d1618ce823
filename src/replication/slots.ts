import type pg from 'pg';
import { CustsyncError } from '../runtime/errors.js';
import { checkReplicationName } from './names.js';

/**
 * Replication slots: create, check, list, drop. Every failure is a clear,
 * typed error (never a silent fallback). Slots custsync creates are recorded
 * in `custsync.replication_slots` (migration 0005) so that a slot that
 * existed and disappeared is told apart from one never created.
 * publication.ts checks the server and the tables (re-exported here).
 */

/** Anything that runs a query: a pool or a client (normal, not replication, connection). */
export interface Queryable {
  query<R extends pg.QueryResultRow = pg.QueryResultRow>(text: string, values?: unknown[]): Promise<pg.QueryResult<R>>;
}

export { checkLogicalReplication, checkReplicaIdentityFull, ensurePublication } from './publication.js';
export { checkReplicationName } from './names.js';

export interface TableRef {
  schema: string;
  table: string;
}

export interface SlotInfo {
  name: string;
  plugin: string | null;
  /** Database the slot decodes; null for physical slots. */
  database: string | null;
  /** Whether the slot belongs to the database `db` is connected to. */
  inThisDatabase: boolean;
  active: boolean;
  activePid: number | null;
  /** reserved | extended | unreserved | lost */
  walStatus: string | null;
  restartLsn: string | null;
  confirmedFlushLsn: string | null;
  /** WAL the slot retains: pg_current_wal_lsn() − confirmed_flush_lsn. */
  lagBytes: number | null;
}

export interface RecordedSlot {
  slotName: string;
  purpose: string;
  createdAt: Date;
  createdLsn: string | null;
}


interface SlotRow {
  name: string;
  plugin: string | null;
  database: string | null;
  here: boolean;
  active: boolean;
  active_pid: number | null;
  wal_status: string | null;
  restart_lsn: string | null;
  confirmed_flush_lsn: string | null;
  lag_bytes: string | null;
}

const SLOT_COLUMNS = `
SELECT s.slot_name::text AS name, s.plugin::text, s.database::text AS database,
       coalesce(s.database = current_database(), false) AS here, s.active, s.active_pid, s.wal_status,
       s.restart_lsn::text, s.confirmed_flush_lsn::text,
       pg_wal_lsn_diff(pg_current_wal_lsn(), s.confirmed_flush_lsn)::bigint::text AS lag_bytes
  FROM pg_replication_slots s`;

function slotInfo(row: SlotRow): SlotInfo {
  return {
    name: row.name,
    plugin: row.plugin,
    database: row.database,
    inThisDatabase: row.here,
    active: row.active,
    activePid: row.active_pid,
    walStatus: row.wal_status,
    restartLsn: row.restart_lsn,
    confirmedFlushLsn: row.confirmed_flush_lsn,
    lagBytes: row.lag_bytes === null ? null : Number(row.lag_bytes),
  };
}

export async function readSlot(db: Queryable, slotName: string): Promise<SlotInfo | null> {
  const { rows } = await db.query<SlotRow>(`${SLOT_COLUMNS} WHERE s.slot_name = $1`, [slotName]);
  return rows[0] ? slotInfo(rows[0]) : null;
}

/** Logical slots of the connected database. */
export async function listSlots(db: Queryable): Promise<SlotInfo[]> {
  const { rows } = await db.query<SlotRow>(`${SLOT_COLUMNS} WHERE s.database = current_database() ORDER BY s.slot_name`);
  return rows.map(slotInfo);
}

/** Slots custsync created in this database (custsync.replication_slots). */
export async function recordedSlots(db: Queryable): Promise<RecordedSlot[]> {
  const { rows } = await db.query<{ slot_name: string; purpose: string; created_at: Date; created_lsn: string | null }>(
    `SELECT slot_name, purpose, created_at, created_lsn FROM custsync.replication_slots ORDER BY slot_name`,
  );
  return rows.map((r) => ({ slotName: r.slot_name, purpose: r.purpose, createdAt: r.created_at, createdLsn: r.created_lsn }));
}

function lostError(slotName: string, why: string, dropFirst: boolean): CustsyncError {
  const reset = `${dropFirst ? `SELECT pg_drop_replication_slot('${slotName}'); ` : ''}DELETE FROM custsync.replication_slots WHERE slot_name = '${slotName}';`;
  return new CustsyncError(
    'CUSTSYNC_SLOT_LOST',
    `replication slot "${slotName}" ${why}: the changes since its last acknowledged position can no longer be read. ` +
      `To start again from now, accepting the gap, run: ${reset} then restart custsync`,
  );
}

/**
 * The slot's state, failing with CUSTSYNC_SLOT_LOST when custsync created it
 * and it is gone, or when Postgres invalidated it (wal_status 'lost').
 * Returns null when the slot was never created.
 */
export async function checkSlot(db: Queryable, slotName: string): Promise<SlotInfo | null> {
  const slot = await readSlot(db, slotName);
  if (slot) {
    if (!slot.inThisDatabase || slot.plugin !== 'pgoutput') {
      throw new CustsyncError(
        'CUSTSYNC_CONFIG_INVALID',
        `replication slot "${slotName}" exists but ${slot.inThisDatabase ? `uses plugin ${slot.plugin ?? '(physical)'}` : `belongs to database ${slot.database ?? '(physical)'}`}; ` +
          'slot names are cluster-wide: give each custsync database its own slot name',
      );
    }
    if (slot.walStatus === 'lost') throw lostError(slotName, 'was invalidated by Postgres (wal_status lost: it fell behind by more than max_slot_wal_keep_size)', true);
    return slot;
  }
  const { rows } = await db.query<{ created_at: Date }>(`SELECT created_at FROM custsync.replication_slots WHERE slot_name = $1`, [slotName]);
  const recorded = rows[0];
  if (recorded) throw lostError(slotName, `was created on ${recorded.created_at.toISOString()} but no longer exists (dropped, or the database was restored)`, false);
  return null;
}

/** Creates the pgoutput slot when it was never created; checks it otherwise (see `checkSlot`). */
export async function ensureSlot(db: Queryable, slotName: string, purpose: string): Promise<{ slot: SlotInfo; created: boolean }> {
  checkReplicationName('slot', slotName);
  let slot = await checkSlot(db, slotName);
  let created = false;
  if (!slot) {
    try {
      await db.query(`SELECT pg_create_logical_replication_slot($1, 'pgoutput')`, [slotName]);
      created = true;
    } catch (err) {
      if ((err as { code?: string }).code !== '42710') throw err;
    }
    slot = await checkSlot(db, slotName);
    if (!slot) throw new CustsyncError('CUSTSYNC_INTERNAL', `replication slot "${slotName}" vanished right after creation`);
  }
  // Recorded after creation: a crash in between leaves a slot that the next start adopts.
  await db.query(
    `INSERT INTO custsync.replication_slots (slot_name, purpose, created_lsn) VALUES ($1, $2, $3) ON CONFLICT (slot_name) DO NOTHING`,
    [slotName, purpose, slot.confirmedFlushLsn],
  );
  return { slot, created };
}

/** Drops the slot (it must be inactive) and forgets it. */
export async function dropSlot(db: Queryable, slotName: string): Promise<void> {
  await db.query(`SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots WHERE slot_name = $1`, [slotName]);
  await db.query(`DELETE FROM custsync.replication_slots WHERE slot_name = $1`, [slotName]);
}

/**
 * Writes a non-transactional logical message: WAL moves even when the
 * database is otherwise idle, the stream delivers it, and the consumer can
 * confirm past it, so the slot never holds WAL back. Returns its LSN.
 */
export async function emitHeartbeat(db: Queryable, prefix: string): Promise<string> {
  const { rows } = await db.query<{ lsn: string }>(`SELECT pg_logical_emit_message(false, $1, now()::text)::text AS lsn`, [prefix]);
  return rows[0]?.lsn ?? '0/0';
}
