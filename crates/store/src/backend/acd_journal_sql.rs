//! The SQL of the live ACD's input journal and of agent state changes, written once and
//! compiled for each backend like `sql.rs`.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use rexian_domain::Actor;
use sqlx::Row;
use sqlx::types::Json;

use std::sync::Arc;

use super::calls_sql::{append, rate_call, store_finished_call};
use super::group_commit::Tx;
use super::sql::SqlStore;
use crate::acd_journal::{AcdJournalStore, AcdStep, AgentStateChange, PendingWrite};
use crate::{StoreError, StoreResult};

#[async_trait]
impl AcdJournalStore for SqlStore {
    async fn journal_acd_step(
        &self,
        platform_id: i64,
        step: AcdStep,
        actor: &Actor,
        now: DateTime<Utc>,
    ) -> StoreResult<PendingWrite> {
        let step = Arc::new((step, actor.clone()));
        let committed = self
            .group
            .queue(move |tx| {
                let step = step.clone();
                Box::pin(async move {
                    let (step, actor) = &*step;
                    write_step(tx, platform_id, step, actor, now).await
                })
            })
            .await?;
        Ok(PendingWrite::new(committed))
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

/// The statements of one ACD step: the journal entry, the agent events, the finished calls
/// (with the callback list) and the late ratings.
async fn write_step(
    tx: &mut Tx<'_>,
    platform_id: i64,
    step: &AcdStep,
    actor: &Actor,
    now: DateTime<Utc>,
) -> StoreResult<()> {
    sqlx::query(
        "INSERT INTO acd_journal (platform_id, input, idle_after, created_at) \
         VALUES ($1, $2, $3, $4)",
    )
    .bind(platform_id)
    .bind(&step.input)
    .bind(step.idle_after)
    .bind(now)
    .execute(&mut **tx)
    .await?;
    for e in &step.events {
        append(
            tx,
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
    for call in &step.finished_calls {
        store_finished_call(tx, platform_id, call, actor, now).await?;
    }
    for (key, rating) in &step.ratings {
        match rate_call(tx, platform_id, key, rating, actor, now).await {
            Ok(_) => {}
            Err(e @ (StoreError::NotFound(_) | StoreError::Conflict(_))) => {
                tracing::warn!(error = %e, platform_id, call = %key, "a late rating was not recorded");
            }
            Err(e) => return Err(e),
        }
    }
    Ok(())
}
