import pg from 'pg';
import type { WalTableConfig } from '../../runtime/config.js';
import { CustsyncError } from '../../runtime/errors.js';
import { normalizeLsn } from '../../replication/lsn.js';
import type { WalRow } from '../../replication/stream.js';
import { mappedColumns } from './rowMapping.js';
import { quoteIdent, quoteTable } from './sourceDatabase.js';

/**
 * The initial snapshot: the slot is created with an exported snapshot, and
 * the tables are read in a REPEATABLE READ transaction that imports it. The
 * rows read are exactly the state as of the slot's consistent point, and the
 * slot streams exactly the transactions committed after it: nothing is
 * missed and nothing is read twice.
 */

export interface SnapshotChunk {
  table: WalTableConfig;
  rows: WalRow[];
}

export interface SlotSnapshot {
  /** LSN from which the slot streams; every change before it is in the snapshot. */
  consistentPoint: string;
  /** When the snapshot was taken: the event time of snapshot rows without an event-time column. */
  takenAt: Date;
  /** The tables' rows in chunks, as of the consistent point. */
  chunks: AsyncGenerator<SnapshotChunk>;
  /** Ends the read transaction and the replication connection (the slot stays). */
  close(): Promise<void>;
}

const SNAPSHOT_NAME = /^[0-9A-Fa-f-]+$/;

/**
 * Creates the slot with `EXPORT_SNAPSHOT` over a replication connection and
 * opens the transaction that reads the tables from it. The replication
 * connection stays open and idle until `close()`, as the exported snapshot
 * requires.
 */
export async function createSlotWithSnapshot(connectionString: string, slotName: string, tables: readonly WalTableConfig[], chunkSize: number): Promise<SlotSnapshot> {
  // @types/pg does not declare `replication`; pg passes it to the server as a startup parameter.
  const replication = new pg.Client({ connectionString, application_name: 'custsync-wal-snapshot', replication: 'database' } as pg.ClientConfig);
  const reader = new pg.Client({ connectionString, application_name: 'custsync-wal-snapshot' });
  // Errors surface on the next query; an 'error' event without a listener would crash the process.
  replication.on('error', () => undefined);
  reader.on('error', () => undefined);
  const close = async () => {
    await reader.end().catch(() => undefined);
    await replication.end().catch(() => undefined);
  };
  try {
    await replication.connect();
    const created = await replication.query<{ consistent_point: string; snapshot_name: string }>(
      `CREATE_REPLICATION_SLOT ${quoteIdent(slotName)} LOGICAL pgoutput EXPORT_SNAPSHOT`,
    );
    const row = created.rows[0];
    if (!row || !SNAPSHOT_NAME.test(row.snapshot_name)) throw new CustsyncError('CUSTSYNC_INTERNAL', 'CREATE_REPLICATION_SLOT returned no snapshot');
    await reader.connect();
    await reader.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
    await reader.query(`SET TRANSACTION SNAPSHOT '${row.snapshot_name}'`);
    const { rows } = await reader.query<{ now: Date }>('SELECT now()');
    return { consistentPoint: normalizeLsn(row.consistent_point), takenAt: rows[0]?.now ?? new Date(), chunks: readChunks(reader, tables, chunkSize), close };
  } catch (err) {
    await close();
    throw err;
  }
}

async function* readChunks(reader: pg.Client, tables: readonly WalTableConfig[], chunkSize: number): AsyncGenerator<SnapshotChunk> {
  for (const table of tables) {
    const columns = mappedColumns(table).map(quoteIdent).join(', ');
    await reader.query(`DECLARE custsync_snapshot NO SCROLL CURSOR FOR SELECT ${columns} FROM ${quoteTable(table.table)}`);
    for (;;) {
      const { rows } = await reader.query<WalRow>(`FETCH FORWARD ${chunkSize} FROM custsync_snapshot`);
      if (rows.length === 0) break;
      yield { table, rows };
    }
    await reader.query('CLOSE custsync_snapshot');
  }
  await reader.query('COMMIT');
}
