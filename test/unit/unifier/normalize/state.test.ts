import { describe, expect, it } from 'vitest';
import { normalizeState } from '../../../../src/unifier/normalize/state.js';

const UFS: Record<string, string> = {
  Acre: 'AC', Alagoas: 'AL', Amapá: 'AP', Amazonas: 'AM', Bahia: 'BA', Ceará: 'CE',
  'Distrito Federal': 'DF', 'Espírito Santo': 'ES', Goiás: 'GO', Maranhão: 'MA',
  'Mato Grosso': 'MT', 'Mato Grosso do Sul': 'MS', 'Minas Gerais': 'MG', Pará: 'PA',
  Paraíba: 'PB', Paraná: 'PR', Pernambuco: 'PE', Piauí: 'PI', 'Rio de Janeiro': 'RJ',
  'Rio Grande do Norte': 'RN', 'Rio Grande do Sul': 'RS', Rondônia: 'RO', Roraima: 'RR',
  'Santa Catarina': 'SC', 'São Paulo': 'SP', Sergipe: 'SE', Tocantins: 'TO',
};

describe('normalizeState', () => {
  it.each(Object.entries(UFS))('%s → %s (country BR, no country, any case, no accents)', (name, uf) => {
    expect(normalizeState(name, 'BR')).toBe(uf);
    expect(normalizeState(name, undefined)).toBe(uf);
    expect(normalizeState(name.toUpperCase(), 'BR')).toBe(uf);
    expect(normalizeState(name.normalize('NFD').replace(/\p{M}/gu, '').toLowerCase(), 'BR')).toBe(uf);
    expect(normalizeState(uf.toLowerCase(), 'BR')).toBe(uf);
  });

  it.each<[string, string | undefined, string]>([
    ['Minas Gerais', 'BR', 'MG'],
    ['  minas   gerais ', 'BR', 'MG'],
    ['São Paulo', 'BR', 'SP'],
    ['sao paulo', undefined, 'SP'],
    ['SÃO PAULO', undefined, 'SP'],
    ['Sao-Paulo', 'BR', 'SP'],
    ['sp', 'BR', 'SP'],
    ['Sp', 'BR', 'SP'],
    ['SP', undefined, 'SP'],
    // Without a country a two-letter code may belong to any country: kept as given.
    ['sp', undefined, 'sp'],
    ['on', undefined, 'on'],
    // Unknown Brazilian values are kept (trimmed and collapsed).
    ['Gotham', 'BR', 'Gotham'],
    ['XX', 'BR', 'XX'],
    ['  Estado  de  São Paulo ', 'BR', 'Estado de São Paulo'],
    // Other countries: kept as given.
    ['TX', 'US', 'TX'],
    ['Texas', 'US', 'Texas'],
    ['on', 'CA', 'on'],
    [' Ontario ', 'CA', 'Ontario'],
    ['São Paulo', 'US', 'São Paulo'],
    ['Minas Gerais', 'PT', 'Minas Gerais'],
    ['Île-de-France', 'FR', 'Île-de-France'],
    ['constructor', 'BR', 'constructor'],
    ['__proto__', undefined, '__proto__'],
  ])('%j (%s) → %j', (raw, country, expected) => {
    expect(normalizeState(raw, country)).toBe(expected);
  });
});
