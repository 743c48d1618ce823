import type { WalSourceConfig } from '../../runtime/config.js';
import { CustsyncError } from '../../runtime/errors.js';
import type { Queryable, TableRef } from '../../replication/slots.js';
import { mappedColumns } from './rowMapping.js';

/** `schema.table` (config always qualifies it) as a reference. */
export function tableRef(qualified: string): TableRef {
  const dot = qualified.indexOf('.');
  return { schema: qualified.slice(0, dot), table: qualified.slice(dot + 1) };
}

export function quoteIdent(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}

export function quoteTable(qualified: string): string {
  const ref = tableRef(qualified);
  return `${quoteIdent(ref.schema)}.${quoteIdent(ref.table)}`;
}

/**
 * Fails (CUSTSYNC_CONFIG_INVALID, naming the config key) unless every
 * configured table and mapped column exists in the source database.
 */
export async function checkSourceTables(db: Queryable, source: WalSourceConfig, index: number): Promise<void> {
  const { rows } = await db.query<{ qualified: string; column_name: string }>(
    `SELECT table_schema || '.' || table_name AS qualified, column_name::text
       FROM information_schema.columns WHERE table_schema || '.' || table_name = ANY($1::text[])`,
    [source.tables.map((t) => t.table)],
  );
  const columnsOf = new Map<string, Set<string>>();
  for (const row of rows) columnsOf.set(row.qualified, (columnsOf.get(row.qualified) ?? new Set()).add(row.column_name));
  const problems: string[] = [];
  source.tables.forEach((table, tableIndex) => {
    const key = `walSources[${index}].tables[${tableIndex}]`;
    const have = columnsOf.get(table.table);
    if (!have) {
      problems.push(`${key}.table: no table ${table.table} in the source database (or no privilege to read it)`);
      return;
    }
    for (const column of mappedColumns(table)) {
      if (!have.has(column)) problems.push(`${key}: no column "${column}" in ${table.table}`);
    }
  });
  if (problems.length > 0) throw new CustsyncError('CUSTSYNC_CONFIG_INVALID', `WAL source ${source.name}: ${problems.join('; ')}`);
}

/** Drops a slot an interrupted snapshot left behind (its exported snapshot died with the connection). */
export async function dropLeftoverSlot(db: Queryable, slotName: string): Promise<void> {
  await db.query(`SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots WHERE slot_name = $1`, [slotName]);
}
