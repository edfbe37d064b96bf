-- Covering indexes for the assessment of long periods (a province year, issue 6): the
-- grouped call counts and the orders by kind can be answered by index-only scans, never
-- reading the wide rows (call records, order snapshots).
CREATE INDEX calls_assessment ON calls (platform_id, arrived_at) INCLUDE (outcome, satisfaction, wait_seconds, id);
CREATE INDEX work_orders_kind_created ON work_orders (platform_id, kind, created_at) INCLUDE (id, number, state);
