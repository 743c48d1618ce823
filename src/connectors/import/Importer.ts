import type { RecordSink } from '../../contract.js';
import type { Logger } from '../../runtime/logger.js';
import { StoppedError } from '../../runtime/retry.js';
import { SourceConnector } from '../Connector.js';
import { streams } from '../../unifier/PositionStore.js';
import type { ImportBatch } from './importBatches.js';
import type { ProgressState } from './progress.js';

export interface ImportSummary {
  /** Physical lines in the file. */
  totalLines: number;
  /** Last line this run got through (its batch committed). */
  lastLine: number;
  /** Records (data lines, bad ones included) this run handled. */
  records: number;
  applied: number;
  createdCustomers: number;
  changedCustomers: number;
  auditRows: number;
  rejected: number;
  /** Lines without customer data (event types the mapper ignores). */
  ignored: number;
  /** Lines an earlier run of the same file had applied. */
  alreadyImported: number;
  /** Records of forgotten people, dropped. */
  suppressed: number;
  elapsedMs: number;
  /** Stopped by a signal before the end of the file. */
  stopped: boolean;
}

/**
 * Runs an input file's batches through the unifier, one transaction per
 * batch with the import position stored in it, reading the next batch while
 * the current one applies. `stop()` lets the batch in flight commit and ends
 * the run there; only a batch that keeps failing is abandoned (uncommitted).
 * `summary` is complete once `finished` settles.
 */
export class Importer extends SourceConnector {
  readonly name = 'import';
  readonly summary: ImportSummary;

  constructor(
    unifier: RecordSink,
    private readonly sha256: string,
    private readonly totalLines: number,
    private readonly batches: AsyncIterable<ImportBatch>,
    private readonly onProgress: (state: ProgressState) => void,
    logger: Logger,
  ) {
    super(unifier, logger);
    this.summary = {
      totalLines,
      lastLine: 0,
      records: 0,
      applied: 0,
      createdCustomers: 0,
      changedCustomers: 0,
      auditRows: 0,
      rejected: 0,
      ignored: 0,
      alreadyImported: 0,
      suppressed: 0,
      elapsedMs: 0,
      stopped: false,
    };
  }

  /** A healthy batch in flight finishes when stopped; only a failing one stops retrying. */
  protected override giveUpDelivery(): boolean {
    return this.stopping && this.unifier.failing;
  }

  protected async run(signal: AbortSignal): Promise<void> {
    const started = Date.now();
    const { summary } = this;
    const stream = streams.import(this.sha256);
    const iterator = this.batches[Symbol.asyncIterator]();
    let next = await iterator.next();
    while (!next.done) {
      if (signal.aborted) {
        summary.stopped = true;
        break;
      }
      const batch = next.value;
      const applying = this.deliver({ items: batch.items, advance: [{ stream, partition: 0, next: BigInt(batch.lastLine) + 1n }] }, async () => undefined, {});
      const prefetch = iterator.next();
      prefetch.catch(() => undefined);
      try {
        const result = await applying;
        summary.records += batch.items.length;
        summary.applied += result.applied;
        summary.createdCustomers += result.createdCustomers;
        summary.changedCustomers += result.changedCustomers;
        summary.auditRows += result.auditRows;
        summary.rejected += result.deadLettered;
        summary.ignored += result.skipped;
        summary.suppressed += result.suppressed;
        summary.alreadyImported += batch.alreadyImported + result.replayed;
        summary.lastLine = batch.lastLine;
      } catch (err) {
        if (!(err instanceof StoppedError)) throw err;
        summary.stopped = true;
        break;
      }
      summary.elapsedMs = Date.now() - started;
      this.onProgress({ line: summary.lastLine, totalLines: this.totalLines, records: summary.records, rejected: summary.rejected, elapsedMs: summary.elapsedMs });
      next = await prefetch;
    }
    summary.elapsedMs = Date.now() - started;
    if (summary.stopped) await iterator.return?.(undefined).catch(() => undefined); // closes the input file
  }
}
