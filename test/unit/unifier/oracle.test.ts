import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ALL_FIELDS, type Field } from '../../../src/contract.js';
import { normalizeEmail, type NormalizedRecord } from '../../../src/unifier/normalize/index.js';
import { priorityRules, type PlatformPriority } from '../../../src/unifier/priorities.js';
import { emptyValues, foldRecords, type AuditEntry, type CustomerState, type Provenance } from '../../../src/unifier/survivorship.js';
import { ORACLE_FIELDS, SurvivorshipOracle, type OracleConfig, type Setter } from '../../helpers/oracle.js';

/**
 * Two independent implementations of the survivorship rules must agree: the
 * oracle (test/helpers/oracle.ts, written from the README) and the production
 * fold (src/unifier/survivorship.ts), record by record and batch by batch, on
 * random records — ties of priority and event time, empty values, operator
 * edits, platforms nobody configured, values nobody claimed, hand edits, a
 * re-ranking between two phases, and audit.logInitialValues either way.
 */

const PLATFORMS = ['hotmart', 'kiwify', 'stripe', 'crm'] as const;
const SOURCES = [...PLATFORMS, 'unknown-app', 'operator:ana', 'operator:bruno'] as const;
const EMAILS = ['ana@example.com', ' Ana@Example.com ', 'bruno@example.com', 'carla@example.com'] as const;
const VALUES = ['x', 'y', 'z', '', '  ', null] as const;
const FIELDS = ['name', 'phone_number', 'city', 'zip_code'] as const satisfies readonly Field[];

it('the oracle is independent of src/ and decides the same fields as the production code', () => {
  const source = readFileSync(new URL('../../helpers/oracle.ts', import.meta.url), 'utf8');
  expect(source).not.toMatch(/from '[^']*src\//);
  expect([...ORACLE_FIELDS]).toEqual([...ALL_FIELDS]);
});

interface RandomRecord {
  source: (typeof SOURCES)[number];
  email: (typeof EMAILS)[number];
  time: number;
  values: Partial<Record<Field, string | null>>;
}

const recordArb: fc.Arbitrary<RandomRecord> = fc.record({
  source: fc.constantFrom(...SOURCES),
  email: fc.constantFrom(...EMAILS),
  time: fc.integer({ min: 0, max: 4 }),
  values: fc.dictionary(fc.constantFrom(...FIELDS), fc.constantFrom(...VALUES), { maxKeys: 4 }) as fc.Arbitrary<Partial<Record<Field, string | null>>>,
});

const platformsArb: fc.Arbitrary<PlatformPriority[]> = fc
  .tuple(
    fc.subarray([...PLATFORMS], { minLength: 1 }),
    fc.array(fc.integer({ min: 0, max: 3 }), { minLength: 4, maxLength: 4 }),
    fc.array(fc.option(fc.integer({ min: 0, max: 3 }), { nil: undefined }), { minLength: 4, maxLength: 4 }),
  )
  .map(([names, priorities, overrides]) =>
    names.map((name, i) => ({
      name,
      priority: priorities[i] ?? 0,
      ...(overrides[i] === undefined ? {} : { fieldPriorities: { city: overrides[i] } }),
    })),
  );

/** A customer that predates the records: some values nobody claimed, some set by a source or by hand in SQL. */
const seedArb = fc.record({
  email: fc.constantFrom('bruno@example.com', 'carla@example.com'),
  values: fc.dictionary(fc.constantFrom(...FIELDS), fc.constantFrom('x', 'y', 'old')),
  setters: fc.dictionary(fc.constantFrom(...FIELDS), fc.record({ platform: fc.constantFrom('hotmart', 'stripe', 'gone-app', 'postgres'), priority: fc.option(fc.integer({ min: 0, max: 3 }), { nil: null }), time: fc.integer({ min: 0, max: 4 }) })),
});

const scenarioArb = fc.record({
  first: platformsArb,
  second: platformsArb,
  operatorPriority: fc.integer({ min: 0, max: 4 }),
  logInitialValues: fc.boolean(),
  seeds: fc.uniqueArray(seedArb, { selector: (s) => s.email, maxLength: 2 }),
  phaseOne: fc.array(recordArb, { maxLength: 25 }),
  phaseTwo: fc.array(recordArb, { maxLength: 25 }),
});
type Scenario = typeof scenarioArb extends fc.Arbitrary<infer T> ? T : never;

function normalized(r: RandomRecord, index: number): NormalizedRecord {
  const email = normalizeEmail(r.email);
  if (!email.ok) throw new Error('test email rejected');
  const operator = r.source.startsWith('operator:');
  return {
    platform: r.source,
    position: operator ? { kind: 'operator', operator: r.source.slice(9), reason: `ticket ${index}` } : { kind: 'kafka', topic: 't', partition: 0, offset: String(index) },
    eventId: `e${index}`,
    eventTime: new Date(Date.UTC(2024, 0, 1) + r.time * 1000),
    email: email.email,
    values: r.values as Partial<Record<Field, string>>,
    dropped: [],
  };
}

interface Outcome {
  values: Record<string, Record<string, string | null>>;
  setBy: Record<string, Record<string, { platform: string; eventTime: number }>>;
  audit: { email: string; field: string; old: string | null; new: string | null; changedBy: string; reason: string | null }[];
}

function seededSetters(seed: Scenario['seeds'][number]): Partial<Record<Field, Setter>> {
  const out: Partial<Record<Field, Setter>> = {};
  for (const [field, s] of Object.entries(seed.setters)) {
    if (seed.values[field as Field] !== undefined) out[field as Field] = { platform: s.platform, priority: s.priority, eventTime: Date.UTC(2024, 0, 1) + s.time * 1000 };
  }
  return out;
}

function runOracle(scenario: Scenario): Outcome {
  const config = (platforms: PlatformPriority[]): OracleConfig => ({ platforms, operatorPriority: scenario.operatorPriority, logInitialValues: scenario.logInitialValues });
  const oracle = new SurvivorshipOracle(config(scenario.first));
  for (const seed of scenario.seeds) oracle.seed({ email: seed.email, values: seed.values, setBy: seededSetters(seed) });
  // The oracle lower-cases and trims the email itself: it gets the raw spelling.
  scenario.phaseOne.forEach((r, i) => oracle.apply({ ...normalized(r, i), email: r.email }));
  oracle.config = config(scenario.second);
  scenario.phaseTwo.forEach((r, i) => oracle.apply({ ...normalized(r, 1000 + i), email: r.email }));
  const values: Outcome['values'] = {};
  const setBy: Outcome['setBy'] = {};
  for (const c of oracle.customers.values()) {
    values[c.email] = { ...c.values };
    setBy[c.email] = Object.fromEntries(Object.entries(c.setBy).map(([f, s]) => [f, { platform: s.platform, eventTime: s.eventTime }]));
  }
  return { values, setBy, audit: oracle.audit };
}

/** The production fold, customer by customer: each record alone (as the daemon may), or each phase's records at once (as a batch does). */
function runProduction(scenario: Scenario, batched: boolean): Outcome {
  const states = new Map<string, CustomerState>();
  for (const seed of scenario.seeds) {
    const values = emptyValues();
    for (const [field, value] of Object.entries(seed.values)) values[field as Field] = value;
    const provenance: Partial<Record<Field, Provenance>> = {};
    for (const [field, s] of Object.entries(seededSetters(seed))) provenance[field as Field] = { platform: s.platform, priority: s.priority, eventTime: new Date(s.eventTime), eventId: null };
    states.set(seed.email, { email: seed.email, values, provenance });
  }
  const audit: { entry: AuditEntry; email: string }[] = [];
  const fold = (records: NormalizedRecord[], platforms: PlatformPriority[]) => {
    const rules = priorityRules(platforms, scenario.operatorPriority);
    const groups = batched ? groupByEmail(records) : records.map((r) => [r]);
    const rows: { record: number; position: number; entry: AuditEntry; email: string }[] = [];
    for (const group of groups) {
      const email = (group[0] as NormalizedRecord).email;
      const existing = states.get(email);
      const start = existing ?? { email, values: emptyValues(), provenance: {} };
      const result = foldRecords(start, group, rules, { created: existing === undefined, logInitialValues: scenario.logInitialValues });
      states.set(email, result.state);
      result.audit.forEach((entry, position) => rows.push({ record: records.indexOf(group[entry.sequence] as NormalizedRecord), position, entry, email }));
    }
    // Audit rows follow the records' order across customers, as the engine writes them.
    rows.sort((a, b) => a.record - b.record || a.position - b.position);
    audit.push(...rows);
  };
  fold(scenario.phaseOne.map((r, i) => normalized(r, i)), scenario.first);
  fold(scenario.phaseTwo.map((r, i) => normalized(r, 1000 + i)), scenario.second);
  const values: Outcome['values'] = {};
  const setBy: Outcome['setBy'] = {};
  for (const s of states.values()) {
    values[s.email] = { ...s.values };
    setBy[s.email] = Object.fromEntries(
      Object.entries(s.provenance).flatMap(([f, p]) => (p ? [[f, { platform: p.platform, eventTime: p.eventTime.getTime() }]] : [])),
    );
  }
  return {
    values,
    setBy,
    audit: audit.map(({ entry, email }) => ({ email, field: entry.field, old: entry.oldValue, new: entry.newValue, changedBy: entry.changedBy, reason: entry.reason })),
  };
}

function groupByEmail(records: NormalizedRecord[]): NormalizedRecord[][] {
  const groups = new Map<string, NormalizedRecord[]>();
  for (const r of records) groups.set(r.email, [...(groups.get(r.email) ?? []), r]);
  return [...groups.values()];
}

describe('the survivorship oracle and the production fold', () => {
  it('agree record by record and batch by batch: values, who holds them, audit rows', () => {
    fc.assert(
      fc.property(scenarioArb, (scenario) => {
        const expected = runOracle(scenario);
        expect(runProduction(scenario, false)).toEqual(expected);
        expect(runProduction(scenario, true)).toEqual(expected);
      }),
      { numRuns: 400 },
    );
  });

  it('state the creation and the tie-break as the README does', () => {
    const oracle = new SurvivorshipOracle({ platforms: [{ name: 'a', priority: 5 }, { name: 'b', priority: 5 }], operatorPriority: 9 });
    const at = (s: number) => new Date(Date.UTC(2024, 0, 1, 0, 0, s));
    oracle.apply({ platform: 'a', email: ' Ana@Example.com ', eventTime: at(10), values: { name: 'Ana', city: 'Natal' } });
    oracle.apply({ platform: 'b', email: 'ana@example.com', eventTime: at(5), values: { name: 'Older' } });
    oracle.apply({ platform: 'b', email: 'ana@example.com', eventTime: at(20), values: { name: 'Newer', city: ' ' } });
    expect(oracle.customers.get('ana@example.com')?.values).toMatchObject({ name: 'Newer', city: 'Natal' });
    expect(oracle.audit.map((r) => [r.field, r.old, r.new, r.changedBy])).toEqual([
      ['email', null, 'ana@example.com', 'a'],
      ['name', 'Ana', 'Newer', 'b'],
    ]);
  });
});
