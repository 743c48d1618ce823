-- Up Migration
-- Least privilege for analysts: a NOLOGIN role custsync_readonly that reads
-- masked views of the customer tables and nothing else. Login roles for
-- people are granted custsync_readonly (GRANT custsync_readonly TO alice).
-- See docs/privacy.md.

-- Masking helpers, the same rules as src/runtime/mask.ts: enough to correlate
-- by eye, never enough to recover the value. SQL-standard bodies (RETURN) are
-- bound when created, so callers need no USAGE on schema custsync.

-- ana.souza@example.com -> a***@e***.com
CREATE OR REPLACE FUNCTION custsync.mask_email(value TEXT) RETURNS TEXT
LANGUAGE sql IMMUTABLE PARALLEL SAFE
    RETURN CASE
        WHEN value IS NULL THEN NULL
        WHEN strpos(value, '@') = 0 THEN left(value, 1) || '***'
        ELSE left(value, 1) || '***@' || left(split_part(value, '@', 2), 1) || '***'
             || COALESCE(substring(split_part(value, '@', 2) FROM '\.[^.]*$'), '')
    END;

-- Documents, phones, platform ids: only the last two characters stay.
CREATE OR REPLACE FUNCTION custsync.mask_digits(value TEXT) RETURNS TEXT
LANGUAGE sql IMMUTABLE PARALLEL SAFE
    RETURN CASE
        WHEN value IS NULL THEN NULL
        WHEN char_length(value) <= 2 THEN '***'
        ELSE repeat('*', char_length(value) - 2) || right(value, 2)
    END;

-- Ana Beatriz Souza -> A. B. S.
CREATE OR REPLACE FUNCTION custsync.name_initials(value TEXT) RETURNS TEXT
LANGUAGE sql IMMUTABLE PARALLEL SAFE
    RETURN CASE
        WHEN value IS NULL OR btrim(value) = '' THEN NULL
        ELSE (SELECT string_agg(upper(left(word, 1)) || '.', ' ' ORDER BY n)
                FROM regexp_split_to_table(btrim(value), '\s+') WITH ORDINALITY AS t(word, n))
    END;

-- An audit value masked by the field it belongs to; unknown fields are hidden.
CREATE OR REPLACE FUNCTION custsync.mask_log_value(field TEXT, value TEXT) RETURNS TEXT
LANGUAGE sql IMMUTABLE PARALLEL SAFE
    RETURN CASE
        WHEN value IS NULL OR value = '[scrubbed]' THEN value
        WHEN field IN ('city', 'state', 'country', 'document_type', 'phone_local_code', 'pseudonymization') THEN value
        WHEN field = 'email' THEN custsync.mask_email(value)
        WHEN field = 'name' THEN custsync.name_initials(value)
        WHEN field IN ('phone_number', 'document_number', 'customer_id') THEN custsync.mask_digits(value)
        ELSE '***'
    END;

-- The customer with its main address's analytical fields (city, state,
-- country); street, number, complement, neighborhood, zip code and IP are
-- left out. Column names follow customers, so analytics queries port over.
CREATE OR REPLACE VIEW customers_masked AS
SELECT c.id,
       custsync.mask_email(c.email) AS email,
       custsync.name_initials(c.name) AS name,
       custsync.mask_digits(c.customer_id) AS customer_id,
       c.created_at,
       c.updated_at,
       c.phone_local_code,
       custsync.mask_digits(c.phone_number) AS phone_number,
       c.document_type,
       custsync.mask_digits(c.document_number) AS document_number,
       a.city,
       a.state,
       a.country,
       COALESCE(c.email ~ '^deleted_[0-9a-f]{32}@anonymous\.com$', false) AS pseudonymized
  FROM customers c
  LEFT JOIN addresses a ON a.id = c.address_id;

-- The audit trail with personal old/new values masked; reason (free text) is left out.
CREATE OR REPLACE VIEW customer_logs_masked AS
SELECT l.id,
       l.customer_id,
       l.field_name,
       custsync.mask_log_value(l.field_name, l.old_value) AS old_value,
       custsync.mask_log_value(l.field_name, l.new_value) AS new_value,
       l.changed_by,
       l.created_at,
       l.updated_at
  FROM customer_logs l;

-- Roles are cluster-wide: another database of the cluster (or a concurrent
-- migration) may have created it already. Without CREATEROLE the migration
-- still succeeds; a DBA then creates the role and re-runs the grants
-- (docs/privacy.md).
DO $$
BEGIN
    IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'custsync_readonly') THEN
        IF (SELECT rolsuper OR rolcreaterole FROM pg_roles WHERE rolname = current_user) THEN
            BEGIN
                CREATE ROLE custsync_readonly NOLOGIN;
            EXCEPTION WHEN duplicate_object OR unique_violation THEN
                NULL;
            END;
        ELSE
            RAISE NOTICE 'role custsync_readonly not created: % lacks CREATEROLE (see docs/privacy.md)', current_user;
        END IF;
    END IF;
    IF EXISTS (SELECT FROM pg_roles WHERE rolname = 'custsync_readonly') THEN
        REVOKE ALL ON customers, addresses, customer_logs FROM custsync_readonly;
        REVOKE ALL ON ALL TABLES IN SCHEMA custsync FROM custsync_readonly;
        GRANT SELECT ON customers_masked, customer_logs_masked TO custsync_readonly;
    END IF;
END
$$;

-- Down Migration
-- The role stays: it is cluster-wide and other databases may grant to it.
DROP VIEW IF EXISTS customer_logs_masked;
DROP VIEW IF EXISTS customers_masked;
DROP FUNCTION IF EXISTS custsync.mask_log_value(TEXT, TEXT);
DROP FUNCTION IF EXISTS custsync.name_initials(TEXT);
DROP FUNCTION IF EXISTS custsync.mask_digits(TEXT);
DROP FUNCTION IF EXISTS custsync.mask_email(TEXT);
