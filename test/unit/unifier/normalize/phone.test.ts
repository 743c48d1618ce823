import type { CountryCode } from 'libphonenumber-js';
import { describe, expect, it } from 'vitest';
import { normalizePhone } from '../../../../src/unifier/normalize/phone.js';

type Row = [localCode: string | undefined, number: string, region: CountryCode, code: string, subscriber: string];

describe('normalizePhone: Brazil → DDD + subscriber number', () => {
  it.each<Row>([
    [undefined, '+5511999990000', 'BR', '11', '999990000'],
    [undefined, '11988880000', 'BR', '11', '988880000'],
    [undefined, '11999990000', 'BR', '11', '999990000'],
    [undefined, '(11) 99999-0000', 'BR', '11', '999990000'],
    [undefined, '+55 (11) 99999-0000', 'BR', '11', '999990000'],
    [undefined, '55 11 99999 0000', 'BR', '11', '999990000'],
    [undefined, '(11) 3333-4444', 'BR', '11', '33334444'],
    [undefined, '+55 21 3333-4444', 'BR', '21', '33334444'],
    [undefined, '+5511999990000 ext. 12', 'BR', '11', '999990000'],
    // Eduzz legacy: trunk prefix 0 + DDD 11 + number.
    [undefined, '011999999999', 'BR', '11', '999999999'],
    [undefined, '021999990000', 'BR', '21', '999990000'],
    // Carrier selection code (0 + carrier 41 + DDD).
    [undefined, '0 41 11 99999 0000', 'BR', '11', '999990000'],
    // Hotmart: checkout_phone_code repeated at the start of checkout_phone.
    ['11', '11999990000', 'BR', '11', '999990000'],
    ['11', '1133334444', 'BR', '11', '33334444'],
    ['11', '999990000', 'BR', '11', '999990000'],
    ['(11)', '99999-0000', 'BR', '11', '999990000'],
    [' 11 ', ' 99999 0000 ', 'BR', '11', '999990000'],
    ['011', '999999999', 'BR', '11', '999999999'],
    ['21', '3333-4444', 'BR', '21', '33334444'],
    ['55', '11999990000', 'BR', '11', '999990000'],
    ['+55', '11999990000', 'BR', '11', '999990000'],
    ['+55', '11 3333-4444', 'BR', '11', '33334444'],
    // An international number wins over a conflicting local code.
    ['11', '+5521999990000', 'BR', '21', '999990000'],
    // The number carries its own DDD: the local code cannot be prepended.
    ['11', '21999990000', 'BR', '21', '999990000'],
    // Brazilian number given while the record's country is elsewhere.
    [undefined, '+5511999990000', 'US', '11', '999990000'],
  ])('%j + %j (%s) → %s / %s', (localCode, number, region, code, subscriber) => {
    expect(normalizePhone(localCode, number, region)).toEqual({ phone_local_code: code, phone_number: subscriber });
  });
});

describe('normalizePhone: NANP (+1) → area code + 7 digits', () => {
  it.each<Row>([
    [undefined, '+1 512 555 0100', 'BR', '512', '5550100'],
    [undefined, '+15125550100', 'BR', '512', '5550100'],
    [undefined, '(512) 555-0100', 'US', '512', '5550100'],
    [undefined, '512.555.0100', 'US', '512', '5550100'],
    [undefined, '1-512-555-0100', 'US', '512', '5550100'],
    ['512', '555-0100', 'US', '512', '5550100'],
    [undefined, '+1 (647) 555-0123', 'BR', '647', '5550123'],
    [undefined, '(613) 555-0199', 'CA', '613', '5550199'],
    ['1', '6475550123', 'BR', '647', '5550123'],
    ['+1', '212 555 0100', 'BR', '212', '5550100'],
    [undefined, '+1 800 555 0100', 'BR', '800', '5550100'],
  ])('%j + %j (%s) → %s / %s', (localCode, number, region, code, subscriber) => {
    expect(normalizePhone(localCode, number, region)).toEqual({ phone_local_code: code, phone_number: subscriber });
  });
});

describe('normalizePhone: other countries → +calling code + national number', () => {
  it.each<Row>([
    [undefined, '+44 20 7946 0000', 'BR', '+44', '2079460000'],
    ['+44', '20 7946 0000', 'BR', '+44', '2079460000'],
    ['44', '2079460000', 'BR', '+44', '2079460000'],
    [undefined, '020 7946 0000', 'GB', '+44', '2079460000'],
    [undefined, '+351 912 345 678', 'BR', '+351', '912345678'],
    [undefined, '912 345 678', 'PT', '+351', '912345678'],
    [undefined, '+39 02 1234 5678', 'BR', '+39', '0212345678'],
    [undefined, '+54 9 11 1234-5678', 'BR', '+54', '91112345678'],
    [undefined, '+33 1 23 45 67 89', 'BR', '+33', '123456789'],
    [undefined, '+81 3-1234-5678', 'BR', '+81', '312345678'],
    // Brazilian numbers without DDD (toll-free, shared cost).
    [undefined, '0800 123 4567', 'BR', '+55', '8001234567'],
    [undefined, '4004-0001', 'BR', '+55', '40040001'],
  ])('%j + %j (%s) → %s / %s', (localCode, number, region, code, subscriber) => {
    expect(normalizePhone(localCode, number, region)).toEqual({ phone_local_code: code, phone_number: subscriber });
  });
});

describe('normalizePhone: invalid', () => {
  it.each<[string | undefined, string, CountryCode]>([
    // 555 is not an assigned NANP area code: fictional numbers are NXX-555-01XX in a real area code.
    [undefined, '+15555550100', 'BR'],
    [undefined, '555-555-5555', 'US'],
    [undefined, '555-555-5555', 'CA'],
    [undefined, '5555550100', 'US'],
    // A Brazilian mobile must have 9 digits (the old 8-digit form is gone) and a DDD.
    [undefined, '+55 11 9999-0000', 'BR'],
    [undefined, '999990000', 'BR'],
    [undefined, '33334444', 'BR'],
    [undefined, '11 9999', 'BR'],
    [undefined, '12345', 'BR'],
    [undefined, '00000000000', 'BR'],
    [undefined, '+', 'BR'],
    [undefined, 'abc', 'BR'],
    [undefined, 'not a phone', 'BR'],
    [undefined, '+5511999990000+55', 'BR'],
    [undefined, '11999990000', 'US'],
    [undefined, '5550100', 'US'],
    ['00', '999990000', 'BR'],
    [undefined, '1'.repeat(300), 'BR'],
    [undefined, '+55 11 99999-0000 '.repeat(50), 'BR'],
  ])('%j + %j (%s) is invalid', (localCode, number, region) => {
    expect(normalizePhone(localCode, number, region)).toBeUndefined();
  });

  it('reads a national number in the given region (why the record country matters)', () => {
    // Without a country the default region BR reads this as DDD 55 (Rio Grande do Sul).
    expect(normalizePhone(undefined, '555-555-5555', 'BR')).toEqual({ phone_local_code: '55', phone_number: '55555555' });
    expect(normalizePhone(undefined, '(512) 555-0100', 'BR')).toEqual({ phone_local_code: '51', phone_number: '25550100' });
    expect(normalizePhone(undefined, '(512) 555-0100', 'US')).toEqual({ phone_local_code: '512', phone_number: '5550100' });
  });

  it('does not throw on an unknown default region', () => {
    expect(normalizePhone(undefined, '11999990000', 'ZZ' as CountryCode)).toBeUndefined();
    expect(normalizePhone(undefined, '+5511999990000', 'ZZ' as CountryCode)).toEqual({
      phone_local_code: '11',
      phone_number: '999990000',
    });
  });
});

describe('normalizePhone: output shape', () => {
  it('is digits only, within the column widths, and stable when fed back with the same region', () => {
    const inputs: [string | undefined, string, CountryCode][] = [
      [undefined, '+55 (11) 99999-0000', 'BR'],
      ['11', '3333-4444', 'BR'],
      [undefined, '+1 (512) 555-0100', 'US'],
      [undefined, '+44 20 7946 0000', 'BR'],
      [undefined, '0800 123 4567', 'BR'],
    ];
    for (const [localCode, number, region] of inputs) {
      const once = normalizePhone(localCode, number, region);
      expect(once).toBeDefined();
      if (once === undefined) continue;
      expect(once.phone_local_code).toMatch(/^\+?\d{1,9}$/);
      expect(once.phone_number).toMatch(/^\d{1,20}$/);
      expect(normalizePhone(once.phone_local_code, once.phone_number, region)).toEqual(once);
    }
  });
});
