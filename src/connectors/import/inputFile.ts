import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';

/** What identifies an input file and sizes its progress bar. */
export interface InputFileInfo {
  path: string;
  /** sha256 of the content, hex: the import's stable id (`import:<sha256>` in source_positions). */
  sha256: string;
  bytes: number;
  /** Physical lines, counting a last line without a trailing newline. */
  lines: number;
  modifiedAt: Date;
}

/** One physical line, without its `\n` (and without a `\r` before it). */
export interface PhysicalLine {
  /** 1-based. */
  line: number;
  bytes: Buffer;
}

const NEWLINE = 0x0a;
const CR = 0x0d;

/** Reads the file once: content hash and line count (the import resumes by hash, so it must see the whole file first). */
export async function inspectInputFile(path: string): Promise<InputFileInfo> {
  const hash = createHash('sha256');
  let bytes = 0;
  let newlines = 0;
  let last = NEWLINE;
  for await (const chunk of createReadStream(path) as AsyncIterable<Buffer>) {
    hash.update(chunk);
    bytes += chunk.length;
    for (let i = chunk.indexOf(NEWLINE); i !== -1; i = chunk.indexOf(NEWLINE, i + 1)) newlines += 1;
    last = chunk[chunk.length - 1] ?? last;
  }
  const { mtime } = await stat(path);
  return { path, sha256: hash.digest('hex'), bytes, lines: newlines + (last === NEWLINE ? 0 : 1), modifiedAt: mtime };
}

function withoutCr(bytes: Buffer): Buffer {
  return bytes.length > 0 && bytes[bytes.length - 1] === CR ? bytes.subarray(0, bytes.length - 1) : bytes;
}

/**
 * The file's physical lines as raw bytes, so invalid UTF-8 can be reported
 * per line instead of being silently replaced (as `readline` does).
 */
export async function* readPhysicalLines(path: string): AsyncGenerator<PhysicalLine> {
  let line = 0;
  let carry: Buffer[] = [];
  for await (const chunk of createReadStream(path, { highWaterMark: 1 << 20 }) as AsyncIterable<Buffer>) {
    let start = 0;
    for (let i = chunk.indexOf(NEWLINE); i !== -1; i = chunk.indexOf(NEWLINE, start)) {
      const piece = chunk.subarray(start, i);
      const bytes = carry.length > 0 ? Buffer.concat([...carry, piece]) : piece;
      carry = [];
      line += 1;
      yield { line, bytes: withoutCr(bytes) };
      start = i + 1;
    }
    if (start < chunk.length) carry.push(chunk.subarray(start));
  }
  if (carry.length > 0) yield { line: line + 1, bytes: withoutCr(Buffer.concat(carry)) };
}
