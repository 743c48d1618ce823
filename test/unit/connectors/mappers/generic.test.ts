import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, expectTypeOf, it } from 'vitest';
import {
  type GenericAddress,
  type GenericCustomer,
  GenericPayload,
  genericMapper,
  genericRecordJsonSchema,
  genericRecordJsonSchemaText,
} from '../../../../src/connectors/mappers/generic.js';
import type { AddressValues, CustomerValues } from '../../../../src/contract.js';
import { ADDRESS_FIELDS, CUSTOMER_FIELDS } from '../../../../src/contract.js';
import { at, fixture, fixtureWith, mapFixture, mapPayload, schemaIssues } from './helpers.js';

const map = (name: string) => mapFixture(genericMapper, 'generic', name);

describe('generic mapper', () => {
  it('maps a full record with an ISO time and a platform override, values raw', () => {
    expect(map('full')).toStrictEqual({
      kind: 'record',
      record: {
        platform: 'legacy_app',
        eventId: 'legacy-app:users:48213:2024-03-01T13:02:00Z',
        eventTime: at('2024-03-01T13:02:00Z'),
        email: 'Beatriz.Campos@Example.com ',
        customer: {
          name: 'Beatriz Campos',
          customer_id: '48213',
          phone_local_code: '11',
          phone_number: '98765-4321',
          document_type: 'CPF',
          document_number: '318.604.731-56',
        },
        address: {
          address: 'Rua Harmonia',
          number: '123',
          complement: 'Casa 2',
          neighborhood: 'Vila Madalena',
          city: 'São Paulo',
          state: 'SP',
          zip_code: '05435-000',
          country: 'Brasil',
          ip: '203.0.113.99',
        },
      },
    });
  });

  it('reads an epoch-milliseconds event time', () => {
    expect(map('epoch-ms')).toStrictEqual({
      kind: 'record',
      record: {
        eventId: 'crm-7731',
        eventTime: at('2024-03-01T13:02:00Z'),
        email: 'oliver.smith@example.org',
        customer: { name: 'Oliver Smith', phone_number: '+44 20 7946 0958' },
        address: { city: 'London', country: 'GB', zip_code: 'SW1A 1AA' },
      },
    });
  });

  it('maps a minimal record to empty customer and address', () => {
    expect(map('minimal')).toStrictEqual({
      kind: 'record',
      record: { eventId: 'e-1', eventTime: at('2024-01-01T00:00:00Z'), email: 'min@example.com', customer: {}, address: {} },
    });
  });

  it('keeps explicit nulls and empty strings (the unifier ignores them)', () => {
    expect(map('nulls')).toStrictEqual({
      kind: 'record',
      record: {
        eventId: 'e-2',
        eventTime: at('2024-01-02T02:04:05.678Z'),
        email: 'nulls@example.com',
        customer: { name: null, phone_number: null, document_number: '' },
        address: { address: null, country: null },
      },
    });
  });

  it('ignores unknown keys at every level', () => {
    expect(map('unknown-keys')).toStrictEqual({
      kind: 'record',
      record: {
        eventId: 'e-3',
        eventTime: at('2024-05-05T05:05:05Z'),
        email: 'extra@example.com',
        customer: { name: 'Extra Fields' },
        address: { city: 'Recife' },
      },
    });
  });

  it('has exactly the canonical customer and address fields (checked by tsc)', () => {
    expectTypeOf<GenericCustomer>().toEqualTypeOf<CustomerValues>();
    expectTypeOf<GenericAddress>().toEqualTypeOf<AddressValues>();
  });

  it('has no skip or mapping-error cases: a schema-valid payload always maps', () => {
    // The schema requires what a record needs; whether the email is valid is the unifier's call.
    expect(mapPayload(genericMapper, { eventId: 'x', eventTime: 0, email: '' }).kind).toBe('record');
  });

  describe('schema', () => {
    it('rejects a time without an offset', () => {
      expect(schemaIssues(genericMapper, fixture('generic', 'invalid-event-time'))).toEqual([
        'eventTime: Invalid ISO datetime',
      ]);
    });

    it.each([
      [['eventId'], undefined, 'eventId: Invalid input: expected string, received undefined'],
      [['eventId'], '', 'eventId: Too small: expected string to have >=1 characters'],
      [['eventId'], 'x'.repeat(256), 'eventId: Too big: expected string to have <=255 characters'],
      [['email'], undefined, 'email: Invalid input: expected string, received undefined'],
      [['email'], 42, 'email: Invalid input: expected string, received number'],
      [['eventTime'], 1.5, 'eventTime: Invalid input'],
      [['eventTime'], '2024-02-30T00:00:00Z', 'eventTime: Invalid ISO datetime'],
      [['platform'], '', 'platform: Too small: expected string to have >=1 characters'],
      [['customer', 'name'], 7, 'customer.name: Invalid input: expected string, received number'],
      [['address', 'zip_code'], 1234, 'address.zip_code: Invalid input: expected string, received number'],
      [['customer'], 'Beatriz', 'customer: Invalid input: expected object, received string'],
    ])('rejects %j = %j with a path', (path, value, issue) => {
      expect(schemaIssues(genericMapper, fixtureWith('generic', 'full', path, value))).toEqual([issue]);
    });
  });

  it('returns exactly the customer and address keys the payload had', () => {
    const value = fc.option(fc.string(), { nil: null });
    fc.assert(
      fc.property(
        fc.dictionary(fc.constantFrom(...CUSTOMER_FIELDS), value, { noNullPrototype: true }),
        fc.dictionary(fc.constantFrom(...ADDRESS_FIELDS), value, { noNullPrototype: true }),
        (customer, address) => {
          const result = mapPayload(genericMapper, {
            eventId: 'p',
            eventTime: '2024-01-01T00:00:00Z',
            email: 'p@example.com',
            customer,
            address,
          });
          expect(result).toStrictEqual({
            kind: 'record',
            record: {
              eventId: 'p',
              eventTime: at('2024-01-01T00:00:00Z'),
              email: 'p@example.com',
              customer,
              address,
            },
          });
        },
      ),
    );
  });

  it('reads every ISO instant the schema accepts as that instant', () => {
    fc.assert(
      fc.property(
        fc.date({ min: new Date('0100-01-01T00:00:00Z'), max: new Date('9999-12-31T23:59:59Z'), noInvalidDate: true }),
        fc.integer({ min: -23 * 60 - 59, max: 23 * 60 + 59 }),
        (date, offsetMinutes) => {
          const local = new Date(date.getTime() + offsetMinutes * 60_000).toISOString().slice(0, 23);
          const sign = offsetMinutes < 0 ? '-' : '+';
          const abs = Math.abs(offsetMinutes);
          const offset = `${sign}${String(Math.floor(abs / 60)).padStart(2, '0')}:${String(abs % 60).padStart(2, '0')}`;
          const text = `${local}${offset}`;
          fc.pre(GenericPayload.shape.eventTime.safeParse(text).success);
          const result = mapPayload(genericMapper, { eventId: 'p', eventTime: text, email: 'p@example.com' });
          expect(result.kind === 'record' && result.record.eventTime?.getTime()).toBe(date.getTime());
        },
      ),
    );
  });
});

describe('generic-record.schema.json', () => {
  it('is what scripts/generate-schemas.ts generates (run it after changing generic.ts)', () => {
    const committed = readFileSync(new URL('../../../../schemas/generic-record.schema.json', import.meta.url), 'utf8');
    expect(committed).toBe(genericRecordJsonSchemaText());
  });

  it('documents every property and requires only eventId, eventTime and email', () => {
    const schema = genericRecordJsonSchema() as {
      required: string[];
      properties: Record<string, { description?: string; properties?: Record<string, { description?: string }> }>;
    };
    expect(schema.required).toEqual(['eventId', 'eventTime', 'email']);
    for (const [name, property] of Object.entries(schema.properties)) {
      expect(property.description, name).toBeTruthy();
      for (const [child, childProperty] of Object.entries(property.properties ?? {})) {
        expect(childProperty.description, `${name}.${child}`).toBeTruthy();
      }
    }
    expect(Object.keys(schema.properties['customer']?.properties ?? {})).toEqual([...CUSTOMER_FIELDS]);
    expect(Object.keys(schema.properties['address']?.properties ?? {})).toEqual([...ADDRESS_FIELDS]);
  });
});
