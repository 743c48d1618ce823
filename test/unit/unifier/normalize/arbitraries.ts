/**
 * fast-check generators shared by the normalization tests. The CPF/CNPJ
 * check digits are computed here independently of the code under test.
 */
import fc from 'fast-check';
import { SourceRecord } from '../../../../src/contract.js';
import type { SourceRecordInput } from '../../../../src/contract.js';

/** Mod-11 check digit (remainder < 2 → 0), as the Receita Federal defines it for CPF and CNPJ. */
export function mod11(values: readonly number[], weights: readonly number[]): number {
  let sum = 0;
  values.forEach((value, i) => {
    sum += value * (weights[i] ?? 0);
  });
  const remainder = sum % 11;
  return remainder < 2 ? 0 : 11 - remainder;
}

export const CPF_WEIGHTS_1 = [10, 9, 8, 7, 6, 5, 4, 3, 2] as const;
export const CPF_WEIGHTS_2 = [11, 10, 9, 8, 7, 6, 5, 4, 3, 2] as const;

export function cpfFromBase(base: readonly number[]): string {
  const d1 = mod11(base, CPF_WEIGHTS_1);
  const d2 = mod11([...base, d1], CPF_WEIGHTS_2);
  return [...base, d1, d2].join('');
}

export function cnpjFromBase(base: readonly number[]): string {
  const d1 = mod11(base, [5, 4, 3, 2, 9, 8, 7, 6, 5, 4, 3, 2]);
  const d2 = mod11([...base, d1], [6, 5, 4, 3, 2, 9, 8, 7, 6, 5, 4, 3, 2]);
  return [...base, d1, d2].join('');
}

const digit = fc.integer({ min: 0, max: 9 });
const notAllEqual = (digits: number[]): boolean => digits.some((d) => d !== digits[0]);

/** A valid CPF, 11 digits, never all one digit. */
export const cpfArb = fc.array(digit, { minLength: 9, maxLength: 9 }).filter(notAllEqual).map(cpfFromBase);
/** A valid numeric CNPJ, 14 digits. */
export const cnpjArb = fc.array(digit, { minLength: 12, maxLength: 12 }).filter(notAllEqual).map(cnpjFromBase);

/** Inserts any of the accepted separators (`.`, `-`, `/`, spaces) between characters, and pads. */
export function punctuated(value: string): fc.Arbitrary<string> {
  const separator = fc.constantFrom('', '', '', '.', '-', '/', ' ', '\t', '. ', ' - ');
  return fc
    .tuple(fc.array(separator, { minLength: value.length + 1, maxLength: value.length + 1 }), fc.constantFrom('', ' ', '  '))
    .map(([separators, pad]) => pad + [...value].map((char, i) => (separators[i] ?? '') + char).join('') + pad);
}

/** One UTF-16 unit or code point, biased toward characters that break naive code. */
const nastyUnit = fc.oneof(
  { weight: 3, arbitrary: fc.constantFrom(' ', '\t', '\n', '\r', '\u00a0', '\u3000', '\u2028', '\ufeff') },
  { weight: 2, arbitrary: fc.constantFrom('\u0000', '\u0001', '\u007f', '\u200b', '\ud800', '\udfff') },
  { weight: 2, arbitrary: fc.constantFrom('😀', 'é', 'e\u0301', 'ß', 'İ', '中', 'ع', '<b>', "'", '"', ';--') },
  { weight: 4, arbitrary: fc.constantFrom(...'0123456789+-./()@') },
  { weight: 4, arbitrary: fc.string({ unit: 'binary', minLength: 1, maxLength: 1 }) },
  { weight: 1, arbitrary: fc.integer({ min: 0xd800, max: 0xdfff }).map((code) => String.fromCharCode(code)) },
);

/** Values that look like what platforms send, so valid paths are exercised too. */
const plausible = fc.constantFrom(
  'Ana Souza', 'Brasil', 'BR', 'USA', 'Canadá', 'São Paulo', 'sp', 'Minas Gerais', '38400123',
  '07052-160', 'K2P 2L8', '11', '011', '+44', '11999990000', '+5511999990000', '555-555-5555',
  '(512) 555-0100', '12345678909', '123.456.789-09', '11.222.333/0001-81', 'CPF', 'cnpj', 'RG',
  'PASSPORT', '203.0.113.7', '2001:DB8::1', 'Rua A', 'Ap 2', '10',
);

/** Any string: unicode, NUL, lone surrogates, whitespace-only, plausible values, and huge ones. */
export const messyString: fc.Arbitrary<string> = fc.oneof(
  { weight: 4, arbitrary: fc.string({ unit: nastyUnit, maxLength: 30 }) },
  { weight: 2, arbitrary: fc.string({ unit: 'grapheme', maxLength: 300 }) },
  { weight: 3, arbitrary: plausible },
  { weight: 1, arbitrary: fc.stringMatching(/^[ \t\n\u00a0]*$/) },
  {
    weight: 1,
    arbitrary: fc
      .tuple(fc.constantFrom('a', '9', ' ', 'é', '😀', '\u0000', 'ab '), fc.integer({ min: 20, max: 100_000 }))
      .map(([chunk, times]) => chunk.repeat(times)),
  },
);

/** Absent, null, or any string. */
export const optionalValue = fc.option(fc.option(messyString, { nil: undefined }), { nil: null });

export const validEmailArb = fc.emailAddress().filter((email) => email.length <= 200);

/** A SourceRecord that passed the schema, with arbitrary values everywhere. */
export const sourceRecordArb: fc.Arbitrary<SourceRecord> = fc
  .record({
    email: fc.oneof(validEmailArb, messyString),
    customer: fc.record({
      name: optionalValue, customer_id: optionalValue, phone_local_code: optionalValue,
      phone_number: optionalValue, document_type: optionalValue, document_number: optionalValue,
    }),
    address: fc.record({
      address: optionalValue, number: optionalValue, complement: optionalValue,
      neighborhood: optionalValue, city: optionalValue, state: optionalValue,
      zip_code: optionalValue, country: optionalValue, ip: optionalValue,
    }),
  })
  .map((parts) => SourceRecord.parse({ ...baseRecord(), ...parts }));

/** Envelope of a test record; values are fictional. */
export function baseRecord(): Omit<SourceRecordInput, 'email'> {
  return {
    platform: 'hotmart',
    position: { kind: 'kafka', topic: 'hotmart.purchases', partition: 0, offset: '42' },
    eventId: '1d85822f-fa41-4c58-8c09-0ac945198972',
    eventTime: new Date('2024-01-20T15:00:00.000Z'),
  };
}

/** Builds a SourceRecord through the schema, as connectors do. */
export function sourceRecord(input: Partial<SourceRecordInput>): SourceRecord {
  return SourceRecord.parse({ ...baseRecord(), email: 'ana@example.com', ...input });
}
