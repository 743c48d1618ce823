import { readdirSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { MappingError } from '../../../../src/connectors/mappers/errors.js';
import { MAPPERS, mapperFor } from '../../../../src/connectors/mappers/registry.js';
import { ADDRESS_FIELDS, CUSTOMER_FIELDS, SourceRecord } from '../../../../src/contract.js';
import { context, fixture, fixtureText } from './helpers.js';

/** Fixtures that exist to be rejected by their schema. */
const INVALID = new Set(['generic/invalid-event-time']);

// test/fixtures/ is shared with other tests: only the directories named after a mapper are payloads.
const root = new URL('../../../fixtures/', import.meta.url);
const cases = Object.keys(MAPPERS).flatMap((platform) =>
  readdirSync(new URL(`${platform}/`, root))
    .filter((file) => file.endsWith('.json'))
    .map((file) => [platform, file.slice(0, -'.json'.length)] as const),
);

describe('every fixture', () => {
  it('exists for every mapper, several each', () => {
    for (const platform of Object.keys(MAPPERS)) {
      expect(cases.filter(([p]) => p === platform).length, platform).toBeGreaterThanOrEqual(5);
    }
  });

  it.each(cases)('%s/%s uses only fictional emails', (platform, name) => {
    const emails = fixtureText(platform, name).match(/[\w.+-]+@[\w.-]+/g) ?? [];
    for (const email of emails) expect(email).toMatch(/@([\w-]+\.)*example\.(com|org|net)$/i);
  });

  it.each(cases)('%s/%s passes its schema (or is meant not to) and maps purely to a canonical shape', (platform, name) => {
    const mapper = mapperFor(platform);
    const parsed = mapper.schema.safeParse(fixture(platform, name));
    expect(parsed.success).toBe(!INVALID.has(`${platform}/${name}`));
    if (!parsed.success) return;
    let result;
    try {
      result = mapper.map(parsed.data, context({ 'X-Shopify-Topic': 'customers/update' }));
    } catch (error) {
      expect(error).toBeInstanceOf(MappingError);
      return;
    }
    // Pure: the same input maps to the same output.
    expect(mapper.map(parsed.data, context({ 'X-Shopify-Topic': 'customers/update' }))).toStrictEqual(result);
    if (result.kind === 'skip') return;
    const { record } = result;
    expect(Object.keys(record.customer).every((key) => (CUSTOMER_FIELDS as readonly string[]).includes(key))).toBe(true);
    expect(Object.keys(record.address).every((key) => (ADDRESS_FIELDS as readonly string[]).includes(key))).toBe(true);
    expect(Object.values({ ...record, ...record.customer, ...record.address })).not.toContain(undefined);
    // What the connector adds (platform, position, fallbacks) makes it a valid SourceRecord as is.
    const source = SourceRecord.parse({
      platform: record.platform ?? platform,
      position: { kind: 'kafka', topic: 't', partition: 0, offset: '0' },
      eventId: record.eventId ?? 't-0-0',
      eventTime: record.eventTime ?? new Date(0),
      email: record.email,
      customer: record.customer,
      address: record.address,
    });
    expect(source.customer).toStrictEqual(record.customer);
    expect(source.address).toStrictEqual(record.address);
  });
});
