import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  codePointLength,
  collapseWhitespace,
  fitsColumn,
  foldKey,
  hasLoneSurrogate,
  hasNul,
  isEmptyValue,
} from '../../../../src/unifier/normalize/text.js';
import { messyString } from './arbitraries.js';

describe('isEmptyValue', () => {
  it.each([null, undefined, '', ' ', '   ', '\t', '\n\r', '\u00a0', '\u3000 \u2028', '\ufeff'])('%j is empty', (raw) => {
    expect(isEmptyValue(raw)).toBe(true);
  });
  it.each(['a', ' a ', '0', '\u0000', '\u0001', '\u200b', '-', '😀'])('%j is not empty', (raw) => {
    expect(isEmptyValue(raw)).toBe(false);
  });
});

describe('collapseWhitespace', () => {
  it.each([
    ['  Ana   Souza  ', 'Ana Souza'],
    ['Ana\tSouza', 'Ana Souza'],
    ['Rua\n\nA,\r\n 10', 'Rua A, 10'],
    ['Ana\u00a0\u00a0Souza', 'Ana Souza'],
    ['\u3000São\u2028Paulo\u3000', 'São Paulo'],
    ['Ana\u200bSouza', 'Ana\u200bSouza'],
    ['Ana\u0001Souza', 'Ana\u0001Souza'],
    ["<b>O'Brien</b>; DROP TABLE customers;--", "<b>O'Brien</b>; DROP TABLE customers;--"],
    ['João 😀 Silva', 'João 😀 Silva'],
    ['ÉLODIE', 'ÉLODIE'],
  ])('%j → %j', (raw, expected) => {
    expect(collapseWhitespace(raw)).toBe(expected);
  });
});

describe('codePointLength / fitsColumn', () => {
  it.each([
    ['', 0],
    ['abc', 3],
    ['ção', 3],
    ['e\u0301', 2],
    ['😀', 1],
    ['👩‍👩‍👧', 5],
    ['\ud800', 1],
    ['\udc00\ud800', 2],
    ['a😀b', 3],
  ])('%j has %i code points', (value, expected) => {
    expect(codePointLength(value)).toBe(expected);
  });

  it('counts like [...s].length for any string, lone surrogates included', () => {
    fc.assert(
      fc.property(messyString, (value) => {
        expect(codePointLength(value)).toBe([...value].length);
      }),
    );
  });

  it('fitsColumn agrees with the code point count', () => {
    fc.assert(
      fc.property(messyString, fc.integer({ min: 0, max: 300 }), (value, max) => {
        expect(fitsColumn(value, max)).toBe([...value].length <= max);
      }),
    );
  });

  it('treats 255 emoji as fitting VARCHAR(255) although they are 510 UTF-16 units', () => {
    expect(fitsColumn('😀'.repeat(255), 255)).toBe(true);
    expect(fitsColumn('😀'.repeat(256), 255)).toBe(false);
  });
});

describe('hasNul / hasLoneSurrogate', () => {
  it.each([
    ['a\u0000b', true, false],
    ['\u0000', true, false],
    ['😀', false, false],
    ['a\ud83db', false, true],
    ['\ude00', false, true],
    ['\ude00\ud83d', false, true],
    ['plain', false, false],
  ])('%j: nul=%s lone surrogate=%s', (value, nul, lone) => {
    expect(hasNul(value)).toBe(nul);
    expect(hasLoneSurrogate(value)).toBe(lone);
  });
});

describe('foldKey', () => {
  it.each([
    ['São Paulo', 'sao paulo'],
    ['  SAO-PAULO ', 'sao paulo'],
    ['Côte d’Ivoire', 'cote d ivoire'],
    ['St. Kitts & Nevis', 'st kitts nevis'],
    ['ESPÍRITO   SANTO', 'espirito santo'],
    ['Ｂｒａｓｉｌ', 'brasil'],
  ])('%j → %j', (value, expected) => {
    expect(foldKey(value)).toBe(expected);
  });
});
