import type { NormalizedRecord } from '../../src/unifier/normalize/index.js';
import type { PriorityRules } from '../../src/unifier/priorities.js';
import { emptyValues, foldRecords, type CustomerState } from '../../src/unifier/survivorship.js';
import type { AuditView, CustomerView } from './state.js';

/**
 * The expected outcome computed independently of Postgres: the pure rules
 * applied record by record, in order. Returns customers like `readState` and
 * each customer's audit trail in order.
 */
export function expectedState(records: readonly NormalizedRecord[], rules: PriorityRules) {
  const states = new Map<string, CustomerState>();
  const audit = new Map<string, AuditView[]>();
  for (const record of records) {
    const existing = states.get(record.email);
    const start = existing ?? { email: record.email, values: emptyValues(), provenance: {} };
    const result = foldRecords(start, [record], rules, { created: existing === undefined });
    states.set(record.email, result.state);
    const trail = audit.get(record.email) ?? [];
    for (const entry of result.audit) {
      trail.push({ email: record.email, field: entry.field, old: entry.oldValue, new: entry.newValue, changedBy: entry.changedBy });
    }
    audit.set(record.email, trail);
  }
  const customers: CustomerView[] = [...states.values()]
    .sort((a, b) => (a.email < b.email ? -1 : 1))
    .map((s) => ({ email: s.email, values: { ...s.values } }));
  return { customers, auditByEmail: audit };
}

/** Groups `readState`'s audit rows per customer, keeping their order. */
export function auditByEmail(rows: readonly AuditView[]): Map<string, AuditView[]> {
  const out = new Map<string, AuditView[]>();
  for (const row of rows) {
    const list = out.get(row.email) ?? [];
    list.push(row);
    out.set(row.email, list);
  }
  return out;
}
