//! The SQL of report reads (see `report.rs`), written once and compiled for each backend
//! like `sql.rs`.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use rexian_domain::Event;
use sqlx::Row;

use super::sql::{SqlStore, event_from};
use crate::StoreResult;
use crate::report::{CallFact, ReportStore};

#[async_trait]
impl ReportStore for SqlStore {
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
