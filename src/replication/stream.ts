import type pg from 'pg';
import { LogicalReplicationService } from 'pg-logical-replication';
import { CustsyncError, toCustsyncError } from '../runtime/errors.js';
import type { Logger } from '../runtime/logger.js';
import { formatLsn, parseLsn } from './lsn.js';
import { PgoutputDecoderPlugin, type PgoutputMessage, type ValueMode } from './pgoutput.js';
import type { ReplicationHandlers, WalTransaction } from './types.js';

export type { ReplicationHandlers, WalChange, WalMessage, WalRow, WalTransaction } from './types.js';

export interface ReplicationStreamOptions {
  /** A normal connection string or config; the stream opens its own replication connection. */
  connection: pg.ClientConfig;
  slotName: string;
  publicationNames: string[];
  /** The slot's confirmed_flush_lsn read before starting: status updates never go below it. */
  startLsn: string;
  /** Also deliver logical messages: non-transactional ones (heartbeats) to onMessage, transactional ones in their transaction. */
  messages?: boolean;
  /** 'parsed' (default) or 'text': see WalRow. */
  values?: ValueMode;
  /** How often a status update is sent even without progress (must be well under wal_sender_timeout). */
  statusIntervalMs?: number;
  logger: Logger;
}

/** What START_REPLICATION failures mean; anything else goes through toCustsyncError. */
function classifyStreamError(err: unknown, slotName: string): CustsyncError {
  const code = (err as { code?: string }).code;
  const message = err instanceof Error ? err.message : String(err);
  if (code === '42704' || /can no longer get changes|has been invalidated/i.test(message)) {
    return new CustsyncError('CUSTSYNC_SLOT_LOST', `replication slot "${slotName}" cannot be streamed: ${message}`, { cause: err });
  }
  if (code === '55006') {
    // "replication slot is active for PID n": the previous holder's walsender has not exited yet.
    return new CustsyncError('CUSTSYNC_DB_CONFLICT', message, { cause: err });
  }
  return toCustsyncError(err);
}

/**
 * A pgoutput stream from one slot with explicit acknowledgement: the slot's
 * confirmed position moves only when the consumer calls `acknowledge(lsn)`
 * (after making the transactions up to `lsn` durable elsewhere), or, while
 * nothing delivered is unacknowledged, to the position the server reports in
 * keepalives and heartbeats: so an idle or filtered stream still frees WAL.
 *
 * pg-logical-replication does the protocol; its automatic acknowledgement
 * and its timer are off, because both confirm positions the consumer has not
 * made durable yet.
 */
export class ReplicationStream {
  private readonly service: LogicalReplicationService;
  private readonly logger: Logger;
  private readonly statusIntervalMs: number;
  private building: WalTransaction | null = null;
  private delivered: bigint;
  private confirmed: bigint;
  private sentStatus = 0n;
  private statusTimer: NodeJS.Timeout | undefined;
  private paused = false;
  private stopped = false;
  private fail: (err: unknown) => void = () => undefined;
  /** Settles when the stream ends: resolves after `stop()`, rejects on any error. */
  readonly done: Promise<void>;
  private finish: () => void = () => undefined;

  constructor(
    private readonly options: ReplicationStreamOptions,
    private readonly handlers: ReplicationHandlers,
  ) {
    this.logger = options.logger;
    this.statusIntervalMs = options.statusIntervalMs ?? 10_000;
    this.confirmed = parseLsn(options.startLsn);
    this.delivered = this.confirmed;
    const sessionOptions = [options.connection.options, '-c DateStyle=ISO -c TimeZone=UTC'].filter(Boolean).join(' ');
    this.service = new LogicalReplicationService({ ...options.connection, options: sessionOptions }, { acknowledge: { auto: false, timeoutSeconds: 0 } });
    this.done = new Promise<void>((resolve, reject) => {
      this.finish = resolve;
      this.fail = (err) => {
        if (this.stopped) return;
        this.stopped = true;
        void this.shutdown();
        reject(classifyStreamError(err, options.slotName));
      };
    });
    this.done.catch(() => undefined); // observed by the caller; never an unhandled rejection
  }

  /** The position the slot has been told is durable. */
  get confirmedLsn(): string {
    return formatLsn(this.confirmed);
  }

  /** Resolves once the server streams (START_REPLICATION accepted); rejects if it refuses. */
  async start(): Promise<void> {
    const plugin = new PgoutputDecoderPlugin({
      publicationNames: this.options.publicationNames,
      messages: this.options.messages ?? false,
      values: this.options.values ?? 'parsed',
    });
    const started = new Promise<void>((resolve) => this.service.once('start', () => resolve()));
    this.service.on('data', (lsn: string, message: PgoutputMessage) => {
      try {
        this.onData(lsn, message);
      } catch (err) {
        this.fail(err);
      }
    });
    this.service.on('heartbeat', (lsn: string, _timestamp: number, shouldRespond: boolean) => this.onKeepalive(lsn, shouldRespond));
    this.service.on('error', (err: Error) => this.fail(err));
    const streaming = this.service.subscribe(plugin, this.options.slotName, '0/0').then(
      () => {
        if (!this.stopped) this.fail(new CustsyncError('CUSTSYNC_DB_UNAVAILABLE', 'the replication stream ended'));
      },
      (err: unknown) => this.fail(err),
    );
    await Promise.race([started, this.done, streaming.then(() => this.done)]);
    this.statusTimer = setInterval(() => this.sendStatus(true), this.statusIntervalMs);
  }

  /**
   * Everything up to `lsn` (a transaction's `endLsn`, or any position already
   * delivered) is durable downstream: the slot may release the WAL before it.
   */
  acknowledge(lsn: string): void {
    const value = parseLsn(lsn);
    if (value > this.delivered) throw new CustsyncError('CUSTSYNC_INTERNAL', `acknowledged ${lsn} beyond what was delivered (${formatLsn(this.delivered)})`);
    if (value <= this.confirmed) return;
    this.confirmed = value;
    this.sendStatus(false);
  }

  /** Stops reading from the server (backpressure); status updates still go out. */
  pause(): void {
    if (this.paused) return;
    this.paused = true;
    this.socket()?.pause();
  }

  resume(): void {
    if (!this.paused) return;
    this.paused = false;
    this.socket()?.resume();
  }

  /** Sends the last confirmed position and closes the connection. Safe to call twice. */
  async stop(): Promise<void> {
    if (this.stopped) return this.done.catch(() => undefined);
    this.stopped = true;
    this.sendStatus(true);
    await this.shutdown();
    this.finish();
  }

  private async shutdown(): Promise<void> {
    clearInterval(this.statusTimer);
    await this.service.destroy().catch((err: unknown) => this.logger.debug({ err }, 'closing the replication connection failed'));
  }

  private get idle(): boolean {
    return this.building === null && this.confirmed >= this.delivered;
  }

  private onData(lsn: string, message: PgoutputMessage): void {
    switch (message.tag) {
      case 'begin':
        this.building = {
          xid: message.xid,
          commitLsn: formatLsn(message.finalLsn),
          endLsn: '',
          commitTime: new Date(Number(message.commitTime / 1000n)),
          changes: [],
          truncated: [],
          messages: [],
        };
        return;
      case 'insert':
        this.current(message.tag).changes.push({ op: 'insert', schema: message.relation.schema, table: message.relation.table, before: null, after: message.after });
        return;
      case 'update':
        this.current(message.tag).changes.push({ op: 'update', schema: message.relation.schema, table: message.relation.table, before: message.before, after: message.after });
        return;
      case 'delete':
        this.current(message.tag).changes.push({ op: 'delete', schema: message.relation.schema, table: message.relation.table, before: message.before, after: null });
        return;
      case 'truncate':
        this.current(message.tag).truncated.push(...message.relations.map((r) => ({ schema: r.schema, table: r.table })));
        return;
      case 'commit': {
        const tx = this.current(message.tag);
        this.building = null;
        // The XLogData position of a commit is its end LSN: what the slot must confirm.
        const end = parseLsn(lsn);
        tx.endLsn = formatLsn(end);
        if (end > this.delivered) this.delivered = end;
        this.handlers.onTransaction(tx);
        return;
      }
      case 'message': {
        if (message.transactional) {
          this.current(message.tag).messages.push({ lsn: formatLsn(message.lsn), prefix: message.prefix, content: message.content });
          return;
        }
        this.handlers.onMessage?.({ lsn: formatLsn(message.lsn), prefix: message.prefix, content: message.content });
        this.advanceIfIdle(message.lsn, false);
        return;
      }
      default:
        return; // relation (the decoder keeps it), type, origin
    }
  }

  private current(tag: string): WalTransaction {
    if (!this.building) throw new CustsyncError('CUSTSYNC_INTERNAL', `pgoutput sent ${tag} outside a transaction`);
    return this.building;
  }

  private onKeepalive(lsn: string, shouldRespond: boolean): void {
    this.advanceIfIdle(parseLsn(lsn), shouldRespond);
  }

  /**
   * The server has sent everything before `serverLsn`; when all of it is
   * acknowledged, nothing before it is pending and the slot may move there.
   */
  private advanceIfIdle(serverLsn: bigint, forceStatus: boolean): void {
    if (this.idle && serverLsn > this.confirmed) {
      this.confirmed = serverLsn;
      this.delivered = serverLsn;
    }
    this.sendStatus(forceStatus);
  }

  private sendStatus(force: boolean): void {
    if (this.confirmed === 0n || (!force && this.confirmed === this.sentStatus)) return;
    this.sentStatus = this.confirmed;
    // pg-logical-replication reports lsn + 1 as written/flushed; the slot must
    // confirm exactly the end of the last durable commit (one byte more could
    // skip a transaction whose commit record starts right there).
    void this.service.acknowledge(formatLsn(this.confirmed - 1n)).catch((err: unknown) => this.fail(err));
  }

  /** The replication socket, for backpressure (the library's own flow control does the same). */
  private socket(): { pause(): void; resume(): void } | undefined {
    // pg-logical-replication 2.5 keeps pg's Connection in a private field; its stream is a net.Socket.
    return (this.service as unknown as { _connection?: { stream?: { pause(): void; resume(): void } } })._connection?.stream;
  }
}
