import { describe, expect, it } from 'vitest';
import { duplicateRows, matchedLabel, type DuplicatePair } from '../../../src/reports/duplicates.js';
import { isPseudonymizedEmail, type MergeResult } from '../../../src/unifier/merge/merge.js';
import { mergeSummary } from '../../../src/cli/mergeSummary.js';

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

describe('pseudonymized emails', () => {
  it('recognises the seed pattern only', () => {
    expect(isPseudonymizedEmail('deleted_0cc175b9c0f1b6a831c399e269772661@anonymous.com')).toBe(true);
    expect(isPseudonymizedEmail('deletedX@anonymous.com')).toBe(false);
    expect(isPseudonymizedEmail('deleted_1@anonymous.com.br')).toBe(false);
    expect(isPseudonymizedEmail(null)).toBe(false);
  });
});

describe('merge summary', () => {
  const result: MergeResult = {
    keepId: 7,
    dropId: 12,
    mergeLogId: 345,
    fields: [
      { field: 'name', before: 'Ana', dropped: 'Ana Souza', after: 'Ana Souza', outcome: 'replaced' },
      { field: 'city', before: null, dropped: 'Recife', after: 'Recife', outcome: 'filled' },
    ],
    changedFields: 2,
    movedLogs: 4,
    movedAliases: [],
    alias: 'ana@old.example.com',
    committed: true,
  };

  it('masks values unless revealed and says how to reverse', () => {
    const masked = mergeSummary(result, false);
    expect(masked).toContain('merged customer 12 into customer 7 (merge audit row 345)');
    expect(masked).toContain('name  | A**         | A********');
    expect(masked).not.toContain('Recife');
    expect(masked).toContain('2 field(s) changed; moved 4 audit row(s) and 0 alias(es); a**@o**********.com is now an alias of customer 7');
    expect(masked).toContain('merge_log_id=345');
    expect(mergeSummary(result, true)).toContain('Recife');
  });

  it('says a dry run wrote nothing', () => {
    const dry = mergeSummary({ ...result, committed: false, mergeLogId: null }, true);
    expect(dry).toMatch(/^dry run, nothing written: customer 12 would be merged into customer 7/);
    expect(dry).toContain('would become an alias');
    expect(dry).not.toContain('merge_log_id');
  });
});
