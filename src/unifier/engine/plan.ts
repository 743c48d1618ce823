import { ADDRESS_FIELDS, CUSTOMER_FIELDS, type AddressField, type CustomerField, type Field } from '../fields.js';
import type { NormalizedRecord } from '../normalize/index.js';
import type { PriorityRules } from '../priorities.js';
import { foldRecords, type CustomerState, type Provenance } from '../survivorship.js';

/** A customer of the batch: locked from the database, or created by it. */
export interface LoadedCustomer {
  /** `null` until the engine inserts a customer this batch creates. */
  id: number | null;
  addressId: number | null;
  /** Created by this batch: inserted with its folded values, its first record audits the creation. */
  created: boolean;
  state: CustomerState;
}

/** A record of the batch, with its index in the batch (audit rows keep that order). */
export interface IndexedRecord {
  index: number;
  record: NormalizedRecord;
}

export interface CustomerRecords {
  customer: LoadedCustomer;
  /** In batch order. */
  records: readonly IndexedRecord[];
}

export interface AddressWrite {
  customer: LoadedCustomer;
  /** `null`: a new main address; the engine allocates its id. */
  id: number | null;
  values: Record<AddressField, string | null>;
}

export interface CustomerWrite {
  customer: LoadedCustomer;
  values: Record<CustomerField, string | null>;
}

export interface AuditWrite {
  customer: LoadedCustomer;
  field: string;
  oldValue: string | null;
  newValue: string | null;
  changedBy: string;
  reason: string | null;
}

export interface ProvenanceWrite extends Provenance {
  customer: LoadedCustomer;
  field: Field;
}

export interface WritePlan {
  addresses: AddressWrite[];
  /** Customers the batch creates: inserted with their final values. */
  creations: CustomerWrite[];
  /** Existing customers with changed values. */
  updates: CustomerWrite[];
  audit: AuditWrite[];
  provenance: ProvenanceWrite[];
  /** Customers created or with at least one changed value. */
  changedCustomers: number;
}

export function emptyPlan(): WritePlan {
  return { addresses: [], creations: [], updates: [], audit: [], provenance: [], changedCustomers: 0 };
}

function pick<K extends Field>(values: Record<Field, string | null>, fields: readonly K[]): Record<K, string | null> {
  return Object.fromEntries(fields.map((f) => [f, values[f]])) as Record<K, string | null>;
}

/**
 * Pure: folds each customer's records under the survivorship rules and lists
 * the rows to write. Audit rows come out in batch order (record by record),
 * exactly as applying the records one by one would number them.
 */
export function planBatch(groups: readonly CustomerRecords[], rules: PriorityRules): WritePlan {
  const plan = emptyPlan();
  const ordered: { index: number; position: number; row: AuditWrite }[] = [];
  for (const { customer, records } of groups) {
    const result = foldRecords(customer.state, records.map((r) => r.record), rules, customer.created);
    result.audit.forEach((entry, position) => {
      ordered.push({
        index: records[entry.sequence]?.index ?? 0,
        position,
        row: { customer, field: entry.field, oldValue: entry.oldValue, newValue: entry.newValue, changedBy: entry.changedBy, reason: entry.reason },
      });
    });
    for (const field of result.provenanceChanged) {
      const provenance = result.state.provenance[field];
      if (provenance) plan.provenance.push({ customer, field, ...provenance });
    }
    const addressChanged = ADDRESS_FIELDS.some((f) => result.changed.has(f));
    const customerChanged = CUSTOMER_FIELDS.some((f) => result.changed.has(f));
    if (addressChanged) plan.addresses.push({ customer, id: customer.addressId, values: pick(result.state.values, ADDRESS_FIELDS) });
    const write = { customer, values: pick(result.state.values, CUSTOMER_FIELDS) };
    if (customer.created) plan.creations.push(write);
    else if (addressChanged || customerChanged) plan.updates.push(write);
    if (customer.created || addressChanged || customerChanged) plan.changedCustomers += 1;
  }
  ordered.sort((a, b) => a.index - b.index || a.position - b.position);
  plan.audit = ordered.map((o) => o.row);
  return plan;
}
