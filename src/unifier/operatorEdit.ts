import { randomUUID } from 'node:crypto';
import { ALL_FIELDS, isAddressField, isField, type Field, SourceRecord } from '../contract.js';
import { operatorPlatform } from './priorities.js';

export interface OperatorEdit {
  email: string;
  operator: string;
  reason: string;
  /** `field=value` pairs as typed on the command line. */
  assignments: string[];
  now: Date;
}

export class OperatorEditError extends Error {}

/**
 * The seed's `update_customer(customer_id, field_name, new_value, changed_by,
 * reason)` as a SourceRecord: it goes through normalization and survivorship
 * like any source, at the operator priority, audited as `operator:<name>`.
 */
export function operatorRecord(edit: OperatorEdit): SourceRecord {
  const values = new Map<Field, string>();
  for (const assignment of edit.assignments) {
    const eq = assignment.indexOf('=');
    if (eq <= 0) throw new OperatorEditError(`--set expects field=value, got "${assignment}"`);
    const field = assignment.slice(0, eq).trim();
    const value = assignment.slice(eq + 1);
    if (!isField(field)) {
      throw new OperatorEditError(`unknown field "${field}"; valid fields: ${ALL_FIELDS.join(', ')} (email is the key: use merge to change it)`);
    }
    if (value.trim() === '') throw new OperatorEditError(`${field}: an empty value never overwrites; nothing to set`);
    values.set(field, value);
  }
  if (values.size === 0) throw new OperatorEditError('nothing to set: give at least one --set field=value');
  const customer: Record<string, string> = {};
  const address: Record<string, string> = {};
  for (const [field, value] of values) (isAddressField(field) ? address : customer)[field] = value;
  return SourceRecord.parse({
    platform: operatorPlatform(edit.operator),
    position: { kind: 'operator', operator: edit.operator, reason: edit.reason },
    eventId: `operator:${randomUUID()}`,
    eventTime: edit.now,
    email: edit.email,
    customer,
    address,
  });
}
