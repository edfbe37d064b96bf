-- Covering indexes for the assessment of long periods (a province year, issue 6): the
-- grouped call counts and the orders by kind read only index pages, never the wide rows
-- (call records, order snapshots). The id is the rowid, which every SQLite index holds.
CREATE INDEX calls_assessment ON calls (platform_id, arrived_at, outcome, satisfaction, wait_seconds);
CREATE INDEX work_orders_kind_created ON work_orders (platform_id, kind, created_at, number, state);
