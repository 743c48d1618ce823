import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../../src/app/loadConfig.js';

const base = { database: { url: 'postgres://localhost/x' }, kafka: { brokers: ['localhost:9092'] } };

describe('privacy and retention configuration', () => {
  it('defaults to no forget topic and no retention policy', () => {
    const config = parseConfig(base, 'c.yaml', {});
    expect(config.privacy).toEqual({});
    expect(config.retention).toEqual({ batchSize: 500 });
  });

  it('accepts a forget topic and a policy duration', () => {
    const config = parseConfig({ ...base, privacy: { forgetTopic: 'forget' }, retention: { inactiveAfter: '1y6mo', batchSize: 50 } }, 'c.yaml', {});
    expect(config.privacy.forgetTopic).toBe('forget');
    expect(config.retention).toEqual({ inactiveAfter: '1y6mo', batchSize: 50 });
  });

  it.each([
    [{ retention: { inactiveAfter: '3 years' } }, 'retention.inactiveAfter: invalid duration "3 years"'],
    [{ retention: { inactiveAfter: '0d' } }, 'must be longer than zero'],
    [{ retention: { inactiveAfer: '3y' } }, 'retention'],
    [{ privacy: { forgetTopic: 'custsync.dead-letters' } }, 'privacy.forgetTopic: "custsync.dead-letters" is already a platform or output topic'],
    [{ privacy: { forgetTopic: 't1' }, platforms: [{ name: 'crm', mapper: 'generic', priority: 1, topics: ['t1'] }] }, 'privacy.forgetTopic'],
  ])('rejects %j, naming the key', (extra, message) => {
    expect(() => parseConfig({ ...base, ...extra }, 'c.yaml', {})).toThrow(message);
  });
});
