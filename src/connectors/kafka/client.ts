import { Kafka, logLevel, type RetryOptions, type SASLOptions } from 'kafkajs';
import { readFileSync } from 'node:fs';
import type { ConnectionOptions } from 'node:tls';
import type { KafkaConfig, KafkaTlsConfig } from '../../runtime/config.js';
import { CustsyncError } from '../../runtime/errors.js';
import type { Logger } from '../../runtime/logger.js';
import { registerKafkaCodecs } from './codecs.js';
import { kafkaLogCreator } from './kafkaLog.js';

/** kafka.ssl as Node's TLS options: the PEM files are read here (validated to exist when the configuration loaded). */
export function tlsOptions(tls: KafkaTlsConfig | undefined): ConnectionOptions | false {
  if (!tls) return false;
  const read = (path: string) => readFileSync(path);
  return {
    rejectUnauthorized: tls.rejectUnauthorized,
    ...(tls.ca ? { ca: (Array.isArray(tls.ca) ? tls.ca : [tls.ca]).map(read) } : {}),
    ...(tls.cert ? { cert: read(tls.cert) } : {}),
    ...(tls.key ? { key: read(tls.key) } : {}),
    ...(tls.passphrase ? { passphrase: tls.passphrase } : {}),
    ...(tls.servername ? { servername: tls.servername } : {}),
  };
}

export interface KafkaClientOptions {
  /** Replaces the client's retry policy (connection attempts included). */
  retry?: RetryOptions;
  /** kafkajs' own lines at debug: the caller reports the outcome. */
  quiet?: boolean;
}

export function createKafka(config: KafkaConfig, logger: Logger, clientIdSuffix = '', options: KafkaClientOptions = {}): Kafka {
  registerKafkaCodecs();
  const sasl: SASLOptions | undefined = config.sasl
    ? ({ mechanism: config.sasl.mechanism, username: config.sasl.username, password: config.sasl.password } as SASLOptions)
    : undefined;
  return new Kafka({
    clientId: `${config.clientId}${clientIdSuffix}`,
    brokers: config.brokers,
    ssl: tlsOptions(config.ssl),
    ...(sasl ? { sasl } : {}),
    connectionTimeout: 5_000,
    requestTimeout: 30_000,
    logLevel: logLevel.INFO,
    logCreator: kafkaLogCreator(logger, { quiet: options.quiet ?? false }),
    retry: options.retry ?? { initialRetryTime: 300, retries: 10, maxRetryTime: 10_000 },
  });
}

/** Creates the topics that do not exist yet; existing ones are left as they are. */
export async function ensureTopics(
  kafka: Kafka,
  topics: readonly string[],
  options: { partitions: number; replicationFactor: number },
): Promise<string[]> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    const existing = new Set(await admin.listTopics());
    const missing = [...new Set(topics)].filter((t) => !existing.has(t));
    if (missing.length > 0) {
      await admin.createTopics({
        waitForLeaders: true,
        topics: missing.map((topic) => ({ topic, numPartitions: options.partitions, replicationFactor: options.replicationFactor })),
      });
    }
    return missing;
  } finally {
    await admin.disconnect();
  }
}

/**
 * Start-up check: connects to a bootstrap broker with a short retry (about
 * 6 s), so a daemon pointed at an unreachable cluster exits 3 promptly
 * instead of retrying for a minute. Later failures are retried as usual.
 */
export async function checkKafkaReachable(config: KafkaConfig, logger: Logger): Promise<void> {
  const brokers = config.brokers;
  const probe = createKafka(config, logger, '-probe', { retry: { retries: 4, initialRetryTime: 300, maxRetryTime: 2_000 }, quiet: true });
  const admin = probe.admin();
  try {
    await admin.connect();
  } catch (err) {
    throw new CustsyncError('CUSTSYNC_KAFKA_UNAVAILABLE', `cannot connect to ${brokers.join(',')}: ${(err as Error).message}`, { cause: err });
  } finally {
    await admin.disconnect().catch(() => undefined);
  }
}
