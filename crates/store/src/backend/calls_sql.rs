//! The SQL of calls and the callback list, written once and compiled for each backend like
//! `sql.rs` (this file is a module of both `sqlite` and `postgres`).

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use rexian_domain::{Actor, AggregateRef};
use serde_json::json;
use sqlx::{Row, Transaction, types::Json};

use super::Db;
use super::sql::SqlStore;
use crate::calls::{
    ANSWERED_OUTCOMES, CallQuery, CallStore, Callback, NewCall, StoredCall, callback_outcome_closes,
};
use crate::{StoreError, StoreResult};

type DbRow = <Db as sqlx::Database>::Row;

/// Appends one event in the caller's transaction, through the one event-log writer of
/// `sql.rs` (so every event row is written the same way).
#[allow(clippy::too_many_arguments)]
pub(super) async fn append(
    tx: &mut Transaction<'_, Db>,
    platform_id: i64,
    aggregate: AggregateRef,
    event_type: &str,
    actor: &Actor,
    now: DateTime<Utc>,
    payload: serde_json::Value,
    reason: Option<&str>,
) -> StoreResult<()> {
    let ev = super::sql::event(aggregate, event_type, actor, now, payload, reason);
    super::sql::append_event(tx, platform_id, &ev).await?;
    Ok(())
}

const CALL_COLUMNS: &str = "id, platform_id, source, dedup_key, caller, called, queue, agent, \
    arrived_at, answered_at, ended_at, wait_seconds, talk_seconds, wrap_up_seconds, outcome, \
    short_abandon, overflow_reason, satisfaction, order_id, record, created_at";

fn call_from(row: &DbRow) -> StoreResult<StoredCall> {
    let Json(record): Json<serde_json::Value> = row.try_get("record")?;
    Ok(StoredCall {
        id: row.try_get("id")?,
        platform_id: row.try_get("platform_id")?,
        source: row.try_get("source")?,
        dedup_key: row.try_get("dedup_key")?,
        caller: row.try_get("caller")?,
        called: row.try_get("called")?,
        queue: row.try_get("queue")?,
        agent: row.try_get("agent")?,
        arrived_at: row.try_get("arrived_at")?,
        answered_at: row.try_get("answered_at")?,
        ended_at: row.try_get("ended_at")?,
        wait_seconds: row.try_get("wait_seconds")?,
        talk_seconds: row.try_get("talk_seconds")?,
        wrap_up_seconds: row.try_get("wrap_up_seconds")?,
        outcome: row.try_get("outcome")?,
        short_abandon: row.try_get("short_abandon")?,
        overflow_reason: row.try_get("overflow_reason")?,
        satisfaction: row.try_get("satisfaction")?,
        order_id: row.try_get("order_id")?,
        record,
        created_at: row.try_get("created_at")?,
    })
}

const CALLBACK_COLUMNS: &str = "id, platform_id, caller, day, status, missed_count, \
    first_missed_at, last_missed_at, last_call_id, attempts, last_attempt_at, outcome, note, \
    closed_at";

fn callback_from(row: &DbRow) -> StoreResult<Callback> {
    Ok(Callback {
        id: row.try_get("id")?,
        platform_id: row.try_get("platform_id")?,
        caller: row.try_get("caller")?,
        day: row.try_get("day")?,
        status: row.try_get("status")?,
        missed_count: row.try_get("missed_count")?,
        first_missed_at: row.try_get("first_missed_at")?,
        last_missed_at: row.try_get("last_missed_at")?,
        last_call_id: row.try_get("last_call_id")?,
        attempts: row.try_get("attempts")?,
        last_attempt_at: row.try_get("last_attempt_at")?,
        outcome: row.try_get("outcome")?,
        note: row.try_get("note")?,
        closed_at: row.try_get("closed_at")?,
    })
}

/// Bounds for an open period that both backends can store (PostgreSQL's range is narrower
/// than chrono's).
fn earliest() -> DateTime<Utc> {
    DateTime::from_timestamp(0, 0).unwrap_or_default()
}

fn latest() -> DateTime<Utc> {
    // 9999-12-31T00:00:00Z
    DateTime::from_timestamp(253_402_214_400, 0).unwrap_or_default()
}

/// The Beijing date of an instant and the UTC bounds of that day.
fn beijing_day(t: DateTime<Utc>) -> (String, DateTime<Utc>, DateTime<Utc>) {
    let local = t.with_timezone(&rexian_domain::time::beijing());
    let date = local.date_naive();
    let start = date
        .and_hms_opt(0, 0, 0)
        .and_then(|d| {
            d.and_local_timezone(rexian_domain::time::beijing())
                .single()
        })
        .map(|d| d.with_timezone(&Utc))
        .unwrap_or(t);
    (
        date.format("%Y-%m-%d").to_string(),
        start,
        start + chrono::Duration::days(1),
    )
}

/// The payload of a call's first event. No caller number: the event log is readable by
/// more roles than the number.
fn call_payload(c: &NewCall) -> serde_json::Value {
    json!({
        "source": c.source, "dedup_key": c.dedup_key, "queue": c.queue,
        "agent": c.agent, "outcome": c.outcome, "arrived_at": c.arrived_at,
        "wait_seconds": c.wait_seconds, "talk_seconds": c.talk_seconds,
    })
}

/// Inserts one call (and its event) unless its key is stored. `None` for a duplicate.
async fn insert_one(
    tx: &mut Transaction<'_, Db>,
    platform_id: i64,
    c: &NewCall,
    event_type: &str,
    actor: &Actor,
    now: DateTime<Utc>,
) -> StoreResult<Option<i64>> {
    let id: Option<i64> = sqlx::query_scalar(
        "INSERT INTO calls (platform_id, source, dedup_key, caller, called, queue, agent, \
         arrived_at, answered_at, ended_at, wait_seconds, talk_seconds, wrap_up_seconds, \
         outcome, short_abandon, overflow_reason, satisfaction, order_id, record, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, \
         NULL, $18, $19) ON CONFLICT (platform_id, dedup_key) DO NOTHING RETURNING id",
    )
    .bind(platform_id)
    .bind(&c.source)
    .bind(&c.dedup_key)
    .bind(&c.caller)
    .bind(&c.called)
    .bind(&c.queue)
    .bind(&c.agent)
    .bind(c.arrived_at)
    .bind(c.answered_at)
    .bind(c.ended_at)
    .bind(c.wait_seconds)
    .bind(c.talk_seconds)
    .bind(c.wrap_up_seconds)
    .bind(&c.outcome)
    .bind(c.outcome == "short_abandoned")
    .bind(&c.overflow_reason)
    .bind(&c.satisfaction)
    .bind(Json(&c.record))
    .bind(now)
    .fetch_optional(&mut **tx)
    .await?;
    let Some(id) = id else {
        return Ok(None);
    };
    append(
        tx,
        platform_id,
        AggregateRef::new("call", id),
        event_type,
        actor,
        now,
        call_payload(c),
        None,
    )
    .await?;
    Ok(Some(id))
}

/// Feeds the callback list with a newly stored call (see `CallStore::insert_call`).
async fn feed_callbacks(
    tx: &mut Transaction<'_, Db>,
    platform_id: i64,
    call_id: i64,
    c: &NewCall,
    actor: &Actor,
    now: DateTime<Utc>,
) -> StoreResult<()> {
    if c.caller.trim().is_empty() {
        return Ok(());
    }
    let (day, start, end) = beijing_day(c.arrived_at);
    if ANSWERED_OUTCOMES.contains(&c.outcome.as_str()) {
        let row = sqlx::query(
            "UPDATE call_callbacks SET status = 'closed', outcome = 'got_through', closed_at = $4 \
             WHERE platform_id = $1 AND caller = $2 AND day = $3 AND status = 'open' \
             AND first_missed_at <= $5 RETURNING id",
        )
        .bind(platform_id)
        .bind(&c.caller)
        .bind(&day)
        .bind(now)
        .bind(c.arrived_at)
        .fetch_optional(&mut **tx)
        .await?;
        if let Some(row) = row {
            let id: i64 = row.try_get("id")?;
            append(
                tx,
                platform_id,
                AggregateRef::new("callback", id),
                "callback.closed",
                actor,
                now,
                json!({ "outcome": "got_through", "call_id": call_id }),
                None,
            )
            .await?;
        }
        return Ok(());
    }
    if !matches!(c.outcome.as_str(), "abandoned" | "overflowed") {
        return Ok(());
    }
    // The number got through later the same day: nothing to call back.
    let later: Option<i64> = sqlx::query_scalar(
        "SELECT id FROM calls WHERE platform_id = $1 AND caller = $2 AND arrived_at > $3 \
         AND arrived_at < $4 AND outcome IN ('completed', 'transferred') LIMIT 1",
    )
    .bind(platform_id)
    .bind(&c.caller)
    .bind(c.arrived_at)
    .bind(end)
    .fetch_optional(&mut **tx)
    .await?;
    if later.is_some() || c.arrived_at < start {
        return Ok(());
    }
    let row = sqlx::query(
        "INSERT INTO call_callbacks (platform_id, caller, day, status, missed_count, \
         first_missed_at, last_missed_at, last_call_id, attempts) \
         VALUES ($1, $2, $3, 'open', 1, $4, $4, $5, 0) \
         ON CONFLICT (platform_id, caller, day) DO UPDATE SET \
         missed_count = call_callbacks.missed_count + 1, status = 'open', outcome = NULL, \
         closed_at = NULL, last_call_id = excluded.last_call_id, \
         last_missed_at = CASE WHEN excluded.last_missed_at > call_callbacks.last_missed_at \
           THEN excluded.last_missed_at ELSE call_callbacks.last_missed_at END, \
         first_missed_at = CASE WHEN excluded.first_missed_at < call_callbacks.first_missed_at \
           THEN excluded.first_missed_at ELSE call_callbacks.first_missed_at END \
         RETURNING id, missed_count",
    )
    .bind(platform_id)
    .bind(&c.caller)
    .bind(&day)
    .bind(c.arrived_at)
    .bind(call_id)
    .fetch_one(&mut **tx)
    .await?;
    let id: i64 = row.try_get("id")?;
    let missed: i64 = row.try_get("missed_count")?;
    let kind = if missed == 1 {
        "callback.created"
    } else {
        "callback.missed_again"
    };
    append(
        tx,
        platform_id,
        AggregateRef::new("callback", id),
        kind,
        actor,
        now,
        json!({ "call_id": call_id, "day": day, "missed_count": missed, "outcome": c.outcome }),
        None,
    )
    .await?;
    Ok(())
}

#[async_trait]
impl CallStore for SqlStore {
    async fn insert_call(
        &self,
        platform_id: i64,
        call: &NewCall,
        feed: bool,
        actor: &Actor,
        now: DateTime<Utc>,
    ) -> StoreResult<Option<i64>> {
        let mut tx = self.writer.begin().await?;
        let id = if feed {
            store_finished_call(&mut tx, platform_id, call, actor, now).await?
        } else {
            insert_one(&mut tx, platform_id, call, "call.finished", actor, now).await?
        };
        tx.commit().await?;
        Ok(id)
    }

    async fn insert_calls(
        &self,
        platform_id: i64,
        calls: &[NewCall],
        actor: &Actor,
        now: DateTime<Utc>,
    ) -> StoreResult<u64> {
        // Multi-row statements: one INSERT of the calls (duplicates ignored, the new ones
        // returned) and one INSERT of their events per chunk, in one transaction.
        let mut tx = self.writer.begin().await?;
        let mut new = 0;
        for chunk in calls.chunks(500) {
            let mut q = sqlx::QueryBuilder::<Db>::new(
                "INSERT INTO calls (platform_id, source, dedup_key, caller, called, queue, \
                 agent, arrived_at, answered_at, ended_at, wait_seconds, talk_seconds, \
                 wrap_up_seconds, outcome, short_abandon, overflow_reason, satisfaction, \
                 record, created_at) ",
            );
            q.push_values(chunk, |mut b, c| {
                b.push_bind(platform_id)
                    .push_bind(&c.source)
                    .push_bind(&c.dedup_key)
                    .push_bind(&c.caller)
                    .push_bind(&c.called)
                    .push_bind(&c.queue)
                    .push_bind(&c.agent)
                    .push_bind(c.arrived_at)
                    .push_bind(c.answered_at)
                    .push_bind(c.ended_at)
                    .push_bind(c.wait_seconds)
                    .push_bind(c.talk_seconds)
                    .push_bind(c.wrap_up_seconds)
                    .push_bind(&c.outcome)
                    .push_bind(c.outcome == "short_abandoned")
                    .push_bind(&c.overflow_reason)
                    .push_bind(&c.satisfaction)
                    .push_bind(Json(&c.record))
                    .push_bind(now);
            });
            q.push(" ON CONFLICT (platform_id, dedup_key) DO NOTHING RETURNING id, dedup_key");
            let rows = q.build().fetch_all(&mut *tx).await?;
            if rows.is_empty() {
                continue;
            }
            let by_key: std::collections::HashMap<&str, &NewCall> =
                chunk.iter().map(|c| (c.dedup_key.as_str(), c)).collect();
            let mut inserted = Vec::with_capacity(rows.len());
            for row in &rows {
                let id: i64 = row.try_get("id")?;
                let key: String = row.try_get("dedup_key")?;
                let c = by_key
                    .get(key.as_str())
                    .ok_or_else(|| StoreError::Corrupt(format!("unknown key {key} returned")))?;
                inserted.push((id, *c));
            }
            new += inserted.len() as u64;
            // One event per chunk: a batch import is one change; each call's row keeps its
            // own origin (file line numbers) in its record.
            let first = inserted.first().map(|(id, _)| *id).unwrap_or_default();
            let last = inserted.last().map(|(id, _)| *id).unwrap_or_default();
            append(
                &mut tx,
                platform_id,
                AggregateRef::new("call_import", first),
                "calls.imported",
                actor,
                now,
                json!({
                    "source": chunk.first().map(|c| c.source.as_str()),
                    "count": inserted.len(),
                    "first_call_id": first,
                    "last_call_id": last,
                    "call_ids": inserted.iter().map(|(id, _)| *id).collect::<Vec<_>>(),
                }),
                None,
            )
            .await?;
        }
        tx.commit().await?;
        Ok(new)
    }

    async fn call(&self, platform_id: i64, id: i64) -> StoreResult<Option<StoredCall>> {
        let row = sqlx::query(&format!(
            "SELECT {CALL_COLUMNS} FROM calls WHERE platform_id = $1 AND id = $2"
        ))
        .bind(platform_id)
        .bind(id)
        .fetch_optional(&self.reader)
        .await?;
        row.as_ref().map(call_from).transpose()
    }

    async fn call_by_key(
        &self,
        platform_id: i64,
        dedup_key: &str,
    ) -> StoreResult<Option<StoredCall>> {
        let row = sqlx::query(&format!(
            "SELECT {CALL_COLUMNS} FROM calls WHERE platform_id = $1 AND dedup_key = $2"
        ))
        .bind(platform_id)
        .bind(dedup_key)
        .fetch_optional(&self.reader)
        .await?;
        row.as_ref().map(call_from).transpose()
    }

    async fn list_calls(&self, platform_id: i64, q: &CallQuery) -> StoreResult<Vec<StoredCall>> {
        // Optional filters as `($n IS NULL OR col = $n)`, so one text serves every query.
        let order = if q.oldest_first { "ASC" } else { "DESC" };
        let rows = sqlx::query(&format!(
            "SELECT {CALL_COLUMNS} FROM calls WHERE platform_id = $1 \
             AND arrived_at >= $2 AND arrived_at < $3 \
             AND ($4 IS NULL OR queue = $4) AND ($5 IS NULL OR agent = $5) \
             AND ($6 IS NULL OR outcome = $6) AND ($7 IS NULL OR caller = $7) \
             AND id < $8 ORDER BY arrived_at {order}, id {order} LIMIT $9"
        ))
        .bind(platform_id)
        .bind(q.from.unwrap_or_else(earliest))
        .bind(q.to.unwrap_or_else(latest))
        .bind(&q.queue)
        .bind(&q.agent)
        .bind(&q.outcome)
        .bind(&q.caller)
        .bind(q.before_id.unwrap_or(i64::MAX))
        .bind(q.limit.unwrap_or(i64::MAX))
        .fetch_all(&self.reader)
        .await?;
        rows.iter().map(call_from).collect()
    }

    async fn set_call_satisfaction(
        &self,
        platform_id: i64,
        dedup_key: &str,
        rating: &str,
        actor: &Actor,
        now: DateTime<Utc>,
    ) -> StoreResult<StoredCall> {
        let mut tx = self.writer.begin().await?;
        let call = rate_call(&mut tx, platform_id, dedup_key, rating, actor, now).await?;
        tx.commit().await?;
        Ok(call)
    }

    async fn link_call_order(
        &self,
        platform_id: i64,
        call_id: i64,
        order_id: i64,
        actor: &Actor,
        now: DateTime<Utc>,
    ) -> StoreResult<StoredCall> {
        let mut tx = self.writer.begin().await?;
        let row = sqlx::query(&format!(
            "SELECT {CALL_COLUMNS} FROM calls WHERE platform_id = $1 AND id = $2"
        ))
        .bind(platform_id)
        .bind(call_id)
        .fetch_optional(&mut *tx)
        .await?
        .ok_or(StoreError::NotFound("call"))?;
        let mut call = call_from(&row)?;
        match call.order_id {
            Some(o) if o == order_id => return Ok(call),
            Some(o) => {
                return Err(StoreError::Conflict(format!(
                    "the call is linked to order {o} already"
                )));
            }
            None => {}
        }
        sqlx::query("UPDATE calls SET order_id = $3 WHERE platform_id = $1 AND id = $2")
            .bind(platform_id)
            .bind(call_id)
            .bind(order_id)
            .execute(&mut *tx)
            .await?;
        append(
            &mut tx,
            platform_id,
            AggregateRef::new("call", call_id),
            "call.order_linked",
            actor,
            now,
            json!({ "order_id": order_id }),
            None,
        )
        .await?;
        tx.commit().await?;
        call.order_id = Some(order_id);
        Ok(call)
    }

    async fn log_acd_event(
        &self,
        platform_id: i64,
        aggregate: &AggregateRef,
        event_type: &str,
        payload: serde_json::Value,
        reason: Option<&str>,
        actor: &Actor,
        now: DateTime<Utc>,
    ) -> StoreResult<()> {
        let mut tx = self.writer.begin().await?;
        append(
            &mut tx,
            platform_id,
            aggregate.clone(),
            event_type,
            actor,
            now,
            payload,
            reason,
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    async fn list_callbacks(
        &self,
        platform_id: i64,
        open_only: bool,
    ) -> StoreResult<Vec<Callback>> {
        let rows = sqlx::query(&format!(
            "SELECT {CALLBACK_COLUMNS} FROM call_callbacks WHERE platform_id = $1 \
             AND ($2 = FALSE OR status = 'open') ORDER BY first_missed_at, id"
        ))
        .bind(platform_id)
        .bind(open_only)
        .fetch_all(&self.reader)
        .await?;
        rows.iter().map(callback_from).collect()
    }

    async fn callback(&self, platform_id: i64, id: i64) -> StoreResult<Option<Callback>> {
        let row = sqlx::query(&format!(
            "SELECT {CALLBACK_COLUMNS} FROM call_callbacks WHERE platform_id = $1 AND id = $2"
        ))
        .bind(platform_id)
        .bind(id)
        .fetch_optional(&self.reader)
        .await?;
        row.as_ref().map(callback_from).transpose()
    }

    async fn record_callback_attempt(
        &self,
        platform_id: i64,
        id: i64,
        outcome: &str,
        note: Option<&str>,
        actor: &Actor,
        now: DateTime<Utc>,
    ) -> StoreResult<Callback> {
        let mut tx = self.writer.begin().await?;
        let status: Option<String> = sqlx::query_scalar(
            "SELECT status FROM call_callbacks WHERE platform_id = $1 AND id = $2",
        )
        .bind(platform_id)
        .bind(id)
        .fetch_optional(&mut *tx)
        .await?;
        match status.as_deref() {
            None => return Err(StoreError::NotFound("callback")),
            Some("open") => {}
            Some(s) => {
                return Err(StoreError::Conflict(format!(
                    "the callback entry is {s} already"
                )));
            }
        }
        let closes = callback_outcome_closes(outcome);
        let row = sqlx::query(&format!(
            "UPDATE call_callbacks SET attempts = attempts + 1, last_attempt_at = $3, \
             outcome = $4, note = $5, status = $6, closed_at = $7 \
             WHERE platform_id = $1 AND id = $2 RETURNING {CALLBACK_COLUMNS}"
        ))
        .bind(platform_id)
        .bind(id)
        .bind(now)
        .bind(outcome)
        .bind(note)
        .bind(if closes { "closed" } else { "open" })
        .bind(closes.then_some(now))
        .fetch_one(&mut *tx)
        .await?;
        let cb = callback_from(&row)?;
        append(
            &mut tx,
            platform_id,
            AggregateRef::new("callback", id),
            if closes {
                "callback.closed"
            } else {
                "callback.attempted"
            },
            actor,
            now,
            json!({ "outcome": outcome, "attempts": cb.attempts }),
            note,
        )
        .await?;
        tx.commit().await?;
        Ok(cb)
    }
}

/// Rates a stored, answered, unrated call (with its event). Refusals (`NotFound`,
/// `Conflict`) come before any change.
pub(super) async fn rate_call(
    tx: &mut Transaction<'_, Db>,
    platform_id: i64,
    dedup_key: &str,
    rating: &str,
    actor: &Actor,
    now: DateTime<Utc>,
) -> StoreResult<StoredCall> {
    let row = sqlx::query(&format!(
        "SELECT {CALL_COLUMNS} FROM calls WHERE platform_id = $1 AND dedup_key = $2"
    ))
    .bind(platform_id)
    .bind(dedup_key)
    .fetch_optional(&mut **tx)
    .await?
    .ok_or(StoreError::NotFound("call"))?;
    let mut call = call_from(&row)?;
    if !ANSWERED_OUTCOMES.contains(&call.outcome.as_str()) {
        return Err(StoreError::Conflict(format!(
            "the call was not answered (outcome: {})",
            call.outcome
        )));
    }
    if let Some(r) = &call.satisfaction {
        return Err(StoreError::Conflict(format!(
            "the call is already rated ({r})"
        )));
    }
    if let Some(obj) = call.record.as_object_mut() {
        obj.insert("satisfaction".into(), json!(rating));
    }
    sqlx::query(
        "UPDATE calls SET satisfaction = $3, record = $4 WHERE platform_id = $1 AND id = $2",
    )
    .bind(platform_id)
    .bind(call.id)
    .bind(rating)
    .bind(Json(&call.record))
    .execute(&mut **tx)
    .await?;
    append(
        tx,
        platform_id,
        AggregateRef::new("call", call.id),
        "call.satisfaction_recorded",
        actor,
        now,
        json!({ "rating": rating, "agent": call.agent }),
        None,
    )
    .await?;
    call.satisfaction = Some(rating.to_owned());
    Ok(call)
}

/// Stores a finished live call unless stored, and feeds the callback list with it (the
/// statements of `CallStore::insert_call`, in the caller's transaction).
pub(super) async fn store_finished_call(
    tx: &mut Transaction<'_, Db>,
    platform_id: i64,
    call: &NewCall,
    actor: &Actor,
    now: DateTime<Utc>,
) -> StoreResult<Option<i64>> {
    let id = insert_one(tx, platform_id, call, "call.finished", actor, now).await?;
    if let Some(id) = id {
        feed_callbacks(tx, platform_id, id, call, actor, now).await?;
    }
    Ok(id)
}
