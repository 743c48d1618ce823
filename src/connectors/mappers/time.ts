/**
 * Event-time parsing for the mappers. Every function returns undefined for
 * input it cannot read exactly, so the connector falls back to the Kafka
 * message timestamp instead of guessing. None of them reads the clock or the
 * machine's time zone.
 */

/**
 * America/Sao_Paulo as a fixed UTC-03:00: Brazil abolished daylight saving
 * time in 2019, so local times the Brazilian platforms send without an
 * offset (Kiwify, Eduzz legacy) are read as -03:00. Times from before 2019
 * that fell in DST (then UTC-02:00) come out one hour late; those events are
 * far older than anything they could reorder.
 */
export const SAO_PAULO_UTC_OFFSET_MINUTES = -180;

const MAX_EPOCH_MS = 8.64e15;

export function dateFromEpochMillis(ms: number): Date | undefined {
  return Number.isFinite(ms) && Math.abs(ms) <= MAX_EPOCH_MS ? new Date(Math.trunc(ms)) : undefined;
}

export function dateFromEpochSeconds(seconds: number): Date | undefined {
  return dateFromEpochMillis(seconds * 1000);
}

// YYYY-MM-DD, then T or a space, HH:mm, optional :ss and fraction, optional Z or ±HH[:]MM.
const ISO_LIKE =
  /^(\d{4})-(\d{2})-(\d{2})[Tt ](\d{2}):(\d{2})(?::(\d{2})(?:[.,](\d+))?)?\s*(?:([Zz])|([+-])(\d{2}):?(\d{2}))?$/;

/**
 * An ISO-8601 date-time (`2024-03-01T10:02:00.123-03:00`, `...Z`) or the
 * same with a space and without seconds (`2024-03-01 10:02`). Without an
 * offset the time is read at `defaultOffsetMinutes`; with none given, a time
 * without an offset is unreadable. Fractions finer than milliseconds are
 * truncated.
 */
export function parseInstant(text: string, defaultOffsetMinutes?: number): Date | undefined {
  const m = ISO_LIKE.exec(text.trim());
  if (!m) return undefined;
  const [, year, month, day, hour, minute, second, fraction, zulu, sign, offsetHours, offsetMinutes] = m;
  let offset: number;
  if (zulu !== undefined) offset = 0;
  else if (sign !== undefined) {
    const hours = Number(offsetHours);
    const minutes = Number(offsetMinutes);
    if (hours > 23 || minutes > 59) return undefined;
    offset = (sign === '-' ? -1 : 1) * (hours * 60 + minutes);
  } else if (defaultOffsetMinutes !== undefined) offset = defaultOffsetMinutes;
  else return undefined;
  const millis = fraction === undefined ? 0 : Number(fraction.slice(0, 3).padEnd(3, '0'));
  return fromParts(
    Number(year),
    Number(month),
    Number(day),
    Number(hour),
    Number(minute),
    Number(second ?? '0'),
    millis,
    offset,
  );
}

const COMPACT_DATE = /^(\d{4})-?(\d{2})-?(\d{2})$/;
const CLOCK_TIME = /^(\d{2}):?(\d{2})(?::?(\d{2}))?$/;

/**
 * A date (`YYYYMMDD`, or `YYYY-MM-DD`) and a separate clock time
 * (`HH:MM:SS`, `HH:MM`) at a fixed UTC offset: Eduzz's legacy
 * `trans_*date` / `trans_*time` pairs.
 */
export function parseDateAndTime(date: string, time: string, offsetMinutes: number): Date | undefined {
  const d = COMPACT_DATE.exec(date.trim());
  const t = CLOCK_TIME.exec(time.trim());
  if (!d || !t) return undefined;
  return fromParts(
    Number(d[1]),
    Number(d[2]),
    Number(d[3]),
    Number(t[1]),
    Number(t[2]),
    Number(t[3] ?? '0'),
    0,
    offsetMinutes,
  );
}

/** The instant of a wall-clock time at a UTC offset, or undefined if any part is out of range (Feb 30, 24:00). */
function fromParts(
  year: number,
  month: number,
  day: number,
  hour: number,
  minute: number,
  second: number,
  millis: number,
  offsetMinutes: number,
): Date | undefined {
  if (month < 1 || month > 12 || day < 1 || hour > 23 || minute > 59 || second > 59) return undefined;
  // setUTCFullYear, unlike Date.UTC, takes years 0-99 literally.
  const probe = new Date(0);
  probe.setUTCFullYear(year, month - 1, day);
  probe.setUTCHours(hour, minute, second, millis);
  // Feb 30 rolls over to Mar 1; a changed day means the date did not exist.
  if (probe.getUTCFullYear() !== year || probe.getUTCMonth() !== month - 1 || probe.getUTCDate() !== day) {
    return undefined;
  }
  const utc = probe.getTime();
  return new Date(utc - offsetMinutes * 60_000);
}
