-- Continuous aggregates under the published scraper's names and schedules. The columns match the plain
-- path's rollup tables, so everything above the schema reads both alike.
CREATE MATERIALIZED VIEW rolling_avg_sensor_data_5s WITH (timescaledb.continuous) AS
SELECT time_bucket(interval '5 seconds', time) AS bucket, tag_id,
       avg(value) AS avg_value, min(value) AS min_value, max(value) AS max_value,
       stddev(value) AS stddev_value, count(*) AS sample_count
FROM sensor_values
GROUP BY 1, 2
WITH NO DATA;

CREATE MATERIALIZED VIEW rolling_count_sensor_data_5s WITH (timescaledb.continuous) AS
SELECT time_bucket(interval '5 seconds', time) AS bucket, tag_id, count(*) AS sample_count
FROM sensor_values
GROUP BY 1, 2
WITH NO DATA;

CREATE MATERIALIZED VIEW rolling_avg_sensor_data1m WITH (timescaledb.continuous) AS
SELECT time_bucket(interval '1 minute', time) AS bucket, tag_id,
       avg(value) AS avg_value, min(value) AS min_value, max(value) AS max_value,
       stddev(value) AS stddev_value, count(*) AS sample_count
FROM sensor_values
GROUP BY 1, 2
WITH NO DATA;

SELECT add_continuous_aggregate_policy('rolling_avg_sensor_data_5s',
    start_offset => interval '10 minutes', end_offset => interval '5 seconds', schedule_interval => interval '5 seconds');
SELECT add_continuous_aggregate_policy('rolling_count_sensor_data_5s',
    start_offset => interval '10 minutes', end_offset => interval '5 seconds', schedule_interval => interval '5 seconds');
SELECT add_continuous_aggregate_policy('rolling_avg_sensor_data1m',
    start_offset => interval '1 hour', end_offset => interval '30 seconds', schedule_interval => interval '30 seconds');
