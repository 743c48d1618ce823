import { describe, expect, it } from 'vitest';
import type { MergeResult } from '../../../src/unifier/merge/merge.js';
import { mergeSummary } from '../../../src/cli/mergeSummary.js';

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
