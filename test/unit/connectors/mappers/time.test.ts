import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  SAO_PAULO_UTC_OFFSET_MINUTES,
  dateFromEpochMillis,
  dateFromEpochSeconds,
  parseDateAndTime,
  parseInstant,
} from '../../../../src/connectors/mappers/time.js';

const SP = SAO_PAULO_UTC_OFFSET_MINUTES;

describe('parseInstant', () => {
  it.each([
    ['2024-03-01T10:02:00Z', undefined, '2024-03-01T10:02:00.000Z'],
    ['2024-03-01T10:02:00.5+01:00', undefined, '2024-03-01T09:02:00.500Z'],
    ['2024-03-01T10:02:00.123456789-03:00', undefined, '2024-03-01T13:02:00.123Z'],
    ['2024-03-01T10:02:00-0300', undefined, '2024-03-01T13:02:00.000Z'],
    ['2024-03-01 10:02', SP, '2024-03-01T13:02:00.000Z'],
    ['2024-03-01 10:02:59', SP, '2024-03-01T13:02:59.000Z'],
    ['2024-03-01T10:02:00', SP, '2024-03-01T13:02:00.000Z'],
    ['2024-03-01 23:30', SP, '2024-03-02T02:30:00.000Z'],
    ['2024-02-29T00:00:00Z', undefined, '2024-02-29T00:00:00.000Z'],
    ['0099-12-31T23:59:59Z', undefined, '0099-12-31T23:59:59.000Z'],
  ])('reads %s (default offset %s) as %s', (text, offset, iso) => {
    expect(parseInstant(text, offset)?.toISOString()).toBe(iso);
  });

  it.each([
    ['2024-03-01T10:02:00', undefined],
    ['2024-02-30T10:02:00Z', undefined],
    ['2023-02-29 10:02', SP],
    ['2024-13-01 10:02', SP],
    ['2024-03-01 24:00', SP],
    ['2024-03-01 10:60', SP],
    ['2024-03-01T10:02:00+24:00', undefined],
    ['01/03/2024 10:02', SP],
    ['2024-03-01', SP],
    ['', SP],
    ['1709298120000', SP],
  ])('does not read %j (default offset %s)', (text, offset) => {
    expect(parseInstant(text, offset)).toBeUndefined();
  });

  it('reads back any instant written as São Paulo wall-clock time', () => {
    fc.assert(
      fc.property(
        fc.date({ min: new Date('1970-01-01T00:00:00Z'), max: new Date('2200-01-01T00:00:00Z'), noInvalidDate: true }),
        (date) => {
          const seconds = new Date(Math.floor(date.getTime() / 1000) * 1000);
          const wall = new Date(seconds.getTime() + SP * 60_000).toISOString();
          const text = `${wall.slice(0, 10)} ${wall.slice(11, 19)}`;
          expect(parseInstant(text, SP)).toEqual(seconds);
        },
      ),
    );
  });
});

describe('parseDateAndTime', () => {
  it.each([
    ['20190904', '12:00:00', '2019-09-04T15:00:00.000Z'],
    ['2019-09-04', '12:00', '2019-09-04T15:00:00.000Z'],
    ['20191231', '22:15:09', '2020-01-01T01:15:09.000Z'],
  ])('reads %s %s as %s', (date, time, iso) => {
    expect(parseDateAndTime(date, time, SP)?.toISOString()).toBe(iso);
  });

  it.each([
    ['00000000', '00:00:00'],
    ['20190231', '12:00:00'],
    ['20190904', '25:00:00'],
    ['2019094', '12:00:00'],
    ['20190904', ''],
  ])('does not read %j %j', (date, time) => {
    expect(parseDateAndTime(date, time, SP)).toBeUndefined();
  });
});

describe('epoch conversions', () => {
  it('reads milliseconds and seconds', () => {
    expect(dateFromEpochMillis(1763247746098)?.toISOString()).toBe('2025-11-15T23:02:26.098Z');
    expect(dateFromEpochSeconds(1648320110)?.toISOString()).toBe('2022-03-26T18:41:50.000Z');
  });

  it('returns undefined outside the Date range', () => {
    expect(dateFromEpochMillis(8.64e15 + 1)).toBeUndefined();
    expect(dateFromEpochSeconds(1e13)).toBeUndefined();
    expect(dateFromEpochMillis(Number.NaN)).toBeUndefined();
  });
});
