import { describe, expect, it } from 'vitest';
import { cellText, csvField, formatCsv, formatJson, formatRows, formatTable, type Tabular } from '../../../src/reports/format.js';

const data: Tabular = {
  columns: ['city', 'customer_count', 'percentage'],
  rows: [
    { city: 'São Paulo', customer_count: 12, percentage: 66.67 },
    { city: 'Recife', customer_count: 5, percentage: 27.78 },
    { city: null, customer_count: 1, percentage: 5.56 },
  ],
};

describe('formatTable', () => {
  it('aligns columns by code points, right-aligns numbers, and counts rows', () => {
    expect(formatTable(data)).toBe(
      [
        'city      | customer_count | percentage',
        '----------+----------------+-----------',
        'São Paulo |             12 |      66.67',
        'Recife    |              5 |      27.78',
        '          |              1 |       5.56',
        '(3 rows)',
        '',
      ].join('\n'),
    );
  });

  it('prints the header of an empty result', () => {
    expect(formatTable({ columns: ['reason', 'count'], rows: [] })).toBe('reason | count\n-------+------\n(0 rows)\n');
  });

  it('keeps a row on one line when a cell has line breaks', () => {
    expect(formatTable({ columns: ['v'], rows: [{ v: 'a\r\nb' }] }).split('\n')[2]).toBe('a\\nb');
  });

  it('says "1 row"', () => {
    expect(formatTable({ columns: ['n'], rows: [{ n: 1 }] })).toMatch(/\(1 row\)\n$/);
  });
});

describe('formatJson', () => {
  it('is an array of objects in column order, NULL as null, dates as ISO strings', () => {
    const when = new Date('2024-03-01T10:00:00.000Z');
    const out = formatJson({ columns: ['b', 'a', 'c'], rows: [{ a: 1, b: null, c: when }] });
    expect(JSON.parse(out)).toEqual([{ b: null, a: 1, c: '2024-03-01T10:00:00.000Z' }]);
    expect(Object.keys(JSON.parse(out)[0])).toEqual(['b', 'a', 'c']);
    expect(out.endsWith('\n')).toBe(true);
  });

  it('renders an empty result as []', () => {
    expect(formatJson({ columns: ['x'], rows: [] })).toBe('[]\n');
  });
});

describe('formatCsv (RFC 4180)', () => {
  it('quotes fields with commas, quotes, CR or LF and doubles quotes; lines end with CRLF', () => {
    const out = formatCsv({
      columns: ['name', 'note', 'n'],
      rows: [
        { name: 'Souza, Ana', note: 'said "hi"', n: 1 },
        { name: 'Bruno', note: 'two\nlines', n: null },
        { name: 'Carla', note: 'cr\rhere', n: 3 },
      ],
    });
    expect(out).toBe('name,note,n\r\n"Souza, Ana","said ""hi""",1\r\nBruno,"two\nlines",\r\nCarla,"cr\rhere",3\r\n');
  });

  it('leaves plain fields alone and quotes a header that needs it', () => {
    expect(csvField('plain')).toBe('plain');
    expect(csvField('')).toBe('');
    expect(formatCsv({ columns: ['a,b'], rows: [] })).toBe('"a,b"\r\n');
  });
});

describe('cellText and formatRows', () => {
  it('renders every kind of value', () => {
    expect(cellText(null)).toBe('');
    expect(cellText(undefined)).toBe('');
    expect(cellText(true)).toBe('true');
    expect(cellText(12n)).toBe('12');
    expect(cellText(['x'])).toBe('["x"]');
    expect(cellText(new Date(0))).toBe('1970-01-01T00:00:00.000Z');
  });

  it('dispatches on the format', () => {
    expect(formatRows(data, 'table')).toBe(formatTable(data));
    expect(formatRows(data, 'json')).toBe(formatJson(data));
    expect(formatRows(data, 'csv')).toBe(formatCsv(data));
  });
});
