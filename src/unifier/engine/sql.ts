/**
 * The batch engine's statements. Each takes whole columns as arrays and works
 * on every row of the batch at once (unnest), so a batch costs a fixed number
 * of round trips whatever its size.
 */

/** Marks the transaction as custsync's own, so the out-of-band audit triggers stay quiet. */
export const BEGIN_AS_ENGINE = `BEGIN; SELECT set_config('custsync.writer', 'engine', true)`;

/**
 * Creates missing position rows and locks all of the batch's, in key order,
 * returning the stored positions. A zombie consumer holding the same
 * partition after a rebalance waits here, then sees the other's progress.
 */
export const LOCK_POSITIONS = `
INSERT INTO custsync.source_positions AS p (stream, partition, next_ordinal)
SELECT stream, partition, 0 FROM unnest($1::text[], $2::int[]) AS v(stream, partition)
ORDER BY stream, partition
ON CONFLICT (stream, partition) DO UPDATE SET next_ordinal = p.next_ordinal
RETURNING stream, partition, next_ordinal::text`;

export const ADVANCE_POSITIONS = `
UPDATE custsync.source_positions AS p
   SET next_ordinal = GREATEST(p.next_ordinal, v.next), updated_at = CURRENT_TIMESTAMP
  FROM unnest($1::text[], $2::int[], $3::bigint[]) AS v(stream, partition, next)
 WHERE p.stream = v.stream AND p.partition = v.partition`;

const CUSTOMER_COLUMNS = `id, email, lower(email) AS email_key, name, customer_id, address_id,
       phone_local_code, phone_number, document_type, document_number`;

/**
 * Suppressed (forgotten) emails among the batch's, counting the events they
 * cost. Only hashes are compared; the table never holds an email.
 */
export const COUNT_SUPPRESSED = `
UPDATE custsync.suppressions AS s
   SET dropped = s.dropped + v.n, last_dropped_at = CURRENT_TIMESTAMP
  FROM unnest($1::text[], $2::bigint[]) AS v(email_hash, n)
 WHERE s.email_hash = v.email_hash
RETURNING s.email_hash`;

/** Emails merged into another customer. */
export const SELECT_ALIASES = `
SELECT email, customer_id FROM custsync.email_aliases WHERE email = ANY($1::text[])`;

/**
 * Existing customers of the batch, matched case-insensitively
 * (idx_customers_email_lower) or through an alias, locked in id order.
 */
export const LOCK_CUSTOMERS_BY_EMAIL = `
SELECT ${CUSTOMER_COLUMNS}
  FROM customers
 WHERE lower(email) = ANY($1::text[]) OR id = ANY($2::int[])
 ORDER BY id
   FOR UPDATE`;

/**
 * Inserts the customers the batch creates, with their folded values. Sorted
 * so two engines inserting the same emails queue on the first one instead of
 * deadlocking. An email another engine committed meanwhile is skipped (not
 * returned): the engine then retries the batch, which finds it existing.
 */
export const INSERT_CUSTOMERS = `
INSERT INTO customers (email, name, customer_id, address_id, phone_local_code, phone_number, document_type, document_number)
SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::int[], $5::text[], $6::text[], $7::text[], $8::text[])
 ORDER BY 1
ON CONFLICT (email) DO NOTHING
RETURNING id, email`;

export const LOCK_ADDRESSES = `
SELECT id, address, number, complement, neighborhood, city, state, zip_code, country, ip
  FROM addresses
 WHERE id = ANY($1::int[])
 ORDER BY id
   FOR UPDATE`;

export const SELECT_PROVENANCE = `
SELECT customer_id, field, platform, priority, event_time, event_id
  FROM custsync.field_provenance
 WHERE customer_id = ANY($1::int[])`;

export const ALLOCATE_ADDRESS_IDS = `
SELECT nextval(pg_get_serial_sequence('addresses', 'id'))::int AS id FROM generate_series(1, $1::int)`;

/** New main addresses (ids allocated beforehand) and changed ones, in one statement. */
export const UPSERT_ADDRESSES = `
INSERT INTO addresses AS a (id, address, number, complement, neighborhood, city, state, zip_code, country, ip)
SELECT * FROM unnest($1::int[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[],
                     $7::text[], $8::text[], $9::text[], $10::text[])
ON CONFLICT (id) DO UPDATE
   SET address = EXCLUDED.address, number = EXCLUDED.number, complement = EXCLUDED.complement,
       neighborhood = EXCLUDED.neighborhood, city = EXCLUDED.city, state = EXCLUDED.state,
       zip_code = EXCLUDED.zip_code, country = EXCLUDED.country, ip = EXCLUDED.ip,
       updated_at = CURRENT_TIMESTAMP`;

export const UPDATE_CUSTOMERS = `
UPDATE customers AS c
   SET name = v.name, customer_id = v.customer_id, address_id = v.address_id,
       phone_local_code = v.phone_local_code, phone_number = v.phone_number,
       document_type = v.document_type, document_number = v.document_number,
       updated_at = CURRENT_TIMESTAMP
  FROM unnest($1::int[], $2::text[], $3::text[], $4::int[], $5::text[], $6::text[], $7::text[], $8::text[])
       AS v(id, name, customer_id, address_id, phone_local_code, phone_number, document_type, document_number)
 WHERE c.id = v.id`;

/** Audit rows in application order, so ids follow the order changes happened. */
export const INSERT_CUSTOMER_LOGS = `
INSERT INTO customer_logs (customer_id, field_name, old_value, new_value, changed_by, reason)
SELECT * FROM unnest($1::int[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[])`;

/** Provenance of the customers the batch creates: nothing to conflict with. */
export const INSERT_PROVENANCE = `
INSERT INTO custsync.field_provenance (customer_id, field, platform, priority, event_time, event_id)
SELECT * FROM unnest($1::int[], $2::text[], $3::text[], $4::int[], $5::timestamptz[], $6::text[])`;

export const UPSERT_PROVENANCE = `
INSERT INTO custsync.field_provenance AS p (customer_id, field, platform, priority, event_time, event_id)
SELECT * FROM unnest($1::int[], $2::text[], $3::text[], $4::int[], $5::timestamptz[], $6::text[])
ON CONFLICT (customer_id, field) DO UPDATE
   SET platform = EXCLUDED.platform, priority = EXCLUDED.priority, event_time = EXCLUDED.event_time,
       event_id = EXCLUDED.event_id, updated_at = CURRENT_TIMESTAMP`;

export const COUNT_DROPPED_VALUES = `
INSERT INTO custsync.dropped_values AS d (platform, field, reason, count)
SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::bigint[])
ON CONFLICT (platform, field, reason) DO UPDATE
   SET count = d.count + EXCLUDED.count, last_at = CURRENT_TIMESTAMP`;

/** Dead letters the batch sent, counted with the batch so a redelivery does not count them twice. */
export const COUNT_DEAD_LETTERS = `
INSERT INTO custsync.dead_letter_counts AS d (platform, reason, count)
SELECT * FROM unnest($1::text[], $2::text[], $3::bigint[])
ON CONFLICT (platform, reason) DO UPDATE
   SET count = d.count + EXCLUDED.count, last_at = CURRENT_TIMESTAMP`;
