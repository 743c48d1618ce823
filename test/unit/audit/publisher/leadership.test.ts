import { describe, expect, it } from 'vitest';
import { publisherLockKeys } from '../../../../src/audit/publisher/leadership.js';

describe('publisherLockKeys', () => {
  it('is stable per slot, distinct across slots, and fits int4', () => {
    const [a, b] = publisherLockKeys('custsync_changes');
    expect(publisherLockKeys('custsync_changes')).toEqual([a, b]);
    expect(publisherLockKeys('other_slot')[1]).not.toBe(b);
    for (const key of [a, b]) expect(key).toBeGreaterThanOrEqual(0);
    for (const key of [a, b]) expect(key).toBeLessThan(2 ** 31);
  });
});
