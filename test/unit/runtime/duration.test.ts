import { describe, expect, it } from 'vitest';
import { formatDuration, parseDuration, toPgInterval } from '../../../src/runtime/duration.js';

describe('parseDuration', () => {
  it.each([
    ['3y', { years: 3, months: 0, weeks: 0, days: 0 }, '3 years 0 months 0 days'],
    ['18mo', { years: 0, months: 18, weeks: 0, days: 0 }, '0 years 18 months 0 days'],
    ['90d', { years: 0, months: 0, weeks: 0, days: 90 }, '0 years 0 months 90 days'],
    ['6w', { years: 0, months: 0, weeks: 6, days: 0 }, '0 years 0 months 42 days'],
    [' 1y6mo ', { years: 1, months: 6, weeks: 0, days: 0 }, '1 years 6 months 0 days'],
    ['1y2mo3w4d', { years: 1, months: 2, weeks: 3, days: 4 }, '1 years 2 months 25 days'],
  ])('%s', (text, duration, interval) => {
    const parsed = parseDuration(text);
    expect(parsed).toEqual({ ok: true, duration });
    if (parsed.ok) expect(toPgInterval(parsed.duration)).toBe(interval);
  });

  it.each([
    ['', 'empty'],
    ['3', 'expected <number><unit>'],
    ['y3', 'expected <number><unit>'],
    ['3 years', 'expected <number><unit>'],
    ['3m', 'expected <number><unit>'],
    ['-3y', 'expected <number><unit>'],
    ['1.5y', 'expected <number><unit>'],
    ['3y2y', 'given twice'],
    ['0d', 'longer than zero'],
    ['0y0mo', 'longer than zero'],
    ['99999y', 'too large'],
  ])('rejects %j (%s)', (text, why) => {
    const parsed = parseDuration(text);
    expect(parsed.ok).toBe(false);
    if (!parsed.ok) expect(parsed.message).toContain(why);
  });

  it('formats the canonical short form', () => {
    const parsed = parseDuration('6w1y');
    expect(parsed.ok && formatDuration(parsed.duration)).toBe('1y6w');
  });

  it('can be called repeatedly (the sticky regex keeps no state between calls)', () => {
    expect(parseDuration('3y').ok).toBe(true);
    expect(parseDuration('bad').ok).toBe(false);
    expect(parseDuration('18mo').ok).toBe(true);
  });
});
