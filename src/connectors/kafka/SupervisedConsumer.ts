import type { Consumer } from 'kafkajs';
import type { Logger } from '../../runtime/logger.js';
import type { Metrics } from '../../runtime/metrics.js';
import { toCustsyncError } from '../../runtime/errors.js';
import { backoffMs } from '../../runtime/retryPolicy.js';

export interface SupervisedConsumerOptions {
  /** Names the consumer in logs, metrics and readiness (`kafka-source`, `forget-requests`). */
  name: string;
  /** A new kafkajs consumer, configured (one per run: kafkajs disconnects a crashed one). */
  create: () => Consumer;
  /** Connects, subscribes and runs it. */
  run: (consumer: Consumer) => Promise<void>;
  /**
   * Called after a crash, before the restart: the place to find and set aside
   * a batch that cannot be decoded. Its failure is logged, never fatal.
   */
  beforeRestart?: (error: Error, crashes: number) => Promise<void>;
  logger: Logger;
  metrics: Metrics;
}

type State = 'stopped' | 'starting' | 'running' | 'crashed';

/**
 * Keeps a kafkajs consumer running. kafkajs restarts a crashed consumer only
 * for errors it deems retriable and gives up on the others (a parse error, an
 * unknown codec), which used to stop a source for good. Here every crash is
 * logged once, counted (`custsync_consumer_crashes_total`), reported by the
 * readiness check, and followed by a fresh consumer after a backoff, for as
 * long as the daemon runs. `start` and `stop` may alternate (a configuration
 * reload restarts the consumer); `stop` is safe to call twice.
 */
export class SupervisedConsumer {
  private consumer: Consumer | undefined;
  private state: State = 'stopped';
  private lastError: Error | undefined;
  private consecutive = 0;
  private restartAt = 0;
  private timer: NodeJS.Timeout | undefined;
  private wake: (() => void) | undefined;
  private restarting: Promise<void> = Promise.resolve();
  private stopped = true;

  constructor(private readonly options: SupervisedConsumerOptions) {}

  /** The consumer of the current run (for seeks and commits), if any. */
  get current(): Consumer | undefined {
    return this.consumer;
  }

  get running(): boolean {
    return this.state === 'running';
  }

  async start(): Promise<void> {
    this.stopped = false;
    await this.launch();
  }

  /** Work went through: the next crash starts the backoff from the beginning. */
  healthy(): void {
    this.consecutive = 0;
  }

  /** Readiness: throws while the consumer is not running. */
  check(): void {
    if (this.state === 'running') return;
    if (this.state === 'crashed') {
      const inMs = Math.max(this.restartAt - Date.now(), 0);
      throw new Error(`${this.options.name}: consumer crashed (${this.lastError?.message ?? 'unknown error'}); restart ${this.consecutive} in ${Math.ceil(inMs / 1000)} s`);
    }
    throw new Error(`${this.options.name}: consumer ${this.state}`);
  }

  private async launch(): Promise<void> {
    const consumer = this.options.create();
    this.consumer = consumer;
    this.state = 'starting';
    consumer.on(consumer.events.CRASH, ({ payload }) => this.onCrash(consumer, payload.error));
    try {
      await this.options.run(consumer);
      if (this.consumer === consumer && this.state === 'starting') this.state = 'running';
    } catch (err) {
      // A start that fails is a crash too; kafkajs does not emit one for it.
      await consumer.disconnect().catch(() => undefined);
      this.onCrash(consumer, err instanceof Error ? err : new Error(String(err)));
    }
  }

  private onCrash(consumer: Consumer, error: Error): void {
    if (this.stopped || consumer !== this.consumer || this.state === 'crashed') return;
    this.state = 'crashed';
    this.lastError = error;
    this.consecutive += 1;
    const crashes = this.consecutive;
    // The retry table's wait for the crash's code: an unreachable broker is retried sooner than a parse error.
    const delay = backoffMs(toCustsyncError(error).code, crashes);
    this.restartAt = Date.now() + delay;
    this.options.metrics.consumerCrashes.inc({ consumer: this.options.name });
    this.options.logger.error({ err: error.message, errorName: error.name, crash: crashes, restartInMs: delay }, 'kafka consumer crashed; restarting it');
    this.restarting = this.restarting.then(async () => {
      await this.options.beforeRestart?.(error, crashes).catch((err: unknown) => {
        this.options.logger.warn({ err: (err as Error).message }, 'looking for an undecodable batch failed; restarting anyway');
      });
      await new Promise<void>((resolve) => {
        this.wake = resolve;
        this.timer = setTimeout(resolve, Math.max(this.restartAt - Date.now(), 0));
      });
      this.timer = undefined;
      this.wake = undefined;
      if (this.stopped) return;
      await this.launch();
    });
  }

  /** Stops the consumer (kafkajs waits for the batch in flight) and any pending restart. */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.wake?.();
    const consumer = this.consumer;
    this.consumer = undefined;
    this.state = 'stopped';
    if (consumer) {
      await consumer.stop().catch(() => undefined);
      await consumer.disconnect().catch(() => undefined);
    }
  }
}
