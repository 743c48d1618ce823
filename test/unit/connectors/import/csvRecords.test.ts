import { describe, expect, it } from 'vitest';
import { delimitCsvRecords, parseRecords, type CsvUnit, type DelimitedUnit } from '../../../../src/connectors/import/csvRecords.js';
import type { PhysicalLine } from '../../../../src/connectors/import/inputFile.js';

async function* linesOf(text: string | Buffer[]): AsyncGenerator<PhysicalLine> {
  const parts = typeof text === 'string' ? text.split('\n').map((l) => Buffer.from(l)) : text;
  let line = 0;
  for (const bytes of parts) yield { line: ++line, bytes };
}

/** Delimits and parses like the importer does, as [line, fields | reason]. */
async function units(text: string | Buffer[], maxLines?: number): Promise<(string | number | string[])[][]> {
  const delimited: DelimitedUnit[] = [];
  for await (const unit of delimitCsvRecords(linesOf(text), maxLines)) delimited.push(unit);
  const parsed = parseRecords(delimited.filter((u): u is Extract<DelimitedUnit, { kind: 'pending' }> => u.kind === 'pending'));
  let next = 0;
  return delimited.map((u) => {
    const unit: CsvUnit = u.kind === 'pending' ? (parsed[next++] as CsvUnit) : u;
    if (unit.kind === 'blank') return [unit.line, 'blank'];
    if (unit.kind === 'malformed') return [unit.line, unit.reason];
    return [unit.line, unit.endLine, unit.fields];
  });
}

describe('CSV records', () => {
  it('parses quoted fields, doubled quotes and fields spanning lines, keeping start and end lines', async () => {
    expect(await units('a,b\n"x, y","say ""hi"""\n"multi\nline",z\n\nlast,1')).toEqual([
      [1, 1, ['a', 'b']],
      [2, 2, ['x, y', 'say "hi"']],
      [3, 4, ['multi\nline', 'z']],
      [5, 'blank'],
      [6, 6, ['last', '1']],
    ]);
  });

  it('isolates a malformed record: the lines after it are records again', async () => {
    expect(await units('a,b\nbad,"x"y\nok,1\n"unclosed,2\nok,3\nok,"4"')).toEqual([
      [1, 1, ['a', 'b']],
      [2, 'invalid_csv'],
      [3, 3, ['ok', '1']],
      [4, 'invalid_csv'],
      [5, 5, ['ok', '3']],
      [6, 6, ['ok', '4']],
    ]);
  });

  it('gives up on a quote that does not close within the line limit', async () => {
    const text = ['"open,1', 'a,2', 'b,3', 'c,4'].join('\n');
    expect(await units(text, 2)).toEqual([
      [1, 'invalid_csv'],
      [2, 2, ['a', '2']],
      [3, 3, ['b', '3']],
      [4, 4, ['c', '4']],
    ]);
  });

  it('reports a line that is not UTF-8 without losing its neighbours', async () => {
    const result = await units([Buffer.from('a,b'), Buffer.from([0x61, 0xff, 0x2c, 0x62]), Buffer.from('"c'), Buffer.from('d",e')]);
    expect(result).toEqual([
      [1, 1, ['a', 'b']],
      [2, 'invalid_utf8'],
      [3, 4, ['c\nd', 'e']],
    ]);
  });

  it('falls back to one record at a time only when a batch has a malformed record', () => {
    const ok = parseRecords([
      { line: 1, raw: 'a,b' },
      { line: 2, raw: '"c",d' },
    ]);
    expect(ok.map((u) => u.kind)).toEqual(['record', 'record']);
    const mixed = parseRecords([
      { line: 1, raw: 'a,b' },
      { line: 2, raw: 'x"y,"z' },
      { line: 3, raw: 'e,f' },
    ]);
    expect(mixed.map((u) => u.kind)).toEqual(['record', 'malformed', 'record']);
    expect(mixed[2]).toMatchObject({ line: 3, fields: ['e', 'f'] });
  });
});
