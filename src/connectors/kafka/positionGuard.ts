import type { StoredPosition } from '../../unifier/PositionStore.js';
import { formatTopicId } from './wire.js';

/**
 * Positions that cannot be right. A stored Kafka position is "everything
 * before this offset is applied"; if the topic was deleted and recreated, or
 * custsync now talks to another cluster with the same topic names, the new
 * partition starts again at 0 and every message below the stored offset
 * would be skipped as already applied — silently. So before a partition's
 * first batch is applied, its stored position is compared with the broker's
 * high-water mark and its stored topic id with the topic's id, and a
 * partition that fails is stopped with an error naming the fix.
 */

export type Verdict = { ok: true } | { ok: false; reason: 'past_end' | 'topic_recreated'; message: string };

/** The command an operator runs to fix a refused partition (docs/reliability.md, "Positions"). */
export function resetHint(stream: string): string {
  return `check with \`custsync positions list\`, stop every custsync instance, then \`custsync positions reset --stream ${stream} --to earliest --yes\` (or --to latest / --to OFFSET)`;
}

/** Pure: whether a partition may be consumed from its stored position. */
export function judgePosition(input: { stream: string; partition: number; stored: Pick<StoredPosition, 'next' | 'topicId'> | null; highWatermark: bigint; topicId: string | null }): Verdict {
  const { stream, partition, stored } = input;
  if (!stored) return { ok: true };
  const current = input.topicId === null ? null : formatTopicId(input.topicId);
  if (stored.topicId !== null && current !== null && stored.topicId !== current) {
    return {
      ok: false,
      reason: 'topic_recreated',
      message: `${stream}[${partition}]: the stored position belongs to topic id ${stored.topicId}, but the topic now has id ${current} (deleted and recreated?); its messages would be skipped as already applied. Partition stopped: ${resetHint(stream)}`,
    };
  }
  if (stored.next > input.highWatermark) {
    return {
      ok: false,
      reason: 'past_end',
      message: `${stream}[${partition}]: the stored position ${stored.next} is past the partition's end (high-water mark ${input.highWatermark}): the topic was recreated or this is another cluster, and its messages would be skipped as already applied. Partition stopped: ${resetHint(stream)}`,
    };
  }
  return { ok: true };
}
