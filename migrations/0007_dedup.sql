-- Up Migration
-- Duplicate detection (custsync duplicates) and the data health reports.

-- Trigram similarity of names (similarity(), the % operator). A trusted
-- extension since PG 13: the database owner may create it.
CREATE EXTENSION IF NOT EXISTS pg_trgm;

-- Candidate pairs by similar name (within one zip code), by document and by phone.
CREATE INDEX IF NOT EXISTS idx_customers_name_trgm ON customers USING gin (name gin_trgm_ops);
CREATE INDEX IF NOT EXISTS idx_customers_document_number ON customers (document_number)
    WHERE document_number IS NOT NULL;
CREATE INDEX IF NOT EXISTS idx_customers_phone ON customers (phone_number, phone_local_code)
    WHERE phone_number IS NOT NULL;

-- Dead letters live in a Kafka topic; their counts live here so the data
-- health report need not read Kafka. The unifier adds to them in the same
-- transaction as the batch whose positions cover the dead-lettered messages,
-- so a redelivered batch does not count them twice.
CREATE TABLE IF NOT EXISTS custsync.dead_letter_counts (
    platform VARCHAR(100) NOT NULL,
    reason   VARCHAR(100) NOT NULL,
    count    BIGINT NOT NULL,
    last_at  TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT CURRENT_TIMESTAMP,
    PRIMARY KEY (platform, reason)
);

-- Down Migration
DROP TABLE IF EXISTS custsync.dead_letter_counts;
DROP INDEX IF EXISTS idx_customers_phone;
DROP INDEX IF EXISTS idx_customers_document_number;
DROP INDEX IF EXISTS idx_customers_name_trgm;
-- pg_trgm stays: other objects may have come to depend on it since.
