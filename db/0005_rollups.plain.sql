-- The aggregate relations TimescaleDB's continuous aggregates provide, as plain tables that the scraper's
-- RollupMaintainer keeps current. Names and schedules are the published scraper's.
CREATE TABLE rolling_avg_sensor_data_5s (
    bucket        timestamptz NOT NULL,
    tag_id        integer NOT NULL,
    avg_value     double precision,
    min_value     double precision,
    max_value     double precision,
    stddev_value  double precision,
    sample_count  bigint NOT NULL,
    PRIMARY KEY (tag_id, bucket)
);

CREATE TABLE rolling_count_sensor_data_5s (
    bucket        timestamptz NOT NULL,
    tag_id        integer NOT NULL,
    sample_count  bigint NOT NULL,
    PRIMARY KEY (tag_id, bucket)
);

CREATE TABLE rolling_avg_sensor_data1m (LIKE rolling_avg_sensor_data_5s INCLUDING ALL);

-- What each rollup covers. Every bucket before refreshed_to is current, except from invalidated_from on:
-- the writer lowers invalidated_from when it stores rows older than refreshed_to (a replay after an outage),
-- so a refresh recomputes from the older of the two, never less than start_offset before now, as
-- TimescaleDB's refresh policy does.
CREATE TABLE rollup_state (
    relation           text PRIMARY KEY,
    kind               text NOT NULL CHECK (kind IN ('stats', 'count')),
    bucket_width       interval NOT NULL,
    start_offset       interval NOT NULL,
    end_offset         interval NOT NULL,
    schedule_interval  interval NOT NULL,
    refreshed_to       timestamptz,
    invalidated_from   timestamptz,
    last_run           timestamptz
);

INSERT INTO rollup_state (relation, kind, bucket_width, start_offset, end_offset, schedule_interval) VALUES
    ('rolling_avg_sensor_data_5s',   'stats', interval '5 seconds', interval '10 minutes', interval '5 seconds',  interval '5 seconds'),
    ('rolling_count_sensor_data_5s', 'count', interval '5 seconds', interval '10 minutes', interval '5 seconds',  interval '5 seconds'),
    ('rolling_avg_sensor_data1m',    'stats', interval '1 minute',  interval '1 hour',     interval '30 seconds', interval '30 seconds');

-- Recomputes the buckets of one rollup from its last refreshed point (or the oldest invalidated row) up to
-- end_offset before as_of, upserting them; returns the number of buckets written. as_of is the caller's clock.
CREATE FUNCTION refresh_rollup(rollup text, as_of timestamptz) RETURNS bigint
LANGUAGE plpgsql AS $$
DECLARE
    state rollup_state%ROWTYPE;
    window_start timestamptz;
    window_end timestamptz;
    written bigint;
BEGIN
    -- The row lock orders this refresh with writers that invalidate: a writer that stored late rows either
    -- committed before this point (and the statements below see its rows) or waits and then sees refreshed_to.
    SELECT * INTO state FROM rollup_state WHERE relation = rollup FOR UPDATE;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'unknown rollup %', rollup USING ERRCODE = 'undefined_object';
    END IF;

    window_end := time_bucket(state.bucket_width, as_of - state.end_offset);
    window_start := time_bucket(state.bucket_width, greatest(
        coalesce(least(state.refreshed_to, state.invalidated_from), as_of - state.start_offset),
        as_of - state.start_offset));

    IF window_start >= window_end THEN
        UPDATE rollup_state SET last_run = as_of WHERE relation = rollup;
        RETURN 0;
    END IF;

    IF state.kind = 'stats' THEN
        EXECUTE format(
            'INSERT INTO %I (bucket, tag_id, avg_value, min_value, max_value, stddev_value, sample_count)
             SELECT time_bucket($1, time), tag_id, avg(value), min(value), max(value), stddev(value), count(*)
             FROM sensor_values WHERE time >= $2 AND time < $3
             GROUP BY 1, 2
             ON CONFLICT (tag_id, bucket) DO UPDATE SET
                 avg_value = excluded.avg_value, min_value = excluded.min_value, max_value = excluded.max_value,
                 stddev_value = excluded.stddev_value, sample_count = excluded.sample_count', state.relation)
        USING state.bucket_width, window_start, window_end;
    ELSE
        EXECUTE format(
            'INSERT INTO %I (bucket, tag_id, sample_count)
             SELECT time_bucket($1, time), tag_id, count(*)
             FROM sensor_values WHERE time >= $2 AND time < $3
             GROUP BY 1, 2
             ON CONFLICT (tag_id, bucket) DO UPDATE SET sample_count = excluded.sample_count', state.relation)
        USING state.bucket_width, window_start, window_end;
    END IF;
    GET DIAGNOSTICS written = ROW_COUNT;

    UPDATE rollup_state
    SET refreshed_to = greatest(refreshed_to, window_end), invalidated_from = NULL, last_run = as_of
    WHERE relation = rollup;
    RETURN written;
END
$$;
