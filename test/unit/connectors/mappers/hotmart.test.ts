import { describe, expect, it } from 'vitest';
import { MappingError } from '../../../../src/connectors/mappers/errors.js';
import { HOTMART_BUYER_EVENTS, hotmartMapper } from '../../../../src/connectors/mappers/hotmart.js';
import { at, fixtureWith, mapFixture, mapPayload, schemaIssues, thrownBy } from './helpers.js';

const map = (name: string) => mapFixture(hotmartMapper, 'hotmart', name);

describe('hotmart mapper', () => {
  it('maps PURCHASE_APPROVED with buyer, phone, document and address (country_iso over country)', () => {
    expect(map('purchase-approved')).toStrictEqual({
      kind: 'record',
      record: {
        eventId: '1d85822f-fa41-4c58-8c09-0ac945198972',
        eventTime: at('2025-11-15T23:02:26.098Z'),
        email: 'ana.moreira@example.com',
        customer: {
          name: 'Ana Beatriz Moreira',
          phone_local_code: '34',
          phone_number: '34991234567',
          document_type: 'CPF',
          document_number: '31860473156',
        },
        address: {
          address: 'Avenida Rondon Pacheco',
          number: '1450',
          complement: 'Apto 302',
          neighborhood: 'Tibery',
          city: 'Uberlândia',
          state: 'Minas Gerais',
          zip_code: '38405142',
          country: 'BR',
        },
      },
    });
  });

  it('maps PURCHASE_COMPLETE without an address', () => {
    expect(map('purchase-complete')).toStrictEqual({
      kind: 'record',
      record: {
        eventId: '8f0b4a52-7c1e-4d3b-9a57-2e6f1c0d9b31',
        eventTime: at('2025-11-29T23:02:26.000Z'),
        email: 'rafael.lima@example.org',
        customer: {
          name: 'Rafael Cardoso Lima',
          phone_local_code: '11',
          phone_number: '11987650432',
          document_type: 'CPF',
          document_number: '74185296355',
        },
        address: {},
      },
    });
  });

  it('maps PURCHASE_CANCELED, taking country when country_iso is absent', () => {
    expect(map('purchase-canceled')).toStrictEqual({
      kind: 'record',
      record: {
        eventId: 'c3a9e1f0-5b7d-4e2a-8c61-9d0f2b4e7a15',
        eventTime: at('2025-09-12T13:00:00.123Z'),
        email: 'luiza.rocha@example.com',
        customer: { name: 'Luiza Fernandes Rocha', document_type: 'CPF', document_number: '20591364824' },
        address: {
          address: 'Rua das Acácias',
          number: '88',
          neighborhood: 'Jardim Botânico',
          city: 'Curitiba',
          state: 'Paraná',
          zip_code: '80210-150',
          country: 'Brasil',
        },
      },
    });
  });

  it('maps PURCHASE_REFUNDED from a buyer abroad', () => {
    expect(map('purchase-refunded')).toStrictEqual({
      kind: 'record',
      record: {
        eventId: '0e6d2c84-31a9-4f70-b2de-5a8c7f94e612',
        eventTime: at('2025-10-09T12:00:00.500Z'),
        email: 'joana.ferreira@example.org',
        customer: { name: 'Joana Ferreira', phone_local_code: '351', phone_number: '912345678' },
        address: {
          address: 'Rua Augusta',
          number: '210',
          complement: '3º Esq.',
          city: 'Lisboa',
          state: 'Lisboa',
          zip_code: '1100-053',
          country: 'PT',
        },
      },
    });
  });

  it('maps PURCHASE_CHARGEBACK from a company (CNPJ)', () => {
    expect(map('purchase-chargeback')).toStrictEqual({
      kind: 'record',
      record: {
        eventId: '5f2e8b17-9c4d-4a06-a3b1-e7d9c0f28a64',
        eventTime: at('2025-09-19T15:00:00.000Z'),
        email: 'financeiro@cafe-aurora.example.com',
        customer: {
          name: 'Café Aurora Comércio Ltda',
          phone_local_code: '71',
          phone_number: '7133224455',
          document_type: 'CNPJ',
          document_number: '45781236000140',
        },
        address: {
          address: 'Rua Chile',
          number: '7',
          neighborhood: 'Centro Histórico',
          city: 'Salvador',
          state: 'Bahia',
          zip_code: '40020000',
          country: 'BR',
        },
      },
    });
  });

  it('maps PURCHASE_PROTEST without a customer_id even when the purchase names a subscriber code', () => {
    expect(map('purchase-protest')).toStrictEqual({
      kind: 'record',
      record: {
        eventId: 'a7b3c9d1-2e4f-4a6b-8c0d-1e3f5a7b9c2d',
        eventTime: at('2025-09-30T01:28:46.356Z'),
        email: 'thiago.nascimento@example.com',
        customer: { name: 'Thiago Nascimento' },
        address: {},
      },
    });
  });

  it('maps PURCHASE_DELAYED keeping the nulls the buyer had', () => {
    expect(map('purchase-delayed')).toStrictEqual({
      kind: 'record',
      record: {
        eventId: '3c1d7e9f-0a2b-4c4d-8e6f-7a9b1c3d5e70',
        eventTime: at('2025-11-05T00:00:00.000Z'),
        email: 'camila.duarte@example.com',
        customer: {
          name: 'Camila Duarte',
          phone_local_code: null,
          phone_number: null,
          document_type: null,
          document_number: null,
        },
        address: {},
      },
    });
  });

  it('maps PURCHASE_EXPIRED, falling back to country when country_iso is blank', () => {
    expect(map('purchase-expired')).toStrictEqual({
      kind: 'record',
      record: {
        eventId: 'e4f6a8b0-c2d4-4e6f-9a1b-3c5d7e9f1a2b',
        eventTime: at('2025-11-13T02:13:20.000Z'),
        email: 'bruno.alves@example.org',
        customer: {
          name: 'Bruno Teixeira Alves',
          phone_local_code: '',
          phone_number: '61998877665',
          document_type: 'CPF',
          document_number: '86302741580',
        },
        address: {
          address: 'SQS 308 Bloco C',
          number: '',
          complement: 'Apto 101',
          neighborhood: 'Asa Sul',
          city: 'Brasília',
          state: 'Distrito Federal',
          zip_code: '70355030',
          country: 'Brasil',
        },
      },
    });
  });

  it('maps SUBSCRIPTION_CANCELLATION from data.subscriber, code as customer_id, mobile phone pair', () => {
    expect(map('subscription-cancellation')).toStrictEqual({
      kind: 'record',
      record: {
        eventId: 'a75428a4-7d61-4405-b86b-ecc5a84f9792',
        eventTime: at('2025-09-30T01:15:27.318Z'),
        email: 'mariana.pinto@example.com',
        customer: {
          name: 'Mariana Castro Pinto',
          customer_id: '0000AAAA',
          phone_local_code: '21',
          phone_number: '987654321',
        },
        address: {},
      },
    });
  });

  it('maps SWITCH_PLAN from data.subscription.user (the shape Hotmart sends)', () => {
    expect(map('switch-plan')).toStrictEqual({
      kind: 'record',
      record: {
        eventId: 'be776db7-77c1-4b3f-a14f-79d59a38f4c6',
        eventTime: at('2025-09-30T01:15:27.441Z'),
        email: 'gustavo.ribeiro@example.com',
        customer: { customer_id: '7FQ2KX9B' },
        address: {},
      },
    });
  });

  it('maps SWITCH_PLAN from data.subscriber with a phone string', () => {
    expect(map('switch-plan-subscriber')).toStrictEqual({
      kind: 'record',
      record: {
        eventId: '0b9d8c7e-6f5a-4b3c-2d1e-0f9a8b7c6d5e',
        eventTime: at('2025-10-01T01:15:27.441Z'),
        email: 'priya.raman@example.org',
        customer: { name: 'Priya Raman', customer_id: 'K3LM8NP2', phone_number: '+44 7700 900123' },
        address: {},
      },
    });
  });

  it('maps a minimal test payload (no address, document or phone)', () => {
    expect(map('minimal')).toStrictEqual({
      kind: 'record',
      record: {
        eventId: 'f0e1d2c3-b4a5-4968-8776-5a4b3c2d1e0f',
        eventTime: at('2023-11-14T22:13:20.000Z'),
        email: 'teste.comprador@example.com',
        customer: { name: 'Teste Comprador' },
        address: {},
      },
    });
  });

  it.each([
    ['club-first-access', 'hotmart event CLUB_FIRST_ACCESS carries no buyer data'],
    ['update-subscription-charge-date', 'hotmart event UPDATE_SUBSCRIPTION_CHARGE_DATE carries no buyer data'],
  ])('skips %s', (name, reason) => {
    expect(map(name)).toStrictEqual({ kind: 'skip', reason });
  });

  it('throws a MappingError for a buyer event without any email', () => {
    const error = thrownBy(() => map('purchase-approved-no-email'));
    expect(error).toBeInstanceOf(MappingError);
    expect(error).toMatchObject({
      code: 'CUSTSYNC_MAPPING_FAILED',
      message: 'hotmart event PURCHASE_APPROVED has neither a buyer nor a subscriber email',
      path: ['data', 'buyer', 'email'],
    });
  });

  it('points the MappingError at the subscriber when only a subscriber was sent', () => {
    const payload = fixtureWith('hotmart', 'subscription-cancellation', ['data', 'subscriber', 'email'], null);
    expect(thrownBy(() => mapPayload(hotmartMapper, payload))).toMatchObject({
      path: ['data', 'subscriber', 'email'],
    });
  });

  it('falls back to the subscriber when the buyer has no email', () => {
    const payload = fixtureWith('hotmart', 'purchase-approved-no-email', ['data', 'subscriber'], {
      code: 'S1',
      name: 'Eduardo Martins',
      email: 'eduardo.martins@example.com',
    });
    const result = mapPayload(hotmartMapper, payload);
    expect(result).toMatchObject({
      kind: 'record',
      record: { email: 'eduardo.martins@example.com', customer: { customer_id: 'S1' } },
    });
  });

  it('uses the landline pair when the subscriber has no mobile number', () => {
    const payload = fixtureWith('hotmart', 'subscription-cancellation', ['data', 'subscriber', 'phone'], {
      dddPhone: '21',
      phone: '25550000',
      dddCell: '',
      cell: '',
    });
    expect(mapPayload(hotmartMapper, payload)).toMatchObject({
      record: { customer: { phone_local_code: '21', phone_number: '25550000' } },
    });
  });

  it('knows the ten buyer events', () => {
    expect([...HOTMART_BUYER_EVENTS].sort()).toEqual([
      'PURCHASE_APPROVED',
      'PURCHASE_CANCELED',
      'PURCHASE_CHARGEBACK',
      'PURCHASE_COMPLETE',
      'PURCHASE_DELAYED',
      'PURCHASE_EXPIRED',
      'PURCHASE_PROTEST',
      'PURCHASE_REFUNDED',
      'SUBSCRIPTION_CANCELLATION',
      'SWITCH_PLAN',
    ]);
  });

  describe('schema', () => {
    it.each([
      [['id'], undefined, 'id: Invalid input: expected string, received undefined'],
      [['creation_date'], '2025-11-15', 'creation_date: Invalid input: expected number, received string'],
      [['event'], 7, 'event: Invalid input: expected string, received number'],
      [['data', 'buyer', 'email'], 42, 'data.buyer.email: Invalid input: expected string, received number'],
      [
        ['data', 'buyer', 'address', 'zipcode'],
        38405142,
        'data.buyer.address.zipcode: Invalid input: expected string, received number',
      ],
      [['data', 'buyer'], 'ana', 'data.buyer: Invalid input: expected object, received string'],
    ])('rejects %j = %j with a path', (path, value, issue) => {
      expect(schemaIssues(hotmartMapper, fixtureWith('hotmart', 'purchase-approved', path, value))).toEqual([issue]);
    });
  });
});
