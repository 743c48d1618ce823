/** Statements of `custsync merge`. */

/** Marks the transaction as a merge, so the out-of-band audit triggers stay quiet (the merge audits itself). */
export const BEGIN_AS_MERGE = `BEGIN; SELECT set_config('custsync.writer', 'merge', true)`;

/** Both customers, locked in id order like the batch engine does, as JSON for the snapshot. */
export const LOCK_CUSTOMERS = `
SELECT c.id, to_jsonb(c) AS row FROM customers c WHERE c.id = ANY($1::int[]) ORDER BY c.id FOR UPDATE`;

export const LOCK_ADDRESSES = `
SELECT a.id, to_jsonb(a) AS row FROM addresses a WHERE a.id = ANY($1::int[]) ORDER BY a.id FOR UPDATE`;

export const SELECT_PROVENANCE = `
SELECT to_jsonb(p) AS row FROM custsync.field_provenance p WHERE p.customer_id = ANY($1::int[]) ORDER BY p.customer_id, p.field`;

/** The dropped customer's audit trail moves to the kept customer, field names unchanged. */
export const MOVE_LOGS = `
UPDATE customer_logs SET customer_id = $1 WHERE customer_id = $2 RETURNING id`;

/** Emails merged into the dropped customer earlier now resolve to the kept one. */
export const MOVE_ALIASES = `
UPDATE custsync.email_aliases SET customer_id = $1 WHERE customer_id = $2 RETURNING email`;

/** Both customers' activity, for the snapshot (to_jsonb keeps the microseconds). */
export const SELECT_ACTIVITY = `
SELECT s.customer_id, jsonb_build_object('last_seen_at', s.last_seen_at, 'last_seen_platform', s.last_seen_platform) AS row
  FROM custsync.customer_state s WHERE s.customer_id = ANY($1::int[])`;

/**
 * The kept customer's state after the merge: its provenance from $2 (rows as
 * the field_provenance view shows them, exact to the microsecond) and the
 * later of both customers' last seen ($3 the dropped customer).
 */
export const WRITE_KEPT_STATE = `
INSERT INTO custsync.customer_state AS s (customer_id, provenance, last_seen_at, last_seen_platform)
SELECT $1::int, custsync.provenance_document($2::jsonb), d.last_seen_at, d.last_seen_platform
  FROM (SELECT 1) AS one
  LEFT JOIN custsync.customer_state d ON d.customer_id = $3::int
ON CONFLICT (customer_id) DO UPDATE
   SET provenance = EXCLUDED.provenance,
       last_seen_at = GREATEST(s.last_seen_at, EXCLUDED.last_seen_at),
       last_seen_platform = CASE WHEN s.last_seen_at IS NULL OR EXCLUDED.last_seen_at > s.last_seen_at
                                 THEN EXCLUDED.last_seen_platform ELSE s.last_seen_platform END,
       updated_at = CURRENT_TIMESTAMP`;

export const UPDATE_ADDRESS = `
UPDATE addresses
   SET address = $2, number = $3, complement = $4, neighborhood = $5, city = $6, state = $7,
       zip_code = $8, country = $9, ip = $10, updated_at = CURRENT_TIMESTAMP
 WHERE id = $1`;

export const INSERT_ADDRESS = `
INSERT INTO addresses (address, number, complement, neighborhood, city, state, zip_code, country, ip)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
RETURNING id`;

/** Always run, even when no value changes: the kept customer's row changing is what announces the merge downstream. */
export const UPDATE_KEPT_CUSTOMER = `
UPDATE customers
   SET name = $2, customer_id = $3, phone_local_code = $4, phone_number = $5, document_type = $6,
       document_number = $7, address_id = $8, updated_at = CURRENT_TIMESTAMP
 WHERE id = $1`;

export const INSERT_LOGS = `
INSERT INTO customer_logs (customer_id, field_name, old_value, new_value, changed_by, reason)
SELECT * FROM unnest($1::int[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[])
RETURNING id`;

/** Its state row goes with it (the cleanup trigger); its logs and aliases were moved before. */
export const DELETE_CUSTOMER = `DELETE FROM customers WHERE id = $1`;

/** The dropped customer's address, unless someone else still points at it. */
export const DELETE_ORPHAN_ADDRESS = `
DELETE FROM addresses a WHERE a.id = $1 AND NOT EXISTS (SELECT 1 FROM customers c WHERE c.address_id = a.id)`;

/** Later events for the dropped email land on the kept customer (the batch engine resolves aliases). */
export const ADD_ALIAS = `
INSERT INTO custsync.email_aliases (email, customer_id, reason)
VALUES (lower(btrim($1)), $2, $3)
ON CONFLICT (email) DO UPDATE
   SET customer_id = EXCLUDED.customer_id, reason = EXCLUDED.reason, created_at = CURRENT_TIMESTAMP`;
