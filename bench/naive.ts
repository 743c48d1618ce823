import type pg from 'pg';
import { ADDRESS_FIELDS, CUSTOMER_FIELDS } from '../src/contract.js';
import type { NormalizedRecord } from '../src/unifier/normalize/index.js';
import { positionKey } from '../src/unifier/PositionStore.js';
import type { PriorityRules } from '../src/unifier/priorities.js';
import { decodeProvenance, encodeProvenance } from '../src/unifier/provenanceJson.js';
import { emptyValues, foldRecords } from '../src/unifier/survivorship.js';

/**
 * The seed's unify_customer pseudocode taken literally, as a baseline: one
 * transaction per record, one statement per step and per changed field.
 * Same rules (foldRecords), same tables, so the benchmark compares like with like.
 */
export async function applyNaively(client: pg.PoolClient, record: NormalizedRecord, rules: PriorityRules): Promise<number> {
  await client.query(`BEGIN`);
  await client.query(`SELECT set_config('custsync.writer', 'engine', true)`);
  const key = positionKey(record.position);
  if (key) {
    const stored = await client.query<{ next: string }>(
      `SELECT next_ordinal::text AS next FROM custsync.source_positions WHERE stream = $1 AND partition = $2 FOR UPDATE`,
      [key.stream, key.partition],
    );
    if (stored.rows[0] && key.ordinal < BigInt(stored.rows[0].next)) {
      await client.query('COMMIT');
      return 0;
    }
  }
  let created = false;
  let found = await client.query(`SELECT * FROM customers WHERE lower(email) = $1 FOR UPDATE`, [record.email]);
  if (found.rows.length === 0) {
    found = await client.query(`INSERT INTO customers (email) VALUES ($1) RETURNING *`, [record.email]);
    created = true;
  }
  const row = found.rows[0] as Record<string, string | number | null>;
  const id = row.id as number;
  const values = emptyValues();
  for (const f of CUSTOMER_FIELDS) values[f] = row[f] as string | null;
  if (row.address_id !== null) {
    const address = await client.query(`SELECT * FROM addresses WHERE id = $1 FOR UPDATE`, [row.address_id]);
    for (const f of ADDRESS_FIELDS) values[f] = (address.rows[0] as Record<string, string | null>)[f] ?? null;
  }
  const state = await client.query<{ provenance: unknown }>(`SELECT provenance FROM custsync.customer_state WHERE customer_id = $1`, [id]);
  const provenance = decodeProvenance(state.rows[0]?.provenance);
  const result = foldRecords({ email: row.email as string, values, provenance }, [record], rules, { created });
  let addressId = row.address_id as number | null;
  if (ADDRESS_FIELDS.some((f) => result.changed.has(f))) {
    const addressValues = ADDRESS_FIELDS.map((f) => result.state.values[f]);
    if (addressId === null) {
      const inserted = await client.query<{ id: number }>(
        `INSERT INTO addresses (address, number, complement, neighborhood, city, state, zip_code, country, ip) VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9) RETURNING id`,
        addressValues,
      );
      addressId = inserted.rows[0]?.id ?? null;
    } else {
      await client.query(
        `UPDATE addresses SET address=$1, number=$2, complement=$3, neighborhood=$4, city=$5, state=$6, zip_code=$7, country=$8, ip=$9, updated_at=now() WHERE id=$10`,
        [...addressValues, addressId],
      );
    }
  }
  if (result.changed.size > 0) {
    await client.query(
      `UPDATE customers SET name=$1, customer_id=$2, phone_local_code=$3, phone_number=$4, document_type=$5, document_number=$6, address_id=$7, updated_at=now() WHERE id=$8`,
      [...CUSTOMER_FIELDS.map((f) => result.state.values[f]), addressId, id],
    );
  }
  for (const entry of result.audit) {
    await client.query(`INSERT INTO customer_logs (customer_id, field_name, old_value, new_value, changed_by) VALUES ($1,$2,$3,$4,$5)`, [
      id,
      entry.field,
      entry.oldValue,
      entry.newValue,
      entry.changedBy,
    ]);
  }
  await client.query(
    `INSERT INTO custsync.customer_state (customer_id, provenance, last_seen_at, last_seen_platform) VALUES ($1,$2,$3,$4)
     ON CONFLICT (customer_id) DO UPDATE SET provenance = coalesce(EXCLUDED.provenance, customer_state.provenance),
       last_seen_at = GREATEST(customer_state.last_seen_at, EXCLUDED.last_seen_at), last_seen_platform = EXCLUDED.last_seen_platform`,
    [id, result.provenanceChanged.size > 0 ? JSON.stringify(encodeProvenance(result.state.provenance)) : null, record.eventTime, record.platform],
  );
  if (key) {
    await client.query(
      `INSERT INTO custsync.source_positions (stream, partition, next_ordinal) VALUES ($1,$2,$3)
       ON CONFLICT (stream, partition) DO UPDATE SET next_ordinal = EXCLUDED.next_ordinal`,
      [key.stream, key.partition, (key.ordinal + 1n).toString()],
    );
  }
  await client.query('COMMIT');
  return result.audit.length;
}
