-- Up Migration
-- Forgotten people: a hash of the normalized email, never the email, so that
-- later or replayed events for them are dropped instead of re-creating them.
CREATE TABLE custsync.suppressions (
    email_hash  CHAR(64) PRIMARY KEY,            -- sha256(lower(trim(email))), hex
    reason      VARCHAR(100) NOT NULL,           -- 'GDPR Request', 'Retention Policy', ...
    created_by  VARCHAR(100) NOT NULL,
    created_at  TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT CURRENT_TIMESTAMP,
    -- events dropped because of this entry
    dropped     BIGINT NOT NULL DEFAULT 0,
    last_dropped_at TIMESTAMP WITH TIME ZONE
);

-- Emails of customers merged into another: events for them land on the kept customer.
CREATE TABLE custsync.email_aliases (
    email       VARCHAR(255) PRIMARY KEY,        -- normalized
    customer_id INTEGER NOT NULL REFERENCES customers ON DELETE CASCADE,
    reason      TEXT,
    created_at  TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT CURRENT_TIMESTAMP
);
CREATE INDEX idx_email_aliases_customer_id ON custsync.email_aliases (customer_id);

-- Down Migration
DROP TABLE IF EXISTS custsync.email_aliases;
DROP TABLE IF EXISTS custsync.suppressions;
