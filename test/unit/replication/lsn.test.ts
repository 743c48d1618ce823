import { describe, expect, it } from 'vitest';
import { formatLsn, normalizeLsn, parseLsn } from '../../../src/replication/lsn.js';

describe('LSNs', () => {
  it.each([
    ['0/0', 0n],
    ['0/16B3748', 0x16b3748n],
    ['16/B374D848', 0x16b374d848n],
    ['FFFFFFFF/FFFFFFFF', 0xffffffffffffffffn],
  ])('%s ↔ %s', (text, value) => {
    expect(parseLsn(text)).toBe(value);
    expect(formatLsn(value)).toBe(text);
  });

  it('spells zero-padded LSNs the way Postgres prints them', () => {
    expect(normalizeLsn('00000000/016B3748')).toBe('0/16B3748');
  });

  it('rejects what is not an LSN', () => {
    expect(() => parseLsn('16B374D848')).toThrow(/not an LSN/);
  });
});
