import type { ImportPosition } from '../../unifier/SourceRecord.js';
import { SourceRecord } from '../../unifier/SourceRecord.js';
import type { Incoming } from '../../unifier/Unifier.js';
import type { DeadLetterOrigin, DeadLetterReason } from '../deadLetters.js';
import { MappingError } from '../mappers/errors.js';
import type { Mapper } from '../mappers/Mapper.js';
import { csvRowValues, type CsvHeader } from './csvColumns.js';
import type { CsvUnit } from './csvRecords.js';

/**
 * Pure: an input line (JSONL) or record (CSV) to what the unifier takes,
 * positioned `{ kind: 'import', source: <sha256>, line }`. Failures become
 * dead letters (the importer's sink writes them to the rejects file) with
 * messages that never quote the input.
 */

export interface ImportContext {
  platform: string;
  /** The file's content hash: the position's `source`. */
  sha256: string;
  /** Event time of lines that carry none (default: the file's modification time). */
  defaultEventTime: Date;
}

export interface JsonlContext extends ImportContext {
  mapper: Mapper;
  /** Platforms a generic payload may name. */
  knownPlatforms: ReadonlySet<string>;
  maxLineBytes: number;
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

function formatPath(path: readonly PropertyKey[]): string {
  return path.map((p) => (typeof p === 'number' ? `[${p}]` : `.${String(p)}`)).join('').replace(/^\./, '');
}

export function importPosition(sha256: string, line: number): ImportPosition {
  return { kind: 'import', source: sha256, line };
}

/** The event id of a line that has none: unique per file and line, stable across reruns. */
export function fallbackEventId(sha256: string, line: number): string {
  return `import:${sha256.slice(0, 16)}:${line}`;
}

function originOf(ctx: ImportContext, line: number, raw: Buffer | string): DeadLetterOrigin {
  return { position: importPosition(ctx.sha256, line), key: null, value: typeof raw === 'string' ? Buffer.from(raw) : raw, headers: {} };
}

function invalid(ctx: ImportContext, origin: DeadLetterOrigin, reason: DeadLetterReason, message: string, path?: string): Incoming {
  return { kind: 'invalid', letter: { origin, platform: ctx.platform, reason, message, ...(path ? { path } : {}) } };
}

function validated(ctx: ImportContext, origin: DeadLetterOrigin, line: number, input: Omit<SourceRecord, 'position' | 'platform' | 'eventId' | 'eventTime'> & { platform?: string; eventId?: string; eventTime?: Date }): Incoming {
  const candidate = SourceRecord.safeParse({
    ...input,
    platform: input.platform ?? ctx.platform,
    position: origin.position,
    eventId: input.eventId ?? fallbackEventId(ctx.sha256, line),
    eventTime: input.eventTime ?? ctx.defaultEventTime,
  });
  if (candidate.success) return { kind: 'record', record: candidate.data, origin };
  const issue = candidate.error.issues[0];
  const path = issue ? formatPath(issue.path) : '';
  return invalid(ctx, origin, 'schema_invalid', `mapped record: ${path || '(root)'}: ${issue?.message ?? 'invalid'}`, path || undefined);
}

/** A CSV record (or a malformed one) under the file's header. */
export function csvUnitIncoming(unit: Exclude<CsvUnit, { kind: 'blank' }>, header: CsvHeader, ctx: ImportContext): Incoming {
  const origin = originOf(ctx, unit.line, unit.raw);
  if (unit.kind === 'malformed') return invalid(ctx, origin, unit.reason, unit.message);
  const row = csvRowValues(unit.fields, header);
  if (!row.ok) return invalid(ctx, origin, row.path ? 'schema_invalid' : 'invalid_csv', row.message, row.path);
  const { email, eventId, eventTime, customer, address } = row.values;
  return validated(ctx, origin, unit.line, { email, eventId, eventTime, customer, address });
}

/** A JSONL line: one payload, decoded by the platform's mapper exactly as a Kafka message value. */
export function jsonlLineIncoming(line: number, bytes: Buffer, ctx: JsonlContext): Incoming {
  const origin = originOf(ctx, line, bytes);
  if (bytes.length > ctx.maxLineBytes) return invalid(ctx, origin, 'too_large', `line of ${bytes.length} bytes exceeds kafka.maxMessageBytes (${ctx.maxLineBytes})`);
  let text: string;
  try {
    text = utf8.decode(bytes);
  } catch {
    return invalid(ctx, origin, 'invalid_utf8', 'line is not valid UTF-8');
  }
  let json: unknown;
  try {
    json = ctx.mapper.decode ? ctx.mapper.decode(text) : JSON.parse(text);
  } catch {
    return invalid(ctx, origin, 'invalid_json', 'line is not valid JSON');
  }
  const parsed = ctx.mapper.schema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const path = issue ? formatPath(issue.path) : '';
    return invalid(ctx, origin, 'schema_invalid', `${ctx.mapper.name} payload: ${path || '(root)'}: ${issue?.message ?? 'invalid'}`, path || undefined);
  }
  let mapped;
  try {
    mapped = ctx.mapper.map(parsed.data, { topic: 'import', partition: 0, offset: String(line), timestamp: ctx.defaultEventTime, headers: {} });
  } catch (err) {
    if (err instanceof MappingError) return invalid(ctx, origin, 'mapping_failed', err.message, formatPath(err.path) || undefined);
    return invalid(ctx, origin, 'mapping_failed', `${ctx.mapper.name} mapper failed: ${err instanceof Error ? err.name : 'error'}`);
  }
  if (mapped.kind === 'skip') return { kind: 'skip', platform: ctx.platform, reason: mapped.reason };
  const { record } = mapped;
  if (record.platform !== undefined && !ctx.knownPlatforms.has(record.platform)) {
    return invalid(ctx, origin, 'unknown_platform', `payload names platform "${record.platform}", which is not configured`, 'platform');
  }
  return validated(ctx, origin, line, record);
}
