import { z } from 'zod';
import { ALL_FIELDS, type Field } from '../unifier/fields.js';

/**
 * The operators' configuration file (`config/custsync.example.yaml` documents
 * every key). Objects are strict so a misspelt key fails fast instead of being
 * silently ignored.
 */

const PlatformName = z
  .string()
  .regex(/^[a-z][a-z0-9_-]{0,62}$/, 'a lower-case name: letters, digits, "_" or "-", starting with a letter');

const Priority = z.number().int().min(0).max(1_000_000);

const FieldPriorities = z
  .record(z.string(), Priority)
  .superRefine((overrides, ctx) => {
    for (const field of Object.keys(overrides)) {
      if (!(ALL_FIELDS as readonly string[]).includes(field)) {
        ctx.addIssue({
          code: 'custom',
          path: [field],
          message: `unknown field "${field}"; valid fields: ${ALL_FIELDS.join(', ')}`,
        });
      }
    }
  })
  .transform((overrides) => overrides as Partial<Record<Field, number>>);

export const PlatformConfig = z
  .object({
    /** Name written to `customer_logs.changed_by` and provenance. */
    name: PlatformName,
    /** Which payload mapper decodes this platform's messages (hotmart, kiwify, eduzz, stripe, shopify, generic). */
    mapper: z.string().min(1),
    /** Higher wins. A value set by a higher-priority platform is never overwritten by a lower one. */
    priority: Priority,
    /** Kafka topics carrying this platform's webhook bodies. */
    topics: z.array(z.string().min(1)).default([]),
    /** Per-field priority overriding `priority` for that field. */
    fieldPriorities: FieldPriorities.default({}),
  })
  .strict();
export type PlatformConfig = z.infer<typeof PlatformConfig>;

export const KafkaConfig = z
  .object({
    brokers: z.array(z.string().regex(/^[^\s:]+:\d+$/, 'host:port')).min(1),
    clientId: z.string().min(1).default('custsync'),
    groupId: z.string().min(1).default('custsync'),
    deadLetterTopic: z.string().min(1).default('custsync.dead-letters'),
    changeTopic: z.string().min(1).default('custsync.customer-changes'),
    /** Messages larger than this go to the dead-letter topic unread. */
    maxMessageBytes: z.number().int().positive().default(1_048_576),
    /** Upper bound of bytes fetched per partition per request (bounds memory under a backlog). */
    maxBytesPerPartition: z.number().int().positive().default(2_097_152),
    /** Partitions processed at the same time (each applies its own transactions). */
    partitionsConsumedConcurrently: z.number().int().min(1).max(64).default(4),
    /**
     * How long the group waits for a silent instance before giving its
     * partitions to the others (a crashed instance's partitions stall this long).
     */
    sessionTimeoutMs: z.number().int().min(6_000).max(300_000).default(30_000),
    /** Create missing source, dead-letter and change topics at start-up. */
    createMissingTopics: z.boolean().default(true),
    /** Partitions of topics custsync creates. */
    newTopicPartitions: z.number().int().min(1).max(1_000).default(3),
    /** Replication factor of topics custsync creates (-1: the broker's default). */
    newTopicReplicationFactor: z.number().int().min(-1).max(10).default(-1),
    ssl: z.boolean().default(false),
    sasl: z
      .object({
        mechanism: z.enum(['plain', 'scram-sha-256', 'scram-sha-512']),
        username: z.string().min(1),
        password: z.string().min(1),
      })
      .strict()
      .optional(),
  })
  .strict();
export type KafkaConfig = z.infer<typeof KafkaConfig>;

export const UnifierConfig = z
  .object({
    /** Largest number of records applied in one transaction. */
    batchSize: z.number().int().min(1).max(50_000).default(2_000),
    /** How long a source may wait to fill a batch before applying what it has. */
    lingerMs: z.number().int().min(0).max(60_000).default(50),
    /** Country assumed for phone numbers without a country code (ISO 3166-1 alpha-2). */
    defaultPhoneCountry: z.string().regex(/^[A-Z]{2}$/).default('BR'),
    /** Priority of `custsync customer update` and of hand edits made in SQL. */
    operatorPriority: Priority.default(1_000),
    /** Attempts for a batch that hit a deadlock, serialization failure or lost connection. */
    maxAttempts: z.number().int().min(1).max(100).default(8),
  })
  .strict();
export type UnifierConfig = z.infer<typeof UnifierConfig>;

export const Config = z
  .object({
    database: z
      .object({
        url: z.string().regex(/^postgres(ql)?:\/\//, 'a postgres:// URL'),
        poolSize: z.number().int().min(2).max(100).default(10),
        /** Applied to every statement of custsync's own sessions. */
        statementTimeoutMs: z.number().int().min(0).default(60_000),
      })
      .strict(),
    kafka: KafkaConfig,
    unifier: UnifierConfig.default(UnifierConfig.parse({})),
    platforms: z.array(PlatformConfig).default([]),
    http: z
      .object({
        host: z.string().default('0.0.0.0'),
        port: z.number().int().min(0).max(65_535).default(9464),
      })
      .strict()
      .default({ host: '0.0.0.0', port: 9464 }),
    log: z
      .object({
        level: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
      })
      .strict()
      .default({ level: 'info' }),
  })
  .strict()
  .superRefine((config, ctx) => {
    const names = new Map<string, number>();
    const topicOwner = new Map<string, string>();
    config.platforms.forEach((platform, index) => {
      const previous = names.get(platform.name);
      if (previous !== undefined) {
        ctx.addIssue({ code: 'custom', path: ['platforms', index, 'name'], message: `duplicate platform "${platform.name}" (also platforms[${previous}])` });
      }
      names.set(platform.name, index);
      platform.topics.forEach((topic, topicIndex) => {
        const owner = topicOwner.get(topic);
        if (owner !== undefined && owner !== platform.name) {
          ctx.addIssue({
            code: 'custom',
            path: ['platforms', index, 'topics', topicIndex],
            message: `topic "${topic}" already belongs to platform "${owner}"; a topic maps to one platform`,
          });
        }
        topicOwner.set(topic, platform.name);
      });
    });
    for (const reserved of [config.kafka.deadLetterTopic, config.kafka.changeTopic]) {
      const owner = topicOwner.get(reserved);
      if (owner) {
        ctx.addIssue({ code: 'custom', path: ['platforms'], message: `platform "${owner}" consumes "${reserved}", which is custsync's own output topic` });
      }
    }
  });
export type Config = z.infer<typeof Config>;
export type ConfigInput = z.input<typeof Config>;

/**
 * Environment variables that override the file (addresses and secrets), with
 * the key they replace. docker-compose.yml may only set these.
 */
export const ENV_OVERRIDES = {
  DATABASE_URL: 'database.url',
  KAFKA_BROKERS: 'kafka.brokers (comma-separated host:port)',
  KAFKA_CLIENT_ID: 'kafka.clientId',
  KAFKA_GROUP_ID: 'kafka.groupId',
  KAFKA_SASL_MECHANISM: 'kafka.sasl.mechanism',
  KAFKA_SASL_USERNAME: 'kafka.sasl.username',
  KAFKA_SASL_PASSWORD: 'kafka.sasl.password',
  CUSTSYNC_HTTP_PORT: 'http.port',
  CUSTSYNC_LOG_LEVEL: 'log.level',
  CUSTSYNC_CONFIG: 'path of the configuration file (default config/custsync.yaml)',
} as const;
export type EnvOverride = keyof typeof ENV_OVERRIDES;
