/**
 * The seed's customer and address columns that sources may set, with their
 * column widths. Everything downstream (normalization, survivorship, SQL,
 * audit field names) is driven from these two lists, so adding a column is
 * one edit here plus a migration.
 */
export const CUSTOMER_FIELDS = [
  'name',
  'customer_id',
  'phone_local_code',
  'phone_number',
  'document_type',
  'document_number',
] as const;

export const ADDRESS_FIELDS = [
  'address',
  'number',
  'complement',
  'neighborhood',
  'city',
  'state',
  'zip_code',
  'country',
  'ip',
] as const;

export type CustomerField = (typeof CUSTOMER_FIELDS)[number];
export type AddressField = (typeof ADDRESS_FIELDS)[number];
/** A column of `customers` or `addresses` that survivorship decides. The names do not collide. */
export type Field = CustomerField | AddressField;

export const ALL_FIELDS: readonly Field[] = [...CUSTOMER_FIELDS, ...ADDRESS_FIELDS];

/** VARCHAR widths from the seed DDL; a longer value is dropped, never truncated. */
export const FIELD_MAX_LENGTH: Readonly<Record<Field | 'email', number>> = {
  email: 255,
  name: 255,
  customer_id: 255,
  phone_local_code: 10,
  phone_number: 20,
  document_type: 10,
  document_number: 55,
  address: 255,
  neighborhood: 100,
  country: 100,
  city: 100,
  zip_code: 20,
  complement: 255,
  number: 20,
  ip: 45,
  state: 100,
};

export function isCustomerField(field: string): field is CustomerField {
  return (CUSTOMER_FIELDS as readonly string[]).includes(field);
}

export function isAddressField(field: string): field is AddressField {
  return (ADDRESS_FIELDS as readonly string[]).includes(field);
}

export function isField(field: string): field is Field {
  return isCustomerField(field) || isAddressField(field);
}
