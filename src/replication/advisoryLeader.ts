import pg from 'pg';
import type { Logger } from '../runtime/logger.js';
import { sleep } from '../runtime/sleep.js';

/**
 * One active instance per job (a slot's change publisher, a WAL source)
 * across custsync instances: the leader holds a session-level advisory lock
 * on a dedicated connection for as long as it works. When its process dies
 * the session ends, Postgres releases the lock, and a standby polling every
 * `pollMs` takes over. The leader-term loop (leaderTerms.ts) drives it.
 */

/** The two int4 keys of a job's lock: a namespace per kind of job and a 31-bit FNV-1a hash of its name. */
export function advisoryLockKeys(namespace: number, name: string): [number, number] {
  let hash = 0x811c9dc5;
  for (const char of name) {
    hash ^= char.codePointAt(0) ?? 0;
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return [namespace, hash & 0x7fffffff];
}

export interface AdvisoryLeaderOptions {
  databaseUrl: string;
  keys: [number, number];
  /** Shown in pg_stat_activity, so `custsync status` can name the leader. */
  applicationName: string;
  pollMs: number;
  logger: Logger;
  /** Logged once when another instance is found holding the lock. */
  standbyMessage: string;
  /** Extra fields for that log line (who leads), looked up on the polling connection. */
  describeLeader?: (client: pg.Client) => Promise<Record<string, unknown>>;
  /** Called on every poll that finds another instance leading. */
  onStandby?: () => void;
}

export interface Leadership {
  /** The session holding the lock (the publisher runs its heartbeats on it). */
  client: pg.Client;
  /** Resolves when the session dies: leadership is gone from then on. */
  lost: Promise<Error>;
  release(): Promise<void>;
}

/**
 * Polls for the lock until it is granted, or resolves null when `signal`
 * aborts. A connection or query failure rejects (the connection closed): the
 * caller's retry decides when to try again.
 */
export async function waitForLeadership(options: AdvisoryLeaderOptions, signal: AbortSignal, announce: { standby: boolean } = { standby: false }): Promise<Leadership | null> {
  if (signal.aborted) return null;
  const client = new pg.Client({
    connectionString: options.databaseUrl,
    application_name: options.applicationName,
    keepAlive: true,
    connectionTimeoutMillis: 5_000,
  });
  const lost = new Promise<Error>((resolve) => {
    client.on('error', (err) => resolve(err));
    client.on('end', () => resolve(new Error(`the leadership connection of ${options.applicationName} closed`)));
  });
  try {
    await client.connect();
    while (!signal.aborted) {
      const { rows } = await client.query<{ locked: boolean }>('SELECT pg_try_advisory_lock($1, $2) AS locked', options.keys);
      if (rows[0]?.locked) return { client, lost, release: () => client.end().catch(() => undefined) };
      options.onStandby?.();
      if (!announce.standby) {
        announce.standby = true;
        const leader = (await options.describeLeader?.(client).catch(() => ({}))) ?? {};
        options.logger.info(leader, options.standbyMessage);
      }
      await sleep(options.pollMs, signal);
    }
  } catch (err) {
    await client.end().catch(() => undefined);
    throw err;
  }
  await client.end().catch(() => undefined);
  return null;
}
