import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseDuration, type Duration } from '../../src/runtime/duration.js';
import { countInactive, inactiveCustomers, retentionCutoff, runRetention } from '../../src/privacy/retention.js';
import { emailHash } from '../../src/unifier/emailHash.js';
import { freshDatabase, type TestDatabase } from '../helpers/db.js';
import { testEngine } from '../helpers/engine.js';
import { makeIdle, person, seedPerson, testForgetter } from '../helpers/privacy.js';
import { record } from '../helpers/records.js';

function duration(text: string): Duration {
  const parsed = parseDuration(text);
  if (!parsed.ok) throw new Error(parsed.message);
  return parsed.duration;
}

describe('retention policy', () => {
  let db: TestDatabase;
  const age = (email: string, interval: string) => makeIdle(db.pool, [email], interval);

  beforeAll(async () => {
    db = await freshDatabase();
    const engine = testEngine(db.pool);
    for (const tag of ['old1', 'old2', 'recent', 'edge']) await seedPerson(engine, person(tag), `retention-${tag}`);
    // a bulk of inactive customers, to cross batch boundaries
    await engine.apply({
      records: Array.from({ length: 25 }, (_, i) => record({ email: `bulk${i}@example.com`, topic: 'retention-bulk', offset: i, customer: { name: `Bulk ${i}` } })),
    });
    await makeIdle(db.pool, Array.from({ length: 25 }, (_, i) => `bulk${i}@example.com`), '5 years');
    await age(person('old1').email, '4 years');
    await age(person('old2').email, '3 years 1 day');
    await age(person('recent').email, '2 years 11 months');
    await age(person('edge').email, '2 years 364 days');
  });
  afterAll(async () => {
    await db.drop();
  });

  it('selects customers with no update for the policy, calendar-aware, in pages', async () => {
    const cutoff = await retentionCutoff(db.pool, duration('3y'));
    expect(await countInactive(db.pool, cutoff)).toBe(27);
    const pages: number[] = [];
    const emails: (string | null)[] = [];
    for await (const page of inactiveCustomers(db.pool, cutoff, 10)) {
      pages.push(page.length);
      emails.push(...page.map((c) => c.email));
    }
    expect(pages).toEqual([10, 10, 7]);
    expect(emails).toContain(person('old1').email);
    expect(emails).toContain(person('old2').email);
    expect(emails).not.toContain(person('recent').email);
    expect(await countInactive(db.pool, await retentionCutoff(db.pool, duration('1y')))).toBe(29);
  });

  it("anonymizes them through the forget path with changed_by 'Retention Policy', and only them", async () => {
    const cutoff = await retentionCutoff(db.pool, duration('3y'));
    const batches: number[] = [];
    const result = await runRetention(db.pool, testForgetter(db.pool), {
      cutoff,
      batchSize: 10,
      requester: { requestedBy: 'retention run by test', reason: 'no update for 3y' },
      onBatch: (done) => batches.push(done),
    });
    expect(result).toEqual({ selected: 27, anonymized: 27, suppressionsAdded: 27, batches: 3 });
    expect(batches).toEqual([10, 20, 27]);

    const { rows } = await db.pool.query<{ changed_by: string; reason: string; n: number }>(
      `SELECT changed_by, reason, count(*)::int AS n FROM customer_logs WHERE field_name = 'pseudonymization' GROUP BY 1, 2`,
    );
    expect(rows).toEqual([{ changed_by: 'Retention Policy', reason: 'requested by retention run by test: no update for 3y', n: 27 }]);
    const { rows: left } = await db.pool.query<{ email: string }>(`SELECT email FROM customers WHERE name <> 'Anonymized Customer' ORDER BY email`);
    expect(left.map((r) => r.email)).toEqual([person('edge').email, person('recent').email]);
    const { rows: suppression } = await db.pool.query('SELECT reason, created_by FROM custsync.suppressions WHERE email_hash = $1', [emailHash(person('old1').email)]);
    expect(suppression).toEqual([{ reason: 'Retention Policy', created_by: 'retention run by test' }]);

    // a second run finds nothing: anonymized customers are not selected again
    expect(await countInactive(db.pool, await retentionCutoff(db.pool, duration('3y')))).toBe(0);
  });

  it('leaves alone a customer updated between selection and anonymization', async () => {
    const fresh = person('comeback');
    await seedPerson(testEngine(db.pool), fresh, 'retention-comeback');
    await age(fresh.email, '4 years');
    const cutoff = await retentionCutoff(db.pool, duration('3y'));
    let page: { id: number; email: string | null }[] | undefined;
    for await (const found of inactiveCustomers(db.pool, cutoff, 100)) page = found;
    expect(page?.map((c) => c.email)).toEqual([fresh.email]);
    await db.pool.query(`UPDATE customers SET updated_at = now() WHERE email = $1`, [fresh.email]); // the person came back
    const result = await testForgetter(db.pool).forgetCustomers(page?.map((c) => c.id) ?? [], 'Retention Policy', { requestedBy: 'test' }, cutoff);
    expect(result.pseudonymized).toEqual([]);
    expect((await db.pool.query('SELECT name FROM customers WHERE email = $1', [fresh.email])).rows[0].name).toBe(`${fresh.name} Jr`);
  });

  it('never lists or anonymizes a customer whose data has not changed for years but who keeps buying (activity is not change)', async () => {
    const loyal = person('loyal');
    const engine = testEngine(db.pool);
    await seedPerson(engine, loyal, 'retention-loyal');
    await age(loyal.email, '4 years');
    const cutoff = await retentionCutoff(db.pool, duration('3y'));
    const listed = async () => {
      const emails: (string | null)[] = [];
      for await (const page of inactiveCustomers(db.pool, cutoff, 100)) emails.push(...page.map((c) => c.email));
      return emails;
    };
    expect(await listed()).toContain(loyal.email); // idle for 4 years: the policy applies

    // A purchase webhook repeating exactly what is held, last week: nothing changes, no audit row...
    const { rows: before } = await db.pool.query(
      `SELECT c.updated_at, (SELECT count(*)::int FROM customer_logs l WHERE l.customer_id = c.id) AS logs FROM customers c WHERE c.email = $1`,
      [loyal.email],
    );
    const repeat = await engine.apply({
      records: [
        record({
          platform: 'stripe',
          email: loyal.email,
          topic: 'retention-loyal-purchases',
          offset: 0,
          time: new Date(Date.now() - 7 * 86_400_000),
          customer: { name: `${loyal.name} Jr` },
          address: { number: '1460' },
        }),
      ],
    });
    expect(repeat).toMatchObject({ applied: 1, changedCustomers: 0, auditRows: 0 });
    const { rows: after } = await db.pool.query(
      `SELECT c.updated_at, (SELECT count(*)::int FROM customer_logs l WHERE l.customer_id = c.id) AS logs FROM customers c WHERE c.email = $1`,
      [loyal.email],
    );
    expect(after).toEqual(before);

    // ...but the customer is active: neither listed (retention run --dry-run) nor anonymized by a real run.
    expect(await listed()).not.toContain(loyal.email);
    await runRetention(db.pool, testForgetter(db.pool), { cutoff, batchSize: 10, requester: { requestedBy: 'test' } });
    const { rows: kept } = await db.pool.query('SELECT name FROM customers WHERE email = $1', [loyal.email]);
    expect(kept).toEqual([{ name: `${loyal.name} Jr` }]);
  });

  it('leaves alone a customer whose webhook arrived between selection and anonymization', async () => {
    const buyer = person('buyer');
    const engine = testEngine(db.pool);
    await seedPerson(engine, buyer, 'retention-buyer');
    await age(buyer.email, '4 years');
    const cutoff = await retentionCutoff(db.pool, duration('3y'));
    let page: { id: number; email: string | null }[] = [];
    for await (const found of inactiveCustomers(db.pool, cutoff, 100)) page = [...page, ...found];
    expect(page.map((c) => c.email)).toContain(buyer.email);
    await engine.apply({ records: [record({ email: buyer.email, topic: 'retention-buyer-late', offset: 0, time: new Date() })] });
    const result = await testForgetter(db.pool).forgetCustomers(
      page.filter((c) => c.email === buyer.email).map((c) => c.id),
      'Retention Policy',
      { requestedBy: 'test' },
      cutoff,
    );
    expect(result.pseudonymized).toEqual([]);
  });
});
