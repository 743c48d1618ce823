import { ALPHA2_BY_ALPHA3, ALPHA2_CODES } from './countryCodes.js';
import { foldKey } from './text.js';

const NAME_LOCALES = ['en', 'pt', 'es'] as const;

/**
 * Common names ICU does not produce (keys already folded). ICU gives the
 * official short names ("Estados Unidos", "Países Baixos", "Reino Unido").
 */
const ALIASES: Readonly<Record<string, string>> = {
  uk: 'GB', // exceptionally reserved by ISO, widely used for GB
  'great britain': 'GB', 'gra bretanha': 'GB', 'gran bretana': 'GB',
  england: 'GB', inglaterra: 'GB',
  'united states of america': 'US', 'estados unidos da america': 'US',
  'estados unidos de america': 'US', eua: 'US', eeuu: 'US', 'ee uu': 'US',
  holland: 'NL', holanda: 'NL',
  turkey: 'TR', 'czech republic': 'CZ', 'republica tcheca': 'CZ', 'republica checa': 'CZ',
  'ivory coast': 'CI', burma: 'MM', swaziland: 'SZ',
};

let namesByKey: ReadonlyMap<string, string> | undefined;

/**
 * Folded country name → alpha-2, built once on first use from ICU's
 * (`Intl.DisplayNames`) names of every ISO code in English, Portuguese and
 * Spanish, long and short styles ("United States"/"US", "Hong Kong SAR
 * China"/"Hong Kong"), plus spelled-out variants (see `nameVariants`) and a
 * few common aliases. A cache of a pure computation: the result is the
 * same whenever it is built.
 */
function countryNames(): ReadonlyMap<string, string> {
  if (namesByKey !== undefined) return namesByKey;
  const map = new Map<string, string>(Object.entries(ALIASES));
  for (const locale of NAME_LOCALES) {
    for (const style of ['long', 'short'] as const) {
      const names = new Intl.DisplayNames([locale], { type: 'region', style, fallback: 'none' });
      for (const code of ALPHA2_CODES) {
        const name = names.of(code);
        if (name === undefined) continue;
        for (const variant of nameVariants(name)) {
          const key = foldKey(variant);
          if (key !== '' && !map.has(key)) map.set(key, code);
        }
      }
    }
  }
  namesByKey = map;
  return map;
}

/** ICU writes "St. Kitts & Nevis", "Myanmar (Burma)"; people also write "Saint Kitts and Nevis", "Myanmar". */
function nameVariants(name: string): string[] {
  const withAnd = name.replace(/&/g, ' and ');
  return [name, withAnd, withAnd.replace(/\bSt\.\s*/g, 'Saint '), name.replace(/\s*\(.*\)\s*/g, ' ')];
}

/**
 * Resolves a country to its ISO 3166-1 alpha-2 code, upper case, or
 * undefined (`country_unknown`). Accepts, after trimming:
 * - an alpha-2 code in any case (`br`, `US`), including Kosovo's `XK`;
 *   retired codes (`YU`, `SU`, ...) are unknown, `UK` means `GB`;
 * - an alpha-3 code in any case (`BRA`, `usa`);
 * - a name in English, Portuguese or Spanish, case-, accent- and
 *   punctuation-insensitive (`Brasil`, `brazil`, `BRASIL`, `Estados Unidos`,
 *   `United States`, `Canadá`, `Côte d'Ivoire`), plus a few common aliases
 *   (`EUA`, `EEUU`, `Great Britain`, `Holanda`).
 */
export function normalizeCountry(raw: string): string | undefined {
  const value = raw.trim();
  // No country name is anywhere near this long; skips folding huge inputs.
  if (value.length > 100) return undefined;
  const upper = value.toUpperCase();
  if (/^[A-Z]{2}$/.test(upper) && ALPHA2_CODES.has(upper)) return upper;
  if (/^[A-Z]{3}$/.test(upper)) {
    const alpha2 = ALPHA2_BY_ALPHA3.get(upper);
    if (alpha2 !== undefined) return alpha2;
  }
  return countryNames().get(foldKey(value));
}
