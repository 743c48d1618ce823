import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseJsonPreservingBigIntegers, quoteUnsafeIntegers } from '../../../../src/connectors/mappers/json.js';

describe('parseJsonPreservingBigIntegers', () => {
  it('turns integers beyond 2^53 into exact strings and leaves the rest alone', () => {
    const text =
      '{"id":706405506930370084,"neg":-9007199254740993,"safe":9007199254740991,"f":1.5e300,' +
      '"s":"706405506930370084 \\" 12345678901234567890","a":[1,18446744073709551615]}';
    expect(parseJsonPreservingBigIntegers(text)).toEqual({
      id: '706405506930370084',
      neg: '-9007199254740993',
      safe: 9007199254740991,
      f: 1.5e300,
      s: '706405506930370084 " 12345678901234567890',
      a: [1, '18446744073709551615'],
    });
  });

  it('is JSON.parse for any JSON without unsafe integers', () => {
    fc.assert(
      fc.property(fc.jsonValue(), (value) => {
        const text = JSON.stringify(value);
        fc.pre(!/(?<![\d.eE])-?\d{16,}(?![\d.eE])/.test(text.replace(/"(?:[^"\\]|\\.)*"/g, '""')));
        expect(quoteUnsafeIntegers(text)).toBe(text);
      }),
    );
  });

  it('keeps big integers exact wherever they appear', () => {
    fc.assert(
      fc.property(fc.bigInt({ min: 2n ** 53n, max: 2n ** 64n }), fc.boolean(), (big, negative) => {
        const literal = `${negative ? '-' : ''}${big}`;
        expect(parseJsonPreservingBigIntegers(`{"x":[${literal}],"y":"${literal}"}`)).toEqual({
          x: [literal],
          y: literal,
        });
      }),
    );
  });

  it('still rejects invalid JSON', () => {
    expect(() => parseJsonPreservingBigIntegers('{"id": 706405506930370084')).toThrow(SyntaxError);
  });
});
