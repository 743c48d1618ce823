import type pg from 'pg';
import { maskEmail, maskValue } from '../runtime/mask.js';
import type { Row, Tabular } from './format.js';
import { queryTabular } from './query.js';
import * as SQL from './sql.js';

/** Weight of each kind of evidence (a name match weighs its similarity times this). */
export const EVIDENCE_WEIGHTS = { document: 1.0, phone: 0.8, name: 0.7 } as const;

export interface DuplicateOptions {
  /** Lowest pg_trgm similarity of names (with the same zip code) that counts as evidence. */
  minSimilarity: number;
  limit: number;
}

export const DEFAULT_DUPLICATE_OPTIONS: DuplicateOptions = { minSimilarity: 0.6, limit: 100 };

/** A candidate pair as the query returns it. */
export interface DuplicatePair {
  score: number;
  id_a: number;
  email_a: string | null;
  name_a: string | null;
  id_b: number;
  email_b: string | null;
  name_b: string | null;
  same_document: boolean;
  same_phone: boolean;
  /** Set when the names matched (same zip code, similarity ≥ the threshold). */
  name_similarity: number | null;
}

export const DUPLICATE_COLUMNS = ['score', 'id_a', 'email_a', 'name_a', 'id_b', 'email_b', 'name_b', 'matched', 'name_similarity'] as const;

/** `document, phone, name+zip`: which evidence the pair has. */
export function matchedLabel(pair: Pick<DuplicatePair, 'same_document' | 'same_phone' | 'name_similarity'>): string {
  const parts: string[] = [];
  if (pair.same_document) parts.push('document');
  if (pair.same_phone) parts.push('phone');
  if (pair.name_similarity !== null) parts.push('name+zip');
  return parts.join(', ');
}

function masked(field: 'email' | 'name', value: string | null, reveal: boolean): string | null {
  if (reveal || value === null) return value;
  return field === 'email' ? maskEmail(value) : maskValue(field, value);
}

/** Pairs as printable rows; emails and names masked unless `reveal`. Pure. */
export function duplicateRows(pairs: readonly DuplicatePair[], reveal: boolean): Tabular {
  const rows: Row[] = pairs.map((p) => ({
    score: p.score,
    id_a: p.id_a,
    email_a: masked('email', p.email_a, reveal),
    name_a: masked('name', p.name_a, reveal),
    id_b: p.id_b,
    email_b: masked('email', p.email_b, reveal),
    name_b: masked('name', p.name_b, reveal),
    matched: matchedLabel(p),
    name_similarity: p.name_similarity,
  }));
  return { columns: DUPLICATE_COLUMNS, rows };
}

/** Candidate duplicate pairs, best first. Read-only. */
export async function findDuplicates(pool: pg.Pool, options: DuplicateOptions): Promise<DuplicatePair[]> {
  const client = await pool.connect();
  try {
    await client.query('BEGIN READ ONLY');
    await client.query(SQL.SET_SIMILARITY_THRESHOLD, [options.minSimilarity]);
    const { rows } = await queryTabular(client, SQL.FIND_DUPLICATES, [
      options.minSimilarity,
      EVIDENCE_WEIGHTS.document,
      EVIDENCE_WEIGHTS.phone,
      EVIDENCE_WEIGHTS.name,
      options.limit,
    ]);
    await client.query('COMMIT');
    return rows as unknown as DuplicatePair[];
  } catch (err) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw err;
  } finally {
    client.release();
  }
}
