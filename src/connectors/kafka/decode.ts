import type { IHeaders, KafkaMessage } from 'kafkajs';
import { SourceRecord } from '../../unifier/SourceRecord.js';
import type { Incoming } from '../../unifier/Unifier.js';
import type { DeadLetterOrigin, DeadLetterReason } from '../deadLetters.js';
import { MappingError } from '../mappers/errors.js';
import type { Mapper, MessageContext } from '../mappers/Mapper.js';

export interface DecodeContext {
  platform: string;
  mapper: Mapper;
  /** Platforms a generic payload may name. */
  knownPlatforms: ReadonlySet<string>;
  maxMessageBytes: number;
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

function headerText(headers: IHeaders | undefined): Record<string, string | undefined> {
  const out: Record<string, string | undefined> = {};
  for (const [key, value] of Object.entries(headers ?? {})) {
    const first = Array.isArray(value) ? value[0] : value;
    out[key] = first === undefined ? undefined : first.toString();
  }
  return out;
}

function formatPath(path: readonly PropertyKey[]): string {
  return path.map((p) => (typeof p === 'number' ? `[${p}]` : `.${String(p)}`)).join('').replace(/^\./, '');
}

/**
 * Pure: one Kafka message to what the unifier takes. Every failure becomes a
 * dead letter with a stable reason and a message free of personal data (JSON
 * and zod errors can quote the input, so only their location is kept).
 */
export function decodeMessage(topic: string, partition: number, message: KafkaMessage, context: DecodeContext): Incoming {
  const origin: DeadLetterOrigin = {
    position: { kind: 'kafka', topic, partition, offset: message.offset },
    key: message.key ?? null,
    value: message.value ?? null,
    headers: message.headers ?? {},
    timestamp: message.timestamp,
  };
  const invalid = (reason: DeadLetterReason, text: string, path?: string): Incoming => ({
    kind: 'invalid',
    letter: { origin, platform: context.platform, reason, message: text, ...(path ? { path } : {}) },
  });

  const value = message.value;
  if (value === null || value === undefined || value.length === 0) return invalid('empty_value', 'message has no value');
  if (value.length > context.maxMessageBytes) {
    return invalid('too_large', `message of ${value.length} bytes exceeds kafka.maxMessageBytes (${context.maxMessageBytes})`);
  }
  let text: string;
  try {
    text = utf8.decode(value);
  } catch {
    return invalid('invalid_utf8', 'value is not valid UTF-8');
  }
  let json: unknown;
  try {
    json = context.mapper.decode ? context.mapper.decode(text) : JSON.parse(text);
  } catch {
    return invalid('invalid_json', 'value is not valid JSON');
  }
  const parsed = context.mapper.schema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const path = issue ? formatPath(issue.path) : '';
    return invalid('schema_invalid', `${context.mapper.name} payload: ${path || '(root)'}: ${issue?.message ?? 'invalid'}`, path || undefined);
  }
  const messageContext: MessageContext = {
    topic,
    partition,
    offset: message.offset,
    timestamp: new Date(Number(message.timestamp)),
    headers: headerText(message.headers),
  };
  let mapped;
  try {
    mapped = context.mapper.map(parsed.data, messageContext);
  } catch (err) {
    if (err instanceof MappingError) return invalid('mapping_failed', err.message, formatPath(err.path) || undefined);
    // A mapper bug must not block the partition: the message waits in the dead-letter topic for a fix and a replay.
    return invalid('mapping_failed', `${context.mapper.name} mapper failed: ${err instanceof Error ? err.name : 'error'}`);
  }
  if (mapped.kind === 'skip') return { kind: 'skip', platform: context.platform, reason: mapped.reason };
  const { record } = mapped;
  const platform = record.platform ?? context.platform;
  if (!context.knownPlatforms.has(platform)) {
    return invalid('unknown_platform', `payload names platform "${platform}", which is not configured`, 'platform');
  }
  const candidate = SourceRecord.safeParse({
    platform,
    position: origin.position,
    eventId: record.eventId ?? `${topic}-${partition}-${message.offset}`,
    eventTime: record.eventTime ?? messageContext.timestamp,
    email: record.email,
    customer: record.customer,
    address: record.address,
  });
  if (!candidate.success) {
    const issue = candidate.error.issues[0];
    const path = issue ? formatPath(issue.path) : '';
    return invalid('schema_invalid', `mapped record: ${path || '(root)'}: ${issue?.message ?? 'invalid'}`, path || undefined);
  }
  return { kind: 'record', record: candidate.data, origin };
}
