import type { z } from 'zod';
import type { AddressValues, CustomerValues } from '../../contract.js';

/** What a mapper may know about the message it maps, besides the payload. */
export interface MessageContext {
  topic: string;
  partition: number;
  offset: string;
  /** Broker timestamp, epoch milliseconds. */
  timestamp: Date;
  /** Message headers decoded as UTF-8, names as sent (mappers match them case-insensitively). */
  headers: Readonly<Record<string, string | undefined>>;
}

/**
 * A mapped payload: the parts of a SourceRecord that come from the payload.
 * The connector adds platform and position, and falls back to the message's
 * topic-partition-offset and timestamp when the payload has no event id or
 * event time.
 */
export interface MappedRecord {
  /**
   * Only the generic mapper sets this: one generic topic may carry several
   * sources. The connector accepts it only when it names a configured platform.
   */
  platform?: string;
  eventId?: string;
  eventTime?: Date;
  email: string;
  customer: CustomerValues;
  address: AddressValues;
}

export type MapResult =
  | { kind: 'record'; record: MappedRecord }
  /** The event carries no customer data (e.g. a Stripe `customer.deleted`): counted, not dead-lettered. */
  | { kind: 'skip'; reason: string };

/**
 * One source platform's payload: a zod schema of what it publishes and a pure
 * mapping to the canonical record. Schemas are tolerant (unknown keys
 * ignored, unconfirmed fields optional) because platforms add fields freely.
 */
export interface Mapper<Payload = unknown> {
  /** The `mapper:` name operators use in config. */
  readonly name: string;
  readonly schema: z.ZodType<Payload>;
  /**
   * Decodes the message text; `JSON.parse` when absent. Shopify's mapper uses
   * `parseJsonPreservingBigIntegers` because its ids exceed 2^53.
   */
  readonly decode?: (text: string) => unknown;
  /**
   * A message without a value (a Debezium tombstone) is skipped with this
   * reason; when absent it is dead-lettered as empty_value.
   */
  readonly tombstone?: string;
  map(payload: Payload, context: MessageContext): MapResult;
}

/** Lets a registry hold mappers of different payload types. */
export function defineMapper<Payload>(mapper: Mapper<Payload>): Mapper<unknown> {
  return mapper as Mapper<unknown>;
}
