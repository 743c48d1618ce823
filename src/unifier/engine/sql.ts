/**
 * The batch engine's statements. Each works on every row of the batch at
 * once, so a batch costs a fixed number of round trips whatever its size.
 * Small inputs come as arrays (unnest); the row-heavy writes take one JSON
 * array of tuples (`rows`), which the client serializes natively and Postgres
 * reads with json_array_elements — several times cheaper for the client than
 * escaping every element of a dozen text arrays.
 */

/** Epoch milliseconds (a JSON number) to timestamptz, exactly (no float rounding). */
const msToTimestamp = (expression: string) => `(timestamptz 'epoch' + (${expression})::bigint * interval '1 millisecond')`;

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
SELECT r->>0, r->>1, r->>2, (r->>3)::int, r->>4, r->>5, r->>6, r->>7
  FROM json_array_elements($1::json) AS r
 ORDER BY 1
ON CONFLICT (email) DO NOTHING
RETURNING id, email`;

export const LOCK_ADDRESSES = `
SELECT id, address, number, complement, neighborhood, city, state, zip_code, country, ip
  FROM addresses
 WHERE id = ANY($1::int[])
 ORDER BY id
   FOR UPDATE`;

/** Event times come as epoch milliseconds: numbers parse far cheaper than timestamps. */
export const SELECT_PROVENANCE = `
SELECT customer_id, field, platform, priority, (extract(epoch FROM event_time) * 1000)::float8 AS event_ms, event_id
  FROM custsync.field_provenance
 WHERE customer_id = ANY($1::int[])`;

export const ALLOCATE_ADDRESS_IDS = `
SELECT nextval(pg_get_serial_sequence('addresses', 'id'))::int AS id FROM generate_series(1, $1::int)`;

/** New main addresses (ids allocated beforehand) and changed ones, in one statement. */
export const UPSERT_ADDRESSES = `
INSERT INTO addresses AS a (id, address, number, complement, neighborhood, city, state, zip_code, country, ip)
SELECT (r->>0)::int, r->>1, r->>2, r->>3, r->>4, r->>5, r->>6, r->>7, r->>8, r->>9
  FROM json_array_elements($1::json) AS r
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
  FROM (SELECT (r->>0)::int AS id, r->>1 AS name, r->>2 AS customer_id, (r->>3)::int AS address_id,
               r->>4 AS phone_local_code, r->>5 AS phone_number, r->>6 AS document_type, r->>7 AS document_number
          FROM json_array_elements($1::json) AS r) AS v
 WHERE c.id = v.id`;

/** Audit rows in application order, so ids follow the order changes happened. */
export const INSERT_CUSTOMER_LOGS = `
INSERT INTO customer_logs (customer_id, field_name, old_value, new_value, changed_by, reason)
SELECT (r->>0)::int, r->>1, r->>2, r->>3, r->>4, r->>5
  FROM json_array_elements($1::json) AS r`;

/** Provenance of the customers the batch creates: nothing to conflict with. */
export const INSERT_PROVENANCE = `
INSERT INTO custsync.field_provenance (customer_id, field, platform, priority, event_time, event_id)
SELECT (r->>0)::int, r->>1, r->>2, (r->>3)::int, ${msToTimestamp("r->>4")}, r->>5
  FROM json_array_elements($1::json) AS r`;

export const UPSERT_PROVENANCE = `
INSERT INTO custsync.field_provenance AS p (customer_id, field, platform, priority, event_time, event_id)
SELECT (r->>0)::int, r->>1, r->>2, (r->>3)::int, ${msToTimestamp("r->>4")}, r->>5
  FROM json_array_elements($1::json) AS r
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
