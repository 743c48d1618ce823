import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
import { UserError } from '../../../src/runtime/errors.js';
import { applyEnvOverrides, loadConfig, parseConfig } from '../../../src/app/loadConfig.js';

const minimal = { database: { url: 'postgres://u@h/db' }, kafka: { brokers: ['h:9092'] } };

function messageOf(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(UserError);
    return (err as Error).message;
  }
  throw new Error('expected a UserError');
}

describe('configuration', () => {
  it('accepts the documented example file and fills defaults', () => {
    const config = loadConfig('config/custsync.example.yaml', {});
    expect(config.platforms.map((p) => p.name)).toEqual(['hotmart', 'kiwify', 'eduzz', 'stripe', 'shopify', 'crm']);
    expect(config.unifier.defaultPhoneCountry).toBe('BR');
    expect(config.kafka.groupId).toBe('custsync');
  });

  it('applies defaults to a minimal file', () => {
    const config = parseConfig(minimal, 'f.yaml', {});
    expect(config.unifier.batchSize).toBe(2000);
    expect(config.http.port).toBe(9464);
    expect(config.log.level).toBe('info');
  });

  it('lets the environment override addresses and secrets, and validates them too', () => {
    const config = parseConfig(minimal, 'f.yaml', { DATABASE_URL: 'postgres://x@y/z', KAFKA_BROKERS: 'a:1, b:2', KAFKA_SASL_MECHANISM: 'plain', KAFKA_SASL_USERNAME: 'u', KAFKA_SASL_PASSWORD: 'p' });
    expect(config.database.url).toBe('postgres://x@y/z');
    expect(config.kafka.brokers).toEqual(['a:1', 'b:2']);
    expect(config.kafka.sasl).toEqual({ mechanism: 'plain', username: 'u', password: 'p' });
    expect(messageOf(() => parseConfig(minimal, 'f.yaml', { KAFKA_BROKERS: 'nope' }))).toContain('kafka.brokers[0]: host:port');
    expect(applyEnvOverrides(minimal, {})).toEqual(minimal);
  });

  it.each([
    [{ ...minimal, platforms: [{ name: 'hotmart', mapper: 'hotmart', priority: 'high' }] }, 'platforms[0].priority: Invalid input: expected number, received string'],
    [{ ...minimal, platforms: [{ name: 'x', mapper: 'nope', priority: 1 }] }, 'platforms[0].mapper: unknown mapper "nope"; valid mappers:'],
    [{ ...minimal, platforms: [{ name: 'x', mapper: 'generic', priority: 1, fieldPriorities: { nam: 3 } }] }, 'platforms[0].fieldPriorities.nam: unknown field "nam"'],
    [{ ...minimal, platforms: [{ name: 'x', mapper: 'generic', priority: 1, priorty: 3 }] }, 'platforms[0]: Unrecognized key: "priorty"'],
    [{ ...minimal, platforms: [{ name: 'a', mapper: 'generic', priority: 1, topics: ['t'] }, { name: 'b', mapper: 'generic', priority: 1, topics: ['t'] }] }, 'platforms[1].topics[0]: topic "t" already belongs to platform "a"'],
    [{ ...minimal, platforms: [{ name: 'a', mapper: 'generic', priority: 1 }, { name: 'a', mapper: 'generic', priority: 2 }] }, 'platforms[1].name: duplicate platform "a"'],
    [{ kafka: { brokers: ['h:1'] } }, 'database: Invalid input: expected object, received undefined'],
    [{ ...minimal, unifier: { batchSize: 0 } }, 'unifier.batchSize: Too small'],
    [{ ...minimal, platforms: [{ name: 'legacy', mapper: 'debezium', priority: 1 }] }, 'platforms[0].columns: mapper debezium needs columns'],
    [{ ...minimal, platforms: [{ name: 'legacy', mapper: 'debezium', priority: 1, columns: { name: 'n' } }] }, 'platforms[0].columns.email: Invalid input'],
    [{ ...minimal, platforms: [{ name: 'x', mapper: 'generic', priority: 1, columns: { email: 'e' } }] }, 'platforms[0].columns: columns applies to mapper debezium only'],
    [{ ...minimal, platforms: [{ name: 'legacy', mapper: 'debezium', priority: 1, columns: { email: 'e' }, columnTypes: { cpf: 'decimal' } }] }, 'platforms[0].columnTypes.cpf'],
    [{ ...minimal, publisher: { format: 'avro' } }, 'publisher.format: Invalid option'],
    [{ ...minimal, publisher: { debezium: { serverName: 'a b' } } }, 'publisher.debezium.serverName: letters, digits'],
  ])('names the file, the key path and the expectation (%#)', (raw, expected) => {
    const message = messageOf(() => parseConfig(raw, 'config/bad.yaml', {}));
    expect(message).toContain('config/bad.yaml');
    expect(message).toContain(expected);
  });

  it('takes a debezium platform with its column mapping and column types, and the Debezium change-topic format', () => {
    const config = parseConfig(
      {
        ...minimal,
        platforms: [{ name: 'legacy', mapper: 'debezium', priority: 45, topics: ['legacy.public.users'], columns: { email: 'email', document_number: 'cpf' }, columnTypes: { cpf: { name: 'org.apache.kafka.connect.data.Decimal', scale: 0 }, born: 'io.debezium.time.Date' } }],
        publisher: { format: 'debezium', debezium: { serverName: 'crm', schemas: false } },
      },
      'f.yaml',
      {},
    );
    expect(config.platforms[0]?.columns).toEqual({ email: 'email', document_number: 'cpf' });
    expect(config.publisher).toMatchObject({ format: 'debezium', debezium: { serverName: 'crm', schemas: false } });
    expect(parseConfig(minimal, 'f.yaml', {}).publisher).toMatchObject({ format: 'custsync', debezium: { serverName: 'custsync', schemas: true } });
  });

  it('reports unreadable files and YAML syntax errors with the file name', () => {
    expect(messageOf(() => loadConfig('does/not/exist.yaml', {}))).toBe('does/not/exist.yaml: cannot read configuration: file not found');
    expect(parse(readFileSync('config/custsync.example.yaml', 'utf8'))).toBeTruthy();
  });
});
