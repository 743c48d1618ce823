import type { PositionAdvance, SourcePosition } from '../contract.js';

/**
 * A source position as stored in `custsync.source_positions`: a stream (one
 * Kafka topic, WAL slot or import file), a partition within it, and an
 * ordinal that grows within the partition.
 */
export interface PositionKey {
  stream: string;
  partition: number;
  ordinal: bigint;
}

/** `16/B374D848` → 0x16B374D848 */
export function lsnToBigInt(lsn: string): bigint {
  const [high, low] = lsn.split('/');
  if (high === undefined || low === undefined) throw new Error(`not an LSN: ${lsn}`);
  return (BigInt(`0x${high}`) << 32n) + BigInt(`0x${low}`);
}

export function bigIntToLsn(value: bigint): string {
  return `${(value >> 32n).toString(16).toUpperCase()}/${(value & 0xffffffffn).toString(16).toUpperCase()}`;
}

/** The stored key of a position; operator edits have none (they are never replayed). */
export function positionKey(position: SourcePosition): PositionKey | null {
  switch (position.kind) {
    case 'kafka':
      return { stream: `kafka:${position.topic}`, partition: position.partition, ordinal: BigInt(position.offset) };
    case 'wal':
      return { stream: `wal:${position.slot}`, partition: 0, ordinal: lsnToBigInt(position.lsn) };
    case 'import':
      return { stream: `import:${position.source}`, partition: 0, ordinal: BigInt(position.line) };
    case 'operator':
      return null;
  }
}

function keyOf(stream: string, partition: number): string {
  return `${stream}\u0000${partition}`;
}

/** For each (stream, partition) among `positions`, the ordinal after the last one. */
export function advancesFor(positions: Iterable<SourcePosition>): PositionAdvance[] {
  const byKey = new Map<string, PositionAdvance>();
  for (const position of positions) {
    const key = positionKey(position);
    if (!key) continue;
    const id = keyOf(key.stream, key.partition);
    const next = key.ordinal + 1n;
    const known = byKey.get(id);
    if (!known || known.next < next) byKey.set(id, { stream: key.stream, partition: key.partition, next });
  }
  return [...byKey.values()];
}

/** Merges advances, keeping the furthest per (stream, partition), sorted for a deterministic lock order. */
export function mergeAdvances(...lists: PositionAdvance[][]): PositionAdvance[] {
  const byKey = new Map<string, PositionAdvance>();
  for (const advance of lists.flat()) {
    const id = keyOf(advance.stream, advance.partition);
    const known = byKey.get(id);
    if (!known || known.next < advance.next) byKey.set(id, advance);
  }
  return [...byKey.values()].sort((a, b) => (a.stream < b.stream ? -1 : a.stream > b.stream ? 1 : a.partition - b.partition));
}

/** Whether a stored position already covers this record. */
export function isApplied(position: SourcePosition, stored: ReadonlyMap<string, bigint>): boolean {
  const key = positionKey(position);
  if (!key) return false;
  const next = stored.get(keyOf(key.stream, key.partition));
  return next !== undefined && key.ordinal < next;
}

export function storedKey(stream: string, partition: number): string {
  return keyOf(stream, partition);
}
