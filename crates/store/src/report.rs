//! Reads for reports (issue 6): the event log by event type and time, for figures that
//! depend on what happened rather than on an order's current state (e.g. whether a callback
//! deadline was met). The SQL is in `backend/report_sql.rs`, compiled once per backend.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use rexian_domain::Event;

use crate::StoreResult;

/// What the assessment reads of a call: the figures and what the drill-down shows.
#[derive(Debug, Clone, PartialEq)]
pub struct CallFact {
    pub id: i64,
    pub arrived_at: DateTime<Utc>,
    pub queue: String,
    pub agent: Option<String>,
    /// Full digits: mask before showing.
    pub caller: String,
    pub outcome: String,
    pub wait_seconds: f64,
    pub satisfaction: Option<String>,
}

/// Calls of a range grouped by what the assessment counts, with their ids.
#[derive(Debug, Clone, PartialEq)]
pub struct CallGroup {
    pub outcome: String,
    pub satisfaction: Option<String>,
    /// Waited less than the short-abandon threshold asked for.
    pub quick: bool,
    /// Ascending.
    pub ids: Vec<i64>,
}

/// An order's id, number and state, for counts by state.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OrderFact {
    pub id: i64,
    pub number: String,
    /// `rexian_orders::OrderState` code.
    pub state: String,
}

/// A callback deadline named in the event log: from an `order.called_back` event (its
/// `timeliness`, when that is the callback deadline) or an `order.callback_overdue` event.
/// The fields are read out of the payload by the database, so a year of events does not
/// travel as whole payloads.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeadlineEvent {
    /// The order's id (the event's aggregate id).
    pub aggregate_id: String,
    /// `payload.number`, when it is a string.
    pub number: Option<String>,
    /// The deadline's `due_at` as written (RFC 3339), when it is a string.
    pub due_at: Option<String>,
    /// `timeliness.on_time` is `true` (never for an overdue event).
    pub on_time: bool,
    /// An `order.callback_overdue` event.
    pub overdue: bool,
}

#[async_trait]
pub trait ReportStore: Send + Sync {
    /// The calls that arrived in `[from, to)` grouped by outcome, rating and whether they
    /// waited less than `quick_seconds`, in that order of the keys (no rating first): read
    /// in one pass without a sort, as one short text of numbers however many calls.
    async fn call_groups(
        &self,
        platform_id: i64,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
        quick_seconds: f64,
    ) -> StoreResult<Vec<CallGroup>>;

    /// Orders of one kind (`RequestKind` code) registered in `[from, to)`, by id.
    /// Orders still waiting for their callback (待回访) whose callback deadline falls in
    /// `[from, to)`: id, number and deadline, every one (no page limit), by deadline.
    async fn pending_callbacks_due(
        &self,
        platform_id: i64,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> StoreResult<Vec<(i64, String, DateTime<Utc>)>>;

    async fn order_facts(
        &self,
        platform_id: i64,
        kind: &str,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> StoreResult<Vec<OrderFact>>;

    /// The calls of one sub-platform that arrived in `[from, to)`, oldest first: only the
    /// columns the assessment needs (a month of calls in a few milliseconds).
    async fn call_facts(
        &self,
        platform_id: i64,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> StoreResult<Vec<CallFact>>;

    /// The callback deadlines in events of one sub-platform that occurred in `[from, to)`:
    /// first the `order.called_back` events whose `timeliness.deadline` is `callback`, then
    /// the `order.callback_overdue` events, each oldest first.
    async fn callback_deadline_events(
        &self,
        platform_id: i64,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> StoreResult<Vec<DeadlineEvent>>;

    /// Events of one sub-platform of this type that occurred in `[from, to)`, oldest first.
    async fn events_by_type(
        &self,
        platform_id: i64,
        event_type: &str,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> StoreResult<Vec<Event>>;
}
