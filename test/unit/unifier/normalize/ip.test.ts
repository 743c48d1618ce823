import { describe, expect, it } from 'vitest';
import { normalizeIp } from '../../../../src/unifier/normalize/ip.js';

describe('normalizeIp', () => {
  it.each([
    ['203.0.113.7', '203.0.113.7'],
    [' 198.51.100.23 ', '198.51.100.23'],
    ['0.0.0.0', '0.0.0.0'],
    ['255.255.255.255', '255.255.255.255'],
    ['2001:db8::1', '2001:db8::1'],
    ['2001:DB8::1', '2001:db8::1'],
    ['::1', '::1'],
    ['::', '::'],
    ['::FFFF:203.0.113.7', '::ffff:203.0.113.7'],
    ['2001:0DB8:0000:0000:0000:0000:0000:0001', '2001:0db8:0000:0000:0000:0000:0000:0001'],
    ['FE80::1%Eth0', 'fe80::1%Eth0'],
  ])('%j → %j', (raw, expected) => {
    expect(normalizeIp(raw)).toBe(expected);
  });

  it.each([
    '256.1.1.1', '1.2.3', '1.2.3.4.5', '010.0.0.1', '1.2.3.4/24', '203.0.113.7:8080', 'localhost',
    'example.com', '2001:db8::g', '2001:db8:::1', '1 2 3 4', '203.0.113.7, 198.51.100.1', '[::1]', 'abc',
  ])('%j → ip_invalid', (raw) => {
    expect(normalizeIp(raw)).toBeUndefined();
  });
});
