import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BatchEngine } from '../../src/unifier/engine/BatchEngine.js';
import type { NormalizedRecord } from '../../src/unifier/normalize/index.js';
import type { PlatformPriority } from '../../src/unifier/priorities.js';
import { freshDatabase, type TestDatabase } from '../helpers/db.js';
import { testEngine } from '../helpers/engine.js';
import { record } from '../helpers/records.js';
import { readCustomerState, readState, truncateAll } from '../helpers/state.js';

/**
 * Properties of the batch engine, checked against real Postgres with
 * generated record streams over a few emails (in case/space variants),
 * platforms and values, including empty ones.
 */

const EMAILS = ['ana@example.com', ' Ana@Example.com', 'bia@example.org', 'BIA@example.org ', 'caio@example.net'];
const NAMES = ['Ana', 'Ana Souza', 'Bia', 'Caio', '', '   ', null];
const CITIES = ['Recife', 'Natal', 'São Paulo', '', null];
const PHONES = ['+5511999990000', '11988887777', '(21) 97777-6666', '', null];
const CUSTOMER_IDS = ['c-1', 'c-2', '', null];

interface Spec {
  platform: string;
  email: string;
  name: string | null;
  city: string | null;
  phone: string | null;
  customerId: string | null;
  time: number;
}

const specArb = (platforms: string[]) =>
  fc.record({
    platform: fc.constantFrom(...platforms),
    email: fc.constantFrom(...EMAILS),
    name: fc.constantFrom(...NAMES),
    city: fc.constantFrom(...CITIES),
    phone: fc.constantFrom(...PHONES),
    customerId: fc.constantFrom(...CUSTOMER_IDS),
    time: fc.integer({ min: 0, max: 20 }),
  });

function toRecords(specs: Spec[], topic = 'p'): NormalizedRecord[] {
  return specs.map((s, i) =>
    record({
      platform: s.platform,
      email: s.email,
      topic,
      offset: i,
      time: s.time,
      customer: { name: s.name, phone_number: s.phone, customer_id: s.customerId },
      address: { city: s.city },
    }),
  );
}

/** Splits records into consecutive batches at the given cut points. */
function chunk<T>(items: T[], cuts: number[]): T[][] {
  const points = [...new Set(cuts.map((c) => c % (items.length + 1)))].sort((a, b) => a - b);
  const out: T[][] = [];
  let start = 0;
  for (const p of [...points, items.length]) {
    if (p > start) out.push(items.slice(start, p));
    start = Math.max(start, p);
  }
  return out;
}

const PLATFORMS = ['hotmart', 'kiwify', 'eduzz', 'stripe', 'shopify'];
const RUNS = Number(process.env.CUSTSYNC_PROPERTY_RUNS ?? 25);

describe('batch engine properties (real Postgres)', () => {
  let a: TestDatabase;
  let b: TestDatabase;
  let engineA: BatchEngine;
  let engineB: BatchEngine;
  beforeAll(async () => {
    [a, b] = await Promise.all([freshDatabase(), freshDatabase()]);
    engineA = testEngine(a.pool);
    engineB = testEngine(b.pool);
  });
  afterAll(async () => {
    await Promise.all([a.drop(), b.drop()]);
  });

  it('a batch gives exactly what applying its records one by one gives', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(specArb(PLATFORMS), { minLength: 1, maxLength: 25 }), fc.array(fc.nat(), { maxLength: 4 }), async (specs, cuts) => {
        await Promise.all([truncateAll(a.pool), truncateAll(b.pool)]);
        const records = toRecords(specs);
        for (const batch of chunk(records, cuts)) await engineA.apply({ records: batch });
        for (const one of records) await engineB.apply({ records: [one] });
        expect(await readState(a.pool)).toEqual(await readState(b.pool));
        expect(await readCustomerState(a.pool)).toEqual(await readCustomerState(b.pool));
      }),
      { numRuns: RUNS },
    );
  });

  it('replaying any prefix changes nothing and writes no audit row', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(specArb(PLATFORMS), { minLength: 1, maxLength: 25 }), fc.nat(), fc.array(fc.nat(), { maxLength: 3 }), async (specs, prefixSeed, cuts) => {
        await truncateAll(a.pool);
        const records = toRecords(specs);
        await engineA.apply({ records });
        const before = await readState(a.pool);
        const stateBefore = await readCustomerState(a.pool);
        const prefix = records.slice(0, (prefixSeed % records.length) + 1);
        for (const batch of chunk(prefix, cuts)) {
          const result = await engineA.apply({ records: batch });
          expect(result.auditRows).toBe(0);
          expect(result.applied).toBe(0);
        }
        expect(await readState(a.pool)).toEqual(before);
        expect(await readCustomerState(a.pool)).toEqual(stateBefore);
      }),
      { numRuns: RUNS },
    );
  });

  it('with all priorities distinct, the final customers do not depend on arrival order', async () => {
    const distinct: PlatformPriority[] = PLATFORMS.map((name, i) => ({ name, priority: 10 * (i + 1) }));
    const engineDistinctA = testEngine(a.pool, distinct);
    const engineDistinctB = testEngine(b.pool, distinct);
    await fc.assert(
      fc.asyncProperty(
        fc.array(specArb(PLATFORMS), { minLength: 1, maxLength: 25 }).chain((specs) =>
          fc.tuple(fc.constant(specs), fc.shuffledSubarray(specs.map((_, i) => i), { minLength: specs.length, maxLength: specs.length })),
        ),
        async ([specs, order]) => {
          await Promise.all([truncateAll(a.pool), truncateAll(b.pool)]);
          // distinct event times, so equal-platform ties are decided by time, not by arrival
          const timed = specs.map((s, i) => ({ ...s, time: i }));
          await engineDistinctA.apply({ records: toRecords(timed) });
          await engineDistinctB.apply({ records: toRecords(order.map((i) => timed[i] as Spec)) });
          expect((await readState(a.pool)).customers).toEqual((await readState(b.pool)).customers);
        },
      ),
      { numRuns: RUNS },
    );
  });

  it('an empty value never overwrites: every field some record filled stays filled', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(specArb(PLATFORMS), { minLength: 1, maxLength: 25 }), async (specs) => {
        await truncateAll(a.pool);
        const records = toRecords(specs);
        for (const one of records) await engineA.apply({ records: [one] });
        const state = await readState(a.pool);
        expect(state.audit.filter((row) => row.new === null || row.new.trim() === '')).toEqual([]);
        for (const customer of state.customers) {
          const mine = records.filter((r) => r.email === customer.email);
          for (const field of ['name', 'city', 'phone_number', 'customer_id'] as const) {
            if (mine.some((r) => r.values[field] !== undefined)) expect(customer.values[field], field).not.toBeNull();
          }
        }
      }),
      { numRuns: RUNS },
    );
  });
});
