import { emailHash } from '../unifier/emailHash.js';

/**
 * What pseudonymization changes, decided without I/O: the seed's
 * "Pseudonymization Architecture" plus the fields it leaves behind (document,
 * platform customer id, the main address's personal fields), the audit trail
 * and the suppression entries that stop replays from bringing the person back.
 * `sql.ts` applies a plan; this module decides it, so idempotency (a second run
 * changes nothing) is a property of the plan, tested without a database.
 */

/** `customer_logs.changed_by` of the seed's audit row, by why the person is anonymized. */
export type ForgetKind = 'GDPR Request' | 'Retention Policy';

export const PSEUDONYMIZATION_FIELD = 'pseudonymization';
export const PSEUDONYMIZED_NAME = 'Anonymized Customer';
/** Replaces every non-empty old/new value of the person's audit rows; NULL stays NULL (the row still says "was empty"). */
export const SCRUBBED = '[scrubbed]';

/** Customer columns set to NULL (the seed clears the phone; custsync also the document and the platform id). */
export const CLEARED_CUSTOMER_FIELDS = ['customer_id', 'phone_local_code', 'phone_number', 'document_type', 'document_number'] as const;
/**
 * Main-address columns set to NULL: everything that locates the person
 * (a Brazilian CEP or a neighborhood can narrow a person down to a street).
 */
export const CLEARED_ADDRESS_FIELDS = ['address', 'number', 'complement', 'neighborhood', 'zip_code', 'ip'] as const;
/** Kept: the analytical data the seed's pseudonymization preserves (geographic distribution queries). */
export const KEPT_ADDRESS_FIELDS = ['city', 'state', 'country'] as const;

export type ClearedCustomerField = (typeof CLEARED_CUSTOMER_FIELDS)[number];
export type ClearedAddressField = (typeof CLEARED_ADDRESS_FIELDS)[number];

/** An email the seed's pseudonymization produced (`'deleted_' || md5(email) || '@anonymous.com'`). */
export const PSEUDONYM_EMAIL = /^deleted_[0-9a-f]{32}@anonymous\.com$/;

export function isPseudonymEmail(email: string | null): boolean {
  return email !== null && PSEUDONYM_EMAIL.test(email);
}

/** Who asked, kept in the suppression entry (`created_by`) and the audit row's reason. */
export interface Requester {
  requestedBy: string;
  reason?: string | undefined;
}

/** A forget request for one normalized email. */
export interface ForgetRequest extends Requester {
  email: string;
}

/** A customer as the forget transaction locked it. */
export interface LockedCustomer {
  id: number;
  email: string | null;
  name: string | null;
  values: Record<ClearedCustomerField, string | null>;
  /** The main address's personal fields; null without a main address. */
  address: Record<ClearedAddressField, string | null> | null;
  /** Whether the seed's pseudonym of this email is already another customer's (a lifted, re-created, forgotten-again person). */
  pseudonymTaken: boolean;
  /** Audit rows still holding values other than NULL or the scrub marker. */
  unscrubbedLogs: boolean;
  hasProvenance: boolean;
  /** Normalized emails merged into this customer (custsync.email_aliases). */
  aliases: readonly string[];
}

/**
 * How the email changes: `seed` is the seed's expression; `seed_with_id` hashes
 * `email#id` instead, only when the seed's pseudonym is already taken (the
 * email column is UNIQUE); `keep` when it is already a pseudonym.
 */
export type EmailChange = 'seed' | 'seed_with_id' | 'keep';

export interface CustomerPlan {
  id: number;
  email: EmailChange;
  /** Fields that held a value and are cleared (names only: plans are logged). */
  cleared: string[];
  scrubLogs: boolean;
  /** Anything to do at all; false means already pseudonymized. */
  needsChange: boolean;
}

export function planCustomer(customer: LockedCustomer): CustomerPlan {
  const email: EmailChange = customer.email === null || isPseudonymEmail(customer.email) ? 'keep' : customer.pseudonymTaken ? 'seed_with_id' : 'seed';
  const cleared: string[] = [];
  if (email !== 'keep') cleared.push('email');
  if (customer.name !== PSEUDONYMIZED_NAME) cleared.push('name');
  for (const field of CLEARED_CUSTOMER_FIELDS) if (customer.values[field] !== null) cleared.push(field);
  if (customer.address) for (const field of CLEARED_ADDRESS_FIELDS) if (customer.address[field] !== null) cleared.push(field);
  const needsChange = cleared.length > 0 || customer.unscrubbedLogs || customer.hasProvenance || customer.aliases.length > 0;
  return { id: customer.id, email, cleared, scrubLogs: customer.unscrubbedLogs, needsChange };
}

export interface SuppressionEntry {
  emailHash: string;
  createdBy: string;
}

/** `pseudonymized`: customers changed; `suppressed`: nothing to anonymize, a new suppression was recorded; `already_forgotten`: nothing changed. */
export type ForgetStatus = 'pseudonymized' | 'suppressed' | 'already_forgotten';

export interface ForgetOutcome {
  /** The request's normalized email (callers mask it before logging). */
  email: string;
  status: ForgetStatus;
  /** Customers the email resolved to (directly or through an alias). */
  customerIds: number[];
}

export interface ForgetBatchInput {
  /** Each request with the customers its email resolved to. */
  requests: readonly { request: ForgetRequest; customerIds: readonly number[] }[];
  /** Every locked customer with who asked for it (retention passes customers without requests). */
  customers: readonly { customer: LockedCustomer; requester: Requester }[];
  /** Hashes among the candidates that are already suppressed. */
  existingSuppressions: ReadonlySet<string>;
}

export interface ForgetBatchPlan {
  customers: (CustomerPlan & { requester: Requester })[];
  suppressions: SuppressionEntry[];
  outcomes: ForgetOutcome[];
}

/** The suppression key of an email as stored (engine writes are normalized; hand edits may not be). */
function storedEmailHash(email: string): string {
  return emailHash(email.trim().toLowerCase());
}

/**
 * The whole batch: which customers change, which hashes to suppress (requested
 * emails, the customers' own emails and their aliases; never a pseudonym), and
 * each request's outcome.
 */
export function planForgetBatch(input: ForgetBatchInput): ForgetBatchPlan {
  const suppressions = new Map<string, SuppressionEntry>();
  const suppress = (hash: string, createdBy: string) => {
    if (!input.existingSuppressions.has(hash) && !suppressions.has(hash)) suppressions.set(hash, { emailHash: hash, createdBy });
  };
  const customers: ForgetBatchPlan['customers'] = [];
  const changed = new Set<number>();
  for (const { customer, requester } of input.customers) {
    const plan = planCustomer(customer);
    if (customer.email !== null && !isPseudonymEmail(customer.email)) suppress(storedEmailHash(customer.email), requester.requestedBy);
    for (const alias of customer.aliases) suppress(emailHash(alias), requester.requestedBy);
    if (!plan.needsChange) continue;
    customers.push({ ...plan, requester });
    changed.add(customer.id);
  }
  for (const { request } of input.requests) {
    if (!isPseudonymEmail(request.email)) suppress(emailHash(request.email), request.requestedBy);
  }
  const outcomes = input.requests.map(({ request, customerIds }): ForgetOutcome => {
    const status: ForgetStatus = customerIds.some((id) => changed.has(id))
      ? 'pseudonymized'
      : suppressions.has(emailHash(request.email))
        ? 'suppressed'
        : 'already_forgotten';
    return { email: request.email, status, customerIds: [...customerIds] };
  });
  return { customers, suppressions: [...suppressions.values()], outcomes };
}
