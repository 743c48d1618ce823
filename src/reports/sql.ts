import { lastActivity } from '../privacy/sql.js';

/**
 * One query per report. The change analysis, geography and inactivity
 * queries start from the seed's (domain_customers_ecosystem_001); the data
 * health ones read custsync's own bookkeeping.
 *
 * Pseudonymized customers (`deleted_<md5>@anonymous.com`) are left out where
 * their deliberately emptied values would distort the answer (completeness,
 * value sources, inactivity) and counted where they are still customers
 * (geography). Blank strings count as missing, as they do for survivorship.
 */

/** Most frequently changed fields (may indicate problems in initial collection). */
export const CHANGES_BY_FIELD = `
SELECT field_name, count(*) AS change_count
  FROM customer_logs
 GROUP BY field_name
 ORDER BY change_count DESC, field_name`;

/** Changes by origin: platforms, operators, database users. */
export const CHANGES_BY_ORIGIN = `
SELECT changed_by, count(*) AS change_count
  FROM customer_logs
 GROUP BY changed_by
 ORDER BY change_count DESC, changed_by NULLS LAST`;

/** Changes per calendar day in time zone $1, newest first. */
export const CHANGES_BY_DAY = `
SELECT to_char(date_trunc('day', created_at AT TIME ZONE $1::text), 'YYYY-MM-DD') AS change_date,
       count(*) AS daily_changes
  FROM customer_logs
 GROUP BY 1
 ORDER BY 1 DESC`;

/**
 * Share of (non-pseudonymized) customers with a value in each value column of
 * customers and their main address. One row per column even when there are
 * no customers.
 */
export const COMPLETENESS = `
WITH counts AS (
  SELECT count(*) AS total,
         count(nullif(btrim(c.email), '')) AS email,
         count(nullif(btrim(c.name), '')) AS name,
         count(nullif(btrim(c.customer_id), '')) AS customer_id,
         count(nullif(btrim(c.phone_local_code), '')) AS phone_local_code,
         count(nullif(btrim(c.phone_number), '')) AS phone_number,
         count(nullif(btrim(c.document_type), '')) AS document_type,
         count(nullif(btrim(c.document_number), '')) AS document_number,
         count(nullif(btrim(a.address), '')) AS address,
         count(nullif(btrim(a.number), '')) AS number,
         count(nullif(btrim(a.complement), '')) AS complement,
         count(nullif(btrim(a.neighborhood), '')) AS neighborhood,
         count(nullif(btrim(a.city), '')) AS city,
         count(nullif(btrim(a.state), '')) AS state,
         count(nullif(btrim(a.zip_code), '')) AS zip_code,
         count(nullif(btrim(a.country), '')) AS country,
         count(nullif(btrim(a.ip), '')) AS ip
    FROM customers c
    LEFT JOIN addresses a ON a.id = c.address_id
   WHERE coalesce(c.email, '') NOT LIKE 'deleted\\_%@anonymous.com'
)
SELECT f.field, f.filled, counts.total AS customers,
       CASE WHEN counts.total = 0 THEN NULL ELSE round(100.0 * f.filled / counts.total, 2) END AS percentage
  FROM counts
 CROSS JOIN LATERAL (VALUES
         (1, 'email', counts.email), (2, 'name', counts.name), (3, 'customer_id', counts.customer_id),
         (4, 'phone_local_code', counts.phone_local_code), (5, 'phone_number', counts.phone_number),
         (6, 'document_type', counts.document_type), (7, 'document_number', counts.document_number),
         (8, 'address', counts.address), (9, 'number', counts.number), (10, 'complement', counts.complement),
         (11, 'neighborhood', counts.neighborhood), (12, 'city', counts.city), (13, 'state', counts.state),
         (14, 'zip_code', counts.zip_code), (15, 'country', counts.country), (16, 'ip', counts.ip)
       ) AS f(ord, field, filled)
 ORDER BY f.ord`;

/**
 * Who set each current value (custsync.field_provenance), per field: count
 * and share of that field's current values. Hand edits show as `sql:<user>`,
 * operator edits as `operator:<name>`; a NULL platform is a value nobody
 * claimed (written before custsync).
 */
export const VALUE_SOURCES = `
WITH current_values AS (
  SELECT c.id AS customer_id, v.ord, v.field
    FROM customers c
    LEFT JOIN addresses a ON a.id = c.address_id
   CROSS JOIN LATERAL (VALUES
           (1, 'name', c.name), (2, 'customer_id', c.customer_id), (3, 'phone_local_code', c.phone_local_code),
           (4, 'phone_number', c.phone_number), (5, 'document_type', c.document_type),
           (6, 'document_number', c.document_number), (7, 'address', a.address), (8, 'number', a.number),
           (9, 'complement', a.complement), (10, 'neighborhood', a.neighborhood), (11, 'city', a.city),
           (12, 'state', a.state), (13, 'zip_code', a.zip_code), (14, 'country', a.country), (15, 'ip', a.ip)
         ) AS v(ord, field, value)
   WHERE coalesce(c.email, '') NOT LIKE 'deleted\\_%@anonymous.com'
     AND btrim(v.value) <> ''
)
SELECT cv.field, p.platform, count(*) AS value_count,
       round(100.0 * count(*) / sum(count(*)) OVER (PARTITION BY cv.field), 2) AS percentage
  FROM current_values cv
  LEFT JOIN custsync.field_provenance p ON p.customer_id = cv.customer_id AND p.field = cv.field
 GROUP BY cv.ord, cv.field, p.platform
 ORDER BY cv.ord, value_count DESC, p.platform NULLS LAST`;

/** Invalid optional values the unifier dropped (the rest of each record was applied). */
export const DROPPED_VALUES = `
SELECT reason, field, platform, count, last_at
  FROM custsync.dropped_values
 ORDER BY reason, count DESC, field, platform`;

/** Messages sent to the dead-letter topic, as counted by the unifier. */
export const DEAD_LETTERS = `
SELECT reason, platform, count, last_at
  FROM custsync.dead_letter_counts
 ORDER BY reason, count DESC, platform`;

/**
 * Customers with no activity in $1 days, longest idle first; at most $2 rows
 * (NULL: all). Activity is the later of the last change and the last event
 * any source sent (a webhook repeating unchanged data counts).
 */
export const INACTIVE = `
SELECT c.id, c.email, c.updated_at, s.last_seen_at,
       floor(extract(epoch FROM now() - ${lastActivity('c', 's')}) / 86400)::int AS days_inactive
  FROM customers c
  LEFT JOIN custsync.customer_state s ON s.customer_id = c.id
 WHERE ${lastActivity('c', 's')} < now() - make_interval(days => $1::int)
   AND coalesce(c.email, '') NOT LIKE 'deleted\\_%@anonymous.com'
 ORDER BY ${lastActivity('c', 's')}, c.id
 LIMIT $2::bigint`;

/** Customers by country of their main address (NULL: no address or no country). */
export const GEO_BY_COUNTRY = `
SELECT a.country, count(c.id) AS customer_count,
       round(100.0 * count(c.id) / sum(count(c.id)) OVER (), 2) AS percentage
  FROM customers c
  LEFT JOIN addresses a ON a.id = c.address_id
 GROUP BY a.country
 ORDER BY customer_count DESC, a.country NULLS LAST`;

export const GEO_BY_STATE = `
SELECT a.country, a.state, count(c.id) AS customer_count,
       round(100.0 * count(c.id) / sum(count(c.id)) OVER (), 2) AS percentage
  FROM customers c
  LEFT JOIN addresses a ON a.id = c.address_id
 GROUP BY a.country, a.state
 ORDER BY customer_count DESC, a.country NULLS LAST, a.state NULLS LAST`;

export const GEO_BY_CITY = `
SELECT a.country, a.state, a.city, count(c.id) AS customer_count,
       round(100.0 * count(c.id) / sum(count(c.id)) OVER (), 2) AS percentage
  FROM customers c
  LEFT JOIN addresses a ON a.id = c.address_id
 GROUP BY a.country, a.state, a.city
 ORDER BY customer_count DESC, a.country NULLS LAST, a.state NULLS LAST, a.city NULLS LAST`;

/* `custsync duplicates`: candidate pairs of customers, for an operator to merge (src/unifier/merge/). */

/** Lets the `%` operator (and so idx_customers_name_trgm) use the requested threshold, for this transaction. */
export const SET_SIMILARITY_THRESHOLD = `SELECT set_config('pg_trgm.similarity_threshold', $1::text, true)`;

/**
 * Candidate pairs of different customers (lower id first), pseudonymized
 * ones excluded: same document (type and number), same phone (local code and
 * number), or names at least $1 similar (pg_trgm) with the same zip code.
 * Each kind of evidence has a weight ($2 document, $3 phone, $4 name, the
 * latter times the similarity); a pair's score combines its evidence as
 * independent signals, 1 - Π(1 - weight), so more evidence ranks higher and
 * a shared document alone is certain. Computed in numeric, so 0.625 × 0.7
 * rounds to 0.438 as an operator expects, not to float noise. Best $5 pairs.
 */
export const FIND_DUPLICATES = `
WITH live AS NOT MATERIALIZED (
  SELECT c.id, c.name, c.phone_local_code, c.phone_number, c.document_type, c.document_number, a.zip_code
    FROM customers c
    LEFT JOIN addresses a ON a.id = c.address_id
   WHERE coalesce(c.email, '') NOT LIKE 'deleted\\_%@anonymous.com'
),
evidence AS (
  SELECT x.id AS id_a, y.id AS id_b, 'document' AS kind, NULL::real AS similarity
    FROM live x
    JOIN live y ON y.document_number = x.document_number AND y.document_type IS NOT DISTINCT FROM x.document_type AND x.id < y.id
   WHERE btrim(x.document_number) <> ''
  UNION ALL
  SELECT x.id, y.id, 'phone', NULL
    FROM live x
    JOIN live y ON y.phone_number = x.phone_number AND y.phone_local_code IS NOT DISTINCT FROM x.phone_local_code AND x.id < y.id
   WHERE btrim(x.phone_number) <> ''
  UNION ALL
  SELECT x.id, y.id, 'name', similarity(x.name, y.name)
    FROM live x
    JOIN live y ON y.zip_code = x.zip_code AND x.id < y.id AND y.name % x.name
   WHERE btrim(x.zip_code) <> '' AND similarity(x.name, y.name) >= $1::real
),
pairs AS (
  SELECT id_a, id_b,
         bool_or(kind = 'document') AS same_document,
         bool_or(kind = 'phone') AS same_phone,
         max(similarity) AS similarity
    FROM evidence
   GROUP BY id_a, id_b
),
scored AS (
  SELECT p.*,
         round(1 - (1 - CASE WHEN p.same_document THEN $2::numeric ELSE 0 END)
                 * (1 - CASE WHEN p.same_phone THEN $3::numeric ELSE 0 END)
                 * (1 - coalesce(p.similarity::numeric, 0) * $4::numeric), 3) AS score
    FROM pairs p
)
SELECT s.score, s.id_a, a.email AS email_a, a.name AS name_a, s.id_b, b.email AS email_b, b.name AS name_b,
       s.same_document, s.same_phone, round(s.similarity::numeric, 3) AS name_similarity
  FROM scored s
  JOIN customers a ON a.id = s.id_a
  JOIN customers b ON b.id = s.id_b
 ORDER BY s.score DESC, s.id_a, s.id_b
 LIMIT $5::bigint`;
