import { finished } from 'node:stream/promises';
import type { PoolClient } from 'pg';
import { from as copyFrom } from 'pg-copy-streams';

/** A column value of COPY's text format: text, an integer, or NULL. */
export type CopyValue = string | number | null;

const SPECIAL = /[\\\n\r\t]/;

/** Pure: one value in COPY's text format (backslash escapes; `\N` is NULL). */
export function copyField(value: CopyValue): string {
  if (value === null) return '\\N';
  if (typeof value === 'number') return String(value);
  if (!SPECIAL.test(value)) return value;
  return value.replace(/[\\\n\r\t]/g, (c) => (c === '\\' ? '\\\\' : c === '\n' ? '\\n' : c === '\r' ? '\\r' : '\\t'));
}

/** Pure: rows in COPY's text format, one line each. */
export function copyText(rows: readonly (readonly CopyValue[])[]): string {
  let out = '';
  for (const row of rows) {
    for (let i = 0; i < row.length; i += 1) {
      if (i > 0) out += '\t';
      out += copyField(row[i] ?? null);
    }
    out += '\n';
  }
  return out;
}

/**
 * `COPY <target> FROM STDIN` of the rows, on the client's open transaction:
 * appends without a statement to parse and plan, and without encoding the
 * rows as JSON or arrays. Resolves when Postgres acknowledged every row;
 * rejects with Postgres' error (the transaction is then aborted).
 */
export async function copyRows(client: PoolClient, target: string, rows: readonly (readonly CopyValue[])[]): Promise<void> {
  if (rows.length === 0) return;
  const stream = client.query(copyFrom(`COPY ${target} FROM STDIN`));
  stream.end(copyText(rows));
  await finished(stream);
}
