import { describe, expect, it } from 'vitest';
import { assembleEvents } from '../../../../src/audit/publisher/assemble.js';
import { ChangeEvent } from '../../../../src/audit/publisher/ChangeEvent.js';
import { digestTransaction } from '../../../../src/audit/publisher/digest.js';
import { parseSnapshotMessage, SNAPSHOT_PREFIX } from '../../../../src/audit/publisher/snapshotMessage.js';
import type { WalMessage } from '../../../../src/replication/stream.js';
import { addressRow, customerRow, ISO0, T0, transaction, update } from './fixtures.js';

const context = { database: 'custsync', slot: 'custsync_changes', now: 1_709_380_000_000 };
const noLookups = { address: () => undefined, owners: () => [] };

/** A snapshot message as `custsync snapshot` writes it: ids as numbers, the rest as Postgres' text. */
function snapshotMessage(rows: unknown, prefix = SNAPSHOT_PREFIX): WalMessage {
  return { lsn: '0/16B3700', prefix, content: Buffer.from(typeof rows === 'string' ? rows : JSON.stringify(rows)) };
}

const ana = { id: 7, email: 'ana@example.com', name: 'Ana', customer_id: 'HP-1', phone_local_code: null, phone_number: null, document_type: null, document_number: null, address_id: 70, created_at: T0, updated_at: T0 };
const home = { id: 70, address: 'Rua Augusta', number: '20', complement: null, neighborhood: null, city: 'São Paulo', state: 'SP', zip_code: '01305-000', country: 'BR', ip: null, created_at: T0, updated_at: T0 };

describe('snapshot messages', () => {
  it('become op r events: no before, the whole customer with its main address after, no changes', () => {
    const rows = [{ customer: ana, address: home }, { customer: { ...ana, id: 8, email: 'bia@example.com', address_id: null }, address: null }];
    const events = assembleEvents(digestTransaction(transaction([], '0/16B3748', [snapshotMessage(rows)])), noLookups, context);
    for (const event of events) ChangeEvent.parse(event);
    expect(events.map((e) => [e.op, e.key.id, e.event_id])).toEqual([
      ['r', 7, '0/16B3748:7'],
      ['r', 8, '0/16B3748:8'],
    ]);
    expect(events[0]).toMatchObject({
      before: null,
      changes: [],
      changed_by: [],
      sources: [],
      pseudonymized: false,
      after: { id: 7, email: 'ana@example.com', created_at: ISO0, main_address: { id: 70, city: 'São Paulo', created_at: ISO0 } },
    });
    expect(events[1]?.after?.main_address).toBeNull();
  });

  it('the image equals the one a change event built from the WAL rows carries', () => {
    const fromSnapshot = assembleEvents(digestTransaction(transaction([], '0/1', [snapshotMessage([{ customer: ana, address: home }])])), noLookups, context)[0];
    const fromWal = assembleEvents(
      digestTransaction(transaction([update('customers', customerRow(7, { ...ana, name: 'Before' }), customerRow(7, ana)), update('addresses', addressRow(70, home), addressRow(70, home))])),
      noLookups,
      context,
    )[0];
    expect(fromSnapshot?.after).toEqual(fromWal?.after);
  });

  it('a customer the same transaction changed has its change event only', () => {
    const tx = transaction([update('customers', customerRow(7, { ...ana, name: 'Before' }), customerRow(7, ana))], '0/1', [snapshotMessage([{ customer: ana, address: home }])]);
    expect(assembleEvents(digestTransaction(tx), noLookups, context).map((e) => e.op)).toEqual(['u']);
  });

  it('other prefixes are not snapshots; unreadable ones are reported with the reason', () => {
    const other = digestTransaction(transaction([], '0/1', [snapshotMessage([{ customer: ana, address: null }], 'someone.else')]));
    expect(other.snapshot.size).toBe(0);
    expect(other.invalidSnapshots).toEqual([]);

    const broken = digestTransaction(transaction([], '0/1', [snapshotMessage('{not json'), snapshotMessage([{ customer: { ...ana, id: 'x' }, address: null }]), snapshotMessage({ customer: ana })]));
    expect(broken.snapshot.size).toBe(0);
    expect(broken.invalidSnapshots.map((i) => i.reason)).toEqual([expect.stringMatching(/^not JSON/), expect.stringMatching(/customers\.id is not an integer/), expect.stringMatching(/expected array/)]);
  });

  it('parses what it is given, nothing more', () => {
    expect(parseSnapshotMessage(snapshotMessage([]))).toEqual({ ok: true, rows: [] });
  });
});
