import { describe, expect, it } from 'vitest';
import { MappingError } from '../../../../src/connectors/mappers/errors.js';
import { parseJsonPreservingBigIntegers } from '../../../../src/connectors/mappers/json.js';
import { shopifyMapper } from '../../../../src/connectors/mappers/shopify.js';
import { at, fixtureText, fixtureWith, mapFixture, mapPayload, schemaIssues, thrownBy } from './helpers.js';

const map = (name: string, headers?: Record<string, string>) => mapFixture(shopifyMapper, 'shopify', name, headers);

/** Decoded the way the connector should: big integers kept exact. */
const mapExact = (name: string, headers?: Record<string, string>) =>
  mapPayload(shopifyMapper, parseJsonPreservingBigIntegers(fixtureText('shopify', name)), headers);

const createHeaders = {
  'X-Shopify-Topic': 'customers/create',
  'X-Shopify-Event-Id': '98880550-7158-44d4-b7cd-2c97c8a091b5',
  'X-Shopify-Triggered-At': '2022-01-01T00:00:00.123456789Z',
  'X-Shopify-Shop-Domain': 'loja-ficticia.myshopify.com',
};

const bobBiller = {
  email: 'bob.biller@example.com',
  address: {
    address: "151 O'Connor Street",
    complement: null,
    city: 'Ottawa',
    state: 'ON',
    zip_code: 'K2P 2L8',
    country: 'CA',
  },
};

describe('shopify mapper', () => {
  it('maps customers/create with event id and time from the headers; exact id when decoded with big integers kept', () => {
    expect(mapExact('customers-create', createHeaders)).toStrictEqual({
      kind: 'record',
      record: {
        eventId: '98880550-7158-44d4-b7cd-2c97c8a091b5',
        eventTime: at('2022-01-01T00:00:00.123Z'),
        email: bobBiller.email,
        customer: { customer_id: '706405506930370084', name: 'Bob Biller', phone_number: '555-555-5555' },
        address: bobBiller.address,
      },
    });
  });

  it('gets a rounded id from plain JSON.parse: the precision is lost before the mapper runs', () => {
    expect(map('customers-create', createHeaders)).toMatchObject({
      record: { customer: { customer_id: '706405506930370000' } },
    });
  });

  it('looks headers up whatever their case', () => {
    const lower = Object.fromEntries(Object.entries(createHeaders).map(([k, v]) => [k.toLowerCase(), v]));
    const upper = Object.fromEntries(Object.entries(createHeaders).map(([k, v]) => [k.toUpperCase(), v]));
    expect(mapExact('customers-create', lower)).toStrictEqual(mapExact('customers-create', createHeaders));
    expect(mapExact('customers-create', upper)).toStrictEqual(mapExact('customers-create', createHeaders));
  });

  it('maps customers/update: phone and province/country fall back to default_address', () => {
    expect(
      mapExact('customers-update', {
        'x-shopify-topic': 'customers/update',
        'x-shopify-event-id': 'b1c2d3e4-f5a6-4b7c-8d9e-0f1a2b3c4d5e',
        'x-shopify-triggered-at': '2024-02-14T19:20:46Z',
      }),
    ).toStrictEqual({
      kind: 'record',
      record: {
        eventId: 'b1c2d3e4-f5a6-4b7c-8d9e-0f1a2b3c4d5e',
        eventTime: at('2024-02-14T19:20:46Z'),
        email: 'leticia.monteiro@example.com',
        customer: { customer_id: '7402839261538201234', name: 'Letícia Monteiro', phone_number: '+55 11 97777-6655' },
        address: {
          address: 'Rua Marquês de Itu, 408',
          complement: 'Apto 62',
          city: 'São Paulo',
          state: 'São Paulo',
          zip_code: '01223-000',
          country: 'Brazil',
        },
      },
    });
  });

  it('maps a minimal customer without headers: id:updated_at as event id, updated_at as time', () => {
    expect(mapExact('minimal')).toStrictEqual({
      kind: 'record',
      record: {
        eventId: '6655443322110099887:2024-04-01T12:00:00Z',
        eventTime: at('2024-04-01T12:00:00Z'),
        email: 'kenji.tanaka@example.org',
        customer: { customer_id: '6655443322110099887', name: 'Kenji', phone_number: null },
        address: {},
      },
    });
  });

  it('maps nulls: no name text gives null, null address parts kept', () => {
    expect(mapExact('nulls')).toStrictEqual({
      kind: 'record',
      record: {
        eventId: '7000000000000000123:2024-06-02T08:00:00+02:00',
        eventTime: at('2024-06-02T06:00:00Z'),
        email: 'anon.buyer@example.com',
        customer: { customer_id: '7000000000000000123', name: null, phone_number: null },
        address: { address: null, complement: null, city: null, state: null, zip_code: null, country: 'DE' },
      },
    });
  });

  it('accepts a string id as is', () => {
    expect(map('string-id')).toMatchObject({
      record: {
        eventId: '7402839261538209999:2024-08-05T11:30:00-03:00',
        customer: { customer_id: '7402839261538209999', name: 'Paulo Reis', phone_number: '+5541988776655' },
      },
    });
  });

  it('falls back to updated_at when the triggered-at header is unreadable', () => {
    const result = mapExact('minimal', { 'X-Shopify-Triggered-At': 'yesterday' });
    expect(result.kind === 'record' && result.record.eventTime).toEqual(at('2024-04-01T12:00:00Z'));
  });

  it('skips a message whose X-Shopify-Topic is not a customer create/update', () => {
    expect(mapExact('customers-delete', { 'X-Shopify-Topic': 'customers/delete' })).toStrictEqual({
      kind: 'skip',
      reason: 'shopify topic customers/delete is not a customer create or update',
    });
  });

  it('throws a MappingError for a customer without an email', () => {
    const error = thrownBy(() => mapExact('no-email', { 'X-Shopify-Topic': 'customers/create' }));
    expect(error).toBeInstanceOf(MappingError);
    expect(error).toMatchObject({ message: 'shopify customer 7111111111111111111 has no email', path: ['email'] });
  });

  describe('schema', () => {
    it.each([
      [['id'], undefined, 'id: Invalid input: expected an integer or a string of digits'],
      [['id'], 'gid://shopify/Customer/1', 'id: Invalid input: expected an integer or a string of digits'],
      [['id'], 1.5, 'id: Invalid input: expected an integer or a string of digits'],
      [['email'], 7, 'email: Invalid input: expected string, received number'],
      [['default_address'], 'Ottawa', 'default_address: Invalid input: expected object, received string'],
      [['default_address', 'zip'], 12345, 'default_address.zip: Invalid input: expected string, received number'],
    ])('rejects %j = %j with a path', (path, value, issue) => {
      expect(schemaIssues(shopifyMapper, fixtureWith('shopify', 'customers-create', path, value))).toEqual([issue]);
    });
  });
});
