import { InvalidArgumentError, Option } from 'commander';
import { OUTPUT_FORMATS, type OutputFormat } from '../reports/format.js';

/** Options shared by the commands that print rows (report, duplicates, merge). */

export function formatOption(): Option {
  return new Option('--format <format>', 'output format').choices(OUTPUT_FORMATS).default('table' satisfies OutputFormat);
}

export function revealOption(): Option {
  return new Option('--reveal', 'show emails and other personal values in full (masked by default)').default(false);
}

/** Commander argument parser: an integer ≥ 1 (bad input exits 2 with the option named). */
export function positiveInt(value: string): number {
  if (!/^\d+$/.test(value.trim()) || Number(value) < 1 || !Number.isSafeInteger(Number(value))) {
    throw new InvalidArgumentError('expected a whole number ≥ 1');
  }
  return Number(value);
}

/** Commander argument parser: an integer ≥ 0 (bad input exits 2 with the option named). */
export function nonNegativeInt(value: string): number {
  if (!/^\d+$/.test(value.trim()) || !Number.isSafeInteger(Number(value))) throw new InvalidArgumentError('expected a whole number ≥ 0');
  return Number(value);
}

/** Commander argument parser: a number in (0, 1]. */
export function fraction(value: string): number {
  const n = Number(value);
  if (value.trim() === '' || !Number.isFinite(n) || n <= 0 || n > 1) throw new InvalidArgumentError('expected a number greater than 0 and at most 1');
  return n;
}

/** Commander argument parser: comma-separated ids, each a whole number ≥ 1. */
export function idList(value: string): number[] {
  const parts = value.split(',').map((p) => p.trim());
  if (parts.length === 0 || parts.some((p) => !/^\d+$/.test(p) || Number(p) < 1 || Number(p) > 2_147_483_647)) {
    throw new InvalidArgumentError('expected customer ids separated by commas, e.g. 1,2,3');
  }
  return [...new Set(parts.map(Number))];
}
