import { InvalidArgumentError } from 'commander';
import { describe, expect, it } from 'vitest';
import { filterConditions } from '../../../../src/audit/publisher/snapshotWriter.js';
import { idList } from '../../../../src/cli/outputOptions.js';

describe('partial snapshot filters', () => {
  it('adds nothing for a full snapshot, the ids as a parameter, the predicate in parentheses', () => {
    expect(filterConditions({}, 3)).toBe('');
    expect(filterConditions({ ids: [1, 2] }, 3)).toBe('AND id = ANY($3::int[])');
    expect(filterConditions({ where: "email LIKE '%@x.com' OR true" }, 2)).toBe("AND (email LIKE '%@x.com' OR true)");
    expect(filterConditions({ ids: [1], where: 'name IS NULL' }, 2)).toBe('AND id = ANY($2::int[]) AND (name IS NULL)');
  });

  it('--ids takes comma-separated positive ids (duplicates once) and refuses anything else', () => {
    expect(idList('3, 1,2,3')).toEqual([3, 1, 2]);
    for (const bad of ['', '1,,2', '0', '-1', '1.5', 'a', '2147483648']) expect(() => idList(bad), bad).toThrow(InvalidArgumentError);
  });
});
