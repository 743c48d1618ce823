/**
 * The privacy statements. Forget and retention work on whole batches of
 * customers (arrays + unnest), so forgetting a file of emails or a retention
 * sweep costs a fixed number of round trips per batch.
 */

/** Marks the transaction as custsync's own, so the hand-edit audit triggers stay quiet. */
export const BEGIN_AS_FORGET = `BEGIN; SELECT set_config('custsync.writer', 'forget', true)`;

/**
 * Waits for unifier batches that already passed their suppression check and
 * holds back new ones until this transaction commits. Without it a batch that
 * checked suppressions just before the commit would find no customer under the
 * old email afterwards and re-create the person. (The engine's check is an
 * UPDATE of custsync.suppressions: ROW EXCLUSIVE, which this mode conflicts
 * with; a blocked statement takes its snapshot after the lock, so it sees the
 * new suppression.) Self-conflicting too: forget transactions run one at a time.
 */
export const LOCK_SUPPRESSIONS = `LOCK TABLE custsync.suppressions IN SHARE ROW EXCLUSIVE MODE`;

export const SELECT_ALIASES_BY_EMAIL = `
SELECT email, customer_id FROM custsync.email_aliases WHERE email = ANY($1::text[])`;

/**
 * When a customer was last active: the later of its last change and the last
 * event any source sent about it (a webhook repeating unchanged data is
 * activity, not change). Retention and the inactivity report read it.
 */
export function lastActivity(customer: string, state: string): string {
  return `GREATEST(${customer}.updated_at, ${state}.last_seen_at)`;
}

/**
 * The customers to anonymize, by email (case-insensitive, idx_customers_email_lower)
 * or id, locked in id order like the engine locks them. `pseudonym_taken`: the
 * seed's pseudonym of this email already belongs to another customer.
 */
export const LOCK_CUSTOMERS = `
SELECT c.id, c.email, lower(c.email) AS email_key, c.name, c.customer_id, c.phone_local_code, c.phone_number,
       c.document_type, c.document_number, c.address_id,
       EXISTS (SELECT 1 FROM customers o
                WHERE o.email = CONCAT('deleted_', MD5(c.email), '@anonymous.com') AND o.id <> c.id) AS pseudonym_taken
  FROM customers c
 WHERE c.id = ANY(ARRAY(SELECT x.id FROM unnest($1::text[]) AS k(email) JOIN customers x ON lower(x.email) = k.email
                        UNION
                        SELECT unnest($2::int[])))
 ORDER BY c.id
   FOR UPDATE OF c`;

/**
 * Of customers selected by id for retention, those active since $2, read
 * after they are locked (an event the engine applied meanwhile moved their
 * last seen): the person came back, so they are left alone.
 */
export const ACTIVE_SINCE = `
SELECT c.id
  FROM unnest($1::int[]) AS k(id)
  JOIN customers c ON c.id = k.id
  LEFT JOIN custsync.customer_state s ON s.customer_id = c.id
 WHERE ${lastActivity('c', 's')} >= $2::timestamptz`;

export const LOCK_ADDRESSES = `
SELECT id, address, number, complement, neighborhood, zip_code, ip
  FROM addresses
 WHERE id = ANY($1::int[])
 ORDER BY id
   FOR UPDATE`;

export const SELECT_ALIASES_OF_CUSTOMERS = `
SELECT email, customer_id FROM custsync.email_aliases WHERE customer_id = ANY($1::int[])`;

/** Audit rows still holding a value other than NULL or the scrub marker ($2). */
const UNSCRUBBED = `field_name <> 'pseudonymization'
   AND ((old_value IS NOT NULL AND old_value <> $2) OR (new_value IS NOT NULL AND new_value <> $2))`;

export const CUSTOMERS_WITH_UNSCRUBBED_LOGS = `
SELECT DISTINCT customer_id FROM customer_logs WHERE customer_id = ANY($1::int[]) AND ${UNSCRUBBED}`;

export const CUSTOMERS_WITH_PROVENANCE = `
SELECT customer_id FROM custsync.customer_state WHERE customer_id = ANY($1::int[]) AND provenance IS NOT NULL`;

export const EXISTING_SUPPRESSIONS = `
SELECT email_hash::text AS email_hash FROM custsync.suppressions WHERE email_hash = ANY($1::text[])`;

/** Personal values of the audit trail become the marker; field names, who and when stay. */
export const SCRUB_LOGS = `
UPDATE customer_logs
   SET old_value = CASE WHEN old_value IS NULL THEN NULL ELSE $2 END,
       new_value = CASE WHEN new_value IS NULL THEN NULL ELSE $2 END,
       updated_at = CURRENT_TIMESTAMP
 WHERE customer_id = ANY($1::int[]) AND ${UNSCRUBBED}`;

export const CLEAR_ADDRESSES = `
UPDATE addresses AS a
   SET address = NULL, number = NULL, complement = NULL, neighborhood = NULL, zip_code = NULL, ip = NULL,
       updated_at = CURRENT_TIMESTAMP
  FROM customers AS c
 WHERE c.address_id = a.id AND c.id = ANY($1::int[])
   AND num_nonnulls(a.address, a.number, a.complement, a.neighborhood, a.zip_code, a.ip) > 0`;

/**
 * The seed's UPDATE, set-based: `CONCAT('deleted_', MD5(email), '@anonymous.com')`
 * of the stored email, name 'Anonymized Customer', phone cleared; custsync also
 * clears the document and the platform customer id.
 */
export const PSEUDONYMIZE_CUSTOMERS = `
UPDATE customers AS c
   SET email = CASE v.email_change
                 WHEN 'seed' THEN CONCAT('deleted_', MD5(c.email), '@anonymous.com')
                 WHEN 'seed_with_id' THEN CONCAT('deleted_', MD5(CONCAT(c.email, '#', c.id)), '@anonymous.com')
                 ELSE c.email
               END,
       name = 'Anonymized Customer',
       phone_local_code = NULL,
       phone_number = NULL,
       document_type = NULL,
       document_number = NULL,
       customer_id = NULL,
       updated_at = CURRENT_TIMESTAMP
  FROM unnest($1::int[], $2::text[]) AS v(id, email_change)
 WHERE c.id = v.id`;

/** Who set the (now erased) values goes; the last-seen activity stays, as pseudonymized analytics. */
export const DELETE_PROVENANCE = `
UPDATE custsync.customer_state SET provenance = NULL, updated_at = CURRENT_TIMESTAMP
 WHERE customer_id = ANY($1::int[]) AND provenance IS NOT NULL`;

export const DELETE_ALIASES = `DELETE FROM custsync.email_aliases WHERE customer_id = ANY($1::int[])`;

export const INSERT_SUPPRESSIONS = `
INSERT INTO custsync.suppressions (email_hash, reason, created_by)
SELECT * FROM unnest($1::text[], $2::text[], $3::text[])
ON CONFLICT (email_hash) DO NOTHING`;

/** The seed's "Recording the pseudonymization" row, one per customer; the change-event publisher keys on it. */
export const INSERT_PSEUDONYMIZATION_LOGS = `
INSERT INTO customer_logs (customer_id, field_name, old_value, new_value, changed_by, reason)
SELECT v.id, 'pseudonymization', 'Complete personal data', 'Anonymized data', $2, v.reason
  FROM unnest($1::int[], $3::text[]) AS v(id, reason)
 ORDER BY v.id`;

export const DELETE_SUPPRESSION = `
DELETE FROM custsync.suppressions WHERE email_hash = $1 RETURNING reason, created_by, created_at`;
