import pg from 'pg';
import { toCustsyncError } from '../../runtime/errors.js';
import type { Logger } from '../../runtime/logger.js';
import type { Queryable } from '../../runtime/replication/slots.js';
import { sleep } from '../../runtime/sleep.js';

/**
 * One publisher per slot across instances: the leader holds a session-level
 * advisory lock on a dedicated connection for as long as it publishes. When
 * its process dies the session ends, Postgres releases the lock, and a
 * standby polling every `pollMs` takes over.
 */

/** 'CSYC': the first advisory-lock key of every publisher lock. */
const LOCK_NAMESPACE = 0x43535943;

/** The two int4 keys of a slot's publisher lock (the second a 31-bit FNV-1a hash of the slot name). */
export function publisherLockKeys(slotName: string): [number, number] {
  let hash = 0x811c9dc5;
  for (const char of slotName) {
    hash ^= char.codePointAt(0) ?? 0;
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return [LOCK_NAMESPACE, hash & 0x7fffffff];
}

export interface LeadershipOptions {
  databaseUrl: string;
  slotName: string;
  /** Shown in pg_stat_activity, so `custsync status` can name the leader. */
  applicationName: string;
  pollMs: number;
  logger: Logger;
  /** Called when another instance is found holding the lock. */
  onStandby?: () => void;
}

export interface Leadership {
  /** The session holding the lock; the leader also runs its heartbeats on it. */
  client: pg.Client;
  /** Resolves when the session dies: leadership is gone from then on. */
  lost: Promise<Error>;
  release(): Promise<void>;
}

export interface PublisherHolder {
  pid: number;
  applicationName: string;
  clientAddr: string | null;
  since: Date | null;
}

/** The session holding a slot's publisher lock, if any. */
export async function publisherHolder(db: Queryable, slotName: string): Promise<PublisherHolder | null> {
  const [a, b] = publisherLockKeys(slotName);
  const { rows } = await db.query<{ pid: number; application_name: string; client_addr: string | null; backend_start: Date | null }>(
    `SELECT a.pid, a.application_name, a.client_addr::text, a.backend_start
       FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid
      WHERE l.locktype = 'advisory' AND l.granted AND l.classid = $1::oid AND l.objid = $2::oid AND l.objsubid = 2
        AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())`,
    [a, b],
  );
  const row = rows[0];
  return row ? { pid: row.pid, applicationName: row.application_name, clientAddr: row.client_addr, since: row.backend_start } : null;
}

/**
 * Polls for the lock until it is granted (resolves with the leadership) or
 * `signal` aborts (resolves null). Connection failures are retried.
 */
export async function acquireLeadership(options: LeadershipOptions, signal: AbortSignal): Promise<Leadership | null> {
  const keys = publisherLockKeys(options.slotName);
  let announced = false;
  let failures = 0;
  while (!signal.aborted) {
    const client = new pg.Client({
      connectionString: options.databaseUrl,
      application_name: options.applicationName,
      keepAlive: true,
      connectionTimeoutMillis: 5_000,
    });
    const lost = new Promise<Error>((resolve) => {
      client.on('error', (err) => resolve(err));
      client.on('end', () => resolve(new Error('the leadership connection closed')));
    });
    try {
      await client.connect();
      failures = 0;
      while (!signal.aborted) {
        const { rows } = await client.query<{ locked: boolean }>('SELECT pg_try_advisory_lock($1, $2) AS locked', keys);
        if (rows[0]?.locked) {
          return { client, lost, release: () => client.end().catch(() => undefined) };
        }
        options.onStandby?.();
        if (!announced) {
          announced = true;
          const holder = await publisherHolder(client, options.slotName).catch(() => null);
          options.logger.info({ slot: options.slotName, leader: holder?.applicationName, leaderPid: holder?.pid }, 'standby: another instance publishes change events');
        }
        await sleep(options.pollMs, signal);
      }
    } catch (err) {
      failures += 1;
      options.logger.warn({ err: toCustsyncError(err).message, attempt: failures }, 'leadership polling failed; retrying');
      await sleep(Math.min(500 * 2 ** (failures - 1), 10_000), signal);
    }
    await client.end().catch(() => undefined);
  }
  return null;
}
