import type { Pool } from 'pg';
import type { Logger } from '../runtime/logger.js';
import { maskEmail } from '../runtime/mask.js';
import { emailHash } from '../unifier/emailHash.js';
import { applyForgetPlan, lockAndPlan, type ForgetTarget } from './forgetTransaction.js';
import type { ForgetBatchPlan, ForgetKind, ForgetOutcome, ForgetRequest, Requester } from './plan.js';
import * as SQL from './sql.js';
import { retry } from '../runtime/retry.js';
import { inTransaction } from '../runtime/transaction.js';

export interface ForgetResult {
  /** One per request, in order (empty for `forgetCustomers`). */
  outcomes: ForgetOutcome[];
  /** Customers anonymized by this call. */
  pseudonymized: number[];
  suppressionsAdded: number;
  attempts: number;
}

export interface LiftResult {
  lifted: boolean;
  reason?: string;
  createdBy?: string;
  createdAt?: Date;
}

export interface ForgetterOptions {
  /** Attempts of a forget batch (retry table: deadlocks, lost connections); the forget-request consumer retries `forgetEmailsOnce` itself. */
  maxAttempts: number;
}

/**
 * Right to be forgotten, as one transaction per batch: locks the customers,
 * applies the pseudonymization plan (seed values, address, audit trail,
 * provenance, aliases), records suppressions and the seed's `pseudonymization`
 * audit row. The change-event publisher recognises the transaction by that
 * row; nothing is published from here. Retried on deadlocks and lost
 * connections like the batch engine; every step is idempotent.
 */
export class Forgetter {
  constructor(
    private readonly pool: Pool,
    private readonly logger: Logger,
    private readonly options: ForgetterOptions,
  ) {}

  /** Forgets people by normalized email; an email without a customer is still suppressed. */
  forgetEmails(requests: readonly ForgetRequest[], kind: ForgetKind = 'GDPR Request'): Promise<ForgetResult> {
    return this.run(kind, emailTarget(requests), this.options.maxAttempts);
  }

  /** `forgetEmails` in one attempt, for a caller with a retry loop of its own (the forget-request consumer). */
  forgetEmailsOnce(requests: readonly ForgetRequest[], kind: ForgetKind = 'GDPR Request'): Promise<ForgetResult> {
    return this.run(kind, emailTarget(requests), 1);
  }

  /**
   * Anonymizes customers by id (retention), through the same transaction as a
   * forget request; with `inactiveBefore`, one updated since then is left alone.
   */
  forgetCustomers(customerIds: readonly number[], kind: ForgetKind, requester: Requester, inactiveBefore?: Date): Promise<ForgetResult> {
    return this.run(kind, { emails: [], customerIds: [...customerIds], requests: [], requester, ...(inactiveBefore ? { inactiveBefore } : {}) }, this.options.maxAttempts);
  }

  /** Removes the suppression of a normalized email: events for it are applied again (an operator decision). */
  async lift(email: string, liftedBy: string): Promise<LiftResult> {
    const { rows } = await this.pool.query<{ reason: string; created_by: string; created_at: Date }>(SQL.DELETE_SUPPRESSION, [emailHash(email)]);
    const row = rows[0];
    if (!row) return { lifted: false };
    this.logger.info({ email: maskEmail(email), liftedBy, reason: row.reason, createdBy: row.created_by }, 'suppression lifted: events for this email are applied again');
    return { lifted: true, reason: row.reason, createdBy: row.created_by, createdAt: row.created_at };
  }

  private async run(kind: ForgetKind, target: ForgetTarget, maxAttempts: number): Promise<ForgetResult> {
    if (target.emails.length === 0 && target.customerIds.length === 0) return { outcomes: [], pseudonymized: [], suppressionsAdded: 0, attempts: 0 };
    return retry({ maxAttempts, logger: this.logger, what: 'forget batch' }, async (attempt) => {
      const plan = await this.transaction(kind, target);
      const result = { outcomes: plan.outcomes, pseudonymized: plan.customers.map((c) => c.id), suppressionsAdded: plan.suppressions.length, attempts: attempt.n };
      this.logger.info(
        { kind, requests: target.requests.length, pseudonymized: result.pseudonymized.length, suppressionsAdded: result.suppressionsAdded },
        'forget batch committed',
      );
      return result;
    });
  }

  private transaction(kind: ForgetKind, target: ForgetTarget): Promise<ForgetBatchPlan> {
    return inTransaction(this.pool, { begin: SQL.BEGIN_AS_FORGET }, async (client) => {
      const plan = await lockAndPlan(client, target);
      await applyForgetPlan(client, kind, plan);
      return plan;
    });
  }
}

function emailTarget(requests: readonly ForgetRequest[]): ForgetTarget {
  return { emails: [...new Set(requests.map((r) => r.email))], customerIds: [], requests };
}
