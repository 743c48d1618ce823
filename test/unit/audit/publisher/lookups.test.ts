import { describe, expect, it } from 'vitest';
import { digestTransaction } from '../../../../src/audit/publisher/digest.js';
import { AddressCache, LookupResolver } from '../../../../src/audit/publisher/lookups.js';
import { timestamp } from '../../../../src/audit/publisher/rows.js';
import type { Queryable } from '../../../../src/replication/slots.js';
import { addressRow, customerRow, transaction, update } from './fixtures.js';

/** A database answering address lookups from a fixed table, recording the ids asked for. */
function fakeDb(current: Record<number, ReturnType<typeof addressRow>>) {
  const asked: number[][] = [];
  const db: Queryable = {
    query: async (text: string, values?: unknown[]) => {
      const ids = (values?.[0] ?? []) as number[];
      if (text.includes('FROM addresses')) asked.push([...ids].sort());
      const rows = text.includes('FROM addresses') ? ids.flatMap((id) => (current[id] ? [current[id]] : [])) : [];
      // Only rows are read by the resolver.
      return { rows, command: 'SELECT', rowCount: rows.length, oid: 0, fields: [] } as never;
    },
  };
  return { db, asked };
}

const touchCustomer = (id: number, addressId: number) =>
  update('customers', customerRow(id, { address_id: addressId }), customerRow(id, { address_id: addressId, name: `n${id}` }));

describe('LookupResolver', () => {
  it('queries each missing address once per group and remembers the images the stream carries', async () => {
    const { db, asked } = fakeDb({ 10: addressRow(10, { city: 'now' }), 20: addressRow(20, { city: 'Natal' }) });
    const resolver = new LookupResolver(db, new AddressCache(100));
    const first = digestTransaction(transaction([touchCustomer(1, 10), touchCustomer(2, 20)]));
    const second = digestTransaction(transaction([update('addresses', addressRow(10, { city: 'then' }), addressRow(10, { city: 'later' }))]));
    const third = digestTransaction(transaction([touchCustomer(3, 10)]));
    const group = await resolver.forGroup([first, second, third]);
    expect(asked).toEqual([[10, 20]]);
    expect(group.lookups.address(10)?.city).toBe('now');
    group.applied(first);
    group.applied(second);
    // After the stream carried address 10's change, its image is exact.
    expect(group.lookups.address(10)?.city).toBe('later');
    group.applied(third);
    const next = await resolver.forGroup([digestTransaction(transaction([touchCustomer(1, 10)]))]);
    expect(asked).toHaveLength(1);
    expect(next.lookups.address(10)?.city).toBe('later');
  });

  it('keeps the cache entries a prepared group relies on until it is released', async () => {
    const { db, asked } = fakeDb({ 20: addressRow(20, { city: 'Natal' }) });
    const cache = new AddressCache(1);
    const resolver = new LookupResolver(db, cache);
    const warm = await resolver.forGroup([digestTransaction(transaction([update('addresses', addressRow(10), addressRow(10, { city: 'Recife' }))]))]);
    warm.applied(digestTransaction(transaction([update('addresses', addressRow(10), addressRow(10, { city: 'Recife' }))])));
    warm.release();
    // Prepared while another group is assembled: it finds address 10 in the cache.
    const prepared = await resolver.forGroup([digestTransaction(transaction([touchCustomer(1, 10)]))]);
    const current = await resolver.forGroup([digestTransaction(transaction([touchCustomer(2, 20)]))]);
    expect(current.lookups.address(20)?.city).toBe('Natal');
    current.release();
    cache.trim();
    expect(prepared.lookups.address(10)?.city).toBe('Recife');
    expect(asked).toEqual([[20]]);
    prepared.release();
    cache.trim();
    expect(cache.size).toBe(1);
  });

  it('an address written earlier in the group is not queried', async () => {
    const { db, asked } = fakeDb({});
    const resolver = new LookupResolver(db, new AddressCache(100));
    const writes = digestTransaction(transaction([update('addresses', addressRow(10), addressRow(10, { city: 'Recife' })), touchCustomer(1, 10)]));
    const reads = digestTransaction(transaction([touchCustomer(2, 10)]));
    const group = await resolver.forGroup([writes, reads]);
    expect(asked).toEqual([]);
    group.applied(writes);
    expect(group.lookups.address(10)?.city).toBe('Recife');
  });
});

describe('AddressCache', () => {
  it('keeps the most recently used entries when trimmed', () => {
    const cache = new AddressCache(2);
    for (const id of [1, 2, 3]) cache.set(id, { ...addressRowTyped(id) });
    cache.get(1);
    cache.trim();
    expect([1, 2, 3].map((id) => cache.has(id))).toEqual([true, false, true]);
  });
});

function addressRowTyped(id: number) {
  return { id, address: null, number: null, complement: null, neighborhood: null, city: null, state: null, zip_code: null, country: null, ip: null, created_at: null, updated_at: null };
}

describe('timestamp', () => {
  it.each([
    ['2024-03-01 12:00:00+00', '2024-03-01T12:00:00.000000Z'],
    ['2024-03-01 12:00:00.5+00', '2024-03-01T12:00:00.500000Z'],
    ['2024-03-01 12:00:00.123456+00', '2024-03-01T12:00:00.123456Z'],
    ['12024-03-01 12:00:00.1+00', '12024-03-01T12:00:00.100000Z'],
    ['infinity', 'infinity'],
    ['2024-03-01 12:00:00+01', '2024-03-01 12:00:00+01'],
    ['2024-03-01 12:00:00.1234567+00', '2024-03-01 12:00:00.1234567+00'],
    ['2024-03-01 12:00:00.+00', '2024-03-01 12:00:00.+00'],
  ])('%s → %s', (text, iso) => {
    expect(timestamp(text)).toBe(iso);
  });

  it('gives the same answer when asked twice in a row or alternately', () => {
    const a = '2024-03-01 12:00:00.5+00';
    const b = '2024-03-02 08:30:00+00';
    expect([a, a, b, a, b, b].map(timestamp)).toEqual(['2024-03-01T12:00:00.500000Z', '2024-03-01T12:00:00.500000Z', '2024-03-02T08:30:00.000000Z', '2024-03-01T12:00:00.500000Z', '2024-03-02T08:30:00.000000Z', '2024-03-02T08:30:00.000000Z']);
  });

  it('spells a Date the same way', () => {
    expect(timestamp(new Date('2024-03-01T12:00:00.250Z'))).toBe('2024-03-01T12:00:00.250000Z');
  });
});
