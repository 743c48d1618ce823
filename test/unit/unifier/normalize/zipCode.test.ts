import { describe, expect, it } from 'vitest';
import { normalizeZipCode } from '../../../../src/unifier/normalize/zipCode.js';

describe('normalizeZipCode', () => {
  it.each<[string, string | undefined, string]>([
    ['38400123', 'BR', '38400-123'],
    ['38400-123', 'BR', '38400-123'],
    ['38.400-123', 'BR', '38400-123'],
    ['38.400123', 'BR', '38400-123'],
    [' 38400 123 ', 'BR', '38400-123'],
    ['38 400-123', 'BR', '38400-123'],
    ['01000000', 'BR', '01000-000'],
    // No country: a CEP shape is read as a CEP.
    ['07052-160', undefined, '07052-160'],
    ['01000000', undefined, '01000-000'],
    ['01.000-000', undefined, '01000-000'],
    ['38.400123', undefined, '38400-123'],
    ['78701', undefined, '78701'],
    ['78701-1234', undefined, '78701-1234'],
    ['ec1a\t1bb', undefined, 'EC1A 1BB'],
    // Other countries: trimmed, spaces collapsed, upper case.
    ['78701', 'US', '78701'],
    ['78701-1234', 'US', '78701-1234'],
    ['38400123', 'US', '38400123'],
    ['K2P 2L8', 'CA', 'K2P 2L8'],
    ['k2p  2l8', 'CA', 'K2P 2L8'],
    ['sw1a 1aa', 'GB', 'SW1A 1AA'],
    ['1000-001', 'PT', '1000-001'],
    ['C1425', 'AR', 'C1425'],
    ['100-0001', 'JP', '100-0001'],
  ])('%j (%s) → %j', (raw, country, expected) => {
    expect(normalizeZipCode(raw, country)).toBe(expected);
  });

  it.each<[string, string]>([
    ['3840012', 'BR'],
    ['384001234', 'BR'],
    ['38400-12a', 'BR'],
    ['K2P 2L8', 'BR'],
    ['CEP 38400-123', 'BR'],
    ['38400_123', 'BR'],
    ['-', 'BR'],
  ])('%j (%s) → zip_invalid', (raw, country) => {
    expect(normalizeZipCode(raw, country)).toBeUndefined();
  });
});
