import { describe, expect, it } from 'vitest';
import { eduzzMapper } from '../../../../src/connectors/mappers/eduzz.js';
import { MappingError } from '../../../../src/connectors/mappers/errors.js';
import { at, fixtureWith, mapFixture, mapPayload, schemaIssues, thrownBy } from './helpers.js';

const map = (name: string) => mapFixture(eduzzMapper, 'eduzz', name);

describe('eduzz mapper, myeduzz.* events', () => {
  it('maps invoice_paid: cellphone over phone, document, address', () => {
    expect(map('myeduzz-invoice-paid')).toStrictEqual({
      kind: 'record',
      record: {
        eventId: 'zszf0uk65g701io8dbsckfeld',
        eventTime: at('2024-01-20T15:00:00.000Z'),
        email: 'alice.johnson@example.com',
        customer: { name: 'Alice Johnson', phone_number: '11988880000', document_number: '63814052790' },
        address: {
          address: 'Rua Haddock Lobo',
          number: '595',
          complement: 'Conj. 41',
          neighborhood: 'Cerqueira César',
          city: 'São Paulo',
          state: 'SP',
          zip_code: '01414001',
          country: 'BR',
        },
      },
    });
  });

  it('maps invoice_refunded: phone when there is no cellphone, sentDate with an offset', () => {
    expect(map('myeduzz-invoice-refunded')).toStrictEqual({
      kind: 'record',
      record: {
        eventId: 'q1w2e3r4t5y6u7i8o9p0a1s2d',
        eventTime: at('2024-02-03T12:12:45.321Z'),
        email: 'kwame.mensah@example.org',
        customer: { name: 'Kwame Mensah', phone_number: '+233 20 123 4567' },
        address: {},
      },
    });
  });

  it('maps a minimal invoice buyer; a sentDate without offset is São Paulo time', () => {
    expect(map('myeduzz-invoice-opened')).toStrictEqual({
      kind: 'record',
      record: {
        eventId: 'm9n8b7v6c5x4z3l2k1j0h9g8f',
        eventTime: at('2024-02-10T21:00:00Z'),
        email: 'sofia.almeida@example.com',
        customer: { name: 'Sofia Almeida' },
        address: {},
      },
    });
  });

  it('keeps the nulls an invoice buyer had', () => {
    expect(map('myeduzz-invoice-nulls')).toStrictEqual({
      kind: 'record',
      record: {
        eventId: 'a1b2c3d4e5f6g7h8i9j0k1l2m',
        eventTime: at('2024-03-05T12:30:00.000Z'),
        email: 'lucas.pereira@example.com',
        customer: { name: 'Lucas Pereira', phone_number: null, document_number: null },
        address: {},
      },
    });
  });

  it('maps contract_created from data.customer, id as customer_id', () => {
    expect(map('myeduzz-contract-created')).toStrictEqual({
      kind: 'record',
      record: {
        eventId: 'c0ntr4ct1d3nt1f13r0000001',
        eventTime: at('2024-04-01T08:00:00.000Z'),
        email: 'chloe.martin@example.org',
        customer: { name: 'Chloé Martin', customer_id: '66554433' },
        address: {},
      },
    });
  });

  it('maps contract_canceled, coercing a numeric customer id', () => {
    expect(map('myeduzz-contract-canceled')).toStrictEqual({
      kind: 'record',
      record: {
        eventId: 'c0ntr4ct1d3nt1f13r0000002',
        eventTime: at('2024-06-30T23:59:59.999Z'),
        email: 'mateo.garcia@example.com',
        customer: { name: 'Mateo García', customer_id: '66554434' },
        address: {},
      },
    });
  });

  it('skips an event without buyer or customer', () => {
    expect(map('myeduzz-product-updated')).toStrictEqual({
      kind: 'skip',
      reason: 'eduzz event myeduzz.product_updated carries no buyer or customer data',
    });
  });

  it('throws a MappingError for a buyer without an email', () => {
    const error = thrownBy(() => map('myeduzz-invoice-no-email'));
    expect(error).toBeInstanceOf(MappingError);
    expect(error).toMatchObject({
      message: 'eduzz event myeduzz.invoice_paid has a buyer without an email',
      path: ['data', 'buyer', 'email'],
    });
  });

  it('throws a MappingError for a contract customer without an email', () => {
    const payload = fixtureWith('eduzz', 'myeduzz-contract-created', ['data', 'customer', 'email'], '');
    expect(thrownBy(() => mapPayload(eduzzMapper, payload))).toMatchObject({ path: ['data', 'customer', 'email'] });
  });
});

describe('eduzz mapper, legacy webhook', () => {
  it('maps a paid invoice: paid date and time, cus_cel over cus_tel', () => {
    expect(map('legacy-invoice-paid')).toStrictEqual({
      kind: 'record',
      record: {
        eventId: '48201937:3',
        eventTime: at('2019-09-04T15:00:00Z'),
        email: 'roberto.andrade@example.com',
        customer: {
          name: 'Roberto Andrade',
          customer_id: '7310442',
          phone_number: '15999998888',
          document_number: '15263749007',
        },
        address: {
          address: 'Av. São Paulo',
          number: '111',
          complement: 'AP 38',
          neighborhood: 'Jardim Brasil',
          city: 'Sorocaba',
          state: 'SP',
          zip_code: '18085-000',
          country: 'Brasil',
        },
      },
    });
  });

  it('maps an open invoice: an unparseable paid date falls back to the creation date; blank cus_cel to cus_tel', () => {
    expect(map('legacy-invoice-open')).toStrictEqual({
      kind: 'record',
      record: {
        eventId: '48201990:1',
        eventTime: at('2024-01-16T00:47:30Z'),
        email: 'juliana.barros@example.org',
        customer: {
          name: 'Juliana Barros',
          customer_id: '7310501',
          phone_number: '8532104567',
          document_number: '98723410604',
        },
        address: {
          address: 'Rua Ildefonso Albano',
          number: '1200',
          complement: '',
          neighborhood: 'Aldeota',
          city: 'Fortaleza',
          state: 'CE',
          zip_code: '60115000',
          country: 'Brasil',
        },
      },
    });
  });

  it('coerces values sent as numbers', () => {
    expect(map('legacy-numbers')).toStrictEqual({
      kind: 'record',
      record: {
        eventId: '48202044:3',
        eventTime: at('2023-07-17T11:06:30Z'),
        email: 'otavio.mendes@example.com',
        customer: {
          name: 'Otávio Mendes',
          customer_id: '7310777',
          phone_number: '51991234567',
          document_number: '74185296355',
        },
        address: {
          address: 'Rua Padre Chagas',
          number: '79',
          neighborhood: 'Moinhos de Vento',
          city: 'Porto Alegre',
          state: 'RS',
          zip_code: '90570080',
          country: 'Brasil',
        },
      },
    });
  });

  it('maps a minimal payload without times', () => {
    expect(map('legacy-minimal')).toStrictEqual({
      kind: 'record',
      record: { eventId: '48203001:3', email: 'teste.legado@example.com', customer: { name: 'Teste' }, address: {} },
    });
  });

  it('throws a MappingError without cus_email', () => {
    const error = thrownBy(() => map('legacy-no-email'));
    expect(error).toBeInstanceOf(MappingError);
    expect(error).toMatchObject({ message: 'eduzz transaction 48203100 has no email', path: ['cus_email'] });
  });
});

describe('eduzz schema', () => {
  it('rejects a payload of neither format', () => {
    expect(schemaIssues(eduzzMapper, { event: 'invoice_paid', id: 'x' })).toEqual([
      ': neither a myeduzz.* event nor a legacy Eduzz webhook (cus_email / trans_cod)',
    ]);
  });

  it('rejects a non-object', () => {
    expect(schemaIssues(eduzzMapper, 'myeduzz.invoice_paid')).toEqual([
      ': Invalid input: expected object, received string',
    ]);
  });

  it.each([
    ['myeduzz-invoice-paid', ['id'], undefined, 'id: Invalid input: expected string, received undefined'],
    ['myeduzz-invoice-paid', ['sentDate'], 1705762800000, 'sentDate: Invalid input: expected string, received number'],
    [
      'myeduzz-invoice-paid',
      ['data', 'buyer', 'email'],
      true,
      'data.buyer.email: Invalid input: expected string, received boolean',
    ],
    [
      'myeduzz-invoice-paid',
      ['data', 'buyer', 'address', 'zipCode'],
      [],
      'data.buyer.address.zipCode: Invalid input: expected a string or a number',
    ],
    ['legacy-invoice-paid', ['cus_email'], 1, 'cus_email: Invalid input: expected string, received number'],
    ['legacy-invoice-paid', ['cus_cel'], false, 'cus_cel: Invalid input: expected a string or a number'],
  ])('%s: rejects %j = %j with a path', (name, path, value, issue) => {
    expect(schemaIssues(eduzzMapper, fixtureWith('eduzz', name, path, value))).toEqual([issue]);
  });
});
