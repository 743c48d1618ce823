import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freshDatabase, type TestDatabase } from '../helpers/db.js';
import { testEngine } from '../helpers/engine.js';
import { record } from '../helpers/records.js';
import { readState } from '../helpers/state.js';

describe('two engines on two connections at once', () => {
  let db: TestDatabase;
  beforeAll(async () => {
    db = await freshDatabase();
  });
  afterAll(async () => {
    await db.drop();
  });

  it('share emails (in case/space variants) without duplicating a customer or an audit row, and no batch fails', async () => {
    const poolA = new pg.Pool({ connectionString: db.url, max: 2 });
    const poolB = new pg.Pool({ connectionString: db.url, max: 2 });
    // Initial values audited too, so every field's audit trail is a chain from NULL.
    const engineA = testEngine(poolA, undefined, undefined, { logInitialValues: true });
    const engineB = testEngine(poolB, undefined, undefined, { logInitialValues: true });
    const emails = Array.from({ length: 40 }, (_, i) => `person${i}@example.com`);
    const variant = (email: string, i: number) => (i % 2 === 0 ? email.toUpperCase() : `  ${email} `);
    const batchesFor = (engineName: string, platform: string) =>
      Array.from({ length: 15 }, (_, b) =>
        // each batch touches a shuffled, overlapping window of emails
        Array.from({ length: 30 }, (_, i) => {
          const email = emails[(b * 7 + i * (engineName === 'A' ? 3 : 5)) % emails.length] as string;
          return record({
            platform,
            email: variant(email, i + b),
            topic: engineName,
            offset: b * 30 + i,
            time: b * 30 + i,
            customer: { name: `${platform} ${b}-${i}`, customer_id: `${engineName}-${b}` },
            address: { city: `City ${b % 4}` },
          });
        }),
      );
    const run = async (engine: typeof engineA, batches: ReturnType<typeof batchesFor>) => {
      let attempts = 0;
      for (const records of batches) attempts += (await engine.apply({ records })).attempts;
      return attempts;
    };
    const [attemptsA, attemptsB] = await Promise.all([run(engineA, batchesFor('A', 'kiwify')), run(engineB, batchesFor('B', 'eduzz'))]);
    await poolA.end();
    await poolB.end();

    const { rows } = await db.pool.query<{ email: string; n: number }>(`SELECT lower(email) AS email, count(*)::int AS n FROM customers GROUP BY 1`);
    expect(rows.length).toBe(40);
    expect(rows.every((r) => r.n === 1)).toBe(true);

    // The audit trail of every field is one unbroken chain ending in the current value:
    // a duplicated or lost audit row would break it.
    const state = await readState(db.pool);
    for (const customer of state.customers) {
      const mine = state.audit.filter((a) => a.email === customer.email);
      expect(mine.filter((a) => a.field === 'email')).toHaveLength(1);
      for (const field of ['name', 'customer_id', 'city']) {
        const chain = mine.filter((a) => a.field === field);
        expect(chain[0]?.old).toBeNull();
        for (let i = 1; i < chain.length; i += 1) expect(chain[i]?.old).toBe(chain[i - 1]?.new);
        expect(chain.at(-1)?.new).toBe(customer.values[field]);
      }
    }
    // retries are allowed (deadlocks are retried), failures are not: we got here
    expect(attemptsA + attemptsB).toBeGreaterThanOrEqual(30);
  });
});
