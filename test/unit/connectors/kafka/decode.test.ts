import { describe, expect, it } from 'vitest';
import type { KafkaMessage } from 'kafkajs';
import { decodeMessage, type DecodeContext } from '../../../../src/connectors/kafka/decode.js';
import { defineMapper } from '../../../../src/connectors/mappers/Mapper.js';
import { mapperFor } from '../../../../src/connectors/mappers/registry.js';
import { z } from 'zod';

const message = (value: string | Buffer | null, headers: KafkaMessage['headers'] = {}): KafkaMessage => ({
  key: Buffer.from('k'),
  value: typeof value === 'string' ? Buffer.from(value) : value,
  timestamp: String(Date.UTC(2024, 4, 1)),
  attributes: 0,
  offset: '42',
  headers,
});

const context = (mapper = 'generic', maxMessageBytes = 1_000): DecodeContext => ({
  platform: 'crm',
  mapper: mapperFor(mapper),
  knownPlatforms: new Set(['crm', 'hotmart']),
  maxMessageBytes,
});

const reasonOf = (value: string | Buffer | null, ctx = context()) => {
  const result = decodeMessage('topic', 1, message(value), ctx);
  return result.kind === 'invalid' ? result.letter.reason : result.kind;
};

describe('decodeMessage', () => {
  it('dead-letters each kind of bad input with a stable reason', () => {
    expect(reasonOf(null)).toBe('empty_value');
    expect(reasonOf('x'.repeat(1_001))).toBe('too_large');
    expect(reasonOf(Buffer.from([0xc3, 0x28]))).toBe('invalid_utf8');
    expect(reasonOf('{"a":')).toBe('invalid_json');
    expect(reasonOf('{"eventId":1}')).toBe('schema_invalid');
    expect(reasonOf(JSON.stringify({ eventId: 'e', eventTime: '2024-01-01T00:00:00Z', email: 'a@example.com', platform: 'ghost' }))).toBe('unknown_platform');
  });

  it('keeps the original bytes, key and origin on a dead letter, and no payload text in the message', () => {
    const result = decodeMessage('topic', 1, message('{"email": "secret@example.com"'), context());
    expect(result.kind).toBe('invalid');
    if (result.kind !== 'invalid') return;
    expect(result.letter.origin).toMatchObject({ position: { kind: 'kafka', topic: 'topic', partition: 1, offset: '42' }, key: Buffer.from('k') });
    expect(result.letter.origin.value?.toString()).toBe('{"email": "secret@example.com"');
    expect(result.letter.message).not.toContain('secret');
  });

  it('falls back to topic-partition-offset and the broker timestamp when the payload has no event id or time', () => {
    const bare = defineMapper({
      name: 'bare',
      schema: z.object({ email: z.string() }),
      map: (payload) => ({ kind: 'record', record: { email: payload.email, customer: {}, address: {} } }),
    });
    const result = decodeMessage('topic', 1, message('{"email":"a@example.com"}'), { ...context(), mapper: bare });
    if (result.kind !== 'record') throw new Error(`expected a record, got ${result.kind}`);
    expect(result.record.eventId).toBe('topic-1-42');
    expect(result.record.eventTime.toISOString()).toBe('2024-05-01T00:00:00.000Z');
    const kiwify = JSON.stringify({ order_id: 'o1', order_status: 'paid', Customer: { email: 'b@example.com' } });
    const k = decodeMessage('topic', 1, message(kiwify), { ...context('kiwify'), platform: 'kiwify', knownPlatforms: new Set(['kiwify']) });
    if (k.kind !== 'record') throw new Error(`expected a record, got ${k.kind}`);
    expect(k.record.eventTime.toISOString()).toBe('2024-05-01T00:00:00.000Z');
  });

  it('keeps Shopify ids beyond 2^53 exact', () => {
    const shopify = '{"id":706405506930370084,"email":"bob@example.com","updated_at":"2024-01-01T00:00:00Z"}';
    const result = decodeMessage('topic', 0, message(shopify), { ...context('shopify'), platform: 'shopify', knownPlatforms: new Set(['shopify']) });
    if (result.kind !== 'record') throw new Error(`expected a record, got ${result.kind}`);
    expect(result.record.customer.customer_id).toBe('706405506930370084');
  });

  it('turns a mapper bug into a dead letter instead of blocking the partition', () => {
    const broken = defineMapper({ name: 'broken', schema: z.unknown(), map: () => { throw new TypeError('boom'); } });
    const result = decodeMessage('topic', 0, message('{}'), { ...context(), mapper: broken });
    expect(result.kind === 'invalid' && result.letter.reason).toBe('mapping_failed');
  });

  it('skips event types without customer data instead of dead-lettering them', () => {
    const deleted = JSON.stringify({ id: 'evt_2', created: 1, type: 'customer.deleted', data: { object: { id: 'cus_1', email: 'a@example.com' } } });
    expect(reasonOf(deleted, { ...context('stripe'), platform: 'stripe', knownPlatforms: new Set(['stripe']) })).toBe('skip');
  });
});
