import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { assembleEvents } from '../../../../src/audit/publisher/assemble.js';
import type { ChangeEvent } from '../../../../src/audit/publisher/ChangeEvent.js';
import { digestTransaction } from '../../../../src/audit/publisher/digest.js';
import { chunkMessages, EventEncoder, TOMBSTONE, type EncodedEvents } from '../../../../src/audit/publisher/encode.js';
import { customerRow, insert, transaction } from './fixtures.js';

const template = assembleEvents(digestTransaction(transaction([insert('customers', customerRow(1))])), { address: () => undefined, owners: () => [] }, {
  database: 'custsync',
  slot: 'custsync_changes',
  now: 0,
})[0] as ChangeEvent;

function event(id: number, name: string, op: ChangeEvent['op']): ChangeEvent {
  return { ...template, op, key: { id }, event_id: `0/1:${id}`, after: template.after ? { ...template.after, id, name } : null };
}

/** Everything the chunks carry, decoded as a consumer would (a tombstone as null). */
function decode(encoded: EncodedEvents): { key: string; event: unknown }[] {
  return encoded.chunks.flatMap((chunk) => chunkMessages(chunk).map((m) => ({ key: m.key, event: m.value === null ? null : (JSON.parse(m.value.toString('utf8')) as unknown) })));
}

const RECORD_OVERHEAD = 64;

describe('EventEncoder', () => {
  it('keeps every event and tombstone, in order, keyed by customer id, in chunks no larger than a request (one oversized event goes alone)', () => {
    const arbitraryEvent = fc
      .record({ id: fc.integer({ min: 1, max: 2 ** 31 - 1 }), name: fc.string({ unit: 'binary', maxLength: 3_000 }), op: fc.constantFrom('c' as const, 'u' as const, 'd' as const) })
      .map(({ id, name, op }) => event(id, name, op));
    fc.assert(
      fc.property(fc.array(arbitraryEvent, { maxLength: 60 }), fc.integer({ min: 1_000, max: 40_000 }), fc.boolean(), (events, maxRequestBytes, tombstones) => {
        const encoder = new EventEncoder(maxRequestBytes);
        const expected: { key: string; event: unknown }[] = [];
        for (const e of events) {
          encoder.add(e);
          expected.push({ key: String(e.key.id), event: JSON.parse(JSON.stringify(e)) as unknown });
          if (tombstones && e.op === 'd') {
            encoder.addTombstone(e.key.id);
            expected.push({ key: String(e.key.id), event: null });
          }
        }
        const encoded = encoder.finish();
        expect(decode(encoded)).toEqual(expected);
        expect(encoded.events).toBe(events.length);
        expect(encoded.byOp).toEqual({ c: events.filter((e) => e.op === 'c').length, u: events.filter((e) => e.op === 'u').length, d: events.filter((e) => e.op === 'd').length, r: 0 });
        for (const chunk of encoded.chunks) {
          const bytes = chunk.lengths.reduce((n, l) => n + (l === TOMBSTONE ? 0 : l) + RECORD_OVERHEAD, 0);
          expect(chunk.keys.length).toBeGreaterThan(0);
          if (chunk.keys.length > 1) expect(bytes).toBeLessThanOrEqual(maxRequestBytes);
          expect(chunk.data.byteLength).toBeGreaterThanOrEqual(bytes - RECORD_OVERHEAD * chunk.keys.length);
        }
      }),
      { numRuns: 300 },
    );
  });

  it('a chunk of tombstones only is one request of null values', () => {
    const encoder = new EventEncoder(900_000);
    encoder.addTombstone(4);
    encoder.addTombstone(5);
    const encoded = encoder.finish();
    expect(encoded.events).toBe(0);
    expect(decode(encoded)).toEqual([
      { key: '4', event: null },
      { key: '5', event: null },
    ]);
  });

  it('starts empty again after finish', () => {
    const encoder = new EventEncoder(900_000);
    encoder.add(event(1, 'Ana', 'c'));
    expect(encoder.finish().events).toBe(1);
    expect(encoder.finish()).toEqual({ chunks: [], events: 0, byOp: { c: 0, u: 0, d: 0, r: 0 } });
  });

  it('fills a request before starting the next one', () => {
    const encoder = new EventEncoder(900_000);
    for (let id = 1; id <= 3_000; id += 1) encoder.add(event(id, 'Ana Beatriz Souza', 'u'));
    const { chunks } = encoder.finish();
    const size = JSON.stringify(event(1, 'Ana Beatriz Souza', 'u')).length + RECORD_OVERHEAD;
    expect(chunks.length).toBe(Math.ceil(3_000 / Math.floor(900_000 / size)));
  });
});
