import type { DeliveryHooks, IngestBatch, IngestResult, PreparedBatch, RecordSink } from '../contract.js';
import { Job } from '../runtime/Job.js';
import type { Logger } from '../runtime/logger.js';

/**
 * The base every source shares (Kafka topics, WAL slots, import files): a
 * Job (start/stop/abort, readiness, onFatal) that turns its input into
 * batches of records with their positions, hands each batch to the unifier
 * (one Postgres transaction that also stores the positions) and only then
 * acknowledges the batch to the source. Subclasses implement `run` (and, as
 * they need, `prepare`, `cleanup`, `readiness`).
 */
export abstract class SourceConnector extends Job {
  protected constructor(
    protected readonly unifier: RecordSink,
    logger: Logger,
  ) {
    super(logger);
  }

  /**
   * Whether a batch that keeps failing should stop retrying (StoppedError:
   * nothing of it is committed, the source delivers it again). Default: as
   * soon as the source is stopping.
   */
  protected giveUpDelivery(): boolean {
    return this.stopping;
  }

  /**
   * Applies a batch and then runs `acknowledge` (commit the Kafka offset, ack
   * the LSN). The acknowledgement may fail (a rebalance took the partition):
   * the positions are already stored with the data, so nothing is lost and the
   * next owner skips what was applied.
   */
  protected async deliver(batch: IngestBatch | PreparedBatch, acknowledge: () => Promise<void>, hooks: DeliveryHooks): Promise<IngestResult> {
    const result = await this.unifier.ingest(batch, {
      ...hooks,
      shouldStop: () => this.giveUpDelivery() || (hooks.shouldStop?.() ?? false),
    });
    try {
      await acknowledge();
    } catch (err) {
      this.logger.warn({ err: (err as Error).message }, 'acknowledging to the source failed; positions are stored in Postgres');
    }
    return result;
  }
}
