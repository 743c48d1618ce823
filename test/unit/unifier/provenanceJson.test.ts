import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ALL_FIELDS, type Field } from '../../../src/contract.js';
import { decodeProvenance, encodeProvenance, provenanceSources } from '../../../src/unifier/provenanceJson.js';
import type { Provenance } from '../../../src/unifier/survivorship.js';

const hotmart: Provenance = { platform: 'hotmart', priority: 50, eventTime: new Date('2024-03-01T12:00:00.123Z'), eventId: 'ev-1' };
const stripe: Provenance = { platform: 'stripe', priority: 60, eventTime: new Date('2024-03-02T08:00:00Z'), eventId: 'evt_2' };

describe('the provenance document', () => {
  it('stores each distinct source once, the fields pointing at it', () => {
    const document = encodeProvenance({ name: hotmart, city: { ...hotmart }, phone_number: stripe });
    expect(document).toEqual({
      sources: [
        { platform: 'hotmart', priority: 50, event_time: '2024-03-01T12:00:00.123000Z', event_id: 'ev-1' },
        { platform: 'stripe', priority: 60, event_time: '2024-03-02T08:00:00.000000Z', event_id: 'evt_2' },
      ],
      fields: { name: 0, city: 0, phone_number: 1 },
    });
  });

  it('keeps a hand edit (priority null) and the microseconds of a stored time when re-encoded unchanged', () => {
    const stored = {
      sources: [{ platform: 'sql:postgres', priority: null, event_time: '2024-06-01T10:11:12.654321Z', event_id: 'sql:9' }],
      fields: { name: 0 },
    };
    const decoded = decodeProvenance(stored);
    expect(decoded.name).toMatchObject({ platform: 'sql:postgres', priority: null, eventId: 'sql:9' });
    expect(encodeProvenance(decoded)).toEqual(stored);
  });

  it('ignores what custsync did not write: unknown fields, dangling indexes, malformed sources, other documents', () => {
    const odd = {
      sources: [{ platform: 'hotmart', priority: 50, event_time: '2024-03-01T12:00:00Z', event_id: null }, { platform: 7 }],
      fields: { name: 0, not_a_field: 0, city: 1, state: 9, country: 'x' },
    };
    expect(Object.keys(decodeProvenance(odd))).toEqual(['name']);
    expect([...provenanceSources(odd).keys()]).toEqual(['name', 'not_a_field']);
    for (const garbage of [null, 'text', 42, [], { sources: {} }, { fields: { name: 0 } }]) expect(decodeProvenance(garbage)).toEqual({});
  });

  it('decodes what it encodes, for any provenance', () => {
    const provenance = fc.record({
      platform: fc.constantFrom('hotmart', 'stripe', 'operator:ana', 'sql:postgres', 'a"b\\c\u00e9'),
      priority: fc.option(fc.integer({ min: 0, max: 1_000_000 }), { nil: null }),
      eventTime: fc.date({ min: new Date('1990-01-01'), max: new Date('2100-01-01'), noInvalidDate: true }),
      eventId: fc.option(fc.string(), { nil: null }),
    });
    fc.assert(
      fc.property(fc.dictionary(fc.constantFrom(...ALL_FIELDS), provenance), (byField) => {
        const document = JSON.parse(JSON.stringify(encodeProvenance(byField))) as unknown;
        const decoded = decodeProvenance(document);
        expect(Object.keys(decoded).sort()).toEqual(Object.keys(byField).sort());
        for (const [field, p] of Object.entries(byField) as [Field, Provenance][]) expect(decoded[field]).toEqual(p);
      }),
    );
  });
});
