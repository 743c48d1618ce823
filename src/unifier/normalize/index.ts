/**
 * Pure normalization of SourceRecords: no I/O, no clock, no shared mutable
 * state (the country-name table is a lazily built cache of a pure
 * computation). The rules are listed in `./README.md`.
 */
export { normalizeRecord } from './record.js';
export { normalizeEmail, type EmailResult } from './email.js';
export {
  DEFAULT_NORMALIZE_OPTIONS,
  type DropReason,
  type DroppedValue,
  type NormalizeOptions,
  type NormalizedRecord,
  type NormalizeResult,
  type RejectReason,
} from './types.js';
