import { ALL_FIELDS, FIELD_MAX_LENGTH, isCustomerField, type Field } from '../../contract.js';
import type { SourceRecord } from '../../contract.js';
import { fitsColumn, hasLoneSurrogate, hasNul, isEmptyValue } from './text.js';
import type { DropReason, DroppedValue } from './types.js';

export type PairOutcome = { ok: true; values: readonly [string, string] } | { ok: false; reason: DropReason };

/**
 * The values and drops of one record being normalized. Screens the raw values
 * first (empty → absent; NUL or unpaired surrogate → dropped), then enforces
 * the column widths on everything set. Local to one `normalizeRecord` call.
 */
export class Collector {
  /** Non-empty raw values that passed screening, as the source sent them. */
  readonly raw: Partial<Record<Field, string>> = {};
  readonly values: Partial<Record<Field, string>> = {};
  readonly dropped: DroppedValue[] = [];

  constructor(record: SourceRecord) {
    for (const field of ALL_FIELDS) {
      const value = isCustomerField(field) ? record.customer[field] : record.address[field];
      if (isEmptyValue(value)) continue;
      if (hasNul(value)) this.drop(field, 'nul_byte');
      else if (hasLoneSurrogate(value)) this.drop(field, 'invalid_unicode');
      else this.raw[field] = value;
    }
  }

  drop(field: Field, reason: DropReason): void {
    this.dropped.push({ field, reason });
  }

  /** Stores a normalized value, or drops it as `too_long`; `undefined` means invalid: dropped as `invalid`. */
  set(field: Field, value: string | undefined, invalid?: DropReason): void {
    if (value === undefined) {
      if (invalid !== undefined) this.drop(field, invalid);
    } else if (!fitsColumn(value, FIELD_MAX_LENGTH[field])) {
      this.drop(field, 'too_long');
    } else if (value !== '') {
      this.values[field] = value;
    }
  }

  /**
   * Two columns that only mean something together (DDD + number, type +
   * number): both are stored, or every provided member is dropped with the
   * reason of the failure, including a member dropped earlier in screening.
   */
  setPair(fields: readonly [Field, Field], normalize: () => PairOutcome): void {
    const present = fields.filter((field) => this.raw[field] !== undefined);
    const earlier = this.dropped.find((entry) => fields.includes(entry.field));
    if (earlier === undefined && present.length === 0) return;
    const outcome: PairOutcome = earlier === undefined ? normalize() : { ok: false, reason: earlier.reason };
    const fits = outcome.ok && fields.every((field, i) => fitsColumn(outcome.values[i] ?? '', FIELD_MAX_LENGTH[field]));
    if (outcome.ok && fits) {
      fields.forEach((field, i) => this.set(field, outcome.values[i]));
    } else {
      for (const field of present) this.drop(field, outcome.ok ? 'too_long' : outcome.reason);
    }
  }
}
