//! Reads for reports (issue 6): the event log by event type and time, for figures that
//! depend on what happened rather than on an order's current state (e.g. whether a callback
//! deadline was met). The SQL is in `backend/report_sql.rs`, compiled once per backend.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use rexian_domain::Event;

use crate::StoreResult;

#[async_trait]
pub trait ReportStore: Send + Sync {
    /// Events of one sub-platform of this type that occurred in `[from, to)`, oldest first.
    async fn events_by_type(
        &self,
        platform_id: i64,
        event_type: &str,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> StoreResult<Vec<Event>>;
}
