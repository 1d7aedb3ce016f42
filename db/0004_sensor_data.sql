-- The seed's relation, as its dashboards and its published scraper's users query it: names instead of ids,
-- the endpoint under its old column name clientid, and each value's OPC UA status code (as a signed int).
CREATE VIEW sensor_data AS
SELECT v.time        AS "timestamp",
       t.sensorname,
       t.tagname,
       v.value,
       t.nodeid,
       t.endpoint    AS clientid,
       v.status
FROM sensor_values v
JOIN tags t ON t.id = v.tag_id;
