import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { exportSubject } from '../../src/privacy/exportSubject.js';
import { freshDatabase, type TestDatabase } from '../helpers/db.js';
import { testEngine } from '../helpers/engine.js';
import { person, seedPerson, STORED, testForgetter } from '../helpers/privacy.js';
import { record } from '../helpers/records.js';

describe('export (right of access)', () => {
  let db: TestDatabase;
  const now = () => new Date('2025-01-02T03:04:05.000Z');

  beforeAll(async () => {
    db = await freshDatabase();
  });
  afterAll(async () => {
    await db.drop();
  });

  it('writes everything held about the person', async () => {
    const ana = person('ana');
    const engine = testEngine(db.pool);
    await seedPerson(engine, ana, 'export');
    await db.pool.query(`INSERT INTO custsync.email_aliases (email, customer_id, reason) SELECT 'ana.old@example.com', id, 'merged' FROM customers WHERE email = $1`, [ana.email]);

    const result = await exportSubject(db.pool, ana.email, now);
    // through JSON, as the command writes it
    const json = JSON.parse(JSON.stringify(result));
    expect(json).toMatchObject({
      format: 'custsync.subject-export/v1',
      generatedAt: '2025-01-02T03:04:05.000Z',
      email: ana.email,
      found: true,
      customer: {
        email: ana.email,
        name: `${ana.name} Jr`,
        customer_id: ana.customerId,
        phone_local_code: STORED.phoneLocal,
        phone_number: STORED.phoneNumber,
        document_type: 'CPF',
        document_number: STORED.document,
      },
      mainAddress: { address: ana.street, number: '1460', complement: 'Apto 302', city: 'Uberlândia', zip_code: '38405-142', ip: '203.0.113.7' },
      aliases: [{ email: 'ana.old@example.com', reason: 'merged' }],
      suppression: { suppressed: false },
    });
    expect(json.addresses).toEqual([json.mainAddress]);
    expect(json.auditHistory.map((l: { field_name: string; changed_by: string }) => `${l.changed_by}:${l.field_name}`)).toEqual([
      'hotmart:email',
      'stripe:name',
      'stripe:number',
    ]);
    expect(json.provenance.find((p: { field: string }) => p.field === 'name')).toMatchObject({ platform: 'stripe', priority: 60 });
    expect(json.activity).toEqual({ last_seen_at: expect.any(String), last_seen_platform: 'stripe' });
    expect(json.otherCustomers).toBeUndefined();

    // found through the alias too
    expect((await exportSubject(db.pool, 'ana.old@example.com', now)).customer).toMatchObject({ email: ana.email });
  });

  it('for an unknown email prints found: false and the suppression state', async () => {
    expect(JSON.parse(JSON.stringify(await exportSubject(db.pool, 'nobody@example.com', now)))).toEqual({
      format: 'custsync.subject-export/v1',
      generatedAt: '2025-01-02T03:04:05.000Z',
      email: 'nobody@example.com',
      found: false,
      customer: null,
      mainAddress: null,
      addresses: [],
      auditHistory: [],
      provenance: [],
      activity: null,
      aliases: [],
      suppression: { suppressed: false },
    });
  });

  it('after a forget, shows only that the email is suppressed and how many events were dropped since', async () => {
    const bia = person('bia');
    const engine = testEngine(db.pool);
    await seedPerson(engine, bia, 'export-forget');
    await testForgetter(db.pool).forgetEmails([{ email: bia.email, requestedBy: 'dpo' }]);
    await engine.apply({ records: [record({ email: bia.email, topic: 'export-forget-2', offset: 0, customer: { name: 'B' } })] });
    const result = await exportSubject(db.pool, bia.email, now);
    expect(result).toMatchObject({ found: false, customer: null, suppression: { suppressed: true, reason: 'GDPR Request', createdBy: 'dpo', droppedEvents: 1 } });
    expect(result.suppression.createdAt).toBeInstanceOf(Date);
    expect(JSON.stringify(result)).not.toContain('Bia Souza');
  });

  it('includes every customer when hand-made rows differ only by case', async () => {
    await db.pool.query(`INSERT INTO customers (email, name) VALUES ('Caio@Example.com', 'Caio 1'), ('caio@example.com', 'Caio 2')`);
    const result = await exportSubject(db.pool, 'caio@example.com', now);
    expect(result.customer).toMatchObject({ name: 'Caio 1' });
    expect(result.otherCustomers?.map((c) => c.customer.name)).toEqual(['Caio 2']);
  });
});
