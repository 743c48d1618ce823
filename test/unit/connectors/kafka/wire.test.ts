import { describe, expect, it } from 'vitest';
import { undecodableKey, undecodableLetter } from '../../../../src/connectors/kafka/undecodable.js';
import { decodeFetch, decodeMetadata, encodeFetch, encodeMetadata, formatTopicId, scanBatches } from '../../../../src/connectors/kafka/wire.js';

/** A v2 record batch header (61 bytes) followed by `payload`, as a broker stores it. */
function batch(baseOffset: bigint, lastOffsetDelta: number, compression: number, records: number, payload: Buffer): Buffer {
  const header = Buffer.alloc(61);
  header.writeBigInt64BE(baseOffset, 0);
  header.writeInt32BE(61 - 12 + payload.length, 8);
  header.writeInt8(2, 16);
  header.writeInt16BE(compression, 21);
  header.writeInt32BE(lastOffsetDelta, 23);
  header.writeBigInt64BE(1_700_000_000_000n, 27);
  header.writeInt32BE(records, 57);
  return Buffer.concat([header, payload]);
}

describe('Kafka wire messages custsync sends itself', () => {
  it('scans stored batches, leaving out a truncated last one', () => {
    const first = batch(10n, 2, 3, 3, Buffer.from('lz4 data here'));
    const second = batch(13n, 0, 0, 1, Buffer.from('plain'));
    const scanned = scanBatches(Buffer.concat([first, second, second.subarray(0, 40)]));
    expect(scanned.map((b) => [b.baseOffset, b.lastOffset, b.compression, b.recordCount])).toEqual([
      [10n, 12n, 3, 3],
      [13n, 13n, 0, 1],
    ]);
    expect(scanned[0]?.bytes).toEqual(first);
  });

  it('encodes a one-partition Fetch v5 and decodes its answer', () => {
    const request = encodeFetch('t', 4, 77n, 1_000);
    expect(request.readInt32BE(0)).toBe(-1);
    expect(request.readBigInt64BE(request.length - 20)).toBe(77n);
    const records = batch(70n, 9, 1, 10, Buffer.from('gzip'));
    const topic = Buffer.from('t');
    const body = Buffer.concat([
      Buffer.from([0, 0, 0, 0, 0, 0, 0, 1, 0, 1]), topic,
      Buffer.from([0, 0, 0, 1, 0, 0, 0, 4, 0, 0]),
      Buffer.from([0, 0, 0, 0, 0, 0, 0, 90]), Buffer.from([0, 0, 0, 0, 0, 0, 0, 90]), Buffer.from([0, 0, 0, 0, 0, 0, 0, 5]),
      Buffer.from([0, 0, 0, 0]),
      Buffer.from([0, 0, 0, records.length]), records,
    ]);
    expect(decodeFetch(body)).toEqual({ partition: 4, errorCode: 0, highWatermark: 90n, logStartOffset: 5n, records });
  });

  it('decodes topic ids from a Metadata v12 answer', () => {
    const id = Buffer.from('b38537feded7448586e1c093c1f32802', 'hex');
    const name = Buffer.from('orders');
    const body = Buffer.concat([
      Buffer.from([0]), // response header tags
      Buffer.from([0, 0, 0, 0]), // throttle
      Buffer.from([2, 0, 0, 0, 1, 2]), Buffer.from('h'), Buffer.from([0, 0, 0x23, 0x84, 0, 0]), // one broker
      Buffer.from([0]), // cluster id null
      Buffer.from([0, 0, 0, 1]), // controller
      Buffer.from([2, 0, 0, name.length + 1]), name, id, Buffer.from([0]), // topic header
      Buffer.from([2, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 2, 0, 0, 0, 1, 2, 0, 0, 0, 1, 1, 0]), // one partition
      Buffer.from([0, 0, 0, 0, 0]), // authorized ops, tags
      Buffer.from([0]),
    ]);
    expect(decodeMetadata(body, 12)).toEqual([{ name: 'orders', errorCode: 0, topicId: 'b38537feded7448586e1c093c1f32802', partitions: 1 }]);
    expect(formatTopicId('b38537feded7448586e1c093c1f32802')).toBe('b38537fe-ded7-4485-86e1-c093c1f32802');
    expect(encodeMetadata(['orders'], 12)[0]).toBe(0); // the flexible request header's tag section leads
  });

  it('an undecodable batch becomes one dead letter: the stored bytes, its first unapplied offset, the range in headers', () => {
    const bytes = batch(100n, 4, 3, 5, Buffer.from('corrupt'));
    const [header] = scanBatches(bytes);
    const letter = undecodableLetter({ topic: 't', partition: 1, from: 102n, batch: header!, error: 'CodecError: lz4: bad magic', before: [] }, 'crm');
    expect(letter).toMatchObject({
      platform: 'crm',
      reason: 'undecodable_batch',
      origin: { position: { kind: 'kafka', topic: 't', partition: 1, offset: '102' }, value: bytes, headers: { 'custsync.source.last-offset': '104', 'custsync.source.compression': 'lz4' } },
    });
    expect(letter.message).toBe('record batch of offsets 100..104 (5 records, lz4) cannot be decoded: CodecError: lz4: bad magic');
    expect(undecodableKey({ topic: 't', partition: 1, batch: header! })).toBe('t\u00001\u0000100');
  });
});
