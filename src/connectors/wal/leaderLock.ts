import pg from 'pg';
import type { Logger } from '../../runtime/logger.js';
import { sleep } from '../../runtime/sleep.js';

/**
 * One reader per WAL source across custsync instances: the instance holding
 * a session-level advisory lock (on custsync's own database, where the
 * positions are) reads the slot; the others poll as standbys and take over
 * when its session ends. Without it, a second instance could drop the slot
 * of a snapshot still being read, or fight over the slot.
 */

/** 'CSWS': the first key of every WAL-source lock (the change publisher uses its own). */
const LOCK_NAMESPACE = 0x43535753;

/** The two int4 keys of a slot's lock: the namespace and a 31-bit FNV-1a hash of the slot name. */
export function walSourceLockKeys(slotName: string): [number, number] {
  let hash = 0x811c9dc5;
  for (const char of slotName) {
    hash ^= char.codePointAt(0) ?? 0;
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return [LOCK_NAMESPACE, hash & 0x7fffffff];
}

export interface HeldLock {
  /** Resolves when the lock's session dies: the lock is gone from then on. */
  lost: Promise<Error>;
  release(): Promise<void>;
}

/** Polls every `pollMs` until the lock is granted, or resolves null when `signal` aborts. Connection failures are retried. */
export async function acquireWalSourceLock(databaseUrl: string, slotName: string, pollMs: number, logger: Logger, signal: AbortSignal): Promise<HeldLock | null> {
  const keys = walSourceLockKeys(slotName);
  let announced = false;
  let failures = 0;
  while (!signal.aborted) {
    const client = new pg.Client({ connectionString: databaseUrl, application_name: `custsync-wal-source:${slotName}`, keepAlive: true, connectionTimeoutMillis: 5_000 });
    const lost = new Promise<Error>((resolve) => {
      client.on('error', (err) => resolve(err));
      client.on('end', () => resolve(new Error('the WAL source lock connection closed')));
    });
    try {
      await client.connect();
      failures = 0;
      while (!signal.aborted) {
        const { rows } = await client.query<{ locked: boolean }>('SELECT pg_try_advisory_lock($1, $2) AS locked', keys);
        if (rows[0]?.locked) return { lost, release: () => client.end().catch(() => undefined) };
        if (!announced) {
          announced = true;
          logger.info({ slot: slotName }, 'standby: another instance reads this WAL source');
        }
        await sleep(pollMs, signal);
      }
    } catch (err) {
      failures += 1;
      logger.warn({ err: (err as Error).message, attempt: failures }, 'WAL source lock: polling failed; retrying');
      await sleep(Math.min(500 * 2 ** (failures - 1), 10_000), signal);
    }
    await client.end().catch(() => undefined);
  }
  return null;
}
