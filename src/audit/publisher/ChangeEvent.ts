import { z } from 'zod';
import { ADDRESS_FIELDS, CUSTOMER_FIELDS } from '../../contract.js';

/*
 * The customer-change event, one JSON object per Kafka message on
 * `kafka.changeTopic`, keyed by the customer id. Its shape follows Debezium's
 * envelope (before / after / source / op / ts_ms) so CDC consumers know it,
 * plus what custsync knows and Debezium cannot: the changed fields with who
 * changed them and why, and their provenance. schemas/change-event.schema.json
 * is generated from this file (scripts/generate-schemas.ts); docs/change-events.md
 * explains it.
 */

export const SCHEMA_VERSION = 1;

/** Fields an event reports changes of: the customer's email and every field survivorship decides. */
export const TRACKED_FIELDS = ['email', ...CUSTOMER_FIELDS, ...ADDRESS_FIELDS] as const;
export type TrackedField = (typeof TRACKED_FIELDS)[number];

const text = (description: string) => z.string().nullable().describe(description);
const instant = (description: string) => z.string().nullable().describe(`${description} ISO-8601, UTC.`);

export const MainAddress = z
  .object({
    id: z.number().int().describe('addresses.id'),
    address: text('Street address.'),
    number: text('Street number.'),
    complement: text('Additional address information.'),
    neighborhood: text('Neighborhood.'),
    city: text('City.'),
    state: text('State or province.'),
    zip_code: text('Postal code.'),
    country: text('Country.'),
    ip: text('IP address the customer registered from.'),
    created_at: instant('When the address row was created.'),
    updated_at: instant('When the address row was last written.'),
  })
  .describe("The customer's main address (the addresses row customers.address_id points to).");
export type MainAddress = z.infer<typeof MainAddress>;

export const CustomerImage = z
  .object({
    id: z.number().int().describe('customers.id: the unified customer, also the Kafka message key.'),
    email: text('Normalized email, the unification key.'),
    name: text('Full name.'),
    customer_id: text("The customer's id in the source platform."),
    phone_local_code: text('Area code.'),
    phone_number: text('Phone number.'),
    document_type: text('Document type (CPF, CNPJ, ...).'),
    document_number: text('Document number.'),
    address_id: z.number().int().nullable().describe('customers.address_id'),
    created_at: instant('When the customer was created.'),
    updated_at: instant('When the customer row was last written.'),
    main_address: MainAddress.nullable(),
  })
  .describe('The whole customer row with its main address.');
export type CustomerImage = z.infer<typeof CustomerImage>;

export const Provenance = z
  .object({
    platform: z.string().describe('Platform that set the value (a configured platform, operator:<name>, or sql:<database user> for hand edits).'),
    priority: z.number().int().nullable().describe('Priority it was set with; null for hand edits in SQL (ranked at the operator priority).'),
    event_time: z.string().describe('Time of the source event that set the value. ISO-8601, UTC.'),
    event_id: z.string().nullable().describe('Id of that source event.'),
  })
  .describe('Who set the current value of a field, from the provenance this transaction wrote (custsync.customer_state; the view custsync.field_provenance shows it per field).');
export type Provenance = z.infer<typeof Provenance>;

export const FieldChange = z
  .object({
    field: z.enum(TRACKED_FIELDS).describe('Field name, as in customer_logs.field_name.'),
    old: text('Value before the transaction (always null in a pseudonymized event).'),
    new: text('Value after the transaction.'),
    changed_by: z.string().nullable().describe('customer_logs.changed_by of the change: platform, operator:<name>, the database user, or e.g. GDPR Request.'),
    reason: z.string().nullable().describe('customer_logs.reason, when the writer gave one.'),
    provenance: Provenance.nullable().describe('The provenance of the new value, as this transaction wrote it; null when it wrote none for the field (e.g. a value cleared by hand).'),
  })
  .describe('One field whose value differs between before and after.');
export type FieldChange = z.infer<typeof FieldChange>;

export const EventSource = z
  .object({
    connector: z.literal('custsync'),
    db: z.string().describe('Database the change was committed in.'),
    schema: z.literal('public'),
    table: z.literal('customers'),
    slot: z.string().describe('Replication slot the change was read from.'),
    lsn: z.string().describe('Commit LSN of the transaction: orders events of one customer.'),
    tx_id: z.number().int().describe('Postgres transaction id.'),
    ts_ms: z.number().int().describe('Commit time, epoch milliseconds.'),
    commit_time: z.string().describe('Commit time. ISO-8601, UTC.'),
  })
  .describe('Where the change comes from (Debezium-style source block).');
export type EventSource = z.infer<typeof EventSource>;

export const ChangeEvent = z
  .object({
    schema_version: z.literal(SCHEMA_VERSION).describe('Version of this envelope; a breaking change increments it.'),
    event_id: z
      .string()
      .describe('<commit LSN>:<customer id>. The same for every re-publication of the event: deduplicate on it.'),
    op: z
      .enum(['c', 'u', 'd', 'r'])
      .describe('c: the customer was created; u: updated (pseudonymization included); d: deleted; r: read by a snapshot (`custsync snapshot`): the customer as it is at this point of the stream.'),
    key: z.object({ id: z.number().int() }).describe('The customer id; the Kafka message key is the same id as a decimal string.'),
    before: CustomerImage.nullable().describe('The customer before the transaction; null for c and r. Personal values are null in a pseudonymized event.'),
    after: CustomerImage.nullable().describe('The customer after the transaction; null for d.'),
    changes: z.array(FieldChange).describe('Fields whose value changed (empty for d and r).'),
    changed_by: z.array(z.string()).describe('Every distinct customer_logs.changed_by of this customer in the transaction, in order.'),
    sources: z
      .array(z.object({ platform: z.string(), event_id: z.string().nullable() }))
      .describe('Source platforms and event ids of the changed values (from their provenance), each once, in field order.'),
    pseudonymized: z.boolean().describe('The transaction pseudonymized the customer (right to be forgotten): before and old values carry no personal data.'),
    source: EventSource,
    ts_ms: z.number().int().describe('When custsync built the event, epoch milliseconds (differs between re-publications).'),
  })
  .meta({
    title: 'custsync customer change event',
    description:
      'One committed change of one unified customer (one event per customer per transaction), published on the ' +
      'customer-change topic keyed by customer id. Debezium-style envelope; see docs/change-events.md.',
  });
export type ChangeEvent = z.infer<typeof ChangeEvent>;

/** The JSON Schema of ChangeEvent as consumers read it. */
export function changeEventJsonSchema(): Record<string, unknown> {
  // Input side: objects stay open (no additionalProperties: false), so adding a field is not a breaking change for validating consumers.
  return z.toJSONSchema(ChangeEvent, { io: 'input', target: 'draft-2020-12' });
}

/** The committed file's exact text: changeEventJsonSchema() pretty-printed with a trailing newline. */
export function changeEventJsonSchemaText(): string {
  return `${JSON.stringify(changeEventJsonSchema(), null, 2)}\n`;
}
