-- The rollups' refresh windows aligned as TimescaleDB aligns a refresh policy's: only whole buckets inside
-- [as_of - start_offset, as_of - end_offset) are computed. Before, the bucket holding as_of - start_offset was
-- computed too, so the oldest bucket of a rollup differed between the two paths (found by the dashboard queries
-- run on both).
CREATE OR REPLACE FUNCTION refresh_rollup(rollup text, as_of timestamptz) RETURNS bigint
LANGUAGE plpgsql AS $$
DECLARE
    state rollup_state%ROWTYPE;
    invalidated timestamptz;
    oldest timestamptz;
    window_start timestamptz;
    window_end timestamptz;
    written bigint;
BEGIN
    SELECT * INTO state FROM rollup_state WHERE relation = rollup FOR NO KEY UPDATE;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'unknown rollup %', rollup USING ERRCODE = 'undefined_object';
    END IF;
    WITH consumed AS (DELETE FROM rollup_invalidations WHERE relation = rollup RETURNING invalidated_from)
    SELECT min(invalidated_from) INTO invalidated FROM consumed;

    window_end := time_bucket(state.bucket_width, as_of - state.end_offset);
    -- The policy's window starts at the first whole bucket after as_of - start_offset; an invalidation or the
    -- last refreshed point inside it starts at its own bucket.
    oldest := time_bucket(state.bucket_width, as_of - state.start_offset);
    IF oldest < as_of - state.start_offset THEN
        oldest := oldest + state.bucket_width;
    END IF;
    window_start := greatest(time_bucket(state.bucket_width, coalesce(least(state.refreshed_to, invalidated), oldest)), oldest);

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
    SET refreshed_to = greatest(refreshed_to, window_end), last_run = as_of
    WHERE relation = rollup;
    RETURN written;
END
$$;
