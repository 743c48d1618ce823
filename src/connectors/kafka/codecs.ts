import { promisify } from 'node:util';
import { gzip, unzip } from 'node:zlib';
import kafkajs, { CompressionTypes } from 'kafkajs';
import { compressFrame, decompressFrame } from 'lz4-napi';
import { compress as snappyCompress, uncompress as snappyUncompress } from 'snappy';
import { Decoder as ZstdDecoder, Encoder as ZstdEncoder } from '@toondepauw/node-zstd';
import type { KafkaCompression } from '../../runtime/config.js';

/**
 * The Kafka compression codecs kafkajs lacks (it has gzip only), registered
 * once per process (and per worker thread) through its public
 * `CompressionCodecs` table before any client exists. Each package ships
 * prebuilt binaries on npm (napi-rs), so nothing is compiled at install.
 *
 * - snappy: Java producers frame snappy the xerial way (a magic header, then
 *   length-prefixed blocks); librdkafka and kafkajs write one raw block. Both
 *   are read; raw blocks are written.
 * - lz4: the standard LZ4 frame format, which Kafka uses since message
 *   format v1 (KIP-57); the legacy broken-checksum framing of format v0 is
 *   not read.
 * - zstd: frames with or without a content size (Java's zstd-jni streams
 *   have none), decoded by libzstd itself.
 */

export type { KafkaCompression } from '../../runtime/config.js';

const TYPES: Record<KafkaCompression, CompressionTypes> = {
  none: CompressionTypes.None,
  gzip: CompressionTypes.GZIP,
  snappy: CompressionTypes.Snappy,
  lz4: CompressionTypes.LZ4,
  zstd: CompressionTypes.ZSTD,
};

/** The kafkajs compression type of a configured codec name. */
export function compressionType(name: KafkaCompression): CompressionTypes {
  return TYPES[name];
}

/** `\x82SNAPPY\0`, then a 4-byte version and a 4-byte compatible version. */
const XERIAL_MAGIC = Buffer.from([0x82, 0x53, 0x4e, 0x41, 0x50, 0x50, 0x59, 0x00]);
const XERIAL_HEADER_BYTES = 16;

/** Thrown when a compressed record batch does not decode: the consumer treats it as an undecodable batch. */
export class CodecError extends Error {
  /** kafkajs retries what is not marked otherwise; refetching the same bytes cannot help, so its consumer crashes at once. */
  readonly retriable = false;

  constructor(
    readonly codec: KafkaCompression,
    message: string,
  ) {
    super(`${codec}: ${message}`);
    this.name = 'CodecError';
  }
}

/** Pure: whether a snappy payload uses xerial framing (Java producers). */
export function isXerialFramed(buffer: Buffer): boolean {
  return buffer.length >= XERIAL_HEADER_BYTES && buffer.subarray(0, XERIAL_MAGIC.length).equals(XERIAL_MAGIC);
}

/** Pure: the raw snappy blocks of a xerial-framed payload. */
export function xerialBlocks(buffer: Buffer): Buffer[] {
  const blocks: Buffer[] = [];
  let position = XERIAL_HEADER_BYTES;
  while (position < buffer.length) {
    if (position + 4 > buffer.length) throw new CodecError('snappy', 'truncated xerial block length');
    const length = buffer.readUInt32BE(position);
    position += 4;
    if (position + length > buffer.length) throw new CodecError('snappy', 'truncated xerial block');
    blocks.push(buffer.subarray(position, position + length));
    position += length;
  }
  return blocks;
}

async function unsnappyBlock(block: Buffer): Promise<Buffer> {
  const out = await snappyUncompress(block, { asBuffer: true });
  return Buffer.isBuffer(out) ? out : Buffer.from(out);
}

async function snappyDecompress(buffer: Buffer): Promise<Buffer> {
  if (!isXerialFramed(buffer)) return unsnappyBlock(buffer);
  const parts: Buffer[] = [];
  for (const block of xerialBlocks(buffer)) parts.push(await unsnappyBlock(block));
  return Buffer.concat(parts);
}

const zstdDecoder = new ZstdDecoder();
/** Level 3 is zstd's own default: most of the ratio for little CPU. */
const zstdEncoder = new ZstdEncoder(3);

/** Wraps a decoder so that whatever it throws is a CodecError naming the codec. */
function decoding(codec: KafkaCompression, decode: (buffer: Buffer) => Promise<Buffer>): (buffer: Buffer) => Promise<Buffer> {
  return async (buffer) => {
    try {
      return await decode(buffer);
    } catch (err) {
      throw new CodecError(codec, err instanceof Error ? err.message : String(err));
    }
  };
}

interface Codec {
  compress(encoder: { buffer: Buffer }): Promise<Buffer>;
  decompress(buffer: Buffer): Promise<Buffer>;
}

const gzipAsync = promisify(gzip);
const unzipAsync = promisify(unzip);

type CodecName = Exclude<KafkaCompression, 'none'>;

const CODECS: Record<CodecName, Codec> = {
  // kafkajs' own gzip codec, with failures named like the others'.
  gzip: {
    compress: (encoder) => gzipAsync(encoder.buffer),
    decompress: decoding('gzip', (buffer) => unzipAsync(buffer)),
  },
  snappy: {
    compress: (encoder) => snappyCompress(encoder.buffer),
    decompress: decoding('snappy', snappyDecompress),
  },
  lz4: {
    compress: (encoder) => compressFrame(encoder.buffer),
    decompress: decoding('lz4', (buffer) => decompressFrame(buffer)),
  },
  zstd: {
    compress: (encoder) => zstdEncoder.encode(encoder.buffer),
    decompress: decoding('zstd', (buffer) => zstdDecoder.decode(buffer)),
  },
};

// Not a named export Node's CommonJS detection finds: read from the module object.
const { CompressionCodecs } = kafkajs;

let registered = false;

/** Idempotent; every Kafka client of custsync is created after it (createKafka calls it). */
export function registerKafkaCodecs(): void {
  if (registered) return;
  registered = true;
  // kafkajs types the table's values as `() => any`; a codec is an object with compress/decompress.
  CompressionCodecs[CompressionTypes.GZIP] = () => CODECS.gzip;
  CompressionCodecs[CompressionTypes.Snappy] = () => CODECS.snappy;
  CompressionCodecs[CompressionTypes.LZ4] = () => CODECS.lz4;
  CompressionCodecs[CompressionTypes.ZSTD] = () => CODECS.zstd;
}

/** The codecs themselves, for measurements and tests. */
export function codecFor(name: CodecName): Codec {
  return CODECS[name];
}
