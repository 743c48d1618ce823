import type { Component } from '../runtime/lifecycle.js';
import { once } from '../runtime/lifecycle.js';
import type { Logger } from '../runtime/logger.js';
import type { DeliveryHooks, IngestBatch, IngestResult, PreparedBatch, RecordSink } from '../contract.js';

/**
 * The contract every source shares (Kafka topics, WAL slots, import files):
 * it turns its input into batches of records with their positions, hands each
 * batch to the unifier (one Postgres transaction that also stores the
 * positions) and only then acknowledges the batch to the source.
 *
 * Subclasses implement connect / consume / disconnect / testConnection; this
 * base owns start and stop: `stop()` is idempotent, aborts the signal the
 * consume loop watches, waits for the batch in flight, then disconnects.
 */
export abstract class SourceConnector implements Component {
  abstract readonly name: string;
  private readonly abortController = new AbortController();
  private consuming: Promise<void> | undefined;
  readonly stop: () => Promise<void>;

  protected constructor(
    protected readonly unifier: RecordSink,
    protected readonly logger: Logger,
  ) {
    this.stop = once(() => this.shutdown());
  }

  protected get signal(): AbortSignal {
    return this.abortController.signal;
  }

  get stopping(): boolean {
    return this.abortController.signal.aborted;
  }

  async start(): Promise<void> {
    await this.connect();
    this.consuming = this.consume(this.signal).catch((err: unknown) => {
      this.logger.fatal({ err }, 'source stopped unexpectedly');
      this.onFatal(err);
    });
  }

  /** Readiness: throws when the source cannot be reached. */
  abstract testConnection(): Promise<void>;

  /** Called when the consume loop dies on its own; the daemon then exits non-zero. */
  onFatal: (err: unknown) => void = () => undefined;

  protected abstract connect(): Promise<void>;
  /** Runs until `signal` aborts; resolves once the batch in flight is committed. */
  protected abstract consume(signal: AbortSignal): Promise<void>;
  protected abstract disconnect(): Promise<void>;

  /**
   * Applies a batch and then runs `acknowledge` (commit the Kafka offset, ack
   * the LSN). The acknowledgement may fail (a rebalance took the partition):
   * the positions are already stored with the data, so nothing is lost and the
   * next owner skips what was applied.
   */
  protected async deliver(batch: IngestBatch | PreparedBatch, acknowledge: () => Promise<void>, hooks: DeliveryHooks): Promise<IngestResult> {
    const result = await this.unifier.ingest(batch, {
      ...hooks,
      shouldStop: () => this.stopping || (hooks.shouldStop?.() ?? false),
    });
    try {
      await acknowledge();
    } catch (err) {
      this.logger.warn({ err: (err as Error).message }, 'acknowledging to the source failed; positions are stored in Postgres');
    }
    return result;
  }

  private async shutdown(): Promise<void> {
    this.abortController.abort();
    await this.consuming;
    await this.disconnect();
  }
}
