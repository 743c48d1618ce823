import type pg from 'pg';
import { pino } from 'pino';
import { Forgetter } from '../../src/privacy/Forgetter.js';
import type { BatchEngine } from '../../src/unifier/engine/BatchEngine.js';
import { record } from './records.js';

export function testForgetter(pool: pg.Pool): Forgetter {
  return new Forgetter(pool, pino({ level: 'silent' }), { maxAttempts: 10 });
}

/** A person with every personal field filled, and the raw values tests look for afterwards. */
export interface Person {
  email: string;
  name: string;
  phone: string;
  document: string;
  customerId: string;
  street: string;
}

export function person(tag: string): Person {
  return {
    email: `${tag}.souza@example.com`,
    name: `${tag[0]?.toUpperCase()}${tag.slice(1)} Souza`,
    phone: '+55 34 99123-4567',
    document: '529.982.247-25',
    customerId: `hot-${tag}-991`,
    street: `Avenida ${tag} Pacheco`,
  };
}

/** What the unifier stores of `person()`'s values (normalized). */
export const STORED = { phoneLocal: '34', phoneNumber: '991234567', document: '52998224725' };

/** Two events: hotmart creates the person, stripe changes the name and address (so audit rows hold old and new values). */
export async function seedPerson(engine: BatchEngine, p: Person, topic: string): Promise<void> {
  await engine.apply({
    records: [
      record({
        platform: 'hotmart',
        email: p.email,
        topic,
        offset: 0,
        customer: { name: p.name, phone_number: p.phone, document_number: p.document, customer_id: p.customerId },
        address: {
          address: p.street,
          number: '1450',
          complement: 'Apto 302',
          neighborhood: 'Tibery',
          city: 'Uberlândia',
          state: 'MG',
          zip_code: '38405142',
          country: 'BR',
          ip: '203.0.113.7',
        },
      }),
      record({ platform: 'stripe', email: p.email, topic, offset: 1, customer: { name: `${p.name} Jr` }, address: { number: '1460' } }),
    ],
  });
}

/** Makes customers look idle for `interval`: no change (updated_at) and no event (last_seen_at) since then. */
export async function makeIdle(pool: pg.Pool, emails: readonly string[], interval: string): Promise<void> {
  await pool.query(`UPDATE customers SET updated_at = now() - $2::interval WHERE email = ANY($1::text[])`, [emails, interval]);
  await pool.query(
    `UPDATE custsync.customer_state s SET last_seen_at = now() - $2::interval FROM customers c WHERE c.id = s.customer_id AND c.email = ANY($1::text[])`,
    [emails, interval],
  );
}

/** Every row custsync holds, as text, for "nothing personal is left anywhere" checks. */
export async function everything(pool: pg.Pool): Promise<string> {
  const tables = ['customers', 'addresses', 'customer_logs', 'custsync.customer_state', 'custsync.suppressions', 'custsync.email_aliases'];
  const parts: string[] = [];
  for (const table of tables) {
    const { rows } = await pool.query<{ row: string }>(`SELECT row_to_json(t)::text AS row FROM ${table} t ORDER BY 1`);
    parts.push(...rows.map((r) => `${table}: ${r.row}`));
  }
  return parts.join('\n');
}
