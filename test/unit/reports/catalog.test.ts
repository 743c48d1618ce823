import { describe, expect, it } from 'vitest';
import { DEFAULT_REPORT_OPTIONS, findReport, REPORTS, reportList } from '../../../src/reports/catalog.js';
import { maskEmails } from '../../../src/reports/run.js';
import * as SQL from '../../../src/reports/sql.js';
import { ALL_FIELDS } from '../../../src/contract.js';

describe('report catalog', () => {
  it('has unique names, each with a one-line description', () => {
    const names = REPORTS.map((r) => r.name);
    expect(new Set(names).size).toBe(names.length);
    for (const report of REPORTS) expect(report.description).not.toMatch(/\n/);
    expect(names).toEqual([
      'changes-by-field',
      'changes-by-origin',
      'changes-by-day',
      'completeness',
      'value-sources',
      'dropped-values',
      'dead-letters',
      'inactive',
      'geo-by-country',
      'geo-by-state',
      'geo-by-city',
    ]);
  });

  it('lists every report on its own line', () => {
    const lines = reportList().trimEnd().split('\n');
    expect(lines).toHaveLength(REPORTS.length);
    expect(lines[0]).toMatch(/^changes-by-field\s+audit rows per changed field/);
  });

  it('finds a report by exact name only', () => {
    expect(findReport('inactive')?.sql).toBe(SQL.INACTIVE);
    expect(findReport('Inactive')).toBeUndefined();
  });

  it('passes each report the parameters its query expects', () => {
    const options = { ...DEFAULT_REPORT_OPTIONS, limit: 5 };
    expect(findReport('inactive')?.params(options)).toEqual([180, 5]);
    expect(findReport('changes-by-day')?.params(options)).toEqual(['UTC']);
    expect(findReport('completeness')?.params(options)).toEqual([]);
  });

  it('covers every survivorship field in the completeness and value-sources queries', () => {
    for (const field of ['email', ...ALL_FIELDS]) expect(SQL.COMPLETENESS).toContain(`'${field}'`);
    for (const field of ALL_FIELDS) expect(SQL.VALUE_SOURCES).toContain(`'${field}'`);
  });
});

describe('maskEmails', () => {
  const data = { columns: ['id', 'email'], rows: [{ id: 1, email: 'ana.souza@example.com' }, { id: 2, email: null }] };

  it('masks the email columns unless revealed', () => {
    expect(maskEmails(data, ['email'], false).rows).toEqual([
      { id: 1, email: 'a********@e******.com' },
      { id: 2, email: null },
    ]);
    expect(maskEmails(data, ['email'], true)).toBe(data);
    expect(maskEmails(data, [], false)).toBe(data);
  });
});
