-- Up Migration
-- The Kafka topic id (Metadata v10+, Kafka 2.8 and later) a stored position
-- belongs to. A topic deleted and recreated under the same name has a new id,
-- and its offsets start again at 0: a position stored for the old topic
-- would silently skip the new topic's first messages as "already applied".
-- The Kafka source records the id the first time it reads a partition and
-- refuses a partition whose id changed (docs/reliability.md, "Positions").
ALTER TABLE custsync.source_positions ADD COLUMN IF NOT EXISTS topic_id UUID;

-- Down Migration
ALTER TABLE custsync.source_positions DROP COLUMN IF EXISTS topic_id;
