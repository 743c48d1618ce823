import { z } from 'zod';
import type { DebeziumColumnType, PlatformConfig } from '../../runtime/config.js';
import { ALL_FIELDS, isAddressField, isCustomerField, type AddressValues, type CustomerValues } from '../../contract.js';
import { configuredType, decodeValue, type ConnectType } from './debeziumTypes.js';
import { MappingError } from './errors.js';
import { parseJsonPreservingBigIntegers } from './json.js';
import { defineMapper, type Mapper } from './Mapper.js';
import { dateFromEpochMillis } from './time.js';
import { recordResult, skip } from './values.js';

/*
 * A topic that carries Debezium change events (any Debezium source connector,
 * through Kafka Connect's JSON converter with or without schemas): the row
 * in `after` is mapped with a column mapping like walSources[].columns.
 * Event time: source.ts_ms (when the source database committed). Event id:
 * source.lsn, or the connector's own position (SQL Server change_lsn,
 * Oracle scn, MySQL file:pos:row); without one the Kafka position. Deletes,
 * truncates and tombstones are skipped and counted, as the WAL source does:
 * a row vanishing from one source says nothing about the person.
 */

const Row = z.record(z.string(), z.unknown());

const Source = z.looseObject({
  ts_ms: z.number().nullish(),
  lsn: z.union([z.number(), z.string()]).nullish(),
  change_lsn: z.string().nullish(),
  scn: z.union([z.number(), z.string()]).nullish(),
  file: z.string().nullish(),
  pos: z.number().nullish(),
  row: z.number().nullish(),
});

const Envelope = z.looseObject({
  op: z.string().min(1),
  before: Row.nullish(),
  after: Row.nullish(),
  source: Source.nullish(),
});

/** A Connect schema as the JSON converter writes it (only what is read here). */
interface SchemaJson {
  type?: string;
  name?: string;
  field?: string;
  parameters?: Record<string, string>;
  fields?: SchemaJson[];
}
const SchemaJson: z.ZodType<SchemaJson> = z.lazy(() =>
  z.looseObject({
    type: z.string().optional(),
    name: z.string().optional(),
    field: z.string().optional(),
    parameters: z.record(z.string(), z.string()).optional(),
    fields: z.array(SchemaJson).optional(),
  }),
);

/** With schemas: {schema, payload}; without: the envelope itself. */
const Wrapped = z.looseObject({ schema: SchemaJson, payload: Envelope });
export const DebeziumMessage = z.union([Wrapped, Envelope]);
export type DebeziumMessage = z.infer<typeof DebeziumMessage>;

function isWrapped(message: DebeziumMessage): message is z.infer<typeof Wrapped> {
  return 'schema' in message && 'payload' in message && typeof message.payload === 'object' && message.payload !== null;
}

export interface DebeziumMapping {
  columns: NonNullable<PlatformConfig['columns']>;
  /** For topics without schemas: the types of columns that need decoding. */
  columnTypes?: Readonly<Record<string, DebeziumColumnType>> | undefined;
}

/** Skip reasons, counted in custsync_records_skipped_total. */
export const DEBEZIUM_SKIPS = {
  delete: 'source_delete',
  truncate: 'source_truncate',
  tombstone: 'source_tombstone',
  other: 'not_a_row_change',
} as const;

/** The types of the `after` row's columns, from the message's schema. */
function afterTypes(schema: SchemaJson): Map<string, ConnectType> {
  const after = schema.fields?.find((f) => f.field === 'after');
  return new Map((after?.fields ?? []).flatMap((f) => (f.field ? [[f.field, { type: f.type, name: f.name, parameters: f.parameters }] as const] : [])));
}

/** The connector's position of the change, as text; undefined when it names none. */
export function debeziumEventId(source: z.infer<typeof Source> | null | undefined): string | undefined {
  if (!source) return undefined;
  if (source.lsn !== null && source.lsn !== undefined) return String(source.lsn);
  if (source.change_lsn) return source.change_lsn;
  if (source.scn !== null && source.scn !== undefined) return String(source.scn);
  if (source.file && source.pos !== null && source.pos !== undefined) return `${source.file}:${source.pos}:${source.row ?? 0}`;
  return undefined;
}

export function createDebeziumMapper(mapping: DebeziumMapping): Mapper {
  const configured = new Map(Object.entries(mapping.columnTypes ?? {}).map(([column, type]) => [column, configuredType(type)]));
  return defineMapper({
    name: 'debezium',
    schema: DebeziumMessage,
    // Nanosecond timestamps and int64 columns exceed 2^53: kept exact as decimal text.
    decode: parseJsonPreservingBigIntegers,
    tombstone: DEBEZIUM_SKIPS.tombstone,
    map(message) {
      const wrapped = isWrapped(message);
      const envelope = wrapped ? message.payload : message;
      const types = wrapped ? afterTypes(message.schema) : configured;
      if (envelope.op === 'd') return skip(DEBEZIUM_SKIPS.delete);
      if (envelope.op === 't') return skip(DEBEZIUM_SKIPS.truncate);
      if (envelope.op !== 'c' && envelope.op !== 'u' && envelope.op !== 'r') return skip(DEBEZIUM_SKIPS.other);
      const after = envelope.after;
      if (!after) throw new MappingError(`a Debezium "${envelope.op}" event without after`, wrapped ? ['payload', 'after'] : ['after']);
      const cell = (column: string) => decodeValue(after[column], types.get(column) ?? configured.get(column));
      const customer: CustomerValues = {};
      const address: AddressValues = {};
      for (const field of ALL_FIELDS) {
        const column = mapping.columns[field];
        if (column === undefined) continue;
        const value = cell(column);
        if (value === undefined) continue;
        if (isCustomerField(field)) customer[field] = value;
        else if (isAddressField(field)) address[field] = value;
      }
      const eventTime = typeof envelope.source?.ts_ms === 'number' ? dateFromEpochMillis(envelope.source.ts_ms) : undefined;
      return recordResult({
        // Missing: the normalizer rejects the record as email_missing, dead-lettered like any message.
        email: cell(mapping.columns.email) ?? '',
        eventId: debeziumEventId(envelope.source),
        eventTime,
        customer,
        address,
      });
    },
  });
}
