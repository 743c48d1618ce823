import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import { PACKAGE_VERSION } from './paths.js';

/**
 * The daemon's Prometheus metrics, one registry per process (tests create
 * their own). Labels are platform/reason/topic names, never personal data.
 */
export class Metrics {
  readonly registry = new Registry();

  readonly messagesConsumed = new Counter({
    name: 'custsync_messages_consumed_total',
    help: 'Messages read from source topics',
    labelNames: ['platform'] as const,
    registers: [this.registry],
  });
  readonly recordsApplied = new Counter({
    name: 'custsync_records_applied_total',
    help: 'Records applied by the unifier (changed or not)',
    labelNames: ['platform'] as const,
    registers: [this.registry],
  });
  readonly recordsReplayed = new Counter({
    name: 'custsync_records_replayed_total',
    help: 'Redelivered records ignored because their position was already stored',
    labelNames: ['platform'] as const,
    registers: [this.registry],
  });
  readonly recordsSkipped = new Counter({
    name: 'custsync_records_skipped_total',
    help: 'Messages without customer data (event types the mapper skips) or suppressed by a forget request',
    labelNames: ['platform', 'reason'] as const,
    registers: [this.registry],
  });
  readonly deadLettered = new Counter({
    name: 'custsync_dead_letters_total',
    help: 'Messages sent to the dead-letter topic',
    labelNames: ['platform', 'reason'] as const,
    registers: [this.registry],
  });
  readonly valuesDropped = new Counter({
    name: 'custsync_values_dropped_total',
    help: 'Invalid optional values removed from otherwise valid records',
    labelNames: ['platform', 'field', 'reason'] as const,
    registers: [this.registry],
  });
  readonly auditRows = new Counter({
    name: 'custsync_audit_rows_total',
    help: 'customer_logs rows written by the unifier',
    registers: [this.registry],
  });
  readonly batchSize = new Histogram({
    name: 'custsync_batch_size',
    help: 'Records per unifier batch',
    buckets: [1, 10, 50, 100, 250, 500, 1000, 2000, 5000, 10000],
    registers: [this.registry],
  });
  readonly batchSeconds = new Histogram({
    name: 'custsync_batch_duration_seconds',
    help: 'Time to apply one batch (one transaction), retries included',
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [this.registry],
  });
  readonly batchRetries = new Counter({
    name: 'custsync_batch_retries_total',
    help: 'Batch attempts that failed and were retried',
    labelNames: ['source'] as const,
    registers: [this.registry],
  });
  readonly consumerLag = new Gauge({
    name: 'custsync_consumer_lag_messages',
    help: 'High-water mark minus the next offset to apply, per source partition this instance owns (refreshed on a timer)',
    labelNames: ['topic', 'partition'] as const,
    registers: [this.registry],
  });
  readonly consumerLagSeconds = new Gauge({
    name: 'custsync_consumer_lag_seconds',
    help: 'Age of the oldest message not applied yet, per source partition this instance owns (0 when caught up)',
    labelNames: ['topic', 'partition'] as const,
    registers: [this.registry],
  });
  readonly partitionsStopped = new Gauge({
    name: 'custsync_partitions_stopped',
    help: 'Source partitions refused because their stored position cannot be right (custsync positions reset fixes them)',
    labelNames: ['topic'] as const,
    registers: [this.registry],
  });
  readonly consumerCrashes = new Counter({
    name: 'custsync_consumer_crashes_total',
    help: 'Kafka consumer crashes (each followed by a restart with backoff)',
    labelNames: ['consumer'] as const,
    registers: [this.registry],
  });
  readonly slotLagBytes = new Gauge({
    name: 'custsync_replication_slot_lag_bytes',
    help: 'WAL retained by custsync replication slots (pg_current_wal_lsn - confirmed_flush_lsn)',
    labelNames: ['slot'] as const,
    registers: [this.registry],
  });
  readonly changeEventsPublished = new Counter({
    name: 'custsync_change_events_published_total',
    help: 'Customer change events acknowledged by Kafka (re-publications after a crash included)',
    labelNames: ['op'] as const,
    registers: [this.registry],
  });
  readonly changeEventLatency = new Histogram({
    name: 'custsync_change_event_latency_seconds',
    help:
      'Per published transaction: commit to Kafka acknowledgement (stage total), split into wal (commit to decoded by the publisher), ' +
      'queue (decoded to handed to the producer thread: grouping, lookups, serialization) and kafka (handed over to acknowledged)',
    labelNames: ['stage'] as const,
    buckets: [0.001, 0.002, 0.005, 0.01, 0.02, 0.035, 0.05, 0.075, 0.1, 0.15, 0.25, 0.5, 1, 2.5, 5, 10, 30],
    registers: [this.registry],
  });

  readonly ready = new Gauge({
    name: 'custsync_ready',
    help: 'What /readyz answers, measured at each scrape: 1 ready, 0 not ready',
    registers: [this.registry],
  });
  readonly readyCheck = new Gauge({
    name: 'custsync_ready_check',
    help: 'Each readiness check at the last scrape: 1 passes, 0 fails',
    labelNames: ['check'] as const,
    registers: [this.registry],
  });
  readonly buildInfo = new Gauge({
    name: 'custsync_build_info',
    help: 'Always 1; the labels say which custsync runs',
    labelNames: ['version', 'node_version'] as const,
    registers: [this.registry],
  });

  constructor(options: { defaultMetrics?: boolean } = {}) {
    // prom-client's standard names (process_cpu_seconds_total, nodejs_heap_size_used_bytes ...), so stock dashboards work.
    if (options.defaultMetrics) collectDefaultMetrics({ register: this.registry });
    this.buildInfo.set({ version: PACKAGE_VERSION, node_version: process.version }, 1);
  }
}
