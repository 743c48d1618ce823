import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { copyField, copyText } from '../../../../src/unifier/engine/copy.js';

/** COPY's text format read back, written from the Postgres manual (the escapes copyField may produce). */
function readCopyField(field: string): string | null {
  if (field === '\\N') return null;
  return field.replace(/\\(.)/g, (_, c: string) => ({ n: '\n', r: '\r', t: '\t', '\\': '\\' })[c] ?? c);
}

describe('COPY text format', () => {
  it('escapes backslash, newline, carriage return and tab; NULL is \\N; numbers as written', () => {
    expect(copyField(null)).toBe('\\N');
    expect(copyField(42)).toBe('42');
    expect(copyField('a\\b\nc\rd\te')).toBe('a\\\\b\\nc\\rd\\te');
    expect(copyField('\\N')).toBe('\\\\N'); // the text "\N" is not NULL
    expect(copyText([[1, 'x', null], [2, 'y\tz', 'w']])).toBe('1\tx\t\\N\n2\ty\\tz\tw\n');
  });

  it('reads back exactly what was written, for any text and NULL, and keeps rows and columns apart', () => {
    fc.assert(
      fc.property(fc.array(fc.array(fc.option(fc.string({ unit: 'grapheme' }), { nil: null }), { minLength: 1, maxLength: 5 }), { maxLength: 5 }), (rows) => {
        const text = copyText(rows);
        const lines = text === '' ? [] : text.slice(0, -1).split('\n');
        expect(lines.map((line) => line.split('\t').map(readCopyField))).toEqual(rows);
      }),
    );
  });
});
