-- Assessment (issue 6): the report reads the event log by type and time (callbacks met or
-- overdue, ReportStore::events_by_type); without this index that is a scan of every event.
CREATE INDEX events_type_time ON events (platform_id, event_type, occurred_at);
