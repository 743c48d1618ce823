import type { BenchEvent } from './data.js';

/**
 * A benchmark event as the platform would publish it (shapes of
 * shared/PLATFORMS.md), so the end-to-end benchmark exercises every mapper.
 * Platforms send what they really carry: Stripe and Shopify no document,
 * Hotmart an address only on some purchases, and so on.
 */
export const BENCH_PLATFORMS = ['hotmart', 'kiwify', 'eduzz', 'stripe', 'shopify', 'crm'] as const;
export type BenchPlatform = (typeof BENCH_PLATFORMS)[number];

function digits(value: string | null | undefined): string {
  return (value ?? '').replace(/\D/g, '');
}

export function payloadFor(platform: BenchPlatform, e: BenchEvent, index: number): unknown {
  const c = e.customer;
  const a = e.address;
  const withAddress = index % 3 !== 0;
  switch (platform) {
    case 'hotmart':
      return {
        id: e.eventId,
        creation_date: e.eventTime.getTime(),
        event: 'PURCHASE_APPROVED',
        version: '2.0.0',
        data: {
          buyer: {
            email: e.email,
            name: c.name,
            checkout_phone_code: digits(c.phone_number).slice(2, 4),
            checkout_phone: digits(c.phone_number).slice(2),
            document: c.document_number,
            document_type: 'CPF',
            ...(withAddress
              ? { address: { address: a.address, number: a.number, neighborhood: a.neighborhood, city: a.city, state: a.state, zipcode: a.zip_code, country: 'Brasil', country_iso: 'BR' } }
              : {}),
          },
          purchase: { transaction: `HP${index}`, status: 'APPROVED' },
        },
      };
    case 'kiwify':
      return {
        order_id: e.eventId,
        order_status: 'paid',
        webhook_event_type: 'order_approved',
        updated_at: e.eventTime.toISOString(),
        Customer: {
          full_name: c.name,
          email: e.email,
          mobile: c.phone_number,
          CPF: c.document_number,
          street: a.address,
          number: a.number,
          neighborhood: a.neighborhood,
          city: a.city,
          state: a.state,
          zipcode: a.zip_code,
        },
      };
    case 'eduzz':
      return {
        id: e.eventId,
        event: 'myeduzz.invoice_paid',
        sentDate: e.eventTime.toISOString(),
        data: { id: String(index), status: 'paid', buyer: { name: c.name, email: e.email, cellphone: c.phone_number, document: c.document_number } },
      };
    case 'stripe':
      return {
        id: `evt_${e.eventId}`,
        object: 'event',
        created: Math.floor(e.eventTime.getTime() / 1000),
        type: 'customer.updated',
        data: {
          object: {
            id: `cus_${c.customer_id}`,
            object: 'customer',
            email: e.email,
            name: c.name,
            phone: index % 2 === 0 ? c.phone_number : null,
            address: withAddress ? { line1: `${a.address}, ${a.number}`, line2: null, city: a.city, state: a.state, postal_code: a.zip_code, country: 'BR' } : null,
          },
        },
      };
    case 'shopify':
      return {
        id: 700_000_000_000 + index,
        email: e.email,
        updated_at: e.eventTime.toISOString(),
        first_name: c.name?.split(' ')[0] ?? null,
        last_name: c.name?.split(' ').slice(1).join(' ') ?? null,
        phone: null,
        default_address: withAddress ? { address1: a.address, city: a.city, province_code: a.state, country_code: 'BR', zip: a.zip_code } : null,
      };
    case 'crm':
      return { eventId: e.eventId, eventTime: e.eventTime.toISOString(), email: e.email, customer: { name: c.name, customer_id: c.customer_id }, address: { city: a.city, country: 'BR' } };
  }
}
