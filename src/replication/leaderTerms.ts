import { CustsyncError } from '../runtime/errors.js';
import { retry } from '../runtime/retry.js';
import { waitForLeadership, type AdvisoryLeaderOptions, type Leadership } from './advisoryLeader.js';

export interface LeaderTermsOptions extends AdvisoryLeaderOptions {
  /** Names the job in log lines: `change publisher`, `WAL source`. */
  what: string;
  /** Told when a term, or getting one, fails (before the wait): readiness. */
  onFailure?: (error: CustsyncError) => void;
  /** Told when this instance takes the lock. */
  onLeader?: () => void;
}

/**
 * One leadership term. `signal` aborts when the job stops or the lock's
 * session dies; call `healthy()` once the term works (streaming), so that a
 * later failure starts its backoff from the beginning.
 */
export type LeaderTerm = (leadership: Leadership, signal: AbortSignal, healthy: () => void) => Promise<void>;

/**
 * The one leader-term loop of custsync's replication jobs (the change
 * publisher, each WAL source): wait for the job's advisory lock, lead a term
 * while it is held, release it, and again. A term that fails — or a failure
 * to get one — is retried as the retry table says for its code (fatal codes
 * end the loop with that error), after the lock is released, so a standby may
 * take over meanwhile. Resolves when `signal` aborts.
 */
export async function leadTerms(options: LeaderTermsOptions, signal: AbortSignal, term: LeaderTerm): Promise<void> {
  // The standby line is logged once per stretch as a standby, not once per poll.
  const announce = { standby: false };
  while (!signal.aborted) {
    await retry(
      {
        what: options.what,
        logger: options.logger,
        signal,
        message: `${options.what} failed; releasing leadership and retrying`,
        onFailure: (error) => options.onFailure?.(error),
      },
      async (attempt) => {
        const onStandby = () => {
          // Another instance leads: whatever failed here is no longer this instance's concern.
          attempt.healthy();
          options.onStandby?.();
        };
        const leadership = await waitForLeadership({ ...options, onStandby }, signal, announce);
        if (!leadership) return;
        const termController = new AbortController();
        const endTerm = () => termController.abort();
        signal.addEventListener('abort', endTerm, { once: true });
        let lostWith: Error | undefined;
        void leadership.lost.then((err) => {
          lostWith = err;
          termController.abort();
        });
        try {
          announce.standby = false;
          options.onLeader?.();
          await term(leadership, termController.signal, attempt.healthy);
          if (lostWith && !signal.aborted) throw new CustsyncError('CUSTSYNC_DB_UNAVAILABLE', `leadership lost: ${lostWith.message}`);
        } finally {
          signal.removeEventListener('abort', endTerm);
          await leadership.release();
        }
      },
    );
  }
}
