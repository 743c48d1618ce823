import type { CountryCode } from 'libphonenumber-js';
import type { Field, SourcePosition } from '../../contract.js';
import type { RejectReason } from './email.js';

export type { RejectReason } from './email.js';

export interface NormalizeOptions {
  /** Region for phone numbers written without `+<country code>` when the record has no usable country. */
  defaultCountry: CountryCode;
}

export const DEFAULT_NORMALIZE_OPTIONS: NormalizeOptions = Object.freeze({ defaultCountry: 'BR' });

/** Why an optional value was removed; the record itself is still unified. */
export type DropReason =
  /** Longer than its column (VARCHAR width, counted in code points) after normalization. */
  | 'too_long'
  /** Contains U+0000, which Postgres text cannot store. */
  | 'nul_byte'
  /** Contains an unpaired UTF-16 surrogate, which has no UTF-8 encoding. */
  | 'invalid_unicode'
  /** Phone not a valid number for its country, or a local code without a number. */
  | 'phone_invalid'
  /** CPF/CNPJ with wrong length or check digits, type that disagrees, untyped non-CPF/CNPJ, or a type without a number. */
  | 'document_invalid'
  /** Brazilian postal code that is not 8 digits. */
  | 'zip_invalid'
  /** Country not recognised as an ISO 3166-1 code or a known country name. */
  | 'country_unknown'
  /** Not a literal IPv4 or IPv6 address. */
  | 'ip_invalid';

export interface DroppedValue {
  field: Field;
  reason: DropReason;
}

export interface NormalizedRecord {
  platform: string;
  position: SourcePosition;
  eventId: string;
  eventTime: Date;
  /** `lower(trim(email))`, validated. */
  email: string;
  /** Only non-empty, valid, normalized values. */
  values: Partial<Record<Field, string>>;
  /** Invalid optional values removed, with the reason; empty values are not listed. */
  dropped: DroppedValue[];
}

export type NormalizeResult =
  | { ok: true; record: NormalizedRecord }
  | { ok: false; reason: RejectReason; message: string };
