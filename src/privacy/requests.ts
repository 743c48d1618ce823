import type { KafkaMessage } from 'kafkajs';
import { z } from 'zod';
import { normalizeEmail } from '../unifier/normalize/index.js';
import type { ForgetRequest, Requester } from './plan.js';
import type { DeadLetter, DeadLetterReason } from '../contract.js';

/**
 * Forget requests as they arrive: typed on the command line, one per line of
 * a file, or as Kafka messages. Pure; error messages never quote the email.
 */

export type ParsedRequest =
  | { ok: true; request: ForgetRequest }
  | { ok: false; reason: DeadLetterReason; message: string; path?: string };

/** A Kafka request: JSON, or the email as plain text. Unknown keys are ignored. */
export const ForgetRequestMessage = z.object({
  email: z.string(),
  requestedBy: z.string().trim().min(1).max(100).optional(),
  reason: z.string().max(1_000).optional(),
});
export type ForgetRequestMessage = z.infer<typeof ForgetRequestMessage>;

export function forgetRequest(rawEmail: string, requester: Requester): ParsedRequest {
  const email = normalizeEmail(rawEmail);
  if (!email.ok) return { ok: false, reason: email.reason, message: email.message, path: 'email' };
  return { ok: true, request: { email: email.email, requestedBy: requester.requestedBy, reason: requester.reason } };
}

/** A message value: `{"email": ..., "requestedBy"?: ..., "reason"?: ...}`, a JSON string, or a bare email. */
export function parseForgetMessage(text: string, defaultRequestedBy: string): ParsedRequest {
  const trimmed = text.trim();
  if (!trimmed.startsWith('{') && !trimmed.startsWith('"')) return forgetRequest(trimmed, { requestedBy: defaultRequestedBy });
  let json: unknown;
  try {
    json = JSON.parse(trimmed);
  } catch {
    return { ok: false, reason: 'invalid_json', message: 'value is not valid JSON' };
  }
  if (typeof json === 'string') return forgetRequest(json, { requestedBy: defaultRequestedBy });
  const parsed = ForgetRequestMessage.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const path = issue?.path.map(String).join('.') ?? '';
    const hasEmail = typeof json === 'object' && json !== null && 'email' in json && (json as { email: unknown }).email != null;
    if (path === 'email' && !hasEmail) return { ok: false, reason: 'email_missing', message: 'forget request has no email', path };
    return { ok: false, reason: 'schema_invalid', message: `forget request: ${path || '(root)'}: ${issue?.message ?? 'invalid'}`, ...(path ? { path } : {}) };
  }
  return forgetRequest(parsed.data.email, { requestedBy: parsed.data.requestedBy ?? defaultRequestedBy, reason: parsed.data.reason });
}

export interface EmailLine {
  line: number;
  request: ForgetRequest;
}

export interface InvalidLine {
  line: number;
  reason: DeadLetterReason;
  message: string;
}

/** An emails file: one per line; blank lines and `#` comments are ignored. */
export function parseEmailLines(text: string, requester: Requester): { requests: EmailLine[]; invalid: InvalidLine[] } {
  const requests: EmailLine[] = [];
  const invalid: InvalidLine[] = [];
  text.split(/\r?\n/).forEach((raw, index) => {
    const content = raw.trim();
    if (content === '' || content.startsWith('#')) return;
    const parsed = forgetRequest(content, requester);
    if (parsed.ok) requests.push({ line: index + 1, request: parsed.request });
    else invalid.push({ line: index + 1, reason: parsed.reason, message: parsed.message });
  });
  return { requests, invalid };
}

export type DecodedForgetMessage = { kind: 'request'; request: ForgetRequest } | { kind: 'invalid'; letter: DeadLetter };

/** The platform name dead letters of the forget topic carry. */
export const FORGET_DLQ_PLATFORM = 'custsync.forget';

const utf8 = new TextDecoder('utf-8', { fatal: true });

/** One message of the forget topic: a request, or a dead letter with its reason. */
export function decodeForgetMessage(topic: string, partition: number, message: KafkaMessage, maxMessageBytes: number): DecodedForgetMessage {
  const invalid = (reason: DeadLetterReason, text: string, path?: string): DecodedForgetMessage => ({
    kind: 'invalid',
    letter: {
      origin: {
        position: { kind: 'kafka', topic, partition, offset: message.offset },
        key: message.key ?? null,
        value: message.value ?? null,
        headers: message.headers ?? {},
        timestamp: message.timestamp,
      },
      platform: FORGET_DLQ_PLATFORM,
      reason,
      message: text,
      ...(path ? { path } : {}),
    },
  });
  const value = message.value;
  if (value === null || value === undefined || value.length === 0) return invalid('empty_value', 'message has no value');
  if (value.length > maxMessageBytes) return invalid('too_large', `message of ${value.length} bytes exceeds kafka.maxMessageBytes (${maxMessageBytes})`);
  let text: string;
  try {
    text = utf8.decode(value);
  } catch {
    return invalid('invalid_utf8', 'value is not valid UTF-8');
  }
  const parsed = parseForgetMessage(text, `kafka:${topic}`);
  return parsed.ok ? { kind: 'request', request: parsed.request } : invalid(parsed.reason, parsed.message, parsed.path);
}
