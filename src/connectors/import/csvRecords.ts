import { parse } from 'csv-parse/sync';
import type { PhysicalLine } from './inputFile.js';

/**
 * CSV records out of physical lines, with csv-parse doing the field parsing.
 * A streaming csv-parse recovers badly from a malformed record (an unclosed
 * quote swallows the rest of the file), so records are delimited here first:
 * a record ends at the first line where its double quotes balance (RFC 4180
 * escapes a quote as `""`, which keeps the count even). A bad record then
 * costs its own lines only, and every record keeps its line number.
 */

export type CsvUnit =
  | { kind: 'record'; line: number; endLine: number; raw: string; fields: string[] }
  | { kind: 'malformed'; line: number; endLine: number; raw: string; reason: 'invalid_csv' | 'invalid_utf8'; message: string }
  | { kind: 'blank'; line: number };

/** A record delimited but not parsed yet (single-line records are parsed a batch at a time). */
export type DelimitedUnit =
  | { kind: 'pending'; line: number; raw: string }
  | Exclude<CsvUnit, { kind: 'record' }>
  | Extract<CsvUnit, { kind: 'record' }>;

const utf8 = new TextDecoder('utf-8', { fatal: true });

/** A record spanning more lines than this is taken for an unclosed quote. */
export const MAX_LINES_PER_RECORD = 1_000;

function countQuotes(text: string): number {
  let n = 0;
  for (let i = text.indexOf('"'); i !== -1; i = text.indexOf('"', i + 1)) n += 1;
  return n;
}

function decode(bytes: Buffer): string | null {
  try {
    return utf8.decode(bytes);
  } catch {
    return null;
  }
}

/** Fields of one record, or the parser's complaint (without quoting the input: it may hold personal data). */
export function parseOneRecord(raw: string): { ok: true; fields: string[] } | { ok: false; message: string } {
  try {
    const rows = parse(raw, { relax_column_count: true }) as string[][];
    if (rows.length !== 1 || !rows[0]) return { ok: false, message: `not one CSV record (${rows.length})` };
    return { ok: true, fields: rows[0] };
  } catch (err) {
    const code = (err as { code?: unknown }).code;
    return { ok: false, message: `malformed CSV (${typeof code === 'string' ? code : 'parse error'})` };
  }
}

/**
 * Parses many single-line records in one csv-parse call (an order of
 * magnitude faster than one call each); falls back to one call per record
 * when any of them is malformed.
 */
export function parseRecords(pending: readonly { line: number; raw: string }[]): CsvUnit[] {
  if (pending.length === 0) return [];
  let rows: string[][] | undefined;
  try {
    rows = parse(pending.map((p) => p.raw).join('\n'), { relax_column_count: true }) as string[][];
  } catch {
    rows = undefined;
  }
  if (rows && rows.length === pending.length) {
    return pending.map((p, i) => ({ kind: 'record', line: p.line, endLine: p.line, raw: p.raw, fields: rows[i] ?? [] }));
  }
  return pending.map((p): CsvUnit => {
    const one = parseOneRecord(p.raw);
    return one.ok
      ? { kind: 'record', line: p.line, endLine: p.line, raw: p.raw, fields: one.fields }
      : { kind: 'malformed', line: p.line, endLine: p.line, raw: p.raw, reason: 'invalid_csv', message: one.message };
  });
}

/**
 * Delimits records. Single-line records come out `pending` (parse them in
 * batches with `parseRecords`); a record spanning lines is parsed here, and
 * if it does not parse (or never closes its quote), its first line is
 * reported malformed and the following lines are read again as records of
 * their own.
 */
export async function* delimitCsvRecords(lines: AsyncIterable<PhysicalLine>, maxLinesPerRecord = MAX_LINES_PER_RECORD): AsyncGenerator<DelimitedUnit> {
  const iterator = lines[Symbol.asyncIterator]();
  const pushedBack: PhysicalLine[] = [];
  const next = async (): Promise<PhysicalLine | undefined> => {
    const back = pushedBack.pop();
    if (back) return back;
    const result = await iterator.next();
    return result.done ? undefined : result.value;
  };
  for (let first = await next(); first; first = await next()) {
    const text = decode(first.bytes);
    if (text === null) {
      yield { kind: 'malformed', line: first.line, endLine: first.line, raw: first.bytes.toString('latin1'), reason: 'invalid_utf8', message: 'line is not valid UTF-8' };
      continue;
    }
    if (text.trim() === '') {
      yield { kind: 'blank', line: first.line };
      continue;
    }
    if (countQuotes(text) % 2 === 0) {
      yield { kind: 'pending', line: first.line, raw: text };
      continue;
    }
    const taken: PhysicalLine[] = [first];
    const texts = [text];
    let balanced = false;
    while (!balanced && taken.length < maxLinesPerRecord) {
      const following = await next();
      if (!following) break;
      const followingText = decode(following.bytes);
      if (followingText === null) {
        pushedBack.push(following);
        break;
      }
      taken.push(following);
      texts.push(followingText);
      if (countQuotes(followingText) % 2 === 1) balanced = true;
    }
    const raw = texts.join('\n');
    const last = taken[taken.length - 1] ?? first;
    const parsed = balanced ? parseOneRecord(raw) : undefined;
    if (parsed?.ok) {
      yield { kind: 'record', line: first.line, endLine: last.line, raw, fields: parsed.fields };
      continue;
    }
    for (let i = taken.length - 1; i >= 1; i -= 1) pushedBack.push(taken[i] as PhysicalLine);
    const message = parsed ? parsed.message : 'unclosed quoted field';
    yield { kind: 'malformed', line: first.line, endLine: first.line, raw: text, reason: 'invalid_csv', message };
  }
}
