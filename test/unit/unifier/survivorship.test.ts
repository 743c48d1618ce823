import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { priorityRules } from '../../../src/unifier/priorities.js';
import { decide, emptyValues, foldRecords, heldPriority, type Provenance } from '../../../src/unifier/survivorship.js';
import { record } from '../../helpers/records.js';

const rules = priorityRules(
  [
    { name: 'high', priority: 60, fieldPriorities: { phone_number: 5 } },
    { name: 'mid', priority: 50 },
    { name: 'mid2', priority: 50 },
    { name: 'low', priority: 10 },
  ],
  1_000,
);
const at = (seconds: number) => new Date(Date.UTC(2024, 0, 1) + seconds * 1000);
const held = (platform: string, priority: number | null, seconds: number): Provenance => ({ platform, priority, eventTime: at(seconds), eventId: 'e' });
const incoming = (platform: string, value: string, seconds: number) => ({ value, platform, priority: rules.priorityOf(platform, 'name') ?? 0, eventTime: at(seconds) });

describe('decide (one field, one incoming value)', () => {
  it.each([
    // [case, current value, current provenance, incoming, expected]
    ['empty incoming never overwrites', 'Ana', held('low', 10, 0), incoming('high', '', 5), 'keep'],
    ['whitespace incoming never overwrites', 'Ana', held('low', 10, 0), incoming('high', '   ', 5), 'keep'],
    ['empty current is filled by anyone', null, undefined, incoming('low', 'Ana', 0), 'set'],
    ['empty-string current is filled by anyone', '', held('high', 60, 9), incoming('low', 'Ana', 0), 'set'],
    ['higher priority replaces', 'Ana', held('mid', 50, 9), incoming('high', 'Bia', 0), 'set'],
    ['lower priority never replaces, even when newer', 'Ana', held('mid', 50, 0), incoming('low', 'Bia', 99), 'keep'],
    ['equal priority and newer replaces', 'Ana', held('mid', 50, 1), incoming('mid2', 'Bia', 2), 'set'],
    ['equal priority and older does not undo', 'Ana', held('mid', 50, 2), incoming('mid2', 'Bia', 1), 'keep'],
    ['equal priority and same time keeps the first', 'Ana', held('mid', 50, 2), incoming('mid2', 'Bia', 2), 'keep'],
    ['a winning equal value only confirms', 'Ana', held('mid', 50, 1), incoming('high', 'Ana', 0), 'confirm'],
    ['a losing equal value changes nothing', 'Ana', held('high', 60, 1), incoming('low', 'Ana', 5), 'keep'],
    ['an unclaimed legacy value is replaced by any source', 'Legacy', undefined, incoming('low', 'Ana', 0), 'set'],
    ['a hand edit ranks as an operator', 'Hand', held('sql:postgres', null, 0), incoming('high', 'Ana', 9), 'keep'],
    ['an unconfigured platform ranks 0', 'Ana', held('low', 10, 0), { ...incoming('ghost', 'X', 9), priority: 0 }, 'keep'],
  ] as const)('%s', (_case, currentValue, provenance, candidate, expected) => {
    expect(decide('name', currentValue, provenance, candidate, rules)).toBe(expected);
  });

  it('uses the per-field override of the platform holding the value', () => {
    // 'high' holds phone_number at its override 5: 'low' (10) may replace it
    expect(heldPriority('phone_number', held('high', 60, 0), rules)).toBe(5);
    expect(decide('phone_number', '999990000', held('high', 60, 0), { value: '988887777', platform: 'low', priority: 10, eventTime: at(0) }, rules)).toBe('set');
  });

  it('ranks a held value by the current config, not the priority recorded then', () => {
    expect(heldPriority('name', held('mid', 999, 0), rules)).toBe(50);
    expect(heldPriority('name', held('removed-platform', 42, 0), rules)).toBe(42);
    expect(heldPriority('name', undefined, rules)).toBe(Number.NEGATIVE_INFINITY);
  });
});

describe('foldRecords', () => {
  const start = { email: 'ana@example.com', values: emptyValues(), provenance: {} };

  it('audits a creation as one row, the email, as the seed has it; who set each value is provenance', () => {
    const result = foldRecords(start, [record({ platform: 'mid', email: 'ana@example.com', customer: { name: 'Ana' }, address: { city: 'Natal' } })], rules, { created: true });
    expect(result.audit.map((a) => [a.field, a.oldValue, a.newValue, a.changedBy])).toEqual([['email', null, 'ana@example.com', 'mid']]);
    expect([...result.changed]).toEqual(['name', 'city']);
    expect(result.state.provenance.name).toMatchObject({ platform: 'mid' });
    expect(result.state.provenance.city).toMatchObject({ platform: 'mid' });
  });

  it('audits each initial value from NULL too with logInitialValues', () => {
    const result = foldRecords(start, [record({ platform: 'mid', email: 'ana@example.com', customer: { name: 'Ana' }, address: { city: 'Natal' } })], rules, {
      created: true,
      logInitialValues: true,
    });
    expect(result.audit.map((a) => [a.field, a.oldValue, a.newValue, a.changedBy])).toEqual([
      ['email', null, 'ana@example.com', 'mid'],
      ['name', null, 'Ana', 'mid'],
      ['city', null, 'Natal', 'mid'],
    ]);
  });

  it('audits the changes of later records of a creating batch one row per field', () => {
    const result = foldRecords(
      start,
      [
        record({ platform: 'mid', email: 'ana@example.com', time: 1, customer: { name: 'Ana' } }),
        record({ platform: 'mid', email: 'ana@example.com', time: 2, customer: { name: 'Ana S', customer_id: 'x1' } }),
      ],
      rules,
      { created: true },
    );
    expect(result.audit.map((a) => [a.sequence, a.field, a.oldValue, a.newValue])).toEqual([
      [0, 'email', null, 'ana@example.com'],
      [1, 'name', 'Ana', 'Ana S'],
      [1, 'customer_id', null, 'x1'],
    ]);
  });

  it('reports the newest event as last seen, whatever it changed', () => {
    const result = foldRecords(
      start,
      [
        record({ platform: 'mid', email: 'ana@example.com', time: 5, customer: { name: 'Ana' } }),
        record({ platform: 'low', email: 'ana@example.com', time: 9, customer: { name: 'Other' } }),
        record({ platform: 'high', email: 'ana@example.com', time: 3 }),
      ],
      rules,
    );
    expect(result.lastSeen?.platform).toBe('low');
    expect(result.lastSeen?.at.getTime()).toBe(Date.UTC(2024, 0, 1) + 9_000);
  });

  it('folds several records in order, one audit row per change', () => {
    const result = foldRecords(
      start,
      [
        record({ platform: 'low', email: 'ana@example.com', time: 1, customer: { name: 'A' } }),
        record({ platform: 'mid', email: 'ana@example.com', time: 2, customer: { name: 'B' } }),
        record({ platform: 'low', email: 'ana@example.com', time: 3, customer: { name: 'C' } }),
        record({ platform: 'mid2', email: 'ana@example.com', time: 4, customer: { name: 'D' } }),
      ],
      rules,
    );
    expect(result.state.values.name).toBe('D');
    expect(result.audit.map((a) => `${a.oldValue}→${a.newValue}`)).toEqual(['null→A', 'A→B', 'B→D']);
    expect(result.audit.map((a) => a.sequence)).toEqual([0, 1, 3]);
  });

  it('keeps the operator reason on operator records', () => {
    const op = record({ platform: 'operator:alice', email: 'ana@example.com', position: { kind: 'operator', operator: 'alice', reason: 'ticket 42' }, customer: { name: 'Ana Op' } });
    const result = foldRecords(start, [op], rules);
    expect(result.audit[0]).toMatchObject({ changedBy: 'operator:alice', reason: 'ticket 42' });
  });

  it('never lets an empty value replace a filled one (property)', () => {
    fc.assert(
      fc.property(
        fc.array(fc.record({ platform: fc.constantFrom('high', 'mid', 'mid2', 'low'), name: fc.constantFrom('A', 'B', '', ' ', null), time: fc.nat(50) }), { maxLength: 20 }),
        (specs) => {
          const records = specs.map((s) => record({ platform: s.platform, email: 'ana@example.com', time: s.time, customer: { name: s.name } }));
          let state = start;
          let filled = false;
          for (const r of records) {
            state = foldRecords(state, [r], rules).state;
            filled ||= r.values.name !== undefined;
            if (filled) expect(state.values.name).not.toBeNull();
          }
        },
      ),
    );
  });
});

describe('blank values', () => {
  it('treats as empty exactly what trim() empties, whatever the whitespace', () => {
    const held: Provenance = { platform: 'high', priority: 100, eventTime: new Date(0), eventId: null };
    const candidate = (value: string) => ({ value, platform: 'low', priority: 1, eventTime: new Date(1) });
    fc.assert(
      fc.property(fc.string({ unit: fc.constantFrom(' ', '\t', '\n', '\r', '\u00a0', '\u2003', '\u3000', '\ufeff', '\u200b', 'a', 'é', '0') }), (value) => {
        const blank = value.trim() === '';
        // an empty current value is filled by anyone; a filled one held higher is kept
        expect(decide('name', value, held, candidate('x'), rules), JSON.stringify(value)).toBe(blank ? 'set' : 'keep');
        // an empty incoming value never overwrites
        expect(decide('name', 'current', undefined, candidate(value), rules), JSON.stringify(value)).toBe(blank ? 'keep' : 'set');
      }),
    );
  });
});
