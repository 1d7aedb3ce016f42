-- Retention of the rollup tables: aggregates are kept longer than raw samples (the maintainer's aggregate
-- retention, 90 days by default, against 7 for raw), so dashboards over months still have 1-minute and 5-second
-- buckets after the raw partitions are gone. The tables are not partitioned, so old buckets are deleted; refreshes
-- write buckets in time order, so a BRIN index finds the old ones for a fraction of a B-tree's cost per upsert.
CREATE INDEX rolling_avg_sensor_data_5s_bucket_brin ON rolling_avg_sensor_data_5s USING brin (bucket);
CREATE INDEX rolling_count_sensor_data_5s_bucket_brin ON rolling_count_sensor_data_5s USING brin (bucket);
CREATE INDEX rolling_avg_sensor_data1m_bucket_brin ON rolling_avg_sensor_data1m USING brin (bucket);

-- Deletes, in every rollup, the buckets that end at or before older_than; returns each rollup and how many it deleted.
CREATE FUNCTION delete_rollup_buckets(older_than timestamptz) RETURNS TABLE (rollup text, deleted bigint)
LANGUAGE plpgsql AS $$
DECLARE
    state record;
BEGIN
    FOR state IN SELECT s.relation, s.bucket_width FROM rollup_state s ORDER BY s.relation LOOP
        EXECUTE format('DELETE FROM %I WHERE bucket <= $1', state.relation) USING older_than - state.bucket_width;
        GET DIAGNOSTICS deleted = ROW_COUNT;
        rollup := state.relation;
        RETURN NEXT;
    END LOOP;
END
$$;
