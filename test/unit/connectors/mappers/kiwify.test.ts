import { describe, expect, it } from 'vitest';
import { MappingError } from '../../../../src/connectors/mappers/errors.js';
import { kiwifyMapper } from '../../../../src/connectors/mappers/kiwify.js';
import { at, fixtureWith, mapFixture, mapPayload, schemaIssues, thrownBy } from './helpers.js';

const map = (name: string) => mapFixture(kiwifyMapper, 'kiwify', name);

describe('kiwify mapper', () => {
  it('maps order_approved: "YYYY-MM-DD HH:mm" read as São Paulo time, country BR for an address', () => {
    expect(map('order-approved')).toStrictEqual({
      kind: 'record',
      record: {
        eventId: 'b6ba3959-30b5-44fc-a3e5-2c61e3d68ee5:order_approved',
        eventTime: at('2024-03-01T13:02:00Z'),
        email: 'joao.silva@example.com',
        customer: { name: 'João Pedro Silva', phone_number: '+5511999990000', document_number: '47026581902' },
        address: {
          address: 'Rua Bela Cintra',
          number: '5',
          complement: '',
          neighborhood: 'Consolação',
          city: 'São Paulo',
          state: 'SP',
          zip_code: '01415000',
          country: 'BR',
          ip: '203.0.113.7',
        },
      },
    });
  });

  it('maps order_refunded with seconds in the time and a punctuated CPF', () => {
    expect(map('order-refunded')).toStrictEqual({
      kind: 'record',
      record: {
        eventId: 'd2f4a6b8-1c3e-4d5f-8a9b-0c1d2e3f4a5b:order_refunded',
        eventTime: at('2024-04-09T21:40:05Z'),
        email: 'fernanda.lopes@example.org',
        customer: { name: 'Fernanda Lopes', phone_number: '+5521988887777', document_number: '638.140.527-90' },
        address: {
          address: 'Rua Voluntários da Pátria',
          number: '190',
          complement: 'Bloco 2 apto 504',
          neighborhood: 'Botafogo',
          city: 'Rio de Janeiro',
          state: 'RJ',
          zip_code: '22270-010',
          country: 'BR',
          ip: '198.51.100.23',
        },
      },
    });
  });

  it('maps chargeback: ISO-8601 times, cnpj when CPF is blank', () => {
    expect(map('chargeback')).toStrictEqual({
      kind: 'record',
      record: {
        eventId: '7a8b9c0d-1e2f-4a3b-8c4d-5e6f7a8b9c0d:chargeback',
        eventTime: at('2024-05-10T13:45:12.000Z'),
        email: 'contato@oficina-criativa.example.com',
        customer: {
          name: 'Oficina Criativa Eventos Ltda',
          phone_number: '+5548991112233',
          document_number: '45781236000140',
        },
        address: {
          address: 'Rua Felipe Schmidt',
          number: '321',
          complement: 'Sala 12',
          neighborhood: 'Centro',
          city: 'Florianópolis',
          state: 'SC',
          zip_code: '88010001',
          country: 'BR',
          ip: '2001:db8::42',
        },
      },
    });
  });

  it('maps billet_created: time from created_at, numbers coerced to strings', () => {
    expect(map('billet-created')).toStrictEqual({
      kind: 'record',
      record: {
        eventId: '3e4f5a6b-7c8d-4e9f-a0b1-c2d3e4f5a6b7:billet_created',
        eventTime: at('2024-06-15T23:05:44Z'),
        email: 'marcos.araujo@example.com',
        customer: { name: 'Marcos Vinícius Araújo', phone_number: '5531987654321', document_number: '15263749007' },
        address: {
          address: 'Avenida Afonso Pena',
          number: '1500',
          complement: null,
          neighborhood: 'Centro',
          city: 'Belo Horizonte',
          state: 'MG',
          zip_code: '30130005',
          country: 'BR',
          ip: '203.0.113.150',
        },
      },
    });
  });

  it('maps a minimal Customer: name from first_name, no address so no country', () => {
    expect(map('minimal')).toStrictEqual({
      kind: 'record',
      record: {
        eventId: '0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d:order_approved',
        eventTime: at('2024-07-01T11:01:00Z'),
        email: 'larissa@example.com',
        customer: { name: 'Larissa' },
        address: {},
      },
    });
  });

  it('keeps nulls, and sets no country when every address part is null', () => {
    expect(map('nulls')).toStrictEqual({
      kind: 'record',
      record: {
        eventId: '5c6d7e8f-9a0b-4c1d-8e2f-3a4b5c6d7e8f:order_approved',
        eventTime: at('2024-08-20T17:31:00Z'),
        email: 'renata.costa@example.org',
        customer: { name: 'Renata', phone_number: null, document_number: null },
        address: {
          address: null,
          number: null,
          complement: null,
          neighborhood: null,
          city: null,
          state: null,
          zip_code: null,
          ip: null,
        },
      },
    });
  });

  it('uses order_status in the event id when webhook_event_type is missing', () => {
    expect(map('no-event-type')).toStrictEqual({
      kind: 'record',
      record: {
        eventId: '9f8e7d6c-5b4a-4392-8170-6f5e4d3c2b1a:paid',
        eventTime: at('2024-09-03T19:45:58Z'),
        email: 'hannah.becker@example.org',
        customer: { name: 'Hannah Becker', phone_number: '+4915112345678' },
        address: { ip: '198.51.100.77' },
      },
    });
  });

  it('leaves eventTime out when no time parses (the connector uses the Kafka timestamp)', () => {
    expect(map('unparseable-time')).toStrictEqual({
      kind: 'record',
      record: {
        eventId: '1a2b3c4d-5e6f-4a7b-8c9d-0e1f2a3b4c5d:order_approved',
        email: 'diego.carvalho@example.com',
        customer: { name: 'Diego Carvalho', document_number: '98723410604' },
        address: {},
      },
    });
  });

  it('leaves eventId out when neither event type nor status is known', () => {
    const payload = fixtureWith('kiwify', 'no-event-type', ['order_status'], undefined);
    const result = mapPayload(kiwifyMapper, payload);
    expect(result.kind === 'record' && 'eventId' in result.record).toBe(false);
  });

  it('skips an order without a Customer object', () => {
    expect(map('no-customer')).toStrictEqual({
      kind: 'skip',
      reason: 'kiwify event order_rejected for order 6b7c8d9e-0f1a-4b2c-9d3e-4f5a6b7c8d9e carries no Customer object',
    });
  });

  it('throws a MappingError for a Customer without an email', () => {
    const error = thrownBy(() => map('no-email'));
    expect(error).toBeInstanceOf(MappingError);
    expect(error).toMatchObject({
      message: 'kiwify order 2c3d4e5f-6a7b-4c8d-9e0f-1a2b3c4d5e6f has no email',
      path: ['Customer', 'email'],
    });
  });

  describe('schema', () => {
    it.each([
      [['order_id'], undefined, 'order_id: Invalid input: expected string, received undefined'],
      [['order_id'], 12345, 'order_id: Invalid input: expected string, received number'],
      [['updated_at'], 1709298120000, 'updated_at: Invalid input: expected string, received number'],
      [['Customer', 'email'], ['joao@example.com'], 'Customer.email: Invalid input: expected string, received array'],
      [['Customer', 'CPF'], { number: '1' }, 'Customer.CPF: Invalid input: expected a string or a number'],
      [['Customer'], 'João', 'Customer: Invalid input: expected object, received string'],
    ])('rejects %j = %j with a path', (path, value, issue) => {
      expect(schemaIssues(kiwifyMapper, fixtureWith('kiwify', 'order-approved', path, value))).toEqual([issue]);
    });
  });
});
