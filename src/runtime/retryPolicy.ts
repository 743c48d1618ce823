import type { ErrorCode } from './errors.js';

/**
 * How failed work is retried, by error code: the one table every retry in
 * custsync reads (graphile-worker keeps its retryable SQLSTATEs in one table
 * the same way). `retry()` (retry.ts) applies it to work that may fail —
 * one-shot commands retry only `retriable` codes, a few times — and to work
 * that must not be skipped — a batch, a forget request, a consumer, a
 * replication term — which retries every code but the `fatal` ones until it
 * is stopped, so a cause an operator fixes (a privilege, a full disk) only
 * pauses the source.
 */
export interface RetryPolicy {
  /** A retry may cure it: the cause is transient (a lock conflict, a server away). */
  retriable: boolean;
  /** Nothing a retry or a restart can cure: the daemon stops with a clear error instead of running without the component. */
  fatal: boolean;
  /** The first wait; doubled per attempt up to `maxMs`; ±25% jitter so instances do not retry in step. */
  firstMs: number;
  maxMs: number;
}

/** Deadlock, serialization failure, a unique-email race: retry at once, the other transaction is about done. */
const CONFLICT: RetryPolicy = { retriable: true, fatal: false, firstMs: 50, maxMs: 5_000 };
/** Postgres or Kafka unreachable, starting or stopping: back soon, usually. */
const UNAVAILABLE: RetryPolicy = { retriable: true, fatal: false, firstMs: 250, maxMs: 10_000 };
/** Not transient, but not hopeless either (a privilege, a bug in one payload's path): work that must not be skipped waits longer. */
const BROKEN: RetryPolicy = { retriable: false, fatal: false, firstMs: 1_000, maxMs: 30_000 };
/** Configuration or setup the operator must fix first. */
const FATAL: RetryPolicy = { retriable: false, fatal: true, firstMs: 0, maxMs: 0 };

export const RETRY_POLICY: Readonly<Record<ErrorCode, RetryPolicy>> = Object.freeze({
  CUSTSYNC_CONFIG_INVALID: FATAL,
  CUSTSYNC_USAGE: FATAL,
  CUSTSYNC_DB_UNAVAILABLE: UNAVAILABLE,
  CUSTSYNC_DB_CONFLICT: CONFLICT,
  CUSTSYNC_DB_ERROR: BROKEN,
  CUSTSYNC_MIGRATION_FAILED: FATAL,
  CUSTSYNC_WAL_NOT_LOGICAL: FATAL,
  CUSTSYNC_SLOT_LOST: FATAL,
  CUSTSYNC_KAFKA_UNAVAILABLE: UNAVAILABLE,
  CUSTSYNC_KAFKA_ERROR: BROKEN,
  CUSTSYNC_RECORD_INVALID: BROKEN,
  CUSTSYNC_MAPPING_FAILED: BROKEN,
  CUSTSYNC_UNKNOWN_MAPPER: FATAL,
  CUSTSYNC_SHUTDOWN_TIMEOUT: BROKEN,
  CUSTSYNC_INTERNAL: BROKEN,
});

/** Pure: the wait before retry number `attempt` (from 1) after a failure with `code`. */
export function backoffMs(code: ErrorCode, attempt: number, random: () => number = Math.random): number {
  const { firstMs, maxMs } = RETRY_POLICY[code];
  const base = Math.min(firstMs * 2 ** Math.min(Math.max(attempt, 1) - 1, 30), maxMs);
  return Math.round(base * (0.75 + random() / 2));
}
