import { collapseWhitespace, foldKey } from './text.js';

/** The 27 Brazilian federative units (26 states + Distrito Federal). */
const UF_BY_NAME: ReadonlyMap<string, string> = new Map(
  Object.entries({
    AC: 'Acre', AL: 'Alagoas', AP: 'Amapá', AM: 'Amazonas', BA: 'Bahia', CE: 'Ceará',
    DF: 'Distrito Federal', ES: 'Espírito Santo', GO: 'Goiás', MA: 'Maranhão',
    MT: 'Mato Grosso', MS: 'Mato Grosso do Sul', MG: 'Minas Gerais', PA: 'Pará',
    PB: 'Paraíba', PR: 'Paraná', PE: 'Pernambuco', PI: 'Piauí', RJ: 'Rio de Janeiro',
    RN: 'Rio Grande do Norte', RS: 'Rio Grande do Sul', RO: 'Rondônia', RR: 'Roraima',
    SC: 'Santa Catarina', SP: 'São Paulo', SE: 'Sergipe', TO: 'Tocantins',
  }).map(([uf, name]) => [foldKey(name), uf]),
);
const UFS: ReadonlySet<string> = new Set(UF_BY_NAME.values());

/**
 * Normalizes a state/province given the record's normalized country.
 * Always trimmed with inner whitespace collapsed. Then:
 * - country `BR`: a UF code in any case → upper case (`sp` → `SP`); a state
 *   name, case- and accent-insensitive → its UF (`Minas Gerais`, `sao paulo`
 *   → `MG`, `SP`); anything else kept as given.
 * - no country: a Brazilian state name → its UF; anything else (including
 *   two-letter codes, which may belong to any country) kept as given.
 * - other countries: kept as given (`ON`, `Texas`).
 */
export function normalizeState(raw: string, country: string | undefined): string {
  const value = collapseWhitespace(raw);
  if (country !== undefined && country !== 'BR') return value;
  const upper = value.toUpperCase();
  if (country === 'BR' && UFS.has(upper)) return upper;
  // The longest state name is 19 characters: skip folding long inputs.
  return (value.length <= 40 ? UF_BY_NAME.get(foldKey(value)) : undefined) ?? value;
}
