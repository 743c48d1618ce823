import type { Logger } from './logger.js';
import { CustsyncError, toCustsyncError } from './errors.js';
import { unreachable } from './unavailable.js';
import { withTimeout } from './timeout.js';

/** A long-running part of the daemon: started in registration order, stopped in reverse. */
export interface Component {
  readonly name: string;
  start(): Promise<void>;
  /** Finish in-flight work, commit, disconnect. Must be safe to call twice. */
  stop(): Promise<void>;
}

/** Runs `fn` once; concurrent and later callers share its promise (kafkajs' sharedPromiseTo). */
export function once<T>(fn: () => Promise<T>): () => Promise<T> {
  let promise: Promise<T> | undefined;
  return () => (promise ??= fn());
}

export class Lifecycle {
  private readonly components: Component[] = [];
  private readonly started: Component[] = [];
  private stopping = false;
  readonly stop: () => Promise<void>;

  constructor(
    private readonly logger: Logger,
    private readonly stopTimeoutMs = 9_000,
  ) {
    this.stop = once(() => this.stopAll());
  }

  register(component: Component): void {
    this.components.push(component);
  }

  get isStopping(): boolean {
    return this.stopping;
  }

  /** Starts every component in order; if one fails, stops those already started and rethrows. */
  async start(): Promise<void> {
    for (const component of this.components) {
      if (this.stopping) return;
      this.logger.debug({ component: component.name }, 'starting');
      try {
        await component.start();
      } catch (err) {
        // An unreachable service is an answer, not a bug: one line, no stack trace.
        const down = unreachable(err);
        if (down) this.logger.error({ component: component.name, code: toCustsyncError(err).code, unreachable: down.service, err: toCustsyncError(err).message }, 'start failed; stopping what started');
        else this.logger.error({ component: component.name, err }, 'start failed; stopping what started');
        await this.stop();
        throw err;
      }
      this.started.push(component);
    }
  }

  private async stopAll(): Promise<void> {
    this.stopping = true;
    const deadline = Date.now() + this.stopTimeoutMs;
    for (const component of [...this.started].reverse()) {
      const left = Math.max(deadline - Date.now(), 500);
      try {
        await withTimeout(component.stop(), left, () => new CustsyncError('CUSTSYNC_SHUTDOWN_TIMEOUT', `${component.name} did not stop within ${left} ms`));
        this.logger.debug({ component: component.name }, 'stopped');
      } catch (err) {
        this.logger.error({ component: component.name, err }, 'stop failed');
      }
    }
  }

  /**
   * First SIGTERM/SIGINT: stop gracefully, then `exit(0)`. A second signal
   * exits at once with 130. Returns a function that removes the handlers.
   */
  handleSignals(exit: (code: number) => void = (code) => process.exit(code)): () => void {
    let received = 0;
    const onSignal = (signal: NodeJS.Signals) => {
      received += 1;
      if (received > 1) {
        this.logger.warn({ signal }, 'second signal: exiting now');
        exit(130);
        return;
      }
      this.logger.info({ signal }, 'stopping: finishing the batch in flight');
      this.stop().then(
        () => {
          this.logger.info('stopped cleanly');
          exit(0);
        },
        (err: unknown) => {
          this.logger.error({ err }, 'stop failed');
          exit(1);
        },
      );
    };
    process.on('SIGTERM', onSignal);
    process.on('SIGINT', onSignal);
    return () => {
      process.off('SIGTERM', onSignal);
      process.off('SIGINT', onSignal);
    };
  }
}
