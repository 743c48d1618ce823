import { readFileSync } from 'node:fs';
import { compressSync } from 'snappy';
import { describe, expect, it } from 'vitest';
import { CodecError, codecFor, isXerialFramed, xerialBlocks } from '../../../../src/connectors/kafka/codecs.js';

const fixture = (name: string) => readFileSync(new URL(`../../../fixtures/codecs/${name}`, import.meta.url));
const plain = fixture('plain.jsonl');

/** What Java producers write: xerial's SnappyOutputStream, header then length-prefixed raw blocks. */
function xerial(data: Buffer, blockSize: number): Buffer {
  const header = Buffer.from([0x82, 0x53, 0x4e, 0x41, 0x50, 0x50, 0x59, 0x00, 0, 0, 0, 1, 0, 0, 0, 1]);
  const parts: Buffer[] = [header];
  for (let i = 0; i < data.length; i += blockSize) {
    const block = compressSync(data.subarray(i, i + blockSize));
    const length = Buffer.alloc(4);
    length.writeUInt32BE(block.length);
    parts.push(length, block);
  }
  return Buffer.concat(parts);
}

describe('Kafka compression codecs', () => {
  it('snappy: reads raw blocks (librdkafka, kafkajs) and xerial-framed blocks (Java), writes raw blocks', async () => {
    const codec = codecFor('snappy');
    const raw = await codec.compress({ buffer: plain });
    expect(isXerialFramed(raw)).toBe(false);
    expect(await codec.decompress(raw)).toEqual(plain);
    const framed = xerial(plain, 4_096);
    expect(isXerialFramed(framed)).toBe(true);
    expect(xerialBlocks(framed)).toHaveLength(Math.ceil(plain.length / 4_096));
    expect(await codec.decompress(framed)).toEqual(plain);
  });

  it('lz4: reads the standard frame format as the lz4 tool writes it, and round-trips', async () => {
    const codec = codecFor('lz4');
    expect(await codec.decompress(fixture('plain.jsonl.lz4'))).toEqual(plain);
    expect(await codec.decompress(await codec.compress({ buffer: plain }))).toEqual(plain);
  });

  it('zstd: reads a streamed frame without a content size (as Java producers write), and round-trips', async () => {
    const codec = codecFor('zstd');
    expect(await codec.decompress(fixture('plain.jsonl.zst'))).toEqual(plain);
    expect(await codec.decompress(await codec.compress({ buffer: plain }))).toEqual(plain);
  });

  it('gzip round-trips', async () => {
    const codec = codecFor('gzip');
    expect(await codec.decompress(await codec.compress({ buffer: plain }))).toEqual(plain);
  });

  it('a payload that does not decode is a CodecError naming the codec', async () => {
    const garbage = Buffer.from('definitely not compressed data, not at all');
    for (const name of ['gzip', 'snappy', 'lz4', 'zstd'] as const) {
      const failure = await codecFor(name).decompress(garbage).then(() => undefined, (err: unknown) => err);
      expect(failure, name).toBeInstanceOf(CodecError);
      expect((failure as CodecError).codec).toBe(name);
    }
    const truncated = xerial(plain, 4_096).subarray(0, 100);
    await expect(codecFor('snappy').decompress(truncated)).rejects.toBeInstanceOf(CodecError);
  });
});
