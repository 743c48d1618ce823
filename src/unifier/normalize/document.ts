import { FIELD_MAX_LENGTH } from '../../contract.js';
import { collapseWhitespace, fitsColumn } from './text.js';

export type DocumentOutcome =
  | { ok: true; document_type: string; document_number: string }
  | { ok: false; reason: 'document_invalid' | 'too_long' };

/** Separators people type inside CPF/CNPJ (`123.456.789-09`, `12.345.678/0001-95`). */
const SEPARATORS = /[.\-/\s]/g;

/**
 * Normalizes a document (type + number; the number is required).
 *
 * - Type absent, `CPF` or `CNPJ` (any case, trimmed): the number is stripped
 *   of `.`, `-`, `/` and whitespace and must be a valid CPF (11 digits) or
 *   CNPJ (14 characters) with matching check digits and not all one digit;
 *   the type is derived from it and, when declared, must agree.
 *   Otherwise `document_invalid`.
 * - Any other type (`RG`, `PASSPORT`, `SSN`, ...): type trimmed, inner spaces
 *   collapsed, upper-cased (≤ 10 characters); number trimmed and otherwise
 *   kept as given (≤ 55). Longer → `too_long`.
 */
export function normalizeDocument(type: string | undefined, number: string): DocumentOutcome {
  const declared = type === undefined ? undefined : collapseWhitespace(type).toUpperCase();
  if (declared === undefined || declared === 'CPF' || declared === 'CNPJ') {
    const derived = brazilianDocument(number);
    if (derived === undefined || (declared !== undefined && declared !== derived.document_type)) {
      return { ok: false, reason: 'document_invalid' };
    }
    return { ok: true, ...derived };
  }
  const trimmed = number.trim();
  if (!fitsColumn(declared, FIELD_MAX_LENGTH.document_type)) return { ok: false, reason: 'too_long' };
  if (!fitsColumn(trimmed, FIELD_MAX_LENGTH.document_number)) return { ok: false, reason: 'too_long' };
  return { ok: true, document_type: declared, document_number: trimmed };
}

function brazilianDocument(raw: string): { document_type: 'CPF' | 'CNPJ'; document_number: string } | undefined {
  const compact = raw.replace(SEPARATORS, '').toUpperCase();
  if (isValidCpf(compact)) return { document_type: 'CPF', document_number: compact };
  if (isValidCnpj(compact)) return { document_type: 'CNPJ', document_number: compact };
  return undefined;
}

/**
 * A CPF: 9 base digits + 2 mod-11 check digits (weights 10..2, then 11..2;
 * remainder < 2 gives 0). All-equal numbers (`111.111.111-11`) pass the
 * arithmetic but are not issued, so they are rejected.
 */
export function isValidCpf(digits: string): boolean {
  if (!/^\d{11}$/.test(digits) || /^(\d)\1{10}$/.test(digits)) return false;
  const values = [...digits].map(Number);
  return (
    checkDigit(values.slice(0, 9), [10, 9, 8, 7, 6, 5, 4, 3, 2]) === values[9] &&
    checkDigit(values.slice(0, 10), [11, 10, 9, 8, 7, 6, 5, 4, 3, 2]) === values[10]
  );
}

/**
 * A CNPJ: 12 base characters + 2 mod-11 check digits (weights 5..2,9..2, then
 * 6..2,9..2). The base may contain upper-case letters: the Receita Federal's
 * alphanumeric CNPJ (issued from July 2026) values each character as its
 * ASCII code minus 48, which leaves numeric CNPJs unchanged.
 */
export function isValidCnpj(value: string): boolean {
  if (!/^[0-9A-Z]{12}\d{2}$/.test(value) || /^(\d)\1{13}$/.test(value)) return false;
  const values = [...value].map((char) => char.charCodeAt(0) - 48);
  return (
    checkDigit(values.slice(0, 12), [5, 4, 3, 2, 9, 8, 7, 6, 5, 4, 3, 2]) === values[12] &&
    checkDigit(values.slice(0, 13), [6, 5, 4, 3, 2, 9, 8, 7, 6, 5, 4, 3, 2]) === values[13]
  );
}

/** The mod-11 check digit shared by CPF and CNPJ. */
export function checkDigit(values: readonly number[], weights: readonly number[]): number {
  const sum = values.reduce((total, value, i) => total + value * (weights[i] ?? 0), 0);
  const remainder = sum % 11;
  return remainder < 2 ? 0 : 11 - remainder;
}
