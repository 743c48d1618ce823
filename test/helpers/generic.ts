import { genericMapper } from '../../src/connectors/mappers/generic.js';
import { normalizeRecord, DEFAULT_NORMALIZE_OPTIONS, type NormalizedRecord } from '../../src/unifier/normalize/index.js';
import { SourceRecord } from '../../src/contract.js';

/** A generic-format event, as producers send it. */
export interface GenericEvent {
  eventId: string;
  eventTime: string;
  platform?: string;
  email: string;
  customer?: Record<string, string | null>;
  address?: Record<string, string | null>;
}

const NAMES = ['Ana Souza', 'Bruno Lima', 'Carla Dias', 'Davi Rocha', 'Elisa Prado', '', null];
const CITIES = ['Recife', 'Natal', 'São Paulo', 'Curitiba', '', null];
const PHONES = ['+5511999990000', '(21) 98888-7777', '31977776666', '', null];
const PLATFORMS = ['hotmart', 'stripe', 'kiwify', 'crm'];

/** A deterministic pseudo-random stream (mulberry32), so failures reproduce. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function genericEvents(count: number, people: number, seed = 1): GenericEvent[] {
  const random = prng(seed);
  const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)] as T;
  return Array.from({ length: count }, (_, i) => {
    const person = Math.floor(random() * people);
    const variant = random() < 0.2 ? ` Person${person}@Example.com ` : `person${person}@example.com`;
    return {
      eventId: `ev-${seed}-${i}`,
      eventTime: new Date(Date.UTC(2024, 0, 1) + i * 1000).toISOString(),
      platform: pick(PLATFORMS),
      email: variant,
      customer: { name: pick(NAMES), phone_number: pick(PHONES), customer_id: random() < 0.3 ? `c-${person}-${i % 5}` : null },
      address: { city: pick(CITIES), zip_code: random() < 0.3 ? '01310-100' : null },
    };
  });
}

/** The partition key producers use: the normalized email, so one person's events stay in order. */
export function keyOf(event: GenericEvent): string {
  return event.email.trim().toLowerCase();
}

/** What the unifier will see for an event (for computing the expected state). */
export function normalizedGeneric(event: GenericEvent, topic = 'model', offset = 0): NormalizedRecord {
  const parsed = genericMapper.schema.parse(event);
  const mapped = genericMapper.map(parsed, { topic, partition: 0, offset: String(offset), timestamp: new Date(0), headers: {} });
  if (mapped.kind !== 'record') throw new Error('generic event skipped');
  const source = SourceRecord.parse({
    platform: mapped.record.platform ?? 'crm',
    position: { kind: 'kafka', topic, partition: 0, offset: String(offset) },
    eventId: mapped.record.eventId,
    eventTime: mapped.record.eventTime,
    email: mapped.record.email,
    customer: mapped.record.customer,
    address: mapped.record.address,
  });
  const result = normalizeRecord(source, DEFAULT_NORMALIZE_OPTIONS);
  if (!result.ok) throw new Error(`generic event rejected: ${result.reason}`);
  return result.record;
}
