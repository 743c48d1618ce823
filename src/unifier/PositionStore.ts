import type { QueryResultRow } from 'pg';
import type { PositionAdvance, SourcePosition } from '../contract.js';
import { formatLsn, parseLsn } from '../replication/lsn.js';
import type { Queryable } from '../replication/slots.js';

/**
 * The one place that reads and writes `custsync.source_positions`: where
 * every source stands. A position is a stream (one Kafka topic, WAL slot or
 * import file), a partition within it, and the next ordinal to apply (offset,
 * LSN as a number, line). The batch engine advances positions in the same
 * transaction as the data (`lock`, `advance`); sources read them to resume,
 * seek and measure lag; `status` and `positions list/reset` show and move them.
 */

/** A position as stored: "everything in (stream, partition) before `ordinal` + 1 is applied" for a record at `ordinal`. */
export interface PositionKey {
  stream: string;
  partition: number;
  ordinal: bigint;
}

/** Stream names, one spelling per kind of source. */
export const streams = {
  kafka: (topic: string): string => `kafka:${topic}`,
  wal: (slotName: string): string => `wal:${slotName}`,
  import: (source: string): string => `import:${source}`,
  /** The rows of a WAL source's initial snapshot taken at `lsn` are positioned like the lines of an import of that name. */
  walSnapshotSource: (slotName: string, lsn: string): string => `wal-snapshot:${slotName}@${lsn}`,
  /** The topic of a `kafka:` stream, else null. */
  topicOf: (stream: string): string | null => (stream.startsWith('kafka:') ? stream.slice('kafka:'.length) : null),
  isWal: (stream: string): boolean => stream.startsWith('wal:'),
} as const;

/** "Every transaction of the slot committed at or before `lsn` is applied." */
export function walAdvance(slotName: string, lsn: string): PositionAdvance {
  return { stream: streams.wal(slotName), partition: 0, next: parseLsn(lsn) + 1n };
}

/** A stored ordinal as people read it: an LSN for WAL streams, the number otherwise. */
export function showOrdinal(stream: string, next: bigint | string): string {
  return streams.isWal(stream) ? formatLsn(BigInt(next)) : String(next);
}

/** The stored key of a position; operator edits have none (they are never replayed). */
export function positionKey(position: SourcePosition): PositionKey | null {
  switch (position.kind) {
    case 'kafka':
      return { stream: streams.kafka(position.topic), partition: position.partition, ordinal: BigInt(position.offset) };
    case 'wal':
      return { stream: streams.wal(position.slot), partition: 0, ordinal: parseLsn(position.lsn) };
    case 'import':
      return { stream: streams.import(position.source), partition: 0, ordinal: BigInt(position.line) };
    case 'operator':
      return null;
  }
}

/** The key of (stream, partition) in the maps the store returns. */
export function storedKey(stream: string, partition: number): string {
  return `${stream}\u0000${partition}`;
}

/** For each (stream, partition) among `positions`, the ordinal after the last one. */
export function advancesFor(positions: Iterable<SourcePosition>): PositionAdvance[] {
  const byKey = new Map<string, PositionAdvance>();
  for (const position of positions) {
    const key = positionKey(position);
    if (!key) continue;
    const id = storedKey(key.stream, key.partition);
    const next = key.ordinal + 1n;
    const known = byKey.get(id);
    if (!known || known.next < next) byKey.set(id, { stream: key.stream, partition: key.partition, next });
  }
  return [...byKey.values()];
}

/** Merges advances, keeping the furthest per (stream, partition), sorted for a deterministic lock order. */
export function mergeAdvances(...lists: PositionAdvance[][]): PositionAdvance[] {
  const byKey = new Map<string, PositionAdvance>();
  for (const advance of lists.flat()) {
    const id = storedKey(advance.stream, advance.partition);
    const known = byKey.get(id);
    if (!known || known.next < advance.next) byKey.set(id, advance);
  }
  return [...byKey.values()].sort((a, b) => (a.stream < b.stream ? -1 : a.stream > b.stream ? 1 : a.partition - b.partition));
}

/** Whether a stored position already covers this record. */
export function isApplied(position: SourcePosition, stored: ReadonlyMap<string, bigint>): boolean {
  const key = positionKey(position);
  if (!key) return false;
  const next = stored.get(storedKey(key.stream, key.partition));
  return next !== undefined && key.ordinal < next;
}

/** A stored row, as `status` and `positions list` show it. */
export interface StoredPosition {
  stream: string;
  partition: number;
  next: bigint;
  /** Kafka streams: the topic's id when the position was stored (uuid text), null when not recorded yet. */
  topicId: string | null;
  updatedAt: Date;
}

/** The batch transaction's statements, named (the engine times each by name, see engine/statements.ts). */
export interface NamedQueries {
  query<R extends QueryResultRow>(name: string, sql: string, params?: unknown[]): Promise<R[]>;
}

const SQL = {
  /**
   * Creates missing position rows and locks all of the batch's, in key order,
   * returning the stored positions. A zombie consumer holding the same
   * partition after a rebalance waits here, then sees the other's progress.
   */
  lock: `
INSERT INTO custsync.source_positions AS p (stream, partition, next_ordinal)
SELECT stream, partition, 0 FROM unnest($1::text[], $2::int[]) AS v(stream, partition)
ORDER BY stream, partition
ON CONFLICT (stream, partition) DO UPDATE SET next_ordinal = p.next_ordinal
RETURNING stream, partition, next_ordinal::text`,
  advance: `
UPDATE custsync.source_positions AS p
   SET next_ordinal = GREATEST(p.next_ordinal, v.next), updated_at = CURRENT_TIMESTAMP
  FROM unnest($1::text[], $2::int[], $3::bigint[]) AS v(stream, partition, next)
 WHERE p.stream = v.stream AND p.partition = v.partition`,
  byKeys: `
SELECT stream, partition, next_ordinal::text AS next FROM custsync.source_positions
 WHERE (stream, partition) IN (SELECT * FROM unnest($1::text[], $2::int[]))`,
  byStreams: `SELECT stream, partition, next_ordinal::text AS next FROM custsync.source_positions WHERE stream = ANY($1::text[])`,
  one: `SELECT next_ordinal::text AS next, topic_id::text AS topic_id FROM custsync.source_positions WHERE stream = $1 AND partition = $2`,
  all: `SELECT stream, partition, next_ordinal::text AS next, topic_id::text AS topic_id, updated_at FROM custsync.source_positions ORDER BY stream, partition`,
  /** The engine writes positions without a topic id; the Kafka source adds it where it is still missing. */
  recordTopicId: `UPDATE custsync.source_positions SET topic_id = $2::uuid WHERE stream = $1 AND topic_id IS NULL`,
  set: `
INSERT INTO custsync.source_positions (stream, partition, next_ordinal, topic_id, updated_at)
VALUES ($1, $2, $3, $4::uuid, now())
ON CONFLICT (stream, partition) DO UPDATE SET next_ordinal = EXCLUDED.next_ordinal, topic_id = EXCLUDED.topic_id, updated_at = now()`,
  forgetPrefix: `DELETE FROM custsync.source_positions WHERE left(stream, length($1)) = $1`,
} as const;

interface Row extends QueryResultRow {
  stream: string;
  partition: number;
  next: string;
}

function byKey(rows: readonly Row[]): Map<string, bigint> {
  return new Map(rows.map((r) => [storedKey(r.stream, r.partition), BigInt(r.next)]));
}

export class PositionStore {
  constructor(private readonly db: Queryable) {}

  /** Inside a batch's transaction: creates and locks the positions the batch advances, returning what is stored (by `storedKey`). */
  static async lock(tx: NamedQueries, advances: readonly PositionAdvance[]): Promise<Map<string, bigint>> {
    if (advances.length === 0) return new Map();
    const rows = await tx.query<{ stream: string; partition: number; next_ordinal: string }>('lock positions', SQL.lock, [
      advances.map((a) => a.stream),
      advances.map((a) => a.partition),
    ]);
    return new Map(rows.map((r) => [storedKey(r.stream, r.partition), BigInt(r.next_ordinal)]));
  }

  /** Inside the same transaction, after the data: moves each position forward (never back). */
  static async advance(tx: NamedQueries, advances: readonly PositionAdvance[]): Promise<void> {
    if (advances.length === 0) return;
    await tx.query('advance positions', SQL.advance, [advances.map((a) => a.stream), advances.map((a) => a.partition), advances.map((a) => a.next.toString())]);
  }

  /** The next ordinal of one (stream, partition); undefined when nothing was stored. */
  async next(stream: string, partition = 0): Promise<bigint | undefined> {
    return (await this.withTopicId(stream, partition))?.next;
  }

  /** The next ordinal and the recorded topic id of one (stream, partition). */
  async withTopicId(stream: string, partition: number): Promise<{ next: bigint; topicId: string | null } | null> {
    const { rows } = await this.db.query<{ next: string; topic_id: string | null }>(SQL.one, [stream, partition]);
    const row = rows[0];
    return row ? { next: BigInt(row.next), topicId: row.topic_id } : null;
  }

  /** The next ordinals of these (stream, partition) pairs, by `storedKey`; absent ones are missing. */
  async nextOf(keys: readonly { stream: string; partition: number }[]): Promise<Map<string, bigint>> {
    if (keys.length === 0) return new Map();
    const { rows } = await this.db.query<Row>(SQL.byKeys, [keys.map((k) => k.stream), keys.map((k) => k.partition)]);
    return byKey(rows);
  }

  /** Every stored partition of these streams, by `storedKey`. */
  async nextOfStreams(names: readonly string[]): Promise<Map<string, bigint>> {
    if (names.length === 0) return new Map();
    const { rows } = await this.db.query<Row>(SQL.byStreams, [names]);
    return byKey(rows);
  }

  /** Every stored position, by stream and partition. */
  async list(): Promise<StoredPosition[]> {
    const { rows } = await this.db.query<Row & { topic_id: string | null; updated_at: Date }>(SQL.all);
    return rows.map((r) => ({ stream: r.stream, partition: r.partition, next: BigInt(r.next), topicId: r.topic_id, updatedAt: r.updated_at }));
  }

  /** Records the Kafka topic's id on the stream's positions that have none; returns how many rows it set. */
  async recordTopicId(stream: string, topicId: string): Promise<number> {
    const { rowCount } = await this.db.query(SQL.recordTopicId, [stream, topicId]);
    return rowCount ?? 0;
  }

  /** Sets positions outright (`positions reset`): run it in a transaction of its own (`db` a client). */
  async set(stream: string, positions: readonly { partition: number; next: bigint | string }[], topicId: string | null): Promise<void> {
    for (const p of positions) await this.db.query(SQL.set, [stream, p.partition, p.next.toString(), topicId]);
  }

  /** Forgets every stream whose name starts with `prefix` (the progress of a finished WAL snapshot). */
  async forgetStreamsStartingWith(prefix: string): Promise<void> {
    await this.db.query(SQL.forgetPrefix, [prefix]);
  }
}
