//! The SQL of operations records (issue 5), written once and compiled for each backend like
//! `sql.rs`. Records are the JSON documents of the pure domain types; every change is
//! load → domain rule → save (guarded by `version`) → event, in one transaction.

use async_trait::async_trait;
use chrono::NaiveDate;
use rexian_domain::AggregateRef;
use rexian_operations::OpsError;
use rexian_operations::assets::{Asset, Inspection, record_inspection};
use rexian_operations::contract::{Contract, CostRecord};
use rexian_operations::emergency::Emergency;
use rexian_operations::faults::Fault;
use rexian_operations::ids::{
    AssetId, ComplaintId, EmergencyId, FaultId, InspectionId, PraiseId, ReviewId, StaffId, SwapId,
    TrainingId, UserId,
};
use rexian_operations::quality::{CallReview, Complaint, Praise, ReviewDraft, ReviewSheet};
use rexian_operations::roster::{Leave, Roster, RosterEntry, ShiftSet, ShiftSwap, SwapStatus};
use rexian_operations::staff::Staff;
use rexian_operations::time::local_date;
use rexian_operations::training::Training;
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::{Value, json};
use sqlx::{Row, Transaction, types::Json};

use super::Db;
use super::sql::{SqlStore, append_event, event};
use crate::StoreError;
use crate::operations::*;

/// A domain record stored as a document in its own table.
trait Doc: Serialize + DeserializeOwned + Send + Sync + Unpin + 'static {
    const TABLE: &'static str;
    /// The aggregate kind of its events, and the name in "not found".
    const KIND: &'static str;
}

macro_rules! doc {
    ($($t:ty => $table:literal, $kind:literal;)*) => {$(
        impl Doc for $t {
            const TABLE: &'static str = $table;
            const KIND: &'static str = $kind;
        }
    )*};
}

doc! {
    RosterEntry => "ops_roster_entries", "roster_entry";
    Leave => "ops_leaves", "leave";
    ShiftSwap => "ops_swaps", "swap";
    Training => "ops_trainings", "training";
    Contract => "ops_contracts", "contract";
    CostRecord => "ops_costs", "cost";
    CallReview => "ops_reviews", "review";
    Asset => "ops_assets", "asset";
    Inspection => "ops_inspections", "inspection";
    Fault => "ops_faults", "fault";
    Emergency => "ops_emergencies", "emergency";
    Complaint => "ops_complaints", "complaint";
    Praise => "ops_praise", "praise";
}

/// The columns a record is found by.
#[derive(Default)]
struct Keys {
    ref_id: Option<i64>,
    day: Option<NaiveDate>,
    day_end: Option<NaiveDate>,
}

fn to_payload<T: Serialize>(v: &T) -> Value {
    serde_json::to_value(v).unwrap_or(Value::Null)
}

fn date_of(t: chrono::DateTime<chrono::Utc>) -> Result<NaiveDate, OpsError> {
    local_date(t).ok_or_else(|| OpsError::Invalid {
        field: "time",
        reason: format!("{t} is out of range"),
    })
}

/// Inserts a record: the row first (for its id), then the document the domain builds with
/// that id, then the event. A refusal by `build` rolls the row back with the transaction.
async fn insert_doc<T: Doc>(
    tx: &mut Transaction<'_, Db>,
    ctx: &OpsCtx,
    keys: Keys,
    event_type: &str,
    build: impl FnOnce(i64) -> Result<T, OpsError>,
) -> OpsResult<T> {
    let id: i64 = sqlx::query_scalar(&format!(
        "INSERT INTO {} (platform_id, ref_id, day, day_end, doc, version, created_at, \
         updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $7) RETURNING id",
        T::TABLE
    ))
    .bind(ctx.platform_id)
    .bind(keys.ref_id)
    .bind(keys.day)
    .bind(keys.day_end)
    .bind(Json(json!({})))
    .bind(0_i64)
    .bind(ctx.now)
    .fetch_one(&mut **tx)
    .await?;
    let doc = build(id)?;
    sqlx::query(&format!(
        "UPDATE {} SET doc = $3 WHERE platform_id = $1 AND id = $2",
        T::TABLE
    ))
    .bind(ctx.platform_id)
    .bind(id)
    .bind(Json(&doc))
    .execute(&mut **tx)
    .await?;
    append_event(
        tx,
        ctx.platform_id,
        &event(
            AggregateRef::new(T::KIND, id),
            event_type,
            &ctx.actor,
            ctx.now,
            to_payload(&doc),
            None,
        ),
    )
    .await?;
    Ok(doc)
}

async fn load_doc<T: Doc>(
    tx: &mut Transaction<'_, Db>,
    platform_id: i64,
    id: i64,
) -> OpsResult<(T, i64)> {
    let row = sqlx::query(&format!(
        "SELECT doc, version FROM {} WHERE platform_id = $1 AND id = $2",
        T::TABLE
    ))
    .bind(platform_id)
    .bind(id)
    .fetch_optional(&mut **tx)
    .await?
    .ok_or(StoreError::NotFound(T::KIND))?;
    let Json(doc): Json<T> = row.try_get("doc")?;
    Ok((doc, row.try_get("version")?))
}

/// Saves a changed document if nobody changed it since it was read.
async fn save_doc<T: Doc>(
    tx: &mut Transaction<'_, Db>,
    ctx: &OpsCtx,
    id: i64,
    version: i64,
    doc: &T,
) -> OpsResult<()> {
    let done = sqlx::query(&format!(
        "UPDATE {} SET doc = $3, version = $4, updated_at = $5 \
         WHERE platform_id = $1 AND id = $2 AND version = $6",
        T::TABLE
    ))
    .bind(ctx.platform_id)
    .bind(id)
    .bind(Json(doc))
    .bind(version + 1)
    .bind(ctx.now)
    .bind(version)
    .execute(&mut **tx)
    .await?
    .rows_affected();
    if done != 1 {
        return Err(StoreError::Conflict(format!(
            "{} {id} was changed by someone else meanwhile; reload it and try again",
            T::KIND
        ))
        .into());
    }
    Ok(())
}

impl SqlStore {
    /// Load, apply the domain rule, save and append the event, in one transaction.
    async fn change_doc<T: Doc>(
        &self,
        ctx: &OpsCtx,
        id: i64,
        event_type: &str,
        reason: Option<&str>,
        apply: impl FnOnce(&mut T) -> Result<(), OpsError> + Send,
    ) -> OpsResult<T> {
        let mut tx = self.writer.begin().await?;
        let (mut doc, version) = load_doc::<T>(&mut tx, ctx.platform_id, id).await?;
        apply(&mut doc)?;
        save_doc(&mut tx, ctx, id, version, &doc).await?;
        append_event(
            &mut tx,
            ctx.platform_id,
            &event(
                AggregateRef::new(T::KIND, id),
                event_type,
                &ctx.actor,
                ctx.now,
                to_payload(&doc),
                reason,
            ),
        )
        .await?;
        tx.commit().await?;
        Ok(doc)
    }

    async fn get_doc<T: Doc>(&self, platform_id: i64, id: i64) -> OpsResult<Option<T>> {
        let row = sqlx::query(&format!(
            "SELECT doc FROM {} WHERE platform_id = $1 AND id = $2",
            T::TABLE
        ))
        .bind(platform_id)
        .bind(id)
        .fetch_optional(&self.reader)
        .await?;
        match row {
            Some(r) => {
                let Json(doc): Json<T> = r.try_get("doc")?;
                Ok(Some(doc))
            }
            None => Ok(None),
        }
    }

    async fn list_docs<T: Doc>(&self, platform_id: i64) -> OpsResult<Vec<T>> {
        let rows = sqlx::query(&format!(
            "SELECT doc FROM {} WHERE platform_id = $1 ORDER BY id",
            T::TABLE
        ))
        .bind(platform_id)
        .fetch_all(&self.reader)
        .await?;
        rows.iter()
            .map(|r| {
                let Json(doc): Json<T> = r.try_get("doc")?;
                Ok(doc)
            })
            .collect()
    }
}

/// A staff member of this sub-platform must exist (complaints, praise, inspections name one).
async fn require_staff(
    tx: &mut Transaction<'_, Db>,
    platform_id: i64,
    id: StaffId,
    field: &'static str,
) -> OpsResult<()> {
    let found: Option<i64> = sqlx::query_scalar(
        "SELECT id FROM staff WHERE platform_id = $1 AND id = $2 AND record IS NOT NULL",
    )
    .bind(platform_id)
    .bind(id.0)
    .fetch_optional(&mut **tx)
    .await?;
    match found {
        Some(_) => Ok(()),
        None => Err(OpsError::Unknown {
            what: field,
            value: format!("staff {id} (no such staff record in this sub-platform)"),
        }
        .into()),
    }
}

/// Applies the freely edited fields; the domain validates the result.
fn apply_details(staff: &mut Staff, d: &StaffDetails) -> Result<(), OpsError> {
    if let Some(name) = &d.name {
        staff.name = name.trim().to_owned();
    }
    if let Some(p) = d.position {
        staff.position = p;
    }
    if let Some(l) = &d.languages {
        staff.languages = l.clone();
    }
    if let Some(s) = &d.skills {
        staff.skills = s.iter().map(|s| s.trim().to_owned()).collect();
    }
    if let Some(i) = &d.insurance {
        staff.insurance = i.clone();
    }
    if let Some(u) = d.user_id {
        staff.user_id = u.map(UserId);
    }
    if d.clear_personal_data {
        staff.id_card = None;
        staff.mobile = None;
    }
    if let Some(c) = &d.id_card {
        staff.id_card = Some(c.clone());
    }
    if let Some(m) = &d.mobile {
        staff.mobile = Some(m.clone());
    }
    staff.validate()
}

/// The names of the fields a change touches, for the event (never the personal values).
fn detail_fields(d: &StaffDetails) -> Vec<&'static str> {
    let mut f = Vec::new();
    let pairs = [
        ("name", d.name.is_some()),
        ("position", d.position.is_some()),
        ("languages", d.languages.is_some()),
        ("skills", d.skills.is_some()),
        ("insurance", d.insurance.is_some()),
        ("user_id", d.user_id.is_some()),
        ("id_card", d.id_card.is_some()),
        ("mobile", d.mobile.is_some()),
        ("personal_data_cleared", d.clear_personal_data),
    ];
    for (name, set) in pairs {
        if set {
            f.push(name);
        }
    }
    f
}

async fn check_user_link(
    tx: &mut Transaction<'_, Db>,
    platform_id: i64,
    d: &StaffDetails,
) -> OpsResult<()> {
    if let Some(Some(user)) = d.user_id {
        let found: Option<i64> =
            sqlx::query_scalar("SELECT id FROM users WHERE platform_id = $1 AND id = $2")
                .bind(platform_id)
                .bind(user)
                .fetch_optional(&mut **tx)
                .await?;
        if found.is_none() {
            return Err(OpsError::Unknown {
                what: "user_id",
                value: format!("user {user} (no such login in this sub-platform)"),
            }
            .into());
        }
    }
    Ok(())
}

/// The event payload of a staff record: who and what, never the ID card or phone number.
fn staff_payload(code: &str, s: &Staff) -> Value {
    json!({
        "code": code, "name": s.name, "position": s.position,
        "employment": s.employment, "languages": s.languages, "skills": s.skills,
        "insurance": s.insurance, "user_id": s.user_id,
        "has_id_card": s.id_card.is_some(), "has_mobile": s.mobile.is_some(),
    })
}

async fn save_staff(
    tx: &mut Transaction<'_, Db>,
    ctx: &OpsCtx,
    version: i64,
    staff: &Staff,
) -> OpsResult<()> {
    let done = sqlx::query(
        "UPDATE staff SET record = $3, name = $4, position = $5, version = $6, updated_at = $7 \
         WHERE platform_id = $1 AND id = $2 AND version = $8",
    )
    .bind(ctx.platform_id)
    .bind(staff.id.0)
    .bind(Json(staff))
    .bind(&staff.name)
    .bind(staff.position.code())
    .bind(version + 1)
    .bind(ctx.now)
    .bind(version)
    .execute(&mut **tx)
    .await?
    .rows_affected();
    if done != 1 {
        return Err(StoreError::Conflict(format!(
            "staff {} was changed by someone else meanwhile; reload it and try again",
            staff.id
        ))
        .into());
    }
    Ok(())
}

fn staff_record_from(row: &<Db as sqlx::Database>::Row) -> OpsResult<StaffRecord> {
    let Json(staff): Json<Staff> = row.try_get("record")?;
    Ok(StaffRecord {
        code: row.try_get("code")?,
        staff,
    })
}

type Conn = <Db as sqlx::Database>::Connection;

/// Locks a person's staff row for the rest of the transaction (PostgreSQL takes a row lock
/// on a no-op update; SQLite has one writer anyway), so two roster changes for the same
/// person cannot both pass the overlap check. An unknown person is named by `field`.
async fn lock_staff(
    tx: &mut Transaction<'_, Db>,
    platform_id: i64,
    id: StaffId,
    field: &'static str,
) -> OpsResult<()> {
    let n = sqlx::query(
        "UPDATE staff SET version = version WHERE platform_id = $1 AND id = $2 \
         AND record IS NOT NULL",
    )
    .bind(platform_id)
    .bind(id.0)
    .execute(&mut **tx)
    .await?
    .rows_affected();
    if n == 1 {
        Ok(())
    } else {
        Err(OpsError::Unknown {
            what: field,
            value: format!("staff {id} (no such staff record in this sub-platform)"),
        }
        .into())
    }
}

async fn docs_with_ids<T: Doc>(
    conn: &mut Conn,
    sql_where: &str,
    platform_id: i64,
    a: NaiveDate,
    b: NaiveDate,
) -> OpsResult<Vec<(i64, T)>> {
    let rows = sqlx::query(&format!(
        "SELECT id, doc FROM {} WHERE platform_id = $1 AND {sql_where} ORDER BY id",
        T::TABLE
    ))
    .bind(platform_id)
    .bind(a)
    .bind(b)
    .fetch_all(&mut *conn)
    .await?;
    rows.iter()
        .map(|r| {
            let Json(doc): Json<T> = r.try_get("doc")?;
            Ok((r.try_get("id")?, doc))
        })
        .collect()
}

/// The roster of days `from` ..= `to`, with the swaps that touch those days and every
/// entry those swaps exchange, so the domain sees who actually works.
async fn load_roster(
    conn: &mut Conn,
    platform_id: i64,
    from: NaiveDate,
    to: NaiveDate,
) -> OpsResult<RosterWindow> {
    let swaps: Vec<(i64, ShiftSwap)> = docs_with_ids(
        conn,
        "((day >= $2 AND day <= $3) OR (day_end >= $2 AND day_end <= $3))",
        platform_id,
        from,
        to,
    )
    .await?;
    let mut entries: Vec<(i64, RosterEntry)> =
        docs_with_ids(conn, "day >= $2 AND day <= $3", platform_id, from, to).await?;
    let mut extra: Vec<NaiveDate> = swaps
        .iter()
        .flat_map(|(_, s)| std::iter::once(s.date).chain(s.in_return.as_ref().map(|r| r.date)))
        .filter(|d| *d < from || *d > to)
        .collect();
    extra.sort();
    extra.dedup();
    for day in extra {
        entries.extend(
            docs_with_ids::<RosterEntry>(conn, "day >= $2 AND day <= $3", platform_id, day, day)
                .await?,
        );
    }
    let leaves: Vec<(i64, Leave)> =
        docs_with_ids(conn, "day <= $3 AND day_end >= $2", platform_id, from, to).await?;
    Ok(RosterWindow {
        roster: Roster {
            entries: entries.iter().map(|(_, e)| e.clone()).collect(),
            leaves: leaves.iter().map(|(_, l)| l.clone()).collect(),
            swaps: swaps.into_iter().map(|(_, s)| s).collect(),
        },
        entries: entries
            .into_iter()
            .map(|(id, entry)| RosterEntryRecord { id, entry })
            .collect(),
        leaves: leaves
            .into_iter()
            .map(|(id, leave)| LeaveRecord { id, leave })
            .collect(),
    })
}

/// Two days either side: enough for any shift (at most 24 h) to meet its neighbours.
fn around(first: NaiveDate, last: NaiveDate) -> (NaiveDate, NaiveDate) {
    let days = chrono::Days::new(2);
    (
        first.checked_sub_days(days).unwrap_or(first),
        last.checked_add_days(days).unwrap_or(last),
    )
}

async fn lock_people(
    tx: &mut Transaction<'_, Db>,
    platform_id: i64,
    people: &[(StaffId, &'static str)],
) -> OpsResult<()> {
    let mut sorted = people.to_vec();
    // A fixed order, so two transactions never wait on each other in a circle.
    sorted.sort_by_key(|(id, _)| *id);
    sorted.dedup_by_key(|(id, _)| *id);
    for (id, field) in sorted {
        lock_staff(tx, platform_id, id, field).await?;
    }
    Ok(())
}

/// Hires one person inside a transaction (see `create_staff`).
async fn insert_staff(
    tx: &mut Transaction<'_, Db>,
    ctx: &OpsCtx,
    new: &NewStaff,
) -> OpsResult<StaffRecord> {
    let code = new.code.trim();
    if code.is_empty() || code.chars().count() > 32 {
        return Err(OpsError::Invalid {
            field: "code",
            reason: "1 to 32 characters".into(),
        }
        .into());
    }
    check_user_link(tx, ctx.platform_id, &new.details).await?;
    // A seeded demo position with this code and no record is taken over.
    let id: Option<i64> = sqlx::query_scalar(
        "INSERT INTO staff (platform_id, code, name, position, is_demo, created_at, record, \
         version, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $6) \
         ON CONFLICT (platform_id, code) DO UPDATE SET name = excluded.name, \
         position = excluded.position, is_demo = excluded.is_demo, record = excluded.record, \
         updated_at = excluded.updated_at, version = staff.version + 1 \
         WHERE staff.record IS NULL RETURNING id",
    )
    .bind(ctx.platform_id)
    .bind(code)
    .bind(new.name.trim())
    .bind(new.position.code())
    .bind(false)
    .bind(ctx.now)
    .bind(Json(json!({})))
    .bind(0_i64)
    .fetch_optional(&mut **tx)
    .await?;
    let Some(id) = id else {
        return Err(OpsError::Conflict {
            what: "code",
            detail: format!("staff code {code:?} is already used by another person"),
        }
        .into());
    };
    let mut staff = Staff::hire(StaffId(id), &new.name, new.position, new.start)?;
    apply_details(&mut staff, &new.details)?;
    if let Some(on) = new.certified_on {
        staff.certify(on)?;
    }
    if let Some((last_day, reason)) = new.left {
        staff.leave(last_day, reason)?;
    }
    let version: i64 = sqlx::query_scalar("SELECT version FROM staff WHERE id = $1")
        .bind(id)
        .fetch_one(&mut **tx)
        .await?;
    save_staff(tx, ctx, version, &staff).await?;
    append_event(
        tx,
        ctx.platform_id,
        &event(
            AggregateRef::new("staff", id),
            "staff.hired",
            &ctx.actor,
            ctx.now,
            staff_payload(code, &staff),
            None,
        ),
    )
    .await?;
    Ok(StaffRecord {
        code: code.to_owned(),
        staff,
    })
}

#[async_trait]
impl OpsStore for SqlStore {
    async fn create_staff(&self, ctx: &OpsCtx, new: &NewStaff) -> OpsResult<StaffRecord> {
        let mut tx = self.writer.begin().await?;
        let r = insert_staff(&mut tx, ctx, new).await?;
        tx.commit().await?;
        Ok(r)
    }

    async fn import_staff(
        &self,
        ctx: &OpsCtx,
        rows: &[NewStaff],
    ) -> Result<Vec<StaffRecord>, (usize, OpsStoreError)> {
        let mut tx = self.writer.begin().await.map_err(|e| (0, e.into()))?;
        let mut out = Vec::with_capacity(rows.len());
        for (i, new) in rows.iter().enumerate() {
            out.push(insert_staff(&mut tx, ctx, new).await.map_err(|e| (i, e))?);
        }
        tx.commit().await.map_err(|e| (rows.len(), e.into()))?;
        Ok(out)
    }

    async fn change_staff(
        &self,
        ctx: &OpsCtx,
        id: i64,
        change: &StaffChange,
    ) -> OpsResult<StaffRecord> {
        let mut tx = self.writer.begin().await?;
        let row = sqlx::query(
            "SELECT code, record, version FROM staff \
             WHERE platform_id = $1 AND id = $2 AND record IS NOT NULL",
        )
        .bind(ctx.platform_id)
        .bind(id)
        .fetch_optional(&mut *tx)
        .await?
        .ok_or(StoreError::NotFound("staff"))?;
        let StaffRecord { code, mut staff } = staff_record_from(&row)?;
        let version: i64 = row.try_get("version")?;
        let (event_type, extra, reason) = match change {
            StaffChange::Update(d) => {
                check_user_link(&mut tx, ctx.platform_id, d).await?;
                apply_details(&mut staff, d)?;
                ("staff.updated", json!({ "fields": detail_fields(d) }), None)
            }
            StaffChange::Certify { on } => {
                staff.certify(*on)?;
                ("staff.certified", json!({ "certified_on": on }), None)
            }
            StaffChange::Leave {
                last_day,
                reason,
                note,
            } => {
                staff.leave(*last_day, *reason)?;
                if let Some(end) = staff.employment.last_mut().and_then(|s| s.end.as_mut()) {
                    end.note = note.clone().filter(|n| !n.trim().is_empty());
                }
                (
                    "staff.left",
                    json!({ "last_day": last_day, "leave_reason": reason }),
                    note.as_deref(),
                )
            }
            StaffChange::Rehire { start } => {
                staff.rehire(*start)?;
                ("staff.rehired", json!({ "start": start }), None)
            }
        };
        save_staff(&mut tx, ctx, version, &staff).await?;
        let mut payload = staff_payload(&code, &staff);
        if let (Value::Object(p), Value::Object(e)) = (&mut payload, extra) {
            p.extend(e);
        }
        append_event(
            &mut tx,
            ctx.platform_id,
            &event(
                AggregateRef::new("staff", id),
                event_type,
                &ctx.actor,
                ctx.now,
                payload,
                reason,
            ),
        )
        .await?;
        tx.commit().await?;
        Ok(StaffRecord { code, staff })
    }

    async fn staff_record(&self, platform_id: i64, id: i64) -> OpsResult<Option<StaffRecord>> {
        let row = sqlx::query(
            "SELECT code, record FROM staff \
             WHERE platform_id = $1 AND id = $2 AND record IS NOT NULL",
        )
        .bind(platform_id)
        .bind(id)
        .fetch_optional(&self.reader)
        .await?;
        row.as_ref().map(staff_record_from).transpose()
    }

    async fn staff_records(&self, platform_id: i64) -> OpsResult<Vec<StaffRecord>> {
        let rows = sqlx::query(
            "SELECT code, record FROM staff WHERE platform_id = $1 AND record IS NOT NULL \
             ORDER BY code",
        )
        .bind(platform_id)
        .fetch_all(&self.reader)
        .await?;
        rows.iter().map(staff_record_from).collect()
    }

    async fn create_asset(&self, ctx: &OpsCtx, new: &NewAssetRecord) -> OpsResult<Asset> {
        let mut list = self.create_assets(ctx, std::slice::from_ref(new)).await?;
        list.pop()
            .ok_or_else(|| StoreError::Corrupt("no asset created".into()).into())
    }

    async fn create_assets(&self, ctx: &OpsCtx, new: &[NewAssetRecord]) -> OpsResult<Vec<Asset>> {
        let mut tx = self.writer.begin().await?;
        let mut out = Vec::with_capacity(new.len());
        for new in new {
            let keys = Keys {
                ref_id: None,
                day: Some(new.commissioned_on),
                day_end: None,
            };
            let asset = insert_doc(&mut tx, ctx, keys, "asset.created", |id| {
                let asset = Asset {
                    id: AssetId(id),
                    name: new.name.trim().to_owned(),
                    kind: new.kind.clone(),
                    state: rexian_operations::assets::AssetState::InService,
                    commissioned_on: new.commissioned_on,
                    retired_on: None,
                    location: new.location.clone().filter(|l| !l.trim().is_empty()),
                };
                asset.validate()?;
                Ok(asset)
            })
            .await?;
            out.push(asset);
        }
        tx.commit().await?;
        Ok(out)
    }

    async fn change_asset(&self, ctx: &OpsCtx, id: i64, change: &AssetChange) -> OpsResult<Asset> {
        let event_type = match change {
            AssetChange::Update { .. } => "asset.updated",
            AssetChange::SetState { .. } => "asset.state_changed",
        };
        self.change_doc::<Asset>(ctx, id, event_type, None, |a| match change {
            AssetChange::Update {
                name,
                location,
                kind,
            } => {
                if let Some(n) = name {
                    a.name = n.trim().to_owned();
                }
                if let Some(l) = location {
                    a.location = Some(l.trim().to_owned()).filter(|l| !l.is_empty());
                }
                if let Some(k) = kind {
                    if k.asset_type() != a.asset_type() {
                        return Err(OpsError::Invalid {
                            field: "kind",
                            reason: format!(
                                "asset {} is a {}; its type cannot change",
                                a.id,
                                a.asset_type()
                            ),
                        });
                    }
                    a.kind = k.clone();
                }
                a.validate()
            }
            AssetChange::SetState { to, on } => a.set_state(*to, *on),
        })
        .await
    }

    async fn asset(&self, platform_id: i64, id: i64) -> OpsResult<Option<Asset>> {
        self.get_doc(platform_id, id).await
    }

    async fn assets(&self, platform_id: i64) -> OpsResult<Vec<Asset>> {
        self.list_docs(platform_id).await
    }

    async fn record_inspection(
        &self,
        ctx: &OpsCtx,
        new: &NewInspection,
        checklists: &rexian_operations::assets::Checklists,
    ) -> OpsResult<Inspection> {
        let mut tx = self.writer.begin().await?;
        let (asset, _) = load_doc::<Asset>(&mut tx, ctx.platform_id, new.asset_id).await?;
        require_staff(&mut tx, ctx.platform_id, new.inspector, "inspector").await?;
        let duplicate = || {
            OpsStoreError::Rule(OpsError::DuplicateInspection {
                asset_id: AssetId(new.asset_id),
                date: new.date,
            })
        };
        let existing: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM ops_inspections WHERE platform_id = $1 AND ref_id = $2 \
             AND day = $3",
        )
        .bind(ctx.platform_id)
        .bind(new.asset_id)
        .bind(new.date)
        .fetch_one(&mut *tx)
        .await?;
        if existing > 0 {
            return Err(duplicate());
        }
        let inspection = insert_doc(
            &mut tx,
            ctx,
            Keys {
                ref_id: Some(new.asset_id),
                day: Some(new.date),
                day_end: None,
            },
            "inspection.recorded",
            |id| {
                let i = Inspection {
                    id: InspectionId(id),
                    asset_id: AssetId(new.asset_id),
                    date: new.date,
                    inspector: new.inspector,
                    inspected_at: new.inspected_at,
                    results: new.results.clone(),
                };
                record_inspection(&[], &i, &asset, checklists)?;
                Ok(i)
            },
        )
        .await
        .map_err(|e| match e {
            // Two inspections racing past the check: the unique index decides.
            OpsStoreError::Store(StoreError::Conflict(_)) => duplicate(),
            other => other,
        })?;
        tx.commit().await?;
        Ok(inspection)
    }

    async fn inspections(
        &self,
        platform_id: i64,
        from: NaiveDate,
        to: NaiveDate,
    ) -> OpsResult<Vec<Inspection>> {
        let rows = sqlx::query(
            "SELECT doc FROM ops_inspections WHERE platform_id = $1 AND day >= $2 AND day <= $3 \
             ORDER BY day, ref_id",
        )
        .bind(platform_id)
        .bind(from)
        .bind(to)
        .fetch_all(&self.reader)
        .await?;
        rows.iter()
            .map(|r| {
                let Json(doc): Json<Inspection> = r.try_get("doc")?;
                Ok(doc)
            })
            .collect()
    }

    async fn report_fault(&self, ctx: &OpsCtx, new: &NewFault) -> OpsResult<Fault> {
        let mut tx = self.writer.begin().await?;
        load_doc::<Asset>(&mut tx, ctx.platform_id, new.asset_id)
            .await
            .map_err(|e| match e {
                OpsStoreError::Store(StoreError::NotFound(_)) => OpsError::Unknown {
                    what: "asset_id",
                    value: new.asset_id.to_string(),
                }
                .into(),
                other => other,
            })?;
        let day = date_of(new.reported_at)?;
        let fault = insert_doc(
            &mut tx,
            ctx,
            Keys {
                ref_id: Some(new.asset_id),
                day: Some(day),
                day_end: None,
            },
            "fault.reported",
            |id| {
                Fault::report(
                    FaultId(id),
                    AssetId(new.asset_id),
                    new.severity,
                    &new.description,
                    ctx.user,
                    new.reported_at,
                )
            },
        )
        .await?;
        tx.commit().await?;
        Ok(fault)
    }

    async fn change_fault(&self, ctx: &OpsCtx, id: i64, change: &FaultChange) -> OpsResult<Fault> {
        let (event_type, reason) = match change {
            FaultChange::Acknowledge => ("fault.acknowledged", None),
            FaultChange::Note(_) => ("fault.noted", None),
            FaultChange::Restore => ("fault.restored", None),
            FaultChange::Close(_) => ("fault.closed", None),
            FaultChange::Waive(r) => ("fault.waived", Some(r.as_str())),
        };
        let (by, at) = (ctx.user, ctx.now);
        self.change_doc::<Fault>(ctx, id, event_type, reason, |f| match change {
            FaultChange::Acknowledge => f.acknowledge(by, at),
            FaultChange::Note(n) => f.add_note(by, at, n),
            FaultChange::Restore => f.restore(by, at),
            FaultChange::Close(c) => f.close(by, at, c.clone()),
            FaultChange::Waive(r) => f.waive(by, at, r),
        })
        .await
    }

    async fn fault(&self, platform_id: i64, id: i64) -> OpsResult<Option<Fault>> {
        self.get_doc(platform_id, id).await
    }

    async fn faults(&self, platform_id: i64) -> OpsResult<Vec<Fault>> {
        self.list_docs(platform_id).await
    }

    async fn open_emergency(&self, ctx: &OpsCtx, new: &NewEmergency) -> OpsResult<Emergency> {
        let mut tx = self.writer.begin().await?;
        let day = date_of(new.known_at)?;
        let e = insert_doc(
            &mut tx,
            ctx,
            Keys {
                ref_id: None,
                day: Some(day),
                day_end: None,
            },
            "emergency.opened",
            |id| {
                Emergency::open(
                    EmergencyId(id),
                    new.kind,
                    &new.description,
                    new.known_at,
                    &new.required_change,
                    new.staffing_due_by,
                )
            },
        )
        .await?;
        tx.commit().await?;
        Ok(e)
    }

    async fn change_emergency(
        &self,
        ctx: &OpsCtx,
        id: i64,
        change: &EmergencyChange,
    ) -> OpsResult<Emergency> {
        let (event_type, reason) = match change {
            EmergencyChange::StaffingChanged { .. } => ("emergency.staffing_changed", None),
            EmergencyChange::Judge { .. } => ("emergency.judged", None),
            EmergencyChange::ForceMajeure { reason } => {
                ("emergency.exempted", Some(reason.as_str()))
            }
        };
        let (by, at) = (ctx.user, ctx.now);
        self.change_doc::<Emergency>(ctx, id, event_type, reason, |e| match change {
            EmergencyChange::StaffingChanged { note } => e.record_staffing_change(at, note),
            EmergencyChange::Judge { consequences, note } => e.judge(by, at, *consequences, note),
            EmergencyChange::ForceMajeure { reason } => e.exempt(by, at, reason),
        })
        .await
    }

    async fn emergency(&self, platform_id: i64, id: i64) -> OpsResult<Option<Emergency>> {
        self.get_doc(platform_id, id).await
    }

    async fn emergencies(&self, platform_id: i64) -> OpsResult<Vec<Emergency>> {
        self.list_docs(platform_id).await
    }

    async fn receive_complaint(&self, ctx: &OpsCtx, new: &NewComplaint) -> OpsResult<Complaint> {
        let mut tx = self.writer.begin().await?;
        require_staff(&mut tx, ctx.platform_id, new.agent, "agent").await?;
        let day = date_of(new.received_at)?;
        let c = insert_doc(
            &mut tx,
            ctx,
            Keys {
                ref_id: Some(new.agent.0),
                day: Some(day),
                day_end: None,
            },
            "complaint.received",
            |id| {
                let mut c = Complaint::receive(
                    ComplaintId(id),
                    new.source,
                    new.received_at,
                    new.agent,
                    &new.summary,
                )?;
                c.call_id = new.call_id.clone().filter(|s| !s.trim().is_empty());
                c.order_id = new.order_id.clone().filter(|s| !s.trim().is_empty());
                c.bad_social_impact = new.bad_social_impact;
                Ok(c)
            },
        )
        .await?;
        tx.commit().await?;
        Ok(c)
    }

    async fn change_complaint(
        &self,
        ctx: &OpsCtx,
        id: i64,
        change: &ComplaintChange,
    ) -> OpsResult<Complaint> {
        let event_type = match change {
            ComplaintChange::Review { .. } => "complaint.reviewed",
            ComplaintChange::Finalize { .. } => "complaint.finalized",
            ComplaintChange::Revise { .. } => "complaint.revised",
        };
        let (by, at) = (ctx.user, ctx.now);
        self.change_doc::<Complaint>(ctx, id, event_type, None, |c| match change {
            ComplaintChange::Review {
                verdict,
                bad_social_impact,
                note,
            } => c.review(by, at, *verdict, *bad_social_impact, note),
            ComplaintChange::Finalize { verdict, note } => {
                if let Some(v) = verdict
                    && *v != c.verdict
                    && !c.verdict_final
                {
                    let impact = c.bad_social_impact;
                    c.review(by, at, *v, impact, note)?;
                }
                c.finalize(by, at, note)
            }
            ComplaintChange::Revise { verdict, note } => c.revise(by, at, *verdict, note),
        })
        .await
    }

    async fn complaint(&self, platform_id: i64, id: i64) -> OpsResult<Option<Complaint>> {
        self.get_doc(platform_id, id).await
    }

    async fn complaints(&self, platform_id: i64) -> OpsResult<Vec<Complaint>> {
        self.list_docs(platform_id).await
    }

    async fn receive_praise(&self, ctx: &OpsCtx, new: &NewPraise) -> OpsResult<Praise> {
        let mut tx = self.writer.begin().await?;
        if let Some(agent) = new.agent {
            require_staff(&mut tx, ctx.platform_id, agent, "agent").await?;
        }
        let p = insert_doc(
            &mut tx,
            ctx,
            Keys {
                ref_id: new.agent.map(|a| a.0),
                day: Some(new.received_on),
                day_end: None,
            },
            "praise.received",
            |id| {
                let mut p = Praise::receive(
                    PraiseId(id),
                    new.kind,
                    new.received_on,
                    new.agent,
                    &new.description,
                )?;
                p.order_id = new.order_id.clone().filter(|s| !s.trim().is_empty());
                Ok(p)
            },
        )
        .await?;
        tx.commit().await?;
        Ok(p)
    }

    async fn change_praise(
        &self,
        ctx: &OpsCtx,
        id: i64,
        change: &PraiseChange,
    ) -> OpsResult<Praise> {
        let (event_type, reason) = match change {
            PraiseChange::Verify => ("praise.verified", None),
            PraiseChange::Reject { reason } => ("praise.rejected", Some(reason.as_str())),
        };
        let (by, at) = (ctx.user, ctx.now);
        self.change_doc::<Praise>(ctx, id, event_type, reason, |p| match change {
            PraiseChange::Verify => p.verify(by, at),
            PraiseChange::Reject { reason } => p.reject(by, at, reason),
        })
        .await
    }

    async fn praise(&self, platform_id: i64, id: i64) -> OpsResult<Option<Praise>> {
        self.get_doc(platform_id, id).await
    }

    async fn praise_list(&self, platform_id: i64) -> OpsResult<Vec<Praise>> {
        self.list_docs(platform_id).await
    }

    async fn add_roster_entries(
        &self,
        ctx: &OpsCtx,
        entries: &[RosterEntry],
        shifts: &ShiftSet,
    ) -> OpsResult<Vec<RosterEntryRecord>> {
        let (Some(first), Some(last)) = (
            entries.iter().map(|e| e.date).min(),
            entries.iter().map(|e| e.date).max(),
        ) else {
            return Err(OpsError::Invalid {
                field: "entries",
                reason: "at least one entry".into(),
            }
            .into());
        };
        let mut tx = self.writer.begin().await?;
        let people: Vec<_> = entries.iter().map(|e| (e.staff_id, "staff_id")).collect();
        lock_people(&mut tx, ctx.platform_id, &people).await?;
        let (from, to) = around(first, last);
        let mut window = load_roster(&mut tx, ctx.platform_id, from, to).await?;
        for e in entries {
            window.roster.add_entry(e.clone(), shifts)?;
        }
        let mut out = Vec::with_capacity(entries.len());
        for e in entries {
            let keys = Keys {
                ref_id: Some(e.staff_id.0),
                day: Some(e.date),
                day_end: None,
            };
            let mut new_id = 0;
            let entry = insert_doc(&mut tx, ctx, keys, "roster.entry_added", |id| {
                new_id = id;
                Ok(e.clone())
            })
            .await?;
            out.push(RosterEntryRecord { id: new_id, entry });
        }
        tx.commit().await?;
        Ok(out)
    }

    async fn remove_roster_entry(&self, ctx: &OpsCtx, id: i64) -> OpsResult<RosterEntryRecord> {
        let mut tx = self.writer.begin().await?;
        let (entry, _) = load_doc::<RosterEntry>(&mut tx, ctx.platform_id, id).await?;
        lock_staff(&mut tx, ctx.platform_id, entry.staff_id, "staff_id").await?;
        let (from, to) = around(entry.date, entry.date);
        let mut window = load_roster(&mut tx, ctx.platform_id, from, to).await?;
        window
            .roster
            .remove_entry(entry.staff_id, entry.date, &entry.shift)?;
        sqlx::query("DELETE FROM ops_roster_entries WHERE platform_id = $1 AND id = $2")
            .bind(ctx.platform_id)
            .bind(id)
            .execute(&mut *tx)
            .await?;
        append_event(
            &mut tx,
            ctx.platform_id,
            &event(
                AggregateRef::new("roster_entry", id),
                "roster.entry_removed",
                &ctx.actor,
                ctx.now,
                to_payload(&entry),
                None,
            ),
        )
        .await?;
        tx.commit().await?;
        Ok(RosterEntryRecord { id, entry })
    }

    async fn add_leave(&self, ctx: &OpsCtx, leave: &Leave) -> OpsResult<LeaveRecord> {
        leave.validate()?;
        let mut tx = self.writer.begin().await?;
        lock_staff(&mut tx, ctx.platform_id, leave.staff_id, "staff_id").await?;
        let mut window =
            load_roster(&mut tx, ctx.platform_id, leave.first_day, leave.last_day).await?;
        window.roster.add_leave(leave.clone())?;
        let keys = Keys {
            ref_id: Some(leave.staff_id.0),
            day: Some(leave.first_day),
            day_end: Some(leave.last_day),
        };
        let mut new_id = 0;
        let leave = insert_doc(&mut tx, ctx, keys, "leave.recorded", |id| {
            new_id = id;
            Ok(leave.clone())
        })
        .await?;
        tx.commit().await?;
        Ok(LeaveRecord { id: new_id, leave })
    }

    async fn request_swap(
        &self,
        ctx: &OpsCtx,
        new: &NewSwap,
        shifts: &ShiftSet,
    ) -> OpsResult<ShiftSwap> {
        let mut tx = self.writer.begin().await?;
        lock_people(
            &mut tx,
            ctx.platform_id,
            &[
                (new.from_staff, "from_staff_id"),
                (new.to_staff, "to_staff_id"),
            ],
        )
        .await?;
        let back = new.in_return.as_ref().map_or(new.date, |r| r.date);
        let (from, to) = around(new.date.min(back), new.date.max(back));
        let mut window = load_roster(&mut tx, ctx.platform_id, from, to).await?;
        let keys = Keys {
            ref_id: Some(new.from_staff.0),
            day: Some(new.date),
            day_end: new.in_return.as_ref().map(|r| r.date),
        };
        let swap = insert_doc(&mut tx, ctx, keys, "swap.requested", |id| {
            let swap = ShiftSwap {
                id: SwapId(id),
                date: new.date,
                shift: new.shift.clone(),
                from_staff: new.from_staff,
                to_staff: new.to_staff,
                in_return: new.in_return.clone(),
                status: SwapStatus::Requested,
            };
            window.roster.request_swap(swap.clone(), shifts)?;
            Ok(swap)
        })
        .await?;
        tx.commit().await?;
        Ok(swap)
    }

    async fn decide_swap(
        &self,
        ctx: &OpsCtx,
        id: i64,
        approver: StaffId,
        decision: &SwapDecision,
        shifts: &ShiftSet,
    ) -> OpsResult<ShiftSwap> {
        let mut tx = self.writer.begin().await?;
        let (swap, version) = load_doc::<ShiftSwap>(&mut tx, ctx.platform_id, id).await?;
        lock_people(
            &mut tx,
            ctx.platform_id,
            &[
                (swap.from_staff, "from_staff_id"),
                (swap.to_staff, "to_staff_id"),
            ],
        )
        .await?;
        let row = sqlx::query(
            "SELECT code, record FROM staff WHERE platform_id = $1 AND id = $2 \
             AND record IS NOT NULL",
        )
        .bind(ctx.platform_id)
        .bind(approver.0)
        .fetch_optional(&mut *tx)
        .await?
        .ok_or(OpsError::Unknown {
            what: "approver",
            value: format!("staff {approver}"),
        })?;
        let approver = staff_record_from(&row)?.staff;
        let back = swap.in_return.as_ref().map_or(swap.date, |r| r.date);
        let (from, to) = around(swap.date.min(back), swap.date.max(back));
        let mut window = load_roster(&mut tx, ctx.platform_id, from, to).await?;
        let (event_type, reason) = match decision {
            SwapDecision::Approve => {
                window
                    .roster
                    .approve_swap(SwapId(id), &approver, ctx.now, shifts)?;
                ("swap.approved", None)
            }
            SwapDecision::Reject { reason } => {
                window
                    .roster
                    .reject_swap(SwapId(id), &approver, ctx.now, reason)?;
                ("swap.rejected", Some(reason.as_str()))
            }
        };
        let decided = window
            .roster
            .swaps
            .iter()
            .find(|s| s.id == SwapId(id))
            .cloned()
            .ok_or(StoreError::NotFound("swap"))?;
        save_doc(&mut tx, ctx, id, version, &decided).await?;
        append_event(
            &mut tx,
            ctx.platform_id,
            &event(
                AggregateRef::new("swap", id),
                event_type,
                &ctx.actor,
                ctx.now,
                to_payload(&decided),
                reason,
            ),
        )
        .await?;
        tx.commit().await?;
        Ok(decided)
    }

    async fn roster(
        &self,
        platform_id: i64,
        from: NaiveDate,
        to: NaiveDate,
    ) -> OpsResult<RosterWindow> {
        let mut conn = self.reader.acquire().await?;
        load_roster(&mut conn, platform_id, from, to).await
    }

    async fn add_training(&self, ctx: &OpsCtx, new: &NewTraining) -> OpsResult<Training> {
        let mut tx = self.writer.begin().await?;
        for a in &new.attendees {
            require_staff(&mut tx, ctx.platform_id, *a, "attendees").await?;
        }
        let keys = Keys {
            ref_id: None,
            day: Some(new.date),
            day_end: None,
        };
        let t = insert_doc(&mut tx, ctx, keys, "training.recorded", |id| {
            let t = Training {
                id: TrainingId(id),
                date: new.date,
                topic: new.topic.trim().to_owned(),
                trainer: new.trainer.trim().to_owned(),
                attendees: new.attendees.clone(),
                duration_minutes: new.duration_minutes,
                material: new.material.clone().filter(|m| !m.trim().is_empty()),
            };
            t.validate()?;
            Ok(t)
        })
        .await?;
        tx.commit().await?;
        Ok(t)
    }

    async fn trainings(
        &self,
        platform_id: i64,
        from: NaiveDate,
        to: NaiveDate,
    ) -> OpsResult<Vec<Training>> {
        let mut conn = self.reader.acquire().await?;
        let list: Vec<(i64, Training)> =
            docs_with_ids(&mut conn, "day >= $2 AND day <= $3", platform_id, from, to).await?;
        Ok(list.into_iter().map(|(_, t)| t).collect())
    }

    async fn create_contract(&self, ctx: &OpsCtx, c: &Contract) -> OpsResult<Stored<Contract>> {
        c.validate()?;
        let mut tx = self.writer.begin().await?;
        // One contract at a time per sub-platform: serialize creations on the platform row.
        sqlx::query("UPDATE platforms SET code = code WHERE id = $1")
            .bind(ctx.platform_id)
            .execute(&mut *tx)
            .await?;
        let clash: Vec<(i64, Contract)> = docs_with_ids(
            &mut tx,
            "day <= $3 AND day_end >= $2",
            ctx.platform_id,
            c.start,
            c.end,
        )
        .await?;
        if let Some((id, other)) = clash.first() {
            return Err(OpsError::Conflict {
                what: "contract",
                detail: format!(
                    "the term {}–{} overlaps contract {id} ({}–{})",
                    c.start, c.end, other.start, other.end
                ),
            }
            .into());
        }
        let keys = Keys {
            ref_id: None,
            day: Some(c.start),
            day_end: Some(c.end),
        };
        let mut new_id = 0;
        let record = insert_doc(&mut tx, ctx, keys, "contract.created", |id| {
            new_id = id;
            Ok(c.clone())
        })
        .await?;
        tx.commit().await?;
        Ok(Stored { id: new_id, record })
    }

    async fn contracts(&self, platform_id: i64) -> OpsResult<Vec<Stored<Contract>>> {
        let rows = sqlx::query(
            "SELECT id, doc FROM ops_contracts WHERE platform_id = $1 ORDER BY day, id",
        )
        .bind(platform_id)
        .fetch_all(&self.reader)
        .await?;
        rows.iter()
            .map(|r| {
                let Json(record): Json<Contract> = r.try_get("doc")?;
                Ok(Stored {
                    id: r.try_get("id")?,
                    record,
                })
            })
            .collect()
    }

    async fn add_cost(
        &self,
        ctx: &OpsCtx,
        contract_id: i64,
        cost: &CostRecord,
    ) -> OpsResult<Stored<CostRecord>> {
        let mut tx = self.writer.begin().await?;
        let (contract, _) = load_doc::<Contract>(&mut tx, ctx.platform_id, contract_id).await?;
        contract.check_cost(cost)?;
        let keys = Keys {
            ref_id: Some(contract_id),
            day: Some(cost.month.first_day()?),
            day_end: None,
        };
        let mut new_id = 0;
        let record = insert_doc(&mut tx, ctx, keys, "cost.recorded", |id| {
            new_id = id;
            Ok(cost.clone())
        })
        .await?;
        tx.commit().await?;
        Ok(Stored { id: new_id, record })
    }

    async fn costs(
        &self,
        platform_id: i64,
        contract_id: i64,
    ) -> OpsResult<Vec<Stored<CostRecord>>> {
        let rows = sqlx::query(
            "SELECT id, doc FROM ops_costs WHERE platform_id = $1 AND ref_id = $2 \
             ORDER BY day, id",
        )
        .bind(platform_id)
        .bind(contract_id)
        .fetch_all(&self.reader)
        .await?;
        rows.iter()
            .map(|r| {
                let Json(record): Json<CostRecord> = r.try_get("doc")?;
                Ok(Stored {
                    id: r.try_get("id")?,
                    record,
                })
            })
            .collect()
    }

    async fn add_review(
        &self,
        ctx: &OpsCtx,
        draft: &ReviewDraft,
        sheet: &ReviewSheet,
    ) -> OpsResult<CallReview> {
        let mut tx = self.writer.begin().await?;
        require_staff(&mut tx, ctx.platform_id, draft.agent, "agent").await?;
        require_staff(&mut tx, ctx.platform_id, draft.reviewer, "reviewer").await?;
        let keys = Keys {
            ref_id: Some(draft.agent.0),
            day: Some(date_of(draft.subject_at)?),
            day_end: None,
        };
        let review = insert_doc(&mut tx, ctx, keys, "review.recorded", |id| {
            let mut d = draft.clone();
            d.id = ReviewId(id);
            CallReview::score(d, sheet)
        })
        .await?;
        tx.commit().await?;
        Ok(review)
    }

    async fn reviews(
        &self,
        platform_id: i64,
        from: NaiveDate,
        to: NaiveDate,
    ) -> OpsResult<Vec<CallReview>> {
        let mut conn = self.reader.acquire().await?;
        let list: Vec<(i64, CallReview)> =
            docs_with_ids(&mut conn, "day >= $2 AND day <= $3", platform_id, from, to).await?;
        Ok(list.into_iter().map(|(_, r)| r).collect())
    }
}
