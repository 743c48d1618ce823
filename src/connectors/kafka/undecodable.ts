import { DLQ_HEADER } from '../deadLetters.js';
import { decodeStoredBatch, type BrokerProbe, type DecodedRecord } from './brokerProbe.js';
import { COMPRESSION_NAMES, scanBatches, type BatchHeader } from './wire.js';
import type { DeadLetter } from '../../contract.js';

/**
 * A record batch the consumer cannot decode. kafkajs decodes a fetch
 * response as a whole, so one such batch fails every partition fetched with
 * it and crashes the consumer at the same place after every restart. After a
 * crash the Kafka source fetches each of its partitions alone, from where it
 * stands, and decodes batch by batch to find the culprit.
 */
export interface Undecodable {
  topic: string;
  partition: number;
  /** Where the partition stood. */
  from: bigint;
  batch: BatchHeader;
  error: string;
  /** Decodable records between `from` and the batch: they come in the same fetch and must be applied first. */
  before: DecodedRecord[];
}

/** The first undecodable batch at or after `from` within one fetch (`maxBytes`), or null. */
export async function findUndecodable(probe: BrokerProbe, topic: string, partition: number, from: bigint, maxBytes: number): Promise<Undecodable | null> {
  const fetched = await probe.fetch(topic, partition, from, maxBytes);
  if (fetched.errorCode !== 0) return null;
  const before: DecodedRecord[] = [];
  for (const batch of scanBatches(fetched.records)) {
    if (batch.lastOffset < from) continue;
    let decoded: Awaited<ReturnType<typeof decodeStoredBatch>>;
    try {
      if (batch.magic !== 2) throw new Error(`message format v${batch.magic} in a v2 log`);
      decoded = await decodeStoredBatch(batch.bytes);
    } catch (err) {
      return { topic, partition, from, batch, error: err instanceof Error ? `${err.name}: ${err.message}` : String(err), before };
    }
    // As the consumer does: control records (transaction markers) are not messages.
    if (decoded.control) continue;
    before.push(...decoded.records.filter((r) => !r.isControlRecord && BigInt(r.offset) >= from));
  }
  return null;
}

/** Pure: `partition:first offset`, to recognize the same batch on the next crash. */
export function undecodableKey(u: Pick<Undecodable, 'topic' | 'partition' | 'batch'>): string {
  return `${u.topic}\u0000${u.partition}\u0000${u.batch.baseOffset}`;
}

/** Pure: the dead letter of an undecodable batch: the stored bytes, the first offset not yet applied, the range in headers. */
export function undecodableLetter(u: Undecodable, platform: string): DeadLetter {
  const first = u.batch.baseOffset > u.from ? u.batch.baseOffset : u.from;
  const codec = COMPRESSION_NAMES[u.batch.compression] ?? `codec ${u.batch.compression}`;
  return {
    origin: {
      position: { kind: 'kafka', topic: u.topic, partition: u.partition, offset: first.toString() },
      key: null,
      value: u.batch.bytes,
      headers: { [DLQ_HEADER.lastOffset]: u.batch.lastOffset.toString(), [DLQ_HEADER.compression]: codec },
      timestamp: u.batch.firstTimestamp.toString(),
    },
    platform,
    reason: 'undecodable_batch',
    message: `record batch of offsets ${u.batch.baseOffset}..${u.batch.lastOffset} (${u.batch.recordCount} records, ${codec}) cannot be decoded: ${u.error}`.slice(0, 900),
  };
}
