import { describe, expect, it } from 'vitest';
import { WalTableConfig } from '../../../../src/runtime/config.js';
import { cellText, mappedColumns, rowEventTime, rowIncoming, rowJson } from '../../../../src/connectors/wal/rowMapping.js';

const table = WalTableConfig.parse({
  table: 'users',
  columns: { email: 'email', name: 'full_name', phone_number: 'phone', document_number: 'cpf', city: 'city', customer_id: 'id' },
  eventTime: 'updated_at',
});
const commitTime = new Date('2024-06-01T12:00:00Z');
const ctx = { platform: 'legacy_app', position: { kind: 'wal', slot: 's', lsn: '0/16B3748' } as const, eventId: 's@0/16B3748:0', commitTime };

describe('WAL row mapping', () => {
  it('qualifies a bare table name with public and lists the mapped columns once', () => {
    expect(table.table).toBe('public.users');
    expect(mappedColumns(table)).toEqual(['email', 'full_name', 'id', 'phone', 'cpf', 'city', 'updated_at']);
  });

  it('maps configured columns to customer and address fields, as text', () => {
    const row = { id: 42, email: 'Ana@Example.com', full_name: 'Ana', phone: null, cpf: '52998224725', city: 'Recife', updated_at: new Date('2024-05-01T00:00:00Z'), password: 'x' };
    expect(rowIncoming(row, table, ctx)).toMatchObject({
      kind: 'record',
      record: {
        platform: 'legacy_app',
        position: ctx.position,
        eventId: ctx.eventId,
        eventTime: new Date('2024-05-01T00:00:00Z'),
        email: 'Ana@Example.com',
        customer: { name: 'Ana', customer_id: '42', phone_number: null, document_number: '52998224725' },
        address: { city: 'Recife' },
      },
    });
  });

  it('leaves a column the stream did not carry (unchanged TOAST) alone, and keeps unmapped columns out of dead letters', () => {
    const row = { id: 1, email: null, full_name: undefined, password: 'secret' };
    const item = rowIncoming(row, table, ctx);
    expect(item.kind).toBe('record');
    if (item.kind !== 'record') return;
    expect(item.record.customer).not.toHaveProperty('name');
    expect(item.record.email).toBe('');
    expect(item.origin.value?.toString()).toBe('{"email":null,"id":1}');
    expect(item.origin.headers).toEqual({ 'custsync.source.table': 'public.users' });
  });

  it('reads cells of common types as text', () => {
    expect(cellText('a')).toBe('a');
    expect(cellText(12)).toBe('12');
    expect(cellText(12n)).toBe('12');
    expect(cellText(true)).toBe('true');
    expect(cellText(new Date('2024-01-01T00:00:00Z'))).toBe('2024-01-01T00:00:00.000Z');
    expect(cellText({ a: 1 })).toBe('{"a":1}');
    expect(cellText(null)).toBeNull();
    expect(cellText(undefined)).toBeUndefined();
    expect(cellText(Buffer.from('x'))).toBeUndefined();
    expect(rowJson({ email: 'a', id: 10n }, table)).toBe('{"email":"a","id":"10"}');
  });

  it('takes the event time from the configured column, else the commit time', () => {
    expect(rowEventTime({ updated_at: '2024-02-01T00:00:00-03:00' }, table, commitTime)).toEqual(new Date('2024-02-01T03:00:00Z'));
    expect(rowEventTime({ updated_at: 'garbage' }, table, commitTime)).toBe(commitTime);
    expect(rowEventTime({ updated_at: null }, table, commitTime)).toBe(commitTime);
    expect(rowEventTime({ updated_at: new Date('2024-02-01T00:00:00Z') }, { ...table, eventTime: undefined }, commitTime)).toBe(commitTime);
  });
});
