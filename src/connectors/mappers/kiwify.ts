import { z } from 'zod';
import { defineMapper } from './Mapper.js';
import { SAO_PAULO_UTC_OFFSET_MINUTES, parseInstant } from './time.js';
import {
  firstPresent,
  hasText,
  optionalLooseText,
  optionalText,
  recordResult,
  requireEmail,
  skip,
} from './values.js';

/*
 * Kiwify sales webhook: a flat body. Only order_id, order_status and
 * webhook_event_type are documented; the Customer object's fields come from
 * integrations, so all of them are optional and numeric-looking ones may be
 * numbers.
 */

const KiwifyCustomer = z.object({
  full_name: optionalText,
  first_name: optionalText,
  email: optionalText,
  mobile: optionalLooseText,
  CPF: optionalLooseText,
  cnpj: optionalLooseText,
  CNPJ: optionalLooseText,
  ip: optionalText,
  street: optionalText,
  number: optionalLooseText,
  complement: optionalText,
  neighborhood: optionalText,
  city: optionalText,
  state: optionalText,
  zipcode: optionalLooseText,
});

export const KiwifyPayload = z.object({
  order_id: z.string().min(1),
  order_status: optionalText,
  webhook_event_type: optionalText,
  created_at: optionalText,
  updated_at: optionalText,
  approved_date: optionalText,
  Customer: KiwifyCustomer.nullish(),
});
export type KiwifyPayload = z.infer<typeof KiwifyPayload>;

/**
 * Kiwify sells from Brazil, and its checkout asks for a Brazilian address
 * (CEP, bairro, UF) without a country field: an address that has any postal
 * part is taken to be in Brazil.
 */
export const KIWIFY_ADDRESS_COUNTRY = 'BR';

/**
 * The first of updated_at, approved_date, created_at that parses. Their
 * format is not documented: ISO-8601 and `YYYY-MM-DD HH:mm[:ss]` are read,
 * a time without an offset as São Paulo time (UTC-03:00).
 */
function eventTime(payload: KiwifyPayload): Date | undefined {
  for (const text of [payload.updated_at, payload.approved_date, payload.created_at]) {
    const time = hasText(text) ? parseInstant(text, SAO_PAULO_UTC_OFFSET_MINUTES) : undefined;
    if (time) return time;
  }
  return undefined;
}

export const kiwifyMapper = defineMapper({
  name: 'kiwify',
  schema: KiwifyPayload,
  map(payload) {
    const eventType = firstPresent(payload.webhook_event_type, payload.order_status);
    const c = payload.Customer;
    if (!c) {
      return skip(`kiwify event ${eventType ?? '(untyped)'} for order ${payload.order_id} carries no Customer object`);
    }
    const email = requireEmail(c.email, ['Customer', 'email'], `kiwify order ${payload.order_id}`);
    const postal = [c.street, c.number, c.complement, c.neighborhood, c.city, c.state, c.zipcode];
    return recordResult({
      // Kiwify sends no event id: a second event of the same type for the same order counts as a redelivery.
      eventId: hasText(eventType) ? `${payload.order_id}:${eventType}` : undefined,
      eventTime: eventTime(payload),
      email,
      customer: {
        name: firstPresent(c.full_name, c.first_name),
        phone_number: c.mobile,
        document_number: firstPresent(c.CPF, c.cnpj, c.CNPJ),
      },
      address: {
        address: c.street,
        number: c.number,
        complement: c.complement,
        neighborhood: c.neighborhood,
        city: c.city,
        state: c.state,
        zip_code: c.zipcode,
        country: postal.some(hasText) ? KIWIFY_ADDRESS_COUNTRY : undefined,
        ip: c.ip,
      },
    });
  },
});
