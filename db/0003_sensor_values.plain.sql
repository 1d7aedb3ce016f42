-- Raw samples, narrow: one row per (tag, source timestamp). Partitioned by day on time so that retention
-- drops whole partitions instead of deleting rows. No foreign key to tags: it would cost a lookup per row on
-- COPY, and the writer only ever uses ids the tag resolver got from the tags table.
-- value is NULL when the source delivered no value (a Bad status without a value).
CREATE TABLE sensor_values (
    time    timestamptz NOT NULL,
    tag_id  integer NOT NULL,
    value   double precision,
    status  integer NOT NULL DEFAULT 0
) PARTITION BY RANGE (time);

-- The same (tag, timestamp) stored twice is one row; this index also answers the dashboards' per-tag ranges.
ALTER TABLE sensor_values ADD CONSTRAINT sensor_values_tag_id_time_key UNIQUE (tag_id, time);

-- Rollups read every tag over a short recent range; rows arrive nearly in time order, so a BRIN index
-- answers that for a fraction of a B-tree's cost on every COPY.
CREATE INDEX sensor_values_time_brin ON sensor_values USING brin (time) WITH (pages_per_range = 32);

-- Creates the daily partitions (UTC days) from first_day to last_day that do not exist yet; returns how many it made.
CREATE FUNCTION create_sensor_values_partitions(first_day date, last_day date) RETURNS integer
LANGUAGE plpgsql AS $$
DECLARE
    day date;
    partition_name text;
    created integer := 0;
BEGIN
    -- Writers and the maintainer may ask for the same day at once; one at a time keeps CREATE TABLE from racing.
    PERFORM pg_advisory_xact_lock(hashtext('thermalplant.sensor_values.partitions'));
    FOR day IN SELECT d::date FROM generate_series(first_day::timestamp, last_day::timestamp, interval '1 day') AS d LOOP
        partition_name := 'sensor_values_p' || to_char(day, 'YYYYMMDD');
        IF to_regclass(quote_ident(partition_name)) IS NULL THEN
            EXECUTE format('CREATE TABLE %I PARTITION OF sensor_values FOR VALUES FROM (%L) TO (%L)',
                partition_name, timezone('UTC', day::timestamp), timezone('UTC', (day + 1)::timestamp));
            created := created + 1;
        END IF;
    END LOOP;
    RETURN created;
END
$$;

-- Drops the daily partitions whose whole day ends at or before older_than; returns their names.
CREATE FUNCTION drop_sensor_values_partitions(older_than timestamptz) RETURNS SETOF text
LANGUAGE plpgsql AS $$
DECLARE
    part record;
BEGIN
    PERFORM pg_advisory_xact_lock(hashtext('thermalplant.sensor_values.partitions'));
    FOR part IN
        SELECT c.oid::regclass AS relation, c.relname::text AS relname
        FROM pg_inherits i
        JOIN pg_class c ON c.oid = i.inhrelid
        WHERE i.inhparent = 'sensor_values'::regclass AND c.relname ~ '^sensor_values_p[0-9]{8}$'
        ORDER BY c.relname
    LOOP
        IF timezone('UTC', (to_date(substr(part.relname, 16), 'YYYYMMDD') + 1)::timestamp) <= older_than THEN
            EXECUTE format('DROP TABLE %s', part.relation);
            RETURN NEXT part.relname;
        END IF;
    END LOOP;
END
$$;
