-- Up Migration
-- The change-event publisher reads this database's WAL (pgoutput). Updates
-- and deletes of customers and addresses must carry the whole old row, so
-- events have full before-images and no "unchanged value" placeholders.
-- customer_logs and custsync.field_provenance are only read for their new
-- rows (inserts, upserts) and keep their default identity (the primary key).
ALTER TABLE customers REPLICA IDENTITY FULL;
ALTER TABLE addresses REPLICA IDENTITY FULL;

-- Replication slots custsync created. A slot recorded here but missing from
-- pg_replication_slots was lost (dropped, or the database restored): custsync
-- then stops with CUSTSYNC_SLOT_LOST instead of silently starting a new slot
-- and skipping the changes in between. The publication and the slot are
-- created at run time, because their names are configuration.
CREATE TABLE custsync.replication_slots (
    slot_name   VARCHAR(63) PRIMARY KEY,
    purpose     VARCHAR(100) NOT NULL,        -- 'change-publisher', 'wal-source:<name>', ...
    created_at  TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT CURRENT_TIMESTAMP,
    created_lsn PG_LSN
);

-- Down Migration
DROP TABLE IF EXISTS custsync.replication_slots;
ALTER TABLE addresses REPLICA IDENTITY DEFAULT;
ALTER TABLE customers REPLICA IDENTITY DEFAULT;
