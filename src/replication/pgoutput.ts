import pg from 'pg';

/**
 * A pgoutput (protocol version 1) decoder for LogicalReplicationService, in
 * place of pg-logical-replication's PgoutputPlugin. Values are either parsed
 * by pg's type parsers, as that plugin does (int4 → number, timestamptz →
 * Date), or kept as the text Postgres sent (`values: 'text'`): on a busy slot
 * the parsing (a Date per timestamp, a TextDecoder per value) was the largest
 * cost of the publisher, which re-serializes every value anyway.
 * https://www.postgresql.org/docs/15/protocol-logicalrep-message-formats.html
 */

/** Column name → value (see PgoutputDecoder); null for SQL NULL. */
export type DecodedRow = Record<string, unknown>;

export type ValueMode = 'parsed' | 'text';

export interface Relation {
  id: number;
  schema: string;
  table: string;
  /** d(efault), n(othing), f(ull), i(ndex) */
  replicaIdentity: string;
  columns: string[];
  /** Per column, the text → value conversion ('parsed' mode), else null. */
  parsers: (((text: string) => unknown) | null)[];
}

export type PgoutputMessage =
  | { tag: 'begin'; finalLsn: bigint; commitTime: bigint; xid: number }
  | { tag: 'commit'; commitLsn: bigint; endLsn: bigint; commitTime: bigint }
  | { tag: 'relation'; relation: Relation }
  | { tag: 'insert'; relation: Relation; after: DecodedRow }
  | { tag: 'update'; relation: Relation; before: DecodedRow | null; after: DecodedRow }
  | { tag: 'delete'; relation: Relation; before: DecodedRow }
  | { tag: 'truncate'; relations: Relation[] }
  | { tag: 'message'; transactional: boolean; lsn: bigint; prefix: string; content: Buffer }
  | { tag: 'other' };

/** Microseconds between 1970-01-01 and Postgres' epoch 2000-01-01. */
const PG_EPOCH_MICROS = 946_684_800_000_000n;

class Reader {
  pos = 0;
  constructor(readonly buf: Buffer) {}
  u8(): number {
    return this.buf[this.pos++] as number;
  }
  i16(): number {
    const v = this.buf.readInt16BE(this.pos);
    this.pos += 2;
    return v;
  }
  i32(): number {
    const v = this.buf.readInt32BE(this.pos);
    this.pos += 4;
    return v;
  }
  u64(): bigint {
    const v = this.buf.readBigUInt64BE(this.pos);
    this.pos += 8;
    return v;
  }
  cstring(): string {
    const end = this.buf.indexOf(0, this.pos);
    if (end < 0) throw new Error('pgoutput: unterminated string');
    const s = this.buf.toString('utf8', this.pos, end);
    this.pos = end + 1;
    return s;
  }
}

export class PgoutputDecoder {
  private readonly relations = new Map<number, Relation>();

  constructor(private readonly values: ValueMode = 'parsed') {}

  decode(buf: Buffer): PgoutputMessage {
    const r = new Reader(buf);
    switch (String.fromCharCode(r.u8())) {
      case 'B': {
        const finalLsn = r.u64();
        const commitTime = r.u64() + PG_EPOCH_MICROS;
        return { tag: 'begin', finalLsn, commitTime, xid: r.i32() >>> 0 };
      }
      case 'C': {
        r.u8(); // flags, unused
        const commitLsn = r.u64();
        const endLsn = r.u64();
        return { tag: 'commit', commitLsn, endLsn, commitTime: r.u64() + PG_EPOCH_MICROS };
      }
      case 'R': {
        const id = r.i32() >>> 0;
        const schema = r.cstring();
        const table = r.cstring();
        const replicaIdentity = String.fromCharCode(r.u8());
        const count = r.i16();
        const columns: string[] = [];
        const parsers: Relation['parsers'] = [];
        for (let i = 0; i < count; i += 1) {
          r.u8(); // flags (part of the key)
          columns.push(r.cstring());
          const typeOid = r.i32() >>> 0;
          r.pos += 4; // type modifier
          parsers.push(this.values === 'parsed' ? (pg.types.getTypeParser(typeOid, 'text') as (text: string) => unknown) : null);
        }
        const relation = { id, schema, table, replicaIdentity, columns, parsers };
        this.relations.set(id, relation);
        return { tag: 'relation', relation };
      }
      case 'I': {
        const relation = this.relation(r.i32());
        r.u8(); // 'N'
        return { tag: 'insert', relation, after: this.tuple(r, relation, null) };
      }
      case 'U': {
        const relation = this.relation(r.i32());
        let kind = r.u8();
        let before: DecodedRow | null = null;
        if (kind === 0x4b /* K */ || kind === 0x4f /* O */) {
          before = this.tuple(r, relation, null);
          kind = r.u8(); // 'N'
        }
        return { tag: 'update', relation, before, after: this.tuple(r, relation, before) };
      }
      case 'D': {
        const relation = this.relation(r.i32());
        r.u8(); // 'K' or 'O'
        return { tag: 'delete', relation, before: this.tuple(r, relation, null) };
      }
      case 'T': {
        const count = r.i32();
        r.u8(); // options
        const relations: Relation[] = [];
        for (let i = 0; i < count; i += 1) relations.push(this.relation(r.i32()));
        return { tag: 'truncate', relations };
      }
      case 'M': {
        const transactional = (r.u8() & 1) === 1;
        const lsn = r.u64();
        const prefix = r.cstring();
        const length = r.i32();
        return { tag: 'message', transactional, lsn, prefix, content: Buffer.from(buf.subarray(r.pos, r.pos + length)) };
      }
      default:
        return { tag: 'other' }; // origin, type
    }
  }

  private relation(id: number): Relation {
    const relation = this.relations.get(id >>> 0);
    if (!relation) throw new Error(`pgoutput: row of unknown relation ${id >>> 0}`);
    return relation;
  }

  /** Columns absent from a key-only tuple and unchanged TOASTed values come from `fallback` (the old row), else null. */
  private tuple(r: Reader, relation: Relation, fallback: DecodedRow | null): DecodedRow {
    const count = r.i16();
    const row: DecodedRow = {};
    const { buf } = r;
    for (let i = 0; i < count; i += 1) {
      const name = relation.columns[i] ?? `column${i}`;
      const kind = buf[r.pos++];
      if (kind === 0x74 /* t */) {
        const length = buf.readInt32BE(r.pos);
        r.pos += 4;
        const text = buf.toString('utf8', r.pos, r.pos + length);
        const parser = relation.parsers[i];
        row[name] = parser ? parser(text) : text;
        r.pos += length;
      } else if (kind === 0x62 /* b: binary, only sent when asked for */) {
        const length = buf.readInt32BE(r.pos);
        r.pos += 4;
        row[name] = Buffer.from(buf.subarray(r.pos, r.pos + length));
        r.pos += length;
      } else if (kind === 0x75 /* u: unchanged TOAST */) {
        row[name] = fallback?.[name] ?? null;
      } else {
        row[name] = null;
      }
    }
    return row;
  }
}

export interface PgoutputOptions {
  publicationNames: string[];
  messages: boolean;
  values: ValueMode;
}

/** A LogicalReplicationService plugin: pgoutput protocol 1 through PgoutputDecoder. */
export class PgoutputDecoderPlugin {
  private readonly decoder: PgoutputDecoder;

  constructor(readonly options: PgoutputOptions) {
    this.decoder = new PgoutputDecoder(options.values);
  }

  get name(): string {
    return 'pgoutput';
  }

  parse(buffer: Buffer): PgoutputMessage {
    return this.decoder.decode(buffer);
  }

  start(client: pg.Client, slotName: string, lastLsn: string): Promise<unknown> {
    // Slot and publication names are checked identifiers (checkReplicationName): no quoting issue.
    const publications = this.options.publicationNames.map((n) => `"${n}"`).join(',');
    return client.query(
      `START_REPLICATION SLOT "${slotName}" LOGICAL ${lastLsn} (proto_version '1', publication_names '${publications}', messages '${this.options.messages}')`,
    );
  }
}
