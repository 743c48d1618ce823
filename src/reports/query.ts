import pg from 'pg';
import type { Tabular } from './format.js';

const INT8_OID = 20;
const NUMERIC_OID = 1700;

/**
 * Counts (bigint) and percentages (numeric) as JS numbers, for this query
 * only: pg's global default keeps them as strings, which the rest of custsync
 * relies on. Report counts stay far below 2^53.
 */
const REPORT_TYPES: pg.CustomTypesConfig = {
  getTypeParser: ((oid: number, format?: 'text' | 'binary') => {
    if (oid === INT8_OID || oid === NUMERIC_OID) return (value: string) => Number(value);
    return format === 'binary' ? pg.types.getTypeParser(oid, 'binary') : pg.types.getTypeParser(oid);
  }) as pg.CustomTypesConfig['getTypeParser'],
};

export interface Queryable {
  query: pg.Pool['query'];
}

/** Runs one query and returns its columns (in order, also with no rows) and rows. */
export async function queryTabular(db: Queryable, sql: string, params: readonly unknown[]): Promise<Tabular> {
  const result = await db.query<Record<string, unknown>>({ text: sql, values: [...params], types: REPORT_TYPES });
  return { columns: result.fields.map((f) => f.name), rows: result.rows };
}
