/**
 * Text helpers shared by the field normalizers. "Whitespace" here is what
 * JavaScript's `String.prototype.trim` and `\s` mean: ASCII whitespace, NBSP,
 * the Unicode space separators, line/paragraph separators and the BOM.
 */

/** `null`, `undefined`, `""` and whitespace-only values are empty: absent, never a drop. */
export function isEmptyValue(raw: string | null | undefined): raw is null | undefined {
  return raw === null || raw === undefined || raw.trim() === '';
}

/** Trims, then turns every inner run of whitespace (tabs, newlines, NBSP, ...) into one space. */
export function collapseWhitespace(value: string): string {
  return value.trim().replace(/\s+/g, ' ');
}

/** Postgres text cannot store U+0000 at all. */
export function hasNul(value: string): boolean {
  return value.includes('\u0000');
}

/**
 * An unpaired UTF-16 surrogate has no UTF-8 encoding: the pg driver would
 * silently store U+FFFD instead, so the stored value would differ from the
 * normalized one and every replay would look like a change. In a `u` regex a
 * surrogate class matches only unpaired halves.
 */
export function hasLoneSurrogate(value: string): boolean {
  return /[\uD800-\uDFFF]/u.test(value);
}

/**
 * Length as Postgres VARCHAR(n) counts it: Unicode code points, not UTF-16
 * units (an emoji is 1, not 2). Same result as `[...value].length`, without
 * building an array for huge inputs.
 */
export function codePointLength(value: string): number {
  let count = 0;
  for (let i = 0; i < value.length; i += 1) {
    const unit = value.charCodeAt(i);
    const next = value.charCodeAt(i + 1);
    if (unit >= 0xd800 && unit <= 0xdbff && next >= 0xdc00 && next <= 0xdfff) i += 1;
    count += 1;
  }
  return count;
}

/** True when `value` fits a VARCHAR(`max`) column. */
export function fitsColumn(value: string, max: number): boolean {
  // A string never has more code points than UTF-16 units: skip the count when it cannot matter.
  return value.length <= max || codePointLength(value) <= max;
}

/**
 * A lookup key that ignores case, accents and punctuation:
 * `"  São-Paulo "` and `"SAO PAULO"` both give `"sao paulo"`.
 */
export function foldKey(value: string): string {
  return value
    .normalize('NFKD')
    .replace(/\p{M}/gu, '')
    .toLowerCase()
    .replace(/[^\p{L}\p{N}]+/gu, ' ')
    .trim();
}
