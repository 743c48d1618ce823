/*
 * Kafka Connect schemas (as the JSON converter writes them with
 * schemas.enable=true) of what Debezium's Postgres connector emits for the
 * seed's `customers` table with its defaults (time.precision.mode adaptive,
 * decimal handling precise, no transaction metadata): field order, types,
 * optionality, logical names and defaults as Debezium 3.6 writes them. The
 * integration test `debezium.connect.test.ts` compares them with the real
 * connector's output on the same table. custsync adds one optional field to
 * the envelope, `custsync`, that Debezium consumers do not read.
 */

/** A Connect schema in the JSON converter's notation (`field` set when it is a struct's field). */
export interface ConnectSchema {
  type: 'int8' | 'int16' | 'int32' | 'int64' | 'float32' | 'float64' | 'boolean' | 'string' | 'bytes' | 'array' | 'map' | 'struct';
  optional: boolean;
  name?: string;
  version?: number;
  parameters?: Record<string, string>;
  default?: unknown;
  fields?: ConnectSchema[];
  items?: ConnectSchema;
  field?: string;
}

/** The names Debezium derives from `topic.prefix` (its logical server name), schema and table. */
export interface DebeziumNames {
  serverName: string;
  schema: string;
  table: string;
}

export const ZONED_TIMESTAMP = 'io.debezium.time.ZonedTimestamp';
/** Debezium's default for a timestamptz column whose default it cannot evaluate (CURRENT_TIMESTAMP). */
const EPOCH_ZONED = '1970-01-01T00:00:00.000000Z';

const string = (field: string, optional = true): ConnectSchema => ({ type: 'string', optional, field });
const int32 = (field: string, optional = true): ConnectSchema => ({ type: 'int32', optional, field });
const int64 = (field: string, optional = true): ConnectSchema => ({ type: 'int64', optional, field });
const zoned = (field: string, withDefault: boolean): ConnectSchema => ({
  type: 'string',
  optional: true,
  name: ZONED_TIMESTAMP,
  version: 1,
  ...(withDefault ? { default: EPOCH_ZONED } : {}),
  field,
});
const struct = (field: string | undefined, name: string, fields: ConnectSchema[], optional: boolean, version?: number): ConnectSchema => ({
  type: 'struct',
  fields,
  optional,
  name,
  ...(version === undefined ? {} : { version }),
  ...(field === undefined ? {} : { field }),
});

/** `customers` columns in table order, as Debezium types them (SERIAL: int32 with default 0; VARCHAR: string; timestamptz: ZonedTimestamp). */
export const CUSTOMER_COLUMNS: readonly ConnectSchema[] = [
  { type: 'int32', optional: false, default: 0, field: 'id' },
  string('email'),
  string('name'),
  string('customer_id'),
  int32('address_id'),
  zoned('created_at', true),
  zoned('updated_at', true),
  string('phone_local_code'),
  string('phone_number'),
  string('document_type'),
  string('document_number'),
];

const prefix = (names: DebeziumNames) => `${names.serverName}.${names.schema}.${names.table}`;

export function keySchema(names: DebeziumNames): ConnectSchema {
  return struct(undefined, `${prefix(names)}.Key`, [{ type: 'int32', optional: false, default: 0, field: 'id' }], false);
}

/** io.debezium.connector.postgresql.Source, version 1. */
export const SOURCE_SCHEMA: ConnectSchema = struct(
  'source',
  'io.debezium.connector.postgresql.Source',
  [
    string('version', false),
    string('connector', false),
    string('name', false),
    int64('ts_ms', false),
    {
      type: 'string',
      optional: true,
      name: 'io.debezium.data.Enum',
      version: 1,
      parameters: { allowed: 'true,first,first_in_data_collection,last_in_data_collection,last,false,incremental' },
      default: 'false',
      field: 'snapshot',
    },
    string('db', false),
    string('sequence'),
    int64('ts_us'),
    int64('ts_ns'),
    string('schema', false),
    string('table', false),
    int64('txId'),
    int64('lsn'),
    int64('xmin'),
    string('origin'),
    int64('origin_lsn'),
  ],
  false,
  1,
);

const TRANSACTION_SCHEMA: ConnectSchema = struct(
  'transaction',
  'event.block',
  [string('id', false), int64('total_order', false), int64('data_collection_order', false)],
  true,
  1,
);

const ADDRESS_FIELDS_SCHEMA: ConnectSchema[] = [
  int32('id', false),
  ...['address', 'number', 'complement', 'neighborhood', 'city', 'state', 'zip_code', 'country', 'ip'].map((f) => string(f)),
  zoned('created_at', false),
  zoned('updated_at', false),
];

/** custsync's extension block: what custsync knows beyond the row (docs/change-events.md, "For Debezium users"). */
export const EXTENSION_SCHEMA: ConnectSchema = struct(
  'custsync',
  'custsync.Extension',
  [
    int32('schema_version', false),
    string('event_id', false),
    {
      type: 'array',
      optional: false,
      items: struct(
        undefined,
        'custsync.FieldChange',
        [
          string('field', false),
          string('old'),
          string('new'),
          string('changed_by'),
          string('reason'),
          struct('provenance', 'custsync.Provenance', [string('platform', false), int32('priority'), zoned('event_time', false), string('event_id')], true),
        ],
        false,
      ),
      field: 'changes',
    },
    { type: 'array', optional: false, items: { type: 'string', optional: false }, field: 'changed_by' },
    {
      type: 'array',
      optional: false,
      items: struct(undefined, 'custsync.SourceEvent', [string('platform', false), string('event_id')], false),
      field: 'sources',
    },
    { type: 'boolean', optional: false, field: 'pseudonymized' },
    struct(
      'main_address',
      'custsync.MainAddresses',
      [struct('before', 'custsync.MainAddress', ADDRESS_FIELDS_SCHEMA, true), struct('after', 'custsync.MainAddress', ADDRESS_FIELDS_SCHEMA, true)],
      false,
    ),
  ],
  true,
  1,
);

export function valueSchema(names: DebeziumNames): ConnectSchema {
  const row = (field: string) => struct(field, `${prefix(names)}.Value`, [...CUSTOMER_COLUMNS], true);
  return struct(
    undefined,
    `${prefix(names)}.Envelope`,
    [row('before'), row('after'), SOURCE_SCHEMA, TRANSACTION_SCHEMA, string('op', false), int64('ts_ms'), int64('ts_us'), int64('ts_ns'), EXTENSION_SCHEMA],
    false,
    2,
  );
}
