-- Up Migration
-- custsync's own state lives in its own schema; the seed tables only gain
-- nullable columns.

CREATE SCHEMA IF NOT EXISTS custsync;

-- Why an audit row was written, when the writer knows (operator edits, merges).
ALTER TABLE customer_logs ADD COLUMN IF NOT EXISTS reason TEXT;

-- Who set each current value: survivorship needs it to let a higher-priority
-- platform win and to stop a late, older event from undoing a newer one.
-- priority NULL marks a hand edit in SQL; it counts as the operator priority.
CREATE TABLE custsync.field_provenance (
    customer_id INTEGER NOT NULL REFERENCES customers ON DELETE CASCADE,
    field       VARCHAR(100) NOT NULL,
    platform    VARCHAR(100) NOT NULL,
    priority    INTEGER,
    event_time  TIMESTAMP WITH TIME ZONE NOT NULL,
    event_id    VARCHAR(255),
    updated_at  TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT CURRENT_TIMESTAMP,
    PRIMARY KEY (customer_id, field)
);

-- How far each source has been applied, written in the same transaction as
-- the data: a Kafka topic-partition's next offset, a WAL slot's next LSN, an
-- import file's next line. Records before next_ordinal are already applied.
CREATE TABLE custsync.source_positions (
    stream       VARCHAR(255) NOT NULL,
    partition    INTEGER NOT NULL,
    next_ordinal BIGINT NOT NULL,
    updated_at   TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT CURRENT_TIMESTAMP,
    PRIMARY KEY (stream, partition)
);

-- Invalid optional values the unifier dropped, counted by platform, field and
-- reason (data health report).
CREATE TABLE custsync.dropped_values (
    platform VARCHAR(100) NOT NULL,
    field    VARCHAR(100) NOT NULL,
    reason   VARCHAR(100) NOT NULL,
    count    BIGINT NOT NULL,
    last_at  TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT CURRENT_TIMESTAMP,
    PRIMARY KEY (platform, field, reason)
);

-- Down Migration
DROP TABLE IF EXISTS custsync.dropped_values;
DROP TABLE IF EXISTS custsync.source_positions;
DROP TABLE IF EXISTS custsync.field_provenance;
ALTER TABLE customer_logs DROP COLUMN IF EXISTS reason;
