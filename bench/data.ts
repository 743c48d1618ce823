import { prng } from '../test/helpers/generic.js';

/**
 * Synthetic but realistic customer events for the benchmarks: Brazilian
 * names, valid CPFs, phones, CEPs; a given share of updates to people seen
 * before and of conflicting values between platforms.
 */

const FIRST = ['Ana', 'Bruno', 'Carla', 'Davi', 'Elisa', 'Fábio', 'Gabriela', 'Heitor', 'Isabela', 'João', 'Larissa', 'Mateus', 'Natália', 'Otávio', 'Paula', 'Rafael', 'Sofia', 'Tiago', 'Vitória', 'Yuri'];
const LAST = ['Silva', 'Souza', 'Oliveira', 'Santos', 'Lima', 'Pereira', 'Costa', 'Rodrigues', 'Almeida', 'Nascimento', 'Carvalho', 'Ribeiro', 'Moreira', 'Dias'];
const CITIES: [string, string, string][] = [
  ['São Paulo', 'SP', '01'],
  ['Rio de Janeiro', 'RJ', '20'],
  ['Belo Horizonte', 'MG', '30'],
  ['Recife', 'PE', '50'],
  ['Porto Alegre', 'RS', '90'],
  ['Curitiba', 'PR', '80'],
  ['Salvador', 'BA', '40'],
  ['Fortaleza', 'CE', '60'],
];
const DDD = ['11', '21', '31', '81', '51', '41', '71', '85'];

function ascii(text: string): string {
  return text.normalize('NFD').replace(/[\u0300-\u036f]/g, '').toLowerCase();
}

function cpf(random: () => number): string {
  const digits = Array.from({ length: 9 }, () => Math.floor(random() * 10));
  if (digits.every((d) => d === digits[0])) digits[0] = (digits[0]! + 1) % 10;
  for (const length of [9, 10]) {
    const sum = digits.slice(0, length).reduce((acc, d, i) => acc + d * (length + 1 - i), 0);
    const check = ((sum * 10) % 11) % 10;
    digits.push(check);
  }
  return digits.join('');
}

export interface BenchEvent {
  platform: string;
  eventId: string;
  eventTime: Date;
  email: string;
  customer: Record<string, string | null>;
  address: Record<string, string | null>;
}

export interface BenchDataOptions {
  count: number;
  /** Share of events about a person seen before (default 0.5). */
  updateShare?: number;
  /** Share of events whose values conflict with another platform's (default 0.1). */
  conflictShare?: number;
  platforms?: string[];
  seed?: number;
}

export function benchEvents(options: BenchDataOptions): BenchEvent[] {
  const random = prng(options.seed ?? 42);
  const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)] as T;
  const platforms = options.platforms ?? ['hotmart', 'kiwify', 'eduzz', 'stripe', 'shopify'];
  const updateShare = options.updateShare ?? 0.5;
  const conflictShare = options.conflictShare ?? 0.1;
  const events: BenchEvent[] = [];
  let people = 0;
  const base = Date.UTC(2024, 0, 1);
  for (let i = 0; i < options.count; i += 1) {
    const update = people > 0 && random() < updateShare;
    const person = update ? Math.floor(random() * people) : people++;
    const personRandom = prng(person + 1);
    const name = `${FIRST[person % FIRST.length]} ${LAST[(person * 7) % LAST.length]} ${LAST[(person * 3) % LAST.length]}`;
    const [city, state, cepPrefix] = CITIES[person % CITIES.length] as [string, string, string];
    const conflict = update && random() < conflictShare;
    const ddd = DDD[person % DDD.length] as string;
    events.push({
      platform: update ? pick(platforms) : (platforms[person % platforms.length] as string),
      eventId: `bench-${i}`,
      eventTime: new Date(base + i * 1000),
      email: `${ascii(FIRST[person % FIRST.length] as string)}.${person}@example.com`,
      customer: {
        name: conflict ? `${name} (${pick(['corrigido', 'novo', 'alt'])})` : name,
        customer_id: `c-${person}`,
        phone_number: `+55${ddd}9${String(Math.floor(personRandom() * 1e8)).padStart(8, '0')}`,
        document_number: cpf(personRandom),
      },
      address: {
        address: `Rua ${pick(LAST)}`,
        number: String(1 + Math.floor(random() * 2000)),
        neighborhood: 'Centro',
        city: conflict ? pick(CITIES)[0] : city,
        state,
        zip_code: `${cepPrefix}${String(Math.floor(personRandom() * 1e6)).padStart(6, '0')}`,
        country: 'BR',
      },
    });
  }
  return events;
}
