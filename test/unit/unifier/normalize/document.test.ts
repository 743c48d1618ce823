import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isValidCnpj, isValidCpf, normalizeDocument } from '../../../../src/unifier/normalize/document.js';
import { cnpjArb, cpfArb, punctuated } from './arbitraries.js';

describe('normalizeDocument: CPF and CNPJ', () => {
  it.each<[string | undefined, string, string, string]>([
    [undefined, '12345678909', 'CPF', '12345678909'],
    [undefined, '123.456.789-09', 'CPF', '12345678909'],
    [undefined, ' 123 456 789 09 ', 'CPF', '12345678909'],
    [undefined, '123.456.789/09', 'CPF', '12345678909'],
    ['CPF', '123.456.789-09', 'CPF', '12345678909'],
    ['cpf', '12345678909', 'CPF', '12345678909'],
    [' Cpf ', '529.982.247-25', 'CPF', '52998224725'],
    [undefined, '11.222.333/0001-81', 'CNPJ', '11222333000181'],
    [undefined, '11222333000181', 'CNPJ', '11222333000181'],
    ['CNPJ', '11.222.333/0001-81', 'CNPJ', '11222333000181'],
    ['cnpj', ' 11 222 333 0001 81 ', 'CNPJ', '11222333000181'],
    // Alphanumeric CNPJ (Receita Federal, from July 2026); letters are upper-cased.
    [undefined, '12.ABC.345/01DE-35', 'CNPJ', '12ABC34501DE35'],
    ['CNPJ', '12.abc.345/01de-35', 'CNPJ', '12ABC34501DE35'],
  ])('%j %j → %s %s', (type, number, documentType, documentNumber) => {
    expect(normalizeDocument(type, number)).toEqual({
      ok: true,
      document_type: documentType,
      document_number: documentNumber,
    });
  });

  it.each<[string | undefined, string]>([
    [undefined, '111.111.111-11'],
    [undefined, '00000000000'],
    [undefined, '99999999999'],
    [undefined, '12345678900'],
    [undefined, '12345678919'],
    [undefined, '1234567890'],
    [undefined, '123456789091'],
    [undefined, '99999999911'],
    [undefined, '123.456.789_09'],
    [undefined, '123,456,789-09'],
    [undefined, '12345678909a'],
    [undefined, '11.222.333/0001-80'],
    [undefined, '11111111111111'],
    [undefined, '00000000000000'],
    [undefined, '12.ABC.345/01DE-36'],
    [undefined, 'AB123456'],
    [undefined, 'abc'],
    [undefined, '-./'],
    ['CPF', '11.222.333/0001-81'],
    ['CNPJ', '123.456.789-09'],
    ['CPF', '12345678900'],
    ['cpf', 'not a number'],
    ['CNPJ', '12.ABC.345/01DE-3A'],
  ])('%j %j → document_invalid', (type, number) => {
    expect(normalizeDocument(type, number)).toEqual({ ok: false, reason: 'document_invalid' });
  });
});

describe('normalizeDocument: other types', () => {
  it.each<[string, string, string, string]>([
    ['RG', ' 12.345.678-9 ', 'RG', '12.345.678-9'],
    ['rg', 'MG-12.345.678', 'RG', 'MG-12.345.678'],
    ['passport', 'AB123456', 'PASSPORT', 'AB123456'],
    [' Passaporte ', 'FZ123456', 'PASSAPORTE', 'FZ123456'],
    [' ssn ', '078-05-1120', 'SSN', '078-05-1120'],
    ['RFC', 'XAXX010101000', 'RFC', 'XAXX010101000'],
    ['DNI', '12345678Z', 'DNI', '12345678Z'],
    ['cnh', '12345678909', 'CNH', '12345678909'],
    ['tax  id', 'DE 123 456 789', 'TAX ID', 'DE 123 456 789'],
    ['NIF', `${'9'.repeat(55)}`, 'NIF', '9'.repeat(55)],
  ])('%j %j → %s %s', (type, number, documentType, documentNumber) => {
    expect(normalizeDocument(type, number)).toEqual({
      ok: true,
      document_type: documentType,
      document_number: documentNumber,
    });
  });

  it.each<[string, string]>([
    ['carteira de identidade', '123'],
    ['PASSPORT', 'X'.repeat(56)],
    ['RG', '😀'.repeat(56)],
  ])('%j with a %j number → too_long', (type, number) => {
    expect(normalizeDocument(type, number)).toEqual({ ok: false, reason: 'too_long' });
  });
});

describe('CPF / CNPJ check digits: properties', () => {
  it('accepts every generated CPF, with any punctuation, as its 11 digits', () => {
    fc.assert(
      fc.property(cpfArb.chain((cpf) => fc.tuple(fc.constant(cpf), punctuated(cpf))), ([cpf, typed]) => {
        expect(normalizeDocument(undefined, typed)).toEqual({ ok: true, document_type: 'CPF', document_number: cpf });
        expect(normalizeDocument('cpf', typed)).toEqual({ ok: true, document_type: 'CPF', document_number: cpf });
      }),
      { numRuns: 500 },
    );
  });

  it('accepts every generated CNPJ, with any punctuation, as its 14 digits', () => {
    fc.assert(
      fc.property(cnpjArb.chain((cnpj) => fc.tuple(fc.constant(cnpj), punctuated(cnpj))), ([cnpj, typed]) => {
        expect(normalizeDocument(undefined, typed)).toEqual({ ok: true, document_type: 'CNPJ', document_number: cnpj });
        expect(normalizeDocument('CNPJ', typed)).toEqual({ ok: true, document_type: 'CNPJ', document_number: cnpj });
      }),
      { numRuns: 500 },
    );
  });

  /*
   * Changing ONE digit of a valid CPF is NOT always detected. Digit i of the
   * base has weight 10-i in the first sum and 11-i in the second; a change δ
   * (|δ| ≤ 9) moves the first sum by (10-i)·δ ≢ 0 (mod 11, 11 is prime), so
   * the first remainder always changes. But remainders 0 and 1 both give check
   * digit 0, so the first check digit survives a 0↔1 move. Then:
   * - i = 0: the second sum moves by 11·δ ≡ 0, so the second check digit
   *   survives too: δ = ±1 with first check digit 0 goes undetected
   *   (529.982.247-25 is safe, but e.g. 535.168.092-05 → 435.168.092-05 is valid);
   * - i = 5 (weights 5 and 6): both remainders can move 0↔1 at once, for
   *   δ ∈ {±2, ±9}, with both check digits 0;
   * - i ∈ {1..4, 6..8}: the two moves cannot both stay within {0, 1}, so the
   *   change is always detected;
   * - i ∈ {9, 10}: a check digit is a function of the digits before it, so
   *   changing it alone is always detected.
   * The property below asserts exactly that.
   */
  it('detects a one-digit change of a CPF except the documented mod-11 blind spots', () => {
    const mutation = fc.record({
      position: fc.integer({ min: 0, max: 10 }),
      shift: fc.integer({ min: 1, max: 9 }),
    });
    fc.assert(
      fc.property(cpfArb, mutation, (cpf, { position, shift }) => {
        const digits = [...cpf].map(Number);
        const original = digits[position] ?? 0;
        const changed = (original + shift) % 10;
        const delta = changed - original;
        const mutated = [...digits.slice(0, position), changed, ...digits.slice(position + 1)].join('');
        const result = normalizeDocument(undefined, mutated);
        const blindSpot =
          (position === 0 && Math.abs(delta) === 1 && digits[9] === 0) ||
          (position === 5 && [2, 9].includes(Math.abs(delta)) && digits[9] === 0 && digits[10] === 0);
        if (!blindSpot) {
          expect(isValidCpf(mutated)).toBe(false);
          // Eleven digits cannot be a CNPJ either.
          expect(result).toEqual({ ok: false, reason: 'document_invalid' });
        }
      }),
      { numRuns: 2000 },
    );
  });

  it('the blind spot is real: these valid CPFs differ in one digit', () => {
    expect(isValidCpf('53516809205')).toBe(true);
    expect(isValidCpf('43516809205')).toBe(true);
    expect(isValidCpf('32977231900')).toBe(true);
    expect(isValidCpf('32977431900')).toBe(true);
  });

  it('detects any change of a CPF check digit', () => {
    fc.assert(
      fc.property(cpfArb, fc.constantFrom(9, 10), fc.integer({ min: 1, max: 9 }), (cpf, position, shift) => {
        const digits = [...cpf].map(Number);
        digits[position] = ((digits[position] ?? 0) + shift) % 10;
        expect(normalizeDocument(undefined, digits.join(''))).toEqual({ ok: false, reason: 'document_invalid' });
      }),
    );
  });

  it('detects any change of a CNPJ check digit', () => {
    fc.assert(
      fc.property(cnpjArb, fc.constantFrom(12, 13), fc.integer({ min: 1, max: 9 }), (cnpj, position, shift) => {
        const digits = [...cnpj].map(Number);
        digits[position] = ((digits[position] ?? 0) + shift) % 10;
        expect(isValidCnpj(digits.join(''))).toBe(false);
      }),
    );
  });

  it('never accepts all-equal numbers', () => {
    for (let d = 0; d <= 9; d += 1) {
      expect(isValidCpf(String(d).repeat(11))).toBe(false);
      expect(isValidCnpj(String(d).repeat(14))).toBe(false);
    }
  });

  it('a CPF declared as CNPJ (or the reverse) is document_invalid', () => {
    fc.assert(
      fc.property(cpfArb, cnpjArb, (cpf, cnpj) => {
        expect(normalizeDocument('CNPJ', cpf)).toEqual({ ok: false, reason: 'document_invalid' });
        expect(normalizeDocument('CPF', cnpj)).toEqual({ ok: false, reason: 'document_invalid' });
      }),
    );
  });
});
