import type { Pool } from 'pg';
import { toPgInterval, type Duration } from '../runtime/duration.js';
import type { Forgetter } from './Forgetter.js';
import { PSEUDONYM_EMAIL, type Requester } from './plan.js';
import { lastActivity } from './sql.js';

/**
 * Retention policy: customers with no activity for `retention.inactiveAfter`
 * are anonymized through the forget transaction (changed_by 'Retention
 * Policy'). Activity is the later of the last change (updated_at) and the last
 * event any source sent (last_seen_at): a paying customer whose data has not
 * changed in years is active. Selection pages through customers by id
 * (keyset), so a sweep over millions holds no long transaction and no offset scan.
 */

const CUTOFF = `SELECT now() - $1::interval AS cutoff`;

const INACTIVE = `FROM customers c LEFT JOIN custsync.customer_state s ON s.customer_id = c.id
 WHERE ${lastActivity('c', 's')} < $1::timestamptz AND (c.email IS NULL OR c.email !~ $2)`;

const COUNT_INACTIVE = `SELECT count(*)::text AS n ${INACTIVE}`;

const INACTIVE_PAGE = `
SELECT c.id, c.email, ${lastActivity('c', 's')} AS last_active ${INACTIVE} AND c.id > $3
 ORDER BY c.id
 LIMIT $4`;

export interface RetentionCandidate {
  id: number;
  email: string | null;
  /** The later of its last change and its last event. */
  lastActive: Date;
}

/** The instant before which a customer counts as inactive, computed by Postgres (calendar-aware). */
export async function retentionCutoff(pool: Pool, inactiveAfter: Duration): Promise<Date> {
  const { rows } = await pool.query<{ cutoff: Date }>(CUTOFF, [toPgInterval(inactiveAfter)]);
  const cutoff = rows[0]?.cutoff;
  if (!cutoff) throw new Error('Postgres returned no cutoff');
  return cutoff;
}

/** Customers with no activity since `cutoff` and not pseudonymized yet. */
export async function countInactive(pool: Pool, cutoff: Date): Promise<number> {
  const { rows } = await pool.query<{ n: string }>(COUNT_INACTIVE, [cutoff, PSEUDONYM_EMAIL.source]);
  return Number(rows[0]?.n ?? 0);
}

/** The inactive customers, in pages of `pageSize`, by id. */
export async function* inactiveCustomers(pool: Pool, cutoff: Date, pageSize: number): AsyncGenerator<RetentionCandidate[]> {
  let after = 0;
  for (;;) {
    const { rows } = await pool.query<{ id: number; email: string | null; last_active: Date }>(INACTIVE_PAGE, [cutoff, PSEUDONYM_EMAIL.source, after, pageSize]);
    if (rows.length === 0) return;
    yield rows.map((r) => ({ id: r.id, email: r.email, lastActive: r.last_active }));
    after = rows[rows.length - 1]?.id ?? after;
    if (rows.length < pageSize) return;
  }
}

export interface RetentionResult {
  /** Customers selected as inactive. */
  selected: number;
  /** Of them, anonymized now (others were updated meanwhile, or had nothing left to clear). */
  anonymized: number;
  suppressionsAdded: number;
  batches: number;
}

/** Anonymizes every inactive customer, one forget transaction per page. */
export async function runRetention(
  pool: Pool,
  forgetter: Forgetter,
  options: { cutoff: Date; batchSize: number; requester: Requester; onBatch?: (done: number, result: RetentionResult) => void },
): Promise<RetentionResult> {
  const result: RetentionResult = { selected: 0, anonymized: 0, suppressionsAdded: 0, batches: 0 };
  for await (const page of inactiveCustomers(pool, options.cutoff, options.batchSize)) {
    const applied = await forgetter.forgetCustomers(
      page.map((c) => c.id),
      'Retention Policy',
      options.requester,
      options.cutoff,
    );
    result.selected += page.length;
    result.anonymized += applied.pseudonymized.length;
    result.suppressionsAdded += applied.suppressionsAdded;
    result.batches += 1;
    options.onBatch?.(result.selected, result);
  }
  return result;
}
