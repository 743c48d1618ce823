/** Rows as operators read them (aligned text), scripts parse them (JSON) or spreadsheets open them (CSV). */

export const OUTPUT_FORMATS = ['table', 'json', 'csv'] as const;
export type OutputFormat = (typeof OUTPUT_FORMATS)[number];

export type Row = Record<string, unknown>;

/** What a query returned: the column order is the query's, also when there are no rows. */
export interface Tabular {
  columns: readonly string[];
  rows: readonly Row[];
}

/** A cell as text: NULL is empty, timestamps are ISO 8601 in UTC. */
export function cellText(value: unknown): string {
  if (value === null || value === undefined) return '';
  if (value instanceof Date) return value.toISOString();
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'bigint' || typeof value === 'boolean') return String(value);
  return JSON.stringify(value);
}

/** Width in terminal columns, counting code points so "São Paulo" aligns. */
function width(text: string): number {
  return [...text].length;
}

function pad(text: string, size: number, right: boolean): string {
  const fill = ' '.repeat(Math.max(0, size - width(text)));
  return right ? fill + text : text + fill;
}

/**
 * psql-like: header, a rule, one line per row (numbers right-aligned), and
 * the row count. Line breaks inside a cell are shown as `\n` so a row stays
 * one line.
 */
export function formatTable(data: Tabular): string {
  const cells = data.rows.map((row) => data.columns.map((c) => cellText(row[c]).replace(/\r?\n/g, '\\n')));
  const numeric = data.columns.map((c) => data.rows.length > 0 && data.rows.every((row) => row[c] === null || typeof row[c] === 'number'));
  const widths = data.columns.map((c, i) => Math.max(width(c), ...cells.map((line) => width(line[i] ?? ''))));
  const line = (values: readonly string[], alignNumbers: boolean) =>
    values
      .map((v, i) => pad(v, widths[i] ?? 0, alignNumbers && (numeric[i] ?? false)))
      .join(' | ')
      .trimEnd();
  const out = [line(data.columns, false), widths.map((w) => '-'.repeat(w)).join('-+-')];
  for (const row of cells) out.push(line(row, true));
  out.push(`(${data.rows.length} ${data.rows.length === 1 ? 'row' : 'rows'})`);
  return `${out.join('\n')}\n`;
}

/** A JSON array of objects keyed by column, in column order. */
export function formatJson(data: Tabular): string {
  const rows = data.rows.map((row) => Object.fromEntries(data.columns.map((c) => [c, row[c] ?? null])));
  return `${JSON.stringify(rows, (_key, value: unknown) => (typeof value === 'bigint' ? value.toString() : value), 2)}\n`;
}

/** RFC 4180: a field with a comma, quote, CR or LF is quoted, quotes doubled; lines end with CRLF. */
export function csvField(text: string): string {
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

export function formatCsv(data: Tabular): string {
  const lines = [data.columns.map(csvField).join(',')];
  for (const row of data.rows) lines.push(data.columns.map((c) => csvField(cellText(row[c]))).join(','));
  return `${lines.join('\r\n')}\r\n`;
}

export function formatRows(data: Tabular, format: OutputFormat): string {
  switch (format) {
    case 'table':
      return formatTable(data);
    case 'json':
      return formatJson(data);
    case 'csv':
      return formatCsv(data);
  }
}
