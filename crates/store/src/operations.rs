//! Storage of operations records (issue 5): staff records, assets and their daily
//! inspections, faults, emergencies, complaints and praise.
//!
//! Each record is the pure domain type of `rexian-operations`, stored as its JSON document
//! with the columns queries filter on. Every change loads the record in a transaction,
//! applies the domain rule (which refuses an illegal change with an [`OpsError`] naming the
//! problem), stores the result and appends its event, all in that one transaction: a refused
//! change stores nothing. The SQL is in `backend/operations_sql.rs`, compiled per backend.

use async_trait::async_trait;
use chrono::{DateTime, NaiveDate, Utc};
use rexian_domain::Actor;
use rexian_operations::OpsError;
use rexian_operations::assets::{Asset, AssetKind, AssetState, Checklists, Inspection, ItemResult};
use rexian_operations::contract::{Contract, CostRecord};
use rexian_operations::emergency::{Consequences, Emergency, EmergencyKind};
use rexian_operations::faults::{Fault, FaultCause, FaultSeverity};
use rexian_operations::ids::{StaffId, UserId};
use rexian_operations::quality::{
    CallReview, Complaint, ComplaintSource, Praise, PraiseKind, ReviewDraft, ReviewSheet, Verdict,
};
use rexian_operations::roster::{Leave, ReturnShift, Roster, RosterEntry, ShiftSet, ShiftSwap};
use rexian_operations::staff::{
    IdCardNumber, InsurancePolicy, Language, LeaveReason, MobileNumber, Position, Staff,
};
use rexian_operations::training::Training;
use serde::Serialize;

use crate::StoreError;

/// What can go wrong with an operations write: storage, or a rule of the domain.
#[derive(Debug, thiserror::Error)]
pub enum OpsStoreError {
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The domain refused the change (422 bad input or 409 conflict, per `kind()`).
    #[error(transparent)]
    Rule(#[from] OpsError),
}

impl From<sqlx::Error> for OpsStoreError {
    fn from(e: sqlx::Error) -> Self {
        OpsStoreError::Store(StoreError::from(e))
    }
}

pub type OpsResult<T> = Result<T, OpsStoreError>;

/// A person's staff record with the staff code (工号) it is filed under.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct StaffRecord {
    pub code: String,
    pub staff: Staff,
}

/// A new staff record. The store assigns the id.
#[derive(Debug, Clone)]
pub struct NewStaff {
    /// Unique in the sub-platform. A seeded demo position with this code and no record yet
    /// is taken over (and stops being demo data).
    pub code: String,
    pub name: String,
    pub position: Position,
    pub start: NaiveDate,
    pub certified_on: Option<NaiveDate>,
    /// Already left (an import of past staff): last day and reason.
    pub left: Option<(NaiveDate, LeaveReason)>,
    pub details: StaffDetails,
}

/// The fields of a staff record that are edited freely; `None` leaves a field as it is.
#[derive(Debug, Clone, Default)]
pub struct StaffDetails {
    pub name: Option<String>,
    pub position: Option<Position>,
    pub languages: Option<Vec<Language>>,
    pub skills: Option<Vec<String>>,
    pub insurance: Option<Vec<InsurancePolicy>>,
    /// A login of this sub-platform (checked), or `Some(None)` to unlink.
    pub user_id: Option<Option<i64>>,
    pub id_card: Option<IdCardNumber>,
    pub mobile: Option<MobileNumber>,
    /// Forget the ID card and mobile numbers (they are kept only while needed).
    pub clear_personal_data: bool,
}

#[derive(Debug, Clone)]
pub enum StaffChange {
    Update(StaffDetails),
    Certify {
        on: NaiveDate,
    },
    Leave {
        last_day: NaiveDate,
        reason: LeaveReason,
        note: Option<String>,
    },
    Rehire {
        start: NaiveDate,
    },
}

#[derive(Debug, Clone)]
pub struct NewAssetRecord {
    pub name: String,
    pub kind: AssetKind,
    pub commissioned_on: NaiveDate,
    pub location: Option<String>,
}

#[derive(Debug, Clone)]
pub enum AssetChange {
    /// Edit name, location and the details of its kind (provider, circuit id...); the type
    /// of an asset does not change.
    Update {
        name: Option<String>,
        location: Option<String>,
        kind: Option<AssetKind>,
    },
    SetState {
        to: AssetState,
        on: NaiveDate,
    },
}

#[derive(Debug, Clone)]
pub struct NewInspection {
    pub asset_id: i64,
    pub date: NaiveDate,
    pub inspector: StaffId,
    pub inspected_at: DateTime<Utc>,
    pub results: Vec<ItemResult>,
}

#[derive(Debug, Clone)]
pub struct NewFault {
    pub asset_id: i64,
    pub severity: FaultSeverity,
    pub description: String,
    pub reported_at: DateTime<Utc>,
}

#[derive(Debug, Clone)]
pub enum FaultChange {
    Acknowledge,
    Note(String),
    Restore,
    Close(FaultCause),
    Waive(String),
}

#[derive(Debug, Clone)]
pub struct NewEmergency {
    pub kind: EmergencyKind,
    pub description: String,
    pub known_at: DateTime<Utc>,
    pub required_change: String,
    pub staffing_due_by: DateTime<Utc>,
}

#[derive(Debug, Clone)]
pub enum EmergencyChange {
    StaffingChanged {
        note: String,
    },
    Judge {
        consequences: Consequences,
        note: String,
    },
    ForceMajeure {
        reason: String,
    },
}

#[derive(Debug, Clone)]
pub struct NewComplaint {
    pub source: ComplaintSource,
    pub received_at: DateTime<Utc>,
    pub agent: StaffId,
    pub call_id: Option<String>,
    pub order_id: Option<String>,
    pub summary: String,
    pub bad_social_impact: bool,
}

#[derive(Debug, Clone)]
pub enum ComplaintChange {
    /// Quality control's provisional verdict (shift leader, manager).
    Review {
        verdict: Verdict,
        bad_social_impact: bool,
        note: String,
    },
    /// The county office makes the verdict final, changing it first when `verdict` differs.
    Finalize {
        verdict: Option<Verdict>,
        note: String,
    },
    /// The county office revises a final verdict.
    Revise { verdict: Verdict, note: String },
}

#[derive(Debug, Clone)]
pub struct NewPraise {
    pub kind: PraiseKind,
    pub received_on: NaiveDate,
    pub agent: Option<StaffId>,
    pub order_id: Option<String>,
    pub description: String,
}

#[derive(Debug, Clone)]
pub enum PraiseChange {
    Verify,
    Reject { reason: String },
}

/// A stored record with its id (for domain types that carry none).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Stored<T> {
    pub id: i64,
    #[serde(flatten)]
    pub record: T,
}

/// A stored roster entry.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RosterEntryRecord {
    pub id: i64,
    #[serde(flatten)]
    pub entry: RosterEntry,
}

/// A stored leave.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LeaveRecord {
    pub id: i64,
    #[serde(flatten)]
    pub leave: Leave,
}

/// The stored roster of a window of days, with the swaps touching it and the entries those
/// swaps exchange (which may lie outside the window), ready for the domain's checks.
#[derive(Debug, Clone, Default)]
pub struct RosterWindow {
    pub roster: Roster,
    pub entries: Vec<RosterEntryRecord>,
    pub leaves: Vec<LeaveRecord>,
}

#[derive(Debug, Clone)]
pub struct NewSwap {
    pub date: NaiveDate,
    pub shift: String,
    pub from_staff: StaffId,
    pub to_staff: StaffId,
    pub in_return: Option<ReturnShift>,
}

#[derive(Debug, Clone)]
pub enum SwapDecision {
    Approve,
    Reject { reason: String },
}

#[derive(Debug, Clone)]
pub struct NewTraining {
    pub date: NaiveDate,
    pub topic: String,
    pub trainer: String,
    pub attendees: Vec<StaffId>,
    pub duration_minutes: u32,
    pub material: Option<String>,
}

/// Who makes a change and when: the actor for the event, the user for the record.
#[derive(Debug, Clone)]
pub struct OpsCtx {
    pub platform_id: i64,
    pub actor: Actor,
    pub user: UserId,
    pub now: DateTime<Utc>,
}

/// Operations records of one sub-platform. Every method filters by `platform_id`; a record
/// of another sub-platform is `NotFound`.
#[async_trait]
pub trait OpsStore: Send + Sync {
    // ---- staff ----
    async fn create_staff(&self, ctx: &OpsCtx, new: &NewStaff) -> OpsResult<StaffRecord>;
    /// Hires many people, all or none; an error names the index of the row at fault.
    async fn import_staff(
        &self,
        ctx: &OpsCtx,
        rows: &[NewStaff],
    ) -> Result<Vec<StaffRecord>, (usize, OpsStoreError)>;
    async fn change_staff(
        &self,
        ctx: &OpsCtx,
        id: i64,
        change: &StaffChange,
    ) -> OpsResult<StaffRecord>;
    async fn staff_record(&self, platform_id: i64, id: i64) -> OpsResult<Option<StaffRecord>>;
    /// Every person with a staff record (demo positions without one are left out).
    async fn staff_records(&self, platform_id: i64) -> OpsResult<Vec<StaffRecord>>;

    // ---- assets and inspections ----
    async fn create_asset(&self, ctx: &OpsCtx, new: &NewAssetRecord) -> OpsResult<Asset>;
    /// Creates many assets, all or none.
    async fn create_assets(&self, ctx: &OpsCtx, new: &[NewAssetRecord]) -> OpsResult<Vec<Asset>>;
    async fn change_asset(&self, ctx: &OpsCtx, id: i64, change: &AssetChange) -> OpsResult<Asset>;
    async fn asset(&self, platform_id: i64, id: i64) -> OpsResult<Option<Asset>>;
    async fn assets(&self, platform_id: i64) -> OpsResult<Vec<Asset>>;
    /// Records the day's inspection of an asset; a second one for the same asset and day is
    /// `DuplicateInspection`.
    async fn record_inspection(
        &self,
        ctx: &OpsCtx,
        new: &NewInspection,
        checklists: &Checklists,
    ) -> OpsResult<Inspection>;
    /// Inspections of local days `from` ..= `to`.
    async fn inspections(
        &self,
        platform_id: i64,
        from: NaiveDate,
        to: NaiveDate,
    ) -> OpsResult<Vec<Inspection>>;

    // ---- faults ----
    async fn report_fault(&self, ctx: &OpsCtx, new: &NewFault) -> OpsResult<Fault>;
    async fn change_fault(&self, ctx: &OpsCtx, id: i64, change: &FaultChange) -> OpsResult<Fault>;
    async fn fault(&self, platform_id: i64, id: i64) -> OpsResult<Option<Fault>>;
    async fn faults(&self, platform_id: i64) -> OpsResult<Vec<Fault>>;

    // ---- emergencies ----
    async fn open_emergency(&self, ctx: &OpsCtx, new: &NewEmergency) -> OpsResult<Emergency>;
    async fn change_emergency(
        &self,
        ctx: &OpsCtx,
        id: i64,
        change: &EmergencyChange,
    ) -> OpsResult<Emergency>;
    async fn emergency(&self, platform_id: i64, id: i64) -> OpsResult<Option<Emergency>>;
    async fn emergencies(&self, platform_id: i64) -> OpsResult<Vec<Emergency>>;

    // ---- complaints and praise ----
    async fn receive_complaint(&self, ctx: &OpsCtx, new: &NewComplaint) -> OpsResult<Complaint>;
    async fn change_complaint(
        &self,
        ctx: &OpsCtx,
        id: i64,
        change: &ComplaintChange,
    ) -> OpsResult<Complaint>;
    async fn complaint(&self, platform_id: i64, id: i64) -> OpsResult<Option<Complaint>>;
    async fn complaints(&self, platform_id: i64) -> OpsResult<Vec<Complaint>>;
    async fn receive_praise(&self, ctx: &OpsCtx, new: &NewPraise) -> OpsResult<Praise>;
    async fn change_praise(
        &self,
        ctx: &OpsCtx,
        id: i64,
        change: &PraiseChange,
    ) -> OpsResult<Praise>;
    async fn praise(&self, platform_id: i64, id: i64) -> OpsResult<Option<Praise>>;
    async fn praise_list(&self, platform_id: i64) -> OpsResult<Vec<Praise>>;
    /// Scores a call or order on the review sheet (the draft's id is ignored).
    async fn add_review(
        &self,
        ctx: &OpsCtx,
        draft: &ReviewDraft,
        sheet: &ReviewSheet,
    ) -> OpsResult<CallReview>;
    /// Reviews of calls made on local days `from` ..= `to`.
    async fn reviews(
        &self,
        platform_id: i64,
        from: NaiveDate,
        to: NaiveDate,
    ) -> OpsResult<Vec<CallReview>>;

    // ---- rosters and trainings ----
    /// Adds roster entries, all or none: the first that overlaps another shift of the same
    /// person (already stored or earlier in the batch) refuses the whole batch.
    async fn add_roster_entries(
        &self,
        ctx: &OpsCtx,
        entries: &[RosterEntry],
        shifts: &ShiftSet,
    ) -> OpsResult<Vec<RosterEntryRecord>>;
    /// Removes an entry, unless an approved swap depends on it.
    async fn remove_roster_entry(&self, ctx: &OpsCtx, id: i64) -> OpsResult<RosterEntryRecord>;
    async fn add_leave(&self, ctx: &OpsCtx, leave: &Leave) -> OpsResult<LeaveRecord>;
    async fn request_swap(
        &self,
        ctx: &OpsCtx,
        new: &NewSwap,
        shifts: &ShiftSet,
    ) -> OpsResult<ShiftSwap>;
    /// Approves or rejects a requested swap; `approver` is the deciding person's staff record.
    async fn decide_swap(
        &self,
        ctx: &OpsCtx,
        id: i64,
        approver: StaffId,
        decision: &SwapDecision,
        shifts: &ShiftSet,
    ) -> OpsResult<ShiftSwap>;
    /// The roster of local days `from` ..= `to`.
    async fn roster(
        &self,
        platform_id: i64,
        from: NaiveDate,
        to: NaiveDate,
    ) -> OpsResult<RosterWindow>;
    async fn add_training(&self, ctx: &OpsCtx, new: &NewTraining) -> OpsResult<Training>;
    /// Trainings held on local days `from` ..= `to`.
    async fn trainings(
        &self,
        platform_id: i64,
        from: NaiveDate,
        to: NaiveDate,
    ) -> OpsResult<Vec<Training>>;

    // ---- the contract and its costs ----
    /// Stores a contract; a term overlapping another contract's is a conflict.
    async fn create_contract(&self, ctx: &OpsCtx, c: &Contract) -> OpsResult<Stored<Contract>>;
    /// Contracts of the sub-platform, by start.
    async fn contracts(&self, platform_id: i64) -> OpsResult<Vec<Stored<Contract>>>;
    /// Records a month's cost against a line of the contract's bill.
    async fn add_cost(
        &self,
        ctx: &OpsCtx,
        contract_id: i64,
        cost: &CostRecord,
    ) -> OpsResult<Stored<CostRecord>>;
    async fn costs(&self, platform_id: i64, contract_id: i64)
    -> OpsResult<Vec<Stored<CostRecord>>>;
}
