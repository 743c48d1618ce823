import { Partitioners, type Producer } from 'kafkajs';
import type pg from 'pg';
import { KafkaDeadLetterSink } from '../connectors/deadLetters.js';
import { checkKafkaReachable, createKafka, ensureTopics } from '../connectors/kafka/client.js';
import { compressionType } from '../connectors/kafka/codecs.js';
import { KafkaSource } from '../connectors/kafka/KafkaSource.js';
import { WalSource } from '../connectors/wal/WalSource.js';
import { BatchEngine } from '../unifier/engine/BatchEngine.js';
import { Unifier } from '../unifier/Unifier.js';
import { PositionStore } from '../unifier/PositionStore.js';
import { ForgetRequestConsumer } from '../privacy/ForgetRequestConsumer.js';
import { createForgetter } from './forgetter.js';
import { ChangePublisher } from '../audit/publisher/ChangePublisher.js';
import type { Config } from '../runtime/config.js';
import { createPool, pingDatabase } from '../runtime/db.js';
import { HttpServer } from '../runtime/http.js';
import type { Job } from '../runtime/Job.js';
import { Lifecycle } from '../runtime/lifecycle.js';
import { componentLogger, type Logger } from '../runtime/logger.js';
import { Metrics } from '../runtime/metrics.js';
import { migrate } from '../runtime/migrate.js';
import { engineOptionsFromConfig, normalizeOptionsFromConfig, rulesFromConfig } from './settings.js';

export interface DaemonOptions {
  /** Apply pending migrations before starting (default true). */
  migrate?: boolean;
  /** Override http.port (tests use 0). */
  httpPort?: number;
}

export interface Daemon {
  lifecycle: Lifecycle;
  pool: pg.Pool;
  metrics: Metrics;
  http: HttpServer;
  kafkaSource: KafkaSource;
  unifier: Unifier;
  engine: BatchEngine;
  /** Consumes `privacy.forgetTopic`, when configured. */
  forgetRequests?: ForgetRequestConsumer;
  /** Publishes customer change events (publisher.enabled). */
  publisher?: ChangePublisher;
  /** One per `walSources` entry. */
  walSources: WalSource[];
}

/**
 * Wires the daemon: HTTP first and last (health stays answerable while
 * starting and stopping), then Postgres, the dead-letter producer, and the
 * sources, which stop first so the batch in flight commits before the
 * connections it needs close.
 */
export function createDaemon(config: Config, logger: Logger, options: DaemonOptions = {}): Daemon {
  const metrics = new Metrics({ defaultMetrics: true });
  const lifecycle = new Lifecycle(componentLogger(logger, 'lifecycle'));
  const pool = createPool(config.database, componentLogger(logger, 'postgres'));
  const positions = new PositionStore(pool);
  const kafka = createKafka(config.kafka, componentLogger(logger, 'kafkajs'));
  const http = new HttpServer(config.http.host, options.httpPort ?? config.http.port, metrics, componentLogger(logger, 'http'));
  // The Java client's partitioner (murmur2), chosen explicitly: keys land where Java producers put them.
  const producer: Producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1, allowAutoTopicCreation: false, createPartitioner: Partitioners.DefaultPartitioner });
  const engine = new BatchEngine(pool, rulesFromConfig(config), componentLogger(logger, 'engine'), engineOptionsFromConfig(config));
  const unifier = new Unifier(
    positions,
    engine,
    new KafkaDeadLetterSink(producer, config.kafka.deadLetterTopic, undefined, compressionType(config.kafka.compression)),
    metrics,
    componentLogger(logger, 'unifier'),
    normalizeOptionsFromConfig(config),
  );
  const kafkaSource = new KafkaSource(kafka, config, positions, unifier, metrics, componentLogger(logger, 'kafka-source'));
  // A job that dies on its own logs why and takes the process down (non-zero), so a supervisor restarts it.
  const exitOnFatal = (job: Job) => {
    const log = job.onFatal;
    job.onFatal = (err) => {
      log(err);
      void lifecycle.stop().finally(() => process.exit(1));
    };
  };
  exitOnFatal(kafkaSource);

  lifecycle.register(http);
  lifecycle.register({
    name: 'postgres',
    start: async () => {
      await pingDatabase(pool, 5_000);
      if (options.migrate !== false) {
        const { applied } = await migrate(config.database.url, componentLogger(logger, 'migrate'));
        if (applied.length > 0) logger.info({ applied }, 'migrations applied');
      }
    },
    stop: () => pool.end(),
  });
  lifecycle.register({
    name: 'kafka-producer',
    start: async () => {
      await checkKafkaReachable(config.kafka, componentLogger(logger, 'kafkajs'));
      if (config.kafka.createMissingTopics) {
        const created = await ensureTopics(kafka, [...kafkaSource.topics, config.kafka.deadLetterTopic, config.kafka.changeTopic], {
          partitions: config.kafka.newTopicPartitions,
          replicationFactor: config.kafka.newTopicReplicationFactor,
        });
        if (created.length > 0) logger.info({ topics: created }, 'created missing topics');
      }
      await producer.connect();
    },
    stop: () => producer.disconnect(),
  });
  // After the producer (the change topic exists), before the sources: it stops after them.
  const publisher = config.publisher.enabled
    ? new ChangePublisher({ config, pool, metrics, logger: componentLogger(logger, 'publisher') })
    : undefined;
  if (publisher) {
    exitOnFatal(publisher);
    lifecycle.register(publisher);
    http.addReadinessCheck({ name: 'publisher', check: () => publisher.check() });
  }
  lifecycle.register(kafkaSource);
  const walSources = config.walSources.map(
    (source, index) => new WalSource(source, index, config, positions, unifier, metrics, componentLogger(logger, `wal-source:${source.name}`)),
  );
  for (const walSource of walSources) {
    exitOnFatal(walSource);
    lifecycle.register(walSource);
    http.addReadinessCheck({ name: walSource.name, check: () => walSource.check() });
  }
  const forgetRequests = config.privacy.forgetTopic
    ? new ForgetRequestConsumer(
        kafka,
        config,
        config.privacy.forgetTopic,
        createForgetter(config, pool, logger),
        new KafkaDeadLetterSink(producer, config.kafka.deadLetterTopic, undefined, compressionType(config.kafka.compression)),
        componentLogger(logger, 'forget-requests'),
        metrics,
      )
    : undefined;
  if (forgetRequests) {
    exitOnFatal(forgetRequests);
    lifecycle.register(forgetRequests);
    http.addReadinessCheck({ name: 'forget-requests', check: () => forgetRequests.check() });
  }

  http.addReadinessCheck({ name: 'postgres', check: () => pingDatabase(pool) });
  http.addReadinessCheck({ name: 'kafka', check: () => kafkaSource.check() });
  http.addReadinessCheck({
    name: 'unifier',
    check: async () => {
      if (unifier.failing) throw new Error('the last batch failed; retrying');
    },
  });
  return { lifecycle, pool, metrics, http, kafkaSource, unifier, engine, walSources, ...(forgetRequests ? { forgetRequests } : {}), ...(publisher ? { publisher } : {}) };
}
