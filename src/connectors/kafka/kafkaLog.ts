import { logLevel, type LogEntry } from 'kafkajs';
import type { Logger } from '../../runtime/logger.js';

/**
 * How kafkajs' log lines reach pino. Its INFO chatter (joins, rebalances)
 * becomes debug. Errors a retry cures while a broker starts or a partition
 * moves (no coordinator yet, not the leader, a rebalance) are logged at
 * debug too: kafkajs retries them, and a healthy start must not print errors.
 * When one keeps coming back, a warning says so with a count (at 50, 500,
 * 5,000 ... occurrences), so a broker that never settles is still visible.
 * custsync reports consumer crashes itself, with what it does about them.
 */

/** Protocol errors kafkajs retries on its own (their messages as kafkajs words them). */
const TRANSIENT = [
  'The group coordinator is not available',
  'The coordinator is not available',
  'This is not the correct coordinator for this group',
  "The coordinator is loading and hence can't process requests",
  'There is no leader for this topic-partition as we are in the middle of a leadership election',
  'This server is not the leader for that topic-partition',
  'This server does not host this topic-partition',
  'The replica is not available for the requested topic-partition',
  'The leader epoch in the request is',
  'The group is rebalancing, so a rejoin is needed',
  // A member that crashed and was already removed from the group, leaving it.
  'The coordinator is not aware of this member',
  'The request timed out',
  'The broker is not available',
];

/** Lines custsync replaces with its own (the consumer crash and restart it handles). */
const HANDLED = [/^Crash: /, /^Restarting the consumer in /];

/**
 * Said at every start of the dead-letter producer (idempotent, bounded
 * retries): custsync retries a failed batch itself and recognizes a dead
 * letter sent twice by its origin headers, so this is known, not news.
 */
const KNOWN_WARNINGS = [/^Limiting retries for the idempotent producer/];

export type KafkaLogDecision = 'error' | 'warn' | 'info' | 'debug';

/** Pure: the level of one kafkajs entry, and whether it is a transient error to count. */
export function classifyKafkaLog(level: logLevel, message: string, error: unknown): { level: KafkaLogDecision; transient?: string } {
  if (level === logLevel.ERROR || level === logLevel.NOTHING) {
    const text = typeof error === 'string' ? error : message;
    const transient = TRANSIENT.find((t) => text.startsWith(t));
    if (transient) return { level: 'debug', transient };
    if (HANDLED.some((pattern) => pattern.test(message))) return { level: 'debug' };
    return { level: 'error' };
  }
  if (level === logLevel.WARN) return { level: KNOWN_WARNINGS.some((pattern) => pattern.test(message)) ? 'debug' : 'warn' };
  return { level: 'debug' };
}

/** Pure: whether the n-th occurrence of a transient error deserves a warning (50, 500, 5,000 ...). */
export function warnAtCount(n: number): boolean {
  if (n < 50) return false;
  let mark = 50;
  while (mark < n) mark *= 10;
  return mark === n;
}

export function kafkaLogCreator(logger: Logger, options: { quiet?: boolean } = {}) {
  const counts = new Map<string, number>();
  return () =>
    ({ level, log }: LogEntry) => {
      const { message, ...extra } = log;
      const decision = classifyKafkaLog(level, message, (extra as { error?: unknown }).error);
      if (decision.transient) {
        const n = (counts.get(decision.transient) ?? 0) + 1;
        counts.set(decision.transient, n);
        if (warnAtCount(n)) logger.warn({ error: decision.transient, occurrences: n }, 'a retriable Kafka error keeps coming back (kafkajs retries it)');
      }
      // A probe (quiet) reports its own outcome: what kafkajs says about it is detail.
      const at = options.quiet && decision.level !== 'debug' ? 'debug' : decision.level;
      logger[at](extra, message);
    };
}
