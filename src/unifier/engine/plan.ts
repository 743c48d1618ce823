import { ADDRESS_FIELDS, CUSTOMER_FIELDS, type AddressField, type CustomerField, type Field } from '../fields.js';
import type { NormalizedRecord } from '../normalize/index.js';
import type { PriorityRules } from '../priorities.js';
import { foldRecords, type CustomerState, type Provenance } from '../survivorship.js';

/** A customer as loaded (and locked) for a batch. */
export interface LoadedCustomer {
  id: number;
  addressId: number | null;
  /** Inserted by this transaction: its first record audits the creation. */
  created: boolean;
  state: CustomerState;
}

/** A record of the batch, with its index in the batch (audit rows keep that order). */
export interface IndexedRecord {
  index: number;
  record: NormalizedRecord;
}

export interface AddressWrite {
  customerId: number;
  /** `null`: a new main address; the engine allocates its id. */
  id: number | null;
  values: Record<AddressField, string | null>;
}

export interface CustomerWrite {
  id: number;
  values: Record<CustomerField, string | null>;
  addressId: number | null;
}

export interface AuditWrite {
  customerId: number;
  field: string;
  oldValue: string | null;
  newValue: string | null;
  changedBy: string;
  reason: string | null;
}

export interface ProvenanceWrite extends Provenance {
  customerId: number;
  field: Field;
}

export interface WritePlan {
  addresses: AddressWrite[];
  customers: CustomerWrite[];
  audit: AuditWrite[];
  provenance: ProvenanceWrite[];
  /** Customers with at least one changed value. */
  changedCustomers: number;
}

function pick<K extends Field>(values: Record<Field, string | null>, fields: readonly K[]): Record<K, string | null> {
  return Object.fromEntries(fields.map((f) => [f, values[f]])) as Record<K, string | null>;
}

/**
 * Pure: folds each customer's records under the survivorship rules and lists
 * the rows to write. Audit rows come out in batch order (record by record),
 * exactly as applying the records one by one would number them.
 */
export function planBatch(
  customers: ReadonlyMap<number, LoadedCustomer>,
  recordsByCustomer: ReadonlyMap<number, readonly IndexedRecord[]>,
  rules: PriorityRules,
): WritePlan {
  const plan: WritePlan = { addresses: [], customers: [], audit: [], provenance: [], changedCustomers: 0 };
  const ordered: { index: number; field: number; row: AuditWrite }[] = [];
  for (const [customerId, indexed] of recordsByCustomer) {
    const customer = customers.get(customerId);
    if (!customer) throw new Error(`planBatch: customer ${customerId} was not loaded`);
    const result = foldRecords(customer.state, indexed.map((r) => r.record), rules, customer.created);
    result.audit.forEach((entry, position) => {
      const batchIndex = indexed[entry.sequence]?.index ?? 0;
      ordered.push({
        index: batchIndex,
        field: position,
        row: { customerId: customer.id, field: entry.field, oldValue: entry.oldValue, newValue: entry.newValue, changedBy: entry.changedBy, reason: entry.reason },
      });
    });
    for (const field of result.provenanceChanged) {
      const provenance = result.state.provenance[field];
      if (provenance) plan.provenance.push({ customerId: customer.id, field, ...provenance });
    }
    const addressChanged = ADDRESS_FIELDS.some((f) => result.changed.has(f));
    const customerChanged = CUSTOMER_FIELDS.some((f) => result.changed.has(f));
    if (!addressChanged && !customerChanged) continue;
    plan.changedCustomers += 1;
    if (addressChanged) {
      plan.addresses.push({ customerId: customer.id, id: customer.addressId, values: pick(result.state.values, ADDRESS_FIELDS) });
    }
    plan.customers.push({ id: customer.id, values: pick(result.state.values, CUSTOMER_FIELDS), addressId: customer.addressId });
  }
  ordered.sort((a, b) => a.index - b.index || a.field - b.field);
  plan.audit = ordered.map((o) => o.row);
  return plan;
}
