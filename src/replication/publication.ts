import { CustsyncError } from '../runtime/errors.js';
import { checkReplicationName } from './names.js';
import type { Queryable, TableRef } from './slots.js';

/**
 * What logical replication needs from the server and the tables: wal_level,
 * the REPLICATION privilege, full replica identity, a publication. Every
 * failure is a clear, typed error.
 */

function quoteIdent(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}

function qualified(ref: TableRef): string {
  return `${quoteIdent(ref.schema)}.${quoteIdent(ref.table)}`;
}

/**
 * Fails with CUSTSYNC_WAL_NOT_LOGICAL unless the server can decode WAL for
 * this role: wal_level = logical, slots available, REPLICATION (or superuser).
 * `hint` is appended to every message (e.g. how to turn the feature off).
 */
export async function checkLogicalReplication(db: Queryable, hint = ''): Promise<{ database: string; user: string }> {
  const { rows } = await db.query<{ wal_level: string; max_slots: number; can_replicate: boolean | null; database: string; user: string }>(
    `SELECT current_setting('wal_level') AS wal_level,
            current_setting('max_replication_slots')::int AS max_slots,
            (SELECT rolreplication OR rolsuper FROM pg_roles WHERE rolname = current_user) AS can_replicate,
            current_database() AS database, current_user AS "user"`,
  );
  const row = rows[0];
  if (!row) throw new CustsyncError('CUSTSYNC_INTERNAL', 'settings query returned no row');
  const tail = hint ? ` ${hint}` : '';
  if (row.wal_level !== 'logical') {
    throw new CustsyncError(
      'CUSTSYNC_WAL_NOT_LOGICAL',
      `wal_level is '${row.wal_level}' on database ${row.database}; logical replication needs 'logical' ` +
        `(set wal_level = logical in postgresql.conf and restart Postgres).${tail}`,
    );
  }
  if (row.max_slots < 1) {
    throw new CustsyncError('CUSTSYNC_WAL_NOT_LOGICAL', `max_replication_slots is 0 on database ${row.database}; raise it and restart Postgres.${tail}`);
  }
  if (row.can_replicate !== true) {
    throw new CustsyncError(
      'CUSTSYNC_WAL_NOT_LOGICAL',
      `role ${row.user} may not use replication slots (ALTER ROLE ${quoteIdent(row.user)} REPLICATION).${tail}`,
    );
  }
  return { database: row.database, user: row.user };
}

/** Fails unless every table logs full before-images (REPLICA IDENTITY FULL). */
export async function checkReplicaIdentityFull(db: Queryable, tables: readonly TableRef[]): Promise<void> {
  const { rows } = await db.query<{ schema: string; table: string; identity: string | null }>(
    `SELECT t.schema, t.table, c.relreplident AS identity
       FROM unnest($1::text[], $2::text[]) AS t(schema, "table")
       LEFT JOIN pg_namespace n ON n.nspname = t.schema
       LEFT JOIN pg_class c ON c.relnamespace = n.oid AND c.relname = t.table`,
    [tables.map((t) => t.schema), tables.map((t) => t.table)],
  );
  const wrong = rows.filter((r) => r.identity !== 'f').map((r) => `${r.schema}.${r.table} (${r.identity === null ? 'missing' : `identity '${r.identity}'`})`);
  if (wrong.length > 0) {
    throw new CustsyncError(
      'CUSTSYNC_WAL_NOT_LOGICAL',
      `tables without REPLICA IDENTITY FULL: ${wrong.join(', ')}; updates and deletes would lack full before-images ` +
        '(apply the migrations: custsync migrate)',
    );
  }
}

/** Creates the publication, or adds the tables it lacks; returns the tables added. */
export async function ensurePublication(db: Queryable, name: string, tables: readonly TableRef[]): Promise<TableRef[]> {
  checkReplicationName('publication', name);
  const existing = await db.query<{ all_tables: boolean; ops_ok: boolean }>(
    `SELECT puballtables AS all_tables, (pubinsert AND pubupdate AND pubdelete) AS ops_ok FROM pg_publication WHERE pubname = $1`,
    [name],
  );
  const publication = existing.rows[0];
  if (!publication) {
    try {
      await db.query(`CREATE PUBLICATION ${quoteIdent(name)} FOR TABLE ${tables.map(qualified).join(', ')}`);
      return [...tables];
    } catch (err) {
      // Another instance created it first: fall through to the checks below.
      if ((err as { code?: string }).code !== '42710') throw err;
    }
  } else if (!publication.ops_ok) {
    await db.query(`ALTER PUBLICATION ${quoteIdent(name)} SET (publish = 'insert, update, delete, truncate')`);
  }
  const { rows } = await db.query<{ schema: string; table: string }>(
    `SELECT schemaname AS schema, tablename AS "table" FROM pg_publication_tables WHERE pubname = $1`,
    [name],
  );
  const have = new Set(rows.map((r) => `${r.schema}.${r.table}`));
  const missing = tables.filter((t) => !have.has(`${t.schema}.${t.table}`));
  if (missing.length > 0) await db.query(`ALTER PUBLICATION ${quoteIdent(name)} ADD TABLE ${missing.map(qualified).join(', ')}`);
  return missing;
}

