/**
 * Policy durations as operators write them: `3y`, `18mo`, `6w`, `90d`, or a
 * sum such as `1y6mo`. Kept calendar-aware (years and months are not a fixed
 * number of days), so they become a Postgres interval and the cutoff is
 * computed by the database: `now() - interval`.
 */
export interface Duration {
  years: number;
  months: number;
  weeks: number;
  days: number;
}

export type DurationResult = { ok: true; duration: Duration } | { ok: false; message: string };

const PART = /(\d+)(y|mo|w|d)/y;
const UNIT_KEY = { y: 'years', mo: 'months', w: 'weeks', d: 'days' } as const;

/** Parses `3y`, `18mo`, `6w`, `90d` or a sum of them (`1y6mo`); each unit at most once, total above zero. */
export function parseDuration(text: string): DurationResult {
  const source = text.trim();
  const invalid = (why: string): DurationResult => ({
    ok: false,
    message: `invalid duration "${text}": ${why}; write e.g. 3y, 18mo, 6w, 90d or 1y6mo`,
  });
  if (source === '') return invalid('empty');
  const duration: Duration = { years: 0, months: 0, weeks: 0, days: 0 };
  const seen = new Set<string>();
  PART.lastIndex = 0;
  while (PART.lastIndex < source.length) {
    const start = PART.lastIndex;
    const match = PART.exec(source);
    if (!match || match.index !== start) return invalid('expected <number><unit> with unit y, mo, w or d');
    const [, amount = '', unit = ''] = match;
    if (seen.has(unit)) return invalid(`unit "${unit}" given twice`);
    seen.add(unit);
    const value = Number(amount);
    if (!Number.isSafeInteger(value) || value > 10_000) return invalid('number too large');
    duration[UNIT_KEY[unit as keyof typeof UNIT_KEY]] = value;
  }
  if (duration.years + duration.months + duration.weeks + duration.days === 0) return invalid('must be longer than zero');
  return { ok: true, duration };
}

/** The duration as Postgres interval input (`'3 years 0 mons ...'` style), for `$1::interval`. */
export function toPgInterval(duration: Duration): string {
  return `${duration.years} years ${duration.months} months ${duration.weeks * 7 + duration.days} days`;
}

/** `3y`, `1y6mo`: the canonical short form, for messages. */
export function formatDuration(duration: Duration): string {
  const parts: string[] = [];
  if (duration.years) parts.push(`${duration.years}y`);
  if (duration.months) parts.push(`${duration.months}mo`);
  if (duration.weeks) parts.push(`${duration.weeks}w`);
  if (duration.days) parts.push(`${duration.days}d`);
  return parts.join('') || '0d';
}
