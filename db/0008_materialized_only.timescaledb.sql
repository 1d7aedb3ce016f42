-- The aggregates answer from what their refresh policies materialised, never the not-yet-refreshed last bucket
-- (materialized_only, TimescaleDB's default since 2.13, made explicit here so a server default cannot change it).
-- The plain path's rollup tables hold exactly that too, so both paths answer the same "now"; a panel that must
-- show the latest seconds reads sensor_data.
ALTER MATERIALIZED VIEW rolling_avg_sensor_data_5s SET (timescaledb.materialized_only = true);
ALTER MATERIALIZED VIEW rolling_count_sensor_data_5s SET (timescaledb.materialized_only = true);
ALTER MATERIALIZED VIEW rolling_avg_sensor_data1m SET (timescaledb.materialized_only = true);
