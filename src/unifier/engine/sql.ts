/**
 * The batch engine's statements. Each works on every row of the batch at
 * once, so a batch costs a fixed number of round trips whatever its size.
 * Small inputs come as arrays (unnest); the row-heavy writes take one JSON
 * array of tuples (`rows`), which the client serializes natively and Postgres
 * reads with jsonb_array_elements, or arrive by COPY (copy.ts) where rows are
 * only appended. jsonb, not json: `r->>k` on a json element lexes it again
 * from its start for every column, which made reading 100,000 tuples of 8
 * columns take 1.2 s instead of 0.4 s (measured).
 */

/** Epoch milliseconds (a JSON number) to timestamptz, exactly (no float rounding). */
const msToTimestamp = (expression: string) => `(timestamptz 'epoch' + (${expression})::bigint * interval '1 millisecond')`;

/**
 * Marks the transaction as custsync's own, so the out-of-band audit triggers
 * stay quiet. Every engine lookup is by key and its pages are almost always
 * cached: with the default random_page_cost (4, a spinning disk) the planner
 * preferred scanning all 100,000 customers to probing the index 2,000 times
 * (50 ms against 5 ms per batch, measured).
 */
export const BEGIN_AS_ENGINE = `BEGIN; SELECT set_config('custsync.writer', 'engine', true), set_config('random_page_cost', '1.1', true)`;

/** In CustomerRow's order (rows are read as arrays). */
const CUSTOMER_COLUMNS = `c.id, c.email, lower(c.email) AS email_key, c.address_id,
       c.name, c.customer_id, c.phone_local_code, c.phone_number, c.document_type, c.document_number`;

/**
 * Suppressed (forgotten) emails among the batch's, counting the events they
 * cost ($1: JSON array of [hash, events]). Only hashes are compared; the
 * table never holds an email.
 */
export const COUNT_SUPPRESSED = `
UPDATE custsync.suppressions AS s
   SET dropped = s.dropped + (v.r->>1)::bigint, last_dropped_at = CURRENT_TIMESTAMP
  FROM jsonb_array_elements($1::jsonb) AS v(r)
 WHERE s.email_hash = v.r->>0
RETURNING s.email_hash`;

/** Emails merged into another customer ($1: JSON array of emails). */
export const SELECT_ALIASES = `
SELECT a.email, a.customer_id FROM json_array_elements_text($1::json) AS k(email) JOIN custsync.email_aliases a ON a.email = k.email`;

/*
 * Lookups by key join the keys as a set instead of `col = ANY($1)`: the
 * planner then probes the index once per key. With `= ANY` of a batch's 2,000
 * keys it estimated thousands of rows and scanned the whole table (measured:
 * a sequential scan of 100,000 customers per batch). The keys come as one
 * JSON array, which the client writes natively; a text[] parameter costs an
 * escaping pass per element. Rows are read as arrays (rowMode), in the
 * select list's order.
 */

/** Existing customers of the batch, matched case-insensitively (idx_customers_email_lower), locked in id order. */
export const LOCK_CUSTOMERS_BY_EMAIL = `
SELECT ${CUSTOMER_COLUMNS}
  FROM json_array_elements_text($1::json) AS k(email)
  JOIN customers c ON lower(c.email) = k.email
 ORDER BY c.id
   FOR UPDATE OF c`;

/** Customers that merged emails (aliases) point to, locked in id order. */
export const LOCK_CUSTOMERS_BY_ID = `
SELECT ${CUSTOMER_COLUMNS}
  FROM json_array_elements_text($1::json) AS k(id)
  JOIN customers c ON c.id = k.id::int
 ORDER BY c.id
   FOR UPDATE OF c`;

export const LOCK_ADDRESSES = `
SELECT a.id, a.address, a.number, a.complement, a.neighborhood, a.city, a.state, a.zip_code, a.country, a.ip
  FROM json_array_elements_text($1::json) AS k(id)
  JOIN addresses a ON a.id = k.id::int
 ORDER BY a.id
   FOR UPDATE OF a`;

/**
 * The locked customers' provenance. A statement of its own, started after
 * every lock is held: a hand edit we waited for changed it in its transaction.
 */
export const SELECT_STATE = `
SELECT s.customer_id, s.provenance
  FROM json_array_elements_text($1::json) AS k(id)
  JOIN custsync.customer_state s ON s.customer_id = k.id::int`;

/** Ids for the batch's new main addresses and new customers, so every row can be written without reading one back. */
export const ALLOCATE_IDS = `
SELECT ARRAY(SELECT nextval(s.seq)::int FROM (SELECT pg_get_serial_sequence('addresses', 'id')::regclass AS seq) s, generate_series(1, $1::int)) AS addresses,
       ARRAY(SELECT nextval(s.seq)::int FROM (SELECT pg_get_serial_sequence('customers', 'id')::regclass AS seq) s, generate_series(1, $2::int)) AS customers`;

export const ADDRESS_COPY_TARGET = 'addresses (id, address, number, complement, neighborhood, city, state, zip_code, country, ip)';
export const CUSTOMER_COPY_TARGET = 'customers (id, email, name, customer_id, address_id, phone_local_code, phone_number, document_type, document_number)';
export const AUDIT_COPY_TARGET = 'customer_logs (customer_id, field_name, old_value, new_value, changed_by, reason)';
export const STATE_COPY_TARGET = 'custsync.customer_state (customer_id, last_seen_at, last_seen_platform, provenance)';

/** The INSERT twins of the COPY targets, for `append: 'insert'` (the benchmark measures both). */
export const INSERT_ADDRESSES = `
INSERT INTO addresses (id, address, number, complement, neighborhood, city, state, zip_code, country, ip)
SELECT (r->>0)::int, r->>1, r->>2, r->>3, r->>4, r->>5, r->>6, r->>7, r->>8, r->>9
  FROM jsonb_array_elements($1::jsonb) AS r`;

/** Sorted by email, so two engines inserting the same emails queue on the first one instead of deadlocking. */
export const INSERT_CUSTOMERS = `
INSERT INTO customers (id, email, name, customer_id, address_id, phone_local_code, phone_number, document_type, document_number)
SELECT (r->>0)::int, r->>1, r->>2, r->>3, (r->>4)::int, r->>5, r->>6, r->>7, r->>8
  FROM jsonb_array_elements($1::jsonb) AS r
 ORDER BY 2`;

/** Audit rows in application order, so ids follow the order changes happened. */
export const INSERT_CUSTOMER_LOGS = `
INSERT INTO customer_logs (customer_id, field_name, old_value, new_value, changed_by, reason)
SELECT (r->>0)::int, r->>1, r->>2, r->>3, r->>4, r->>5
  FROM jsonb_array_elements($1::jsonb) AS r`;

/**
 * State rows: $1, a JSON array of [id, last seen (epoch ms), its platform,
 * provenance] with the provenance document as a JSON string (null: unchanged,
 * keep the stored one): a string, so Postgres unescapes it instead of parsing
 * it as part of the tuple, and stores it as written.
 */
const STATE_ROWS = `(SELECT (r->>0)::int AS customer_id, (r->>1)::bigint AS last_seen_ms, r->>2 AS last_seen_platform, (r->>3)::json AS provenance
    FROM jsonb_array_elements($1::jsonb) AS r) AS v`;
const LAST_SEEN = msToTimestamp('v.last_seen_ms');

export const INSERT_STATE = `
INSERT INTO custsync.customer_state (customer_id, last_seen_at, last_seen_platform, provenance)
SELECT v.customer_id, ${LAST_SEEN}, v.last_seen_platform, v.provenance
  FROM ${STATE_ROWS}`;

export const UPDATE_ADDRESSES = `
UPDATE addresses AS a
   SET address = v.address, number = v.number, complement = v.complement, neighborhood = v.neighborhood,
       city = v.city, state = v.state, zip_code = v.zip_code, country = v.country, ip = v.ip,
       updated_at = CURRENT_TIMESTAMP
  FROM (SELECT (r->>0)::int AS id, r->>1 AS address, r->>2 AS number, r->>3 AS complement, r->>4 AS neighborhood,
               r->>5 AS city, r->>6 AS state, r->>7 AS zip_code, r->>8 AS country, r->>9 AS ip
          FROM jsonb_array_elements($1::jsonb) AS r) AS v
 WHERE a.id = v.id`;

export const UPDATE_CUSTOMERS = `
UPDATE customers AS c
   SET name = v.name, customer_id = v.customer_id, address_id = v.address_id,
       phone_local_code = v.phone_local_code, phone_number = v.phone_number,
       document_type = v.document_type, document_number = v.document_number,
       updated_at = CURRENT_TIMESTAMP
  FROM (SELECT (r->>0)::int AS id, r->>1 AS name, r->>2 AS customer_id, (r->>3)::int AS address_id,
               r->>4 AS phone_local_code, r->>5 AS phone_number, r->>6 AS document_type, r->>7 AS document_number
          FROM jsonb_array_elements($1::jsonb) AS r) AS v
 WHERE c.id = v.id`;

/**
 * The state rows of existing customers that have one: provenance where it
 * changed (null keeps the stored one) and last seen, which only moves
 * forward. A row that would not change is not written (a replayed webhook).
 * Rows `[id, last seen ms, platform, provenance]`.
 */
export const UPDATE_STATE = `
UPDATE custsync.customer_state AS s
   SET provenance = coalesce(v.provenance, s.provenance),
       last_seen_at = GREATEST(s.last_seen_at, ${LAST_SEEN}),
       last_seen_platform = CASE WHEN s.last_seen_at IS NULL OR ${LAST_SEEN} > s.last_seen_at
                                 THEN v.last_seen_platform ELSE s.last_seen_platform END,
       updated_at = CASE WHEN v.provenance IS NULL THEN s.updated_at ELSE CURRENT_TIMESTAMP END
  FROM ${STATE_ROWS}
 WHERE s.customer_id = v.customer_id
   AND (v.provenance IS NOT NULL OR s.last_seen_at IS NULL OR ${LAST_SEEN} > s.last_seen_at)`;

/**
 * State rows for customers that had none (they predate custsync); a hand
 * edit of their address may have created one meanwhile.
 */
export const UPSERT_STATE = `
INSERT INTO custsync.customer_state AS s (customer_id, last_seen_at, last_seen_platform, provenance)
SELECT v.customer_id, ${LAST_SEEN}, v.last_seen_platform, v.provenance
  FROM ${STATE_ROWS}
ON CONFLICT (customer_id) DO UPDATE
   SET provenance = coalesce(EXCLUDED.provenance, s.provenance),
       last_seen_at = GREATEST(s.last_seen_at, EXCLUDED.last_seen_at),
       last_seen_platform = CASE WHEN s.last_seen_at IS NULL OR EXCLUDED.last_seen_at > s.last_seen_at
                                 THEN EXCLUDED.last_seen_platform ELSE s.last_seen_platform END,
       updated_at = CURRENT_TIMESTAMP`;

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
