import { isSupportedCountry } from 'libphonenumber-js/max';
import type { SourceRecord } from '../../contract.js';
import { Collector } from './collector.js';
import { normalizeCountry } from './country.js';
import { normalizeDocument } from './document.js';
import { normalizeEmail } from './email.js';
import { normalizeIp } from './ip.js';
import { normalizePhone } from './phone.js';
import { normalizeState } from './state.js';
import { collapseWhitespace } from './text.js';
import type { NormalizeOptions, NormalizeResult } from './types.js';
import { normalizeZipCode } from './zipCode.js';

/** Free-text fields: trimmed, inner whitespace collapsed, case and content kept. */
const COLLAPSED_FIELDS = ['name', 'address', 'number', 'complement', 'neighborhood', 'city'] as const;

/**
 * Turns a validated SourceRecord into what survivorship decides on. Rejects
 * the record only for its email; every other field is independent: empty →
 * absent, invalid → listed in `dropped`, otherwise normalized into `values`.
 * Guarantees for every value in `values`: non-empty, no leading/trailing
 * whitespace, no NUL, well-formed Unicode, fits its column.
 *
 * The country is resolved first: the zip code, the state and the phone's
 * default region depend on it. Phone (local code + number) and document
 * (type + number) are pairs, kept or dropped together (see `Collector.setPair`),
 * so a stored DDD never belongs to another record's number.
 */
export function normalizeRecord(record: SourceRecord, options: NormalizeOptions): NormalizeResult {
  const email = normalizeEmail(record.email);
  if (!email.ok) return email;
  const out = new Collector(record);
  const { raw } = out;

  const country = raw.country === undefined ? undefined : normalizeCountry(raw.country);
  if (raw.country !== undefined) out.set('country', country, 'country_unknown');
  for (const field of COLLAPSED_FIELDS) {
    const value = raw[field];
    if (value !== undefined) out.set(field, collapseWhitespace(value));
  }
  if (raw.customer_id !== undefined) out.set('customer_id', raw.customer_id.trim());
  if (raw.state !== undefined) out.set('state', normalizeState(raw.state, country));
  if (raw.zip_code !== undefined) out.set('zip_code', normalizeZipCode(raw.zip_code, country), 'zip_invalid');
  if (raw.ip !== undefined) out.set('ip', normalizeIp(raw.ip), 'ip_invalid');

  const region = country !== undefined && isSupportedCountry(country) ? country : options.defaultCountry;
  out.setPair(['phone_local_code', 'phone_number'], () => {
    const phone = raw.phone_number === undefined ? undefined : normalizePhone(raw.phone_local_code, raw.phone_number, region);
    return phone === undefined
      ? { ok: false, reason: 'phone_invalid' }
      : { ok: true, values: [phone.phone_local_code, phone.phone_number] };
  });
  out.setPair(['document_type', 'document_number'], () => {
    if (raw.document_number === undefined) return { ok: false, reason: 'document_invalid' };
    const document = normalizeDocument(raw.document_type, raw.document_number);
    return document.ok ? { ok: true, values: [document.document_type, document.document_number] } : document;
  });

  const { platform, position, eventId, eventTime } = record;
  const { values, dropped } = out;
  return { ok: true, record: { platform, position, eventId, eventTime, email: email.email, values, dropped } };
}
