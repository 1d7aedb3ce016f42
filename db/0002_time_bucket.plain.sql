-- time_bucket with TimescaleDB's semantics, so that the dashboards' SQL runs unchanged without the extension.
-- Widths in microseconds to weeks are counted from TimescaleDB's default origin, Monday 2000-01-03 00:00 (UTC for
-- timestamptz, whatever the session time zone); widths in months and years are counted from 2000-01-01; a width
-- mixing months with days or time is refused, as TimescaleDB refuses it. Infinite timestamps are returned as they are.
-- The functions are plain SQL, immutable and not strict, so that the planner inlines them into the query:
-- date_bin and timezone(text, ...) are immutable, which keeps the timestamptz variant immutable too.

CREATE FUNCTION time_bucket_invalid_width(bucket_width interval, ts anyelement) RETURNS anyelement
LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE AS $$
BEGIN
    -- Declared immutable although it only raises, so that the inlined callers stay immutable.
    RAISE EXCEPTION 'time_bucket: invalid bucket width %', bucket_width
        USING ERRCODE = 'invalid_parameter_value',
              HINT = 'Use a positive width of months and years only, or of days and time only.';
END
$$;

CREATE FUNCTION time_bucket_months(bucket_width interval, ts timestamp) RETURNS timestamp
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT CASE
        WHEN bucket_width IS NULL OR ts IS NULL THEN NULL
        WHEN date_part('day', bucket_width) <> 0 OR date_part('hour', bucket_width) <> 0
             OR date_part('minute', bucket_width) <> 0 OR date_part('second', bucket_width) <> 0
             OR date_part('year', bucket_width) * 12 + date_part('month', bucket_width) <= 0
            THEN time_bucket_invalid_width(bucket_width, ts)
        ELSE timestamp '2000-01-01 00:00:00' + make_interval(months => (
            floor(((date_part('year', ts) - 2000) * 12 + date_part('month', ts) - 1)
                  / (date_part('year', bucket_width) * 12 + date_part('month', bucket_width)))
            * (date_part('year', bucket_width) * 12 + date_part('month', bucket_width)))::integer)
    END
$$;

CREATE FUNCTION time_bucket(bucket_width interval, ts timestamp) RETURNS timestamp
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT CASE
        WHEN bucket_width IS NULL OR ts IS NULL THEN NULL
        WHEN NOT isfinite(ts) THEN ts
        WHEN date_part('year', bucket_width) = 0 AND date_part('month', bucket_width) = 0
            THEN date_bin(bucket_width, ts, timestamp '2000-01-03 00:00:00')
        ELSE time_bucket_months(bucket_width, ts)
    END
$$;

CREATE FUNCTION time_bucket(bucket_width interval, ts timestamptz) RETURNS timestamptz
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT CASE
        WHEN bucket_width IS NULL OR ts IS NULL THEN NULL
        WHEN NOT isfinite(ts) THEN ts
        WHEN date_part('year', bucket_width) = 0 AND date_part('month', bucket_width) = 0
            THEN date_bin(bucket_width, ts, timestamptz '2000-01-03 00:00:00+00')
        ELSE timezone('UTC', time_bucket_months(bucket_width, timezone('UTC', ts)))
    END
$$;
