import { CustsyncError } from './errors.js';

/**
 * Pure: whether an error (anywhere in its cause chain) means Postgres or
 * Kafka could not be reached, and where. The CLI maps it to exit code 3
 * with one line; the daemon logs it without a stack trace.
 */
export type Service = 'Postgres' | 'Kafka';

export interface Unreachable {
  service: Service;
  /** host:port (or the configured list of brokers); never credentials. */
  where: string;
  /** The underlying reason, one line, credentials removed. */
  reason: string;
}

/** The configured addresses, used when the error itself does not say where. */
export interface Endpoints {
  postgres?: string;
  kafka?: string;
}

const NET_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH', 'ECONNABORTED']);
/** SQLSTATEs of a server that is not (yet, or no longer) serving: class 08 and the shutdown/start-up ones. */
const PG_UNAVAILABLE = /^(08\d{3}|57P0[123]|53300)$/;
const PG_MESSAGES = /Connection terminated|connection timeout|timeout expired|terminating connection|Client has encountered a connection error/i;

function field(err: unknown, key: string): unknown {
  return typeof err === 'object' && err !== null ? (err as Record<string, unknown>)[key] : undefined;
}

function causes(err: unknown): unknown[] {
  const chain: unknown[] = [];
  const seen = new Set<unknown>();
  const queue: unknown[] = [err];
  while (queue.length > 0 && chain.length < 20) {
    const next = queue.shift();
    if (next === undefined || next === null || seen.has(next)) continue;
    seen.add(next);
    chain.push(next);
    // kafkajs keeps the cause as `cause` or `originalError`; AggregateError has `errors`.
    queue.push(field(next, 'cause'), field(next, 'originalError'));
    const errors = field(next, 'errors');
    if (Array.isArray(errors)) queue.push(...(errors as unknown[]));
  }
  return chain;
}

/** Removes `user:password@` from URLs and `password=...` pairs. */
export function withoutCredentials(text: string): string {
  return text.replace(/(\b[a-z][a-z0-9+.-]*:\/\/)[^/@\s]*@/gi, '$1').replace(/(password\s*[=:]\s*)\S+/gi, '$1***');
}

/** `host:port` of a postgres:// URL (default port 5432), without credentials. */
export function postgresEndpoint(url: string): string {
  try {
    const parsed = new URL(url);
    const host = parsed.hostname || decodeURIComponent(parsed.searchParams.get('host') ?? '') || 'localhost';
    return `${host}:${parsed.port || '5432'}`;
  } catch {
    return '(unparsable database.url)';
  }
}

function isKafkaError(err: unknown): boolean {
  const name = field(err, 'name');
  return (typeof name === 'string' && name.startsWith('KafkaJS')) || (err instanceof CustsyncError && err.code === 'CUSTSYNC_KAFKA_UNAVAILABLE');
}

function addressOf(err: unknown): string | undefined {
  const broker = field(err, 'broker');
  if (typeof broker === 'string' && broker.length > 0) return broker;
  const address = field(err, 'address') ?? field(err, 'hostname') ?? field(err, 'host');
  const port = field(err, 'port');
  if (typeof address === 'string' && (typeof port === 'number' || typeof port === 'string')) return `${address}:${port}`;
  return undefined;
}

function messageOf(err: unknown): string {
  return withoutCredentials(err instanceof Error ? err.message : String(err)).split('\n')[0] ?? '';
}

/** Classifies an error; null when it is not about reaching Postgres or Kafka. */
export function unreachable(err: unknown, endpoints: Endpoints = {}): Unreachable | null {
  const chain = causes(err);
  const kafka = chain.some(isKafkaError);
  for (const e of chain) {
    const code = field(e, 'code');
    const custsync = e instanceof CustsyncError ? e.code : undefined;
    const netError = typeof code === 'string' && NET_CODES.has(code);
    const kafkaHere = isKafkaError(e) || (kafka && netError);
    if (kafkaHere) {
      const retriable = field(e, 'retriable');
      const name = String(field(e, 'name') ?? '');
      const connection = /Connection|NumberOfRetriesExceeded|BrokerNotFound|RequestTimeout|KafkaJSError/.test(name) || netError;
      if (custsync === 'CUSTSYNC_KAFKA_UNAVAILABLE' || (connection && retriable !== false)) {
        return { service: 'Kafka', where: addressOf(e) ?? endpoints.kafka ?? '?', reason: messageOf(deepest(chain) ?? e) };
      }
      continue;
    }
    const pgState = typeof code === 'string' && PG_UNAVAILABLE.test(code);
    const pgMessage = e instanceof Error && PG_MESSAGES.test(e.message) && !(e instanceof CustsyncError);
    if (custsync === 'CUSTSYNC_DB_UNAVAILABLE' || netError || pgState || pgMessage) {
      return { service: 'Postgres', where: addressOf(e) ?? endpoints.postgres ?? '?', reason: messageOf(deepest(chain) ?? e) };
    }
  }
  return null;
}

/** The innermost error of the chain: the most precise reason. */
function deepest(chain: readonly unknown[]): unknown {
  return chain[chain.length - 1];
}

/** The one line the CLI prints. */
export function unreachableLine(u: Unreachable): string {
  return `${u.service} is unreachable at ${u.where}: ${u.reason}`;
}
