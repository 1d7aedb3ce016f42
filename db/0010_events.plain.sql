-- OPC UA events and alarm transitions (Part 9 conditions), one row per event as the scraper received it or read it
-- from the server's event history. event_id is the server's EventId, or a SHA-256 of the event's content when the
-- server sent none; (endpoint, event_id, time) stored twice is one row, so a live event and the same event back-filled
-- from history are stored once. The booleans are NULL for events that are not conditions (they have no such state).
-- A regular table: events are few next to samples (an alarm transition, not a value per second), so there is no
-- partitioning and no retention; delete old rows by time when needed (the time index finds them).
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
    comment       text,
    CONSTRAINT events_endpoint_event_id_time_key UNIQUE (endpoint, event_id, time)
);

-- The dashboard's history reads a time range; the alarm status reads each condition's latest event.
CREATE INDEX events_time_idx ON events (time DESC);
CREATE INDEX events_condition_idx ON events (endpoint, condition_id, time DESC) WHERE condition_id IS NOT NULL;
