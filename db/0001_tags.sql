-- The tag dimension: one row per variable of one endpoint. Samples refer to a tag by its id so that the
-- raw table stays narrow (time, tag id, value, status); the names are joined back in by the sensor_data view.
CREATE TABLE tags (
    id          serial PRIMARY KEY,
    endpoint    text NOT NULL,
    nodeid      text NOT NULL,
    sensorname  text NOT NULL,
    tagname     text NOT NULL,
    CONSTRAINT tags_endpoint_nodeid_key UNIQUE (endpoint, nodeid)
);

-- The dashboards select by sensor and tag name; this finds the few tag ids before the raw table is touched.
CREATE INDEX tags_sensorname_tagname_idx ON tags (sensorname, tagname);
