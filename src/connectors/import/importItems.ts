import type { ImportPosition } from '../../contract.js';
import { decodePayload, invalidPayload, validatedRecord } from '../payload.js';
import type { Mapper } from '../mappers/Mapper.js';
import { csvRowValues, type CsvHeader } from './csvColumns.js';
import type { CsvUnit } from './csvRecords.js';
import type { DeadLetterOrigin, DeadLetterReason } from '../../contract.js';
import type { Incoming } from '../../contract.js';

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
  return invalidPayload(origin, ctx.platform, reason, message, path);
}

/** A CSV record (or a malformed one) under the file's header. */
export function csvUnitIncoming(unit: Exclude<CsvUnit, { kind: 'blank' }>, header: CsvHeader, ctx: ImportContext): Incoming {
  const origin = originOf(ctx, unit.line, unit.raw);
  if (unit.kind === 'malformed') return invalid(ctx, origin, unit.reason, unit.message);
  const row = csvRowValues(unit.fields, header);
  if (!row.ok) return invalid(ctx, origin, row.path ? 'schema_invalid' : 'invalid_csv', row.message, row.path);
  const { email, eventId, eventTime, customer, address } = row.values;
  return validatedRecord({ email, eventId, eventTime, customer, address }, origin, {
    platform: ctx.platform,
    eventId: fallbackEventId(ctx.sha256, unit.line),
    eventTime: ctx.defaultEventTime,
  });
}

/** A JSONL line: one payload, decoded by the platform's mapper exactly as a Kafka message value. */
export function jsonlLineIncoming(line: number, bytes: Buffer, ctx: JsonlContext): Incoming {
  return decodePayload(bytes, originOf(ctx, line, bytes), {
    platform: ctx.platform,
    mapper: ctx.mapper,
    knownPlatforms: ctx.knownPlatforms,
    maxBytes: ctx.maxLineBytes,
    noun: 'line',
    message: { topic: 'import', partition: 0, offset: String(line), timestamp: ctx.defaultEventTime, headers: {} },
    fallbackEventId: fallbackEventId(ctx.sha256, line),
    fallbackEventTime: ctx.defaultEventTime,
  });
}
