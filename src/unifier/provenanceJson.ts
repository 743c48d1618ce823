import { isField, type Field } from '../contract.js';
import type { Provenance } from './survivorship.js';

/**
 * The `provenance` column of `custsync.customer_state`: who set each of a
 * customer's current values. Keyed by field, each naming one of the distinct
 * sources, because one event usually sets most fields and a customer has few
 * sources: written out per field, the row was four times as large and took
 * three and a half times as long to insert and to update (measured on 100,000
 * customers with 13 fields each).
 *
 *   {"sources": [{"platform": "hotmart", "priority": 50,
 *                 "event_time": "2024-03-01T12:00:00.000000Z", "event_id": "…"}],
 *    "fields":  {"name": 0, "city": 0, "phone_number": 1}}
 *
 * `priority: null` marks a hand edit in SQL. `custsync.field_provenance` is a
 * view with one row per field (migrations/0009_customer_state.sql).
 */
export interface ProvenanceSource {
  platform: string;
  priority: number | null;
  /** UTC, microseconds: the spelling Postgres and the change events use. */
  event_time: string;
  event_id: string | null;
}

export interface ProvenanceDocument {
  sources: ProvenanceSource[];
  fields: Record<string, number>;
}

/** `2024-03-01T12:00:00.123000Z`: a Date in the microsecond spelling of the stored times. */
export function eventTimeText(time: Date): string {
  return `${time.toISOString().slice(0, -1)}000Z`;
}

/**
 * The stored source each decoded Provenance came from: re-encoding a customer
 * whose sources did not change reuses them as they were read (exact to the
 * microsecond, and without formatting times again).
 */
const storedSource = new WeakMap<Provenance, ProvenanceSource>();

/**
 * Pure: the stored document of a customer's provenance, each distinct source
 * once, in field order. Fields set by one record share one Provenance object
 * (survivorship and decodeProvenance both do so), which makes the common case
 * a lookup by identity.
 */
export function encodeProvenance(provenance: Partial<Record<Field, Provenance>>): ProvenanceDocument {
  const sources: ProvenanceSource[] = [];
  const byObject = new Map<Provenance, number>();
  const byKey = new Map<string, number>();
  const fields: Record<string, number> = {};
  for (const field in provenance) {
    const p = provenance[field as Field];
    if (!p) continue;
    let index = byObject.get(p);
    if (index === undefined) {
      const source = storedSource.get(p) ?? { platform: p.platform, priority: p.priority, event_time: eventTimeText(p.eventTime), event_id: p.eventId };
      const key = `${source.platform}\u0000${source.priority}\u0000${source.event_time}\u0000${source.event_id}`;
      index = byKey.get(key);
      if (index === undefined) {
        index = sources.length;
        sources.push(source);
        byKey.set(key, index);
      }
      byObject.set(p, index);
    }
    fields[field] = index;
  }
  return { sources, fields };
}

function isSource(value: unknown): value is ProvenanceSource {
  if (typeof value !== 'object' || value === null) return false;
  const s = value as Record<string, unknown>;
  return (
    typeof s.platform === 'string' &&
    (s.priority === null || typeof s.priority === 'number') &&
    typeof s.event_time === 'string' &&
    (s.event_id === null || typeof s.event_id === 'string')
  );
}

/**
 * Pure: the stored document's source of each field, as the raw entries.
 * Unknown fields and dangling indexes are ignored (a column that predates a
 * field, a hand edit racing a rewrite): a field without provenance ranks
 * below every source, which is what survivorship assumes for values nobody claimed.
 */
export function provenanceSources(document: unknown): Map<string, ProvenanceSource> {
  const out = new Map<string, ProvenanceSource>();
  if (typeof document !== 'object' || document === null) return out;
  const { sources, fields } = document as { sources?: unknown; fields?: unknown };
  if (!Array.isArray(sources) || typeof fields !== 'object' || fields === null) return out;
  for (const [field, index] of Object.entries(fields as Record<string, unknown>)) {
    const source: unknown = typeof index === 'number' ? sources[index] : undefined;
    if (isSource(source)) out.set(field, source);
  }
  return out;
}

/** Pure: the stored document back to survivorship's per-field provenance; fields of one source share one object. */
export function decodeProvenance(document: unknown): Partial<Record<Field, Provenance>> {
  const out: Partial<Record<Field, Provenance>> = {};
  if (typeof document !== 'object' || document === null) return out;
  const { sources, fields } = document as { sources?: unknown; fields?: unknown };
  if (!Array.isArray(sources) || typeof fields !== 'object' || fields === null) return out;
  const decoded: (Provenance | null | undefined)[] = [];
  for (const [field, index] of Object.entries(fields as Record<string, unknown>)) {
    if (typeof index !== 'number' || !isField(field)) continue;
    let provenance = decoded[index];
    if (provenance === undefined) {
      const source: unknown = sources[index];
      const eventTime = isSource(source) ? new Date(source.event_time) : null;
      provenance =
        isSource(source) && eventTime && !Number.isNaN(eventTime.getTime())
          ? { platform: source.platform, priority: source.priority, eventTime, eventId: source.event_id }
          : null;
      if (provenance && isSource(source)) storedSource.set(provenance, source);
      decoded[index] = provenance;
    }
    if (provenance) out[field] = provenance;
  }
  return out;
}
