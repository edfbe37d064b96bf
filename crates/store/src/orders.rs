//! Work orders (工单) in storage: the [`OrderStore`] trait, its rows and filters. The SQL is
//! in `backend/orders_sql.rs`, compiled once per backend like `sql.rs`.
//!
//! The lifecycle's whole state is the order's [`OrderSnapshot`] (JSON column `snapshot`);
//! `state`, `supervision_level`, the three `*_due_at` and `next_timer_at` are copies kept
//! for filters, sorting and the deadline timers, always written together with it.
//!
//! Invariant: every change of an order writes its events in the same transaction, and a
//! change is refused (`Conflict`) when the order's `version` moved since it was read.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use rexian_domain::{Actor, NewEvent};
use rexian_orders::calendar::HolidaySchedule;
use rexian_orders::{OrderSnapshot, OrderState, RequestKind, Source, SupervisionLevel};
use serde::Serialize;

use crate::StoreResult;

/// A work order as stored.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct WorkOrder {
    pub id: i64,
    pub platform_id: i64,
    pub number: String,
    pub kind: RequestKind,
    pub state: OrderState,
    pub urgent: bool,
    pub confidential: bool,
    pub leader_flagged: bool,
    pub source: Source,
    pub supervision_level: SupervisionLevel,
    pub category_code: Option<String>,
    pub title: String,
    pub content: String,
    pub caller_name: String,
    /// Full digits: show only to roles with `ViewCallerPhone`, mask everywhere else.
    pub caller_phone: String,
    pub town: Option<String>,
    pub address: Option<String>,
    pub lat: Option<f64>,
    pub lng: Option<f64>,
    pub call_id: Option<String>,
    pub lead_department_id: Option<i64>,
    /// The department's latest reply (or the agent's direct answer).
    pub reply_content: Option<String>,
    /// What a citizen may read: the reply once the platform approved it.
    pub public_reply: Option<String>,
    pub snapshot: OrderSnapshot,
    pub sign_due_at: Option<DateTime<Utc>>,
    pub handle_due_at: Option<DateTime<Utc>>,
    pub callback_due_at: Option<DateTime<Utc>>,
    pub next_timer_at: Option<DateTime<Utc>>,
    pub version: i64,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// An order to register. `snapshot` comes from `rexian_orders::register`; its number is a
/// placeholder that the store replaces with the next number of the day.
#[derive(Debug, Clone)]
pub struct NewOrder {
    pub snapshot: OrderSnapshot,
    pub confidential: bool,
    pub leader_flagged: bool,
    pub source: Source,
    pub category_code: Option<String>,
    pub title: String,
    pub content: String,
    pub caller_name: String,
    /// Digits only (`rexian_domain::Phone::digits`).
    pub caller_phone: String,
    pub town: Option<String>,
    pub address: Option<String>,
    pub lat: Option<f64>,
    pub lng: Option<f64>,
    pub call_id: Option<String>,
    /// The same key on the same sub-platform returns the first order and creates nothing.
    pub idempotency_key: Option<String>,
}

/// What a transition (or a timer check) writes.
#[derive(Debug, Clone)]
pub struct OrderUpdate {
    pub snapshot: OrderSnapshot,
    pub lead_department_id: Option<i64>,
    /// Set the latest reply text.
    pub reply_content: Option<String>,
    /// Copy the latest reply to the public reply (approved, or answered directly).
    pub publish_reply: bool,
    pub next_timer_at: Option<DateTime<Utc>>,
}

/// A place in a list ordered by a deadline, then id: the last order of the page before.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DeadlineCursor {
    pub due_at: DateTime<Utc>,
    pub id: i64,
}

/// Filters of the order list; all optional, combined with AND.
#[derive(Debug, Clone, Default)]
pub struct OrderFilter {
    pub state: Option<OrderState>,
    pub kind: Option<RequestKind>,
    pub department_id: Option<i64>,
    /// Orders with a running deadline already passed at `now` (true), or none (false).
    pub overdue: Option<bool>,
    /// Orders whose running deadline ends before this instant.
    pub due_before: Option<DateTime<Utc>>,
    /// Text contained in the title or the content.
    pub text: Option<String>,
    /// Full digits of the caller's phone.
    pub caller_phone: Option<String>,
    pub created_from: Option<DateTime<Utc>>,
    pub created_to: Option<DateTime<Utc>>,
    /// Cursor: only orders with an id below this one (the list is newest first).
    pub before_id: Option<i64>,
}

/// A matter category (事项分类) of one sub-platform.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct MatterCategory {
    pub code: String,
    pub name: String,
    pub parent_code: Option<String>,
    pub active: bool,
}

/// What a citizen may learn about their order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PublicOrderStatus {
    pub number: String,
    pub state: OrderState,
    pub public_reply: Option<String>,
}

/// Metadata of a file attached to an order (the file itself is kept elsewhere).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Attachment {
    pub id: i64,
    pub order_id: i64,
    pub file_name: String,
    pub content_type: String,
    pub size_bytes: i64,
    /// Hex SHA-256 of the file, when the uploader gave it.
    pub sha256: Option<String>,
    /// Who recorded it (the actor column form, e.g. `user:12:li.ming`).
    pub uploaded_by: String,
    pub uploaded_at: DateTime<Utc>,
}

/// An attachment to record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewAttachment {
    pub file_name: String,
    pub content_type: String,
    pub size_bytes: i64,
    pub sha256: Option<String>,
}

/// The most orders one list call returns.
pub const MAX_ORDER_PAGE: i64 = 200;

#[async_trait]
pub trait OrderStore: Send + Sync + 'static {
    /// Relates two orders of the sub-platform (关联工单), in both directions, with an
    /// `order.related` event on each. Relating them again changes nothing and returns false.
    async fn relate_orders(
        &self,
        platform_id: i64,
        order_id: i64,
        related_order_id: i64,
        actor: &Actor,
        now: DateTime<Utc>,
    ) -> StoreResult<bool>;

    /// The orders related to one order, oldest relation first.
    async fn related_orders(&self, platform_id: i64, order_id: i64) -> StoreResult<Vec<WorkOrder>>;

    /// Records an attachment's metadata with an `order.attachment_added` event.
    async fn add_attachment(
        &self,
        platform_id: i64,
        order_id: i64,
        new: &NewAttachment,
        actor: &Actor,
        now: DateTime<Utc>,
    ) -> StoreResult<Attachment>;

    async fn attachments(&self, platform_id: i64, order_id: i64) -> StoreResult<Vec<Attachment>>;

    /// Registers an order with the next number of the (Beijing) day and its
    /// `order.registered` event. Returns the order and whether it was created now (false:
    /// the idempotency key was seen before, and the first order is returned unchanged).
    async fn create_order(
        &self,
        platform_id: i64,
        new: &NewOrder,
        actor: &Actor,
        now: DateTime<Utc>,
    ) -> StoreResult<(WorkOrder, bool)>;

    async fn order(&self, platform_id: i64, id: i64) -> StoreResult<Option<WorkOrder>>;

    /// The order to change with [`OrderStore::update_order`]: this process's copy from its
    /// last write when it has one (no database round trip), else as stored. The copy is stale
    /// if another process changed the order since; `update_order` then answers `Conflict`
    /// and forgets it, so reading again here gives the stored order.
    async fn order_for_change(&self, platform_id: i64, id: i64) -> StoreResult<Option<WorkOrder>> {
        self.order(platform_id, id).await
    }

    async fn order_by_number(
        &self,
        platform_id: i64,
        number: &str,
    ) -> StoreResult<Option<WorkOrder>>;

    /// Newest first, at most `limit` (capped at [`MAX_ORDER_PAGE`]).
    async fn list_orders(
        &self,
        platform_id: i64,
        filter: &OrderFilter,
        now: DateTime<Utc>,
        limit: i64,
    ) -> StoreResult<Vec<WorkOrder>>;

    /// Writes the new snapshot of `order` and its columns and appends `events`, in one
    /// transaction, only if the order is still stored at `order.version`; otherwise
    /// `Conflict` (or `NotFound`). Returns the order as stored now.
    async fn update_order(
        &self,
        order: &WorkOrder,
        update: &OrderUpdate,
        events: &[NewEvent],
        now: DateTime<Utc>,
    ) -> StoreResult<WorkOrder>;

    /// A department's open orders (dispatched to it and not yet replied), optionally in one
    /// state, the nearest handling deadline first; after `after` (the last of the previous
    /// page) if given.
    async fn department_inbox(
        &self,
        platform_id: i64,
        department_id: i64,
        state: Option<OrderState>,
        after: Option<DeadlineCursor>,
        limit: i64,
    ) -> StoreResult<Vec<WorkOrder>>;

    /// Orders waiting for their callback (待回访), the oldest deadline first; after `after`
    /// if given.
    async fn callback_list(
        &self,
        platform_id: i64,
        after: Option<DeadlineCursor>,
        limit: i64,
    ) -> StoreResult<Vec<WorkOrder>>;

    /// Orders of every sub-platform whose next timer is due at `now`, earliest first.
    async fn orders_due_for_timers(
        &self,
        now: DateTime<Utc>,
        limit: i64,
    ) -> StoreResult<Vec<WorkOrder>>;

    /// A citizen's lookup: the order number and the last 4 digits of the caller's phone.
    async fn public_order_status(
        &self,
        number: &str,
        phone_last4: &str,
    ) -> StoreResult<Option<PublicOrderStatus>>;

    async fn list_matter_categories(&self, platform_id: i64) -> StoreResult<Vec<MatterCategory>>;

    async fn matter_category(
        &self,
        platform_id: i64,
        code: &str,
    ) -> StoreResult<Option<MatterCategory>>;

    /// Holiday schedules set by an administrator for this sub-platform, by year.
    async fn list_holiday_schedules(&self, platform_id: i64) -> StoreResult<Vec<HolidaySchedule>>;

    /// Sets (adds or replaces) one year's schedule, with a `calendar.schedule_set` event.
    async fn put_holiday_schedule(
        &self,
        platform_id: i64,
        schedule: &HolidaySchedule,
        actor: &Actor,
        now: DateTime<Utc>,
    ) -> StoreResult<()>;
}
