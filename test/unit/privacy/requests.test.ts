import type { KafkaMessage } from 'kafkajs';
import { describe, expect, it } from 'vitest';
import { decodeForgetMessage, parseEmailLines, parseForgetMessage } from '../../../src/privacy/requests.js';

describe('parseForgetMessage', () => {
  it('reads JSON with requester and reason, normalizing the email', () => {
    expect(parseForgetMessage('{"email":" Ana@Example.com ","requestedBy":"dpo","reason":"ticket 7","extra":1}', 'kafka:t')).toEqual({
      ok: true,
      request: { email: 'ana@example.com', requestedBy: 'dpo', reason: 'ticket 7' },
    });
  });

  it('reads a plain email or a JSON string, crediting the default requester', () => {
    expect(parseForgetMessage('  Bob@Example.org\n', 'kafka:t')).toEqual({ ok: true, request: { email: 'bob@example.org', requestedBy: 'kafka:t', reason: undefined } });
    expect(parseForgetMessage('"bob@example.org"', 'kafka:t')).toMatchObject({ ok: true, request: { email: 'bob@example.org' } });
  });

  it.each([
    ['{"email": "x', 'invalid_json'],
    ['{"name": "x"}', 'email_missing'],
    ['{"email": 42}', 'schema_invalid'],
    ['{"email": "a@b.com", "requestedBy": ""}', 'schema_invalid'],
    ['{"email": "not-an-email"}', 'email_invalid'],
    ['not-an-email', 'email_invalid'],
    ['   ', 'email_missing'],
  ])('%j is rejected as %s, without quoting the email', (text, reason) => {
    const parsed = parseForgetMessage(text, 'kafka:t');
    expect(parsed).toMatchObject({ ok: false, reason });
    if (!parsed.ok) expect(parsed.message).not.toContain('not-an-email');
  });
});

describe('parseEmailLines', () => {
  it('skips blanks and comments and reports invalid lines by number', () => {
    const text = '# DPO batch 12\nana@example.com\n\n  BOB@example.org  \nnot-an-email\r\n# end\nx@y\n';
    const { requests, invalid } = parseEmailLines(text, { requestedBy: 'dpo' });
    expect(requests.map((r) => [r.line, r.request.email])).toEqual([
      [2, 'ana@example.com'],
      [4, 'bob@example.org'],
    ]);
    expect(invalid.map((i) => [i.line, i.reason])).toEqual([
      [5, 'email_invalid'],
      [7, 'email_invalid'],
    ]);
  });
});

describe('decodeForgetMessage', () => {
  const message = (value: Buffer | null): KafkaMessage =>
    ({ key: Buffer.from('k'), value, headers: {}, offset: '5', timestamp: '1700000000000', attributes: 0 }) as KafkaMessage;

  it('turns a valid message into a request', () => {
    expect(decodeForgetMessage('forget', 0, message(Buffer.from('ana@example.com')), 1_000)).toEqual({
      kind: 'request',
      request: { email: 'ana@example.com', requestedBy: 'kafka:forget', reason: undefined },
    });
  });

  it.each([
    [null, 'empty_value'],
    [Buffer.from([0x7b, 0xff]), 'invalid_utf8'],
    [Buffer.from('x'.repeat(2_000)), 'too_large'],
    [Buffer.from('{"email":"nope"}'), 'email_invalid'],
  ])('dead-letters %#: %s, keeping the original bytes and position', (value, reason) => {
    const decoded = decodeForgetMessage('forget', 2, message(value), 1_000);
    expect(decoded.kind).toBe('invalid');
    if (decoded.kind !== 'invalid') return;
    expect(decoded.letter).toMatchObject({ reason, platform: 'custsync.forget', origin: { position: { kind: 'kafka', topic: 'forget', partition: 2, offset: '5' } } });
    expect(decoded.letter.origin.value).toEqual(value);
  });
});
