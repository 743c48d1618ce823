import type { DecodedRow } from './pgoutput.js';
import type { TableRef } from './slots.js';

/** What a ReplicationStream delivers. */

/**
 * A decoded row: column name → value, parsed by pg's type parsers (int4 →
 * number, timestamptz → Date, text → string) or, with `values: 'text'`,
 * Postgres' text output as a string. The session runs with DateStyle ISO and
 * TimeZone UTC, so a timestamptz as text reads `2024-03-01 12:00:00.123456+00`.
 */
export type WalRow = Readonly<DecodedRow>;

/**
 * One row change. `before` is the old row for updates and deletes: the full
 * row under REPLICA IDENTITY FULL, the key columns only under DEFAULT (and
 * null for updates that did not change the key).
 */
export interface WalChange {
  op: 'insert' | 'update' | 'delete';
  schema: string;
  table: string;
  before: WalRow | null;
  after: WalRow | null;
}

/** A committed transaction, delivered whole (pgoutput protocol 1 sends it at commit). */
export interface WalTransaction {
  xid: number;
  /** LSN of the commit record: unique per transaction, stable across re-reads. */
  commitLsn: string;
  /** End of the commit record: acknowledge this once the transaction is durable downstream. */
  endLsn: string;
  commitTime: Date;
  changes: WalChange[];
  /** Tables truncated in this transaction (TRUNCATE carries no rows). */
  truncated: TableRef[];
  /** Transactional logical messages (pg_logical_emit_message(true, ...)), in order; only when the stream asks for messages. */
  messages: WalMessage[];
}

/** A non-transactional logical message (pg_logical_emit_message(false, ...)). */
export interface WalMessage {
  lsn: string;
  prefix: string;
  content: Buffer;
}

export interface ReplicationHandlers {
  /** Called synchronously, in commit order; throwing ends the stream with that error. */
  onTransaction(tx: WalTransaction): void;
  onMessage?(message: WalMessage): void;
}

