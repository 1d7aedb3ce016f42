-- Raw samples, narrow: one row per (tag, source timestamp), in a hypertable.
-- value is NULL when the source delivered no value (a Bad status without a value).
CREATE EXTENSION IF NOT EXISTS timescaledb;

CREATE TABLE sensor_values (
    time    timestamptz NOT NULL,
    tag_id  integer NOT NULL,
    value   double precision,
    status  integer NOT NULL DEFAULT 0
);

-- One-hour chunks: at the design rate (10,000 variables at 1 Hz) a chunk and its index stay near 2 GB,
-- which keeps the chunk being written in memory on a small machine. The default time index is replaced by
-- the unique (tag, time) index, which answers both the dashboards and idempotent writes.
SELECT create_hypertable('sensor_values', 'time', chunk_time_interval => interval '1 hour', create_default_indexes => false);
ALTER TABLE sensor_values ADD CONSTRAINT sensor_values_tag_id_time_key UNIQUE (tag_id, time);

ALTER TABLE sensor_values SET (timescaledb.compress, timescaledb.compress_segmentby = 'tag_id', timescaledb.compress_orderby = 'time');
SELECT add_compression_policy('sensor_values', compress_after => interval '1 day');
SELECT add_retention_policy('sensor_values', drop_after => interval '7 days');
