import type { Kafka } from 'kafkajs';
import type { Pool } from 'pg';
import type { Config } from '../../runtime/config.js';
import { UserError } from '../../runtime/errors.js';
import { inTransaction } from '../../runtime/transaction.js';
import { BrokerProbe } from './brokerProbe.js';
import { judgePosition } from './positionGuard.js';
import { PositionStore, storedKey, streams } from '../../unifier/PositionStore.js';
import { formatTopicId } from './wire.js';

/**
 * What `custsync positions list` and `positions reset` see and change: the
 * positions stored in Postgres (custsync.source_positions), and for Kafka
 * streams the broker's side — the partition's offsets, the topic id and the
 * consumer group's committed offset.
 */

export interface PositionRow {
  stream: string;
  partition: number;
  /** Stored next ordinal (offset, LSN as a number, line), null for a Kafka partition with none stored yet. */
  stored: string | null;
  storedTopicId: string | null;
  updatedAt: Date | null;
  /** Kafka streams only. */
  low?: string;
  high?: string;
  committed?: string | null;
  topicId?: string | null;
  /** `ok`, `past end`, `topic recreated`, `topic missing`, `not kafka`. */
  state: string;
}

async function withAdmin<T>(kafka: Kafka, work: (admin: ReturnType<Kafka['admin']>) => Promise<T>): Promise<T> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    return await work(admin);
  } finally {
    await admin.disconnect();
  }
}

/** Every stored position, and every partition of the configured Kafka topics, with the broker's view beside it. */
export async function listPositions(positions: PositionStore, kafka: Kafka, config: Config): Promise<PositionRow[]> {
  const rows = await positions.list();
  const stored = new Map(rows.map((r) => [storedKey(r.stream, r.partition), r]));
  const topics = [...new Set([...config.platforms.flatMap((p) => p.topics), ...rows.flatMap((r) => streams.topicOf(r.stream) ?? [])])];
  const out: PositionRow[] = rows
    .filter((r) => streams.topicOf(r.stream) === null)
    .map((r) => ({ stream: r.stream, partition: r.partition, stored: r.next.toString(), storedTopicId: r.topicId, updatedAt: r.updatedAt, state: 'not kafka' }));
  const probe = new BrokerProbe(kafka);
  try {
    await withAdmin(kafka, async (admin) => {
      const existing = new Set(await admin.listTopics());
      const ids = await probe.topicIds(topics.filter((t) => existing.has(t)));
      for (const topic of topics) {
        const stream = streams.kafka(topic);
        if (!existing.has(topic)) {
          for (const r of rows.filter((x) => x.stream === stream)) {
            out.push({ stream, partition: r.partition, stored: r.next.toString(), storedTopicId: r.topicId, updatedAt: r.updatedAt, state: 'topic missing' });
          }
          continue;
        }
        const offsets = await admin.fetchTopicOffsets(topic);
        const [group] = await admin.fetchOffsets({ groupId: config.kafka.groupId, topics: [topic] });
        const topicId = ids.get(topic) ?? null;
        for (const o of offsets.sort((a, b) => a.partition - b.partition)) {
          const r = stored.get(storedKey(stream, o.partition));
          const committed = group?.partitions.find((p) => p.partition === o.partition)?.offset ?? '-1';
          const verdict = judgePosition({
            stream,
            partition: o.partition,
            stored: r ?? null,
            highWatermark: BigInt(o.high),
            topicId,
          });
          out.push({
            stream,
            partition: o.partition,
            stored: r?.next.toString() ?? null,
            storedTopicId: r?.topicId ?? null,
            updatedAt: r?.updatedAt ?? null,
            low: o.low,
            high: o.high,
            committed: committed === '-1' ? null : committed,
            topicId: topicId === null ? null : formatTopicId(topicId),
            state: verdict.ok ? 'ok' : verdict.reason === 'past_end' ? 'past end' : 'topic recreated',
          });
        }
      }
    });
  } finally {
    await probe.disconnect();
  }
  return out.sort((a, b) => (a.stream < b.stream ? -1 : a.stream > b.stream ? 1 : a.partition - b.partition));
}

export type ResetTarget = { kind: 'earliest' } | { kind: 'latest' } | { kind: 'offset'; offset: bigint };

/** Pure: `--to` as given on the command line. */
export function parseResetTarget(text: string): ResetTarget {
  if (text === 'earliest' || text === 'latest') return { kind: text };
  if (/^\d+$/.test(text)) return { kind: 'offset', offset: BigInt(text) };
  throw new UserError('CUSTSYNC_USAGE', `--to: expected earliest, latest or an offset (a whole number), got "${text}"`);
}

export interface ResetChange {
  partition: number;
  storedBefore: string | null;
  committedBefore: string | null;
  next: string;
}

/** Pure: the new next offset of one partition; an explicit offset is kept within the partition's offsets. */
export function resetOffset(target: ResetTarget, low: bigint, high: bigint): bigint {
  if (target.kind === 'earliest') return low;
  if (target.kind === 'latest') return high;
  return target.offset < low ? low : target.offset > high ? high : target.offset;
}

export interface ResetPlan {
  stream: string;
  topic: string;
  groupId: string;
  topicId: string | null;
  changes: ResetChange[];
}

/** What `positions reset` would change (nothing is written). */
export async function planReset(positions: PositionStore, kafka: Kafka, config: Config, stream: string, target: ResetTarget, partition?: number): Promise<ResetPlan> {
  const topic = streams.topicOf(stream);
  if (topic === null) {
    throw new UserError('CUSTSYNC_USAGE', `--stream: only Kafka streams (kafka:<topic>) can be reset; "${stream}" is not one (a WAL or import position is changed in custsync.source_positions by hand, see docs/reliability.md)`);
  }
  const rows = (await listPositions(positions, kafka, config)).filter((r) => r.stream === stream && (partition === undefined || r.partition === partition));
  if (rows.length === 0 || rows.every((r) => r.state === 'topic missing')) {
    throw new UserError('CUSTSYNC_USAGE', `--stream: no partition of topic "${topic}" on the cluster${partition === undefined ? '' : ` with partition ${partition}`}; \`custsync positions list\` shows the streams`);
  }
  const changes = rows.map((r) => ({
    partition: r.partition,
    storedBefore: r.stored,
    committedBefore: r.committed ?? null,
    next: resetOffset(target, BigInt(r.low ?? '0'), BigInt(r.high ?? '0')).toString(),
  }));
  return { stream, topic, groupId: config.kafka.groupId, topicId: rows[0]?.topicId ?? null, changes };
}

/**
 * Applies a plan: the consumer group's committed offsets first (Kafka allows
 * that only while no member is running), then the stored positions with the
 * topic's id, in one transaction. Run again after a failure: it is idempotent.
 */
export async function applyReset(pool: Pool, kafka: Kafka, plan: ResetPlan): Promise<void> {
  await withAdmin(kafka, async (admin) => {
    const { groups } = await admin.describeGroups([plan.groupId]);
    const state = groups[0]?.state ?? 'Dead';
    if (state !== 'Empty' && state !== 'Dead') {
      throw new UserError('CUSTSYNC_USAGE', `consumer group "${plan.groupId}" is ${state} with ${groups[0]?.members.length ?? 0} member(s): stop every custsync instance first (Kafka refuses to move the offsets of a running group)`);
    }
    await admin.setOffsets({ groupId: plan.groupId, topic: plan.topic, partitions: plan.changes.map((c) => ({ partition: c.partition, offset: c.next })) });
  });
  await inTransaction(pool, { begin: 'BEGIN' }, (client) =>
    new PositionStore(client).set(
      plan.stream,
      plan.changes.map((c) => ({ partition: c.partition, next: c.next })),
      plan.topicId,
    ),
  );
}
