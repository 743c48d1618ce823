import { decodeMessage } from '../../../src/connectors/kafka/decode.js';
import { mapperFor } from '../../../src/connectors/mappers/registry.js';
import { DEFAULT_NORMALIZE_OPTIONS, normalizeRecord, type NormalizedRecord } from '../../../src/unifier/normalize/index.js';
import type { PlatformSpec } from '../../helpers/daemon.js';
import { expectedState } from '../../helpers/oracle.js';
import { faultId } from './kafka.js';
import type { Outgoing } from './messages.js';
import { routeOf } from './platforms.js';
import type { ReadMessage } from '../../helpers/kafka.js';

/** Where a source message is: `topic/partition/offset`. */
export function originKey(topic: string, partition: number | string, offset: bigint | string): string {
  return `${topic}/${partition}/${offset}`;
}

export interface Model {
  /** Normalized records of the valid messages, in per-partition order. */
  records: NormalizedRecord[];
  expected: ReturnType<typeof expectedState>;
  /** Origins of malformed messages with the reason the generator expects. */
  malformed: Map<string, { reason: string; what: string }>;
  valid: number;
  skipped: number;
  /** Messages read back that the generator sent more than once (a producer retry). */
  producerDuplicates: number;
  /** Generator tags that custsync's pure decoding disagrees with (a generator bug or a custsync bug). */
  disagreements: string[];
}

/**
 * The expected outcome, computed without Postgres: every message read back
 * from the source topics (so producer retries are accounted for), in
 * per-partition order, through the pure mapping and normalization, then
 * the survivorship oracle (test/helpers/oracle.ts: the README's rules, record by record).
 */
export function buildModel(read: readonly ReadMessage[], generated: ReadonlyMap<number, Outgoing>, platforms: readonly PlatformSpec[]): Model {
  const records: NormalizedRecord[] = [];
  const malformed = new Map<string, { reason: string; what: string }>();
  const disagreements: string[] = [];
  const seen = new Set<number>();
  let valid = 0;
  let skipped = 0;
  let producerDuplicates = 0;
  const knownPlatforms = new Set(platforms.map((p) => p.name));
  for (const message of read) {
    const id = faultId(message);
    const out = id === undefined ? undefined : generated.get(id);
    if (id === undefined || !out) {
      disagreements.push(`${originKey(message.topic, message.partition, message.offset)}: a message the suite did not produce`);
      continue;
    }
    if (seen.has(id)) producerDuplicates += 1;
    seen.add(id);
    const origin = originKey(message.topic, message.partition, message.offset);
    if (out.expect.kind === 'malformed') {
      malformed.set(origin, { reason: out.expect.reason, what: out.expect.what });
      continue;
    }
    const route = routeOf(platforms, message.topic);
    const incoming = decodeMessage(
      message.topic,
      message.partition,
      { key: message.key, value: message.value, headers: message.headers, offset: message.offset.toString(), timestamp: message.timestamp, attributes: 0 },
      { platform: route.platform, mapper: mapperFor(route.mapper), knownPlatforms, maxMessageBytes: 1_048_576 },
    );
    if (out.expect.kind === 'skip') {
      skipped += 1;
      if (incoming.kind !== 'skip') disagreements.push(`${origin} (${out.expect.what}): expected a skip, decoded as ${incoming.kind}`);
      continue;
    }
    if (incoming.kind !== 'record') {
      disagreements.push(`${origin} (${out.expect.what}): expected valid, decoded as ${incoming.kind}${incoming.kind === 'invalid' ? ` ${incoming.letter.reason}` : ''}`);
      continue;
    }
    const normalized = normalizeRecord(incoming.record, DEFAULT_NORMALIZE_OPTIONS);
    if (!normalized.ok) {
      disagreements.push(`${origin} (${out.expect.what}): expected valid, normalization rejected it: ${normalized.reason}`);
      continue;
    }
    valid += 1;
    records.push(normalized.record);
  }
  return { records, expected: expectedState(records, { platforms, operatorPriority: 1_000 }), malformed, valid, skipped, producerDuplicates, disagreements };
}
