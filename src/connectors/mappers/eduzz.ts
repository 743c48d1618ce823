import { z } from 'zod';
import type { AddressValues, CustomerValues } from '../../contract.js';
import { defineMapper } from './Mapper.js';
import type { MapResult } from './Mapper.js';
import { MappingError } from './errors.js';
import { SAO_PAULO_UTC_OFFSET_MINUTES, parseDateAndTime, parseInstant } from './time.js';
import {
  firstPresent,
  hasText,
  optionalLooseText,
  optionalText,
  parseNested,
  recordResult,
  requireEmail,
  skip,
} from './values.js';

/*
 * Eduzz publishes two formats, told apart by shape: developer-hub events
 * (`event: "myeduzz.*"`) and the legacy flat webhook (`cus_*`, `trans_*`).
 * Eduzz is known to send numeric-looking values as numbers, so those are
 * coerced to strings in both.
 */

const EduzzAddress = z.object({
  street: optionalText,
  number: optionalLooseText,
  complement: optionalText,
  neighborhood: optionalText,
  city: optionalText,
  state: optionalText,
  zipCode: optionalLooseText,
  country: optionalText,
});

const EduzzBuyer = z.object({
  name: optionalText,
  email: optionalText,
  phone: optionalLooseText,
  cellphone: optionalLooseText,
  document: optionalLooseText,
  address: EduzzAddress.nullish(),
});

const EduzzCustomer = z.object({
  id: optionalLooseText,
  name: optionalText,
  email: optionalText,
});

/** A developer-hub (`myeduzz.*`) event: invoices carry `data.buyer`, contracts `data.customer`. */
export const EduzzEventPayload = z.object({
  id: z.string().min(1),
  event: z.string().startsWith('myeduzz.'),
  sentDate: optionalText,
  data: z.object({ buyer: EduzzBuyer.nullish(), customer: EduzzCustomer.nullish() }).nullish(),
});
export type EduzzEventPayload = z.infer<typeof EduzzEventPayload>;

/** The legacy flat webhook: every value a string, though some arrive as numbers. */
export const EduzzLegacyPayload = z.object({
  trans_cod: optionalLooseText,
  trans_status: optionalLooseText,
  trans_paiddate: optionalLooseText,
  trans_paidtime: optionalText,
  trans_createdate: optionalLooseText,
  trans_createtime: optionalText,
  cus_cod: optionalLooseText,
  cus_taxnumber: optionalLooseText,
  cus_name: optionalText,
  cus_email: optionalText,
  cus_cel: optionalLooseText,
  cus_tel: optionalLooseText,
  cus_address: optionalText,
  cus_address_number: optionalLooseText,
  cus_address_comp: optionalText,
  cus_address_district: optionalText,
  cus_address_city: optionalText,
  cus_address_state: optionalText,
  cus_address_zip_code: optionalLooseText,
  cus_address_country: optionalText,
});
export type EduzzLegacyPayload = z.infer<typeof EduzzLegacyPayload>;

/**
 * Either format, tagged with `format`. A zod union cannot say "an `event`
 * that starts with myeduzz." before trying both shapes, and would report a
 * bad field as "invalid union" at the root; this dispatches on the shape
 * first so issues keep their field paths.
 */
export const EduzzPayload = z.looseObject({}).transform((raw, ctx) => {
  if (typeof raw['event'] === 'string' && raw['event'].startsWith('myeduzz.')) {
    const event = parseNested(EduzzEventPayload, raw, ctx, []);
    return event ? { format: 'myeduzz' as const, ...event } : z.NEVER;
  }
  if ('cus_email' in raw || 'trans_cod' in raw) {
    const legacy = parseNested(EduzzLegacyPayload, raw, ctx, []);
    return legacy ? { format: 'legacy' as const, ...legacy } : z.NEVER;
  }
  ctx.addIssue({
    code: 'custom',
    message: 'neither a myeduzz.* event nor a legacy Eduzz webhook (cus_email / trans_cod)',
    path: [],
    input: raw,
  });
  return z.NEVER;
});
export type EduzzPayload = z.infer<typeof EduzzPayload>;

function mapEvent(payload: EduzzEventPayload): MapResult {
  const buyer = payload.data?.buyer;
  const customer = payload.data?.customer;
  const eventTime = hasText(payload.sentDate)
    ? parseInstant(payload.sentDate, SAO_PAULO_UTC_OFFSET_MINUTES)
    : undefined;
  if (buyer && hasText(buyer.email)) {
    const a = buyer.address;
    const address: AddressValues = a
      ? {
          address: a.street,
          number: a.number,
          complement: a.complement,
          neighborhood: a.neighborhood,
          city: a.city,
          state: a.state,
          zip_code: a.zipCode,
          country: a.country,
        }
      : {};
    return recordResult({
      eventId: payload.id,
      eventTime,
      email: buyer.email,
      customer: {
        name: buyer.name,
        phone_number: firstPresent(buyer.cellphone, buyer.phone),
        document_number: buyer.document,
      },
      address,
    });
  }
  if (customer && hasText(customer.email)) {
    return recordResult({
      eventId: payload.id,
      eventTime,
      email: customer.email,
      customer: { name: customer.name, customer_id: customer.id },
      address: {},
    });
  }
  if (buyer || customer) {
    const which = buyer ? 'buyer' : 'customer';
    throw new MappingError(`eduzz event ${payload.event} has a ${which} without an email`, ['data', which, 'email']);
  }
  return skip(`eduzz event ${payload.event} carries no buyer or customer data`);
}

/** Paid date and time if they parse, else creation date and time; São Paulo local time. */
function legacyEventTime(payload: EduzzLegacyPayload): Date | undefined {
  const pairs = [
    [payload.trans_paiddate, payload.trans_paidtime],
    [payload.trans_createdate, payload.trans_createtime],
  ] as const;
  for (const [date, time] of pairs) {
    if (hasText(date) && hasText(time)) {
      const parsed = parseDateAndTime(date, time, SAO_PAULO_UTC_OFFSET_MINUTES);
      if (parsed) return parsed;
    }
  }
  return undefined;
}

function mapLegacy(payload: EduzzLegacyPayload): MapResult {
  const email = requireEmail(payload.cus_email, ['cus_email'], `eduzz transaction ${payload.trans_cod ?? '(no trans_cod)'}`);
  const customer: CustomerValues = {
    name: payload.cus_name,
    customer_id: payload.cus_cod,
    phone_number: firstPresent(payload.cus_cel, payload.cus_tel),
    document_number: payload.cus_taxnumber,
  };
  return recordResult({
    // No event id in the legacy format: a repeated status of one transaction counts as a redelivery.
    eventId:
      hasText(payload.trans_cod) && hasText(payload.trans_status)
        ? `${payload.trans_cod}:${payload.trans_status}`
        : undefined,
    eventTime: legacyEventTime(payload),
    email,
    customer,
    address: {
      address: payload.cus_address,
      number: payload.cus_address_number,
      complement: payload.cus_address_comp,
      neighborhood: payload.cus_address_district,
      city: payload.cus_address_city,
      state: payload.cus_address_state,
      zip_code: payload.cus_address_zip_code,
      country: payload.cus_address_country,
    },
  });
}

export const eduzzMapper = defineMapper({
  name: 'eduzz',
  schema: EduzzPayload,
  map(payload) {
    return payload.format === 'myeduzz' ? mapEvent(payload) : mapLegacy(payload);
  },
});
