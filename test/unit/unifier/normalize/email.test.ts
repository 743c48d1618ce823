import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { normalizeEmail, type RejectReason } from '../../../../src/unifier/normalize/index.js';
import { messyString, validEmailArb } from './arbitraries.js';

/** The seed's SQL: `lower(trim(email))`, where trim removes spaces only. */
function sqlLowerTrim(value: string): string {
  return value.replace(/^ +| +$/g, '').toLowerCase();
}

describe('normalizeEmail: accepted', () => {
  it.each([
    ['ana@example.com', 'ana@example.com'],
    ['  Ana@Example.COM  ', 'ana@example.com'],
    ['\tana@example.com\r\n', 'ana@example.com'],
    [' \n JOAO.SILVA+promo@Example.com.br \t', 'joao.silva+promo@example.com.br'],
    ["o'brien@example.ie", "o'brien@example.ie"],
    ['user_name-1@sub.example.co.uk', 'user_name-1@sub.example.co.uk'],
    ['1234@example.com', '1234@example.com'],
    ['ana@123.example.com', 'ana@123.example.com'],
    ['ana@my-domain.example', 'ana@my-domain.example'],
    ['a@b.co', 'a@b.co'],
    ['ÁLVARO@Exemplo.COM.BR', 'álvaro@exemplo.com.br'],
    ['ana@exämple.de', 'ana@exämple.de'],
    ['ana@Bücher.Example', 'ana@bücher.example'],
    ['ana@example.xn--p1ai', 'ana@example.xn--p1ai'],
    ['ana@xn--bcher-kva.example', 'ana@xn--bcher-kva.example'],
    ['ana@例え.テスト', 'ana@例え.テスト'],
    ['ΑΝΑ@example.gr', 'ανα@example.gr'],
    ['ana!#$%&*=?^`{|}~@example.com', 'ana!#$%&*=?^`{|}~@example.com'],
    [`${'a'.repeat(64)}@example.com`, `${'a'.repeat(64)}@example.com`],
    [`ana@${'d'.repeat(63)}.example.com`, `ana@${'d'.repeat(63)}.example.com`],
  ])('%j → %j', (raw, expected) => {
    expect(normalizeEmail(raw)).toEqual({ ok: true, email: expected });
  });

  it('accepts exactly 255 characters, counted in code points', () => {
    const domain = `${'b'.repeat(60)}.${'c'.repeat(60)}.${'d'.repeat(60)}.example`;
    const local = 'a'.repeat(255 - 1 - domain.length);
    expect(normalizeEmail(`${local}@${domain}`)).toEqual({ ok: true, email: `${local}@${domain}` });
    const emoji = '😀'.repeat(60);
    const withEmoji = `${emoji}@${'e'.repeat(60)}.${'f'.repeat(60)}.${'g'.repeat(60)}.com`;
    expect([...withEmoji].length).toBe(247);
    expect(withEmoji.length).toBeGreaterThan(255);
    expect(normalizeEmail(withEmoji).ok).toBe(true);
  });
});

describe('normalizeEmail: rejected', () => {
  it.each<[string | null | undefined, RejectReason]>([
    [null, 'email_missing'],
    [undefined, 'email_missing'],
    ['', 'email_missing'],
    ['   ', 'email_missing'],
    ['\t\n\r ', 'email_missing'],
    ['\u00a0', 'email_missing'],
    ['anaexample.com', 'email_invalid'],
    ['ana@@example.com', 'email_invalid'],
    ['ana@bia@example.com', 'email_invalid'],
    ['@example.com', 'email_invalid'],
    ['ana@', 'email_invalid'],
    ['ana@example', 'email_invalid'],
    ['ana@localhost', 'email_invalid'],
    ['ana@example.c', 'email_invalid'],
    ['ana@example.c0m', 'email_invalid'],
    ['ana@example.123', 'email_invalid'],
    ['ana@-example.com', 'email_invalid'],
    ['ana@example-.com', 'email_invalid'],
    ['ana@example..com', 'email_invalid'],
    ['ana@.example.com', 'email_invalid'],
    ['ana@example.com.', 'email_invalid'],
    ['ana@exa_mple.com', 'email_invalid'],
    ['ana@[203.0.113.7]', 'email_invalid'],
    ['"ana"@example.com', 'email_invalid'],
    ['"ana smith"@example.com', 'email_invalid'],
    ['<ana@example.com>', 'email_invalid'],
    ['Ana Souza <ana@example.com>', 'email_invalid'],
    ['ana,bia@example.com', 'email_invalid'],
    ['ana;bia@example.com', 'email_invalid'],
    ['ana\\bia@example.com', 'email_invalid'],
    ['ana(comment)@example.com', 'email_invalid'],
    ['ana smith@example.com', 'email_invalid'],
    ['ana@exam ple.com', 'email_invalid'],
    ['ana\t@example.com', 'email_invalid'],
    ['ana\n@example.com', 'email_invalid'],
    ['ana\u00a0@example.com', 'email_invalid'],
    ['\u00a0ana@example.com', 'email_invalid'],
    ['ana@example.com\u3000', 'email_invalid'],
    ['ana\u0000@example.com', 'email_invalid'],
    ['ana@example.com\u0000', 'email_invalid'],
    ['ana\u0007@example.com', 'email_invalid'],
    ['ana\u007f@example.com', 'email_invalid'],
    ['ana\u200b@example.com', 'email_invalid'],
    ['ana\ud800@example.com', 'email_invalid'],
    [`${'a'.repeat(65)}@example.com`, 'email_invalid'],
    [`ana@${'d'.repeat(64)}.example.com`, 'email_invalid'],
  ])('%j → %s', (raw, reason) => {
    const result = normalizeEmail(raw);
    expect(result).toMatchObject({ ok: false, reason });
  });

  it.each<[string, string]>([
    ['256 ASCII characters', `${'a'.repeat(64)}@${'b'.repeat(187)}.com`],
    ['a million characters', 'a'.repeat(1_000_000)],
    ['256 emoji padded with spaces', `  ${'😀'.repeat(256)}  `],
    ['a lower-casing that grows past 255 (İ → i̇)', `${'İ'.repeat(64)}@${'b'.repeat(180)}.com`],
  ])('rejects %s as email_too_long', (_label, raw) => {
    expect(normalizeEmail(raw)).toMatchObject({ ok: false, reason: 'email_too_long' });
  });

  it('never puts the address in the message (it is logged)', () => {
    for (const raw of ['ana smith@example.com', '"ana"@example.com', 'ana@example', 'ana.souza']) {
      const result = normalizeEmail(raw);
      expect(result.ok).toBe(false);
      if (!result.ok) expect(result.message).not.toContain('ana');
    }
  });
});

describe('normalizeEmail: properties', () => {
  it('is idempotent', () => {
    fc.assert(
      fc.property(fc.oneof(validEmailArb, messyString), (raw) => {
        const once = normalizeEmail(raw);
        if (once.ok) expect(normalizeEmail(once.email)).toEqual(once);
      }),
      { numRuns: 500 },
    );
  });

  it('equals SQL lower(trim()) whenever accepted and padded with spaces', () => {
    const padding = fc.stringMatching(/^ {0,5}$/);
    fc.assert(
      fc.property(padding, fc.oneof(validEmailArb, messyString), padding, (left, core, right) => {
        const raw = `${left}${core}${right}`;
        const result = normalizeEmail(raw);
        if (result.ok && !/^[\t\n\v\f\r]|[\t\n\v\f\r]$/.test(core.replace(/^ +| +$/g, ''))) {
          expect(result.email).toBe(sqlLowerTrim(raw));
        }
      }),
      { numRuns: 500 },
    );
  });

  it('accepts the addresses fast-check considers valid, as lower(trim())', () => {
    fc.assert(
      fc.property(validEmailArb, (email) => {
        expect(normalizeEmail(` ${email} `)).toEqual({ ok: true, email: sqlLowerTrim(email) });
      }),
      { numRuns: 500 },
    );
  });

  it('normalizes case and space variants of one address to the same string', () => {
    const variant = (email: string): fc.Arbitrary<string> =>
      fc
        .tuple(
          fc.array(fc.boolean(), { minLength: email.length, maxLength: email.length }),
          fc.stringMatching(/^[ \t\n\r]{0,4}$/),
          fc.stringMatching(/^[ \t\n\r]{0,4}$/),
        )
        .map(([upper, left, right]) => left + [...email].map((c, i) => (upper[i] ? c.toUpperCase() : c)).join('') + right);
    fc.assert(
      fc.property(
        validEmailArb.chain((email) => fc.tuple(fc.constant(email), variant(email), variant(email))),
        ([email, a, b]) => {
          const expected = { ok: true, email: email.toLowerCase() };
          expect(normalizeEmail(a)).toEqual(expected);
          expect(normalizeEmail(b)).toEqual(expected);
        },
      ),
      { numRuns: 500 },
    );
  });

  it('never throws, and accepted addresses are trimmed, lower-case, ≤ 255, free of whitespace and controls', () => {
    fc.assert(
      fc.property(fc.oneof(validEmailArb, messyString), (raw) => {
        const result = normalizeEmail(raw);
        if (!result.ok) {
          expect(['email_missing', 'email_invalid', 'email_too_long']).toContain(result.reason);
          return;
        }
        expect(result.email).toBe(result.email.toLowerCase());
        expect([...result.email].length).toBeLessThanOrEqual(255);
        expect(result.email).not.toMatch(/[\s\p{Cc}\p{Cf}]/u);
        expect(result.email.split('@')).toHaveLength(2);
      }),
      { numRuns: 1000 },
    );
  });
});
