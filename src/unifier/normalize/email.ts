import { FIELD_MAX_LENGTH } from '../../contract.js';
import { fitsColumn } from './text.js';

/** Why a whole record is rejected (dead-lettered) instead of unified. */
export type RejectReason =
  /** No email, or only whitespace. */
  | 'email_missing'
  /** Not a plausible address (see `normalizeEmail`). */
  | 'email_invalid'
  /** More than 255 characters after trimming and lower-casing. */
  | 'email_too_long';

export type EmailResult =
  | { ok: true; email: string }
  | { ok: false; reason: RejectReason; message: string };

/** RFC 5321 limit on the local part; longer ones are not deliverable. */
const MAX_LOCAL_LENGTH = 64;
const MAX_DOMAIN_LENGTH = 253;
const MAX_LABEL_LENGTH = 63;

/** Whitespace, control (incl. NUL), invisible format characters, unpaired surrogates. */
const FORBIDDEN = /[\s\p{Cc}\p{Cf}\p{Cs}]/u;
/** RFC 5322 "specials" that are legal only inside a quoted local part, which we do not accept. */
const LOCAL_SPECIALS = /[()<>[\]:;,\\"]/;
/** A domain label: letters (any script, so IDNs pass), marks, digits, inner hyphens. */
const LABEL = /^[\p{L}\p{M}\p{N}](?:[\p{L}\p{M}\p{N}-]*[\p{L}\p{M}\p{N}])?$/u;
/** A top-level domain: two or more letters, or its punycode (`xn--...`) form. */
const TLD = /^(?:\p{L}[\p{L}\p{M}]+|xn--[a-z0-9-]+)$/u;

/**
 * `lower(trim(email))` as the seed's SQL does it, then a practical validity
 * check (not RFC-complete). Trimming removes ASCII whitespace (space, tab, LF,
 * VT, FF, CR) at both ends; SQL `trim()` removes only spaces, so the two agree
 * whenever the padding is spaces, and an email padded with tabs or newlines is
 * still one customer. Lower-casing is `toLowerCase()`: for Latin, Greek,
 * Cyrillic and other common scripts it matches Postgres `lower()` in a UTF-8
 * database; rare special casings (e.g. `İ`) may differ. No Unicode
 * normalization (NFC) is applied, exactly as in SQL.
 *
 * Rejected: missing or blank; longer than 255; any whitespace, control or
 * invisible format character inside (NUL included); not exactly one `@`; an
 * empty or > 64-character local part, or one containing quotes or
 * `( ) < > [ ] : ; , \`; a domain without a dot, with an empty label, a label
 * that starts or ends with `-`, or a TLD that is not at least two letters.
 *
 * `message` never contains the address itself (it ends up in logs).
 */
export function normalizeEmail(raw: string | null | undefined): EmailResult {
  if (raw === null || raw === undefined) return reject('email_missing', 'email is missing');
  const trimmed = trimAsciiWhitespace(raw);
  if (trimmed.trim() === '') return reject('email_missing', 'email is empty');
  if (!fitsColumn(trimmed, FIELD_MAX_LENGTH.email)) return tooLong();
  const email = trimmed.toLowerCase();
  if (!fitsColumn(email, FIELD_MAX_LENGTH.email)) return tooLong();
  const problem = syntaxProblem(email);
  return problem === undefined ? { ok: true, email } : reject('email_invalid', problem);
}

/** Returns what is wrong with a trimmed, lower-cased address, or undefined when it is plausible. */
function syntaxProblem(email: string): string | undefined {
  if (FORBIDDEN.test(email)) return 'email contains whitespace or control characters';
  const parts = email.split('@');
  if (parts.length !== 2) return 'email must contain exactly one @';
  const [local = '', domain = ''] = parts;
  if (local === '') return 'email local part is empty';
  if (!fitsColumn(local, MAX_LOCAL_LENGTH)) return 'email local part is longer than 64 characters';
  if (LOCAL_SPECIALS.test(local)) return 'email local part contains quotes or special characters';
  if (!fitsColumn(domain, MAX_DOMAIN_LENGTH)) return 'email domain is too long';
  const labels = domain.split('.');
  if (labels.length < 2) return 'email domain has no dot';
  for (const label of labels) {
    if (!fitsColumn(label, MAX_LABEL_LENGTH) || !LABEL.test(label)) {
      return 'email domain has an empty or malformed label';
    }
  }
  if (!TLD.test(labels[labels.length - 1] ?? '')) return 'email top-level domain is not at least two letters';
  return undefined;
}

/** Linear-time trim of ASCII whitespace (a `/\s+$/` regex is quadratic on long inner runs). */
function trimAsciiWhitespace(value: string): string {
  let start = 0;
  let end = value.length;
  while (start < end && isAsciiWhitespace(value.charCodeAt(start))) start += 1;
  while (end > start && isAsciiWhitespace(value.charCodeAt(end - 1))) end -= 1;
  return value.slice(start, end);
}

function isAsciiWhitespace(code: number): boolean {
  return code === 0x20 || (code >= 0x09 && code <= 0x0d);
}

function tooLong(): EmailResult {
  return reject('email_too_long', `email is longer than ${FIELD_MAX_LENGTH.email} characters`);
}

function reject(reason: RejectReason, message: string): EmailResult {
  return { ok: false, reason, message };
}
