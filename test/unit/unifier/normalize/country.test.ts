import { describe, expect, it } from 'vitest';
import { normalizeCountry } from '../../../../src/unifier/normalize/country.js';
import { ALPHA2_BY_ALPHA3, ALPHA2_CODES } from '../../../../src/unifier/normalize/countryCodes.js';

describe('normalizeCountry', () => {
  it.each([
    // Alpha-2, any case.
    ['BR', 'BR'], ['br', 'BR'], [' us ', 'US'], ['Ca', 'CA'], ['XK', 'XK'], ['UK', 'GB'],
    // Alpha-3.
    ['BRA', 'BR'], ['usa', 'US'], ['CAN', 'CA'], ['PRT', 'PT'], ['ARG', 'AR'], ['MEX', 'MX'],
    ['CHL', 'CL'], ['COL', 'CO'], ['PER', 'PE'], ['URY', 'UY'], ['PRY', 'PY'], ['ESP', 'ES'],
    ['FRA', 'FR'], ['DEU', 'DE'], ['ITA', 'IT'], ['GBR', 'GB'], ['IRL', 'IE'], ['NLD', 'NL'],
    ['BEL', 'BE'], ['CHE', 'CH'], ['AUT', 'AT'], ['JPN', 'JP'], ['CHN', 'CN'], ['IND', 'IN'],
    ['AUS', 'AU'], ['NZL', 'NZ'], ['ZAF', 'ZA'], ['AGO', 'AO'], ['MOZ', 'MZ'],
    // Names in English, Portuguese, Spanish; case-, accent- and punctuation-insensitive.
    ['Brasil', 'BR'], ['brazil', 'BR'], ['BRASIL', 'BR'], ['  brasil  ', 'BR'],
    ['Estados Unidos', 'US'], ['United States', 'US'], ['united states of america', 'US'], ['EUA', 'US'], ['EEUU', 'US'],
    ['Canadá', 'CA'], ['canada', 'CA'], ['CANADA', 'CA'],
    ['Portugal', 'PT'], ['Alemanha', 'DE'], ['Alemania', 'DE'], ['Germany', 'DE'],
    ['Espanha', 'ES'], ['España', 'ES'], ['Spain', 'ES'], ['Reino Unido', 'GB'], ['Great Britain', 'GB'],
    ['México', 'MX'], ['Mexico', 'MX'], ['Japão', 'JP'], ['Japón', 'JP'], ['Holanda', 'NL'], ['Países Baixos', 'NL'],
    ['Países Bajos', 'NL'], ['Netherlands', 'NL'], ['Coreia do Sul', 'KR'], ['South Korea', 'KR'],
    ['Côte d’Ivoire', 'CI'], ["Cote d'Ivoire", 'CI'], ['Costa do Marfim', 'CI'],
    ['St. Kitts & Nevis', 'KN'], ['Saint Kitts and Nevis', 'KN'], ['Bosnia and Herzegovina', 'BA'],
    ['Trinidad e Tobago', 'TT'], ['Trinidad y Tobago', 'TT'], ['Trinidad and Tobago', 'TT'],
    ['Myanmar', 'MM'], ['Hong Kong', 'HK'], ['Turquia', 'TR'], ['Turkey', 'TR'], ['Türkiye', 'TR'],
    ['Czech Republic', 'CZ'], ['República Tcheca', 'CZ'], ['Moçambique', 'MZ'], ['Perú', 'PE'], ['Irã', 'IR'],
    ['Kosovo', 'XK'], ['Ｂｒａｓｉｌ', 'BR'],
  ])('%j → %s', (raw, expected) => {
    expect(normalizeCountry(raw)).toBe(expected);
  });

  it.each(['constructor', '__proto__', 'toString', 'Atlantis', 'YU', 'SU', 'ZZ', 'EU', 'UN', 'XX', 'ABC', 'BRZ', 'Brasill', '123', '076', 'B R', 'x'.repeat(101)])(
    '%j → unknown',
    (raw) => {
      expect(normalizeCountry(raw)).toBeUndefined();
    },
  );

  it('resolves every ISO alpha-2 and alpha-3 code, and the English name of each', () => {
    const english = new Intl.DisplayNames(['en'], { type: 'region' });
    for (const [alpha3, alpha2] of ALPHA2_BY_ALPHA3) {
      expect(normalizeCountry(alpha2)).toBe(alpha2);
      expect(normalizeCountry(alpha3.toLowerCase())).toBe(alpha2);
      expect(normalizeCountry(english.of(alpha2) ?? '')).toBe(alpha2);
    }
    expect(ALPHA2_CODES.size).toBe(250);
  });
});
