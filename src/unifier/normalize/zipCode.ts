import { collapseWhitespace } from './text.js';

/** `12345-678`, `12345678`, `12.345-678`, `12.345678`: the shapes a Brazilian CEP is typed in. */
const CEP_SHAPE = /^\d{5}-?\d{3}$|^\d{2}\.?\d{3}-?\d{3}$/;

/**
 * Normalizes a postal code given the record's normalized country (ISO alpha-2
 * or undefined when absent/unknown).
 *
 * - Country `BR`: must be 8 digits once `.`, `-` and spaces are removed;
 *   formatted `12345-678`. Anything else → undefined (`zip_invalid`).
 * - No country, and the value has a CEP shape: formatted `12345-678`.
 * - Otherwise: trimmed, inner spaces collapsed, upper-cased (`k2p  2l8` → `K2P 2L8`).
 */
export function normalizeZipCode(raw: string, country: string | undefined): string | undefined {
  const value = collapseWhitespace(raw);
  if (country === 'BR') {
    const digits = value.replace(/[.\-\s]/g, '');
    return /^\d{8}$/.test(digits) ? formatCep(digits) : undefined;
  }
  if (country === undefined && CEP_SHAPE.test(value)) return formatCep(value.replace(/\D/g, ''));
  return value.toUpperCase();
}

function formatCep(digits: string): string {
  return `${digits.slice(0, 5)}-${digits.slice(5)}`;
}
