import { json, type FaultTopics, type Outgoing } from './messages.js';
import { GENERIC_PLATFORMS } from './platforms.js';

/**
 * The main stream: ordinary customer events, most in the generic format on
 * one topic (several platforms named in the payloads, so cross-platform
 * conflicts happen inside one customer's partition), the rest in the real
 * Hotmart, Stripe and Kiwify webhook formats on their own topics for
 * customers that appear only there. Values come from small pools so that
 * customers receive conflicting values; some are empty (never overwrite),
 * some invalid (dropped), some events arrive late (older event time).
 */

export type Random = () => number;

const FIRST = ['Ana', 'Bruno', 'Carla', 'Davi', 'Elisa', 'Fábio', 'Gabriela', 'Heitor', 'Íris', 'João', 'Karina', 'Luís', 'Marta', 'Nuno', 'Otávio', 'Paula'];
const LAST = ['Souza', 'Lima', 'Dias', 'Rocha', 'Prado', 'Araújo', 'Castro', 'Gonçalves', 'Nóbrega', 'Ferreira'];
const PLACES = [
  { city: 'São Paulo', state: 'São Paulo', uf: 'SP', ddd: '11', zip: '01310-100' },
  { city: 'Rio de Janeiro', state: 'Rio de Janeiro', uf: 'RJ', ddd: '21', zip: '20040-002' },
  { city: 'Belo Horizonte', state: 'Minas Gerais', uf: 'MG', ddd: '31', zip: '30130-010' },
  { city: 'Recife', state: 'Pernambuco', uf: 'PE', ddd: '81', zip: '50030-230' },
  { city: 'Curitiba', state: 'Paraná', uf: 'PR', ddd: '41', zip: '80010-000' },
  { city: 'Fortaleza', state: 'Ceará', uf: 'CE', ddd: '85', zip: '60060-440' },
];
const STREETS = ['Rua das Flores', 'Avenida Paulista', 'Rua XV de Novembro', 'Travessa do Comércio', 'Alameda Santos'];
const NEIGHBORHOODS = ['Centro', 'Boa Viagem', 'Savassi', 'Batel', 'Meireles'];
const COMPLEMENTS = ['apto 12', 'casa 2', 'bloco B, sala 3', 'fundos'];
const COUNTRIES = ['BR', 'Brasil', 'brazil', 'BRA'];
const EMPTY = [null, '', '   '];
const BASE_TIME = Date.UTC(2024, 0, 1);

export function pick<T>(random: Random, items: readonly T[]): T {
  return items[Math.floor(random() * items.length)] as T;
}

function digits(random: Random, n: number): string {
  let out = '';
  for (let i = 0; i < n; i += 1) out += String(Math.floor(random() * 10));
  return out;
}

/** A CPF with valid check digits (never all one digit). */
export function cpf(random: Random): string {
  for (;;) {
    const base = digits(random, 9);
    if (/^(\d)\1+$/.test(base)) continue;
    const check = (ds: number[]) => {
      const sum = ds.reduce((s, d, i) => s + d * (ds.length + 1 - i), 0);
      const r = (sum * 10) % 11;
      return r === 10 ? 0 : r;
    };
    const ds = [...base].map(Number);
    const d1 = check(ds);
    const d2 = check([...ds, d1]);
    return `${base}${d1}${d2}`;
  }
}

function formattedCpf(random: Random): string {
  const c = cpf(random);
  return random() < 0.5 ? c : `${c.slice(0, 3)}.${c.slice(3, 6)}.${c.slice(6, 9)}-${c.slice(9)}`;
}

/** A valid Brazilian mobile in one of the formats platforms send. */
function phone(random: Random, ddd: string): string {
  const n = `9${String(6 + Math.floor(random() * 4))}${digits(random, 7)}`;
  switch (Math.floor(random() * 3)) {
    case 0:
      return `+55 ${ddd} ${n.slice(0, 5)}-${n.slice(5)}`;
    case 1:
      return `(${ddd}) ${n.slice(0, 5)}-${n.slice(5)}`;
    default:
      return `${ddd}${n}`;
  }
}

function ip(random: Random): string {
  return `${pick(random, ['203.0.113', '198.51.100', '192.0.2'])}.${1 + Math.floor(random() * 254)}`;
}

/** A value, an empty value (never overwrites) or, rarely, an invalid one (dropped). */
function maybe(random: Random, value: () => string, invalid?: string): string | null | undefined {
  const r = random();
  if (r < 0.45) return undefined;
  if (r < 0.55) return pick(random, EMPTY);
  if (invalid !== undefined && r < 0.58) return invalid;
  return value();
}

function name(random: Random): string {
  const n = `${pick(random, FIRST)} ${pick(random, LAST)}`;
  return random() < 0.1 ? `  ${n.replace(' ', '   ')} ` : n;
}

function variantOf(random: Random, email: string): string {
  const r = random();
  if (r < 0.8) return email;
  if (r < 0.88) return email.toUpperCase();
  if (r < 0.95) return ` ${email[0]?.toUpperCase()}${email.slice(1)} `;
  return `\t${email}\n`;
}

function eventTime(random: Random, i: number): number {
  const t = BASE_TIME + i * 1_000;
  // 5% arrive late: an older event must not undo a newer one of equal priority.
  return random() < 0.05 ? t - Math.floor(random() * 3_600_000) : t;
}

function drop<T extends Record<string, unknown>>(values: T): T {
  return Object.fromEntries(Object.entries(values).filter(([, v]) => v !== undefined)) as T;
}

export interface StreamSizes {
  generic: number;
  hotmart: number;
  stripe: number;
  kiwify: number;
}

/** Events per person: about five, so each customer sees conflicts. */
const EVENTS_PER_PERSON = 5;

export function mainStream(topics: FaultTopics, sizes: StreamSizes, random: Random, firstId: number): Outgoing[][] {
  let id = firstId;
  const next = () => id++;

  const generic: Outgoing[] = [];
  const genericPeople = Math.max(1, Math.floor(sizes.generic / EVENTS_PER_PERSON));
  for (let i = 0; i < sizes.generic; i += 1) {
    const person = Math.floor(random() * genericPeople);
    const email = `g${person}@example.com`;
    const place = pick(random, PLACES);
    const platform = pick(random, GENERIC_PLATFORMS);
    const time = eventTime(random, i);
    const payload = {
      eventId: `${platform}:${i}`,
      eventTime: random() < 0.5 ? new Date(time).toISOString() : time,
      platform,
      email: variantOf(random, email),
      customer: drop({
        name: maybe(random, () => name(random)),
        customer_id: maybe(random, () => `${platform}-${person}-${Math.floor(random() * 3)}`),
        phone_number: maybe(random, () => phone(random, place.ddd), '12345'),
        document_number: maybe(random, () => formattedCpf(random), '111.111.111-11'),
      }),
      address: drop({
        address: maybe(random, () => pick(random, STREETS)),
        number: maybe(random, () => String(1 + Math.floor(random() * 2000))),
        complement: maybe(random, () => pick(random, COMPLEMENTS)),
        neighborhood: maybe(random, () => pick(random, NEIGHBORHOODS)),
        city: maybe(random, () => place.city),
        state: maybe(random, () => (random() < 0.5 ? place.state : place.uf)),
        zip_code: maybe(random, () => (random() < 0.5 ? place.zip : place.zip.replace('-', '')), '123'),
        country: maybe(random, () => pick(random, COUNTRIES), 'Atlantis'),
        ip: maybe(random, () => ip(random), '999.1.1.1'),
      }),
    };
    generic.push({ id: next(), topic: topics.generic, key: email, value: json(payload), expect: { kind: 'valid', what: 'generic event' } });
  }

  const hotmart: Outgoing[] = [];
  const hotmartPeople = Math.max(1, Math.floor(sizes.hotmart / EVENTS_PER_PERSON));
  for (let i = 0; i < sizes.hotmart; i += 1) {
    const person = Math.floor(random() * hotmartPeople);
    const email = `h${person}@hotmart.example.com`;
    const place = pick(random, PLACES);
    if (random() < 0.03) {
      hotmart.push({
        id: next(),
        topic: topics.hotmart,
        key: email,
        value: json({ id: `hm-skip-${i}`, creation_date: eventTime(random, i), event: 'CLUB_FIRST_ACCESS', version: '2.0.0', data: {} }),
        expect: { kind: 'skip', what: 'hotmart event without buyer data' },
      });
      continue;
    }
    const payload = {
      id: `hm-${i}`,
      creation_date: eventTime(random, i),
      event: pick(random, ['PURCHASE_APPROVED', 'PURCHASE_COMPLETE', 'PURCHASE_CANCELED', 'PURCHASE_REFUNDED']),
      version: '2.0.0',
      data: {
        buyer: drop({
          email: variantOf(random, email),
          name: maybe(random, () => name(random)),
          checkout_phone_code: random() < 0.5 ? place.ddd : undefined,
          checkout_phone: maybe(random, () => phone(random, place.ddd).replace(/^\+55 \d\d /, '')),
          document: maybe(random, () => formattedCpf(random)),
          address: random() < 0.6
            ? drop({
                city: maybe(random, () => place.city),
                state: maybe(random, () => place.uf),
                zipcode: maybe(random, () => place.zip),
                country_iso: maybe(random, () => 'BR'),
                address: maybe(random, () => pick(random, STREETS)),
                number: maybe(random, () => String(1 + Math.floor(random() * 999))),
                neighborhood: maybe(random, () => pick(random, NEIGHBORHOODS)),
              })
            : undefined,
        }),
      },
    };
    hotmart.push({ id: next(), topic: topics.hotmart, key: email, value: json(payload), expect: { kind: 'valid', what: 'hotmart purchase' } });
  }

  const stripe: Outgoing[] = [];
  const stripePeople = Math.max(1, Math.floor(sizes.stripe / EVENTS_PER_PERSON));
  for (let i = 0; i < sizes.stripe; i += 1) {
    const person = Math.floor(random() * stripePeople);
    const email = `s${person}@stripe.example.org`;
    const created = Math.floor(eventTime(random, i) / 1000);
    if (random() < 0.03) {
      stripe.push({
        id: next(),
        topic: topics.stripe,
        key: email,
        value: json({ id: `evt_skip_${i}`, type: 'invoice.paid', created, data: { object: { id: `in_${i}`, amount_paid: 100 } } }),
        expect: { kind: 'skip', what: 'stripe event that is not about a customer' },
      });
      continue;
    }
    const payload = {
      id: `evt_${i}`,
      type: random() < 0.2 ? 'customer.created' : 'customer.updated',
      created,
      data: {
        object: drop({
          id: `cus_${person}`,
          email: variantOf(random, email),
          name: maybe(random, () => name(random)),
          phone: maybe(random, () => `+1 512-555-01${digits(random, 2)}`),
          address: random() < 0.5
            ? drop({
                line1: maybe(random, () => `${1 + Math.floor(random() * 900)} Congress Ave`),
                line2: maybe(random, () => `Suite ${1 + Math.floor(random() * 90)}`),
                city: maybe(random, () => 'Austin'),
                state: maybe(random, () => 'TX'),
                postal_code: maybe(random, () => `787${digits(random, 2)}`),
                country: maybe(random, () => 'US'),
              })
            : undefined,
        }),
      },
    };
    stripe.push({ id: next(), topic: topics.stripe, key: email, value: json(payload), expect: { kind: 'valid', what: 'stripe customer event' } });
  }

  const kiwify: Outgoing[] = [];
  const kiwifyPeople = Math.max(1, Math.floor(sizes.kiwify / EVENTS_PER_PERSON));
  for (let i = 0; i < sizes.kiwify; i += 1) {
    const person = Math.floor(random() * kiwifyPeople);
    const email = `k${person}@kiwify.example.net`;
    const place = pick(random, PLACES);
    // Kiwify local times carry no offset: read as UTC-03:00.
    const local = new Date(eventTime(random, i) - 3 * 3_600_000).toISOString().replace('T', ' ').slice(0, 19);
    const payload = {
      order_id: `kw-${i}`,
      order_status: 'paid',
      webhook_event_type: pick(random, ['order_approved', 'order_refunded', 'subscription_renewed']),
      updated_at: local,
      Customer: drop({
        full_name: maybe(random, () => name(random)),
        email: variantOf(random, email),
        mobile: maybe(random, () => `+55${place.ddd}9${String(6 + Math.floor(random() * 4))}${digits(random, 7)}`),
        CPF: maybe(random, () => cpf(random)),
        street: maybe(random, () => pick(random, STREETS)),
        number: maybe(random, () => String(1 + Math.floor(random() * 999))),
        neighborhood: maybe(random, () => pick(random, NEIGHBORHOODS)),
        city: maybe(random, () => place.city),
        state: maybe(random, () => place.uf),
        zipcode: maybe(random, () => place.zip.replace('-', '')),
        ip: maybe(random, () => ip(random)),
      }),
    };
    kiwify.push({ id: next(), topic: topics.kiwify, key: email, value: json(payload), expect: { kind: 'valid', what: 'kiwify order' } });
  }
  return [generic, hotmart, stripe, kiwify];
}
