-- OPC UA events and alarm transitions (Part 9 conditions), as on the plain path (db/0010_events.plain.sql says what
-- each column holds), in a hypertable of weekly chunks: events are few next to samples, so a chunk stays small. No
-- compression and no retention policy, as on the plain path; (endpoint, event_id, time) stored twice is one row.
CREATE TABLE events (
    time          timestamptz NOT NULL,
    receive_time  timestamptz NOT NULL,
    endpoint      text NOT NULL,
    event_id      bytea NOT NULL,
    event_type    text NOT NULL,
    source_node   text,
    source_name   text,
    severity      integer NOT NULL,
    message       text,
    condition_id  text,
    active        boolean,
    acked         boolean,
    confirmed     boolean,
    retain        boolean,
    comment       text
);

SELECT create_hypertable('events', 'time', chunk_time_interval => interval '7 days', create_default_indexes => false);
ALTER TABLE events ADD CONSTRAINT events_endpoint_event_id_time_key UNIQUE (endpoint, event_id, time);
CREATE INDEX events_time_idx ON events (time DESC);
CREATE INDEX events_condition_idx ON events (endpoint, condition_id, time DESC) WHERE condition_id IS NOT NULL;
