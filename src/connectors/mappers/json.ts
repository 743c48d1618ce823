/**
 * `JSON.parse` that keeps integers beyond 2^53 exact by turning them into
 * decimal strings. Shopify ids (e.g. `706405506930370084`) exceed
 * Number.MAX_SAFE_INTEGER and plain `JSON.parse` rounds them to a different
 * id; Node 20's reviver cannot see the source text, so this quotes such
 * literals before parsing. Safe integers, fractions and exponents are left
 * as numbers. Meant for the connector to decode message values with.
 */
export function parseJsonPreservingBigIntegers(text: string): unknown {
  return JSON.parse(quoteUnsafeIntegers(text));
}

/** The JSON text with every integer literal outside the safe range wrapped in quotes. */
export function quoteUnsafeIntegers(text: string): string {
  let out = '';
  let copiedUpTo = 0;
  let i = 0;
  while (i < text.length) {
    const ch = text[i];
    if (ch === '"') {
      // Skip the string literal; digits inside it are text.
      i++;
      while (i < text.length && text[i] !== '"') i += text[i] === '\\' ? 2 : 1;
      i++;
    } else if (ch === '-' || (ch !== undefined && ch >= '0' && ch <= '9')) {
      const start = i;
      i++;
      while (i < text.length && /[0-9.eE+-]/.test(text[i] ?? '')) i++;
      const literal = text.slice(start, i);
      if (/^-?\d+$/.test(literal) && !Number.isSafeInteger(Number(literal))) {
        out += `${text.slice(copiedUpTo, start)}"${literal}"`;
        copiedUpTo = i;
      }
    } else {
      i++;
    }
  }
  return copiedUpTo === 0 ? text : out + text.slice(copiedUpTo);
}
