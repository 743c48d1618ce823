import type { Admin } from 'kafkajs';
import { Job } from '../../runtime/Job.js';
import type { Logger } from '../../runtime/logger.js';
import { sleep } from '../../runtime/sleep.js';
import type { Metrics } from '../../runtime/metrics.js';
import { decodeStoredBatch, type BrokerProbe } from './brokerProbe.js';
import { scanBatches } from './wire.js';
import { storedKey, streams, type PositionStore } from '../../unifier/PositionStore.js';

/** Bytes fetched to read the timestamp of the oldest unapplied message: one small batch is enough. */
const PEEK_BYTES = 64 * 1024;

export interface LagMonitorDeps {
  admin: Admin;
  probe: BrokerProbe;
  positions: PositionStore;
  metrics: Metrics;
  logger: Logger;
  intervalMs: number;
  /** The partitions this instance owns (or last owned, while its consumer restarts), by topic. */
  partitions: () => ReadonlyMap<string, readonly number[]>;
}

/** Pure: messages not applied yet. */
export function lagMessages(highWatermark: bigint, next: bigint): number {
  return Number(highWatermark > next ? highWatermark - next : 0n);
}

/**
 * Consumer lag on a timer, from the broker's high-water marks and the
 * positions stored in Postgres — not from the last batch, so it keeps
 * growing while a consumer is stuck, crashed or paused. Per partition:
 * `custsync_consumer_lag_messages` and `custsync_consumer_lag_seconds`, the
 * age of the oldest message not applied yet (0 when caught up).
 */
export class LagMonitor extends Job {
  readonly name = 'lag-monitor';
  private labels = new Set<string>();
  private failing = false;

  constructor(private readonly deps: LagMonitorDeps) {
    super(deps.logger);
  }

  /** Measures at once, then every `intervalMs` until stopped. */
  protected async run(signal: AbortSignal): Promise<void> {
    while (!signal.aborted) {
      await this.tick();
      await sleep(this.deps.intervalMs, signal);
    }
  }

  private async tick(): Promise<void> {
    try {
      await this.refresh();
      if (this.failing) this.logger.info('consumer lag measured again');
      this.failing = false;
    } catch (err) {
      // Kafka or Postgres away: the gauges keep their last values, readiness reports the outage.
      if (!this.failing) this.logger.warn({ err: (err as Error).message }, 'could not measure consumer lag; retrying on the next tick');
      this.failing = true;
    }
  }

  /** One measurement of every owned partition. */
  async refresh(now: number = Date.now()): Promise<void> {
    const { admin, positions, metrics } = this.deps;
    const owned = this.deps.partitions();
    const stored = await positions.nextOfStreams([...owned.keys()].map(streams.kafka));
    const seen = new Set<string>();
    for (const [topic, partitions] of owned) {
      if (partitions.length === 0) continue;
      const offsets = await admin.fetchTopicOffsets(topic);
      for (const partition of partitions) {
        const at = offsets.find((o) => o.partition === partition);
        if (!at) continue;
        const high = BigInt(at.high);
        const next = stored.get(storedKey(streams.kafka(topic), partition)) ?? BigInt(at.low);
        const lag = lagMessages(high, next);
        const labels = { topic, partition: String(partition) };
        metrics.consumerLag.set(labels, lag);
        metrics.consumerLagSeconds.set(labels, lag === 0 ? 0 : await this.ageOf(topic, partition, next, now));
        seen.add(`${topic}\u0000${partition}`);
      }
    }
    // Partitions another instance owns now are that instance's to report.
    for (const key of this.labels) {
      if (seen.has(key)) continue;
      const [topic = '', partition = ''] = key.split('\u0000');
      metrics.consumerLag.remove({ topic, partition });
      metrics.consumerLagSeconds.remove({ topic, partition });
    }
    this.labels = seen;
  }

  /** Seconds since the message at `offset` was produced (its timestamp), 0 when it cannot be read. */
  private async ageOf(topic: string, partition: number, offset: bigint, now: number): Promise<number> {
    const fetched = await this.deps.probe.fetch(topic, partition, offset, PEEK_BYTES);
    const batch = scanBatches(fetched.records).find((b) => b.lastOffset >= offset);
    if (!batch) return 0;
    let timestamp = Number(batch.firstTimestamp);
    if (batch.baseOffset < offset) {
      const decoded = await decodeStoredBatch(batch.bytes).catch(() => undefined);
      const record = decoded?.records.find((r) => BigInt(r.offset) >= offset);
      if (record) timestamp = Number(record.timestamp);
    }
    return timestamp > 0 ? Math.max((now - timestamp) / 1000, 0) : 0;
  }
}
