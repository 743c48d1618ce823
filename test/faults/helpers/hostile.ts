import { isCustomerField, type Field } from '../../../src/contract.js';
import { interleave, json, type Expectation, type FaultTopics, type LiteralCheck, type Outgoing } from './messages.js';
import { CONTROL_VALUES, HTML_VALUES, SCRIPT_VALUES, SQL_VALUES } from './hostileValues.js';
import type { Random } from './stream.js';
import type { DeadLetterReason } from '../../../src/contract.js';

/**
 * Hostile input: malformed messages (each tagged with the dead-letter reason
 * it must get) and tricky but valid ones (each tagged with the exact value
 * that must be stored, written here by hand, not computed by custsync's
 * normalization). Every tricky message has an email of its own, so the
 * value it carries is the one its customer ends up with.
 *
 * Kinds: invalid JSON, wrong types, missing / empty / invalid / too long
 * email, unknown platform, mapping failures in real platform formats,
 * invalid UTF-8, empty values, messages over kafka.maxMessageBytes, 1 MB
 * fields inside valid messages, NUL bytes, unpaired surrogates, values longer
 * than their columns, quotes and SQL meta-characters, HTML and script,
 * emoji and non-Latin scripts, control characters, case and space variants
 * of one email, duplicate JSON keys, a byte-order mark, unknown keys.
 */

const BASE_TIME = Date.UTC(2024, 6, 1);
const MB = 1_000_000;

interface Kind {
  what: string;
  count: number;
  make(n: number): { topic: string; key: string | null; value: Buffer | null; expect: Expectation };
}

function generic(n: number, email: string, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return { eventId: `hostile:${n}`, eventTime: new Date(BASE_TIME + n * 1_000).toISOString(), platform: 'crm', email, ...extra };
}

const malformed = (reason: DeadLetterReason, what: string): Expectation => ({ kind: 'malformed', reason, what });

/**
 * A tricky value in `field`, with the value that must be stored (null: must
 * be dropped), plus an ordinary `neighborhood` so the customer exists even
 * when the tricky value is dropped.
 */
function tricky(topics: FaultTopics, what: string, field: Field, raw: string, stored: string | null) {
  return (n: number) => {
    const email = `t${n}@tricky.example.com`;
    const customer: Record<string, string> = {};
    const address: Record<string, string> = field === 'neighborhood' ? {} : { neighborhood: 'Centro' };
    if (isCustomerField(field)) customer[field] = raw;
    else address[field] = raw;
    const literal: LiteralCheck[] = [{ email, field, value: stored }];
    const payload = generic(n, email, { customer, address });
    return { topic: topics.generic, key: email, value: json(payload), expect: { kind: 'valid', what, literal } as Expectation };
  };
}

/** Cycles through `values` (each [raw, stored]). */
function cycling(values: readonly (readonly [string, string | null])[], n: number): readonly [string, string | null] {
  return values[n % values.length] as readonly [string, string | null];
}

export function hostileMessages(topics: FaultTopics, random: Random, firstId: number): Outgoing[] {
  const g = topics.generic;
  const kinds: Kind[] = [
    // ---------------------------------------------------------------- malformed
    {
      what: 'invalid JSON',
      count: 900,
      make: (n) => {
        const valid = JSON.stringify(generic(n, `j${n}@bad.example.com`));
        const variants = [
          valid.slice(0, 10 + (n % 30)),
          "{'eventId': 'x', 'email': 'a@b.com'}",
          `${valid}}}`,
          'hello, world',
          valid.replace(/"eventTime":"[^"]*"/, '"eventTime":NaN'),
          valid.replace('hostile:', 'host\u0001ile:'),
          `${valid}\u0000`,
          '{eventId: 1, email: "a@b.com"}',
          `${valid},${valid}`,
        ];
        const text = variants[n % variants.length] as string;
        return { topic: g, key: `junk-${n}`, value: Buffer.from(text, 'utf8'), expect: malformed('invalid_json', 'invalid JSON') };
      },
    },
    {
      what: 'wrong types',
      count: 1_200,
      make: (n) => {
        const email = `w${n}@bad.example.com`;
        const variants: Record<string, unknown>[] | unknown[] = [
          generic(n, email, { email: 42 }),
          generic(n, email, { email: null }),
          (({ email: _e, ...rest }) => rest)(generic(n, email)),
          generic(n, email, { eventTime: 'yesterday' }),
          (({ eventTime: _t, ...rest }) => rest)(generic(n, email)),
          generic(n, email, { eventId: '' }),
          generic(n, email, { eventId: 'x'.repeat(300) }),
          generic(n, email, { customer: { name: 12345 } }),
          generic(n, email, { customer: ['Ana'] }),
          generic(n, email, { address: { city: { name: 'Recife' } } }),
          generic(n, email, { eventTime: -5 }),
          generic(n, email, { eventTime: 1.5 }),
          generic(n, email, { platform: '' }),
          [generic(n, email)],
          null,
          42,
          'just a string',
          {},
        ];
        const value = variants[n % variants.length];
        return { topic: g, key: email, value: json(value), expect: malformed('schema_invalid', 'wrong types') };
      },
    },
    {
      what: 'wrong types (hotmart, stripe, kiwify formats)',
      count: 300,
      make: (n) => {
        const email = `wp${n}@bad.example.com`;
        switch (n % 3) {
          case 0:
            return { topic: topics.hotmart, key: email, value: json({ id: `hmx-${n}`, creation_date: 'today', event: 'PURCHASE_APPROVED', data: { buyer: { email } } }), expect: malformed('schema_invalid', 'hotmart creation_date as a string') };
          case 1:
            return { topic: topics.stripe, key: email, value: json({ id: `evtx_${n}`, type: 'customer.updated', created: 1_700_000_000, data: { object: { id: `cus_x${n}`, email: 12345 } } }), expect: malformed('schema_invalid', 'stripe email as a number') };
          default:
            return { topic: topics.kiwify, key: email, value: json({ order_status: 'paid', Customer: { email } }), expect: malformed('schema_invalid', 'kiwify order without order_id') };
        }
      },
    },
    {
      what: 'missing email',
      count: 500,
      make: (n) => {
        const email = ['', '   ', '\t\n'][n % 3] as string;
        return { topic: g, key: `missing-${n}`, value: json(generic(n, email)), expect: malformed('email_missing', 'empty email') };
      },
    },
    {
      what: 'missing email (hotmart, stripe, kiwify formats)',
      count: 600,
      make: (n) => {
        const key = `mf-${n}`;
        switch (n % 4) {
          case 0:
            return { topic: topics.hotmart, key, value: json({ id: `hmm-${n}`, creation_date: BASE_TIME, event: 'PURCHASE_APPROVED', data: { buyer: { name: 'Sem Email' } } }), expect: malformed('mapping_failed', 'hotmart buyer without email') };
          case 1:
            return { topic: topics.hotmart, key, value: json({ id: `hmm-${n}`, creation_date: BASE_TIME, event: 'PURCHASE_COMPLETE', data: { buyer: { email: '   ', name: 'Blank' } } }), expect: malformed('mapping_failed', 'hotmart buyer with a blank email') };
          case 2:
            return { topic: topics.stripe, key, value: json({ id: `evtm_${n}`, type: 'customer.created', created: 1_700_000_000, data: { object: { id: `cus_m${n}`, email: null, name: 'No Mail' } } }), expect: malformed('mapping_failed', 'stripe customer without email') };
          default:
            return { topic: topics.kiwify, key, value: json({ order_id: `kwm-${n}`, webhook_event_type: 'order_approved', Customer: { full_name: 'Sem Email' } }), expect: malformed('mapping_failed', 'kiwify customer without email') };
        }
      },
    },
    {
      what: 'invalid email',
      count: 900,
      make: (n) => {
        const variants = [
          `not-an-email-${n}`,
          `user${n}@localhost`,
          `user ${n}@example.com`,
          `user${n}\u0000@example.com`,
          `<user${n}@example.com>`,
          `a${n}@b@example.com`,
          `user${n}@-example.com`,
          `"user${n}"@example.com`,
          `user${n}@example.c`,
          `user\u200b${n}@example.com`,
          `user${n}@exa mple.com`,
          `@example${n}.com`,
          `user${n}@`,
          `user${n}@example..com`,
          `${'x'.repeat(65)}${n}@example.com`,
          `user${n}@example.com; DROP TABLE customers`,
        ];
        const email = variants[n % variants.length] as string;
        return { topic: g, key: `invalid-${n}`, value: json(generic(n, email)), expect: malformed('email_invalid', 'invalid email') };
      },
    },
    {
      what: 'email longer than its column',
      count: 200,
      make: (n) => ({ topic: g, key: `long-${n}`, value: json(generic(n, `${'l'.repeat(250)}${n}@example.com`)), expect: malformed('email_too_long', 'email of 260+ characters') }),
    },
    {
      what: 'unknown platform',
      count: 300,
      make: (n) => {
        const email = `u${n}@bad.example.com`;
        const platform = ['myspace', 'CRM', 'crm ', 'stripe2'][n % 4];
        return { topic: g, key: email, value: json(generic(n, email, { platform })), expect: malformed('unknown_platform', 'unknown platform') };
      },
    },
    {
      what: 'invalid UTF-8',
      count: 600,
      make: (n) => {
        const [head = '', tail = ''] = JSON.stringify(generic(n, `utf${n}@bad.example.com`, { customer: { name: 'XX' } })).split('XX');
        const bad = [[0xc3, 0x28], [0xff], [0xc0, 0xaf], [0xed, 0xa0, 0x80], [0xe2, 0x82], [0xf8, 0x88, 0x80, 0x80, 0x80], [0x80]][n % 7] as number[];
        return { topic: g, key: `utf-${n}`, value: Buffer.concat([Buffer.from(head), Buffer.from(bad), Buffer.from(tail)]), expect: malformed('invalid_utf8', 'invalid UTF-8 bytes') };
      },
    },
    {
      what: 'empty value',
      count: 200,
      make: (n) => ({ topic: g, key: `empty-${n}`, value: n % 2 === 0 ? null : Buffer.alloc(0), expect: malformed('empty_value', n % 2 === 0 ? 'tombstone' : 'zero-byte value') }),
    },
    {
      what: 'message over kafka.maxMessageBytes (1 MiB)',
      count: 6,
      make: (n) => {
        const email = `big${n}@bad.example.com`;
        const size = 1_100_000 + (n % 3) * 200_000;
        return { topic: g, key: email, value: json(generic(n, email, { customer: { name: 'B'.repeat(size) } })), expect: malformed('too_large', `${(size / MB).toFixed(1)} MB message`) };
      },
    },
    // ------------------------------------------------------- tricky but valid
    {
      what: 'case and space variants of one email',
      count: 1_000,
      make: (n) => {
        const group = Math.floor(n / 5);
        const base = `variant.${group}@case.example.com`;
        const variants = [
          ` Variant.${group}@Case.Example.COM `,
          base,
          base.toUpperCase(),
          `\t${base}\n`,
          `vARIANT.${group}@CASE.example.com  `,
        ];
        const email = variants[n % 5] as string;
        const payload = generic(n, email, { platform: ['crm', 'erp', 'shop', 'support'][n % 4], customer: { name: `Variant ${n % 5}` } });
        return { topic: g, key: base, value: json(payload), expect: { kind: 'valid', what: 'case/space variant of one email', customers: [base] } };
      },
    },
    {
      what: 'quotes and SQL meta-characters',
      count: 650,
      make: (n) => {
        const [raw, stored] = cycling(SQL_VALUES, n);
        const field: Field = (['name', 'complement', 'address', 'customer_id'] as const)[n % 4] as Field;
        return tricky(topics, 'quotes and SQL meta-characters', field, raw, stored)(n);
      },
    },
    {
      what: 'HTML and script strings',
      count: 560,
      make: (n) => {
        const [raw, stored] = cycling(HTML_VALUES, n);
        const field: Field = (['name', 'city', 'neighborhood', 'complement'] as const)[n % 4] as Field;
        return tricky(topics, 'HTML and script', field, raw, stored)(n);
      },
    },
    {
      what: 'emoji and non-Latin names',
      count: 720,
      make: (n) => {
        const [raw, stored] = cycling(SCRIPT_VALUES, n);
        const field: Field = (['name', 'city', 'neighborhood'] as const)[n % 3] as Field;
        return tricky(topics, 'emoji and non-Latin scripts', field, raw, stored)(n);
      },
    },
    {
      what: 'non-Latin and mixed-case emails',
      count: 300,
      make: (n) => {
        const variants = [
          [`JOSÉ.ÑANDÚ${n}@EXÄMPLE.COM`, `josé.ñandú${n}@exämple.com`],
          [`Владимир${n}@Пример.РФ`, `владимир${n}@пример.рф`],
          [`First.Last+Tag${n}@Sub.Example.co.uk`, `first.last+tag${n}@sub.example.co.uk`],
          [`o'brien${n}@example.ie`, `o'brien${n}@example.ie`],
          [`${'X'.repeat(58)}${String(n).padStart(6, '0')}@Example.com`, `${'x'.repeat(58)}${String(n).padStart(6, '0')}@example.com`],
        ] as const;
        const [raw, email] = variants[n % variants.length] as readonly [string, string];
        return { topic: g, key: email, value: json(generic(n, raw, { customer: { name: 'Unicode Mail' } })), expect: { kind: 'valid', what: 'non-Latin or unusual email', customers: [email], literal: [{ email, field: 'name', value: 'Unicode Mail' }] } };
      },
    },
    {
      what: 'control characters and odd whitespace',
      count: 300,
      make: (n) => {
        const [raw, stored] = cycling(CONTROL_VALUES, n);
        return tricky(topics, 'control characters', (['name', 'complement'] as const)[n % 2] as Field, raw, stored)(n);
      },
    },
    {
      what: 'NUL byte inside a value (JSON escape)',
      count: 200,
      make: (n) => tricky(topics, 'NUL byte', n % 2 === 0 ? 'name' : 'city', `Ana\u0000${n}`, null)(n),
    },
    {
      what: 'unpaired surrogate (JSON escape)',
      count: 200,
      make: (n) => tricky(topics, 'unpaired surrogate', n % 2 === 0 ? 'name' : 'complement', `Ana \ud83d${n}`, null)(n),
    },
    {
      what: 'values longer than their columns',
      count: 400,
      make: (n) => {
        const variants: [Field, string, string | null][] = [
          ['name', 'N'.repeat(256), null],
          ['name', 'N'.repeat(255), 'N'.repeat(255)],
          ['name', '😀'.repeat(255), '😀'.repeat(255)],
          ['name', '😀'.repeat(256), null],
          ['city', 'C'.repeat(101), null],
          ['neighborhood', 'b'.repeat(100), 'b'.repeat(100)],
          ['number', '9'.repeat(21), null],
          ['customer_id', `id-${'z'.repeat(300)}`, null],
        ];
        const [field, raw, stored] = variants[n % variants.length] as [Field, string, string | null];
        return tricky(topics, 'value longer than its column', field, raw, stored)(n);
      },
    },
    {
      what: '1 MB field inside a valid message (under 1 MiB)',
      count: 4,
      make: (n) => {
        const email = `t${n}@tricky.example.com`;
        const payload = generic(n, email, { customer: { name: 'M'.repeat(MB) }, address: { city: 'Recife' } });
        return {
          topic: g,
          key: email,
          value: json(payload),
          expect: { kind: 'valid', what: '1 MB name (dropped, the rest applied)', literal: [{ email, field: 'name', value: null }, { email, field: 'city', value: 'Recife' }] },
        };
      },
    },
    {
      what: 'byte-order mark, duplicate keys, unknown keys',
      count: 300,
      make: (n) => {
        const email = `t${n}@tricky.example.com`;
        const literal: LiteralCheck[] = [{ email, field: 'name', value: 'Odd JSON' }];
        const valid = JSON.stringify(generic(n, email, { customer: { name: 'Odd JSON' } }));
        switch (n % 3) {
          case 0:
            return { topic: g, key: email, value: Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(valid)]), expect: { kind: 'valid', what: 'UTF-8 byte-order mark', literal } };
          case 1:
            // JSON.parse keeps the last of duplicate keys.
            return { topic: g, key: email, value: Buffer.from(`{"email":"decoy${n}@tricky.example.com",${valid.slice(1)}`), expect: { kind: 'valid', what: 'duplicate JSON keys', literal, customers: [email], absent: [`decoy${n}@tricky.example.com`] } };
          default:
            return { topic: g, key: email, value: Buffer.from(`{"__proto__":{"isAdmin":true},"constructor":{"prototype":{}},"extra":{"a":[1,{"b":null}]},${valid.slice(1)}`), expect: { kind: 'valid', what: 'unknown and prototype keys', literal } };
        }
      },
    },
    {
      what: 'tricky values in platform formats',
      count: 300,
      make: (n) => {
        const email = `t${n}@tricky.example.com`;
        const [raw, stored] = cycling([...HTML_VALUES, ...SCRIPT_VALUES, ...SQL_VALUES], n);
        const literal: LiteralCheck[] = [{ email, field: 'name', value: stored }];
        switch (n % 3) {
          case 0:
            return { topic: topics.hotmart, key: email, value: json({ id: `hmt-${n}`, creation_date: BASE_TIME + n, event: 'PURCHASE_APPROVED', data: { buyer: { email, name: raw } } }), expect: { kind: 'valid', what: 'hotmart tricky name', literal } };
          case 1:
            return { topic: topics.stripe, key: email, value: json({ id: `evtt_${n}`, type: 'customer.created', created: 1_700_000_000 + n, data: { object: { id: `cus_t${n}`, email, name: raw } } }), expect: { kind: 'valid', what: 'stripe tricky name', literal } };
          default:
            return { topic: topics.kiwify, key: email, value: json({ order_id: `kwt-${n}`, webhook_event_type: 'order_approved', updated_at: '2024-07-01 10:00:00', Customer: { email, full_name: raw } }), expect: { kind: 'valid', what: 'kiwify tricky name', literal } };
        }
      },
    },
  ];

  // Each kind draws its numbers from one shared counter, so every email and event id is unique.
  let n = 0;
  const lists = kinds.map((kind) => Array.from({ length: kind.count }, () => kind.make(n++)));
  let id = firstId;
  return interleave(lists, random).map((m) => ({ id: id++, ...m }));
}

/** What the hostile generator produces, by kind (for the report). */
export function hostileSummary(messages: readonly Outgoing[]): { malformed: number; tricky: number; byWhat: Map<string, number> } {
  const byWhat = new Map<string, number>();
  let malformedCount = 0;
  let trickyCount = 0;
  for (const m of messages) {
    byWhat.set(m.expect.what, (byWhat.get(m.expect.what) ?? 0) + 1);
    if (m.expect.kind === 'malformed') malformedCount += 1;
    else trickyCount += 1;
  }
  return { malformed: malformedCount, tricky: trickyCount, byWhat };
}
