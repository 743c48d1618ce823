import { readFileSync } from 'node:fs';
import { parseDocument } from 'yaml';
import type { z } from 'zod';
import { MAPPER_NAMES } from '../connectors/mappers/registry.js';
import { Config, walSourceUrlEnv, type EnvOverride } from '../runtime/config.js';
import { UserError } from '../runtime/errors.js';

export const DEFAULT_CONFIG_PATH = 'config/custsync.yaml';

type Env = Partial<Record<EnvOverride, string>> & Record<string, string | undefined>;

type RawObject = Record<string, unknown>;

function objectAt(root: RawObject, key: string): RawObject {
  const value = root[key];
  if (typeof value === 'object' && value !== null && !Array.isArray(value)) return value as RawObject;
  const created: RawObject = {};
  root[key] = created;
  return created;
}

/** Applies `ENV_OVERRIDES` onto the parsed file, before validation, so env values are validated too. */
export function applyEnvOverrides(raw: RawObject, env: Env): RawObject {
  const result: RawObject = structuredClone(raw);
  if (env.DATABASE_URL) objectAt(result, 'database').url = env.DATABASE_URL;
  const kafka = () => objectAt(result, 'kafka');
  if (env.KAFKA_BROKERS) kafka().brokers = env.KAFKA_BROKERS.split(',').map((b) => b.trim()).filter(Boolean);
  if (env.KAFKA_CLIENT_ID) kafka().clientId = env.KAFKA_CLIENT_ID;
  if (env.KAFKA_GROUP_ID) kafka().groupId = env.KAFKA_GROUP_ID;
  if (env.KAFKA_SASL_USERNAME || env.KAFKA_SASL_PASSWORD || env.KAFKA_SASL_MECHANISM) {
    const sasl = objectAt(kafka(), 'sasl');
    if (env.KAFKA_SASL_MECHANISM) sasl.mechanism = env.KAFKA_SASL_MECHANISM;
    if (env.KAFKA_SASL_USERNAME) sasl.username = env.KAFKA_SASL_USERNAME;
    if (env.KAFKA_SASL_PASSWORD) sasl.password = env.KAFKA_SASL_PASSWORD;
  }
  if (env.KAFKA_SSL) kafka().ssl = env.KAFKA_SSL === 'true' ? (typeof kafka().ssl === 'object' ? kafka().ssl : true) : env.KAFKA_SSL === 'false' ? false : env.KAFKA_SSL;
  if (env.KAFKA_SSL_CA || env.KAFKA_SSL_CERT || env.KAFKA_SSL_KEY || env.KAFKA_SSL_KEY_PASSPHRASE) {
    const current = kafka().ssl;
    const tls: RawObject = typeof current === 'object' && current !== null ? (current as RawObject) : {};
    if (env.KAFKA_SSL_CA) tls.ca = env.KAFKA_SSL_CA.includes(',') ? env.KAFKA_SSL_CA.split(',').map((p) => p.trim()) : env.KAFKA_SSL_CA;
    if (env.KAFKA_SSL_CERT) tls.cert = env.KAFKA_SSL_CERT;
    if (env.KAFKA_SSL_KEY) tls.key = env.KAFKA_SSL_KEY;
    if (env.KAFKA_SSL_KEY_PASSPHRASE) tls.passphrase = env.KAFKA_SSL_KEY_PASSPHRASE;
    kafka().ssl = tls;
  }
  if (env.CUSTSYNC_HTTP_PORT) objectAt(result, 'http').port = Number(env.CUSTSYNC_HTTP_PORT);
  if (env.CUSTSYNC_LOG_LEVEL) objectAt(result, 'log').level = env.CUSTSYNC_LOG_LEVEL;
  for (const source of Array.isArray(result.walSources) ? (result.walSources as unknown[]) : []) {
    if (typeof source !== 'object' || source === null) continue;
    const name = (source as RawObject).name;
    const url = typeof name === 'string' ? env[walSourceUrlEnv(name)] : undefined;
    if (url) (source as RawObject).databaseUrl = url;
  }
  return result;
}

/** `platforms[1].priority` from a zod path. */
export function formatPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const part of path) {
    if (typeof part === 'number') out += `[${part}]`;
    else out += out ? `.${String(part)}` : String(part);
  }
  return out || '(root)';
}

function formatIssues(file: string, issues: readonly z.core.$ZodIssue[]): string {
  const lines = issues.map((issue) => `  ${formatPath(issue.path)}: ${issue.message}`);
  return `${file}: invalid configuration\n${lines.join('\n')}`;
}

/** Validates an already-parsed document; throws a UserError naming the file, key path and expectation. */
export function parseConfig(raw: unknown, file: string, env: Env = process.env): Config {
  const base = typeof raw === 'object' && raw !== null && !Array.isArray(raw) ? (raw as RawObject) : {};
  if (raw !== null && raw !== undefined && base !== raw) {
    throw new UserError('CUSTSYNC_CONFIG_INVALID', `${file}: invalid configuration\n  (root): expected a mapping of keys`);
  }
  const result = Config.safeParse(applyEnvOverrides(base, env));
  if (!result.success) throw new UserError('CUSTSYNC_CONFIG_INVALID', formatIssues(file, result.error.issues));
  const config = result.data;
  const unknownMappers = config.platforms
    .map((platform, index) => ({ platform, index }))
    .filter(({ platform }) => !MAPPER_NAMES.includes(platform.mapper));
  if (unknownMappers.length > 0) {
    const valid = MAPPER_NAMES.join(', ');
    throw new UserError(
      'CUSTSYNC_CONFIG_INVALID',
      `${file}: invalid configuration\n${unknownMappers
        .map(({ platform, index }) => `  platforms[${index}].mapper: unknown mapper "${platform.mapper}"; valid mappers: ${valid}`)
        .join('\n')}`,
    );
  }
  return config;
}

/** Reads, parses and validates a YAML configuration file. */
export function loadConfig(file: string, env: Env = process.env): Config {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    const reason = (err as NodeJS.ErrnoException).code === 'ENOENT' ? 'file not found' : (err as Error).message;
    throw new UserError('CUSTSYNC_CONFIG_INVALID', `${file}: cannot read configuration: ${reason}`);
  }
  const doc = parseDocument(text, { prettyErrors: true });
  if (doc.errors.length > 0) {
    const lines = doc.errors.map((e) => `  ${e.message.split('\n')[0]}`);
    throw new UserError('CUSTSYNC_CONFIG_INVALID', `${file}: not valid YAML\n${lines.join('\n')}`);
  }
  return parseConfig(doc.toJS(), file, env);
}
