//! Storage for rexian behind one [`Store`] trait, with two implementations chosen once at
//! start from the database URL: SQLite (the embedded default, one file under the data
//! directory) and PostgreSQL. Both run the same SQL text (see `sql.rs`); only the
//! connection set-up and the migrations differ per backend.
//!
//! Invariant: every write that changes state also appends its event(s) to `events` in the
//! same transaction; either both are stored or neither.
//! Invariant: every query that reads or writes tenant data names its `platform_id`.

pub mod acd_journal;
mod backend;
pub mod bulk;
pub mod calls;
mod error;
mod model;
pub mod operations;
mod order_cache;
pub mod orders;
pub mod report;
mod url;

#[cfg(feature = "test-util")]
pub mod testing;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use rexian_domain::{Actor, AggregateRef, Event};
use std::sync::Arc;

pub use acd_journal::{AcdJournalStore, AcdStep, AgentStateChange, JournalEvent, PendingWrite};
pub use backend::migrations_for;
pub use bulk::{BulkStore, ImportedOrder};
pub use calls::{CallQuery, CallStore, Callback, NewCall, StoredCall};
pub use error::{StoreError, StoreResult};
pub use model::*;
pub use operations::{OpsResult, OpsStore, OpsStoreError};
pub use orders::{
    Attachment, DeadlineCursor, MatterCategory, NewAttachment, NewOrder, OrderFilter, OrderStore,
    OrderUpdate, PublicOrderStatus, WorkOrder,
};
pub use report::{CallFact, CallGroup, DeadlineEvent, OrderFact, ReportStore};
pub use url::{Backend, DatabaseLocation, SqliteDurability};

/// Everything rexian stores. Object-safe, so the server holds an `Arc<dyn Store>` chosen at
/// start and the handlers compile once for both backends.
#[async_trait]
pub trait Store:
    OrderStore
    + CallStore
    + AcdJournalStore
    + OpsStore
    + ReportStore
    + BulkStore
    + Send
    + Sync
    + 'static
{
    fn backend(&self) -> Backend;

    /// A cheap round trip, for health checks.
    async fn ping(&self) -> StoreResult<()>;

    /// Table name → column names, for the migration test that compares backends.
    async fn schema(&self) -> StoreResult<Vec<(String, Vec<String>)>>;

    // ---- sub-platforms ----
    async fn list_platforms(&self) -> StoreResult<Vec<Platform>>;
    async fn platform(&self, id: i64) -> StoreResult<Option<Platform>>;
    async fn platform_by_code(&self, code: &str) -> StoreResult<Option<Platform>>;
    /// Creates a sub-platform with its towns, departments, seats and staff positions in one
    /// transaction. A code that exists already is a conflict.
    async fn seed_platform(
        &self,
        seed: &PlatformSeed,
        actor: &Actor,
        now: DateTime<Utc>,
    ) -> StoreResult<Platform>;

    // ---- reference data of one sub-platform ----
    async fn list_towns(&self, platform_id: i64) -> StoreResult<Vec<Town>>;
    async fn list_seats(&self, platform_id: i64) -> StoreResult<Vec<Seat>>;
    async fn list_staff(&self, platform_id: i64) -> StoreResult<Vec<StaffMember>>;
    async fn list_departments(&self, platform_id: i64) -> StoreResult<Vec<Department>>;
    async fn department(&self, platform_id: i64, id: i64) -> StoreResult<Option<Department>>;
    async fn create_department(
        &self,
        platform_id: i64,
        new: &NewDepartment,
        actor: &Actor,
        now: DateTime<Utc>,
    ) -> StoreResult<Department>;

    // ---- users and sessions ----
    async fn create_user(
        &self,
        platform_id: i64,
        new: &NewUser,
        actor: &Actor,
        now: DateTime<Utc>,
    ) -> StoreResult<User>;
    async fn user(&self, platform_id: i64, id: i64) -> StoreResult<Option<User>>;
    async fn list_users(&self, platform_id: i64) -> StoreResult<Vec<User>>;
    /// The user and their password hash, by username (unique in the installation).
    async fn credentials(&self, username: &str) -> StoreResult<Option<(User, String)>>;
    async fn set_user_active(
        &self,
        platform_id: i64,
        id: i64,
        active: bool,
        actor: &Actor,
        reason: Option<&str>,
        now: DateTime<Utc>,
    ) -> StoreResult<User>;
    async fn count_users_with_role(
        &self,
        platform_id: i64,
        role: rexian_domain::Role,
    ) -> StoreResult<i64>;
    /// Records a sign-in: the session (by the hash of its token) and a `user.signed_in` event.
    async fn create_session(
        &self,
        user: &User,
        token_hash: &str,
        now: DateTime<Utc>,
        expires_at: DateTime<Utc>,
    ) -> StoreResult<()>;
    /// The active user behind a session that has not expired at `now`.
    async fn session_user(&self, token_hash: &str, now: DateTime<Utc>)
    -> StoreResult<Option<User>>;
    async fn delete_session(&self, token_hash: &str, now: DateTime<Utc>) -> StoreResult<()>;

    // ---- the event log (read only: events are written with their change) ----
    /// Events of one aggregate of one sub-platform, oldest first, after `after_id`.
    async fn events(
        &self,
        platform_id: i64,
        aggregate: &AggregateRef,
        after_id: Option<i64>,
        limit: i64,
    ) -> StoreResult<Vec<Event>>;
}

/// Opens the database named by `location`, creating it only where that is allowed (the
/// default SQLite file), and applies the embedded migrations.
pub async fn open(location: &DatabaseLocation) -> StoreResult<Arc<dyn Store>> {
    backend::open(location).await
}
