import { describe, expect, it } from 'vitest';
import { WalSourceConfig } from '../../../../src/runtime/config.js';
import type { WalChange, WalTransaction } from '../../../../src/replication/stream.js';
import { walAdvance } from '../../../../src/unifier/PositionStore.js';
import { tablesByName, transactionItems } from '../../../../src/connectors/wal/transactions.js';

const source = WalSourceConfig.parse({
  name: 'legacy-app',
  priority: 45,
  databaseUrl: 'postgres://x@h/legacy',
  tables: [{ table: 'public.users', columns: { email: 'email', name: 'full_name' } }],
});

function tx(commitLsn: string, changes: Partial<WalChange>[]): WalTransaction {
  return {
    xid: 1,
    commitLsn,
    endLsn: commitLsn,
    commitTime: new Date('2024-06-01T00:00:00Z'),
    changes: changes.map((c) => ({ op: 'insert', schema: 'public', table: 'users', before: null, after: null, ...c })),
    truncated: [],
    messages: [],
  };
}

describe('WAL transactions to unifier batches', () => {
  it('derives slot and publication names from the source name', () => {
    expect(source.slotName).toBe('custsync_legacy_app');
    expect(source.publicationName).toBe('custsync_legacy_app');
  });

  it('positions every row of a transaction at its commit LSN and counts deletes instead of applying them', () => {
    const mapped = transactionItems(
      tx('00000000/016B3748', [
        { op: 'insert', after: { email: 'a@x.com', full_name: 'A' } },
        { op: 'update', after: { email: 'b@x.com', full_name: 'B' }, before: { id: 2 } },
        { op: 'delete', before: { id: 3 } },
        { op: 'insert', table: 'orders', after: { email: 'c@x.com' } },
      ]),
      source,
      tablesByName(source),
    );
    expect(mapped.deletes).toBe(1);
    expect(mapped.items).toHaveLength(2);
    expect(mapped.items.map((i) => (i.kind === 'record' ? [i.record.email, i.record.platform, i.record.position, i.record.eventId] : i.kind))).toEqual([
      ['a@x.com', 'legacy-app', { kind: 'wal', slot: 'custsync_legacy_app', lsn: '0/16B3748' }, 'custsync_legacy_app@0/16B3748:0'],
      ['b@x.com', 'legacy-app', { kind: 'wal', slot: 'custsync_legacy_app', lsn: '0/16B3748' }, 'custsync_legacy_app@0/16B3748:1'],
    ]);
  });

  it('advances the slot stream past the commit LSN', () => {
    expect(walAdvance('s', '0/10')).toEqual({ stream: 'wal:s', partition: 0, next: 17n });
  });
});
