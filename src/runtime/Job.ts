import { toCustsyncError } from './errors.js';
import { StoppedError } from './retry.js';
import { once, type Component } from './lifecycle.js';
import type { Logger } from './logger.js';

/**
 * The base of every long-running component (sources, the change publisher,
 * the forget-request consumer, the supervised Kafka consumers, the lag
 * monitor, an import), after powersync-service's AbstractReplicationJob:
 *
 * - `start()` runs `prepare()` — what must work for the start to succeed
 *   (connect, preflight checks) — then `run(signal)` in the background;
 * - `stop()` aborts the signal `run` watches, waits for the work in flight to
 *   finish, then runs `cleanup()`; it is idempotent and concurrent callers
 *   share one stop (kafkajs' sharedPromiseTo);
 * - when `run` ends with an error, the job is failed: `check()` reports it,
 *   `finished` rejects with it and `onFatal` is told (the daemon exits
 *   non-zero, so a supervisor restarts it);
 * - `check()` is the job's readiness: it throws while the job cannot do its
 *   work (subclasses add theirs in `readiness()`).
 *
 * How a job retries is not its own business: failures go through `retry()`
 * and the retry table (runtime/retry.ts, runtime/retryPolicy.ts).
 */
export abstract class Job implements Component {
  abstract readonly name: string;
  readonly stop: () => Promise<void>;
  /** Settles when `run` ends: resolves when it is done or stopped, rejects with the error that ended it. */
  readonly finished: Promise<void>;
  /** Told when `run` ends with an error (not when stopped). Default: a fatal log line. */
  onFatal: (err: unknown) => void = (err) => {
    const error = toCustsyncError(err);
    this.logger.fatal({ code: error.code, err: error.message }, `${this.name} stopped unexpectedly`);
  };
  private readonly abortController = new AbortController();
  private running: Promise<void> | undefined;
  private failure: unknown;
  private settle: { resolve: () => void; reject: (err: unknown) => void } = { resolve: () => undefined, reject: () => undefined };

  protected constructor(protected readonly logger: Logger) {
    this.stop = once(() => this.shutdown());
    this.finished = new Promise<void>((resolve, reject) => (this.settle = { resolve, reject }));
    this.finished.catch(() => undefined); // observed through onFatal when nobody awaits it
  }

  /** Aborts when the job is told to stop. */
  protected get signal(): AbortSignal {
    return this.abortController.signal;
  }

  get stopping(): boolean {
    return this.abortController.signal.aborted;
  }

  async start(): Promise<void> {
    await this.prepare();
    this.running = this.run(this.signal).then(
      () => this.settle.resolve(),
      (err: unknown) => {
        // A retry told to stop gives up with StoppedError: that is the stop, not a failure.
        if (err instanceof StoppedError && this.stopping) {
          this.settle.resolve();
          return;
        }
        this.failure = err;
        this.settle.reject(err);
        this.onFatal(err);
      },
    );
  }

  /** Readiness: throws while the job cannot do its work; a failed job is never ready. */
  async check(): Promise<void> {
    if (this.failure !== undefined) throw new Error(`${this.name} stopped: ${toCustsyncError(this.failure).message}`);
    await this.readiness();
  }

  /** What must work for `start()` to succeed; `run` starts after it. */
  protected async prepare(): Promise<void> {}

  /** The job's work: runs until `signal` aborts (then finishes what is in flight) or fails (rejects). */
  protected abstract run(signal: AbortSignal): Promise<void>;

  /** After `run` ended, on `stop()`: disconnect what `prepare` connected. */
  protected async cleanup(): Promise<void> {}

  /** The job's own readiness (see `check`). */
  protected async readiness(): Promise<void> {}

  private async shutdown(): Promise<void> {
    this.abortController.abort();
    await this.running;
    await this.cleanup();
  }
}
