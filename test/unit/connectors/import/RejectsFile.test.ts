import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { RejectsFile } from '../../../../src/connectors/import/RejectsFile.js';
import type { DeadLetter } from '../../../../src/contract.js';

const letter = (line: number, value: Buffer): DeadLetter => ({
  origin: { position: { kind: 'import', source: 'h', line }, key: null, value, headers: {} },
  platform: 'crm',
  reason: 'invalid_json',
  message: 'line is not valid JSON',
});

describe('the rejects file', () => {
  it('appends entries with the line, reason and input, reporting each', async () => {
    const path = join(mkdtempSync(join(tmpdir(), 'rejects-')), 'in.csv.rejected.jsonl');
    const seen: number[] = [];
    const file = new RejectsFile(path, (e) => seen.push(e.line));
    await file.prepare(undefined);
    await file.send([letter(2, Buffer.from('{"x')), letter(5, Buffer.from([0xff]))]);
    await file.close();
    expect(seen).toEqual([2, 5]);
    const entries = readFileSync(path, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(entries).toEqual([
      { line: 2, reason: 'invalid_json', message: 'line is not valid JSON', platform: 'crm', input: '{"x' },
      { line: 5, reason: 'invalid_json', message: 'line is not valid JSON', platform: 'crm', inputBase64: '/w==' },
    ]);
  });

  it('on resume keeps entries of committed lines and drops those that will be reported again', async () => {
    const path = join(mkdtempSync(join(tmpdir(), 'rejects-')), 'r.jsonl');
    writeFileSync(path, ['{"line":3}', '{"line":40}', '{"line":41}', ''].join('\n'));
    expect(await new RejectsFile(path).prepare(41n)).toBe(2);
    expect(readFileSync(path, 'utf8')).toBe('{"line":3}\n{"line":40}\n');
    expect(await new RejectsFile(path).prepare(undefined)).toBe(0);
    expect(() => readFileSync(path)).toThrow();
  });
});
