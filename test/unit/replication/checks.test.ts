import { describe, expect, it } from 'vitest';
import { checkLogicalReplication } from '../../../src/replication/publication.js';
import { checkSlot, type Queryable } from '../../../src/replication/slots.js';

/** A database answering each query with the rows of the first matching entry. */
function fakeDb(answers: [RegExp, Record<string, unknown>[]][]): Queryable {
  return {
    query: async (text: string) => {
      const rows = answers.find(([pattern]) => pattern.test(text))?.[1] ?? [];
      return { rows, command: 'SELECT', rowCount: rows.length, oid: 0, fields: [] } as never; // a QueryResult of whatever row type the caller asks for
    },
  };
}

const settings = (over: Record<string, unknown>) =>
  fakeDb([[/wal_level/, [{ wal_level: 'logical', max_slots: 10, can_replicate: true, database: 'custsync', user: 'app', ...over }]]]);

describe('checkLogicalReplication', () => {
  it('passes on a logical server with a REPLICATION role', async () => {
    await expect(checkLogicalReplication(settings({}))).resolves.toEqual({ database: 'custsync', user: 'app' });
  });

  it.each([
    [{ wal_level: 'replica' }, /wal_level is 'replica' on database custsync; .*set wal_level = logical in postgresql.conf and restart Postgres\)\. Or turn it off\./],
    [{ max_slots: 0 }, /max_replication_slots is 0/],
    [{ can_replicate: false }, /role app may not use replication slots \(ALTER ROLE "app" REPLICATION\)/],
  ])('fails clearly with CUSTSYNC_WAL_NOT_LOGICAL: %o', async (over, message) => {
    await expect(checkLogicalReplication(settings(over), 'Or turn it off.')).rejects.toMatchObject({ code: 'CUSTSYNC_WAL_NOT_LOGICAL', message: expect.stringMatching(message) });
  });
});

describe('checkSlot', () => {
  const slot = (over: Record<string, unknown>) => ({
    name: 's', plugin: 'pgoutput', database: 'custsync', here: true, active: false, active_pid: null, wal_status: 'reserved',
    restart_lsn: '0/1', confirmed_flush_lsn: '0/2', lag_bytes: '10', ...over,
  });

  it('returns null for a slot never created', async () => {
    await expect(checkSlot(fakeDb([]), 's')).resolves.toBeNull();
  });

  it('reports a slot custsync created that is gone', async () => {
    const db = fakeDb([[/custsync.replication_slots/, [{ created_at: new Date('2024-03-01T00:00:00Z') }]]]);
    await expect(checkSlot(db, 's')).rejects.toMatchObject({ code: 'CUSTSYNC_SLOT_LOST', message: expect.stringMatching(/created on 2024-03-01.*no longer exists/) });
  });

  it('reports a slot Postgres invalidated', async () => {
    const db = fakeDb([[/pg_replication_slots/, [slot({ wal_status: 'lost' })]]]);
    await expect(checkSlot(db, 's')).rejects.toMatchObject({ code: 'CUSTSYNC_SLOT_LOST', message: expect.stringMatching(/invalidated.*pg_drop_replication_slot\('s'\)/) });
  });

  it("refuses another database's slot of the same name", async () => {
    const db = fakeDb([[/pg_replication_slots/, [slot({ here: false, database: 'other' })]]]);
    await expect(checkSlot(db, 's')).rejects.toMatchObject({ code: 'CUSTSYNC_CONFIG_INVALID', message: expect.stringMatching(/belongs to database other/) });
  });

  it('returns the state of a healthy slot', async () => {
    const db = fakeDb([[/pg_replication_slots/, [slot({})]]]);
    await expect(checkSlot(db, 's')).resolves.toMatchObject({ name: 's', confirmedFlushLsn: '0/2', lagBytes: 10, walStatus: 'reserved' });
  });
});
