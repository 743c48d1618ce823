import { describe, expect, it } from 'vitest';
import { parseCsvHeader } from '../../../../src/connectors/import/csvColumns.js';
import { csvUnitIncoming, jsonlLineIncoming, type JsonlContext } from '../../../../src/connectors/import/importItems.js';
import { mapperFor } from '../../../../src/connectors/mappers/registry.js';

const sha256 = 'ab'.repeat(32);
const fileTime = new Date('2024-05-01T00:00:00Z');
const ctx = { platform: 'crm', sha256, defaultEventTime: fileTime };
const jsonl: JsonlContext = { ...ctx, mapper: mapperFor('generic'), knownPlatforms: new Set(['crm', 'hotmart']), maxLineBytes: 200 };

describe('import items', () => {
  it('positions a CSV record at its line and falls back to the file time and a line-derived event id', () => {
    const header = parseCsvHeader(['email', 'name'], false);
    const item = csvUnitIncoming({ kind: 'record', line: 7, endLine: 8, raw: 'a@x.com,"A\nB"', fields: ['a@x.com', 'A\nB'] }, header, ctx);
    expect(item).toMatchObject({
      kind: 'record',
      record: {
        platform: 'crm',
        position: { kind: 'import', source: sha256, line: 7 },
        eventId: `import:${sha256.slice(0, 16)}:7`,
        eventTime: fileTime,
        email: 'a@x.com',
        customer: { name: 'A\nB' },
      },
      origin: { position: { kind: 'import', line: 7 }, value: Buffer.from('a@x.com,"A\nB"') },
    });
  });

  it('turns a malformed CSV record into a dead letter carrying the raw record', () => {
    const header = parseCsvHeader(['email'], false);
    const item = csvUnitIncoming({ kind: 'malformed', line: 3, endLine: 3, raw: '"x', reason: 'invalid_csv', message: 'unclosed quoted field' }, header, ctx);
    expect(item).toMatchObject({ kind: 'invalid', letter: { reason: 'invalid_csv', platform: 'crm', origin: { value: Buffer.from('"x') } } });
  });

  it('maps a JSONL line with the platform mapper, like a Kafka message value', () => {
    const line = Buffer.from(JSON.stringify({ eventId: 'e1', eventTime: '2024-01-01T00:00:00Z', platform: 'hotmart', email: 'a@x.com', customer: { name: 'Ana' } }));
    expect(jsonlLineIncoming(4, line, jsonl)).toMatchObject({
      kind: 'record',
      record: { platform: 'hotmart', eventId: 'e1', position: { kind: 'import', line: 4 }, customer: { name: 'Ana' } },
    });
  });

  it('dead-letters bad JSONL lines with stable reasons', () => {
    const reasonOf = (bytes: Buffer) => {
      const item = jsonlLineIncoming(1, bytes, jsonl);
      return item.kind === 'invalid' ? item.letter.reason : item.kind;
    };
    expect(reasonOf(Buffer.from('{"x'))).toBe('invalid_json');
    expect(reasonOf(Buffer.from([0x7b, 0xff, 0x7d]))).toBe('invalid_utf8');
    expect(reasonOf(Buffer.from('x'.repeat(201)))).toBe('too_large');
    expect(reasonOf(Buffer.from('{"eventId":"e","eventTime":"2024-01-01T00:00:00Z"}'))).toBe('schema_invalid');
    expect(reasonOf(Buffer.from('{"eventId":"e","eventTime":"2024-01-01T00:00:00Z","email":"a@x.com","platform":"nope"}'))).toBe('unknown_platform');
  });
});
