//! The SQL of the live ACD's input journal and of agent state changes, written once and
//! compiled for each backend like `sql.rs`.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use rexian_domain::Actor;
use sqlx::Row;
use sqlx::types::Json;

use super::calls_sql::append;
use super::sql::SqlStore;
use crate::StoreResult;
use crate::acd_journal::{AcdJournalStore, AgentStateChange, JournalEvent};

#[async_trait]
impl AcdJournalStore for SqlStore {
    async fn journal_acd_input(
        &self,
        platform_id: i64,
        input: &str,
        idle_after: bool,
        events: &[JournalEvent],
        actor: &Actor,
        now: DateTime<Utc>,
    ) -> StoreResult<i64> {
        let mut tx = self.writer.begin().await?;
        let id: i64 = sqlx::query(
            "INSERT INTO acd_journal (platform_id, input, idle_after, created_at) \
             VALUES ($1, $2, $3, $4) RETURNING id",
        )
        .bind(platform_id)
        .bind(input)
        .bind(idle_after)
        .bind(now)
        .fetch_one(&mut *tx)
        .await?
        .try_get("id")?;
        for e in events {
            append(
                &mut tx,
                platform_id,
                e.aggregate.clone(),
                &e.event_type,
                actor,
                now,
                e.payload.clone(),
                None,
            )
            .await?;
        }
        tx.commit().await?;
        Ok(id)
    }

    async fn acd_journal_tails(
        &self,
        day_start: DateTime<Utc>,
    ) -> StoreResult<Vec<(i64, Vec<String>)>> {
        let rows = sqlx::query(
            "SELECT j.platform_id, j.input FROM acd_journal j \
             WHERE j.id > COALESCE((SELECT MAX(i.id) FROM acd_journal i \
                 WHERE i.platform_id = j.platform_id AND i.idle_after \
                 AND i.created_at < $1), 0) \
             ORDER BY j.platform_id, j.id",
        )
        .bind(day_start)
        .fetch_all(&self.writer)
        .await?;
        let mut out: Vec<(i64, Vec<String>)> = Vec::new();
        for row in rows {
            let pid: i64 = row.try_get("platform_id")?;
            let input: String = row.try_get("input")?;
            match out.last_mut() {
                Some((p, inputs)) if *p == pid => inputs.push(input),
                _ => out.push((pid, vec![input])),
            }
        }
        Ok(out)
    }

    async fn agent_state_changes(
        &self,
        platform_id: i64,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> StoreResult<Vec<AgentStateChange>> {
        let rows = sqlx::query(
            "SELECT aggregate_id, payload FROM events \
             WHERE platform_id = $1 AND aggregate_type = 'agent' \
             AND event_type = 'agent.state_changed' AND occurred_at >= $2 AND occurred_at < $3 \
             ORDER BY id",
        )
        .bind(platform_id)
        .bind(from - chrono::Duration::days(1))
        .bind(to + chrono::Duration::hours(1))
        .fetch_all(&self.reader)
        .await?;
        let mut out = Vec::with_capacity(rows.len());
        for row in rows {
            let Json(payload): Json<serde_json::Value> = row.try_get("payload")?;
            let at = payload
                .get("at")
                .and_then(|v| v.as_str())
                .and_then(|s| DateTime::parse_from_rfc3339(s).ok())
                .map(|t| t.with_timezone(&Utc));
            let Some(at) = at else { continue };
            out.push(AgentStateChange {
                agent: row.try_get("aggregate_id")?,
                at,
                from: payload.get("from").cloned().unwrap_or_default(),
                to: payload.get("to").cloned().unwrap_or_default(),
            });
        }
        Ok(out)
    }
}
