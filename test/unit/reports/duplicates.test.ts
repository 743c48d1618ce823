import { describe, expect, it } from 'vitest';
import { duplicateRows, matchedLabel, type DuplicatePair } from '../../../src/reports/duplicates.js';

const pair: DuplicatePair = {
  score: 0.905,
  id_a: 3,
  email_a: 'ana.souza@example.com',
  name_a: 'Ana Souza',
  id_b: 9,
  email_b: 'ana@work.example.org',
  name_b: 'Ana Sousa',
  same_document: false,
  same_phone: true,
  name_similarity: 0.538,
};

describe('duplicate rows', () => {
  it('names the evidence in a fixed order', () => {
    expect(matchedLabel(pair)).toBe('phone, name+zip');
    expect(matchedLabel({ same_document: true, same_phone: true, name_similarity: null })).toBe('document, phone');
  });

  it('masks emails and names by default and shows them with reveal', () => {
    expect(duplicateRows([pair], false).rows[0]).toEqual({
      score: 0.905,
      id_a: 3,
      email_a: 'a********@e******.com',
      name_a: 'A********',
      id_b: 9,
      email_b: 'a**@w***********.org',
      name_b: 'A********',
      matched: 'phone, name+zip',
      name_similarity: 0.538,
    });
    expect(duplicateRows([pair], true).rows[0]).toMatchObject({ email_a: 'ana.souza@example.com', name_b: 'Ana Sousa' });
    expect(duplicateRows([], false).columns).toEqual(['score', 'id_a', 'email_a', 'name_a', 'id_b', 'email_b', 'name_b', 'matched', 'name_similarity']);
  });
});
