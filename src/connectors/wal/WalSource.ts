import pg from 'pg';
import type { Config, WalSourceConfig, WalTableConfig } from '../../runtime/config.js';
import { CustsyncError } from '../../runtime/errors.js';
import type { Logger } from '../../runtime/logger.js';
import type { Metrics } from '../../runtime/metrics.js';
import { checkLogicalReplication, ensurePublication, readSlot, type SlotInfo } from '../../replication/slots.js';
import type { RecordSink } from '../../contract.js';
import { SourceConnector } from '../Connector.js';
import { advisoryLockKeys } from '../../replication/advisoryLeader.js';
import { leadTerms } from '../../replication/leaderTerms.js';
import { rowIncoming } from './rowMapping.js';
import { createSlotWithSnapshot } from './initialSnapshot.js';
import { checkSourceTables, dropLeftoverSlot, tableRef } from './sourceDatabase.js';
import { streams, walAdvance, type PositionStore } from '../../unifier/PositionStore.js';
import { tablesByName } from './transactions.js';
import { streamTransactions } from './streamTransactions.js';

const STANDBY_POLL_MS = 5_000;
/** 'CSWS': WAL-source locks (one reader per source across instances); the change publisher uses its own namespace. */
const WAL_SOURCE_LOCK_NAMESPACE = 0x43535753;

/**
 * Reads configured tables of another Postgres database by logical
 * replication: an initial snapshot consistent with the slot's start, then
 * the slot's stream, each batch applied by the unifier with the source
 * position (`wal:<slot>`) in the same transaction and acknowledged to the
 * slot only after it committed. One instance reads a source at a time
 * (advisory lock); the others wait as standbys.
 */
export class WalSource extends SourceConnector {
  readonly name: string;
  readonly tables: ReadonlyMap<string, WalTableConfig>;
  private problem: Error | null = null;

  constructor(
    readonly source: WalSourceConfig,
    /** Position in `walSources`, to name config keys in errors. */
    private readonly index: number,
    private readonly config: Config,
    private readonly positions: PositionStore,
    unifier: RecordSink,
    private readonly metrics: Metrics,
    logger: Logger,
  ) {
    super(unifier, logger);
    this.name = `wal-source:${source.name}`;
    this.tables = tablesByName(source);
  }

  /** Readiness: fails while the source cannot be read (a standby is ready). */
  protected override async readiness(): Promise<void> {
    if (this.problem) throw this.problem;
  }

  /** Nothing to do up front (no `prepare`): the loop connects, so an unreachable source does not hold up start-up. */
  protected async run(signal: AbortSignal): Promise<void> {
    await leadTerms(
      {
        what: 'WAL source',
        databaseUrl: this.config.database.url,
        keys: advisoryLockKeys(WAL_SOURCE_LOCK_NAMESPACE, this.source.slotName),
        applicationName: `custsync-wal-source:${this.source.slotName}`,
        pollMs: STANDBY_POLL_MS,
        logger: this.logger,
        standbyMessage: 'standby: another instance reads this WAL source',
        onFailure: (error) => {
          this.problem = error;
        },
      },
      signal,
      (leadership, termSignal, healthy) => this.lead(termSignal, leadership.lost, healthy),
    );
  }

  /** As the instance holding the lock: check the source, snapshot if needed, then stream until stopped. */
  private async lead(signal: AbortSignal, lockLost: Promise<Error>, healthy: () => void): Promise<void> {
    const { source } = this;
    const db = new pg.Client({ connectionString: source.databaseUrl, application_name: `custsync-${this.name}`, connectionTimeoutMillis: 5_000 });
    const dbLost = new Promise<Error>((resolve) => db.on('error', resolve));
    const lost = Promise.race([lockLost, dbLost]);
    let lostWith: Error | undefined;
    void lost.then((err) => (lostWith = err));
    await db.connect();
    try {
      await checkLogicalReplication(db, `(WAL source ${source.name})`);
      await checkSourceTables(db, source, this.index);
      const added = await ensurePublication(db, source.publicationName, source.tables.map((t) => tableRef(t.table)));
      const stored = await this.storedPosition();
      let slot = await this.checkedSlot(db);
      if (stored === undefined) {
        if (slot) {
          this.logger.warn({ slot: source.slotName }, 'dropping the slot of an interrupted initial snapshot; taking the snapshot again');
          await dropLeftoverSlot(db, source.slotName);
        }
        if (!(await this.snapshot(signal, () => lostWith))) return;
        slot = await this.checkedSlot(db);
      } else if (added.length > 0) {
        this.logger.warn(
          { tables: added.map((t) => `${t.schema}.${t.table}`) },
          'tables added to the publication after the initial snapshot: their existing rows are not read (reset the source to snapshot again)',
        );
      }
      if (!slot) throw this.slotLost();
      await streamTransactions({
        source,
        tables: this.tables,
        startLsn: slot.confirmedFlushLsn ?? '0/0',
        batchSize: this.config.unifier.batchSize,
        lingerMs: this.config.unifier.lingerMs,
        db,
        lost,
        metrics: this.metrics,
        logger: this.logger,
        deliver: (batch, acknowledge) => this.deliver(batch, acknowledge, {}),
        signal,
        onStreaming: () => {
          this.problem = null;
          healthy();
        },
      });
    } finally {
      await db.end().catch(() => undefined);
    }
  }

  private async storedPosition(): Promise<bigint | undefined> {
    return this.positions.next(streams.wal(this.source.slotName));
  }

  private async checkedSlot(db: pg.Client): Promise<SlotInfo | null> {
    const slot = await readSlot(db, this.source.slotName);
    if (!slot) return null;
    if (!slot.inThisDatabase || slot.plugin !== 'pgoutput') {
      throw new CustsyncError(
        'CUSTSYNC_CONFIG_INVALID',
        `walSources[${this.index}].slotName: slot "${slot.name}" already exists ${slot.inThisDatabase ? `with plugin ${slot.plugin ?? '(physical)'}` : `in database ${slot.database ?? '(physical)'}`}; slot names are cluster-wide`,
      );
    }
    if (slot.walStatus === 'lost') throw this.slotLost('was invalidated by Postgres (wal_status lost)');
    return slot;
  }

  private slotLost(why = 'no longer exists'): CustsyncError {
    const stream = streams.wal(this.source.slotName);
    return new CustsyncError(
      'CUSTSYNC_SLOT_LOST',
      `replication slot "${this.source.slotName}" of WAL source ${this.source.name} ${why}: changes since the last applied position can no longer be read. ` +
        `To take a new initial snapshot (unchanged values write no audit rows), run on custsync's database: DELETE FROM custsync.source_positions WHERE stream = '${stream}'; then restart custsync`,
    );
  }

  /**
   * Reads the tables as of the new slot's consistent point. The rows share
   * that one LSN, so they cannot be positioned at it batch by batch (the
   * first batch would mark the rest applied): they are positioned like the
   * lines of an import, and one last batch stores `wal:<slot>` = consistent
   * point + 1, which marks the snapshot complete. A crash before that drops
   * the slot and snapshots again (see docs/import-and-wal-sources.md).
   * Returns false when stopped before the end.
   */
  private async snapshot(signal: AbortSignal, lost: () => Error | undefined): Promise<boolean> {
    const { source } = this;
    const snap = await createSlotWithSnapshot(source.databaseUrl, source.slotName, source.tables, this.config.unifier.batchSize);
    const progress = streams.walSnapshotSource(source.slotName, snap.consistentPoint);
    this.logger.info({ slot: source.slotName, consistentPoint: snap.consistentPoint }, 'initial snapshot: reading the tables');
    let row = 0;
    try {
      for await (const chunk of snap.chunks) {
        if (signal.aborted) return false;
        const lostWith = lost();
        if (lostWith) throw new CustsyncError('CUSTSYNC_DB_UNAVAILABLE', `lost a connection during the initial snapshot: ${lostWith.message}`);
        const items = chunk.rows.map((r) => {
          row += 1;
          return rowIncoming(r, chunk.table, { platform: source.name, position: { kind: 'import', source: progress, line: row }, eventId: `${progress}:${row}`, commitTime: snap.takenAt });
        });
        this.metrics.messagesConsumed.inc({ platform: source.name }, items.length);
        await this.deliver({ items, advance: [{ stream: streams.import(progress), partition: 0, next: BigInt(row) + 1n }] }, async () => undefined, {});
      }
      if (signal.aborted) return false;
      await this.deliver({ items: [], advance: [walAdvance(source.slotName, snap.consistentPoint)] }, async () => undefined, {});
    } finally {
      await snap.close();
    }
    await this.positions.forgetStreamsStartingWith(streams.import(streams.walSnapshotSource(source.slotName, '')));
    this.logger.info({ slot: source.slotName, rows: row }, 'initial snapshot applied; streaming from the slot');
    return true;
  }
}
