import { describe, expect, it } from 'vitest';
import { planMerge, type MergeSide } from '../../../../src/unifier/merge/mergePlan.js';
import type { Field } from '../../../../src/contract.js';
import { priorityRules } from '../../../../src/unifier/priorities.js';
import { emptyValues, type Provenance } from '../../../../src/unifier/survivorship.js';
import { isPseudonymizedEmail } from '../../../../src/unifier/merge/merge.js';

const rules = priorityRules(
  [
    { name: 'stripe', priority: 60, fieldPriorities: { phone_number: 10, phone_local_code: 10 } },
    { name: 'hotmart', priority: 50 },
    { name: 'kiwify', priority: 40 },
    { name: 'eduzz', priority: 40 },
  ],
  1000,
);

function by(platform: string, seconds: number, priority: number | null = 0): Provenance {
  return { platform, priority, eventTime: new Date(seconds * 1000), eventId: `${platform}-${seconds}` };
}

function side(id: number, fields: Partial<Record<Field, [string, Provenance | undefined]>>): MergeSide {
  const values = emptyValues();
  const provenance: Partial<Record<Field, Provenance>> = {};
  for (const [field, [value, from]] of Object.entries(fields) as [Field, [string, Provenance | undefined]][]) {
    values[field] = value;
    if (from) provenance[field] = from;
  }
  return { id, values, provenance };
}

describe('planMerge', () => {
  it('fills an empty kept value with the dropped one, whatever its priority', () => {
    const plan = planMerge(side(1, { name: ['Ana', by('stripe', 1)] }), side(2, { city: ['Recife', by('kiwify', 1)], customer_id: ['x-1', undefined] }), rules);
    expect(plan.fields).toEqual([
      { field: 'customer_id', before: null, dropped: 'x-1', after: 'x-1', outcome: 'filled' },
      { field: 'city', before: null, dropped: 'Recife', after: 'Recife', outcome: 'filled' },
    ]);
    expect(plan.changed).toEqual(['customer_id', 'city']);
    expect(plan.provenanceFromDropped).toEqual(['city']);
    expect(plan.provenanceCleared).toEqual(['customer_id']);
    expect(plan.addressChanged).toBe(true);
    expect(plan.values).toMatchObject({ name: 'Ana', city: 'Recife', customer_id: 'x-1' });
  });

  it('lets a dropped value held at a higher priority replace the kept one, and not a lower one', () => {
    const plan = planMerge(
      side(1, { name: ['Ana Kiwify', by('kiwify', 9)], city: ['Natal', by('stripe', 1)] }),
      side(2, { name: ['Ana Hotmart', by('hotmart', 1)], city: ['Recife', by('hotmart', 9)] }),
      rules,
    );
    expect(plan.fields.map((f) => [f.field, f.after, f.outcome])).toEqual([
      ['name', 'Ana Hotmart', 'replaced'],
      ['city', 'Natal', 'kept'],
    ]);
    expect(plan.changed).toEqual(['name']);
    expect(plan.provenanceFromDropped).toEqual(['name']);
    expect(plan.addressChanged).toBe(false);
  });

  it('uses the current configured priority of the setter, per field', () => {
    // stripe holds 60 in general but only 10 for the phone
    const plan = planMerge(
      side(1, { phone_local_code: ['11', by('kiwify', 1)], phone_number: ['999990000', by('kiwify', 1)] }),
      side(2, { phone_local_code: ['21', by('stripe', 5)], phone_number: ['988887777', by('stripe', 5)] }),
      rules,
    );
    expect(plan.changed).toEqual([]);
    expect(plan.fields.map((f) => f.outcome)).toEqual(['kept', 'kept']);
  });

  it('at equal priority takes the newer value', () => {
    const older = planMerge(side(1, { name: ['Kiwify', by('kiwify', 5)] }), side(2, { name: ['Eduzz', by('eduzz', 3)] }), rules);
    const newer = planMerge(side(1, { name: ['Kiwify', by('kiwify', 5)] }), side(2, { name: ['Eduzz', by('eduzz', 7)] }), rules);
    expect(older.values.name).toBe('Kiwify');
    expect(newer.values.name).toBe('Eduzz');
  });

  it('ranks hand edits at the operator priority and unclaimed values lowest', () => {
    const hand = planMerge(side(1, { name: ['Stripe', by('stripe', 9)] }), side(2, { name: ['Hand', by('sql:postgres', 1, null)] }), rules);
    expect(hand.values.name).toBe('Hand');
    const unclaimed = planMerge(side(1, { name: ['Kept', undefined] }), side(2, { name: ['Old', undefined] }), rules);
    expect(unclaimed.fields[0]?.outcome).toBe('kept');
  });

  it('takes over the provenance of an identical value held more strongly, without a change', () => {
    const plan = planMerge(side(1, { name: ['Ana', by('kiwify', 1)] }), side(2, { name: ['Ana', by('stripe', 1)] }), rules);
    expect(plan.fields).toEqual([{ field: 'name', before: 'Ana', dropped: 'Ana', after: 'Ana', outcome: 'confirmed' }]);
    expect(plan.changed).toEqual([]);
    expect(plan.provenanceFromDropped).toEqual(['name']);
    const weaker = planMerge(side(1, { name: ['Ana', by('stripe', 1)] }), side(2, { name: ['Ana', by('kiwify', 1)] }), rules);
    expect(weaker.fields[0]?.outcome).toBe('same');
    expect(weaker.provenanceFromDropped).toEqual([]);
  });

  it('never lets an empty dropped value overwrite', () => {
    const plan = planMerge(side(1, { name: ['Ana', by('kiwify', 1)] }), side(2, { name: ['   ', by('stripe', 9)] }), rules);
    expect(plan.fields).toEqual([]);
    expect(plan.values.name).toBe('Ana');
  });

  it('moves phone and document as pairs, decided by the number', () => {
    // the local code alone would win (hand edit), but the number decides for the pair
    const plan = planMerge(
      side(1, { phone_local_code: ['11', by('hotmart', 1)], phone_number: ['999990000', by('hotmart', 1)], document_type: ['CPF', by('kiwify', 1)], document_number: ['52998224725', by('kiwify', 1)] }),
      side(2, { phone_local_code: ['21', by('sql:postgres', 1, null)], phone_number: ['988887777', by('kiwify', 1)], document_type: ['RG', by('hotmart', 1)], document_number: ['12345', by('hotmart', 1)] }),
      rules,
    );
    expect(plan.values).toMatchObject({ phone_local_code: '11', phone_number: '999990000', document_type: 'RG', document_number: '12345' });
    expect(plan.changed).toEqual(['document_type', 'document_number']);
  });

  it('moves a pair member whose partner is identical when the number wins', () => {
    const plan = planMerge(
      side(1, { phone_local_code: ['11', by('kiwify', 1)], phone_number: ['999990000', by('kiwify', 1)] }),
      side(2, { phone_local_code: ['11', by('hotmart', 1)], phone_number: ['988887777', by('hotmart', 1)] }),
      rules,
    );
    expect(plan.fields.map((f) => [f.field, f.outcome])).toEqual([
      ['phone_local_code', 'confirmed'],
      ['phone_number', 'replaced'],
    ]);
    expect(plan.provenanceFromDropped).toEqual(['phone_local_code', 'phone_number']);
  });
});

describe('pseudonymized emails', () => {
  it('recognises the seed pattern only', () => {
    expect(isPseudonymizedEmail('deleted_0cc175b9c0f1b6a831c399e269772661@anonymous.com')).toBe(true);
    expect(isPseudonymizedEmail('deletedX@anonymous.com')).toBe(false);
    expect(isPseudonymizedEmail('deleted_1@anonymous.com.br')).toBe(false);
    expect(isPseudonymizedEmail(null)).toBe(false);
  });
});
