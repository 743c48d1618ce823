import { z } from 'zod';
import type { MapResult, MappedRecord } from './Mapper.js';
import { MappingError } from './errors.js';

/** An optional text value as the platform sent it: absent, null, or a string. */
export const optionalText = z.string().nullish();

/**
 * Text that some platforms send as a JSON number (phones, documents, zip
 * codes, ids), kept as its decimal string. A number loses leading zeros
 * before it reaches us; nothing here can bring them back.
 */
export const looseText = z
  .union([z.string(), z.number()], { error: 'Invalid input: expected a string or a number' })
  .transform((value) => (typeof value === 'number' ? String(value) : value));
export const optionalLooseText = looseText.nullish();

type Text = string | null | undefined;

/** True for a string with something besides whitespace. */
export function hasText(value: Text): value is string {
  return typeof value === 'string' && value.trim() !== '';
}

/**
 * The first value with text; failing that, the first value the payload had
 * at all (null or blank), so "present but empty" survives; else undefined.
 */
export function firstPresent(...values: Text[]): Text {
  let firstDefined: Text;
  for (const value of values) {
    if (hasText(value)) return value;
    if (firstDefined === undefined) firstDefined = value;
  }
  return firstDefined;
}

/**
 * The same object without its undefined-valued keys, so a mapped
 * `customer`/`address` holds only the keys the payload had. (Only for types
 * whose undefined-able keys are optional, like MappedRecord's.)
 */
export function withoutUndefined<T extends object>(values: T): T {
  const out: Record<string, unknown> = {};
  for (const key in values) {
    const value = values[key];
    if (value !== undefined) out[key] = value;
  }
  return out as T;
}

/** A record result with no undefined keys at any level the mappers build. */
export function recordResult(record: MappedRecord): MapResult {
  return {
    kind: 'record',
    record: withoutUndefined({
      ...record,
      customer: withoutUndefined(record.customer),
      address: withoutUndefined(record.address),
    }),
  };
}

export function skip(reason: string): MapResult {
  return { kind: 'skip', reason };
}

/** The email, or a MappingError naming where it should have been: a record needs one. */
export function requireEmail(value: Text, path: (string | number)[], what: string): string {
  if (hasText(value)) return value;
  throw new MappingError(`${what} has no email`, path);
}

/**
 * A message header by name, ignoring case: the connector passes headers as
 * the producer wrote them, and HTTP header names (Shopify's) are
 * case-insensitive.
 */
export function header(headers: Readonly<Record<string, string | undefined>>, name: string): string | undefined {
  const wanted = name.toLowerCase();
  for (const [key, value] of Object.entries(headers)) {
    if (key.toLowerCase() === wanted && value !== undefined) return value;
  }
  return undefined;
}

/**
 * Validates `input` with `schema` inside an outer schema's transform,
 * reporting its issues under `path` so a dead letter points at the field.
 * Used where the shape depends on a discriminating value no zod union can
 * express (an event type string with a catch-all).
 */
export function parseNested<T>(
  schema: z.ZodType<T>,
  input: unknown,
  ctx: z.RefinementCtx,
  path: PropertyKey[],
): T | undefined {
  const result = schema.safeParse(input);
  if (result.success) return result.data;
  for (const issue of result.error.issues) {
    ctx.addIssue({ ...issue, path: [...path, ...issue.path] });
  }
  return undefined;
}
