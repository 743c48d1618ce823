import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';
import { ENV_OVERRIDES } from '../../../src/runtime/config.js';
import { parseConfig } from '../../../src/runtime/loadConfig.js';

interface Compose {
  services: Record<string, { image?: string; build?: unknown; command?: string[]; environment?: Record<string, string> }>;
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
});
