import { toCustsyncError, type CustsyncError } from './errors.js';
import type { Logger } from './logger.js';
import { sleep } from './sleep.js';

export interface RetryOptions {
  maxAttempts: number;
  /** First backoff; doubled per attempt, capped at 5 s, with jitter. */
  baseMs: number;
  logger: Logger;
  /** What failed, for the log line (`batch failed; retrying`). */
  what: string;
}

/**
 * Runs `attempt` until it succeeds, retrying what a retry may cure (deadlock,
 * serialization failure, lost connection: `isRetriable`) with bounded
 * exponential backoff; anything else, or the last attempt's error, is thrown.
 * `attempt` receives the attempt number (from 1).
 */
export async function retryTransient<T>(options: RetryOptions, attempt: (n: number) => Promise<T>): Promise<T> {
  for (let n = 1; ; n += 1) {
    try {
      return await attempt(n);
    } catch (err) {
      const error = toCustsyncError(err);
      if (!error.retriable || n >= options.maxAttempts) throw error;
      const delay = Math.min(options.baseMs * 2 ** (n - 1), 5_000) * (0.5 + Math.random() / 2);
      options.logger.warn({ code: error.code, attempt: n, delayMs: Math.round(delay), err: error.message }, `${options.what} failed; retrying`);
      await sleep(delay);
    }
  }
}

/** Thrown by `retryUntilStopped` when told to stop before the work succeeded. */
export class StoppedError extends Error {
  constructor() {
    super('stopped before the work could be done');
  }
}

export interface UntilStoppedOptions {
  logger: Logger;
  /** What failed, for the log line (`batch failed; pausing and retrying`). */
  what: string;
  /** Give up (the daemon is stopping, the partition was revoked): throws StoppedError. */
  shouldStop?: () => boolean;
  /** Called about every half second while waiting (Kafka heartbeats). */
  onWait?: () => Promise<void>;
  /** Told when an attempt fails and when work succeeds again (readiness). */
  onFailure?: (error: CustsyncError) => void;
  onSuccess?: () => void;
}

/**
 * For work that must not be skipped (a batch, a forget request): on any
 * failure, wait with backoff (250 ms doubling to 10 s) and try again, until it
 * succeeds or `shouldStop` says to give up. Nothing is skipped: a failure that
 * no retry cures keeps the source paused and logging, not losing data.
 */
export async function retryUntilStopped<T>(options: UntilStoppedOptions, work: () => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt += 1) {
    if (options.shouldStop?.()) throw new StoppedError();
    try {
      const result = await work();
      options.onSuccess?.();
      return result;
    } catch (err) {
      const error = toCustsyncError(err);
      options.onFailure?.(error);
      const delay = Math.min(250 * 2 ** Math.min(attempt - 1, 6), 10_000);
      options.logger.error({ code: error.code, attempt, delayMs: delay, err: error.message }, `${options.what} failed; pausing and retrying`);
      const until = Date.now() + delay;
      while (Date.now() < until && !options.shouldStop?.()) {
        await sleep(Math.min(500, until - Date.now()));
        await options.onWait?.().catch(() => undefined);
      }
    }
  }
}
