import { describe, expect, it } from 'vitest';
import { rulesFromConfig } from '../../../src/app/settings.js';
import { parseConfig } from '../../../src/app/loadConfig.js';

const base = {
  database: { url: 'postgres://x@h/custsync' },
  kafka: { brokers: ['h:9092'] },
  platforms: [{ name: 'hotmart', mapper: 'hotmart', priority: 50 }],
};
const legacy = {
  name: 'legacy_app',
  priority: 45,
  fieldPriorities: { phone_number: 10 },
  databaseUrl: 'postgres://x@h/legacy',
  tables: [{ table: 'public.users', columns: { email: 'email', name: 'full_name' } }],
};

describe('walSources configuration', () => {
  it('counts WAL sources as platforms for priorities, per-field overrides included', () => {
    const rules = rulesFromConfig(parseConfig({ ...base, walSources: [legacy] }, 'c.yaml', {}));
    expect(rules.priorityOf('legacy_app', 'name')).toBe(45);
    expect(rules.priorityOf('legacy_app', 'phone_number')).toBe(10);
    expect(rules.priorityOf('hotmart', 'name')).toBe(50);
  });

  it('takes the database URL from WAL_SOURCE_<NAME>_URL', () => {
    const config = parseConfig({ ...base, walSources: [{ ...legacy, name: 'legacy-app' }] }, 'c.yaml', { WAL_SOURCE_LEGACY_APP_URL: 'postgres://secret@h/legacy' });
    expect(config.walSources[0]?.databaseUrl).toBe('postgres://secret@h/legacy');
  });

  it('names the offending key', () => {
    const bad = (walSources: unknown[]) => () => parseConfig({ ...base, walSources }, 'c.yaml', {});
    expect(bad([{ ...legacy, name: 'hotmart' }])).toThrow(/walSources\[0\]\.name: "hotmart" is already a platform/);
    expect(bad([{ ...legacy, tables: [{ table: 'users', columns: { name: 'full_name' } }] }])).toThrow(/walSources\[0\]\.tables\[0\]\.columns\.email/);
    expect(bad([{ ...legacy, tables: [{ table: 'users', columns: { email: 'email', phone: 'phone' } }] }])).toThrow(/walSources\[0\]\.tables\[0\]\.columns/);
    expect(bad([{ ...legacy, slotName: 'Bad-Name' }])).toThrow(/walSources\[0\]\.slotName/);
    expect(bad([legacy, { ...legacy, name: 'other', slotName: 'custsync_legacy_app' }])).toThrow(/walSources\[1\]\.slotName: duplicate slotName "custsync_legacy_app" \(also walSources\[0\]\)/);
    expect(bad([{ ...legacy, tables: [] }])).toThrow(/walSources\[0\]\.tables: Too small/);
  });
});
