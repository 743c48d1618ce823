import { describe, expect, it } from 'vitest';
import { PgoutputDecoder } from '../../../src/replication/pgoutput.js';

/** Builds pgoutput protocol-1 messages byte by byte. */
class Bytes {
  private parts: Buffer[] = [];
  tag(c: string) {
    return this.u8(c.charCodeAt(0));
  }
  u8(v: number) {
    this.parts.push(Buffer.from([v]));
    return this;
  }
  i16(v: number) {
    const b = Buffer.alloc(2);
    b.writeInt16BE(v);
    this.parts.push(b);
    return this;
  }
  i32(v: number) {
    const b = Buffer.alloc(4);
    b.writeInt32BE(v);
    this.parts.push(b);
    return this;
  }
  u64(v: bigint) {
    const b = Buffer.alloc(8);
    b.writeBigUInt64BE(v);
    this.parts.push(b);
    return this;
  }
  str(s: string) {
    this.parts.push(Buffer.from(`${s}\0`));
    return this;
  }
  /** A tuple: strings are text values, null is NULL, undefined an unchanged TOAST value. */
  tuple(values: (string | null | undefined)[]) {
    this.i16(values.length);
    for (const v of values) {
      if (v === null) this.tag('n');
      else if (v === undefined) this.tag('u');
      else {
        const b = Buffer.from(v);
        this.tag('t').i32(b.length);
        this.parts.push(b);
      }
    }
    return this;
  }
  get buffer() {
    return Buffer.concat(this.parts);
  }
}

const INT4 = 23;
const TEXT = 25;
const TIMESTAMPTZ = 1184;
const relation = () =>
  new Bytes().tag('R').i32(16385).str('public').str('customers').u8('f'.charCodeAt(0)).i16(3)
    .u8(1).str('id').i32(INT4).i32(-1)
    .u8(0).str('name').i32(TEXT).i32(-1)
    .u8(0).str('updated_at').i32(TIMESTAMPTZ).i32(-1).buffer;

describe('PgoutputDecoder', () => {
  it('decodes begin, rows and commit, keeping values as text', () => {
    const decoder = new PgoutputDecoder('text');
    // 2024-03-01T12:00:00Z in microseconds since 2000-01-01
    const pgTime = BigInt(Date.UTC(2024, 2, 1, 12) - Date.UTC(2000, 0, 1)) * 1000n;
    expect(decoder.decode(new Bytes().tag('B').u64(0x16b3748n).u64(pgTime).i32(731).buffer)).toEqual({
      tag: 'begin', finalLsn: 0x16b3748n, commitTime: BigInt(Date.UTC(2024, 2, 1, 12)) * 1000n, xid: 731,
    });
    expect(decoder.decode(relation())).toMatchObject({ tag: 'relation', relation: { schema: 'public', table: 'customers', replicaIdentity: 'f', columns: ['id', 'name', 'updated_at'] } });
    expect(decoder.decode(new Bytes().tag('I').i32(16385).tag('N').tuple(['7', 'Ana Souza', '2024-03-01 12:00:00.5+00']).buffer)).toMatchObject({
      tag: 'insert', after: { id: '7', name: 'Ana Souza', updated_at: '2024-03-01 12:00:00.5+00' },
    });
    const update = decoder.decode(new Bytes().tag('U').i32(16385).tag('O').tuple(['7', 'Ana Souza', 'x']).tag('N').tuple(['7', 'Ana São', undefined]).buffer);
    expect(update).toMatchObject({ tag: 'update', before: { name: 'Ana Souza' }, after: { id: '7', name: 'Ana São', updated_at: 'x' } });
    expect(decoder.decode(new Bytes().tag('D').i32(16385).tag('K').tuple(['7', null, null]).buffer)).toMatchObject({ tag: 'delete', before: { id: '7', name: null } });
    expect(decoder.decode(new Bytes().tag('C').u8(0).u64(0x16b3748n).u64(0x16b3790n).u64(pgTime).buffer)).toMatchObject({ tag: 'commit', commitLsn: 0x16b3748n, endLsn: 0x16b3790n });
  });

  it("parses values with pg's type parsers in 'parsed' mode", () => {
    const decoder = new PgoutputDecoder('parsed');
    decoder.decode(relation());
    const insert = decoder.decode(new Bytes().tag('I').i32(16385).tag('N').tuple(['7', 'Ana', '2024-03-01 12:00:00+00']).buffer);
    expect(insert).toMatchObject({ tag: 'insert', after: { id: 7, name: 'Ana', updated_at: new Date(Date.UTC(2024, 2, 1, 12)) } });
  });

  it('decodes logical messages and truncates', () => {
    const decoder = new PgoutputDecoder('text');
    decoder.decode(relation());
    const message = decoder.decode(new Bytes().tag('M').u8(0).u64(0x42n).str('custsync.heartbeat').i32(2).u8(104).u8(105).buffer);
    expect(message).toEqual({ tag: 'message', transactional: false, lsn: 0x42n, prefix: 'custsync.heartbeat', content: Buffer.from('hi') });
    expect(decoder.decode(new Bytes().tag('T').i32(1).u8(0).i32(16385).buffer)).toMatchObject({ tag: 'truncate', relations: [{ table: 'customers' }] });
  });

  it('fails on a row of a relation it was never told about', () => {
    expect(() => new PgoutputDecoder().decode(new Bytes().tag('I').i32(99).tag('N').tuple([]).buffer)).toThrow(/unknown relation 99/);
  });
});
