import { z } from 'zod';
import { defineMapper } from './Mapper.js';
import { dateFromEpochSeconds } from './time.js';
import { optionalText, parseNested, recordResult, requireEmail, skip } from './values.js';

/*
 * Stripe events API. Only customer.created / customer.updated change
 * customer data; `data.object` is a Customer there and any other resource
 * elsewhere, so it is validated as a Customer only for those two types.
 */

/** Event types whose `data.object` is the customer to sync; every other type is skipped. */
export const STRIPE_CUSTOMER_EVENTS: ReadonlySet<string> = new Set(['customer.created', 'customer.updated']);

const StripeAddress = z.object({
  line1: optionalText,
  line2: optionalText,
  city: optionalText,
  state: optionalText,
  postal_code: optionalText,
  country: optionalText,
});

export const StripeCustomer = z.object({
  id: z.string().min(1),
  email: optionalText,
  name: optionalText,
  phone: optionalText,
  address: StripeAddress.nullish(),
});
export type StripeCustomer = z.infer<typeof StripeCustomer>;

const StripeEvent = z.object({
  id: z.string().min(1),
  type: z.string().min(1),
  /** Unix seconds. */
  created: z.number().int(),
  // `previous_attributes` (on updates) is ignored: the object holds the current values.
  data: z.object({ object: z.looseObject({}) }),
});

/** The event, with `customer` set (and validated, issues under data.object) for customer.created/updated. */
export const StripePayload = StripeEvent.transform((event, ctx) => {
  const { id, type, created } = event;
  if (!STRIPE_CUSTOMER_EVENTS.has(type)) return { id, type, created, customer: undefined };
  const customer = parseNested(StripeCustomer, event.data.object, ctx, ['data', 'object']);
  return customer ? { id, type, created, customer } : z.NEVER;
});
export type StripePayload = z.infer<typeof StripePayload>;

export const stripeMapper = defineMapper({
  name: 'stripe',
  schema: StripePayload,
  map(payload) {
    const customer = payload.customer;
    if (!customer) return skip(`stripe event ${payload.type} carries no customer data to sync`);
    const email = requireEmail(customer.email, ['data', 'object', 'email'], `stripe event ${payload.type}`);
    const a = customer.address;
    return recordResult({
      eventId: payload.id,
      eventTime: dateFromEpochSeconds(payload.created),
      email,
      customer: { customer_id: customer.id, name: customer.name, phone_number: customer.phone },
      address: a
        ? {
            address: a.line1,
            complement: a.line2,
            city: a.city,
            state: a.state,
            zip_code: a.postal_code,
            country: a.country,
          }
        : {},
    });
  },
});
