import { ADDRESS_FIELDS, CUSTOMER_FIELDS, type AddressField, type CustomerField, type Field } from '../../contract.js';
import type { NormalizedRecord } from '../normalize/index.js';
import type { PriorityRules } from '../priorities.js';
import { encodeProvenance, type ProvenanceDocument } from '../provenanceJson.js';
import { foldRecords, type CustomerState } from '../survivorship.js';

/** A customer of the batch: locked from the database, or created by it. */
export interface LoadedCustomer {
  /** `null` until the engine allocates the id of a customer this batch creates. */
  id: number | null;
  addressId: number | null;
  /** Created by this batch: inserted with its folded values, its first record audits the creation. */
  created: boolean;
  /** Has a custsync.customer_state row (customers that predate custsync may not). */
  hasState: boolean;
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

/** The customer's custsync.customer_state row: provenance when it changed, and the activity every applied record is. */
export interface StateWrite {
  customer: LoadedCustomer;
  /** `null`: unchanged, the stored one stays. */
  provenance: ProvenanceDocument | null;
  lastSeenAt: Date;
  lastSeenPlatform: string;
}

export interface WritePlan {
  /** Main addresses to insert (`id` null until allocated). */
  newAddresses: AddressWrite[];
  /** Main addresses whose values changed. */
  changedAddresses: AddressWrite[];
  /** Customers the batch creates: inserted with their final values. */
  creations: CustomerWrite[];
  /** Existing customers with changed values (their own or their main address's). */
  updates: CustomerWrite[];
  audit: AuditWrite[];
  /** One per customer of the batch. */
  states: StateWrite[];
  /** Customers created or with at least one changed value. */
  changedCustomers: number;
}

export interface PlanOptions {
  /** Audit each initial value of a creation too (`audit.logInitialValues`). */
  logInitialValues: boolean;
}

export function emptyPlan(): WritePlan {
  return { newAddresses: [], changedAddresses: [], creations: [], updates: [], audit: [], states: [], changedCustomers: 0 };
}

function pick<K extends Field>(values: Record<Field, string | null>, fields: readonly K[]): Record<K, string | null> {
  const out = {} as Record<K, string | null>;
  for (const field of fields) out[field] = values[field];
  return out;
}

/**
 * Pure: folds each customer's records under the survivorship rules and lists
 * the rows to write. Audit rows come out in batch order (record by record),
 * exactly as applying the records one by one would number them. A customer
 * whose records change nothing costs only its state row's last-seen time.
 */
export function planBatch(groups: readonly CustomerRecords[], rules: PriorityRules, options: PlanOptions): WritePlan {
  const plan = emptyPlan();
  const ordered: { index: number; position: number; row: AuditWrite }[] = [];
  for (const { customer, records } of groups) {
    const result = foldRecords(
      customer.state,
      records.map((r) => r.record),
      rules,
      { created: customer.created, logInitialValues: options.logInitialValues },
    );
    result.audit.forEach((entry, position) => {
      ordered.push({
        index: records[entry.sequence]?.index ?? 0,
        position,
        row: { customer, field: entry.field, oldValue: entry.oldValue, newValue: entry.newValue, changedBy: entry.changedBy, reason: entry.reason },
      });
    });
    const addressChanged = ADDRESS_FIELDS.some((f) => result.changed.has(f));
    const customerChanged = CUSTOMER_FIELDS.some((f) => result.changed.has(f));
    if (addressChanged) {
      const address = { customer, id: customer.addressId, values: pick(result.state.values, ADDRESS_FIELDS) };
      (customer.addressId === null ? plan.newAddresses : plan.changedAddresses).push(address);
    }
    const write = { customer, values: pick(result.state.values, CUSTOMER_FIELDS) };
    if (customer.created) plan.creations.push(write);
    else if (addressChanged || customerChanged) plan.updates.push(write);
    if (customer.created || addressChanged || customerChanged) plan.changedCustomers += 1;
    if (result.lastSeen) {
      plan.states.push({
        customer,
        provenance: customer.created || result.provenanceChanged.size > 0 ? encodeProvenance(result.state.provenance) : null,
        lastSeenAt: result.lastSeen.at,
        lastSeenPlatform: result.lastSeen.platform,
      });
    }
  }
  ordered.sort((a, b) => a.index - b.index || a.position - b.position);
  plan.audit = ordered.map((o) => o.row);
  return plan;
}
