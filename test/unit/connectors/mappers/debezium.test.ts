import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createDebeziumMapper, DEBEZIUM_SKIPS, debeziumEventId } from '../../../../src/connectors/mappers/debezium.js';
import { decimalFromBytes, decimalText, decodeValue, epochDay, UNAVAILABLE_PLACEHOLDER } from '../../../../src/connectors/mappers/debeziumTypes.js';
import { decodePayload } from '../../../../src/connectors/payload.js';

/** Big-endian two's complement, as Kafka Connect's Decimal writes the unscaled value (written here independently of the decoder). */
function twosComplement(value: bigint): Buffer {
  let bytes = 1;
  while (value < -(1n << BigInt(bytes * 8 - 1)) || value >= 1n << BigInt(bytes * 8 - 1)) bytes += 1;
  const wrapped = value < 0n ? (1n << BigInt(bytes * 8)) + value : value;
  return Buffer.from(wrapped.toString(16).padStart(bytes * 2, '0'), 'hex');
}

/** unscaled / 10^scale by BigInt division, as the expected text. */
function expectedDecimal(unscaled: bigint, scale: number): string {
  if (scale === 0) return unscaled.toString();
  const factor = 10n ** BigInt(scale);
  const negative = unscaled < 0n;
  const abs = negative ? -unscaled : unscaled;
  const text = `${abs / factor}.${(abs % factor).toString().padStart(scale, '0')}`;
  return negative ? `-${text}` : text;
}

const message = { topic: 'legacy.public.users', partition: 0, offset: '7', timestamp: new Date(0), headers: {} };

const DAY_MS = 86_400_000;

describe('Debezium special types', () => {
  it('a Decimal (bytes and scale) decodes to its exact decimal text, for any unscaled value and scale', () => {
    fc.assert(
      fc.property(fc.bigInt({ min: -(2n ** 200n), max: 2n ** 200n }), fc.integer({ min: 0, max: 30 }), (unscaled, scale) => {
        const base64 = twosComplement(unscaled).toString('base64');
        expect(decimalFromBytes(base64, scale)).toBe(expectedDecimal(unscaled, scale));
        expect(decodeValue(base64, { type: 'bytes', name: 'org.apache.kafka.connect.data.Decimal', parameters: { scale: String(scale) } })).toBe(expectedDecimal(unscaled, scale));
        expect(decodeValue({ scale, value: base64 }, { type: 'struct', name: 'io.debezium.data.VariableScaleDecimal' })).toBe(expectedDecimal(unscaled, scale));
      }),
    );
  });

  it('negative scales append zeros; zero stays 0', () => {
    expect(decimalText(123n, -2)).toBe('12300');
    expect(decimalText(0n, -2)).toBe('0');
    expect(decimalText(-5n, 3)).toBe('-0.005');
  });

  it('a CPF stored as NUMERIC(11) comes back with its digits', () => {
    const base64 = twosComplement(52998224725n).toString('base64');
    expect(decodeValue(base64, { type: 'bytes', name: 'org.apache.kafka.connect.data.Decimal', parameters: { scale: '0', 'connect.decimal.precision': '11' } })).toBe('52998224725');
  });

  it('Date (days since the epoch) is the calendar day of that many days, for any day in years 0001-9999', () => {
    fc.assert(
      fc.property(fc.integer({ min: -719_162, max: 2_932_896 }), (days) => {
        const expected = new Date(days * DAY_MS).toISOString().slice(0, 10);
        expect(epochDay(days)).toBe(expected);
        expect(decodeValue(days, { type: 'int32', name: 'io.debezium.time.Date' })).toBe(expected);
        expect(decodeValue(days, { type: 'int32', name: 'org.apache.kafka.connect.data.Date' })).toBe(expected);
      }),
    );
  });

  it('Time, MicroTime and NanoTime are the time of day with their precision', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: DAY_MS - 1 }), fc.integer({ min: 0, max: 999_999 }), (ms, sub) => {
        const clock = new Date(ms).toISOString().slice(11, 19);
        const millis = String(ms % 1000).padStart(3, '0');
        expect(decodeValue(ms, { type: 'int32', name: 'io.debezium.time.Time' })).toBe(`${clock}.${millis}`);
        const micros = BigInt(ms) * 1000n + BigInt(sub % 1000);
        expect(decodeValue(Number(micros), { type: 'int64', name: 'io.debezium.time.MicroTime' })).toBe(`${clock}.${millis}${String(sub % 1000).padStart(3, '0')}`);
        const nanos = BigInt(ms) * 1_000_000n + BigInt(sub);
        expect(decodeValue(nanos.toString(), { type: 'int64', name: 'io.debezium.time.NanoTime' })).toBe(`${clock}.${millis}${String(sub).padStart(6, '0')}`);
      }),
    );
  });

  it('Timestamp, MicroTimestamp and NanoTimestamp are the local date-time with their precision, before the epoch too', () => {
    fc.assert(
      fc.property(fc.integer({ min: -62_135_596_800_000, max: 253_402_300_799_999 }), fc.integer({ min: 0, max: 999_999 }), (ms, sub) => {
        const iso = new Date(ms).toISOString();
        const expectedMs = iso.slice(0, 23);
        expect(decodeValue(ms, { type: 'int64', name: 'io.debezium.time.Timestamp' })).toBe(expectedMs);
        const micros = BigInt(ms) * 1000n + BigInt(sub % 1000);
        expect(decodeValue(micros.toString(), { type: 'int64', name: 'io.debezium.time.MicroTimestamp' })).toBe(`${expectedMs}${String(sub % 1000).padStart(3, '0')}`);
        const nanos = BigInt(ms) * 1_000_000n + BigInt(sub);
        expect(decodeValue(nanos.toString(), { type: 'int64', name: 'io.debezium.time.NanoTimestamp' })).toBe(`${expectedMs}${String(sub).padStart(6, '0')}`);
        expect(decodeValue(ms, { type: 'int64', name: 'org.apache.kafka.connect.data.Timestamp' })).toBe(iso);
      }),
    );
  });

  it('strings, ZonedTimestamp, numbers and booleans are taken as written; raw bytes, Bits and the TOAST placeholder are no value', () => {
    expect(decodeValue('2024-03-01T12:00:00.123456Z', { type: 'string', name: 'io.debezium.time.ZonedTimestamp' })).toBe('2024-03-01T12:00:00.123456Z');
    expect(decodeValue(42, { type: 'int32' })).toBe('42');
    expect(decodeValue('9007199254740993', { type: 'int64' })).toBe('9007199254740993');
    expect(decodeValue(true, { type: 'boolean' })).toBe('true');
    expect(decodeValue('AQID', { type: 'bytes' })).toBeUndefined();
    expect(decodeValue('AQ==', { type: 'bytes', name: 'io.debezium.data.Bits' })).toBeUndefined();
    expect(decodeValue(UNAVAILABLE_PLACEHOLDER, { type: 'string' })).toBeUndefined();
    expect(decodeValue(null, { type: 'string' })).toBeNull();
    expect(decodeValue(undefined, undefined)).toBeUndefined();
  });
});

const USERS_SCHEMA = {
  type: 'struct',
  name: 'legacy.public.users.Envelope',
  optional: false,
  fields: ['before', 'after'].map((field) => ({
    type: 'struct',
    optional: true,
    name: 'legacy.public.users.Value',
    field,
    fields: [
      { type: 'int64', optional: false, field: 'id' },
      { type: 'string', optional: false, field: 'email' },
      { type: 'string', optional: true, field: 'full_name' },
      { type: 'bytes', optional: true, name: 'org.apache.kafka.connect.data.Decimal', version: 1, parameters: { scale: '0', 'connect.decimal.precision': '11' }, field: 'cpf' },
      { type: 'int32', optional: true, name: 'io.debezium.time.Date', version: 1, field: 'born' },
      { type: 'int64', optional: true, name: 'io.debezium.time.MicroTimestamp', version: 1, field: 'updated_at' },
    ],
  })),
};

const CPF = twosComplement(52998224725n).toString('base64');

function envelope(op: string, after: Record<string, unknown> | null, source: Record<string, unknown> = { lsn: 24023128, ts_ms: 1_709_294_400_123, connector: 'postgresql' }) {
  return { before: null, after, source, op, ts_ms: 1_709_294_401_000 };
}

const mapper = createDebeziumMapper({ columns: { email: 'email', name: 'full_name', document_number: 'cpf', customer_id: 'id', city: 'city' } });

function decode(value: unknown, m = mapper) {
  const text = value === null ? null : Buffer.from(JSON.stringify(value));
  return decodePayload(text, { position: { kind: 'kafka', topic: message.topic, partition: 0, offset: '7' }, key: null, value: text, headers: {} }, {
    platform: 'legacy',
    mapper: m,
    knownPlatforms: new Set(['legacy']),
    maxBytes: 1_048_576,
    noun: 'message',
    message,
    fallbackEventId: 'legacy.public.users-0-7',
    fallbackEventTime: new Date(0),
  });
}

describe('debezium mapper', () => {
  const after = { id: 7, email: 'Ana@Example.com', full_name: 'Ana Souza', cpf: CPF, born: 19_000, updated_at: 1_709_294_400_123_456 };

  it('maps after with the column mapping, decoding by the schema; event time source.ts_ms, event id source.lsn', () => {
    const result = decode({ schema: USERS_SCHEMA, payload: envelope('u', after) });
    expect(result).toMatchObject({
      kind: 'record',
      record: {
        platform: 'legacy',
        email: 'Ana@Example.com',
        eventId: '24023128',
        eventTime: new Date(1_709_294_400_123),
        customer: { name: 'Ana Souza', document_number: '52998224725', customer_id: '7' },
        position: { kind: 'kafka', topic: 'legacy.public.users', offset: '7' },
      },
    });
    // A mapped column the row does not have is no value (not an empty one).
    if (result.kind === 'record') expect(result.record.address).toEqual({});
  });

  it('reads the same row without schemas, decoding columns by columnTypes', () => {
    const plain = createDebeziumMapper({ columns: { email: 'email', document_number: 'cpf', name: 'full_name' }, columnTypes: { cpf: { name: 'org.apache.kafka.connect.data.Decimal', scale: 0 } } });
    expect(decode(envelope('c', after), plain)).toMatchObject({ kind: 'record', record: { customer: { document_number: '52998224725', name: 'Ana Souza' } } });
    // Without a type, the bytes stay as written (base64): the reason columnTypes exists.
    expect(decode(envelope('c', after))).toMatchObject({ kind: 'record', record: { customer: { document_number: CPF } } });
  });

  it('snapshot reads (op r) map like inserts', () => {
    expect(decode({ schema: USERS_SCHEMA, payload: envelope('r', after) })).toMatchObject({ kind: 'record' });
  });

  it('skips deletes, truncates, tombstones and messages, counted under their reason', () => {
    expect(decode({ schema: USERS_SCHEMA, payload: { ...envelope('d', null), before: after } })).toEqual({ kind: 'skip', platform: 'legacy', reason: DEBEZIUM_SKIPS.delete });
    expect(decode(envelope('t', null))).toEqual({ kind: 'skip', platform: 'legacy', reason: DEBEZIUM_SKIPS.truncate });
    expect(decode(null)).toEqual({ kind: 'skip', platform: 'legacy', reason: DEBEZIUM_SKIPS.tombstone });
    expect(decode(envelope('m', null))).toEqual({ kind: 'skip', platform: 'legacy', reason: DEBEZIUM_SKIPS.other });
  });

  it('dead-letters what is not a Debezium event and an update without after; a row without email goes on to be rejected by the normalizer', () => {
    expect(decode({ hello: 'world' })).toMatchObject({ kind: 'invalid', letter: { reason: 'schema_invalid' } });
    expect(decode(envelope('c', { ...after, email: null }))).toMatchObject({ kind: 'record', record: { email: '' } });
    expect(decode(envelope('u', null))).toMatchObject({ kind: 'invalid', letter: { reason: 'mapping_failed', path: 'after' } });
  });

  it('keeps nanosecond and int64 values exact (beyond 2^53)', () => {
    const m = createDebeziumMapper({ columns: { email: 'email', customer_id: 'big' } });
    const text = `{"op":"c","after":{"email":"a@b.co","big":1152921504606846977},"source":{"lsn":1}}`;
    const result = decodePayload(Buffer.from(text), { position: { kind: 'kafka', topic: 't', partition: 0, offset: '1' }, key: null, value: null, headers: {} }, {
      platform: 'legacy',
      mapper: m,
      knownPlatforms: new Set(),
      maxBytes: 10_000,
      noun: 'message',
      message,
      fallbackEventId: 'x',
      fallbackEventTime: new Date(0),
    });
    expect(result).toMatchObject({ kind: 'record', record: { customer: { customer_id: '1152921504606846977' } } });
  });

  it('the event id is the connector\'s own position when it has no LSN, else none (the Kafka position then)', () => {
    expect(debeziumEventId({ lsn: 123 })).toBe('123');
    expect(debeziumEventId({ change_lsn: '00000027:00000758:0005' })).toBe('00000027:00000758:0005');
    expect(debeziumEventId({ scn: '289373' })).toBe('289373');
    expect(debeziumEventId({ file: 'mysql-bin.000003', pos: 154, row: 2 })).toBe('mysql-bin.000003:154:2');
    expect(debeziumEventId({})).toBeUndefined();
    expect(decode(envelope('c', after, { ts_ms: 5 }))).toMatchObject({ kind: 'record', record: { eventId: 'legacy.public.users-0-7', eventTime: new Date(5) } });
  });
});
