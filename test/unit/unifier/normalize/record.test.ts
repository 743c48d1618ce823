import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ALL_FIELDS, FIELD_MAX_LENGTH, type Field } from '../../../../src/contract.js';
import {
  DEFAULT_NORMALIZE_OPTIONS,
  normalizeRecord,
  type NormalizedRecord,
  type NormalizeResult,
} from '../../../../src/unifier/normalize/index.js';
import type { SourceRecord } from '../../../../src/contract.js';
import { cpfArb, messyString, sourceRecord, sourceRecordArb } from './arbitraries.js';

function normalized(record: SourceRecord): NormalizedRecord {
  const result = normalizeRecord(record, DEFAULT_NORMALIZE_OPTIONS);
  if (!result.ok) throw new Error(`unexpected rejection: ${result.reason}`);
  return result.record;
}

describe('normalizeRecord: platform payloads (fixtures from PLATFORMS.md, mapped)', () => {
  it('Hotmart buyer', () => {
    const record = normalized(
      sourceRecord({
        email: 'Ana@Example.com ',
        customer: {
          name: 'Ana Souza', phone_local_code: '11', phone_number: '11999990000',
          document_number: '12345678909', document_type: 'CPF',
        },
        address: {
          address: 'Rua A', number: '10', complement: 'Ap 2', neighborhood: 'Centro', city: 'Uberlândia',
          state: 'Minas Gerais', zip_code: '38400123', country: 'Brasil',
        },
      }),
    );
    expect(record.email).toBe('ana@example.com');
    expect(record.values).toEqual({
      name: 'Ana Souza', phone_local_code: '11', phone_number: '999990000', document_type: 'CPF',
      document_number: '12345678909', address: 'Rua A', number: '10', complement: 'Ap 2',
      neighborhood: 'Centro', city: 'Uberlândia', state: 'MG', zip_code: '38400-123', country: 'BR',
    });
    expect(record.dropped).toEqual([]);
  });

  it('Kiwify customer (empty complement, CPF without type, state UF, no country)', () => {
    const record = normalized(
      sourceRecord({
        email: 'joao@example.com',
        customer: { name: 'João Silva', phone_number: '+5511999990000', document_number: '12345678909' },
        address: {
          address: 'Rua B', number: '5', complement: '', neighborhood: 'Centro', city: 'São Paulo',
          state: 'SP', zip_code: '01000000', ip: '203.0.113.7',
        },
      }),
    );
    expect(record.values).toEqual({
      name: 'João Silva', phone_local_code: '11', phone_number: '999990000', document_type: 'CPF',
      document_number: '12345678909', address: 'Rua B', number: '5', neighborhood: 'Centro',
      city: 'São Paulo', state: 'SP', zip_code: '01000-000', ip: '203.0.113.7',
    });
    expect(record.dropped).toEqual([]);
  });

  it('Eduzz legacy (trunk-prefixed phone, invalid tax number, state name)', () => {
    const record = normalized(
      sourceRecord({
        email: 'a@example.com',
        customer: { name: 'Teste', customer_id: '1', phone_number: '011999999999', document_number: '99999999911' },
        address: {
          address: 'Av. São Paulo', number: '111', complement: 'AP 38', neighborhood: 'Jardim Brasil',
          city: 'Sorocaba', state: 'São Paulo', zip_code: '07052-160', country: 'Brasil',
        },
      }),
    );
    expect(record.values).toMatchObject({
      customer_id: '1', phone_local_code: '11', phone_number: '999999999', state: 'SP',
      zip_code: '07052-160', country: 'BR',
    });
    expect(record.values.document_number).toBeUndefined();
    expect(record.dropped).toEqual([{ field: 'document_number', reason: 'document_invalid' }]);
  });

  it('Stripe customer (fictional 555 area code phone is dropped)', () => {
    const record = normalized(
      sourceRecord({
        email: 'jane@example.com',
        customer: { name: 'Jane Doe', customer_id: 'cus_Nff', phone_number: '+15555550100' },
        address: { address: '1 Main St', complement: null, city: 'Austin', state: 'TX', zip_code: '78701', country: 'US' },
      }),
    );
    expect(record.values).toEqual({
      name: 'Jane Doe', customer_id: 'cus_Nff', address: '1 Main St', city: 'Austin', state: 'TX',
      zip_code: '78701', country: 'US',
    });
    expect(record.dropped).toEqual([{ field: 'phone_number', reason: 'phone_invalid' }]);
  });

  it('Stripe customer with a valid fictional number (555-01XX in a real area code)', () => {
    const record = normalized(
      sourceRecord({ email: 'jane@example.com', customer: { phone_number: '+1 512-555-0100' }, address: { country: 'US' } }),
    );
    expect(record.values).toMatchObject({ phone_local_code: '512', phone_number: '5550100' });
  });

  it('Shopify customer (Canadian address: the phone is read in CA)', () => {
    const record = normalized(
      sourceRecord({
        email: 'bob@biller.com',
        customer: { name: 'Bob Biller', customer_id: '706405506930370084', phone_number: '555-555-5555' },
        address: { address: "151 O'Connor Street", city: 'Ottawa', state: 'ON', zip_code: 'K2P 2L8', country: 'CA' },
      }),
    );
    expect(record.values).toEqual({
      name: 'Bob Biller', customer_id: '706405506930370084', address: "151 O'Connor Street", city: 'Ottawa',
      state: 'ON', zip_code: 'K2P 2L8', country: 'CA',
    });
    expect(record.dropped).toEqual([{ field: 'phone_number', reason: 'phone_invalid' }]);
  });
});

describe('normalizeRecord: envelope and email', () => {
  it('passes platform, position, event id and time through unchanged', () => {
    const input = sourceRecord({
      platform: 'legacy_app',
      position: { kind: 'wal', slot: 'custsync', lsn: '0/16B3748' },
      eventId: 'evt_1',
      eventTime: new Date('2023-11-20T10:00:00Z'),
      email: 'ana@example.com',
    });
    const record = normalized(input);
    expect(record).toMatchObject({
      platform: 'legacy_app', position: input.position, eventId: 'evt_1', eventTime: input.eventTime,
    });
    expect(record.values).toEqual({});
    expect(record.dropped).toEqual([]);
  });

  it.each([
    ['', 'email_missing'],
    ['   ', 'email_missing'],
    ['ana', 'email_invalid'],
    ['ana@example', 'email_invalid'],
    ['ana\u0000@example.com', 'email_invalid'],
    [`${'a'.repeat(64)}@${'b'.repeat(200)}.com`, 'email_too_long'],
  ])('rejects the whole record for email %j (%s), whatever the other fields', (email, reason) => {
    const result = normalizeRecord(
      sourceRecord({ email, customer: { name: 'Ana Souza' }, address: { country: 'BR' } }),
      DEFAULT_NORMALIZE_OPTIONS,
    );
    expect(result).toMatchObject({ ok: false, reason });
    expect(result.ok ? '' : result.message).not.toBe('');
  });
});

describe('normalizeRecord: empty, NUL, unicode, length', () => {
  it.each([null, undefined, '', ' ', '\t\n', '\u00a0\u3000'])('treats %j as absent in every field, not as a drop', (empty) => {
    const customer = { name: empty, customer_id: empty, phone_local_code: empty, phone_number: empty, document_type: empty, document_number: empty };
    const address = {
      address: empty, number: empty, complement: empty, neighborhood: empty, city: empty, state: empty,
      zip_code: empty, country: empty, ip: empty,
    };
    const record = normalized(sourceRecord({ customer, address }));
    expect(record.values).toEqual({});
    expect(record.dropped).toEqual([]);
  });

  it.each<Field>([...ALL_FIELDS])('drops %s containing NUL as nul_byte', (field) => {
    const value = 'Ana\u0000Souza';
    const record = normalized(recordWith(field, value));
    expect(record.dropped).toContainEqual({ field, reason: 'nul_byte' });
    expect(record.values[field]).toBeUndefined();
  });

  it.each<Field>([...ALL_FIELDS])('drops %s containing an unpaired surrogate as invalid_unicode', (field) => {
    const record = normalized(recordWith(field, 'Ana \ud83d Souza'));
    expect(record.dropped).toContainEqual({ field, reason: 'invalid_unicode' });
    expect(record.values[field]).toBeUndefined();
  });

  it.each<[Field, string, string]>([
    ['name', "  <script>alert('x')</script>  ", "<script>alert('x')</script>"],
    ['name', "Robert'); DROP TABLE customers;--", "Robert'); DROP TABLE customers;--"],
    ['name', 'Zoë  😀  Ñandú', 'Zoë 😀 Ñandú'],
    ['name', '山田\u3000太郎', '山田 太郎'],
    ['name', 'محمد  علي', 'محمد علي'],
    ['name', 'ana souza', 'ana souza'],
    ['name', 'Ana\u0001Souza', 'Ana\u0001Souza'],
    ['address', 'Rua  das   Flores,\n 10', 'Rua das Flores, 10'],
    ['number', ' 10 A ', '10 A'],
    ['complement', 'Ap 2\tBloco B', 'Ap 2 Bloco B'],
    ['neighborhood', ' Centro ', 'Centro'],
    ['city', ' São   Paulo ', 'São Paulo'],
    ['customer_id', '  cus_  A\tB  ', 'cus_  A\tB'],
    ['customer_id', '706405506930370084', '706405506930370084'],
  ])('keeps %s text literally, trimmed and collapsed: %j → %j', (field, raw, expected) => {
    expect(normalized(recordWith(field, raw)).values[field]).toBe(expected);
  });

  it.each(
    (['name', 'customer_id', 'address', 'number', 'complement', 'neighborhood', 'city', 'state', 'zip_code'] as const).map(
      (field) => [field, FIELD_MAX_LENGTH[field]] as const,
    ),
  )('%s: %i code points fit, one more is too_long (never truncated)', (field, max) => {
    const fits = normalized(recordWith(field, '😀'.repeat(max)));
    expect(fits.values[field]).toBe('😀'.repeat(max));
    const tooLong = normalized(recordWith(field, `  ${'é'.repeat(max + 1)}  `));
    expect(tooLong.values[field]).toBeUndefined();
    expect(tooLong.dropped).toEqual([{ field, reason: 'too_long' }]);
  });

  it('measures length after normalization (padding and inner runs do not count)', () => {
    const name = `  ${'a'.repeat(127)}     ${'b'.repeat(127)}  `;
    expect(normalized(recordWith('name', name)).values.name).toHaveLength(255);
  });
});

describe('normalizeRecord: country-dependent fields', () => {
  it.each<[Record<string, string>, Partial<Record<Field, string>>, { field: Field; reason: string }[]]>([
    [{ zip_code: '38400123', country: 'BRA' }, { zip_code: '38400-123', country: 'BR' }, []],
    [{ zip_code: '3840012', country: 'Brasil' }, { country: 'BR' }, [{ field: 'zip_code', reason: 'zip_invalid' }]],
    [{ zip_code: '3840012' }, { zip_code: '3840012' }, []],
    [{ zip_code: '38400123', country: 'Atlantis' }, { zip_code: '38400-123' }, [{ field: 'country', reason: 'country_unknown' }]],
    [{ zip_code: 'k2p 2l8', country: 'canada' }, { zip_code: 'K2P 2L8', country: 'CA' }, []],
    [{ state: 'sao paulo', country: 'Brasil' }, { state: 'SP', country: 'BR' }, []],
    [{ state: 'sp', country: 'br' }, { state: 'SP', country: 'BR' }, []],
    [{ state: 'São Paulo', country: 'United States' }, { state: 'São Paulo', country: 'US' }, []],
    [{ state: 'Minas Gerais' }, { state: 'MG' }, []],
    [{ ip: '2001:DB8::1' }, { ip: '2001:db8::1' }, []],
    [{ ip: '999.1.1.1' }, {}, [{ field: 'ip', reason: 'ip_invalid' }]],
    [{ country: 'Estados Unidos' }, { country: 'US' }, []],
  ])('%j → %j, dropped %j', (address, values, dropped) => {
    const record = normalized(sourceRecord({ address }));
    expect(record.values).toEqual(values);
    expect(record.dropped).toEqual(dropped);
  });
});

describe('normalizeRecord: phone pair', () => {
  it.each<[Record<string, string>, Record<string, string>, Partial<Record<Field, string>>, { field: Field; reason: string }[]]>([
    [{ phone_local_code: '11', phone_number: '11999990000' }, {}, { phone_local_code: '11', phone_number: '999990000' }, []],
    [{ phone_local_code: '11', phone_number: '999990000' }, {}, { phone_local_code: '11', phone_number: '999990000' }, []],
    [{ phone_number: '011999999999' }, {}, { phone_local_code: '11', phone_number: '999999999' }, []],
    [{ phone_number: '(512) 555-0100' }, { country: 'US' }, { phone_local_code: '512', phone_number: '5550100', country: 'US' }, []],
    [{ phone_number: '020 7946 0000' }, { country: 'Reino Unido' }, { phone_local_code: '+44', phone_number: '2079460000', country: 'GB' }, []],
    [{ phone_number: '555-555-5555' }, { country: 'CA' }, { country: 'CA' }, [{ field: 'phone_number', reason: 'phone_invalid' }]],
    [
      { phone_local_code: '11', phone_number: '12345' }, {}, {},
      [{ field: 'phone_local_code', reason: 'phone_invalid' }, { field: 'phone_number', reason: 'phone_invalid' }],
    ],
    [{ phone_local_code: '11' }, {}, {}, [{ field: 'phone_local_code', reason: 'phone_invalid' }]],
    [
      { phone_local_code: '11', phone_number: '99999\u00000000' }, {}, {},
      [{ field: 'phone_number', reason: 'nul_byte' }, { field: 'phone_local_code', reason: 'nul_byte' }],
    ],
  ])('%j with address %j → %j, dropped %j', (customer, address, values, dropped) => {
    const record = normalized(sourceRecord({ customer, address }));
    expect(record.values).toEqual(values);
    expect(record.dropped).toEqual(dropped);
  });

  it('defaults to Brazil and survives an unknown default country', () => {
    expect(DEFAULT_NORMALIZE_OPTIONS).toEqual({ defaultCountry: 'BR' });
    const input = sourceRecord({ customer: { phone_number: '11999990000' } });
    const result = normalizeRecord(input, { defaultCountry: 'ZZ' as typeof DEFAULT_NORMALIZE_OPTIONS.defaultCountry });
    expect(result.ok && result.record.dropped).toEqual([{ field: 'phone_number', reason: 'phone_invalid' }]);
  });

  it('uses options.defaultCountry when the record has no country', () => {
    const input = sourceRecord({ customer: { phone_number: '(512) 555-0100' } });
    const us = normalizeRecord(input, { defaultCountry: 'US' });
    expect(us.ok && us.record.values).toEqual({ phone_local_code: '512', phone_number: '5550100' });
    const br = normalizeRecord(input, DEFAULT_NORMALIZE_OPTIONS);
    expect(br.ok && br.record.values).toEqual({ phone_local_code: '51', phone_number: '25550100' });
  });
});

describe('normalizeRecord: document pair', () => {
  it.each<[Record<string, string>, Partial<Record<Field, string>>, { field: Field; reason: string }[]]>([
    [{ document_number: '123.456.789-09' }, { document_type: 'CPF', document_number: '12345678909' }, []],
    [{ document_type: 'cnpj', document_number: '11.222.333/0001-81' }, { document_type: 'CNPJ', document_number: '11222333000181' }, []],
    [{ document_type: 'RG', document_number: ' 12.345.678-9 ' }, { document_type: 'RG', document_number: '12.345.678-9' }, []],
    [
      { document_type: 'CNPJ', document_number: '12345678909' }, {},
      [{ field: 'document_type', reason: 'document_invalid' }, { field: 'document_number', reason: 'document_invalid' }],
    ],
    [{ document_number: 'AB123456' }, {}, [{ field: 'document_number', reason: 'document_invalid' }]],
    [{ document_type: 'CPF' }, {}, [{ field: 'document_type', reason: 'document_invalid' }]],
    [
      { document_type: 'carteira de identidade', document_number: '123' }, {},
      [{ field: 'document_type', reason: 'too_long' }, { field: 'document_number', reason: 'too_long' }],
    ],
    [
      { document_type: 'PASSPORT\u0000', document_number: 'AB123456' }, {},
      [{ field: 'document_type', reason: 'nul_byte' }, { field: 'document_number', reason: 'nul_byte' }],
    ],
  ])('%j → %j, dropped %j', (customer, values, dropped) => {
    const record = normalized(sourceRecord({ customer }));
    expect(record.values).toEqual(values);
    expect(record.dropped).toEqual(dropped);
  });
});

describe('normalizeRecord: properties', () => {
  it('never throws; values are non-empty, trimmed, NUL-free, well-formed and fit their columns', () => {
    fc.assert(
      fc.property(sourceRecordArb, (input) => {
        const result = normalizeRecord(input, DEFAULT_NORMALIZE_OPTIONS);
        checkInvariants(result);
      }),
      { numRuns: 1000 },
    );
  });

  it('treats an empty value exactly like an absent one, and never stores or drops it', () => {
    const empty = fc.constantFrom<string | null | undefined>(null, '', ' ', '\t', '\n \r', '\u00a0', '\u3000\u2028');
    // Derived from their partner (DDD from a full number, CPF/CNPJ from the digits).
    const derivable: readonly Field[] = ['phone_local_code', 'document_type'];
    fc.assert(
      fc.property(fc.constantFrom(...ALL_FIELDS), empty, sourceRecordArb, (field, value, base) => {
        const withEmpty = normalizeRecord(withValue(base, field, value), DEFAULT_NORMALIZE_OPTIONS);
        const withAbsent = normalizeRecord(withValue(base, field, undefined), DEFAULT_NORMALIZE_OPTIONS);
        expect(withEmpty).toEqual(withAbsent);
        if (!withEmpty.ok) return;
        expect(withEmpty.record.dropped.map((d) => d.field)).not.toContain(field);
        if (!derivable.includes(field)) expect(withEmpty.record.values[field]).toBeUndefined();
      }),
      { numRuns: 500 },
    );
  });

  it('is deterministic and does not mutate its input', () => {
    fc.assert(
      fc.property(sourceRecordArb, (input) => {
        const snapshot = structuredClone(input);
        const first = normalizeRecord(deepFreeze(input), DEFAULT_NORMALIZE_OPTIONS);
        const second = normalizeRecord(input, DEFAULT_NORMALIZE_OPTIONS);
        expect(second).toEqual(first);
        expect(input).toEqual(snapshot);
      }),
      { numRuns: 200 },
    );
  });

  it('accepts any generated CPF in any record', () => {
    fc.assert(
      fc.property(cpfArb, messyString, (cpf, name) => {
        const result = normalizeRecord(sourceRecord({ customer: { name, document_number: cpf } }), DEFAULT_NORMALIZE_OPTIONS);
        expect(result.ok && result.record.values.document_number).toBe(cpf);
      }),
    );
  });
});

function recordWith(field: Field, value: string): SourceRecord {
  return withValue(sourceRecord({}), field, value);
}

function withValue(base: SourceRecord, field: Field, value: string | null | undefined): SourceRecord {
  const isCustomer = (['name', 'customer_id', 'phone_local_code', 'phone_number', 'document_type', 'document_number'] as string[]).includes(field);
  return isCustomer
    ? { ...base, customer: { ...base.customer, [field]: value } }
    : { ...base, address: { ...base.address, [field]: value } };
}

function checkInvariants(result: NormalizeResult): void {
  if (!result.ok) {
    expect(['email_missing', 'email_invalid', 'email_too_long']).toContain(result.reason);
    return;
  }
  const { values, dropped, email } = result.record;
  expect(email).toBe(email.trim());
  for (const [field, value] of Object.entries(values) as [Field, string][]) {
    expect(ALL_FIELDS).toContain(field);
    expect(value).not.toBe('');
    expect(value).toBe(value.trim());
    expect(value).not.toContain('\u0000');
    expect(value).not.toMatch(/[\uD800-\uDFFF]/u);
    expect([...value].length).toBeLessThanOrEqual(FIELD_MAX_LENGTH[field]);
  }
  const droppedFields = dropped.map((d) => d.field);
  expect(new Set(droppedFields).size).toBe(droppedFields.length);
  for (const field of droppedFields) expect(values[field]).toBeUndefined();
  // Pairs are all-or-nothing in values.
  expect(values.phone_local_code === undefined).toBe(values.phone_number === undefined);
  expect(values.document_type === undefined).toBe(values.document_number === undefined);
}

function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === 'object' && !(value instanceof Date)) {
    for (const inner of Object.values(value)) deepFreeze(inner);
    Object.freeze(value);
  }
  return value;
}
