import type { DeadLetter, DeadLetterSink, DeliveryHooks, IngestBatch, IngestResult, PreparedBatch, RecordSink } from '../contract.js';
import { retry, type Attempt } from '../runtime/retry.js';
import type { Logger } from '../runtime/logger.js';
import type { Metrics } from '../runtime/metrics.js';
import type { ApplyResult, BatchEngine } from './engine/BatchEngine.js';
import { normalizeRecord, type NormalizedRecord, type NormalizeOptions } from './normalize/index.js';
import { isApplied, positionKey, type PositionStore } from './PositionStore.js';

/** Skip reasons counted under their own metric label (a change feed's deletes); mappers' free-text reasons count as no_customer_data. */
const SKIP_LABELS: ReadonlySet<string> = new Set(['source_delete', 'source_truncate', 'source_tombstone', 'not_a_row_change']);

/** A batch decoded, validated and normalized by `prepare`: what `ingest` applies. */
interface NormalizedBatch extends PreparedBatch {
  records: NormalizedRecord[];
  letters: DeadLetter[];
  skipped: number;
}

/**
 * What every connector hands its batches to: normalizes, dead-letters what is
 * invalid, and applies the rest through the batch engine. Dead letters are
 * acknowledged by Kafka before the data commits, so a crash cannot lose one;
 * a redelivered batch does not dead-letter again what a committed batch
 * already covered.
 */
export class Unifier implements RecordSink {
  private failingSince: number | null = null;

  constructor(
    private readonly positions: PositionStore,
    private readonly engine: BatchEngine,
    private readonly deadLetters: DeadLetterSink,
    private readonly metrics: Metrics,
    private readonly logger: Logger,
    private normalizeOptions: NormalizeOptions,
  ) {}

  setNormalizeOptions(options: NormalizeOptions): void {
    this.normalizeOptions = options;
  }

  /** Whether the last attempt to apply a batch failed (reported by /readyz). */
  get failing(): boolean {
    return this.failingSince !== null;
  }

  /** Normalizes a batch and sorts out what goes to the dead-letter topic: no I/O. */
  prepare(batch: IngestBatch): NormalizedBatch {
    const records: NormalizedRecord[] = [];
    const letters: DeadLetter[] = [];
    let skipped = 0;
    for (const item of batch.items) {
      if (item.kind === 'invalid') letters.push(item.letter);
      else if (item.kind === 'skip') {
        skipped += 1;
        this.metrics.recordsSkipped.inc({ platform: item.platform, reason: SKIP_LABELS.has(item.reason) ? item.reason : 'no_customer_data' });
      } else {
        const result = normalizeRecord(item.record, this.normalizeOptions);
        if (result.ok) records.push(result.record);
        else letters.push({ origin: item.origin, platform: item.record.platform, reason: result.reason, message: result.message, path: 'email' });
      }
    }
    return { prepared: true, records, letters, skipped, advance: batch.advance };
  }

  /**
   * Applies a batch; on a Postgres or Kafka failure waits with backoff and
   * tries again until it succeeds or `hooks.shouldStop()` says to give up
   * (then throws StoppedError and nothing of the batch is committed).
   */
  async ingest(batch: IngestBatch | PreparedBatch, hooks: DeliveryHooks = {}): Promise<IngestResult> {
    // Only `prepare` makes a PreparedBatch, so one is always a NormalizedBatch.
    const { records, letters, skipped, advance } = 'prepared' in batch ? (batch as NormalizedBatch) : this.prepare(batch);
    const start = process.hrtime.bigint();
    const pendingLetters = await this.retrying(() => this.notYetCovered(letters), hooks);
    await this.retrying(() => this.deadLetters.send(pendingLetters), hooks);
    for (const letter of pendingLetters) {
      this.metrics.deadLettered.inc({ platform: letter.platform, reason: letter.reason });
      this.logger.warn({ platform: letter.platform, reason: letter.reason, path: letter.path, position: letter.origin.position }, `dead-lettered: ${letter.message}`);
    }
    const deadLetters = pendingLetters.map((l) => ({ platform: l.platform, reason: l.reason, position: l.origin.position }));
    let attempts = 1;
    const applied = await this.retrying((attempt) => {
      attempts = attempt.n;
      return this.engine.applyOnce({ records, advance, deadLetters });
    }, hooks);
    this.observe(records, applied, attempts, start);
    return { ...applied, deadLettered: pendingLetters.length, skipped };
  }

  private observe(records: readonly NormalizedRecord[], result: ApplyResult, attempts: number, start: bigint): void {
    this.metrics.batchSize.observe(records.length);
    this.metrics.batchSeconds.observe(Number(process.hrtime.bigint() - start) / 1e9);
    this.metrics.auditRows.inc(result.auditRows);
    if (attempts > 1) this.metrics.batchRetries.inc({ source: 'engine' }, attempts - 1);
    const platform = records[0]?.platform;
    if (platform) {
      this.metrics.recordsApplied.inc({ platform }, result.applied);
      if (result.replayed > 0) this.metrics.recordsReplayed.inc({ platform }, result.replayed);
      if (result.suppressed > 0) this.metrics.recordsSkipped.inc({ platform, reason: 'suppressed' }, result.suppressed);
    }
    for (const record of records) {
      for (const dropped of record.dropped) this.metrics.valuesDropped.inc({ platform: record.platform, field: dropped.field, reason: dropped.reason });
    }
  }

  /** Drops letters whose position a committed batch already covered (they were sent then). */
  private async notYetCovered(letters: DeadLetter[]): Promise<DeadLetter[]> {
    const keys = letters.flatMap((l) => positionKey(l.origin.position) ?? []);
    if (keys.length === 0) return letters;
    const stored = await this.positions.nextOf(keys);
    return letters.filter((l) => !isApplied(l.origin.position, stored));
  }


  /** The one retry loop of a batch's steps: never gives up on a batch, only stops when told to (StoppedError). */
  private retrying<T>(work: (attempt: Attempt) => Promise<T>, hooks: DeliveryHooks): Promise<T> {
    return retry(
      {
        logger: this.logger,
        what: 'batch',
        ...hooks,
        onFailure: () => {
          this.failingSince ??= Date.now();
        },
        onSuccess: () => {
          if (this.failingSince === null) return;
          this.logger.info({ downForMs: Date.now() - this.failingSince }, 'recovered; applying again');
          this.failingSince = null;
        },
      },
      work,
    );
  }

}
