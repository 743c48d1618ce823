import type { ChangeEvent } from './ChangeEvent.js';
import type { KeyTemplate } from './debezium.js';

/** What kafkajs adds to a record beyond its key and value, counted towards a request's size. */
const RECORD_OVERHEAD = 64;
/** A chunk's first buffer; it doubles as events come, up to the request limit. Small: a group of a few events is common. */
const INITIAL_CHUNK_BYTES = 16 * 1024;

/** The length of a tombstone: a message with a key and a null value. */
export const TOMBSTONE = 0xffff_ffff;

/**
 * Events serialized for one produce request: the UTF-8 JSON values one after
 * another in `data` (an ArrayBuffer of its own, so it can be handed to the
 * producer thread without a copy; bytes past the last value are unused), the
 * byte length (TOMBSTONE for a null value) and the key (customer id) of each.
 */
export interface EncodedChunk {
  data: ArrayBuffer;
  lengths: Uint32Array;
  keys: Int32Array;
}

export interface EncodedEvents {
  chunks: EncodedChunk[];
  events: number;
  byOp: Record<ChangeEvent['op'], number>;
}

/** The bytes a chunk's records take in a request (values and their overhead). */
export function chunkBytes(chunk: EncodedChunk): number {
  let bytes = chunk.keys.length * RECORD_OVERHEAD;
  for (const length of chunk.lengths) if (length !== TOMBSTONE) bytes += length;
  return bytes;
}

/** The Kafka messages of a chunk, in order (value: a view of `data` or null, key: the customer id in decimal, inside `key` when given). */
export function chunkMessages(chunk: EncodedChunk, key?: KeyTemplate): { key: string; value: Buffer | null }[] {
  const data = Buffer.from(chunk.data);
  const keyOf = key ? (id: number) => `${key.prefix}${id}${key.suffix}` : String;
  const messages: { key: string; value: Buffer | null }[] = new Array(chunk.keys.length);
  let offset = 0;
  for (let i = 0; i < chunk.keys.length; i += 1) {
    const length = chunk.lengths[i] as number;
    if (length === TOMBSTONE) {
      messages[i] = { key: keyOf(chunk.keys[i] as number), value: null };
      continue;
    }
    messages[i] = { key: keyOf(chunk.keys[i] as number), value: data.subarray(offset, offset + length) };
    offset += length;
  }
  return messages;
}

/**
 * Serializes events as they are assembled into request-sized chunks (at most
 * `maxRequestBytes` counting each record's overhead; a larger event goes
 * alone). Events are written into the chunk's buffer right away, so neither
 * they nor their JSON outlive their transaction's assembly: a group waiting
 * for Kafka holds bytes outside the JavaScript heap, not objects.
 */
export class EventEncoder {
  private readonly chunks: EncodedChunk[] = [];
  private buffer: Buffer | undefined;
  private used = 0;
  private lengths: number[] = [];
  private keys: number[] = [];
  private events = 0;
  private readonly byOp = { c: 0, u: 0, d: 0, r: 0 };

  constructor(
    private readonly maxRequestBytes: number,
    /** The message value of an event (custsync's envelope, or Debezium's: format.ts). */
    private readonly serialize: (event: ChangeEvent) => string = JSON.stringify,
  ) {}

  add(event: ChangeEvent): void {
    const json = this.serialize(event);
    // UTF-8 needs at most 3 bytes per UTF-16 unit: only a value that might not fit is measured exactly.
    let length = json.length * 3;
    if (!this.fits(length)) {
      length = Buffer.byteLength(json);
      if (!this.fits(length)) this.flush();
    }
    const start = this.used;
    this.used += this.room(length).write(json, start);
    this.lengths.push(this.used - start);
    this.keys.push(event.key.id);
    this.events += 1;
    this.byOp[event.op] += 1;
  }

  /** A tombstone for the customer: its key with a null value (not counted as an event). */
  addTombstone(customerId: number): void {
    if (!this.fits(0)) this.flush();
    this.room(0);
    this.lengths.push(TOMBSTONE);
    this.keys.push(customerId);
  }

  /** Every event added so far, as chunks in order; the encoder starts empty again. */
  finish(): EncodedEvents {
    this.flush();
    const out: EncodedEvents = { chunks: this.chunks.splice(0), events: this.events, byOp: { ...this.byOp } };
    this.events = 0;
    this.byOp.c = 0;
    this.byOp.u = 0;
    this.byOp.d = 0;
    this.byOp.r = 0;
    return out;
  }

  private fits(length: number): boolean {
    return this.keys.length === 0 || this.used + (this.keys.length + 1) * RECORD_OVERHEAD + length <= this.maxRequestBytes;
  }

  /** The current buffer with room for `length` more bytes (grown by doubling, keeping what it holds). */
  private room(length: number): Buffer {
    const needed = this.used + length;
    if (this.buffer && this.buffer.length >= needed) return this.buffer;
    let size = Math.max(this.buffer?.length ?? 0, INITIAL_CHUNK_BYTES);
    while (size < needed) size *= 2;
    const grown = Buffer.allocUnsafeSlow(Math.min(size, Math.max(this.maxRequestBytes, needed)));
    if (this.buffer) this.buffer.copy(grown, 0, 0, this.used);
    this.buffer = grown;
    return grown;
  }

  private flush(): void {
    if (!this.buffer || this.keys.length === 0) return;
    this.chunks.push({ data: this.buffer.buffer as ArrayBuffer, lengths: Uint32Array.from(this.lengths), keys: Int32Array.from(this.keys) });
    this.buffer = undefined;
    this.used = 0;
    this.lengths = [];
    this.keys = [];
  }
}
