import type { WalSourceConfig, WalTableConfig } from '../../runtime/config.js';
import { formatLsn, parseLsn } from '../../replication/lsn.js';
import type { WalTransaction } from '../../replication/stream.js';
import { rowIncoming } from './rowMapping.js';
import type { Incoming } from '../../contract.js';

/**
 * Pure: committed source transactions to unifier batches. Every row of a
 * transaction is positioned at the transaction's commit LSN, so a batch holds
 * whole transactions: the stored position (`wal:<slot>`, commit LSN + 1)
 * then means "every transaction committed before it is applied", and a
 * transaction the slot sends again after a restart is skipped whole.
 */

export interface TransactionItems {
  items: Incoming[];
  /** Deleted rows: counted, not applied (a source row vanishing does not delete a unified customer). */
  deletes: number;
  /** Tables truncated in the transaction (nothing to apply either). */
  truncated: string[];
}

export function tablesByName(source: WalSourceConfig): Map<string, WalTableConfig> {
  return new Map(source.tables.map((t) => [t.table, t]));
}

export function transactionItems(tx: WalTransaction, source: WalSourceConfig, tables: ReadonlyMap<string, WalTableConfig>): TransactionItems {
  const lsn = formatLsn(parseLsn(tx.commitLsn));
  const position = { kind: 'wal', slot: source.slotName, lsn } as const;
  const out: TransactionItems = { items: [], deletes: 0, truncated: tx.truncated.map((t) => `${t.schema}.${t.table}`) };
  tx.changes.forEach((change, index) => {
    const table = tables.get(`${change.schema}.${change.table}`);
    if (!table) return;
    if (change.op === 'delete' || !change.after) {
      out.deletes += 1;
      return;
    }
    out.items.push(rowIncoming(change.after, table, { platform: source.name, position, eventId: `${source.slotName}@${lsn}:${index}`, commitTime: tx.commitTime }));
  });
  return out;
}
