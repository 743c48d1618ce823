import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { tlsOptions } from '../../../../src/connectors/kafka/client.js';
import { UserError } from '../../../../src/runtime/errors.js';
import { parseConfig } from '../../../../src/app/loadConfig.js';

const dir = mkdtempSync(join(tmpdir(), 'custsync-tls-'));
const pem = (name: string) => {
  const path = join(dir, name);
  writeFileSync(path, `-----BEGIN ${name}-----\n-----END ${name}-----\n`);
  return path;
};
const ca = pem('ca.pem');
const cert = pem('client.pem');
const key = pem('client.key');
const withSsl = (ssl: unknown) => ({ database: { url: 'postgres://u@h/db' }, kafka: { brokers: ['h:9093'], ssl } });

function refusal(raw: unknown, env: Record<string, string> = {}): string {
  try {
    parseConfig(raw, 'f.yaml', env);
  } catch (err) {
    expect(err).toBeInstanceOf(UserError);
    return (err as Error).message;
  }
  throw new Error('expected the configuration to be refused');
}

describe('kafka.ssl', () => {
  it('false or absent: plain TCP; true: TLS with the system CAs', () => {
    expect(parseConfig(withSsl(false), 'f', {}).kafka.ssl).toBeUndefined();
    expect(tlsOptions(parseConfig(withSsl(undefined), 'f', {}).kafka.ssl)).toBe(false);
    expect(tlsOptions(parseConfig(withSsl(true), 'f', {}).kafka.ssl)).toEqual({ rejectUnauthorized: true });
  });

  it('CA, certificate and key files (mutual TLS) are read into the TLS options', () => {
    const config = parseConfig(withSsl({ ca, cert, key, passphrase: 'p', servername: 'kafka.internal' }), 'f', {});
    const options = tlsOptions(config.kafka.ssl);
    expect(options).toMatchObject({ rejectUnauthorized: true, passphrase: 'p', servername: 'kafka.internal' });
    expect(options && String(options.ca)).toContain('BEGIN ca.pem');
    expect(options && String(options.cert)).toContain('BEGIN client.pem');
    expect(options && String(options.key)).toContain('BEGIN client.key');
  });

  it('a missing file is a configuration error naming the key', () => {
    expect(refusal(withSsl({ ca: '/nonexistent/ca.pem' }))).toContain('kafka.ssl.ca: file not found: /nonexistent/ca.pem');
    expect(refusal(withSsl({ ca: [ca, '/nope.pem'] }))).toContain('kafka.ssl.ca[1]: file not found: /nope.pem');
    expect(refusal(withSsl({ cert, key: '/missing.key' }))).toContain('kafka.ssl.key: file not found: /missing.key');
    expect(refusal(withSsl({ cert }))).toContain('kafka.ssl.key: a client certificate (cert) needs its private key (key)');
    expect(refusal(withSsl({ ca, caFile: ca }))).toContain('kafka.ssl');
  });

  it('takes environment overrides, validated like the file', () => {
    const env = { KAFKA_SSL_CA: ca, KAFKA_SSL_CERT: cert, KAFKA_SSL_KEY: key, KAFKA_SSL_KEY_PASSPHRASE: 'secret' };
    expect(parseConfig(withSsl(false), 'f', env).kafka.ssl).toMatchObject({ ca, cert, key, passphrase: 'secret' });
    expect(parseConfig(withSsl(false), 'f', { KAFKA_SSL: 'true' }).kafka.ssl).toEqual({ rejectUnauthorized: true });
    expect(parseConfig(withSsl(true), 'f', { KAFKA_SSL: 'false' }).kafka.ssl).toBeUndefined();
    expect(refusal(withSsl(false), { KAFKA_SSL_CA: '/gone.pem' })).toContain('kafka.ssl.ca: file not found: /gone.pem');
  });
});
