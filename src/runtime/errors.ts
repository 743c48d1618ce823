import { RETRY_POLICY } from './retryPolicy.js';

/**
 * Typed, coded errors. A caught `unknown` is normalized once with
 * `toCustsyncError`; whether and how to retry is the retry table's decision
 * for its code (retryPolicy.ts), not scattered checks.
 */
export type ErrorCode =
  /** The configuration file is missing, unreadable or does not match the schema. */
  | 'CUSTSYNC_CONFIG_INVALID'
  /** A command-line argument is wrong (unknown field, missing option). */
  | 'CUSTSYNC_USAGE'
  /** Postgres refused or dropped the connection, or is starting up / shutting down. */
  | 'CUSTSYNC_DB_UNAVAILABLE'
  /** A statement failed for a reason a retry may cure (deadlock, serialization). */
  | 'CUSTSYNC_DB_CONFLICT'
  /** A statement failed for a reason a retry will not cure. */
  | 'CUSTSYNC_DB_ERROR'
  /** Applying migrations failed. */
  | 'CUSTSYNC_MIGRATION_FAILED'
  /** The database is not configured for logical replication (wal_level, slots). */
  | 'CUSTSYNC_WAL_NOT_LOGICAL'
  /** A replication slot custsync relies on is missing or was invalidated. */
  | 'CUSTSYNC_SLOT_LOST'
  /** The Kafka broker is unreachable or answered with a retriable error. */
  | 'CUSTSYNC_KAFKA_UNAVAILABLE'
  /** Kafka answered with an error a retry will not cure. */
  | 'CUSTSYNC_KAFKA_ERROR'
  /** An incoming message could not be decoded, validated or mapped (goes to the dead-letter topic). */
  | 'CUSTSYNC_RECORD_INVALID'
  /** A payload passed its schema but cannot become a record (e.g. no email): dead-lettered, never retried. */
  | 'CUSTSYNC_MAPPING_FAILED'
  /** A configured `mapper:` name that no mapper has. */
  | 'CUSTSYNC_UNKNOWN_MAPPER'
  /** A component did not stop within its deadline. */
  | 'CUSTSYNC_SHUTDOWN_TIMEOUT'
  /** Anything not classified above: a bug until proven otherwise. */
  | 'CUSTSYNC_INTERNAL';

export class CustsyncError extends Error {
  readonly code: ErrorCode;
  override readonly cause?: unknown;

  constructor(code: ErrorCode, message: string, options: { cause?: unknown } = {}) {
    super(message);
    this.name = 'CustsyncError';
    this.code = code;
    this.cause = options.cause;
  }

  /** Whether a retry may cure it: the retry table's answer for its code (retryPolicy.ts). */
  get retriable(): boolean {
    return RETRY_POLICY[this.code].retriable;
  }
}

/** An error the user caused (bad config, bad flag): printed without a stack trace, exit code 2. */
export class UserError extends CustsyncError {
  constructor(code: 'CUSTSYNC_CONFIG_INVALID' | 'CUSTSYNC_USAGE', message: string) {
    super(code, message);
    this.name = 'UserError';
  }
}

/**
 * SQLSTATEs worth retrying the whole transaction for (the set graphile-worker
 * and most Postgres drivers agree on), and connection-level failures, with
 * the code whose policy retries them.
 */
const RETRIABLE_SQLSTATES: ReadonlyMap<string, ErrorCode> = new Map([
  ['40001', 'CUSTSYNC_DB_CONFLICT'], // serialization_failure
  ['40P01', 'CUSTSYNC_DB_CONFLICT'], // deadlock_detected
  ['55P03', 'CUSTSYNC_DB_CONFLICT'], // lock_not_available
  ['57P01', 'CUSTSYNC_DB_UNAVAILABLE'], // admin_shutdown
  ['57P02', 'CUSTSYNC_DB_UNAVAILABLE'], // crash_shutdown
  ['57P03', 'CUSTSYNC_DB_UNAVAILABLE'], // cannot_connect_now
  ['53300', 'CUSTSYNC_DB_UNAVAILABLE'], // too_many_connections
  ['08000', 'CUSTSYNC_DB_UNAVAILABLE'],
  ['08003', 'CUSTSYNC_DB_UNAVAILABLE'],
  ['08006', 'CUSTSYNC_DB_UNAVAILABLE'],
  ['08001', 'CUSTSYNC_DB_UNAVAILABLE'],
  ['08004', 'CUSTSYNC_DB_UNAVAILABLE'],
]);

const RETRIABLE_NODE_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH']);

function fieldOf(err: unknown, key: string): unknown {
  return typeof err === 'object' && err !== null ? (err as Record<string, unknown>)[key] : undefined;
}

/** Normalizes anything thrown into a CustsyncError, keeping the original as `cause`. */
export function toCustsyncError(err: unknown): CustsyncError {
  if (err instanceof CustsyncError) return err;
  const message = err instanceof Error ? err.message : String(err);
  const code = fieldOf(err, 'code');
  if (typeof code === 'string') {
    const sqlCode = RETRIABLE_SQLSTATES.get(code);
    if (sqlCode) return new CustsyncError(sqlCode, message, { cause: err });
    if (RETRIABLE_NODE_CODES.has(code)) {
      return new CustsyncError('CUSTSYNC_DB_UNAVAILABLE', message, { cause: err });
    }
    if (/^[0-9A-Z]{5}$/.test(code)) return new CustsyncError('CUSTSYNC_DB_ERROR', message, { cause: err });
  }
  // pg reports a dropped connection as a plain Error with these messages.
  if (/Connection terminated|connection timeout|terminating connection|Client has encountered a connection error/i.test(message)) {
    return new CustsyncError('CUSTSYNC_DB_UNAVAILABLE', message, { cause: err });
  }
  // kafkajs marks its errors with `retriable` (src/errors.js).
  const kafkaRetriable = fieldOf(err, 'retriable');
  const name = fieldOf(err, 'name');
  if (typeof name === 'string' && name.startsWith('KafkaJS')) {
    return new CustsyncError(kafkaRetriable === false ? 'CUSTSYNC_KAFKA_ERROR' : 'CUSTSYNC_KAFKA_UNAVAILABLE', message, { cause: err });
  }
  return new CustsyncError('CUSTSYNC_INTERNAL', message, { cause: err });
}

/** Whether retrying the same work later may succeed. */
export function isRetriable(err: unknown): boolean {
  return toCustsyncError(err).retriable;
}

/** Exit codes of the `custsync` command, documented in the README. */
export const EXIT = {
  OK: 0,
  FAILURE: 1,
  USAGE: 2,
  UNAVAILABLE: 3,
} as const;
