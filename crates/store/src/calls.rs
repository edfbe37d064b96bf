//! Calls: finished call records (live ACD or imported PBX logs) and the missed-call callback
//! list (漏接回拨). The SQL is in `backend/calls_sql.rs`, compiled once per backend.
//!
//! Invariant: a call is stored at most once per sub-platform and dedup key (the provincial
//! call id for CTI calls, the importer's key for imported ones); storing it again is a no-op.
//! Invariant: the callback list holds one entry per caller number per Beijing day; a later
//! miss the same day folds into it, and an answered call from the number later that day
//! closes it (`got_through`).

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use rexian_domain::{Actor, AggregateRef};
use serde::Serialize;

use crate::StoreResult;

/// Where a call record came from.
pub const CALL_SOURCES: [&str; 4] = [
    "cti",
    "asterisk_queue_log",
    "asterisk_cdr",
    "freeswitch_cdr",
];

/// Outcomes that mean an agent of the sub-platform answered.
pub const ANSWERED_OUTCOMES: [&str; 2] = ["completed", "transferred"];

/// A finished call to store.
#[derive(Debug, Clone)]
pub struct NewCall {
    pub source: String,
    pub dedup_key: String,
    pub caller: String,
    pub called: String,
    pub queue: String,
    pub agent: Option<String>,
    pub arrived_at: DateTime<Utc>,
    pub answered_at: Option<DateTime<Utc>>,
    pub ended_at: DateTime<Utc>,
    pub wait_seconds: f64,
    pub talk_seconds: f64,
    pub wrap_up_seconds: f64,
    /// `completed`, `transferred`, `abandoned`, `short_abandoned`, `overflowed`, or for
    /// imported calls that never reached a queue `busy`/`failed`.
    pub outcome: String,
    pub overflow_reason: Option<String>,
    pub satisfaction: Option<String>,
    /// The whole record (an ACD `CallRecord` as JSON), kept as it was. Already serialized,
    /// so a large import does not build a JSON tree per call.
    pub record: Box<serde_json::value::RawValue>,
}

/// A stored call.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct StoredCall {
    pub id: i64,
    pub platform_id: i64,
    pub source: String,
    pub dedup_key: String,
    pub caller: String,
    pub called: String,
    pub queue: String,
    pub agent: Option<String>,
    pub arrived_at: DateTime<Utc>,
    pub answered_at: Option<DateTime<Utc>>,
    pub ended_at: DateTime<Utc>,
    pub wait_seconds: f64,
    pub talk_seconds: f64,
    pub wrap_up_seconds: f64,
    pub outcome: String,
    pub short_abandon: bool,
    pub overflow_reason: Option<String>,
    pub satisfaction: Option<String>,
    pub order_id: Option<i64>,
    pub record: serde_json::Value,
    pub created_at: DateTime<Utc>,
}

/// Which calls to list: arrival in `[from, to)`, newest first unless `oldest_first`.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct CallQuery {
    pub from: Option<DateTime<Utc>>,
    pub to: Option<DateTime<Utc>>,
    pub queue: Option<String>,
    /// Calls this agent answered.
    pub agent: Option<String>,
    pub outcome: Option<String>,
    pub caller: Option<String>,
    /// Only ids below this (paging newest first).
    pub before_id: Option<i64>,
    pub limit: Option<i64>,
    pub oldest_first: bool,
}

/// One entry of the missed-call callback list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Callback {
    pub id: i64,
    pub platform_id: i64,
    pub caller: String,
    /// Beijing date, `YYYY-MM-DD`.
    pub day: String,
    /// `open` or `closed`.
    pub status: String,
    pub missed_count: i64,
    pub first_missed_at: DateTime<Utc>,
    pub last_missed_at: DateTime<Utc>,
    pub last_call_id: Option<i64>,
    pub attempts: i64,
    pub last_attempt_at: Option<DateTime<Utc>>,
    /// `reached`, `no_answer`, `busy`, `wrong_number`, `got_through`.
    pub outcome: Option<String>,
    pub note: Option<String>,
    pub closed_at: Option<DateTime<Utc>>,
}

/// Outcomes of a callback attempt; the first two close the entry.
pub const CALLBACK_OUTCOMES: [&str; 4] = ["reached", "wrong_number", "no_answer", "busy"];

/// Whether a callback attempt with this outcome closes the entry.
pub fn callback_outcome_closes(outcome: &str) -> bool {
    matches!(outcome, "reached" | "wrong_number")
}

#[async_trait]
pub trait CallStore: Send + Sync {
    /// Stores a finished call with its `call.finished` event, unless a call with the same
    /// dedup key is stored already. Returns the new id, or `None` for a duplicate.
    /// With `feed_callbacks`, an abandoned (not short) or overflowed call goes to the callback
    /// list (unless the number got through later that day) and an answered call closes its
    /// number's open entry of that day.
    async fn insert_call(
        &self,
        platform_id: i64,
        call: &NewCall,
        feed_callbacks: bool,
        actor: &Actor,
        now: DateTime<Utc>,
    ) -> StoreResult<Option<i64>>;

    /// Stores many calls in one transaction, skipping dedup keys already stored, with one
    /// `calls.imported` event (aggregate `call_import:<first id>`, listing the new ids) per
    /// chunk of up to 500. Returns how many were new. Does not feed the callback list.
    async fn insert_calls(
        &self,
        platform_id: i64,
        calls: &[NewCall],
        actor: &Actor,
        now: DateTime<Utc>,
    ) -> StoreResult<u64>;

    async fn call(&self, platform_id: i64, id: i64) -> StoreResult<Option<StoredCall>>;
    async fn call_by_key(
        &self,
        platform_id: i64,
        dedup_key: &str,
    ) -> StoreResult<Option<StoredCall>>;
    async fn list_calls(&self, platform_id: i64, query: &CallQuery)
    -> StoreResult<Vec<StoredCall>>;

    /// Records the caller's rating on a stored answered call (column and record JSON).
    /// `NotFound` for an unknown key; `Conflict` if not answered or already rated.
    async fn set_call_satisfaction(
        &self,
        platform_id: i64,
        dedup_key: &str,
        rating: &str,
        actor: &Actor,
        now: DateTime<Utc>,
    ) -> StoreResult<StoredCall>;

    /// Links a call to the work order registered during it. `Conflict` if it is linked to
    /// another order already.
    async fn link_call_order(
        &self,
        platform_id: i64,
        call_id: i64,
        order_id: i64,
        actor: &Actor,
        now: DateTime<Utc>,
    ) -> StoreResult<StoredCall>;

    /// Appends an event of the live ACD that changes no table (an agent signing in, going on
    /// a break, forced by the shift leader) to the event log.
    #[allow(clippy::too_many_arguments)]
    async fn log_acd_event(
        &self,
        platform_id: i64,
        aggregate: &AggregateRef,
        event_type: &str,
        payload: serde_json::Value,
        reason: Option<&str>,
        actor: &Actor,
        now: DateTime<Utc>,
    ) -> StoreResult<()>;

    /// The callback list, oldest miss first; `open_only` leaves out closed entries.
    async fn list_callbacks(&self, platform_id: i64, open_only: bool)
    -> StoreResult<Vec<Callback>>;
    async fn callback(&self, platform_id: i64, id: i64) -> StoreResult<Option<Callback>>;

    /// An agent called the number back. `reached`/`wrong_number` close the entry,
    /// `no_answer`/`busy` leave it open. `Conflict` when the entry is closed already.
    async fn record_callback_attempt(
        &self,
        platform_id: i64,
        id: i64,
        outcome: &str,
        note: Option<&str>,
        actor: &Actor,
        now: DateTime<Utc>,
    ) -> StoreResult<Callback>;
}
