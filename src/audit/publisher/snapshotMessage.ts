import { z } from 'zod';
import type { WalMessage } from '../../replication/stream.js';
import { addressRow, customerRow, type AddressRow, type CustomerRow } from './rows.js';

/*
 * Snapshots (`custsync snapshot`) travel through the WAL: each batch of
 * customers is read, locked, and written as one transactional logical message
 * in the same transaction, so the publisher meets it in commit order, between
 * the changes committed before it and those after it. Its rows are therefore
 * exactly the state at that point of the stream, and a consumer applying
 * events in LSN order ends with the current state whatever it saw before.
 */

/** Prefix of the logical messages carrying snapshot batches. */
export const SNAPSHOT_PREFIX = 'custsync.snapshot';

const Value = z.union([z.string(), z.number()]).nullable();
const Row = z.record(z.string(), Value);

/** One message's content: the customers of the batch with their main addresses, columns as Postgres' text (timestamps UTC). */
const SnapshotBatch = z.array(z.object({ customer: Row, address: Row.nullable() }));

export interface SnapshotRow {
  customer: CustomerRow;
  address: AddressRow | null;
}

export type SnapshotParse = { ok: true; rows: SnapshotRow[] } | { ok: false; message: string };

/** Pure: the customers a snapshot message carries; anything else under the prefix is refused with the reason. */
export function parseSnapshotMessage(message: WalMessage): SnapshotParse {
  let json: unknown;
  try {
    json = JSON.parse(message.content.toString('utf8'));
  } catch (err) {
    return { ok: false, message: `not JSON: ${(err as Error).message}` };
  }
  const batch = SnapshotBatch.safeParse(json);
  if (!batch.success) return { ok: false, message: batch.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ') };
  try {
    return { ok: true, rows: batch.data.map(({ customer, address }) => ({ customer: customerRow(customer), address: address ? addressRow(address) : null })) };
  } catch (err) {
    return { ok: false, message: (err as Error).message };
  }
}
