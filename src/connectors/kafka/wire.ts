/**
 * Pure: the few Kafka protocol messages custsync sends itself, because
 * kafkajs 2.2.4 either decodes them in a way that fails as a whole (a Fetch
 * with one undecodable record batch) or does not know them (Metadata v10+,
 * which carries topic ids). Encoders return request bodies; decoders take a
 * response body after its correlation id. Field layouts are the Kafka
 * protocol's (kafka.apache.org/protocol).
 */

class Writer {
  private readonly parts: Buffer[] = [];

  int8(v: number): this {
    const b = Buffer.alloc(1);
    b.writeInt8(v);
    return this.push(b);
  }
  int16(v: number): this {
    const b = Buffer.alloc(2);
    b.writeInt16BE(v);
    return this.push(b);
  }
  int32(v: number): this {
    const b = Buffer.alloc(4);
    b.writeInt32BE(v);
    return this.push(b);
  }
  int64(v: bigint): this {
    const b = Buffer.alloc(8);
    b.writeBigInt64BE(v);
    return this.push(b);
  }
  uvarint(v: number): this {
    const bytes: number[] = [];
    let n = v >>> 0;
    while (n >= 0x80) {
      bytes.push((n & 0x7f) | 0x80);
      n >>>= 7;
    }
    bytes.push(n);
    return this.push(Buffer.from(bytes));
  }
  string(s: string): this {
    const b = Buffer.from(s, 'utf8');
    return this.int16(b.length).push(b);
  }
  compactString(s: string | null): this {
    if (s === null) return this.uvarint(0);
    const b = Buffer.from(s, 'utf8');
    return this.uvarint(b.length + 1).push(b);
  }
  push(b: Buffer): this {
    this.parts.push(b);
    return this;
  }
  done(): Buffer {
    return Buffer.concat(this.parts);
  }
}

class Reader {
  private offset = 0;
  constructor(private readonly buffer: Buffer) {}

  private take(n: number): Buffer {
    if (this.offset + n > this.buffer.length) throw new RangeError(`Kafka response truncated at byte ${this.offset} (+${n})`);
    const slice = this.buffer.subarray(this.offset, this.offset + n);
    this.offset += n;
    return slice;
  }
  int8(): number {
    return this.take(1).readInt8(0);
  }
  int16(): number {
    return this.take(2).readInt16BE(0);
  }
  int32(): number {
    return this.take(4).readInt32BE(0);
  }
  int64(): bigint {
    return this.take(8).readBigInt64BE(0);
  }
  uvarint(): number {
    let result = 0;
    let shift = 0;
    for (;;) {
      const byte = this.take(1)[0] as number;
      result |= (byte & 0x7f) << shift;
      if ((byte & 0x80) === 0) return result >>> 0;
      shift += 7;
      if (shift > 28) throw new RangeError('varint too long');
    }
  }
  string(): string | null {
    const n = this.int16();
    return n < 0 ? null : this.take(n).toString('utf8');
  }
  bytes(): Buffer | null {
    const n = this.int32();
    return n < 0 ? null : this.take(n);
  }
  compactString(): string | null {
    const n = this.uvarint();
    return n === 0 ? null : this.take(n - 1).toString('utf8');
  }
  uuid(): string {
    return this.take(16).toString('hex');
  }
  /** Skips a tagged-field section of a flexible version. */
  taggedFields(): void {
    const count = this.uvarint();
    for (let i = 0; i < count; i += 1) {
      this.uvarint();
      this.take(this.uvarint());
    }
  }
  array<T>(read: () => T): T[] {
    const n = this.int32();
    return Array.from({ length: Math.max(n, 0) }, read);
  }
  compactArray<T>(read: () => T): T[] {
    const n = this.uvarint();
    return Array.from({ length: Math.max(n - 1, 0) }, read);
  }
}

export const API = { fetch: 1, metadata: 3 } as const;

/** Fetch v5 (the first with log_start_offset), one partition, read_uncommitted so nothing is hidden. */
export const FETCH_VERSION = 5;

export function encodeFetch(topic: string, partition: number, offset: bigint, maxBytes: number): Buffer {
  return new Writer()
    .int32(-1) // replica_id: a consumer
    .int32(0) // max_wait_ms: answer with what there is
    .int32(1) // min_bytes
    .int32(maxBytes)
    .int8(0) // isolation_level: read uncommitted (the batch as stored)
    .int32(1)
    .string(topic)
    .int32(1)
    .int32(partition)
    .int64(offset)
    .int64(-1n) // log_start_offset: not a follower
    .int32(maxBytes)
    .done();
}

export interface FetchedPartition {
  errorCode: number;
  highWatermark: bigint;
  logStartOffset: bigint;
  /** The partition's record batches, as stored (possibly a truncated last one). */
  records: Buffer;
}

export function decodeFetch(body: Buffer): FetchedPartition {
  const r = new Reader(body);
  r.int32(); // throttle_time_ms
  const topics = r.array(() => ({
    topic: r.string(),
    partitions: r.array(() => {
      const partition = r.int32();
      const errorCode = r.int16();
      const highWatermark = r.int64();
      r.int64(); // last_stable_offset
      const logStartOffset = r.int64();
      r.array(() => [r.int64(), r.int64()]); // aborted_transactions
      const records = r.bytes() ?? Buffer.alloc(0);
      return { partition, errorCode, highWatermark, logStartOffset, records };
    }),
  }));
  const first = topics[0]?.partitions[0];
  if (!first) throw new RangeError('Fetch response without a partition');
  return first;
}

/** Metadata v10 is the first that names topic ids; v12 is the newest Kafka 3.x brokers answer. */
export const METADATA_VERSIONS = { min: 10, max: 12 } as const;

/**
 * Metadata v10–v12 of the given topics. Flexible versions: the request header
 * carries a tagged-field section after the client id, which kafkajs' header
 * encoder does not write; it leads the body here.
 */
export function encodeMetadata(topics: readonly string[], version: number): Buffer {
  const w = new Writer().uvarint(0); // request header tagged fields
  w.uvarint(topics.length + 1);
  for (const topic of topics) {
    w.push(Buffer.alloc(16)); // topic_id: zero, look up by name
    w.compactString(topic);
    w.uvarint(0);
  }
  w.int8(0); // allow_auto_topic_creation
  if (version <= 10) w.int8(0); // include_cluster_authorized_operations (v8–v10)
  w.int8(0); // include_topic_authorized_operations
  w.uvarint(0);
  return w.done();
}

export interface TopicMetadata {
  name: string;
  errorCode: number;
  /** 32 hex digits; all zeros when the broker has none. */
  topicId: string;
  partitions: number;
}

export function decodeMetadata(body: Buffer, version: number): TopicMetadata[] {
  const r = new Reader(body);
  r.taggedFields(); // response header tagged fields
  r.int32(); // throttle_time_ms
  r.compactArray(() => {
    r.int32();
    r.compactString();
    r.int32();
    r.compactString();
    r.taggedFields();
  });
  r.compactString(); // cluster_id
  r.int32(); // controller_id
  const topics = r.compactArray(() => {
    const errorCode = r.int16();
    const name = r.compactString() ?? '';
    const topicId = r.uuid();
    r.int8(); // is_internal
    const partitions = r.compactArray(() => {
      r.int16();
      r.int32();
      r.int32();
      r.int32(); // leader_epoch
      r.compactArray(() => r.int32());
      r.compactArray(() => r.int32());
      r.compactArray(() => r.int32());
      r.taggedFields();
    }).length;
    r.int32(); // topic_authorized_operations
    r.taggedFields();
    return { name, errorCode, topicId, partitions };
  });
  if (version <= 10) r.int32(); // cluster_authorized_operations
  r.taggedFields();
  return topics;
}

export const NO_TOPIC_ID = '0'.repeat(32);

/** `00112233-4455-...` from 32 hex digits (the form Kafka's tools print is base64; this one is readable in SQL). */
export function formatTopicId(hex: string): string {
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

/** One stored record batch, as far as its fixed header tells. */
export interface BatchHeader {
  baseOffset: bigint;
  lastOffset: bigint;
  magic: number;
  /** Codec bits of the attributes: 0 none, 1 gzip, 2 snappy, 3 lz4, 4 zstd. */
  compression: number;
  firstTimestamp: bigint;
  recordCount: number;
  /** The whole batch, header included. */
  bytes: Buffer;
}

const BATCH_HEADER_BYTES = 61;

/** The complete v2 record batches of a record set (a truncated last batch is left out). */
export function scanBatches(records: Buffer): BatchHeader[] {
  const batches: BatchHeader[] = [];
  let position = 0;
  while (position + BATCH_HEADER_BYTES <= records.length) {
    const baseOffset = records.readBigInt64BE(position);
    const size = 12 + records.readInt32BE(position + 8);
    if (size < BATCH_HEADER_BYTES || position + size > records.length) break;
    const magic = records.readInt8(position + 16);
    const attributes = records.readInt16BE(position + 21);
    const lastOffsetDelta = records.readInt32BE(position + 23);
    batches.push({
      baseOffset,
      lastOffset: baseOffset + BigInt(lastOffsetDelta),
      magic,
      compression: attributes & 0x07,
      firstTimestamp: records.readBigInt64BE(position + 27),
      recordCount: records.readInt32BE(position + 57),
      bytes: records.subarray(position, position + size),
    });
    position += size;
  }
  return batches;
}

export const COMPRESSION_NAMES = ['none', 'gzip', 'snappy', 'lz4', 'zstd'] as const;
