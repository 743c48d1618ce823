import { readFileSync } from 'node:fs';
import type { MapResult, Mapper, MessageContext } from '../../../../src/connectors/mappers/Mapper.js';

export function fixtureText(platform: string, name: string): string {
  return readFileSync(new URL(`../../../fixtures/${platform}/${name}.json`, import.meta.url), 'utf8');
}

/** A fixture decoded with plain JSON.parse, as a connector without big-integer handling would. */
export function fixture(platform: string, name: string): unknown {
  return JSON.parse(fixtureText(platform, name));
}

export function context(headers: Record<string, string | undefined> = {}): MessageContext {
  return {
    topic: 'test-topic',
    partition: 0,
    offset: '42',
    timestamp: new Date('2030-01-01T00:00:00Z'),
    headers,
  };
}

/** Validates like the connector does, then maps. */
export function mapPayload(mapper: Mapper, payload: unknown, headers?: Record<string, string | undefined>): MapResult {
  return mapper.map(mapper.schema.parse(payload), context(headers));
}

export function mapFixture(
  mapper: Mapper,
  platform: string,
  name: string,
  headers?: Record<string, string | undefined>,
): MapResult {
  return mapPayload(mapper, fixture(platform, name), headers);
}

/** The schema's issues as `path: message` lines, or [] when the input is valid. */
export function schemaIssues(mapper: Mapper, payload: unknown): string[] {
  const result = mapper.schema.safeParse(payload);
  return result.success ? [] : result.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`);
}

export function at(iso: string): Date {
  return new Date(iso);
}

/** A fixture with the value at `path` replaced (or deleted, for undefined), for schema-rejection tests. */
export function fixtureWith(platform: string, name: string, path: (string | number)[], value: unknown): unknown {
  const payload = fixture(platform, name);
  let node = payload as Record<string | number, unknown>;
  for (const key of path.slice(0, -1)) node = node[key] as Record<string | number, unknown>;
  const last = path[path.length - 1];
  if (last === undefined) throw new Error('empty path');
  if (value === undefined) delete node[last];
  else node[last] = value;
  return payload;
}

/** What `fn` throws; fails the test when it returns. */
export function thrownBy(fn: () => unknown): unknown {
  try {
    fn();
  } catch (error) {
    return error;
  }
  throw new Error('expected a throw, got a return');
}
