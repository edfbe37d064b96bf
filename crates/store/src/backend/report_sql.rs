//! The SQL of report reads (see `report.rs`), written once and compiled for each backend
//! like `sql.rs`.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use rexian_domain::Event;
use sqlx::Row;

use super::sql::{SqlStore, event_from};
use crate::report::{CallFact, CallGroup, DeadlineEvent, OrderFact, ReportStore};
use crate::{Backend, StoreError, StoreResult};

#[async_trait]
impl ReportStore for SqlStore {
    async fn call_groups(
        &self,
        platform_id: i64,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
        quick_seconds: f64,
    ) -> StoreResult<Vec<CallGroup>> {
        // The only text that differs by backend: the name of the string aggregate.
        let ids = match self.backend {
            Backend::Sqlite => "group_concat(id, ',')",
            Backend::Postgres => "string_agg(CAST(id AS TEXT), ',')",
        };
        let rows = sqlx::query(&format!(
            "SELECT outcome, satisfaction, wait_seconds < $4 AS quick, {ids} AS ids \
             FROM calls WHERE platform_id = $1 AND arrived_at >= $2 AND arrived_at < $3 \
             GROUP BY 1, 2, 3"
        ))
        .bind(platform_id)
        .bind(from)
        .bind(to)
        .bind(quick_seconds)
        .fetch_all(&self.reader)
        .await?;
        let mut groups = Vec::with_capacity(rows.len());
        for r in &rows {
            let text: Option<String> = r.try_get("ids")?;
            let mut ids = text
                .unwrap_or_default()
                .split(',')
                .filter(|t| !t.is_empty())
                .map(|t| {
                    t.parse::<i64>()
                        .map_err(|_| StoreError::Corrupt(format!("call id {t:?}")))
                })
                .collect::<StoreResult<Vec<i64>>>()?;
            ids.sort_unstable();
            groups.push(CallGroup {
                outcome: r.try_get("outcome")?,
                satisfaction: r.try_get("satisfaction")?,
                quick: r.try_get("quick")?,
                ids,
            });
        }
        Ok(groups)
    }

    async fn pending_callbacks_due(
        &self,
        platform_id: i64,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> StoreResult<Vec<(i64, String, DateTime<Utc>)>> {
        let rows = sqlx::query(
            "SELECT id, number, callback_due_at FROM work_orders WHERE platform_id = $1 \
             AND state = 'pending_callback' AND callback_due_at >= $2 AND callback_due_at < $3 \
             ORDER BY callback_due_at, id",
        )
        .bind(platform_id)
        .bind(from)
        .bind(to)
        .fetch_all(&self.reader)
        .await?;
        rows.iter()
            .map(|r| {
                Ok((
                    r.try_get("id")?,
                    r.try_get("number")?,
                    r.try_get("callback_due_at")?,
                ))
            })
            .collect()
    }

    async fn order_facts(
        &self,
        platform_id: i64,
        kind: &str,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> StoreResult<Vec<OrderFact>> {
        let rows = sqlx::query(
            "SELECT id, number, state FROM work_orders WHERE platform_id = $1 AND kind = $2 \
             AND created_at >= $3 AND created_at < $4 ORDER BY id",
        )
        .bind(platform_id)
        .bind(kind)
        .bind(from)
        .bind(to)
        .fetch_all(&self.reader)
        .await?;
        rows.iter()
            .map(|r| {
                Ok(OrderFact {
                    id: r.try_get("id")?,
                    number: r.try_get("number")?,
                    state: r.try_get("state")?,
                })
            })
            .collect()
    }

    async fn call_facts(
        &self,
        platform_id: i64,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> StoreResult<Vec<CallFact>> {
        let rows = sqlx::query(
            "SELECT id, arrived_at, queue, agent, caller, outcome, wait_seconds, satisfaction \
             FROM calls WHERE platform_id = $1 AND arrived_at >= $2 AND arrived_at < $3 \
             ORDER BY arrived_at, id",
        )
        .bind(platform_id)
        .bind(from)
        .bind(to)
        .fetch_all(&self.reader)
        .await?;
        rows.iter()
            .map(|r| {
                Ok(CallFact {
                    id: r.try_get("id")?,
                    arrived_at: r.try_get("arrived_at")?,
                    queue: r.try_get("queue")?,
                    agent: r.try_get("agent")?,
                    caller: r.try_get("caller")?,
                    outcome: r.try_get("outcome")?,
                    wait_seconds: r.try_get("wait_seconds")?,
                    satisfaction: r.try_get("satisfaction")?,
                })
            })
            .collect()
    }

    async fn callback_deadline_events(
        &self,
        platform_id: i64,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> StoreResult<Vec<DeadlineEvent>> {
        // The JSON accessors differ by backend; each gives text only for a JSON string and
        // the flag only for a JSON `true`, like the `as_str`/`as_bool` of the Rust reading.
        let (number, cb_due, ov_due, cb_deadline, on_time) = match self.backend {
            Backend::Sqlite => (
                "CASE WHEN json_type(payload, '$.number') = 'text' \
                 THEN json_extract(payload, '$.number') END",
                "CASE WHEN json_type(payload, '$.timeliness.due_at') = 'text' \
                 THEN json_extract(payload, '$.timeliness.due_at') END",
                "CASE WHEN json_type(payload, '$.due_at') = 'text' \
                 THEN json_extract(payload, '$.due_at') END",
                "json_type(payload, '$.timeliness.deadline') = 'text' \
                 AND json_extract(payload, '$.timeliness.deadline') = 'callback'",
                "COALESCE(json_type(payload, '$.timeliness.on_time') = 'true', FALSE)",
            ),
            Backend::Postgres => (
                "CASE WHEN jsonb_typeof(payload->'number') = 'string' \
                 THEN payload->>'number' END",
                "CASE WHEN jsonb_typeof(payload->'timeliness'->'due_at') = 'string' \
                 THEN payload->'timeliness'->>'due_at' END",
                "CASE WHEN jsonb_typeof(payload->'due_at') = 'string' \
                 THEN payload->>'due_at' END",
                "jsonb_typeof(payload->'timeliness'->'deadline') = 'string' \
                 AND payload->'timeliness'->>'deadline' = 'callback'",
                "COALESCE(payload->'timeliness'->'on_time' = 'true'::jsonb, FALSE)",
            ),
        };
        let rows = sqlx::query(&format!(
            "SELECT aggregate_id, number, due_at, on_time, overdue FROM ( \
             SELECT id, occurred_at, aggregate_id, {number} AS number, {cb_due} AS due_at, \
             {on_time} AS on_time, FALSE AS overdue FROM events \
             WHERE platform_id = $1 AND event_type = 'order.called_back' \
             AND occurred_at >= $2 AND occurred_at < $3 AND {cb_deadline} \
             UNION ALL \
             SELECT id, occurred_at, aggregate_id, {number} AS number, {ov_due} AS due_at, \
             FALSE AS on_time, TRUE AS overdue FROM events \
             WHERE platform_id = $1 AND event_type = 'order.callback_overdue' \
             AND occurred_at >= $2 AND occurred_at < $3) AS d \
             ORDER BY overdue, occurred_at, id"
        ))
        .bind(platform_id)
        .bind(from)
        .bind(to)
        .fetch_all(&self.reader)
        .await?;
        rows.iter()
            .map(|r| {
                Ok(DeadlineEvent {
                    aggregate_id: r.try_get("aggregate_id")?,
                    number: r.try_get("number")?,
                    due_at: r.try_get("due_at")?,
                    on_time: r.try_get("on_time")?,
                    overdue: r.try_get("overdue")?,
                })
            })
            .collect()
    }

    async fn events_by_type(
        &self,
        platform_id: i64,
        event_type: &str,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> StoreResult<Vec<Event>> {
        let rows = sqlx::query(
            "SELECT id, platform_id, aggregate_type, aggregate_id, event_type, actor, \
             occurred_at, payload, reason FROM events \
             WHERE platform_id = $1 AND event_type = $2 AND occurred_at >= $3 \
             AND occurred_at < $4 ORDER BY occurred_at, id",
        )
        .bind(platform_id)
        .bind(event_type)
        .bind(from)
        .bind(to)
        .fetch_all(&self.reader)
        .await?;
        rows.iter().map(event_from).collect()
    }
}
