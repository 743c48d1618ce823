import { advisoryLockKeys, type AdvisoryLeaderOptions } from '../../replication/advisoryLeader.js';
import type { Logger } from '../../runtime/logger.js';
import type { Queryable } from '../../replication/slots.js';

/** One change publisher per slot across instances (replication/advisoryLeader.ts), and who it is. */

/** 'CSYC': the first advisory-lock key of every publisher lock. */
const LOCK_NAMESPACE = 0x43535943;

/** The two int4 keys of a slot's publisher lock. */
export function publisherLockKeys(slotName: string): [number, number] {
  return advisoryLockKeys(LOCK_NAMESPACE, slotName);
}

export interface LeadershipOptions {
  databaseUrl: string;
  slotName: string;
  /** Shown in pg_stat_activity, so `custsync status` can name the leader. */
  applicationName: string;
  pollMs: number;
  logger: Logger;
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

/** The advisory-lock settings of a slot's publisher, for the leader-term loop (replication/leaderTerms.ts). */
export function publisherLeaderOptions(options: LeadershipOptions): AdvisoryLeaderOptions {
  return {
    databaseUrl: options.databaseUrl,
    keys: publisherLockKeys(options.slotName),
    applicationName: options.applicationName,
    pollMs: options.pollMs,
    logger: options.logger,
    standbyMessage: 'standby: another instance publishes change events',
    describeLeader: async (client) => {
      const holder = await publisherHolder(client, options.slotName);
      return { slot: options.slotName, leader: holder?.applicationName, leaderPid: holder?.pid };
    },
  };
}
