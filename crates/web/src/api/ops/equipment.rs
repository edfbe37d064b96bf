//! Assets, daily inspections (one per asset and day; missed days listed) and faults with
//! their deadlines per severity (indicator 8).

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use chrono::{DateTime, NaiveDate, Utc};
use rexian_operations::assets::{
    Asset, AssetKind, AssetState, Checklist, Inspection, ItemResult, MissedInspection,
    baisha_default_assets, missed_inspections,
};
use rexian_operations::faults::{
    CauseCategory, Fault, FaultCause, FaultSeverity, Indicator8Report, indicator8,
};
use rexian_operations::ids::StaffId;
use rexian_operations::time::DateRange;
use rexian_store::operations::{AssetChange, FaultChange, NewAssetRecord, NewFault, NewInspection};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::{PeriodQuery, RULES, ctx, found, max_chars, not_found_as_field, today};
use crate::AppState;
use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::extract::{ApiJson, ApiPath, ApiQuery, Authed, perm};

// ---- assets ----

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateAsset {
    name: String,
    /// By `type`: `leased_line` (purpose, bandwidth_mbps, provider, circuit_id), `telephone`
    /// (extension), `seat` (seat_number), `other` (description).
    #[schema(value_type = Object)]
    kind: AssetKind,
    /// In service from this day (inspections are expected from it); default today.
    commissioned_on: Option<NaiveDate>,
    location: Option<String>,
}

/// Assets of the sub-platform: leased lines, telephones, seats, other equipment.
#[utoipa::path(get, path = "/api/v1/assets", tag = "operations", security(("bearer" = [])),
    responses((status = 200, body = [Object]), (status = 403, body = ErrorBody)))]
pub async fn list_assets(
    State(state): State<AppState>,
    auth: Authed<perm::ViewOperations>,
) -> ApiResult<Json<Vec<Asset>>> {
    Ok(Json(state.store.assets(auth.platform_id()).await?))
}

/// Adds an asset (managers).
#[utoipa::path(post, path = "/api/v1/assets", tag = "operations", security(("bearer" = [])),
    request_body = CreateAsset,
    responses((status = 201, body = Object), (status = 403, body = ErrorBody),
              (status = 422, body = ErrorBody)))]
pub async fn create_asset(
    State(state): State<AppState>,
    auth: Authed<perm::ManageAssets>,
    ApiJson(req): ApiJson<CreateAsset>,
) -> ApiResult<(StatusCode, Json<Asset>)> {
    max_chars("name", &req.name, 100)?;
    let new = NewAssetRecord {
        name: req.name,
        kind: req.kind,
        commissioned_on: req.commissioned_on.unwrap_or_else(|| today(&state)),
        location: req.location,
    };
    let asset = state.store.create_asset(&ctx(&auth, &state), &new).await?;
    Ok((StatusCode::CREATED, Json(asset)))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AssetDefaults {
    /// In service from this day; default today.
    commissioned_on: Option<NaiveDate>,
}

/// Adds Baisha's contracted equipment in one go (managers): the 3 leased lines, 10
/// telephones and 10 seats, with placeholder provider and circuit ids to fill in. Only for a
/// sub-platform without assets (409 otherwise).
#[utoipa::path(post, path = "/api/v1/assets/defaults", tag = "operations",
    security(("bearer" = [])), request_body = AssetDefaults,
    responses((status = 201, body = [Object]), (status = 403, body = ErrorBody),
              (status = 409, body = ErrorBody)))]
pub async fn create_default_assets(
    State(state): State<AppState>,
    auth: Authed<perm::ManageAssets>,
    ApiJson(req): ApiJson<AssetDefaults>,
) -> ApiResult<(StatusCode, Json<Vec<Asset>>)> {
    let existing = state.store.assets(auth.platform_id()).await?;
    if !existing.is_empty() {
        return Err(ApiError::conflict(format!(
            "this sub-platform has {} assets already; add more one by one",
            existing.len()
        )));
    }
    let day = req.commissioned_on.unwrap_or_else(|| today(&state));
    let new: Vec<NewAssetRecord> = baisha_default_assets()
        .into_iter()
        .map(|a| NewAssetRecord {
            name: a.name,
            kind: a.kind,
            commissioned_on: day,
            location: None,
        })
        .collect();
    let assets = state.store.create_assets(&ctx(&auth, &state), &new).await?;
    Ok((StatusCode::CREATED, Json(assets)))
}

/// One asset.
#[utoipa::path(get, path = "/api/v1/assets/{id}", tag = "operations", security(("bearer" = [])),
    params(("id" = i64, Path)),
    responses((status = 200, body = Object), (status = 404, body = ErrorBody)))]
pub async fn get_asset(
    State(state): State<AppState>,
    auth: Authed<perm::ViewOperations>,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<Json<Asset>> {
    Ok(Json(found(
        state.store.asset(auth.platform_id(), id).await?,
        "asset",
    )?))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateAsset {
    name: Option<String>,
    /// Empty to clear.
    location: Option<String>,
    /// The kind's details, of the same `type` (e.g. a leased line's provider and circuit_id).
    #[schema(value_type = Option<Object>)]
    kind: Option<AssetKind>,
}

/// Edits an asset (managers).
#[utoipa::path(patch, path = "/api/v1/assets/{id}", tag = "operations",
    security(("bearer" = [])), params(("id" = i64, Path)), request_body = UpdateAsset,
    responses((status = 200, body = Object), (status = 404, body = ErrorBody),
              (status = 422, body = ErrorBody)))]
pub async fn update_asset(
    State(state): State<AppState>,
    auth: Authed<perm::ManageAssets>,
    ApiPath(id): ApiPath<i64>,
    ApiJson(req): ApiJson<UpdateAsset>,
) -> ApiResult<Json<Asset>> {
    if let Some(n) = &req.name {
        max_chars("name", n, 100)?;
    }
    if let Some(l) = &req.location {
        max_chars("location", l, 100)?;
    }
    let change = AssetChange::Update {
        name: req.name,
        location: req.location,
        kind: req.kind,
    };
    Ok(Json(
        state
            .store
            .change_asset(&ctx(&auth, &state), id, &change)
            .await?,
    ))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SetAssetState {
    /// `in_service`, `faulty`, `under_repair`, `retired` (final).
    #[schema(value_type = String)]
    state: AssetState,
    /// The day of the change (the retirement day for `retired`); default today.
    on: Option<NaiveDate>,
}

/// Changes an asset's state (managers); an illegal change is 409 with the current state.
#[utoipa::path(post, path = "/api/v1/assets/{id}/state", tag = "operations",
    security(("bearer" = [])), params(("id" = i64, Path)), request_body = SetAssetState,
    responses((status = 200, body = Object), (status = 409, body = ErrorBody)))]
pub async fn set_asset_state(
    State(state): State<AppState>,
    auth: Authed<perm::ManageAssets>,
    ApiPath(id): ApiPath<i64>,
    ApiJson(req): ApiJson<SetAssetState>,
) -> ApiResult<Json<Asset>> {
    let change = AssetChange::SetState {
        to: req.state,
        on: req.on.unwrap_or_else(|| today(&state)),
    };
    Ok(Json(
        state
            .store
            .change_asset(&ctx(&auth, &state), id, &change)
            .await?,
    ))
}

// ---- inspections ----

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RecordInspection {
    asset_id: i64,
    /// The staff record of the person who inspected.
    inspector_staff_id: i64,
    /// One result per item of the asset type's checklist: `item`, `outcome` (`pass`,
    /// `fail`, `not_applicable`), `note` (required for `fail`).
    #[schema(value_type = Vec<Object>)]
    results: Vec<ItemResult>,
}

/// Records today's inspection of an asset (agents, shift leader, managers). The day is the
/// server's Beijing date; a second inspection of the same asset that day is 409.
#[utoipa::path(post, path = "/api/v1/inspections", tag = "operations", security(("bearer" = [])),
    request_body = RecordInspection,
    responses((status = 201, body = Object), (status = 409, body = ErrorBody),
              (status = 422, body = ErrorBody)))]
pub async fn record_inspection(
    State(state): State<AppState>,
    auth: Authed<perm::RecordInspection>,
    ApiJson(req): ApiJson<RecordInspection>,
) -> ApiResult<(StatusCode, Json<Inspection>)> {
    let c = ctx(&auth, &state);
    let new = NewInspection {
        asset_id: req.asset_id,
        date: today(&state),
        inspector: StaffId(req.inspector_staff_id),
        inspected_at: c.now,
        results: req.results,
    };
    let i = state
        .store
        .record_inspection(&c, &new, &RULES.inspections.checklists)
        .await
        .map_err(|e| not_found_as_field(e, "asset_id"))?;
    Ok((StatusCode::CREATED, Json(i)))
}

/// Inspections of a period (`month`, or `from`/`to`; default this month).
#[utoipa::path(get, path = "/api/v1/inspections", tag = "operations", security(("bearer" = [])),
    params(PeriodQuery),
    responses((status = 200, body = [Object]), (status = 403, body = ErrorBody)))]
pub async fn list_inspections(
    State(state): State<AppState>,
    auth: Authed<perm::ViewOperations>,
    ApiQuery(q): ApiQuery<PeriodQuery>,
) -> ApiResult<Json<Vec<Inspection>>> {
    let range = q.range(&state)?;
    let last = range.last_day().unwrap_or(range.from);
    Ok(Json(
        state
            .store
            .inspections(auth.platform_id(), range.from, last)
            .await?,
    ))
}

#[derive(Serialize, ToSchema)]
pub struct MissedView {
    #[schema(value_type = Object)]
    period: DateRange,
    /// Each asset in service on a day of the period without an inspection that day (days
    /// up to today).
    #[schema(value_type = Vec<Object>)]
    missed: Vec<MissedInspection>,
}

/// Missed daily inspections in a period (up to today).
#[utoipa::path(get, path = "/api/v1/inspections/missed", tag = "operations",
    security(("bearer" = [])), params(PeriodQuery),
    responses((status = 200, body = MissedView), (status = 403, body = ErrorBody)))]
pub async fn missed(
    State(state): State<AppState>,
    auth: Authed<perm::ViewOperations>,
    ApiQuery(q): ApiQuery<PeriodQuery>,
) -> ApiResult<Json<MissedView>> {
    let range = q.range(&state)?;
    let day = today(&state);
    let upto = match day.succ_opt() {
        Some(next) if next < range.to => DateRange::new(range.from, next.max(range.from))?,
        _ => range,
    };
    let last = upto.last_day().unwrap_or(upto.from);
    let assets = state.store.assets(auth.platform_id()).await?;
    let done = state
        .store
        .inspections(auth.platform_id(), upto.from, last)
        .await?;
    Ok(Json(MissedView {
        period: range,
        missed: missed_inspections(&assets, &done, upto)?,
    }))
}

/// The checklists per asset type (configuration).
#[utoipa::path(get, path = "/api/v1/inspections/checklists", tag = "operations",
    security(("bearer" = [])),
    responses((status = 200, body = [Object]), (status = 403, body = ErrorBody)))]
pub async fn checklists(_auth: Authed<perm::ViewOperations>) -> Json<Vec<Checklist>> {
    Json(RULES.inspections.checklists.0.clone())
}

// ---- faults ----

/// A fault with its deadlines and where it stands against indicator 8.
#[derive(Serialize, ToSchema)]
pub struct FaultView {
    #[schema(value_type = Object)]
    fault: Fault,
    response_deadline: Option<DateTime<Utc>>,
    restore_deadline: Option<DateTime<Utc>>,
    response_late: bool,
    restore_late: bool,
    /// Late response (and, if configured, late restore) not waived: counts against
    /// indicator 8.
    counts_against_indicator8: bool,
}

fn fault_view(f: Fault, now: DateTime<Utc>) -> FaultView {
    let rules = &RULES.faults;
    FaultView {
        response_deadline: f.response_deadline(rules),
        restore_deadline: f.restore_deadline(rules),
        response_late: f.is_response_late(now, rules),
        restore_late: f.is_restore_late(now, rules),
        counts_against_indicator8: f.counts_against_indicator8(now, rules),
        fault: f,
    }
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReportFault {
    asset_id: i64,
    /// `critical`, `major`, `minor`: sets the response and restore deadlines.
    #[schema(value_type = String)]
    severity: FaultSeverity,
    description: String,
    /// When the fault was noticed, if before now (deadlines run from it); never in the
    /// future. Default now.
    reported_at: Option<DateTime<Utc>>,
}

/// Reports a fault (anyone of the sub-platform).
#[utoipa::path(post, path = "/api/v1/faults", tag = "operations", security(("bearer" = [])),
    request_body = ReportFault,
    responses((status = 201, body = FaultView), (status = 422, body = ErrorBody)))]
pub async fn report_fault(
    State(state): State<AppState>,
    auth: Authed<perm::ReportFault>,
    ApiJson(req): ApiJson<ReportFault>,
) -> ApiResult<(StatusCode, Json<FaultView>)> {
    max_chars("description", &req.description, 1000)?;
    let c = ctx(&auth, &state);
    let reported_at = req.reported_at.unwrap_or(c.now);
    if reported_at > c.now {
        return Err(ApiError::invalid(
            "reported_at",
            "must not be in the future",
        ));
    }
    let new = NewFault {
        asset_id: req.asset_id,
        severity: req.severity,
        description: req.description,
        reported_at,
    };
    let f = state.store.report_fault(&c, &new).await?;
    Ok((StatusCode::CREATED, Json(fault_view(f, c.now))))
}

/// Faults of the sub-platform, newest first.
#[utoipa::path(get, path = "/api/v1/faults", tag = "operations", security(("bearer" = [])),
    responses((status = 200, body = [FaultView]), (status = 403, body = ErrorBody)))]
pub async fn list_faults(
    State(state): State<AppState>,
    auth: Authed<perm::ViewOperations>,
) -> ApiResult<Json<Vec<FaultView>>> {
    let now = state.clock.now();
    let mut faults = state.store.faults(auth.platform_id()).await?;
    faults.reverse();
    Ok(Json(
        faults.into_iter().map(|f| fault_view(f, now)).collect(),
    ))
}

/// One fault.
#[utoipa::path(get, path = "/api/v1/faults/{id}", tag = "operations", security(("bearer" = [])),
    params(("id" = i64, Path)),
    responses((status = 200, body = FaultView), (status = 404, body = ErrorBody)))]
pub async fn get_fault(
    State(state): State<AppState>,
    auth: Authed<perm::ViewOperations>,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<Json<FaultView>> {
    let f = found(state.store.fault(auth.platform_id(), id).await?, "fault")?;
    Ok(Json(fault_view(f, state.clock.now())))
}

async fn change_fault<P: crate::extract::RequiredPermission>(
    state: &AppState,
    auth: &Authed<P>,
    id: i64,
    change: FaultChange,
) -> ApiResult<Json<FaultView>> {
    let c = ctx(auth, state);
    let f = state.store.change_fault(&c, id, &change).await?;
    Ok(Json(fault_view(f, c.now)))
}

/// Acknowledges a fault now: the response (shift leader, managers).
#[utoipa::path(post, path = "/api/v1/faults/{id}/acknowledge", tag = "operations",
    security(("bearer" = [])), params(("id" = i64, Path)),
    responses((status = 200, body = FaultView), (status = 409, body = ErrorBody)))]
pub async fn acknowledge_fault(
    State(state): State<AppState>,
    auth: Authed<perm::WorkFault>,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<Json<FaultView>> {
    change_fault(&state, &auth, id, FaultChange::Acknowledge).await
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct FaultNote {
    note: String,
}

/// Adds a work note to an open fault.
#[utoipa::path(post, path = "/api/v1/faults/{id}/notes", tag = "operations",
    security(("bearer" = [])), params(("id" = i64, Path)), request_body = FaultNote,
    responses((status = 200, body = FaultView), (status = 409, body = ErrorBody)))]
pub async fn note_fault(
    State(state): State<AppState>,
    auth: Authed<perm::WorkFault>,
    ApiPath(id): ApiPath<i64>,
    ApiJson(req): ApiJson<FaultNote>,
) -> ApiResult<Json<FaultView>> {
    max_chars("note", &req.note, 1000)?;
    change_fault(&state, &auth, id, FaultChange::Note(req.note)).await
}

/// Records that service is restored, now.
#[utoipa::path(post, path = "/api/v1/faults/{id}/restore", tag = "operations",
    security(("bearer" = [])), params(("id" = i64, Path)),
    responses((status = 200, body = FaultView), (status = 409, body = ErrorBody)))]
pub async fn restore_fault(
    State(state): State<AppState>,
    auth: Authed<perm::WorkFault>,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<Json<FaultView>> {
    change_fault(&state, &auth, id, FaultChange::Restore).await
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CloseFault {
    /// `equipment`, `line`, `power`, `software`, `provincial_platform`, `operation`,
    /// `force_majeure`, `unknown`.
    #[schema(value_type = String)]
    category: CauseCategory,
    description: String,
}

/// Closes a restored fault with its cause.
#[utoipa::path(post, path = "/api/v1/faults/{id}/close", tag = "operations",
    security(("bearer" = [])), params(("id" = i64, Path)), request_body = CloseFault,
    responses((status = 200, body = FaultView), (status = 409, body = ErrorBody),
              (status = 422, body = ErrorBody)))]
pub async fn close_fault(
    State(state): State<AppState>,
    auth: Authed<perm::WorkFault>,
    ApiPath(id): ApiPath<i64>,
    ApiJson(req): ApiJson<CloseFault>,
) -> ApiResult<Json<FaultView>> {
    max_chars("description", &req.description, 1000)?;
    let cause = FaultCause {
        category: req.category,
        description: req.description,
    };
    change_fault(&state, &auth, id, FaultChange::Close(cause)).await
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Waive {
    reason: String,
}

/// Waives a fault's breach with a reason (the county office): it no longer counts against
/// indicator 8.
#[utoipa::path(post, path = "/api/v1/faults/{id}/waive", tag = "operations",
    security(("bearer" = [])), params(("id" = i64, Path)), request_body = Waive,
    responses((status = 200, body = FaultView), (status = 409, body = ErrorBody),
              (status = 422, body = ErrorBody)))]
pub async fn waive_fault(
    State(state): State<AppState>,
    auth: Authed<perm::WaiveFault>,
    ApiPath(id): ApiPath<i64>,
    ApiJson(req): ApiJson<Waive>,
) -> ApiResult<Json<FaultView>> {
    max_chars("reason", &req.reason, 500)?;
    change_fault(&state, &auth, id, FaultChange::Waive(req.reason)).await
}

/// Indicator 8 for a period: the breaches that count (deadline in the period and passed)
/// and those the county office waived.
#[utoipa::path(get, path = "/api/v1/faults/indicator", tag = "operations",
    security(("bearer" = [])), params(PeriodQuery),
    responses((status = 200, body = Object), (status = 403, body = ErrorBody)))]
pub async fn fault_indicator(
    State(state): State<AppState>,
    auth: Authed<perm::ViewOperations>,
    ApiQuery(q): ApiQuery<PeriodQuery>,
) -> ApiResult<Json<Indicator8Report>> {
    let range = q.range(&state)?;
    let faults = state.store.faults(auth.platform_id()).await?;
    Ok(Json(indicator8(
        &faults,
        range,
        state.clock.now(),
        &RULES.faults,
    )))
}
