//! Bulk loading of work orders that already have a history: a data migration from an older
//! system, or a benchmark's generated year (`crates/report/examples/bench_province.rs`).
//! One call writes many orders and their events in one transaction with multi-row
//! statements; the normal path (`OrderStore::create_order`/`update_order`) writes one order
//! per transaction. The SQL is in `backend/bulk_sql.rs`, compiled once per backend.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use rexian_domain::NewEvent;

use crate::StoreResult;
use crate::orders::NewOrder;

/// An order as it stands now, with the events of its history.
#[derive(Debug, Clone)]
pub struct ImportedOrder {
    /// The order; `new.snapshot` is its current state and carries its number, which must
    /// have the sub-platform's prefix. The daily sequence is raised past it.
    pub new: NewOrder,
    pub lead_department_id: Option<i64>,
    pub reply_content: Option<String>,
    pub public_reply: Option<String>,
    pub next_timer_at: Option<DateTime<Utc>>,
    /// When it was registered (`created_at`) and last changed (`updated_at`).
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    /// Its history, oldest first. The aggregate of each is replaced by the new order.
    pub events: Vec<NewEvent>,
}

#[async_trait]
pub trait BulkStore: Send + Sync {
    /// Stores `orders` with their events in one transaction and returns how many were
    /// stored. A number used already, or with another sub-platform's prefix, is a conflict
    /// and nothing is stored.
    async fn import_orders(&self, platform_id: i64, orders: &[ImportedOrder]) -> StoreResult<u64>;
}
