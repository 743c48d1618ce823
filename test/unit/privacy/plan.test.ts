import { describe, expect, it } from 'vitest';
import {
  isPseudonymEmail,
  planCustomer,
  planForgetBatch,
  PSEUDONYMIZED_NAME,
  type LockedCustomer,
} from '../../../src/privacy/plan.js';
import { emailHash } from '../../../src/unifier/emailHash.js';

const PSEUDONYM = 'deleted_0123456789abcdef0123456789abcdef@anonymous.com';

function customer(overrides: Partial<LockedCustomer> = {}): LockedCustomer {
  return {
    id: 1,
    email: 'ana@example.com',
    name: 'Ana Souza',
    values: { customer_id: 'h-1', phone_local_code: '11', phone_number: '999990000', document_type: 'CPF', document_number: '52998224725' },
    address: { address: 'Rua A', number: '10', complement: null, neighborhood: 'Centro', zip_code: '01310-100', ip: '203.0.113.7' },
    pseudonymTaken: false,
    unscrubbedLogs: true,
    hasProvenance: true,
    aliases: [],
    ...overrides,
  };
}

/** What a customer looks like after the forget transaction. */
const anonymized = customer({
  email: PSEUDONYM,
  name: PSEUDONYMIZED_NAME,
  values: { customer_id: null, phone_local_code: null, phone_number: null, document_type: null, document_number: null },
  address: { address: null, number: null, complement: null, neighborhood: null, zip_code: null, ip: null },
  unscrubbedLogs: false,
  hasProvenance: false,
});

describe('planCustomer', () => {
  it('renames the email the seed way and lists every personal field that held a value', () => {
    expect(planCustomer(customer())).toEqual({
      id: 1,
      email: 'seed',
      cleared: ['email', 'name', 'customer_id', 'phone_local_code', 'phone_number', 'document_type', 'document_number', 'address', 'number', 'neighborhood', 'zip_code', 'ip'],
      scrubLogs: true,
      needsChange: true,
    });
  });

  it('has nothing to do for an anonymized customer (idempotent)', () => {
    expect(planCustomer(anonymized)).toEqual({ id: 1, email: 'keep', cleared: [], scrubLogs: false, needsChange: false });
  });

  it('never hashes a pseudonym again, but cleans what came back (a hand edit after the forget)', () => {
    const plan = planCustomer({ ...anonymized, values: { ...anonymized.values, phone_number: '988887777' }, unscrubbedLogs: true });
    expect(plan).toMatchObject({ email: 'keep', cleared: ['phone_number'], scrubLogs: true, needsChange: true });
  });

  it('uses the id-salted pseudonym when the seed one is taken by an earlier forgotten customer', () => {
    expect(planCustomer(customer({ pseudonymTaken: true })).email).toBe('seed_with_id');
  });

  it('treats leftover provenance or aliases as work to do', () => {
    expect(planCustomer({ ...anonymized, hasProvenance: true }).needsChange).toBe(true);
    expect(planCustomer({ ...anonymized, aliases: ['old@example.com'] }).needsChange).toBe(true);
  });

  it('handles a customer without a main address or an email', () => {
    expect(planCustomer(customer({ address: null, email: null })).cleared).not.toContain('address');
    expect(planCustomer(customer({ email: null })).email).toBe('keep');
  });
});

describe('isPseudonymEmail', () => {
  it('recognises only the seed form', () => {
    expect(isPseudonymEmail(PSEUDONYM)).toBe(true);
    expect(isPseudonymEmail('deleted_xyz@anonymous.com')).toBe(false);
    expect(isPseudonymEmail('ana@example.com')).toBe(false);
    expect(isPseudonymEmail(null)).toBe(false);
  });
});

describe('planForgetBatch', () => {
  const requester = { requestedBy: 'dpo', reason: 'ticket 1' };

  it('suppresses the requested email, the stored email and the aliases, never a pseudonym', () => {
    const plan = planForgetBatch({
      requests: [{ request: { email: 'ana@example.com', ...requester }, customerIds: [1] }],
      customers: [{ customer: customer({ email: 'Ana@Example.com', aliases: ['ana.old@example.com'] }), requester }],
      existingSuppressions: new Set(),
    });
    expect(plan.customers.map((c) => c.id)).toEqual([1]);
    expect(plan.suppressions).toEqual([
      { emailHash: emailHash('ana@example.com'), createdBy: 'dpo' },
      { emailHash: emailHash('ana.old@example.com'), createdBy: 'dpo' },
    ]);
    expect(plan.outcomes).toEqual([{ email: 'ana@example.com', status: 'pseudonymized', customerIds: [1] }]);
  });

  it('records a suppression for an email without a customer, and says so', () => {
    const plan = planForgetBatch({
      requests: [{ request: { email: 'nobody@example.com', ...requester }, customerIds: [] }],
      customers: [],
      existingSuppressions: new Set(),
    });
    expect(plan.suppressions).toEqual([{ emailHash: emailHash('nobody@example.com'), createdBy: 'dpo' }]);
    expect(plan.outcomes[0]?.status).toBe('suppressed');
  });

  it('changes nothing the second time', () => {
    const plan = planForgetBatch({
      requests: [{ request: { email: 'ana@example.com', ...requester }, customerIds: [] }],
      customers: [],
      existingSuppressions: new Set([emailHash('ana@example.com')]),
    });
    expect(plan).toEqual({ customers: [], suppressions: [], outcomes: [{ email: 'ana@example.com', status: 'already_forgotten', customerIds: [] }] });
  });

  it('does not suppress a pseudonym asked for directly, and leaves an anonymized customer alone', () => {
    const plan = planForgetBatch({
      requests: [{ request: { email: PSEUDONYM, ...requester }, customerIds: [1] }],
      customers: [{ customer: anonymized, requester }],
      existingSuppressions: new Set(),
    });
    expect(plan).toEqual({ customers: [], suppressions: [], outcomes: [{ email: PSEUDONYM, status: 'already_forgotten', customerIds: [1] }] });
  });

  it('retention: customers without requests carry the given requester', () => {
    const retention = { requestedBy: 'retention run by ops', reason: 'no update for 3y' };
    const plan = planForgetBatch({ requests: [], customers: [{ customer: customer({ id: 7 }), requester: retention }], existingSuppressions: new Set() });
    expect(plan.customers).toEqual([expect.objectContaining({ id: 7, requester: retention })]);
    expect(plan.suppressions).toEqual([{ emailHash: emailHash('ana@example.com'), createdBy: 'retention run by ops' }]);
    expect(plan.outcomes).toEqual([]);
  });
});
