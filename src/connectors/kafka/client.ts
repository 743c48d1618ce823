import { Kafka, logLevel, type LogEntry, type SASLOptions } from 'kafkajs';
import type { KafkaConfig } from '../../runtime/config.js';
import type { Logger } from '../../runtime/logger.js';
import { registerKafkaCodecs } from './codecs.js';

/** kafkajs logs through pino; its INFO chatter (joins, rebalances) becomes debug. */
function kafkaLogCreator(logger: Logger) {
  return () =>
    ({ level, log }: LogEntry) => {
      const { message, ...extra } = log;
      if (level === logLevel.ERROR || level === logLevel.NOTHING) logger.error(extra, message);
      else if (level === logLevel.WARN) logger.warn(extra, message);
      else logger.debug(extra, message);
    };
}

export function createKafka(config: KafkaConfig, logger: Logger, clientIdSuffix = ''): Kafka {
  registerKafkaCodecs();
  const sasl: SASLOptions | undefined = config.sasl
    ? ({ mechanism: config.sasl.mechanism, username: config.sasl.username, password: config.sasl.password } as SASLOptions)
    : undefined;
  return new Kafka({
    clientId: `${config.clientId}${clientIdSuffix}`,
    brokers: config.brokers,
    ssl: config.ssl,
    ...(sasl ? { sasl } : {}),
    connectionTimeout: 5_000,
    requestTimeout: 30_000,
    logLevel: logLevel.INFO,
    logCreator: kafkaLogCreator(logger),
    retry: { initialRetryTime: 300, retries: 10, maxRetryTime: 10_000 },
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
