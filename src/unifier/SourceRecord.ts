import { z } from 'zod';

/**
 * Where a record came from, precise enough to resume after it. Every kind
 * maps to a (stream, partition, ordinal) triple in `custsync.source_positions`
 * (see `positionKey`), stored in the same transaction as the data.
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
