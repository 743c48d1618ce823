import { normalizeRecord, DEFAULT_NORMALIZE_OPTIONS, type NormalizedRecord } from '../../src/unifier/normalize/index.js';
import { SourceRecord, type AddressValues, type CustomerValues, type SourcePosition } from '../../src/contract.js';

export interface RecordSpec {
  platform?: string;
  email: string;
  /** Kafka offset on topic `t` partition 0 unless `position` is given. */
  offset?: number;
  topic?: string;
  partition?: number;
  position?: SourcePosition;
  eventId?: string;
  /** Seconds since an arbitrary epoch, or a Date. */
  time?: number | Date;
  customer?: CustomerValues;
  address?: AddressValues;
}

let autoOffset = 0;

export function sourceRecord(spec: RecordSpec): SourceRecord {
  const offset = spec.offset ?? autoOffset++;
  const position: SourcePosition = spec.position ?? {
    kind: 'kafka',
    topic: spec.topic ?? 't',
    partition: spec.partition ?? 0,
    offset: String(offset),
  };
  const time = spec.time instanceof Date ? spec.time : new Date(Date.UTC(2024, 0, 1) + (spec.time ?? offset) * 1000);
  return SourceRecord.parse({
    platform: spec.platform ?? 'hotmart',
    position,
    eventId: spec.eventId ?? `e-${position.kind === 'kafka' ? `${position.topic}-${position.partition}-${position.offset}` : offset}`,
    eventTime: time,
    email: spec.email,
    customer: spec.customer ?? {},
    address: spec.address ?? {},
  });
}

/** A normalized record, failing the test if normalization rejects it. */
export function record(spec: RecordSpec): NormalizedRecord {
  const result = normalizeRecord(sourceRecord(spec), DEFAULT_NORMALIZE_OPTIONS);
  if (!result.ok) throw new Error(`test record rejected: ${result.reason}`);
  return result.record;
}
