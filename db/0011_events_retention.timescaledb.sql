-- Retention of events: chunks (7 days each) whose events are all older than 90 days are dropped by TimescaleDB's
-- policy. The scraper replaces the policy at start with its Scraper:Events:Retention when that differs; on the plain
-- path the scraper deletes the expired rows itself (there is nothing to migrate there).
SELECT add_retention_policy('events', drop_after => interval '90 days');
