import { randomBytes } from 'node:crypto';
import { Partitioners, type IHeaders, type Kafka } from 'kafkajs';
import type { Logger } from '../runtime/logger.js';
import { DLQ_HEADER } from './deadLetters.js';

export interface ReplayFilter {
  /** Only dead letters written at or after this time. */
  since?: Date;
  /** Only dead letters with this reason (e.g. `mapping_failed`). */
  reason?: string;
  dryRun?: boolean;
}

export interface ReplayResult {
  scanned: number;
  matched: number;
  replayed: number;
  /** Matched but not from a Kafka source (a WAL row, an import line): nothing to re-inject into. */
  notReplayable: number;
  byTopic: Record<string, number>;
}

function text(value: IHeaders[string]): string | undefined {
  const first = Array.isArray(value) ? value[0] : value;
  return first === undefined ? undefined : first.toString();
}

/** The original headers, without the ones custsync added, plus where the replay came from. */
function replayHeaders(headers: IHeaders, partition: number, offset: string): IHeaders {
  const out: IHeaders = {};
  for (const [key, value] of Object.entries(headers)) if (!key.startsWith('custsync.') && value !== undefined) out[key] = value;
  out['custsync.replayed-from'] = `${partition}:${offset}`;
  return out;
}

/**
 * Re-injects dead letters into the topics they came from, after a fix
 * (a mapper change, a config change). Reads the dead-letter topic up to its
 * end as of the start, with a throwaway consumer group that commits nothing,
 * so every replay sees the whole topic and filters it.
 */
export async function replayDeadLetters(kafka: Kafka, deadLetterTopic: string, filter: ReplayFilter, logger: Logger): Promise<ReplayResult> {
  const admin = kafka.admin();
  await admin.connect();
  const ends = new Map<number, bigint>();
  let starts: { partition: number; offset: string }[] = [];
  try {
    for (const p of await admin.fetchTopicOffsets(deadLetterTopic)) ends.set(p.partition, BigInt(p.high));
    starts = filter.since
      ? await admin.fetchTopicOffsetsByTimestamp(deadLetterTopic, filter.since.getTime())
      : [...ends.keys()].map((partition) => ({ partition, offset: '0' }));
  } finally {
    await admin.disconnect();
  }
  // -1: no message at or after `since` in that partition
  const startOf = (partition: number): bigint => {
    const offset = starts.find((s) => s.partition === partition)?.offset ?? '0';
    return offset === '-1' ? (ends.get(partition) ?? 0n) : BigInt(offset);
  };
  const pending = new Set([...ends].filter(([partition, end]) => end > startOf(partition)).map(([p]) => p));
  const result: ReplayResult = { scanned: 0, matched: 0, replayed: 0, notReplayable: 0, byTopic: {} };
  if (pending.size === 0) return result;

  // The Java client's partitioner: a replayed message goes to the partition its key's originals went to.
  const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1, createPartitioner: Partitioners.DefaultPartitioner });
  const consumer = kafka.consumer({ groupId: `custsync-dlq-replay-${randomBytes(6).toString('hex')}` });
  await producer.connect();
  await consumer.connect();
  try {
    await consumer.subscribe({ topics: [deadLetterTopic], fromBeginning: true });
    let done!: () => void;
    let failed!: (err: unknown) => void;
    const finished = new Promise<void>((resolve, reject) => {
      done = resolve;
      failed = reject;
    });
    await consumer.run({
      autoCommit: false,
      eachBatch: async ({ batch }) => {
        const end = ends.get(batch.partition) ?? 0n;
        const out: { topic: string; messages: { key: Buffer | null; value: Buffer | null; headers: IHeaders }[] }[] = [];
        for (const message of batch.messages) {
          if (BigInt(message.offset) >= end) break;
          result.scanned += 1;
          const headers = message.headers ?? {};
          const at = text(headers[DLQ_HEADER.time]);
          if (filter.since && (!at || Date.parse(at) < filter.since.getTime())) continue;
          if (filter.reason && text(headers[DLQ_HEADER.reason]) !== filter.reason) continue;
          result.matched += 1;
          const topic = text(headers[DLQ_HEADER.topic]);
          // An undecodable batch holds a whole stored batch, not a message: sending it back would not decode either.
          if (!topic || text(headers[DLQ_HEADER.reason]) === 'undecodable_batch') {
            result.notReplayable += 1;
            continue;
          }
          result.byTopic[topic] = (result.byTopic[topic] ?? 0) + 1;
          const entry = out.find((o) => o.topic === topic) ?? out[out.push({ topic, messages: [] }) - 1];
          entry?.messages.push({ key: message.key, value: message.value, headers: replayHeaders(headers, batch.partition, message.offset) });
        }
        try {
          if (!filter.dryRun && out.length > 0) {
            await producer.sendBatch({ acks: -1, topicMessages: out });
            result.replayed += out.reduce((n, o) => n + o.messages.length, 0);
          }
        } catch (err) {
          failed(err);
          return;
        }
        const last = batch.messages.at(-1);
        if (!last || BigInt(last.offset) + 1n >= end) {
          pending.delete(batch.partition);
          if (pending.size === 0) done();
        }
      },
    });
    for (const partition of pending) consumer.seek({ topic: deadLetterTopic, partition, offset: startOf(partition).toString() });
    await finished;
  } finally {
    await consumer.disconnect();
    await producer.disconnect();
  }
  logger.info({ ...result, dryRun: filter.dryRun === true }, 'dead-letter replay finished');
  return result;
}
