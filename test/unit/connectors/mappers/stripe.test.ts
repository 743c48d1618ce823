import { describe, expect, it } from 'vitest';
import { MappingError } from '../../../../src/connectors/mappers/errors.js';
import { stripeMapper } from '../../../../src/connectors/mappers/stripe.js';
import { at, fixtureWith, mapFixture, schemaIssues, thrownBy } from './helpers.js';

const map = (name: string) => mapFixture(stripeMapper, 'stripe', name);

describe('stripe mapper', () => {
  it('maps customer.created; created is Unix seconds', () => {
    expect(map('customer-created')).toStrictEqual({
      kind: 'record',
      record: {
        eventId: 'evt_1PnQrStUvWxYz0123AbCdEf',
        eventTime: at('2022-03-26T18:41:50.000Z'),
        email: 'jane.doe@example.com',
        customer: { customer_id: 'cus_NffrFeUfNV2Hib', name: 'Jane Doe', phone_number: '+15555550100' },
        address: {
          address: '1 Main St',
          complement: null,
          city: 'Austin',
          state: 'TX',
          zip_code: '78701',
          country: 'US',
        },
      },
    });
  });

  it('maps customer.updated from the current object, ignoring previous_attributes', () => {
    expect(map('customer-updated')).toStrictEqual({
      kind: 'record',
      record: {
        eventId: 'evt_1PoA2bC3dE4fG5hI6jK7lM8',
        eventTime: at('2024-06-01T13:45:12.000Z'),
        email: 'helena.souza@example.com',
        customer: { customer_id: 'cus_Q8zYxWvUtSrQpO', name: 'Helena Souza', phone_number: '+55 11 91234-5678' },
        address: {
          address: 'Rua Oscar Freire, 900',
          complement: 'Apto 71',
          city: 'São Paulo',
          state: 'SP',
          zip_code: '01426-001',
          country: 'BR',
        },
      },
    });
  });

  it('maps a minimal customer: null name and phone kept, null address adds nothing', () => {
    expect(map('customer-minimal')).toStrictEqual({
      kind: 'record',
      record: {
        eventId: 'evt_1PpB3cD4eF5gH6iJ7kL8mN9',
        eventTime: at('2024-07-03T09:46:40.000Z'),
        email: 'noah.kim@example.org',
        customer: { customer_id: 'cus_QaBcDeFgHiJkLm', name: null, phone_number: null },
        address: {},
      },
    });
  });

  it('keeps null address fields', () => {
    expect(map('customer-nulls')).toStrictEqual({
      kind: 'record',
      record: {
        eventId: 'evt_1PqC4dE5fG6hI7jK8lM9nO0',
        eventTime: at('2024-08-30T06:40:00.000Z'),
        email: 'sara.lindqvist@example.com',
        customer: { customer_id: 'cus_QbCdEfGhIjKlMn', name: 'Sara Lindqvist', phone_number: null },
        address: { address: null, complement: null, city: null, state: null, zip_code: null, country: 'SE' },
      },
    });
  });

  it.each([
    ['customer-deleted', 'stripe event customer.deleted carries no customer data to sync'],
    ['invoice-paid', 'stripe event invoice.paid carries no customer data to sync'],
  ])('skips %s', (name, reason) => {
    expect(map(name)).toStrictEqual({ kind: 'skip', reason });
  });

  it('throws a MappingError for a customer whose email is null', () => {
    const error = thrownBy(() => map('customer-created-no-email'));
    expect(error).toBeInstanceOf(MappingError);
    expect(error).toMatchObject({
      message: 'stripe event customer.created has no email',
      path: ['data', 'object', 'email'],
    });
  });

  describe('schema', () => {
    it.each([
      [['id'], undefined, 'id: Invalid input: expected string, received undefined'],
      [['created'], '1648320110', 'created: Invalid input: expected number, received string'],
      [['created'], 1648320110.5, 'created: Invalid input: expected int, received number'],
      [['type'], null, 'type: Invalid input: expected string, received null'],
      [['data', 'object'], 'cus_NffrFeUfNV2Hib', 'data.object: Invalid input: expected object, received string'],
      [['data', 'object', 'email'], 7, 'data.object.email: Invalid input: expected string, received number'],
      [['data', 'object', 'id'], undefined, 'data.object.id: Invalid input: expected string, received undefined'],
      [
        ['data', 'object', 'address', 'postal_code'],
        78701,
        'data.object.address.postal_code: Invalid input: expected string, received number',
      ],
    ])('rejects %j = %j on a customer event with a path', (path, value, issue) => {
      expect(schemaIssues(stripeMapper, fixtureWith('stripe', 'customer-created', path, value))).toEqual([issue]);
    });

    it('does not validate data.object as a customer for other event types', () => {
      const payload = fixtureWith('stripe', 'invoice-paid', ['data', 'object', 'email'], 7);
      expect(schemaIssues(stripeMapper, payload)).toEqual([]);
    });
  });
});
