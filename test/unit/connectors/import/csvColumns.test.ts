import { describe, expect, it } from 'vitest';
import { CsvHeaderError, csvRowValues, parseCsvHeader, parseEventTime } from '../../../../src/connectors/import/csvColumns.js';

describe('CSV header', () => {
  it('maps columns by name in any order, case and spacing aside, a BOM included', () => {
    expect(parseCsvHeader(['\uFEFFName', ' EMAIL ', 'zip_code'], false).columns).toEqual(['name', 'email', 'zip_code']);
  });

  it('refuses unknown, duplicate and missing email columns, naming them', () => {
    expect(() => parseCsvHeader(['email', 'e-mail', 'fone'], false)).toThrow(/unknown column\(s\) "e-mail", "fone"; valid columns: email, name/);
    expect(() => parseCsvHeader(['email', 'name', 'Name'], false)).toThrow(/"name" appears twice/);
    expect(() => parseCsvHeader(['name'], false)).toThrow(CsvHeaderError);
    expect(parseCsvHeader(['email', 'notes'], true).columns).toEqual(['email', null]);
  });
});

describe('CSV row values', () => {
  const header = parseCsvHeader(['email', 'name', 'phone_number', 'city', 'event_id', 'event_time', 'notes'], true);

  it('splits customer and address fields and leaves empty cells out', () => {
    expect(csvRowValues(['a@x.com', 'Ana', '', 'Recife', 'ev-1', '2024-03-01T10:00:00-03:00', 'ignored'], header)).toEqual({
      ok: true,
      values: { email: 'a@x.com', eventId: 'ev-1', eventTime: new Date('2024-03-01T13:00:00Z'), customer: { name: 'Ana' }, address: { city: 'Recife' } },
    });
  });

  it('rejects a wrong field count and an unreadable event time without quoting values', () => {
    expect(csvRowValues(['a@x.com', 'Ana'], header)).toEqual({ ok: false, message: 'expected 7 fields, found 2' });
    const bad = csvRowValues(['a@x.com', 'Ana', '', '', '', '2024-03-01 10:00', ''], header);
    expect(bad).toMatchObject({ ok: false, path: 'event_time' });
    expect(JSON.stringify(bad)).not.toContain('2024-03-01 10:00');
  });

  it('reads event_time as ISO-8601 with an offset or epoch milliseconds', () => {
    expect(parseEventTime('1704067200000')).toEqual(new Date('2024-01-01T00:00:00Z'));
    expect(parseEventTime('2024-01-01T00:00:00Z')).toEqual(new Date('2024-01-01T00:00:00Z'));
    expect(parseEventTime('2024-01-01')).toBeUndefined();
  });
});
