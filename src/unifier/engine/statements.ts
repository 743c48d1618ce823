import type { PoolClient, QueryResultRow } from 'pg';
import { copyRows, type CopyValue } from './copy.js';

/** A statement as the engine sent it: a query with its parameters, or a COPY with its rows. */
export type CapturedStatement =
  | { name: string; kind: 'query'; sql: string; params: unknown[] }
  | { name: string; kind: 'copy'; target: string; rows: readonly (readonly CopyValue[])[] };

/**
 * Time, calls and rows per engine statement, summed over a run (bench:unifier
 * prints them). With `capture`, it also keeps every statement, per
 * transaction, so the benchmark can replay the writes alone (its raw floor).
 */
export class StatementStats {
  readonly byName = new Map<string, { calls: number; ms: number; rows: number }>();
  readonly transactions: CapturedStatement[][] = [];

  constructor(private readonly capture = false) {}

  /** Where the statements of a new transaction are kept (nowhere without `capture`). */
  beginTransaction(): CapturedStatement[] | undefined {
    if (!this.capture) return undefined;
    const statements: CapturedStatement[] = [];
    this.transactions.push(statements);
    return statements;
  }

  add(name: string, ms: number, rows: number): void {
    const entry = this.byName.get(name) ?? { calls: 0, ms: 0, rows: 0 };
    entry.calls += 1;
    entry.ms += ms;
    entry.rows += rows;
    this.byName.set(name, entry);
  }

  get totalMs(): number {
    let total = 0;
    for (const entry of this.byName.values()) total += entry.ms;
    return total;
  }
}

/**
 * The engine's round trips on one transaction's client, each under a name,
 * timed when stats are collected. `rows` counts what the statement wrote or
 * returned, as Postgres reported it.
 */
export class EngineStatements {
  private readonly captured: CapturedStatement[] | undefined;

  constructor(
    private readonly client: PoolClient,
    private readonly stats: StatementStats | undefined,
  ) {
    this.captured = stats?.beginTransaction();
  }

  async query<R extends QueryResultRow = QueryResultRow>(name: string, sql: string, params?: unknown[]): Promise<R[]> {
    this.captured?.push({ name, kind: 'query', sql, params: params ?? [] });
    const start = this.stats ? performance.now() : 0;
    const result = await this.client.query<R>(sql, params);
    this.stats?.add(name, performance.now() - start, result.rowCount ?? result.rows.length);
    return result.rows;
  }

  /** Rows as arrays of column values, in select-list order: no object per row. */
  async rows(name: string, sql: string, params?: unknown[]): Promise<unknown[][]> {
    this.captured?.push({ name, kind: 'query', sql, params: params ?? [] });
    const start = this.stats ? performance.now() : 0;
    const result = await this.client.query<unknown[]>({ text: sql, values: params, rowMode: 'array' });
    this.stats?.add(name, performance.now() - start, result.rowCount ?? result.rows.length);
    return result.rows;
  }

  async copy(name: string, target: string, rows: readonly (readonly CopyValue[])[]): Promise<void> {
    if (rows.length === 0) return;
    this.captured?.push({ name, kind: 'copy', target, rows });
    const start = this.stats ? performance.now() : 0;
    await copyRows(this.client, target, rows);
    this.stats?.add(name, performance.now() - start, rows.length);
  }
}
