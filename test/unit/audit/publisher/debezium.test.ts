import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ChangeEvent, type CustomerImage, type MainAddress } from '../../../../src/audit/publisher/ChangeEvent.js';
import { DebeziumEncoding } from '../../../../src/audit/publisher/debezium.js';
import { CUSTOMER_COLUMNS, keySchema, valueSchema, type ConnectSchema } from '../../../../src/audit/publisher/debeziumSchema.js';
import { chunkMessages, EventEncoder } from '../../../../src/audit/publisher/encode.js';
import { parseLsn } from '../../../../src/replication/lsn.js';

const NAMES = { serverName: 'custsync', schema: 'public', table: 'customers' };

/** Whether a JSON value is what the JSON converter accepts for a Connect schema (types, optionality, struct fields). */
function conforms(schema: ConnectSchema, value: unknown, path = '$'): string | null {
  if (value === null || value === undefined) return schema.optional || schema.default !== undefined ? null : `${path}: null for a required ${schema.type}`;
  switch (schema.type) {
    case 'int8':
    case 'int16':
    case 'int32':
    case 'int64':
      return Number.isInteger(value) ? null : `${path}: not an integer`;
    case 'float32':
    case 'float64':
      return typeof value === 'number' ? null : `${path}: not a number`;
    case 'boolean':
      return typeof value === 'boolean' ? null : `${path}: not a boolean`;
    case 'string':
    case 'bytes':
      return typeof value === 'string' ? null : `${path}: not a string`;
    case 'array': {
      if (!Array.isArray(value)) return `${path}: not an array`;
      for (const [i, item] of value.entries()) {
        const problem = conforms(schema.items as ConnectSchema, item, `${path}[${i}]`);
        if (problem) return problem;
      }
      return null;
    }
    case 'struct': {
      if (typeof value !== 'object' || Array.isArray(value)) return `${path}: not an object`;
      const record = value as Record<string, unknown>;
      const fields = schema.fields ?? [];
      const extra = Object.keys(record).filter((k) => !fields.some((f) => f.field === k));
      if (extra.length > 0) return `${path}: fields outside the schema: ${extra.join(', ')}`;
      for (const field of fields) {
        const problem = conforms(field, record[field.field as string], `${path}.${field.field}`);
        if (problem) return problem;
      }
      return null;
    }
    default:
      return `${path}: unexpected type ${schema.type}`;
  }
}

const text = fc.option(fc.string({ unit: 'grapheme', maxLength: 30 }), { nil: null });
const instant = fc
  .date({ min: new Date('1970-01-01T00:00:00Z'), max: new Date('2999-12-31T23:59:59Z'), noInvalidDate: true })
  .chain((d) => fc.integer({ min: 0, max: 999 }).map((micro) => `${d.toISOString().slice(0, -1)}${String(micro).padStart(3, '0')}Z`));

const address: fc.Arbitrary<MainAddress> = fc.record({
  id: fc.integer({ min: 1, max: 2 ** 31 - 1 }),
  address: text,
  number: text,
  complement: text,
  neighborhood: text,
  city: text,
  state: text,
  zip_code: text,
  country: text,
  ip: text,
  created_at: instant,
  updated_at: instant,
});

const customer = (id: number): fc.Arbitrary<CustomerImage> =>
  fc.record({
    id: fc.constant(id),
    email: text,
    name: text,
    customer_id: text,
    phone_local_code: text,
    phone_number: text,
    document_type: text,
    document_number: text,
    address_id: fc.option(fc.integer({ min: 1, max: 2 ** 31 - 1 }), { nil: null }),
    created_at: instant,
    updated_at: instant,
    main_address: fc.option(address, { nil: null }),
  });

const lsn = fc.tuple(fc.integer({ min: 0, max: 0xffff }), fc.integer({ min: 0, max: 0xffffffff })).map(([hi, lo]) => `${hi.toString(16).toUpperCase()}/${lo.toString(16).toUpperCase()}`);

const event: fc.Arbitrary<ChangeEvent> = fc
  .record({
    id: fc.integer({ min: 1, max: 2 ** 31 - 1 }),
    op: fc.constantFrom('c' as const, 'u' as const, 'd' as const, 'r' as const),
    lsn,
    txId: fc.integer({ min: 1, max: 2 ** 32 - 1 }),
    commitMs: fc.integer({ min: 0, max: 32_503_680_000_000 }),
    now: fc.integer({ min: 0, max: 32_503_680_000_000 }),
    pseudonymized: fc.boolean(),
    changedBy: fc.array(fc.string({ maxLength: 20 }), { maxLength: 3 }),
  })
  .chain((base) =>
    fc.record({
      base: fc.constant(base),
      before: base.op === 'c' || base.op === 'r' ? fc.constant(null) : customer(base.id),
      after: base.op === 'd' ? fc.constant(null) : customer(base.id),
      changes: fc.array(
        fc.record({
          field: fc.constantFrom('email' as const, 'name' as const, 'city' as const),
          old: text,
          new: text,
          changed_by: fc.option(fc.string({ maxLength: 20 }), { nil: null }),
          reason: fc.option(fc.string({ maxLength: 20 }), { nil: null }),
          provenance: fc.option(
            fc.record({ platform: fc.string({ minLength: 1, maxLength: 20 }), priority: fc.option(fc.integer({ min: 0, max: 1_000_000 }), { nil: null }), event_time: instant, event_id: fc.option(fc.string({ maxLength: 20 }), { nil: null }) }),
            { nil: null },
          ),
        }),
        { maxLength: 4 },
      ),
      sources: fc.array(fc.record({ platform: fc.string({ maxLength: 20 }), event_id: fc.option(fc.string({ maxLength: 20 }), { nil: null }) }), { maxLength: 3 }),
    }),
  )
  .map(({ base, before, after, changes, sources }) =>
    ChangeEvent.parse({
      schema_version: 1,
      event_id: `${base.lsn}:${base.id}`,
      op: base.op,
      key: { id: base.id },
      before,
      after,
      changes,
      changed_by: base.changedBy,
      sources,
      pseudonymized: base.pseudonymized,
      source: {
        connector: 'custsync',
        db: 'custsync',
        schema: 'public',
        table: 'customers',
        slot: 'custsync_changes',
        lsn: base.lsn,
        tx_id: base.txId,
        ts_ms: base.commitMs,
        commit_time: new Date(base.commitMs).toISOString(),
      },
      ts_ms: base.now,
    }),
  );

/** The customers row of an image, in table order, as Debezium writes it. */
function row(image: CustomerImage | null): Record<string, unknown> | null {
  if (!image) return null;
  const { main_address: _address, ...columns } = image;
  return Object.fromEntries(CUSTOMER_COLUMNS.map((c) => [c.field as string, columns[c.field as keyof typeof columns]]));
}

describe('Debezium encoding of change events', () => {
  it('for any event, with schemas: the value is {schema, payload}, the schema is the envelope, the payload conforms to it, before/after are the customers rows and the extras sit in the custsync block', () => {
    const encoding = new DebeziumEncoding({ serverName: 'custsync', schemas: true, version: 'custsync-test' });
    const schema = valueSchema(NAMES);
    fc.assert(
      fc.property(event, (e) => {
        const value = JSON.parse(encoding.value(e)) as { schema: unknown; payload: Record<string, unknown> };
        expect(value.schema).toEqual(schema);
        expect(conforms(schema, value.payload)).toBeNull();
        const { payload } = value;
        expect(Object.keys(payload.before ?? {})).toEqual(payload.before ? CUSTOMER_COLUMNS.map((c) => c.field) : []);
        expect(payload.before).toEqual(row(e.before));
        expect(payload.after).toEqual(row(e.after));
        expect(payload.op).toBe(e.op);
        expect(payload.ts_ms).toBe(e.ts_ms);
        expect(payload.transaction).toBeNull();
        const commitLsn = Number(parseLsn(e.source.lsn));
        expect(payload.source).toEqual({
          version: 'custsync-test',
          connector: 'postgresql',
          name: 'custsync',
          ts_ms: e.source.ts_ms,
          snapshot: e.op === 'r' ? 'incremental' : 'false',
          db: 'custsync',
          sequence: JSON.stringify([String(commitLsn), String(commitLsn)]),
          ts_us: e.source.ts_ms * 1000,
          ts_ns: e.source.ts_ms * 1_000_000,
          schema: 'public',
          table: 'customers',
          txId: e.source.tx_id,
          lsn: commitLsn,
          xmin: null,
          origin: null,
          origin_lsn: null,
        });
        expect(payload.custsync).toEqual({
          schema_version: 1,
          event_id: e.event_id,
          changes: e.changes,
          changed_by: e.changed_by,
          sources: e.sources,
          pseudonymized: e.pseudonymized,
          main_address: { before: e.before?.main_address ?? null, after: e.after?.main_address ?? null },
        });
      }),
    );
  });

  it('microseconds and nanoseconds are the milliseconds times 1000 and 10^6 exactly, also beyond 2^53', () => {
    const encoding = new DebeziumEncoding({ serverName: 's', schemas: false, version: 'v' });
    fc.assert(
      fc.property(event, (e) => {
        const json = encoding.value(e);
        const times = (ms: number, zeros: string) => (ms === 0 ? '0' : `${ms}${zeros}`);
        expect(json).toContain(`"ts_ns":${times(e.source.ts_ms, '000000')},`);
        expect(json).toContain(`"ts_us":${times(e.ts_ms, '000')},"ts_ns":${times(e.ts_ms, '000000')},`);
      }),
    );
  });

  it('without schemas the value is the payload alone and the key is {"id": N}', () => {
    const plain = new DebeziumEncoding({ serverName: 'custsync', schemas: false, version: 'v' });
    const withSchemas = new DebeziumEncoding({ serverName: 'custsync', schemas: true, version: 'v' });
    fc.assert(
      fc.property(event, (e) => {
        expect(JSON.parse(plain.value(e))).toEqual((JSON.parse(withSchemas.value(e)) as { payload: unknown }).payload);
        expect(JSON.parse(plain.keyOf(e.key.id))).toEqual({ id: e.key.id });
        expect(JSON.parse(withSchemas.keyOf(e.key.id))).toEqual({ schema: keySchema(NAMES), payload: { id: e.key.id } });
      }),
    );
  });

  it('the schema names follow the server name, as Debezium derives them from topic.prefix', () => {
    const schema = valueSchema({ serverName: 'legacy', schema: 'public', table: 'customers' });
    expect(schema.name).toBe('legacy.public.customers.Envelope');
    expect(schema.fields?.[0]?.name).toBe('legacy.public.customers.Value');
    expect(keySchema({ serverName: 'legacy', schema: 'public', table: 'customers' }).name).toBe('legacy.public.customers.Key');
  });

  it('through the encoder and the producer thread\'s message builder: keys as Debezium writes them, values as encoded, tombstones null', () => {
    const encoding = new DebeziumEncoding({ serverName: 'custsync', schemas: true, version: 'v' });
    fc.assert(
      fc.property(fc.array(event, { maxLength: 8 }), (events) => {
        const encoder = new EventEncoder(200_000, (e) => encoding.value(e));
        for (const e of events) {
          encoder.add(e);
          if (e.op === 'd') encoder.addTombstone(e.key.id);
        }
        const messages = encoder.finish().chunks.flatMap((chunk) => chunkMessages(chunk, encoding.key));
        const expected = events.flatMap((e) => [
          { key: encoding.keyOf(e.key.id), value: encoding.value(e) },
          ...(e.op === 'd' ? [{ key: encoding.keyOf(e.key.id), value: null }] : []),
        ]);
        expect(messages.map((m) => ({ key: m.key, value: m.value?.toString('utf8') ?? null }))).toEqual(expected);
      }),
      { numRuns: 50 },
    );
  });
});
