import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';
import { ENV_OVERRIDES } from '../../../src/runtime/config.js';
import { parseConfig } from '../../../src/app/loadConfig.js';

interface Compose {
  services: Record<string, { image?: string; build?: unknown; command?: string[]; environment?: Record<string, string>; volumes?: string[]; healthcheck?: { test?: string[] } }>;
  volumes?: Record<string, unknown>;
}

describe('docker-compose.yml', () => {
  const compose = parse(readFileSync('docker-compose.yml', 'utf8')) as Compose;

  it('sets on custsync only environment variables the config schema knows', () => {
    const env = compose.services.custsync?.environment ?? {};
    expect(Object.keys(env).length).toBeGreaterThan(0);
    for (const name of Object.keys(env)) expect(Object.keys(ENV_OVERRIDES), name).toContain(name);
    // and the values it sets validate against the schema
    const config = parseConfig(parse(readFileSync('config/custsync.example.yaml', 'utf8')), 'example', env);
    expect(config.database.url).toBe(env.DATABASE_URL);
    expect(config.kafka.brokers).toEqual([env.KAFKA_BROKERS]);
  });

  it('runs Postgres with logical replication and Apache Kafka 3.9 in KRaft mode, and builds custsync from the Dockerfile', () => {
    expect(compose.services.postgres?.command?.join(' ')).toContain('wal_level=logical');
    expect(compose.services.kafka?.image).toMatch(/^apache\/kafka:3\.9\./);
    expect(compose.services.kafka?.environment?.KAFKA_PROCESS_ROLES).toBe('broker,controller');
    expect(compose.services.custsync?.build).toBe('.');
  });

  it('checks custsync with /healthz, in the compose file and in the image', () => {
    expect(compose.services.custsync?.healthcheck?.test?.join(' ')).toContain('/healthz');
    const dockerfile = readFileSync('Dockerfile', 'utf8');
    expect(dockerfile).toMatch(/^HEALTHCHECK [^\n]*\\\n\s+CMD .*\/healthz/m);
  });

  it("keeps Kafka's data in a named volume, so its offsets survive `down` and `up` like Postgres' positions", () => {
    const logDirs = compose.services.kafka?.environment?.KAFKA_LOG_DIRS;
    expect(logDirs).toBeTruthy();
    const mount = compose.services.kafka?.volumes?.find((v) => v.endsWith(`:${logDirs}`));
    expect(mount).toBeDefined();
    expect(Object.keys(compose.volumes ?? {})).toEqual(expect.arrayContaining(['pgdata', (mount ?? '').split(':')[0]]));
    expect(compose.services.kafka?.environment?.CLUSTER_ID).toMatch(/^[A-Za-z0-9_-]{22}$/); // a base64 UUID, as kafka-storage format wants
  });
});

describe('.dockerignore', () => {
  it('keeps the services\' state and installed dependencies out of the image', () => {
    const ignored = readFileSync('.dockerignore', 'utf8').split('\n').map((l) => l.trim()).filter((l) => l && !l.startsWith('#'));
    expect(ignored).toEqual(expect.arrayContaining(['.var/', 'node_modules/']));
  });
});
