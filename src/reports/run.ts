import { maskEmail } from '../runtime/mask.js';
import type { ReportDefinition, ReportOptions } from './catalog.js';
import type { Row, Tabular } from './format.js';
import { queryTabular, type Queryable } from './query.js';

/** Masks the email columns of rows unless `reveal`. Pure. */
export function maskEmails(data: Tabular, columns: readonly string[], reveal: boolean): Tabular {
  if (reveal || columns.length === 0) return data;
  const rows = data.rows.map((row) => {
    const masked: Row = { ...row };
    for (const column of columns) {
      const value = row[column];
      if (typeof value === 'string') masked[column] = maskEmail(value);
    }
    return masked;
  });
  return { columns: data.columns, rows };
}

export async function runReport(db: Queryable, report: ReportDefinition, options: ReportOptions, reveal: boolean): Promise<Tabular> {
  const data = await queryTabular(db, report.sql, report.params(options));
  return maskEmails(data, report.emailColumns, reveal);
}
