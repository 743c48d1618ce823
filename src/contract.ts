import type { IHeaders } from 'kafkajs';
import { z } from 'zod';

/**
 * The connector contract: what every source (Kafka topics, WAL slots, import
 * files) hands the unifier, and what it gets back. A source turns its input
 * into `Incoming` items (a canonical `SourceRecord`, a `DeadLetter`, or a
 * skip), groups them in an `IngestBatch` with the positions the batch covers,
 * and gives it to a `RecordSink` (the unifier), which applies it in one
 * Postgres transaction that also stores the positions; only then does the
 * source acknowledge the batch (commit the offset, confirm the LSN).
 *
 * This file imports nothing else from custsync: every layer may read it.
 */

// ---------------------------------------------------------------------------
// Fields
/**
 * The seed's customer and address columns that sources may set, with their
 * column widths. Everything downstream (normalization, survivorship, SQL,
 * audit field names) is driven from these two lists, so adding a column is
 * one edit here plus a migration.
 */
export const CUSTOMER_FIELDS = [
  'name',
  'customer_id',
  'phone_local_code',
  'phone_number',
  'document_type',
  'document_number',
] as const;

export const ADDRESS_FIELDS = [
  'address',
  'number',
  'complement',
  'neighborhood',
  'city',
  'state',
  'zip_code',
  'country',
  'ip',
] as const;

export type CustomerField = (typeof CUSTOMER_FIELDS)[number];
export type AddressField = (typeof ADDRESS_FIELDS)[number];
/** A column of `customers` or `addresses` that survivorship decides. The names do not collide. */
export type Field = CustomerField | AddressField;

export const ALL_FIELDS: readonly Field[] = [...CUSTOMER_FIELDS, ...ADDRESS_FIELDS];

/** VARCHAR widths from the seed DDL; a longer value is dropped, never truncated. */
export const FIELD_MAX_LENGTH: Readonly<Record<Field | 'email', number>> = {
  email: 255,
  name: 255,
  customer_id: 255,
  phone_local_code: 10,
  phone_number: 20,
  document_type: 10,
  document_number: 55,
  address: 255,
  neighborhood: 100,
  country: 100,
  city: 100,
  zip_code: 20,
  complement: 255,
  number: 20,
  ip: 45,
  state: 100,
};

export function isCustomerField(field: string): field is CustomerField {
  return (CUSTOMER_FIELDS as readonly string[]).includes(field);
}

export function isAddressField(field: string): field is AddressField {
  return (ADDRESS_FIELDS as readonly string[]).includes(field);
}

export function isField(field: string): field is Field {
  return isCustomerField(field) || isAddressField(field);
}

// ---------------------------------------------------------------------------
// Records and their positions

/**
 * Where a record came from, precise enough to resume after it. Every kind
 * maps to a (stream, partition, ordinal) triple in `custsync.source_positions`
 * (see `positionKey` in src/unifier/PositionStore.ts), stored in the same transaction as the data.
 */
export const KafkaPosition = z.object({
  kind: z.literal('kafka'),
  topic: z.string().min(1),
  partition: z.number().int().nonnegative(),
  /** kafkajs offsets are decimal strings; kept as such to stay exact past 2^53. */
  offset: z.string().regex(/^\d+$/),
});
export const WalPosition = z.object({
  kind: z.literal('wal'),
  slot: z.string().min(1),
  /** Commit LSN of the source transaction, `X/Y` as Postgres prints it. */
  lsn: z.string().regex(/^[0-9A-Fa-f]+\/[0-9A-Fa-f]+$/),
});
export const ImportPosition = z.object({
  kind: z.literal('import'),
  /** Stable id of the imported file (its content hash). */
  source: z.string().min(1),
  line: z.number().int().positive(),
});
export const OperatorPosition = z.object({
  kind: z.literal('operator'),
  operator: z.string().min(1),
  reason: z.string().min(1),
});
export const SourcePosition = z.discriminatedUnion('kind', [
  KafkaPosition,
  WalPosition,
  ImportPosition,
  OperatorPosition,
]);
export type KafkaPosition = z.infer<typeof KafkaPosition>;
export type WalPosition = z.infer<typeof WalPosition>;
export type ImportPosition = z.infer<typeof ImportPosition>;
export type OperatorPosition = z.infer<typeof OperatorPosition>;
export type SourcePosition = z.infer<typeof SourcePosition>;

/** An optional incoming value: absent, explicitly empty, or text (normalized later). */
const OptionalValue = z.string().nullish();

export const CustomerValues = z.object({
  name: OptionalValue,
  /** The customer's id in the source platform. */
  customer_id: OptionalValue,
  /** Area code (DDD in Brazil). May be absent when `phone_number` is a full number. */
  phone_local_code: OptionalValue,
  /** A phone number in any common format; normalization splits it. */
  phone_number: OptionalValue,
  /** CPF, CNPJ or another type; derived from the number when absent. */
  document_type: OptionalValue,
  document_number: OptionalValue,
});
export type CustomerValues = z.infer<typeof CustomerValues>;

export const AddressValues = z.object({
  address: OptionalValue,
  number: OptionalValue,
  complement: OptionalValue,
  neighborhood: OptionalValue,
  city: OptionalValue,
  state: OptionalValue,
  zip_code: OptionalValue,
  country: OptionalValue,
  ip: OptionalValue,
});
export type AddressValues = z.infer<typeof AddressValues>;

/**
 * The canonical record every connector produces and the unifier consumes.
 * Values are raw (as the platform sent them); `normalizeRecord` turns a
 * SourceRecord into what survivorship decides on.
 */
export const SourceRecord = z.object({
  /** Platform name as configured (`hotmart`, `stripe`, `legacy_app`, `operator`, ...). */
  platform: z.string().min(1).max(100),
  position: SourcePosition,
  /** The platform's id of the event, or one derived from the position. */
  eventId: z.string().min(1).max(255),
  /** When the platform says the event happened; orders equal-priority sources. */
  eventTime: z.date(),
  email: z.string(),
  customer: CustomerValues.default({}),
  address: AddressValues.default({}),
});
export type SourceRecord = z.infer<typeof SourceRecord>;
export type SourceRecordInput = z.input<typeof SourceRecord>;

/** "Everything in (stream, partition) before `next` is applied": what a batch stores with its data. */
export interface PositionAdvance {
  stream: string;
  partition: number;
  next: bigint;
}

// ---------------------------------------------------------------------------
// Dead letters

/** Why a message was dead-lettered; stable codes for operators and `dlq replay --reason`. */
export type DeadLetterReason =
  /** The message had no value (a tombstone). */
  | 'empty_value'
  /** The value was larger than `kafka.maxMessageBytes`. */
  | 'too_large'
  /** The value was not valid UTF-8. */
  | 'invalid_utf8'
  /** The value was not JSON. */
  | 'invalid_json'
  /** An imported CSV record did not parse, or had the wrong number of fields. */
  | 'invalid_csv'
  /** The JSON did not match the platform's payload schema. */
  | 'schema_invalid'
  /** The payload matched but could not be mapped (e.g. a buyer event without an email). */
  | 'mapping_failed'
  /** The generic payload named a platform custsync is not configured for. */
  | 'unknown_platform'
  /** The record had no email. */
  | 'email_missing'
  /** The record's email is not a valid address. */
  | 'email_invalid'
  /** The record's email is longer than the column. */
  | 'email_too_long'
  /**
   * A stored record batch the Kafka client cannot decode at all (corrupt
   * compressed data, a client bug): the whole batch, as stored, with its
   * first offset as the origin and its last in `custsync.source.last-offset`.
   */
  | 'undecodable_batch';

/** The original message, byte for byte, and where it came from. */
export interface DeadLetterOrigin {
  position: SourcePosition;
  key: Buffer | null;
  value: Buffer | null;
  headers: IHeaders;
  /** Broker timestamp of the original message (epoch ms as a string), when it came from Kafka. */
  timestamp?: string;
}

export interface DeadLetter {
  origin: DeadLetterOrigin;
  platform: string;
  reason: DeadLetterReason;
  /** Human-readable explanation (no personal data: it is shown in logs and headers). */
  message: string;
  /** Where in the payload the problem is, e.g. `data.buyer.email`. */
  path?: string;
}

/** Where dead letters go; sending must be durable (acknowledged) before the batch commits. */
export interface DeadLetterSink {
  send(letters: readonly DeadLetter[]): Promise<void>;
}

// ---------------------------------------------------------------------------
// Batches

/** One input of a batch as a connector decoded it. */
export type Incoming =
  | { kind: 'record'; record: SourceRecord; origin: DeadLetterOrigin }
  /** Could not be decoded, validated or mapped. */
  | { kind: 'invalid'; letter: DeadLetter }
  /** Carries no customer data (an event type the mapper ignores). */
  | { kind: 'skip'; platform: string; reason: string };

export interface IngestBatch {
  items: readonly Incoming[];
  /** Positions the batch covers, including messages that were dead-lettered or skipped. */
  advance: readonly PositionAdvance[];
}

/**
 * A batch the sink has decoded, validated and normalized ahead of applying
 * it (`RecordSink.prepare`: pure CPU), so a source can prepare batch N+1
 * while Postgres applies batch N. Only the sink that prepared it reads it.
 */
export interface PreparedBatch {
  readonly prepared: true;
  readonly advance: readonly PositionAdvance[];
}

/** What applying a batch did. */
export interface IngestResult {
  /** Records the batch carried. */
  received: number;
  /** Records already covered by a stored position (redelivered), ignored. */
  replayed: number;
  /** Records applied (whether or not they changed anything), suppressed ones included. */
  applied: number;
  /** Records for forgotten people, dropped. */
  suppressed: number;
  createdCustomers: number;
  changedCustomers: number;
  auditRows: number;
  deadLettered: number;
  skipped: number;
}

export interface DeliveryHooks {
  /** Stop retrying (the daemon is stopping, or the partition was revoked): ingest throws StoppedError. */
  shouldStop?: () => boolean;
  /** Called while waiting between attempts (Kafka heartbeats). */
  onWait?: () => Promise<void>;
}

/**
 * What a source hands its batches to: the unifier (src/unifier/Unifier.ts).
 * `ingest` retries a failing batch until it is applied or `shouldStop` says
 * to give up (StoppedError: nothing of the batch is committed); it never
 * skips a batch.
 */
export interface RecordSink {
  prepare(batch: IngestBatch): PreparedBatch;
  ingest(batch: IngestBatch | PreparedBatch, hooks?: DeliveryHooks): Promise<IngestResult>;
  /** Whether the last attempt to apply a batch failed (readiness). */
  readonly failing: boolean;
}
