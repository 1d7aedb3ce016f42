-- Late rows no longer wait for a running refresh. Before, the writer marked rollup_state.invalidated_from with an
-- UPDATE, which queues behind the row lock a refresh holds for its whole run: during a replay after an outage every
-- old batch waited one to two seconds. Now the writer appends to a log (an INSERT takes no lock a refresh holds) and
-- a refresh consumes the log of its rollup. A writer's entry is seen by the refresh that starts after the writer
-- commits; a refresh running while it commits neither deletes the entry nor needs to have seen its rows, so the next
-- refresh recomputes from it. TimescaleDB keeps an invalidation log of its own the same way.
CREATE TABLE rollup_invalidations (
    relation          text NOT NULL REFERENCES rollup_state (relation) ON DELETE CASCADE,
    invalidated_from  timestamptz NOT NULL
);
CREATE INDEX rollup_invalidations_relation ON rollup_invalidations (relation);

INSERT INTO rollup_invalidations (relation, invalidated_from)
SELECT relation, invalidated_from FROM rollup_state WHERE invalidated_from IS NOT NULL;
ALTER TABLE rollup_state DROP COLUMN invalidated_from;

-- As before, but the oldest invalidation is taken from (and removed from) the log; the row lock now only orders
-- refreshes of the same rollup with each other. It is FOR NO KEY UPDATE because a writer's log entry checks its
-- foreign key with FOR KEY SHARE on the same row, which FOR UPDATE would make wait.
CREATE OR REPLACE FUNCTION refresh_rollup(rollup text, as_of timestamptz) RETURNS bigint
LANGUAGE plpgsql AS $$
DECLARE
    state rollup_state%ROWTYPE;
    invalidated timestamptz;
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
    window_start := time_bucket(state.bucket_width, greatest(
        coalesce(least(state.refreshed_to, invalidated), as_of - state.start_offset),
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
    SET refreshed_to = greatest(refreshed_to, window_end), last_run = as_of
    WHERE relation = rollup;
    RETURN written;
END
$$;
