import { existsSync } from 'node:fs';
import { z } from 'zod';
import { ALL_FIELDS, type Field } from '../contract.js';
import { parseDuration } from './duration.js';

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

/** A column name exactly as the source table spells it (custsync quotes it). */
const ColumnName = z.string().min(1).max(63).regex(/^[^"\u0000]+$/, 'a column name without double quotes');

/** Which source column holds each field; only `email` is required. */
const WalColumnMapping = z
  .object({ email: ColumnName, ...Object.fromEntries(ALL_FIELDS.map((field) => [field, ColumnName.optional()])) })
  .strict()
  .transform((columns) => columns as { email: string } & Partial<Record<Field, string>>);

/** Debezium and Kafka Connect logical types the debezium mapper decodes (src/connectors/mappers/debeziumTypes.ts). */
export const DEBEZIUM_LOGICAL_TYPES = [
  'io.debezium.time.Date',
  'io.debezium.time.Time',
  'io.debezium.time.MicroTime',
  'io.debezium.time.NanoTime',
  'io.debezium.time.Timestamp',
  'io.debezium.time.MicroTimestamp',
  'io.debezium.time.NanoTimestamp',
  'io.debezium.time.ZonedTimestamp',
  'io.debezium.data.VariableScaleDecimal',
  'org.apache.kafka.connect.data.Date',
  'org.apache.kafka.connect.data.Time',
  'org.apache.kafka.connect.data.Timestamp',
  'org.apache.kafka.connect.data.Decimal',
] as const;

/** A column's Debezium type, for topics without schemas: the logical name, or a Decimal with its scale. */
const DebeziumColumnType = z.union([
  z.enum(DEBEZIUM_LOGICAL_TYPES),
  z.object({ name: z.enum(DEBEZIUM_LOGICAL_TYPES), scale: z.number().int().min(-1_000).max(1_000).optional() }).strict(),
]);
export type DebeziumColumnType = z.infer<typeof DebeziumColumnType>;

export const PlatformConfig = z
  .object({
    /** Name written to `customer_logs.changed_by` and provenance. */
    name: PlatformName,
    /** Which payload mapper decodes this platform's messages (hotmart, kiwify, eduzz, stripe, shopify, generic, debezium). */
    mapper: z.string().min(1),
    /** Higher wins. A value set by a higher-priority platform is never overwritten by a lower one. */
    priority: Priority,
    /** Kafka topics carrying this platform's webhook bodies. */
    topics: z.array(z.string().min(1)).default([]),
    /** Per-field priority overriding `priority` for that field. */
    fieldPriorities: FieldPriorities.default({}),
    /** mapper debezium: which column of the change event's `after` holds each field, like walSources[].tables[].columns. */
    columns: WalColumnMapping.optional(),
    /** mapper debezium, for topics without schemas: the Debezium types of columns that need decoding (dates, times, decimals). */
    columnTypes: z.record(ColumnName, DebeziumColumnType).optional(),
  })
  .strict()
  .superRefine((platform, ctx) => {
    if (platform.mapper === 'debezium' && !platform.columns) {
      ctx.addIssue({ code: 'custom', path: ['columns'], message: 'mapper debezium needs columns: which column holds the email and each other field' });
    }
    if (platform.mapper !== 'debezium') {
      for (const key of ['columns', 'columnTypes'] as const) {
        if (platform[key] !== undefined) ctx.addIssue({ code: 'custom', path: [key], message: `${key} applies to mapper debezium only` });
      }
    }
  });
export type PlatformConfig = z.infer<typeof PlatformConfig>;

const ReplicationName = z
  .string()
  .regex(/^[a-z_][a-z0-9_]{0,62}$/, 'lower-case letters, digits and "_", starting with a letter or "_", at most 63 characters');

export const WalTableConfig = z
  .object({
    /** `schema.table`, or `table` in `public`. */
    table: z
      .string()
      .regex(/^(?:[^."\s]+\.)?[^."\s]+$/, '"schema.table" or "table"')
      .transform((name) => (name.includes('.') ? name : `public.${name}`)),
    columns: WalColumnMapping,
    /** Column with the row's event time (e.g. updated_at); default: the source transaction's commit time. */
    eventTime: ColumnName.optional(),
  })
  .strict();
export type WalTableConfig = z.infer<typeof WalTableConfig>;

/** A table in another Postgres database, read by logical replication; a platform like any other. */
export const WalSourceConfig = z
  .object({
    /** Platform name: `customer_logs.changed_by` and provenance. */
    name: PlatformName,
    priority: Priority,
    fieldPriorities: FieldPriorities.default({}),
    /** The source database (wal_level=logical; a role with REPLICATION). Env override: WAL_SOURCE_<NAME>_URL. */
    databaseUrl: z.string().regex(/^postgres(ql)?:\/\//, 'a postgres:// URL'),
    /** Default `custsync_<name>`. Slot names are cluster-wide. */
    slotName: ReplicationName.optional(),
    /** Default: the slot name. Created for the tables when missing. */
    publicationName: ReplicationName.optional(),
    tables: z.array(WalTableConfig).min(1),
  })
  .strict()
  .transform((source) => {
    const slotName = source.slotName ?? `custsync_${source.name.replace(/-/g, '_')}`;
    return { ...source, slotName, publicationName: source.publicationName ?? slotName };
  });
export type WalSourceConfig = z.infer<typeof WalSourceConfig>;

/** A PEM file that must exist when the configuration is loaded (its key is named otherwise). */
const PemFile = z
  .string()
  .min(1)
  .superRefine((path, ctx) => {
    if (!existsSync(path)) ctx.addIssue({ code: 'custom', message: `file not found: ${path}` });
  });

/** TLS to the brokers: the CA that signed them, and for mutual TLS the client's certificate and key. */
export const KafkaTlsConfig = z
  .object({
    /** CA certificate(s) the brokers' certificates must chain to; default: the system's. */
    ca: z.union([PemFile, z.array(PemFile).min(1)]).optional(),
    /** Client certificate (mutual TLS), with `key`. */
    cert: PemFile.optional(),
    /** Client private key (mutual TLS), with `cert`. */
    key: PemFile.optional(),
    /** Passphrase of an encrypted key (better: KAFKA_SSL_KEY_PASSPHRASE). */
    passphrase: z.string().min(1).optional(),
    /** Check the brokers' certificates; false only for a test cluster. */
    rejectUnauthorized: z.boolean().default(true),
    /** Name expected in the brokers' certificates when it differs from the broker address. */
    servername: z.string().min(1).optional(),
  })
  .strict()
  .superRefine((tls, ctx) => {
    if (tls.cert && !tls.key) ctx.addIssue({ code: 'custom', path: ['key'], message: 'a client certificate (cert) needs its private key (key)' });
    if (tls.key && !tls.cert) ctx.addIssue({ code: 'custom', path: ['cert'], message: 'a private key (key) needs its client certificate (cert)' });
  });
export type KafkaTlsConfig = z.infer<typeof KafkaTlsConfig>;

/** Kafka compression codecs custsync reads and may write (src/connectors/kafka/codecs.ts). */
export const KAFKA_COMPRESSIONS = ['none', 'gzip', 'snappy', 'lz4', 'zstd'] as const;
export type KafkaCompression = (typeof KAFKA_COMPRESSIONS)[number];

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
    /** How often consumer lag (messages and seconds) is measured from the broker's high-water marks. */
    lagIntervalMs: z.number().int().min(1_000).max(600_000).default(15_000),
    /** Create missing source, dead-letter and change topics at start-up. */
    createMissingTopics: z.boolean().default(true),
    /** Partitions of topics custsync creates. */
    newTopicPartitions: z.number().int().min(1).max(1_000).default(3),
    /** Replication factor of topics custsync creates (-1: the broker's default). */
    newTopicReplicationFactor: z.number().int().min(-1).max(10).default(-1),
    /**
     * Compression of what custsync produces (dead letters, change events).
     * Consuming reads every codec whatever this says.
     */
    compression: z.enum(KAFKA_COMPRESSIONS).default('lz4'),
    /** false (plain TCP), true (TLS, the system's CAs) or TLS settings; unset: false. */
    ssl: z.preprocess((value) => (value === true ? {} : value === false || value === null ? undefined : value), KafkaTlsConfig.optional()),
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
    /** Attempts of a one-shot command's transaction that hit a deadlock, serialization failure or lost connection (the daemon never gives up on a batch). */
    maxAttempts: z.number().int().min(1).max(100).default(8),
  })
  .strict();
export type UnifierConfig = z.infer<typeof UnifierConfig>;

export const AuditConfig = z
  .object({
    /**
     * A creation writes one customer_logs row, the email (as the seed's
     * update trigger implies); who supplied each initial value is in the
     * provenance. true also writes one row per initial value (old NULL).
     */
    logInitialValues: z.boolean().default(false),
  })
  .strict();
export type AuditConfig = z.infer<typeof AuditConfig>;

export const PrivacyConfig = z
  .object({
    /** Kafka topic of forget (right to be forgotten) requests; unset = no topic is consumed. */
    forgetTopic: z.string().min(1).optional(),
  })
  .strict();
export type PrivacyConfig = z.infer<typeof PrivacyConfig>;

export const RetentionConfig = z
  .object({
    /** Customers with no update for this long are anonymized by `custsync retention run` (`3y`, `18mo`, `90d`); unset = no policy. */
    inactiveAfter: z
      .string()
      .superRefine((text, ctx) => {
        const parsed = parseDuration(text);
        if (!parsed.ok) ctx.addIssue({ code: 'custom', message: parsed.message });
      })
      .optional(),
    /** Customers anonymized per transaction. */
    batchSize: z.number().int().min(1).max(10_000).default(500),
  })
  .strict();
export type RetentionConfig = z.infer<typeof RetentionConfig>;

/** `publisher.format: debezium`: how the Debezium-shaped change topic is named and serialized. */
export const DebeziumFormatConfig = z
  .object({
    /** Debezium's topic.prefix (logical server name): schema names `<serverName>.public.customers.Key|Value|Envelope` and source.name. */
    serverName: z.string().regex(/^[A-Za-z0-9_.-]{1,200}$/, 'letters, digits, ".", "_" or "-" (a Debezium topic.prefix)').default('custsync'),
    /** As Kafka Connect's JsonConverter with schemas.enable: every key and value is {schema, payload}. */
    schemas: z.boolean().default(true),
  })
  .strict();
export type DebeziumFormatConfig = z.infer<typeof DebeziumFormatConfig>;

/** The change-event publisher: custsync's own WAL to `kafka.changeTopic` (docs/change-events.md). */
export const PublisherConfig = z
  .object({
    /** Publish customer change events. Needs wal_level=logical and a role with REPLICATION. */
    enabled: z.boolean().default(true),
    /** Replication slot on custsync's database; slot names are cluster-wide, so one per custsync database. */
    slotName: z.string().regex(/^[a-z_][a-z0-9_]{0,62}$/, 'lower-case letters, digits and "_", at most 63 characters (a replication slot name)').default('custsync_changes'),
    /** Publication of customers, addresses, customer_logs and custsync.customer_state; created when missing. */
    publicationName: z.string().regex(/^[a-z_][a-z0-9_]{0,62}$/, 'lower-case letters, digits and "_", at most 63 characters').default('custsync_changes'),
    /** How often the leader writes a heartbeat into the WAL and measures the slot's lag. */
    heartbeatIntervalMs: z.number().int().min(100).max(300_000).default(10_000),
    /** How often the slot lag is logged at info level. */
    lagLogIntervalMs: z.number().int().min(1_000).default(60_000),
    /** How often a standby instance tries to take over the publisher lock. */
    standbyPollMs: z.number().int().min(100).max(5_000).default(1_000),
    /** About this many events (customers) are published and acknowledged together. */
    maxBatchEvents: z.number().int().min(1).max(100_000).default(5_000),
    /**
     * How long a change may wait for others to share its Kafka request: at most this much latency
     * for far fewer, larger requests (less CPU per event) when changes trickle in. 0: none.
     */
    lingerMs: z.number().int().min(0).max(1_000).default(5),
    /** Upper bound of one Kafka produce request; keep it under the broker's message.max.bytes. */
    maxRequestBytes: z.number().int().min(10_000).max(100_000_000).default(900_000),
    /** Compression of the change topic's record batches; unset: kafka.compression. */
    compression: z.enum(KAFKA_COMPRESSIONS).optional(),
    /** After each delete event, a tombstone (same key, null value), so a compacted change topic forgets the customer. */
    tombstones: z.boolean().default(false),
    /** WAL changes held in memory (decoded, or serialized and waiting for Kafka) before reading from Postgres pauses. */
    maxQueuedChanges: z.number().int().min(1_000).max(10_000_000).default(200_000),
    /** Main addresses remembered from the WAL, so events of unchanged addresses need no query. */
    addressCacheSize: z.number().int().min(0).max(10_000_000).default(100_000),
    /**
     * The envelope of the change topic: `custsync` (docs/change-events.md) or `debezium`, what Debezium's
     * Postgres connector emits for the customers table through Kafka Connect's JSON converter, with
     * custsync's extras in a `custsync` block (README, "For Debezium users").
     */
    format: z.enum(['custsync', 'debezium']).default('custsync'),
    debezium: DebeziumFormatConfig.default(DebeziumFormatConfig.parse({})),
  })
  .strict();
export type PublisherConfig = z.infer<typeof PublisherConfig>;

/** A WAL source is a platform: its name must differ from every other platform's; slots and publications are its own. */
function refineWalSources(config: { platforms: PlatformConfig[]; walSources: WalSourceConfig[] }, ctx: z.RefinementCtx): void {
  const platformNames = new Set(config.platforms.map((p) => p.name));
  const seen = { name: new Map<string, number>(), slotName: new Map<string, number>(), publicationName: new Map<string, number>() };
  config.walSources.forEach((source, index) => {
    // zod still runs this refinement when an entry failed its own schema (then untransformed): those are reported already.
    if (typeof source.slotName !== 'string' || !Array.isArray(source.tables)) return;
    if (platformNames.has(source.name)) {
      ctx.addIssue({ code: 'custom', path: ['walSources', index, 'name'], message: `"${source.name}" is already a platform in platforms; a WAL source needs a platform name of its own` });
    }
    for (const key of ['name', 'slotName', 'publicationName'] as const) {
      const previous = seen[key].get(source[key]);
      if (previous !== undefined) {
        ctx.addIssue({ code: 'custom', path: ['walSources', index, key], message: `duplicate ${key} "${source[key]}" (also walSources[${previous}])` });
      }
      seen[key].set(source[key], index);
    }
    if (source.slotName.length > 63) {
      ctx.addIssue({ code: 'custom', path: ['walSources', index, 'slotName'], message: `the default slot name "${source.slotName}" is longer than 63 characters; set slotName` });
    }
    const tables = new Set<string>();
    source.tables.forEach((table, tableIndex) => {
      if (tables.has(table.table)) {
        ctx.addIssue({ code: 'custom', path: ['walSources', index, 'tables', tableIndex, 'table'], message: `table "${table.table}" is listed twice` });
      }
      tables.add(table.table);
    });
  });
}

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
    audit: AuditConfig.default(AuditConfig.parse({})),
    platforms: z.array(PlatformConfig).default([]),
    /** Tables in other databases read by logical replication (docs/import-and-wal-sources.md). */
    walSources: z.array(WalSourceConfig).default([]),
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
    privacy: PrivacyConfig.default(PrivacyConfig.parse({})),
    retention: RetentionConfig.default(RetentionConfig.parse({})),
    publisher: PublisherConfig.default(PublisherConfig.parse({})),
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
    const forgetTopic = config.privacy.forgetTopic;
    if (forgetTopic !== undefined && (topicOwner.has(forgetTopic) || [config.kafka.deadLetterTopic, config.kafka.changeTopic].includes(forgetTopic))) {
      ctx.addIssue({ code: 'custom', path: ['privacy', 'forgetTopic'], message: `"${forgetTopic}" is already a platform or output topic; forget requests need a topic of their own` });
    }
  })
  .superRefine(refineWalSources);
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
  KAFKA_SSL: 'kafka.ssl (true or false)',
  KAFKA_SSL_CA: 'kafka.ssl.ca (a file; comma-separated for several)',
  KAFKA_SSL_CERT: 'kafka.ssl.cert',
  KAFKA_SSL_KEY: 'kafka.ssl.key',
  KAFKA_SSL_KEY_PASSPHRASE: 'kafka.ssl.passphrase',
  CUSTSYNC_HTTP_PORT: 'http.port',
  CUSTSYNC_LOG_LEVEL: 'log.level',
  CUSTSYNC_CONFIG: 'path of the configuration file (default config/custsync.yaml)',
} as const;
export type EnvOverride = keyof typeof ENV_OVERRIDES;

/** The variable overriding `walSources[].databaseUrl` of the source named `name` (`legacy-app` → WAL_SOURCE_LEGACY_APP_URL). */
export function walSourceUrlEnv(name: string): string {
  return `WAL_SOURCE_${name.toUpperCase().replace(/-/g, '_')}_URL`;
}
