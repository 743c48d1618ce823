import { z } from 'zod';
import type { AddressValues, CustomerValues } from '../../contract.js';
import { defineMapper } from './Mapper.js';
import { MappingError } from './errors.js';
import { dateFromEpochMillis } from './time.js';
import { firstPresent, hasText, optionalText, recordResult, skip } from './values.js';

/*
 * Hotmart webhook 2.0.0. Purchase events carry `data.buyer`; subscription
 * events carry the subscriber instead: SUBSCRIPTION_CANCELLATION as
 * `data.subscriber`, SWITCH_PLAN (in payloads seen in the wild) as
 * `data.subscription.user` + `data.subscription.subscriber_code`.
 */

/** Event types that name the person who bought or subscribed; every other type is skipped. */
export const HOTMART_BUYER_EVENTS: ReadonlySet<string> = new Set([
  'PURCHASE_APPROVED',
  'PURCHASE_COMPLETE',
  'PURCHASE_CANCELED',
  'PURCHASE_REFUNDED',
  'PURCHASE_CHARGEBACK',
  'PURCHASE_PROTEST',
  'PURCHASE_DELAYED',
  'PURCHASE_EXPIRED',
  'SUBSCRIPTION_CANCELLATION',
  'SWITCH_PLAN',
]);

const HotmartAddress = z.object({
  address: optionalText,
  number: optionalText,
  complement: optionalText,
  neighborhood: optionalText,
  city: optionalText,
  state: optionalText,
  zipcode: optionalText,
  country: optionalText,
  country_iso: optionalText,
});

const HotmartBuyer = z.object({
  email: optionalText,
  name: optionalText,
  checkout_phone_code: optionalText,
  checkout_phone: optionalText,
  document: optionalText,
  document_type: optionalText,
  address: HotmartAddress.nullish(),
});

const HotmartSubscriberPhone = z.object({
  dddCell: optionalText,
  cell: optionalText,
  dddPhone: optionalText,
  phone: optionalText,
});

const HotmartSubscriber = z.object({
  /** Hotmart's subscriber code: identifies the subscription's subscriber. */
  code: optionalText,
  name: optionalText,
  email: optionalText,
  phone: z.union([z.string(), HotmartSubscriberPhone]).nullish(),
});

const HotmartSubscription = z.object({
  subscriber_code: optionalText,
  user: z.object({ email: optionalText, name: optionalText }).nullish(),
});

export const HotmartPayload = z.object({
  id: z.string().min(1),
  /** Epoch milliseconds. */
  creation_date: z.number(),
  event: z.string().min(1),
  version: z.string().optional(),
  data: z
    .object({
      buyer: HotmartBuyer.nullish(),
      subscriber: HotmartSubscriber.nullish(),
      subscription: HotmartSubscription.nullish(),
    })
    .nullish(),
});
export type HotmartPayload = z.infer<typeof HotmartPayload>;

type HotmartData = NonNullable<HotmartPayload['data']>;

interface Person {
  email: string;
  customer: CustomerValues;
  address: AddressValues;
}

function fromBuyer(buyer: HotmartData['buyer']): Person | undefined {
  if (!buyer || !hasText(buyer.email)) return undefined;
  const a = buyer.address;
  return {
    email: buyer.email,
    customer: {
      name: buyer.name,
      phone_local_code: buyer.checkout_phone_code,
      phone_number: buyer.checkout_phone,
      document_type: buyer.document_type,
      document_number: buyer.document,
    },
    address: a
      ? {
          address: a.address,
          number: a.number,
          complement: a.complement,
          neighborhood: a.neighborhood,
          city: a.city,
          state: a.state,
          zip_code: a.zipcode,
          country: firstPresent(a.country_iso, a.country),
        }
      : {},
  };
}

function fromSubscriber(subscriber: HotmartData['subscriber']): Person | undefined {
  if (!subscriber || !hasText(subscriber.email)) return undefined;
  const phone = subscriber.phone;
  let phoneValues: CustomerValues = {};
  if (typeof phone === 'string' || phone === null) {
    phoneValues = { phone_number: phone };
  } else if (phone) {
    // Prefer the mobile pair; fall back to the landline pair when only it has a number.
    const useCell = hasText(phone.cell) || !hasText(phone.phone);
    phoneValues = useCell
      ? { phone_local_code: phone.dddCell, phone_number: phone.cell }
      : { phone_local_code: phone.dddPhone, phone_number: phone.phone };
  }
  return {
    email: subscriber.email,
    customer: { name: subscriber.name, customer_id: subscriber.code, ...phoneValues },
    address: {},
  };
}

function fromSubscriptionUser(subscription: HotmartData['subscription']): Person | undefined {
  const user = subscription?.user;
  if (!user || !hasText(user.email)) return undefined;
  return {
    email: user.email,
    customer: { name: user.name, customer_id: subscription?.subscriber_code },
    address: {},
  };
}

export const hotmartMapper = defineMapper({
  name: 'hotmart',
  schema: HotmartPayload,
  map(payload) {
    if (!HOTMART_BUYER_EVENTS.has(payload.event)) {
      return skip(`hotmart event ${payload.event} carries no buyer data`);
    }
    const data = payload.data;
    const person = fromBuyer(data?.buyer) ?? fromSubscriber(data?.subscriber) ?? fromSubscriptionUser(data?.subscription);
    if (!person) {
      // Point at the object that was there but lacked an email; else at where a buyer belongs.
      const path =
        !data?.buyer && data?.subscriber
          ? ['data', 'subscriber', 'email']
          : !data?.buyer && data?.subscription?.user
            ? ['data', 'subscription', 'user', 'email']
            : ['data', 'buyer', 'email'];
      throw new MappingError(`hotmart event ${payload.event} has neither a buyer nor a subscriber email`, path);
    }
    return recordResult({
      eventId: payload.id,
      eventTime: dateFromEpochMillis(payload.creation_date),
      ...person,
    });
  },
});
