//! The SQL of report reads (see `report.rs`), written once and compiled for each backend
//! like `sql.rs`.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use rexian_domain::Event;
use sqlx::Row;

use super::sql::{SqlStore, event_from};
use crate::report::{CallFact, CallGroup, OrderFact, ReportStore};
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
