-- Up Migration
-- The seed's log_customer_changes trigger, extended to every customer column,
-- plus its twin for addresses. It audits edits made by hand in SQL with
-- changed_by = CURRENT_USER and records them as provenance (priority NULL =
-- a hand edit, which survivorship ranks at the operator priority).
-- custsync's own writers audit themselves and say so with the transaction-
-- local setting custsync.writer, so nothing is logged twice.

CREATE OR REPLACE FUNCTION custsync.record_hand_edit(
    p_customer_id INTEGER, p_field TEXT, p_old TEXT, p_new TEXT
) RETURNS VOID AS $$
BEGIN
    INSERT INTO customer_logs (customer_id, field_name, old_value, new_value, changed_by)
    VALUES (p_customer_id, p_field, p_old, p_new, CURRENT_USER);
    IF p_field IN ('email', 'address_id') THEN
        RETURN;
    END IF;
    IF p_new IS NULL OR btrim(p_new) = '' THEN
        DELETE FROM custsync.field_provenance WHERE customer_id = p_customer_id AND field = p_field;
    ELSE
        INSERT INTO custsync.field_provenance (customer_id, field, platform, priority, event_time, event_id)
        VALUES (p_customer_id, p_field, 'sql:' || CURRENT_USER, NULL, clock_timestamp(), 'sql:' || txid_current())
        ON CONFLICT (customer_id, field) DO UPDATE
           SET platform = EXCLUDED.platform, priority = NULL, event_time = EXCLUDED.event_time,
               event_id = EXCLUDED.event_id, updated_at = CURRENT_TIMESTAMP;
    END IF;
END;
$$ LANGUAGE plpgsql;

CREATE OR REPLACE FUNCTION log_customer_changes()
RETURNS TRIGGER AS $$
DECLARE
    old_row JSONB := CASE WHEN TG_OP = 'UPDATE' THEN to_jsonb(OLD) ELSE '{}'::jsonb END;
    new_row JSONB := to_jsonb(NEW);
    col TEXT;
BEGIN
    IF current_setting('custsync.writer', true) IS NOT NULL AND current_setting('custsync.writer', true) <> '' THEN
        RETURN NEW;
    END IF;
    FOREACH col IN ARRAY ARRAY['email', 'name', 'customer_id', 'address_id', 'phone_local_code',
                               'phone_number', 'document_type', 'document_number'] LOOP
        IF (old_row -> col) IS DISTINCT FROM (new_row -> col) AND NOT (TG_OP = 'INSERT' AND new_row ->> col IS NULL) THEN
            PERFORM custsync.record_hand_edit(NEW.id, col, old_row ->> col, new_row ->> col);
        END IF;
    END LOOP;
    RETURN NEW;
END;
$$ LANGUAGE plpgsql;

CREATE TRIGGER customer_change_logger
AFTER UPDATE ON customers
FOR EACH ROW
EXECUTE FUNCTION log_customer_changes();

CREATE TRIGGER customer_insert_logger
AFTER INSERT ON customers
FOR EACH ROW
EXECUTE FUNCTION log_customer_changes();

CREATE OR REPLACE FUNCTION log_address_changes()
RETURNS TRIGGER AS $$
DECLARE
    old_row JSONB := to_jsonb(OLD);
    new_row JSONB := to_jsonb(NEW);
    col TEXT;
    owner_id INTEGER;
BEGIN
    IF current_setting('custsync.writer', true) IS NOT NULL AND current_setting('custsync.writer', true) <> '' THEN
        RETURN NEW;
    END IF;
    FOR owner_id IN SELECT id FROM customers WHERE address_id = NEW.id ORDER BY id LOOP
        FOREACH col IN ARRAY ARRAY['address', 'number', 'complement', 'neighborhood', 'city',
                                   'state', 'zip_code', 'country', 'ip'] LOOP
            IF (old_row -> col) IS DISTINCT FROM (new_row -> col) THEN
                PERFORM custsync.record_hand_edit(owner_id, col, old_row ->> col, new_row ->> col);
            END IF;
        END LOOP;
    END LOOP;
    RETURN NEW;
END;
$$ LANGUAGE plpgsql;

CREATE TRIGGER address_change_logger
AFTER UPDATE ON addresses
FOR EACH ROW
EXECUTE FUNCTION log_address_changes();

-- Down Migration
DROP TRIGGER IF EXISTS address_change_logger ON addresses;
DROP FUNCTION IF EXISTS log_address_changes();
DROP TRIGGER IF EXISTS customer_insert_logger ON customers;
DROP TRIGGER IF EXISTS customer_change_logger ON customers;
DROP FUNCTION IF EXISTS log_customer_changes();
DROP FUNCTION IF EXISTS custsync.record_hand_edit(INTEGER, TEXT, TEXT, TEXT);
