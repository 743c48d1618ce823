import { z } from 'zod';
import type { MessageContext } from './Mapper.js';
import { parseJsonPreservingBigIntegers } from './json.js';
import { defineMapper } from './Mapper.js';
import { parseInstant } from './time.js';
import { firstPresent, hasText, header, optionalText, recordResult, requireEmail, skip } from './values.js';

/*
 * Shopify customers/create and customers/update: the bare customer resource.
 * Event id and time come from the webhook headers, which the producer must
 * carry as Kafka headers (any case: looked up case-insensitively).
 */

/** Webhook topics whose body is a customer to sync; a message with another `X-Shopify-Topic` is skipped. */
export const SHOPIFY_CUSTOMER_TOPICS: ReadonlySet<string> = new Set(['customers/create', 'customers/update']);

/**
 * Shopify ids are 64-bit integers beyond 2^53: `JSON.parse` rounds them
 * (706405506930370084 becomes 706405506930370000), so the connector should
 * decode with parseJsonPreservingBigIntegers (./json.ts), which makes them
 * strings. A number is accepted and stringified as is; it may already be off.
 */
const ID_ERROR = 'Invalid input: expected an integer or a string of digits';
export const ShopifyId = z
  .union([z.number().refine(Number.isInteger, ID_ERROR), z.string().regex(/^\d+$/, ID_ERROR)], { error: ID_ERROR })
  .transform((id) => String(id));

const ShopifyAddress = z.object({
  address1: optionalText,
  address2: optionalText,
  city: optionalText,
  province: optionalText,
  province_code: optionalText,
  zip: optionalText,
  country: optionalText,
  country_code: optionalText,
  phone: optionalText,
});

export const ShopifyPayload = z.object({
  id: ShopifyId,
  email: optionalText,
  first_name: optionalText,
  last_name: optionalText,
  phone: optionalText,
  updated_at: optionalText,
  default_address: ShopifyAddress.nullish(),
});
export type ShopifyPayload = z.infer<typeof ShopifyPayload>;

/** First and last name joined; null when the payload had the keys but no text; absent when it had neither. */
function fullName(first: string | null | undefined, last: string | null | undefined): string | null | undefined {
  const parts = [first, last].filter(hasText);
  if (parts.length > 0) return parts.join(' ');
  return first === undefined && last === undefined ? undefined : null;
}

function eventTime(payload: ShopifyPayload, context: MessageContext): Date | undefined {
  for (const text of [header(context.headers, 'X-Shopify-Triggered-At'), payload.updated_at]) {
    // Shopify always sends an offset; a time without one is not guessed.
    const time = hasText(text) ? parseInstant(text) : undefined;
    if (time) return time;
  }
  return undefined;
}

export const shopifyMapper = defineMapper({
  name: 'shopify',
  schema: ShopifyPayload,
  decode: parseJsonPreservingBigIntegers,
  map(payload, context) {
    const topic = header(context.headers, 'X-Shopify-Topic');
    if (topic !== undefined && !SHOPIFY_CUSTOMER_TOPICS.has(topic)) {
      return skip(`shopify topic ${topic} is not a customer create or update`);
    }
    const email = requireEmail(payload.email, ['email'], `shopify customer ${payload.id}`);
    const headerEventId = header(context.headers, 'X-Shopify-Event-Id');
    const a = payload.default_address;
    return recordResult({
      eventId: hasText(headerEventId)
        ? headerEventId
        : hasText(payload.updated_at)
          ? `${payload.id}:${payload.updated_at}`
          : undefined,
      eventTime: eventTime(payload, context),
      email,
      customer: {
        customer_id: payload.id,
        name: fullName(payload.first_name, payload.last_name),
        phone_number: firstPresent(payload.phone, a?.phone),
      },
      address: a
        ? {
            address: a.address1,
            complement: a.address2,
            city: a.city,
            state: firstPresent(a.province_code, a.province),
            zip_code: a.zip,
            country: firstPresent(a.country_code, a.country),
          }
        : {},
    });
  },
});
