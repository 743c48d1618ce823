import { createHash } from 'node:crypto';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { Forgetter } from '../../src/privacy/Forgetter.js';
import type { BatchEngine } from '../../src/unifier/engine/BatchEngine.js';
import { emailHash } from '../../src/unifier/emailHash.js';
import { freshDatabase, type TestDatabase } from '../helpers/db.js';
import { testEngine } from '../helpers/engine.js';
import { everything, person, seedPerson, STORED, testForgetter } from '../helpers/privacy.js';
import { record } from '../helpers/records.js';
import { truncateAll } from '../helpers/state.js';

const md5 = (text: string) => createHash('md5').update(text, 'utf8').digest('hex');

interface LogRow {
  id: number;
  field_name: string;
  old_value: string | null;
  new_value: string | null;
  changed_by: string;
  reason: string | null;
  created_at: Date;
}

describe('forget (right to be forgotten)', () => {
  let db: TestDatabase;
  let engine: BatchEngine;
  let forgetter: Forgetter;
  const customerOf = async (email: string) =>
    (await db.pool.query('SELECT * FROM customers WHERE lower(email) = $1', [email])).rows[0] as Record<string, unknown> | undefined;
  const logsOf = async (id: unknown) =>
    (await db.pool.query<LogRow>('SELECT id, field_name, old_value, new_value, changed_by, reason, created_at FROM customer_logs WHERE customer_id = $1 ORDER BY id', [id])).rows;

  beforeAll(async () => {
    db = await freshDatabase();
    // every initial value audited too: the scrub must reach a personal value in every field's audit rows
    engine = testEngine(db.pool, undefined, undefined, { logInitialValues: true });
    forgetter = testForgetter(db.pool);
  });
  afterAll(async () => {
    await db.drop();
  });
  beforeEach(async () => {
    await truncateAll(db.pool);
    await db.pool.query('TRUNCATE custsync.suppressions, custsync.email_aliases');
  });

  it("applies the seed's pseudonymization exactly and clears what the seed leaves behind", async () => {
    const ana = person('ana');
    await seedPerson(engine, ana, 'seed');
    // an out-of-band edit in SQL: audited by the trigger as the database user
    await db.pool.query(`UPDATE customers SET phone_local_code = '21' WHERE email = $1`, [ana.email]);
    const before = await customerOf(ana.email);
    const logsBefore = await logsOf(before?.id);
    expect(logsBefore.some((l) => l.changed_by === 'postgres')).toBe(true);

    const result = await forgetter.forgetEmails([{ email: ana.email, requestedBy: 'dpo@company', reason: 'ticket 42' }]);
    expect(result.outcomes).toEqual([{ email: ana.email, status: 'pseudonymized', customerIds: [before?.id] }]);

    const after = (await db.pool.query('SELECT * FROM customers WHERE id = $1', [before?.id])).rows[0];
    const { rows: seedSql } = await db.pool.query(`SELECT CONCAT('deleted_', MD5($1::text), '@anonymous.com') AS email`, [ana.email]);
    expect(after.email).toBe(`deleted_${md5(ana.email)}@anonymous.com`);
    expect(after.email).toBe(seedSql[0].email);
    expect(after).toMatchObject({
      name: 'Anonymized Customer',
      phone_local_code: null,
      phone_number: null,
      document_type: null,
      document_number: null,
      customer_id: null,
      address_id: before?.address_id,
    });
    const address = (await db.pool.query('SELECT * FROM addresses WHERE id = $1', [before?.address_id])).rows[0];
    expect(address).toMatchObject({ address: null, number: null, complement: null, neighborhood: null, zip_code: null, ip: null });
    expect(address).toMatchObject({ city: 'Uberlândia', state: 'MG', country: 'BR' }); // analytical data stays

    const logsAfter = await logsOf(before?.id);
    expect(logsAfter).toHaveLength(logsBefore.length + 1); // the hand-edit triggers stayed quiet
    logsBefore.forEach((old, i) => {
      const now = logsAfter[i];
      expect(now).toMatchObject({ id: old.id, field_name: old.field_name, changed_by: old.changed_by, created_at: old.created_at });
      expect(now?.old_value).toBe(old.old_value === null ? null : '[scrubbed]');
      expect(now?.new_value).toBe(old.new_value === null ? null : '[scrubbed]');
    });
    expect(logsAfter[logsAfter.length - 1]).toMatchObject({
      field_name: 'pseudonymization',
      old_value: 'Complete personal data',
      new_value: 'Anonymized data',
      changed_by: 'GDPR Request',
      reason: 'requested by dpo@company: ticket 42',
    });

    const { rows: provenance } = await db.pool.query('SELECT * FROM custsync.field_provenance WHERE customer_id = $1', [before?.id]);
    expect(provenance).toEqual([]);
    const { rows: suppressions } = await db.pool.query('SELECT email_hash, reason, created_by FROM custsync.suppressions');
    expect(suppressions).toEqual([{ email_hash: emailHash(ana.email), reason: 'GDPR Request', created_by: 'dpo@company' }]);

    const all = await everything(db.pool);
    for (const value of [ana.email, 'ana.souza', 'Ana Souza', STORED.document, STORED.phoneNumber, ana.customerId, ana.street, 'Apto 302', 'Tibery', '38405-142', '203.0.113.7']) {
      expect(all, value).not.toContain(value);
    }
  });

  it('drops and counts later or replayed events for the email instead of re-creating the person', async () => {
    const bia = person('bia');
    await seedPerson(engine, bia, 'replay-a');
    await forgetter.forgetEmails([{ email: bia.email, requestedBy: 'dpo' }]);
    const customers = (await db.pool.query('SELECT count(*)::int AS n FROM customers')).rows[0].n;

    // the same events replayed from another stream, and a later one in another spelling
    await seedPerson(engine, bia, 'replay-b');
    const later = await engine.apply({ records: [record({ email: `  ${bia.email.toUpperCase()} `, topic: 'replay-c', offset: 0, customer: { name: 'Bia Again' } })] });
    expect(later).toMatchObject({ suppressed: 1, createdCustomers: 0, auditRows: 0 });
    expect((await db.pool.query('SELECT count(*)::int AS n FROM customers')).rows[0].n).toBe(customers);
    expect(await customerOf(bia.email)).toBeUndefined();
    const { rows } = await db.pool.query('SELECT dropped::int FROM custsync.suppressions WHERE email_hash = $1', [emailHash(bia.email)]);
    expect(rows[0].dropped).toBe(3);
    expect(await everything(db.pool)).not.toContain('Bia Again');
  });

  it('changes nothing when run twice', async () => {
    const caio = person('caio');
    await seedPerson(engine, caio, 'twice');
    await forgetter.forgetEmails([{ email: caio.email, requestedBy: 'dpo' }]);
    const state = await everything(db.pool);
    const again = await forgetter.forgetEmails([{ email: ` ${caio.email.toUpperCase()}`.trim().toLowerCase(), requestedBy: 'someone else' }]);
    expect(again).toMatchObject({ outcomes: [{ status: 'already_forgotten', customerIds: [] }], pseudonymized: [], suppressionsAdded: 0 });
    expect(await everything(db.pool)).toBe(state);
    // asking for the pseudonym itself is a no-op too
    const { rows } = await db.pool.query<{ email: string }>(`SELECT email FROM customers WHERE name = 'Anonymized Customer'`);
    const pseudonym = rows[0]?.email ?? '';
    expect(await forgetter.forgetEmails([{ email: pseudonym, requestedBy: 'dpo' }])).toMatchObject({ outcomes: [{ status: 'already_forgotten' }] });
    expect(await everything(db.pool)).toBe(state);
  });

  it('suppresses an email that has no customer, and says so', async () => {
    const result = await forgetter.forgetEmails([{ email: 'never.seen@example.com', requestedBy: 'dpo' }]);
    expect(result.outcomes).toEqual([{ email: 'never.seen@example.com', status: 'suppressed', customerIds: [] }]);
    const later = await engine.apply({ records: [record({ email: 'Never.Seen@example.com', topic: 'unseen', offset: 0, customer: { name: 'N' } })] });
    expect(later).toMatchObject({ suppressed: 1, createdCustomers: 0 });
  });

  it('forgets through an alias: the merged email, the kept email and the alias row all go', async () => {
    const dani = person('dani');
    await seedPerson(engine, dani, 'alias');
    await db.pool.query(`INSERT INTO custsync.email_aliases (email, customer_id, reason) SELECT 'dani.old@example.com', id, 'merge' FROM customers WHERE email = $1`, [dani.email]);
    const result = await forgetter.forgetEmails([{ email: 'dani.old@example.com', requestedBy: 'dpo' }]);
    expect(result.outcomes[0]?.status).toBe('pseudonymized');
    expect((await db.pool.query('SELECT count(*)::int AS n FROM custsync.email_aliases')).rows[0].n).toBe(0);
    const { rows } = await db.pool.query<{ email_hash: string }>('SELECT email_hash FROM custsync.suppressions ORDER BY email_hash');
    expect(rows.map((r) => r.email_hash).sort()).toEqual([emailHash('dani.old@example.com'), emailHash(dani.email)].sort());
    const later = await engine.apply({
      records: [record({ email: dani.email, topic: 'alias-2', offset: 0, customer: { name: 'D' } }), record({ email: 'dani.old@example.com', topic: 'alias-2', offset: 1 })],
    });
    expect(later).toMatchObject({ suppressed: 2, createdCustomers: 0 });
  });

  it('forgets a batch in one transaction, with one outcome per request', async () => {
    const [eva, fabio] = [person('eva'), person('fabio')];
    await seedPerson(engine, eva, 'batch-e');
    await seedPerson(engine, fabio, 'batch-f');
    const result = await forgetter.forgetEmails([
      { email: eva.email, requestedBy: 'dpo' },
      { email: 'nobody@example.com', requestedBy: 'dpo' },
      { email: fabio.email, requestedBy: 'dpo' },
      { email: eva.email, requestedBy: 'dpo' },
    ]);
    expect(result.outcomes.map((o) => o.status)).toEqual(['pseudonymized', 'suppressed', 'pseudonymized', 'pseudonymized']);
    expect(result.pseudonymized).toHaveLength(2);
    expect(result.suppressionsAdded).toBe(3);
    const { rows } = await db.pool.query(`SELECT count(*)::int AS n FROM customer_logs WHERE field_name = 'pseudonymization'`);
    expect(rows[0].n).toBe(2);
  });

  it('after a lift, an event re-creates the person; forgetting again still yields a unique pseudonym', async () => {
    const gil = person('gil');
    await seedPerson(engine, gil, 'lift-a');
    await forgetter.forgetEmails([{ email: gil.email, requestedBy: 'dpo' }]);
    expect(await forgetter.lift(gil.email, 'ops')).toMatchObject({ lifted: true, reason: 'GDPR Request', createdBy: 'dpo' });
    expect(await forgetter.lift(gil.email, 'ops')).toEqual({ lifted: false });

    const back = await engine.apply({ records: [record({ email: gil.email, topic: 'lift-b', offset: 0, customer: { name: 'Gil Back' } })] });
    expect(back).toMatchObject({ suppressed: 0, createdCustomers: 1 });
    const recreated = await customerOf(gil.email);
    expect(recreated?.name).toBe('Gil Back');

    // the seed's pseudonym is taken by the first forgotten Gil: the second one hashes email#id
    const again = await forgetter.forgetEmails([{ email: gil.email, requestedBy: 'dpo' }]);
    expect(again.outcomes[0]?.status).toBe('pseudonymized');
    const { rows } = await db.pool.query<{ id: number; email: string }>(`SELECT id, email FROM customers WHERE name = 'Anonymized Customer' ORDER BY id`);
    expect(rows.map((r) => r.email)).toEqual([`deleted_${md5(gil.email)}@anonymous.com`, `deleted_${md5(`${gil.email}#${recreated?.id}`)}@anonymous.com`]);
  });

  it('never lets a unifier batch racing a forget re-create the person', async () => {
    for (let round = 0; round < 15; round += 1) {
      const p = person(`race${round}`);
      await seedPerson(engine, p, `race-${round}`);
      let offset = 10;
      let forgotten = false;
      const events = (async () => {
        // keep events for the person coming until shortly after the forget committed
        for (let i = 0; i < 200 && !forgotten; i += 1) {
          await engine.apply({ records: [record({ email: p.email, topic: `race-${round}`, offset: offset++, customer: { name: `${p.name} ${i}` } })] });
        }
        for (let i = 0; i < 3; i += 1) {
          await engine.apply({ records: [record({ email: p.email, topic: `race-${round}`, offset: offset++, customer: { name: 'After' } })] });
        }
      })();
      await new Promise((resolve) => setTimeout(resolve, 5 + round));
      await forgetter.forgetEmails([{ email: p.email, requestedBy: 'dpo' }]);
      forgotten = true;
      await events;
      expect(await customerOf(p.email), `round ${round}`).toBeUndefined();
    }
  });
});
