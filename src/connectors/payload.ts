import { SourceRecord } from '../contract.js';
import { MappingError } from './mappers/errors.js';
import type { MappedRecord, Mapper, MessageContext } from './mappers/Mapper.js';
import type { DeadLetterOrigin, DeadLetterReason } from '../contract.js';
import type { Incoming } from '../contract.js';

/**
 * Pure: one platform payload (a Kafka message value, a line of an import
 * file) to what the unifier takes. Every failure becomes a dead letter with
 * a stable reason and a message free of personal data: JSON and zod errors
 * can quote the input, so only their location is kept.
 */
export interface PayloadContext {
  platform: string;
  mapper: Mapper;
  /** Platforms a generic payload may name. */
  knownPlatforms: ReadonlySet<string>;
  maxBytes: number;
  /** What the payload is called in messages: a Kafka `message`, an import `line`. */
  noun: 'message' | 'line';
  /** What the mapper may know about where the payload came from. */
  message: MessageContext;
  /** For payloads without an event id or time of their own. */
  fallbackEventId: string;
  fallbackEventTime: Date;
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

export function formatPath(path: readonly PropertyKey[]): string {
  return path.map((p) => (typeof p === 'number' ? `[${p}]` : `.${String(p)}`)).join('').replace(/^\./, '');
}

export function invalidPayload(origin: DeadLetterOrigin, platform: string, reason: DeadLetterReason, message: string, path?: string): Incoming {
  return { kind: 'invalid', letter: { origin, platform, reason, message, ...(path ? { path } : {}) } };
}

type RecordInput = Omit<MappedRecord, 'customer' | 'address'> & Pick<SourceRecord, 'customer' | 'address'>;

/** A mapped record made canonical and validated, with the fallbacks for what the payload lacks. */
export function validatedRecord(
  input: RecordInput,
  origin: DeadLetterOrigin,
  fallback: { platform: string; eventId: string; eventTime: Date },
): Incoming {
  const candidate = SourceRecord.safeParse({
    platform: input.platform ?? fallback.platform,
    position: origin.position,
    eventId: input.eventId ?? fallback.eventId,
    eventTime: input.eventTime ?? fallback.eventTime,
    email: input.email,
    customer: input.customer,
    address: input.address,
  });
  if (candidate.success) return { kind: 'record', record: candidate.data, origin };
  const issue = candidate.error.issues[0];
  const path = issue ? formatPath(issue.path) : '';
  return invalidPayload(origin, fallback.platform, 'schema_invalid', `mapped record: ${path || '(root)'}: ${issue?.message ?? 'invalid'}`, path || undefined);
}

export function decodePayload(value: Buffer | null, origin: DeadLetterOrigin, ctx: PayloadContext): Incoming {
  const invalid = (reason: DeadLetterReason, text: string, path?: string) => invalidPayload(origin, ctx.platform, reason, text, path);
  const subject = ctx.noun === 'message' ? 'value' : 'line';
  if (value === null || value.length === 0) {
    return ctx.mapper.tombstone ? { kind: 'skip', platform: ctx.platform, reason: ctx.mapper.tombstone } : invalid('empty_value', `${ctx.noun} has no value`);
  }
  if (value.length > ctx.maxBytes) return invalid('too_large', `${ctx.noun} of ${value.length} bytes exceeds kafka.maxMessageBytes (${ctx.maxBytes})`);
  let text: string;
  try {
    text = utf8.decode(value);
  } catch {
    return invalid('invalid_utf8', `${subject} is not valid UTF-8`);
  }
  let json: unknown;
  try {
    json = ctx.mapper.decode ? ctx.mapper.decode(text) : JSON.parse(text);
  } catch {
    return invalid('invalid_json', `${subject} is not valid JSON`);
  }
  const parsed = ctx.mapper.schema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const path = issue ? formatPath(issue.path) : '';
    return invalid('schema_invalid', `${ctx.mapper.name} payload: ${path || '(root)'}: ${issue?.message ?? 'invalid'}`, path || undefined);
  }
  let mapped;
  try {
    mapped = ctx.mapper.map(parsed.data, ctx.message);
  } catch (err) {
    if (err instanceof MappingError) return invalid('mapping_failed', err.message, formatPath(err.path) || undefined);
    // A mapper bug must not block the partition: the payload waits in the dead-letter topic for a fix and a replay.
    return invalid('mapping_failed', `${ctx.mapper.name} mapper failed: ${err instanceof Error ? err.name : 'error'}`);
  }
  if (mapped.kind === 'skip') return { kind: 'skip', platform: ctx.platform, reason: mapped.reason };
  const { record } = mapped;
  if (record.platform !== undefined && !ctx.knownPlatforms.has(record.platform)) {
    return invalid('unknown_platform', `payload names platform "${record.platform}", which is not configured`, 'platform');
  }
  return validatedRecord(record, origin, { platform: ctx.platform, eventId: ctx.fallbackEventId, eventTime: ctx.fallbackEventTime });
}
