import type { Consumer } from 'kafkajs';
import { Job } from '../../runtime/Job.js';
import type { Logger } from '../../runtime/logger.js';
import type { Metrics } from '../../runtime/metrics.js';
import { retry } from '../../runtime/retry.js';

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
 * readiness check, and followed by a fresh consumer after the retry table's
 * wait for the crash's code, for as long as the job runs. A configuration
 * reload that changes topics stops this job and starts a new one.
 */
export class SupervisedConsumer extends Job {
  readonly name: string;
  private consumer: Consumer | undefined;
  private state: State = 'stopped';
  private lastError: Error | undefined;
  private crashes = 0;
  private restartAt = 0;
  private markHealthy: () => void = () => undefined;

  constructor(private readonly options: SupervisedConsumerOptions) {
    super(options.logger);
    this.name = options.name;
  }

  /** Work went through: the next crash starts the backoff from the beginning. */
  healthy(): void {
    this.markHealthy();
  }

  protected override async readiness(): Promise<void> {
    if (this.state === 'running') return;
    if (this.state === 'crashed') {
      const inMs = Math.max(this.restartAt - Date.now(), 0);
      throw new Error(`${this.name}: consumer crashed (${this.lastError?.message ?? 'unknown error'}); restart ${this.crashes} in ${Math.ceil(inMs / 1000)} s`);
    }
    throw new Error(`${this.name}: consumer ${this.state}`);
  }

  protected async run(signal: AbortSignal): Promise<void> {
    await retry(
      {
        what: `${this.name} consumer`,
        logger: this.logger,
        signal,
        message: 'kafka consumer crashed; restarting it',
        onFailure: async (error, crashes, delayMs) => {
          this.state = 'crashed';
          this.lastError = error;
          this.crashes = crashes;
          this.restartAt = Date.now() + delayMs;
          this.options.metrics.consumerCrashes.inc({ consumer: this.name });
          await this.options.beforeRestart?.(error, crashes).catch((err: unknown) => {
            this.logger.warn({ err: (err as Error).message }, 'looking for an undecodable batch failed; restarting anyway');
          });
        },
      },
      (attempt) => {
        this.markHealthy = attempt.healthy;
        return this.runOnce(signal);
      },
    );
  }

  /** One consumer, from start to crash (rejects with the crash) or to the job's stop (resolves). */
  private async runOnce(signal: AbortSignal): Promise<void> {
    const consumer = this.options.create();
    this.consumer = consumer;
    this.state = 'starting';
    const crashed = new Promise<Error>((resolve) => consumer.on(consumer.events.CRASH, ({ payload }) => resolve(payload.error)));
    try {
      await this.options.run(consumer);
    } catch (err) {
      // A start that fails is a crash too; kafkajs does not emit one for it.
      await consumer.disconnect().catch(() => undefined);
      throw err;
    }
    if (this.state === 'starting') this.state = 'running';
    const stopped = new Promise<null>((resolve) => {
      if (signal.aborted) resolve(null);
      signal.addEventListener('abort', () => resolve(null), { once: true });
    });
    const crash = await Promise.race([crashed, stopped]);
    if (crash) throw crash;
  }

  /** Stops the consumer (kafkajs waits for the batch in flight). */
  protected override async cleanup(): Promise<void> {
    const consumer = this.consumer;
    this.consumer = undefined;
    this.state = 'stopped';
    if (consumer) {
      await consumer.stop().catch(() => undefined);
      await consumer.disconnect().catch(() => undefined);
    }
  }
}
