/**
 * Masking of personal data for logs: enough to correlate by eye, never enough
 * to recover the value. Applied once, where a value is logged, and again by
 * the logger's redaction as a safety net for the usual key names.
 */

function keepEdges(value: string, head: number, tail: number): string {
  const chars = [...value];
  if (chars.length <= head + tail) return '*'.repeat(Math.max(chars.length, 3));
  return chars.slice(0, head).join('') + '*'.repeat(chars.length - head - tail) + chars.slice(chars.length - tail).join('');
}

/** `ana.souza@example.com` → `a*******@e******.com` */
export function maskEmail(email: string): string {
  const at = email.lastIndexOf('@');
  if (at < 0) return keepEdges(email, 1, 0);
  const local = email.slice(0, at);
  const domain = email.slice(at + 1);
  const dot = domain.lastIndexOf('.');
  const host = dot > 0 ? domain.slice(0, dot) : domain;
  const tld = dot > 0 ? domain.slice(dot) : '';
  return `${keepEdges(local, 1, 0)}@${keepEdges(host, 1, 0)}${tld}`;
}

/** Documents and phones: only the last two characters stay. */
export function maskDigits(value: string): string {
  return keepEdges(value, 0, 2);
}

/** Masks any personal value for a log line, by field name. */
export function maskValue(field: string, value: string | null | undefined): string | null {
  if (value === null || value === undefined) return null;
  if (field === 'email' || field.endsWith('email')) return maskEmail(value);
  if (/document|phone|cpf|cnpj|ip$/i.test(field)) return maskDigits(value);
  return keepEdges(value, 1, 0);
}

/** Keys the logger masks wherever they appear (one level of nesting). */
export const REDACTED_LOG_KEYS = [
  'email',
  'name',
  'document_number',
  'phone_number',
  'phone_local_code',
  'phone',
  'document',
  'address',
  'complement',
  'neighborhood',
  'zip_code',
  'ip',
  'old_value',
  'new_value',
];
