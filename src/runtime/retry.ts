import { toCustsyncError, type CustsyncError } from './errors.js';
import type { Logger } from './logger.js';
import { backoffMs, RETRY_POLICY } from './retryPolicy.js';
import { sleep } from './sleep.js';

/** Thrown by `retry` when told to stop before the work succeeded. */
export class StoppedError extends Error {
  constructor() {
    super('stopped before the work could be done');
  }
}

/** One attempt of the work. */
export interface Attempt {
  /** 1 for the first attempt. */
  readonly n: number;
  /** The work went through (a batch applied, a consumer ran): the next failure starts the backoff from the beginning. */
  healthy(): void;
}

export interface RetryOptions {
  /** What is retried, for the log line (`batch failed; pausing and retrying`). */
  what: string;
  logger: Logger;
  /**
   * Work that may fail (a one-shot command): at most this many attempts, and
   * only for codes the table marks retriable. Without it the work must not be
   * skipped (a batch, a consumer, a replication term): every code but the
   * fatal ones is retried until the work succeeds or is stopped.
   */
  maxAttempts?: number;
  /** Give up (the daemon is stopping, the partition was revoked): `retry` throws StoppedError before the next attempt. */
  signal?: AbortSignal;
  shouldStop?: () => boolean;
  /** Called about every half second while waiting (Kafka heartbeats). */
  onWait?: () => Promise<void>;
  /** Told of every failure before the wait (readiness, metrics, a search for the cause); awaited. */
  onFailure?: (error: CustsyncError, attempt: number, delayMs: number) => void | Promise<void>;
  /** Told when the work succeeds (readiness). */
  onSuccess?: () => void;
  /** The log line of a failure, instead of `<what> failed; (pausing and) retrying`. */
  message?: string;
}

/**
 * The one retry loop: runs `work` until it succeeds, waiting between attempts
 * as the retry table (retryPolicy.ts) says for the error's code. Nothing
 * retried here retries again inside: each failure has exactly one place that
 * decides what happens next.
 */
export async function retry<T>(options: RetryOptions, work: (attempt: Attempt) => Promise<T>): Promise<T> {
  const bounded = options.maxAttempts !== undefined;
  const stopped = () => options.signal?.aborted === true || options.shouldStop?.() === true;
  let failures = 0;
  for (let n = 1; ; n += 1) {
    if (!bounded && stopped()) throw new StoppedError();
    try {
      const result = await work({ n, healthy: () => (failures = 0) });
      options.onSuccess?.();
      return result;
    } catch (err) {
      if (err instanceof StoppedError) throw err;
      const error = toCustsyncError(err);
      const policy = RETRY_POLICY[error.code];
      if (policy.fatal || (bounded && (!policy.retriable || n >= (options.maxAttempts ?? 1)))) throw error;
      // A failure while stopping is the stop's doing (a connection closed under the work): not worth a retry or a log line.
      if (!bounded && stopped()) throw new StoppedError();
      failures += 1;
      const delay = backoffMs(error.code, failures);
      await options.onFailure?.(error, failures, delay);
      const line = options.message ?? `${options.what} failed; ${bounded ? 'retrying' : 'pausing and retrying'}`;
      const fields = { code: error.code, attempt: failures, delayMs: delay, err: error.message };
      if (bounded) options.logger.warn(fields, line);
      else options.logger.error(fields, line);
      await waitOut(delay, options, stopped);
    }
  }
}

/** Waits `ms` in slices of half a second, heartbeating, and returns early once stopped. */
async function waitOut(ms: number, options: RetryOptions, stopped: () => boolean): Promise<void> {
  const until = Date.now() + ms;
  while (Date.now() < until && !stopped()) {
    await sleep(Math.min(500, until - Date.now()), options.signal);
    await options.onWait?.().catch(() => undefined);
  }
}
