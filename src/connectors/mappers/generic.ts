import { z } from 'zod';
import { type AddressField, type CustomerField, FIELD_MAX_LENGTH } from '../../contract.js';
import { defineMapper } from './Mapper.js';
import { dateFromEpochMillis, parseInstant } from './time.js';
import { recordResult } from './values.js';

/*
 * custsync's own canonical JSON, for any source without a mapper of its own.
 * Unknown keys are ignored (not rejected) so producers can send newer fields
 * to older daemons. The JSON Schema in schemas/generic-record.schema.json is
 * generated from this file (scripts/generate-schemas.ts).
 */

// `satisfies Record<…Field, string>` makes adding a column to fields.ts fail to compile until it is documented here.
const CUSTOMER_DOCS = {
  name: 'Full name.',
  customer_id: "The customer's id in the source platform.",
  phone_local_code: 'Area code (DDD in Brazil); may be omitted when phone_number is a full number.',
  phone_number: 'Phone number in any common format (e.g. +55 11 99999-0000); normalized by custsync.',
  document_type: 'Document type (CPF, CNPJ, ...); derived from document_number when omitted.',
  document_number: 'Document number, with or without punctuation.',
} satisfies Record<CustomerField, string>;

const ADDRESS_DOCS = {
  address: 'Street address (street name).',
  number: 'Street number.',
  complement: 'Additional address information (apartment, suite, ...).',
  neighborhood: 'Neighborhood (bairro).',
  city: 'City.',
  state: 'State or province, name or code.',
  zip_code: 'Postal code (CEP in Brazil), with or without punctuation.',
  country: 'Country, name or ISO 3166-1 code.',
  ip: 'IP address the customer registered from.',
} satisfies Record<AddressField, string>;

type OptionalValue = z.ZodOptional<z.ZodNullable<z.ZodString>>;

function optionalValues<F extends CustomerField | AddressField>(docs: Record<F, string>, description: string) {
  const shape = {} as Record<F, OptionalValue>;
  for (const field of Object.keys(docs) as F[]) {
    shape[field] = z
      .string()
      .nullable()
      .optional()
      .describe(
        `${docs[field]} Null, empty or omitted: no value (never clears a stored one). ` +
          `Longer than ${FIELD_MAX_LENGTH[field]} characters: ignored.`,
      );
  }
  return z.object(shape).describe(description);
}

export const GenericCustomer = optionalValues(
  CUSTOMER_DOCS,
  'Customer fields; each is optional and only the ones present are considered.',
);
export type GenericCustomer = z.infer<typeof GenericCustomer>;

export const GenericAddress = optionalValues(
  ADDRESS_DOCS,
  "The customer's address; each field is optional and only the ones present are considered.",
);
export type GenericAddress = z.infer<typeof GenericAddress>;

export const GenericPayload = z
  .object({
    eventId: z
      .string()
      .min(1)
      .max(255)
      .describe('Unique id of this event in its source; a redelivered event with the same id changes nothing.'),
    eventTime: z
      .union([
        z.iso.datetime({ offset: true }).describe('ISO-8601 date-time with seconds and an offset or Z.'),
        z.number().int().min(0).max(8.64e15).describe('Epoch milliseconds.'),
      ])
      .describe(
        'When the event happened in its source: an ISO-8601 date-time with an offset ' +
          '(e.g. 2024-03-01T10:02:00-03:00) or epoch milliseconds. Among sources of equal priority the newer event wins.',
      ),
    platform: z
      .string()
      .min(1)
      .max(100)
      .optional()
      .describe(
        "Source platform name; overrides the topic's platform when one generic topic carries several sources. " +
          'Must name a configured platform.',
      ),
    email: z.string().describe("The customer's email: identifies the customer (compared trimmed and lower-cased)."),
    customer: GenericCustomer.optional(),
    address: GenericAddress.optional(),
  })
  .meta({
    title: 'custsync generic customer record',
    description:
      "custsync's canonical customer event, one JSON object per Kafka message (UTF-8). " +
      'Unknown properties are ignored.',
  });
export type GenericPayload = z.infer<typeof GenericPayload>;

export const genericMapper = defineMapper({
  name: 'generic',
  schema: GenericPayload,
  map(payload) {
    return recordResult({
      platform: payload.platform,
      eventId: payload.eventId,
      eventTime:
        typeof payload.eventTime === 'number'
          ? dateFromEpochMillis(payload.eventTime)
          : parseInstant(payload.eventTime),
      email: payload.email,
      customer: { ...payload.customer },
      address: { ...payload.address },
    });
  },
});

/** The JSON Schema of GenericPayload as producers see it (input side: what may be omitted or null). */
export function genericRecordJsonSchema(): Record<string, unknown> {
  return z.toJSONSchema(GenericPayload, { io: 'input', target: 'draft-2020-12' });
}

/** The committed file's exact text: genericRecordJsonSchema() pretty-printed with a trailing newline. */
export function genericRecordJsonSchemaText(): string {
  return `${JSON.stringify(genericRecordJsonSchema(), null, 2)}\n`;
}
