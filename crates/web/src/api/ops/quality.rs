//! Emergencies (indicator 7), complaints about agents with the QC verdict and the county's
//! final verdict (indicator 5), and praise verified once by the county office (indicator 9).

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use chrono::{DateTime, NaiveDate, Utc};
use rexian_operations::emergency::{
    Consequences, Emergency, EmergencyKind, Indicator7Report, Indicator7Status, indicator7,
};
use rexian_operations::ids::StaffId;
use rexian_operations::quality::{
    Complaint, ComplaintSeverity, ComplaintSource, ComplaintTally, Praise, PraiseKind, PraiseTally,
    Verdict, complaint_tally, praise_tally,
};
use rexian_store::operations::{
    ComplaintChange, EmergencyChange, NewComplaint, NewEmergency, NewPraise, PraiseChange,
};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::{PeriodQuery, RULES, ctx, found, max_chars};
use crate::AppState;
use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::extract::{ApiJson, ApiPath, ApiQuery, Authed, RequiredPermission, perm};

fn not_future(field: &str, t: DateTime<Utc>, now: DateTime<Utc>) -> Result<(), ApiError> {
    if t > now {
        Err(ApiError::invalid(field, "must not be in the future"))
    } else {
        Ok(())
    }
}

// ---- emergencies ----

#[derive(Serialize, ToSchema)]
pub struct EmergencyView {
    #[schema(value_type = Object)]
    emergency: Emergency,
    /// `not_due`, `on_time`, `late_pending`, `late_no_consequences`, `exempt`, `counts`.
    #[schema(value_type = String)]
    indicator7_status: Indicator7Status,
}

fn emergency_view(e: Emergency, now: DateTime<Utc>) -> EmergencyView {
    EmergencyView {
        indicator7_status: e.indicator7_status(now),
        emergency: e,
    }
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct OpenEmergency {
    /// `typhoon`, `power_outage`, `network_outage`, `public_health`, `call_surge`, `other`.
    #[schema(value_type = String)]
    kind: EmergencyKind,
    description: String,
    /// When it became known; default now, never in the future.
    known_at: Option<DateTime<Utc>>,
    /// The staffing change required (e.g. "4 more agents on seats").
    required_change: String,
    /// By when the staffing must have changed.
    staffing_due_by: DateTime<Utc>,
}

/// Records an emergency (shift leader, managers).
#[utoipa::path(post, path = "/api/v1/emergencies", tag = "operations", security(("bearer" = [])),
    request_body = OpenEmergency,
    responses((status = 201, body = EmergencyView), (status = 403, body = ErrorBody),
              (status = 422, body = ErrorBody)))]
pub async fn open_emergency(
    State(state): State<AppState>,
    auth: Authed<perm::RecordEmergency>,
    ApiJson(req): ApiJson<OpenEmergency>,
) -> ApiResult<(StatusCode, Json<EmergencyView>)> {
    max_chars("description", &req.description, 1000)?;
    max_chars("required_change", &req.required_change, 500)?;
    let c = ctx(&auth, &state);
    let known_at = req.known_at.unwrap_or(c.now);
    not_future("known_at", known_at, c.now)?;
    let new = NewEmergency {
        kind: req.kind,
        description: req.description,
        known_at,
        required_change: req.required_change,
        staffing_due_by: req.staffing_due_by,
    };
    let e = state.store.open_emergency(&c, &new).await?;
    Ok((StatusCode::CREATED, Json(emergency_view(e, c.now))))
}

/// Emergencies, newest first.
#[utoipa::path(get, path = "/api/v1/emergencies", tag = "operations", security(("bearer" = [])),
    responses((status = 200, body = [EmergencyView]), (status = 403, body = ErrorBody)))]
pub async fn list_emergencies(
    State(state): State<AppState>,
    auth: Authed<perm::ViewOperations>,
) -> ApiResult<Json<Vec<EmergencyView>>> {
    let now = state.clock.now();
    let mut list = state.store.emergencies(auth.platform_id()).await?;
    list.reverse();
    Ok(Json(
        list.into_iter().map(|e| emergency_view(e, now)).collect(),
    ))
}

/// One emergency.
#[utoipa::path(get, path = "/api/v1/emergencies/{id}", tag = "operations",
    security(("bearer" = [])), params(("id" = i64, Path)),
    responses((status = 200, body = EmergencyView), (status = 404, body = ErrorBody)))]
pub async fn get_emergency(
    State(state): State<AppState>,
    auth: Authed<perm::ViewOperations>,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<Json<EmergencyView>> {
    let e = found(
        state.store.emergency(auth.platform_id(), id).await?,
        "emergency",
    )?;
    Ok(Json(emergency_view(e, state.clock.now())))
}

async fn change_emergency<P: RequiredPermission>(
    state: &AppState,
    auth: &Authed<P>,
    id: i64,
    change: EmergencyChange,
) -> ApiResult<Json<EmergencyView>> {
    let c = ctx(auth, state);
    let e = state.store.change_emergency(&c, id, &change).await?;
    Ok(Json(emergency_view(e, c.now)))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Note {
    note: String,
}

/// Records that staffing changed, now (shift leader, managers).
#[utoipa::path(post, path = "/api/v1/emergencies/{id}/staffing-changed", tag = "operations",
    security(("bearer" = [])), params(("id" = i64, Path)), request_body = Note,
    responses((status = 200, body = EmergencyView), (status = 409, body = ErrorBody)))]
pub async fn staffing_changed(
    State(state): State<AppState>,
    auth: Authed<perm::RecordEmergency>,
    ApiPath(id): ApiPath<i64>,
    ApiJson(req): ApiJson<Note>,
) -> ApiResult<Json<EmergencyView>> {
    max_chars("note", &req.note, 1000)?;
    let change = EmergencyChange::StaffingChanged { note: req.note };
    change_emergency(&state, &auth, id, change).await
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct JudgeEmergency {
    /// Whether the delay had consequences: `yes` or `no`.
    #[schema(value_type = String)]
    consequences: Consequences,
    note: String,
}

/// The county office judges whether a late response had consequences (it may judge again).
#[utoipa::path(post, path = "/api/v1/emergencies/{id}/judge", tag = "operations",
    security(("bearer" = [])), params(("id" = i64, Path)), request_body = JudgeEmergency,
    responses((status = 200, body = EmergencyView), (status = 422, body = ErrorBody)))]
pub async fn judge_emergency(
    State(state): State<AppState>,
    auth: Authed<perm::JudgeEmergency>,
    ApiPath(id): ApiPath<i64>,
    ApiJson(req): ApiJson<JudgeEmergency>,
) -> ApiResult<Json<EmergencyView>> {
    max_chars("note", &req.note, 1000)?;
    let change = EmergencyChange::Judge {
        consequences: req.consequences,
        note: req.note,
    };
    change_emergency(&state, &auth, id, change).await
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Reason {
    reason: String,
}

/// The county office exempts an emergency as force majeure.
#[utoipa::path(post, path = "/api/v1/emergencies/{id}/force-majeure", tag = "operations",
    security(("bearer" = [])), params(("id" = i64, Path)), request_body = Reason,
    responses((status = 200, body = EmergencyView), (status = 409, body = ErrorBody)))]
pub async fn force_majeure(
    State(state): State<AppState>,
    auth: Authed<perm::JudgeEmergency>,
    ApiPath(id): ApiPath<i64>,
    ApiJson(req): ApiJson<Reason>,
) -> ApiResult<Json<EmergencyView>> {
    max_chars("reason", &req.reason, 500)?;
    let change = EmergencyChange::ForceMajeure { reason: req.reason };
    change_emergency(&state, &auth, id, change).await
}

/// Indicator 7 for a period: emergencies known in it, and which count.
#[utoipa::path(get, path = "/api/v1/emergencies/indicator", tag = "operations",
    security(("bearer" = [])), params(PeriodQuery),
    responses((status = 200, body = Object), (status = 403, body = ErrorBody)))]
pub async fn emergency_indicator(
    State(state): State<AppState>,
    auth: Authed<perm::ViewOperations>,
    ApiQuery(q): ApiQuery<PeriodQuery>,
) -> ApiResult<Json<Indicator7Report>> {
    let range = q.range(&state)?;
    let list = state.store.emergencies(auth.platform_id()).await?;
    Ok(Json(indicator7(&list, range, state.clock.now())))
}

// ---- complaints ----

#[derive(Serialize, ToSchema)]
pub struct ComplaintView {
    #[schema(value_type = Object)]
    complaint: Complaint,
    /// `ordinary` (−1) or `severe` (−2: raised by a leader, exposed by media, or bad social
    /// impact).
    #[schema(value_type = String)]
    severity: ComplaintSeverity,
    /// Justified and final: counts against indicator 5.
    counts: bool,
}

fn complaint_view(c: Complaint) -> ComplaintView {
    ComplaintView {
        severity: c.severity(),
        counts: c.counts(),
        complaint: c,
    }
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReceiveComplaint {
    /// `caller`, `leader`, `media`, `other`.
    #[schema(value_type = String)]
    source: ComplaintSource,
    /// Default now, never in the future.
    received_at: Option<DateTime<Utc>>,
    /// The staff record of the agent complained about.
    agent_staff_id: i64,
    call_id: Option<String>,
    order_id: Option<String>,
    summary: String,
    #[serde(default)]
    bad_social_impact: bool,
}

/// Receives a complaint about an agent (shift leader, managers, county office).
#[utoipa::path(post, path = "/api/v1/complaints", tag = "operations", security(("bearer" = [])),
    request_body = ReceiveComplaint,
    responses((status = 201, body = ComplaintView), (status = 422, body = ErrorBody)))]
pub async fn receive_complaint(
    State(state): State<AppState>,
    auth: Authed<perm::RecordQualityCase>,
    ApiJson(req): ApiJson<ReceiveComplaint>,
) -> ApiResult<(StatusCode, Json<ComplaintView>)> {
    max_chars("summary", &req.summary, 2000)?;
    for (f, v) in [("call_id", &req.call_id), ("order_id", &req.order_id)] {
        if let Some(v) = v {
            max_chars(f, v, 64)?;
        }
    }
    let c = ctx(&auth, &state);
    let received_at = req.received_at.unwrap_or(c.now);
    not_future("received_at", received_at, c.now)?;
    let new = NewComplaint {
        source: req.source,
        received_at,
        agent: StaffId(req.agent_staff_id),
        call_id: req.call_id,
        order_id: req.order_id,
        summary: req.summary,
        bad_social_impact: req.bad_social_impact,
    };
    let complaint = state.store.receive_complaint(&c, &new).await?;
    Ok((StatusCode::CREATED, Json(complaint_view(complaint))))
}

/// Complaints, newest first.
#[utoipa::path(get, path = "/api/v1/complaints", tag = "operations", security(("bearer" = [])),
    responses((status = 200, body = [ComplaintView]), (status = 403, body = ErrorBody)))]
pub async fn list_complaints(
    State(state): State<AppState>,
    auth: Authed<perm::ViewOperations>,
) -> ApiResult<Json<Vec<ComplaintView>>> {
    let mut list = state.store.complaints(auth.platform_id()).await?;
    list.reverse();
    Ok(Json(list.into_iter().map(complaint_view).collect()))
}

/// One complaint with its verdict history.
#[utoipa::path(get, path = "/api/v1/complaints/{id}", tag = "operations",
    security(("bearer" = [])), params(("id" = i64, Path)),
    responses((status = 200, body = ComplaintView), (status = 404, body = ErrorBody)))]
pub async fn get_complaint(
    State(state): State<AppState>,
    auth: Authed<perm::ViewOperations>,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<Json<ComplaintView>> {
    let c = found(
        state.store.complaint(auth.platform_id(), id).await?,
        "complaint",
    )?;
    Ok(Json(complaint_view(c)))
}

async fn change_complaint<P: RequiredPermission>(
    state: &AppState,
    auth: &Authed<P>,
    id: i64,
    change: ComplaintChange,
) -> ApiResult<Json<ComplaintView>> {
    let c = state
        .store
        .change_complaint(&ctx(auth, state), id, &change)
        .await?;
    Ok(Json(complaint_view(c)))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReviewComplaint {
    /// `justified`, `unjustified` or `pending`.
    #[schema(value_type = String)]
    verdict: Verdict,
    #[serde(default)]
    bad_social_impact: bool,
    note: String,
}

/// Quality control's provisional verdict (shift leader, managers); 409 once final.
#[utoipa::path(post, path = "/api/v1/complaints/{id}/review", tag = "operations",
    security(("bearer" = [])), params(("id" = i64, Path)), request_body = ReviewComplaint,
    responses((status = 200, body = ComplaintView), (status = 409, body = ErrorBody)))]
pub async fn review_complaint(
    State(state): State<AppState>,
    auth: Authed<perm::ReviewComplaint>,
    ApiPath(id): ApiPath<i64>,
    ApiJson(req): ApiJson<ReviewComplaint>,
) -> ApiResult<Json<ComplaintView>> {
    max_chars("note", &req.note, 1000)?;
    let change = ComplaintChange::Review {
        verdict: req.verdict,
        bad_social_impact: req.bad_social_impact,
        note: req.note,
    };
    change_complaint(&state, &auth, id, change).await
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct FinalizeComplaint {
    /// The final verdict, if it differs from QC's: `justified` or `unjustified`.
    #[schema(value_type = Option<String>)]
    verdict: Option<Verdict>,
    note: String,
}

/// The county office makes the verdict final (indicator 5 counts final justified ones).
#[utoipa::path(post, path = "/api/v1/complaints/{id}/finalize", tag = "operations",
    security(("bearer" = [])), params(("id" = i64, Path)), request_body = FinalizeComplaint,
    responses((status = 200, body = ComplaintView), (status = 409, body = ErrorBody)))]
pub async fn finalize_complaint(
    State(state): State<AppState>,
    auth: Authed<perm::FinalizeComplaint>,
    ApiPath(id): ApiPath<i64>,
    ApiJson(req): ApiJson<FinalizeComplaint>,
) -> ApiResult<Json<ComplaintView>> {
    max_chars("note", &req.note, 1000)?;
    if req.verdict == Some(Verdict::Pending) {
        return Err(ApiError::invalid(
            "verdict",
            "a final verdict is justified or unjustified",
        ));
    }
    let change = ComplaintChange::Finalize {
        verdict: req.verdict,
        note: req.note,
    };
    change_complaint(&state, &auth, id, change).await
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReviseComplaint {
    /// `justified` or `unjustified`.
    #[schema(value_type = String)]
    verdict: Verdict,
    note: String,
}

/// The county office revises a final verdict (e.g. on appeal); the count follows.
#[utoipa::path(post, path = "/api/v1/complaints/{id}/revise", tag = "operations",
    security(("bearer" = [])), params(("id" = i64, Path)), request_body = ReviseComplaint,
    responses((status = 200, body = ComplaintView), (status = 409, body = ErrorBody)))]
pub async fn revise_complaint(
    State(state): State<AppState>,
    auth: Authed<perm::FinalizeComplaint>,
    ApiPath(id): ApiPath<i64>,
    ApiJson(req): ApiJson<ReviseComplaint>,
) -> ApiResult<Json<ComplaintView>> {
    max_chars("note", &req.note, 1000)?;
    let change = ComplaintChange::Revise {
        verdict: req.verdict,
        note: req.note,
    };
    change_complaint(&state, &auth, id, change).await
}

/// Indicator 5 for a period: final justified complaints, ordinary and severe, with points;
/// undecided ones listed so a live figure is not taken for final.
#[utoipa::path(get, path = "/api/v1/complaints/tally", tag = "operations",
    security(("bearer" = [])), params(PeriodQuery),
    responses((status = 200, body = Object), (status = 403, body = ErrorBody)))]
pub async fn complaints_tally(
    State(state): State<AppState>,
    auth: Authed<perm::ViewOperations>,
    ApiQuery(q): ApiQuery<PeriodQuery>,
) -> ApiResult<Json<ComplaintTally>> {
    let range = q.range(&state)?;
    let list = state.store.complaints(auth.platform_id()).await?;
    Ok(Json(complaint_tally(&list, range, &RULES.quality.points)))
}

// ---- praise ----

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReceivePraise {
    /// `call`, `letter`, `banner` (锦旗).
    #[schema(value_type = String)]
    kind: PraiseKind,
    received_on: NaiveDate,
    /// The staff record of the agent praised, if one.
    agent_staff_id: Option<i64>,
    order_id: Option<String>,
    description: String,
}

/// Receives praise (shift leader, managers, county office); it counts once verified.
#[utoipa::path(post, path = "/api/v1/praise", tag = "operations", security(("bearer" = [])),
    request_body = ReceivePraise,
    responses((status = 201, body = Object), (status = 422, body = ErrorBody)))]
pub async fn receive_praise(
    State(state): State<AppState>,
    auth: Authed<perm::RecordQualityCase>,
    ApiJson(req): ApiJson<ReceivePraise>,
) -> ApiResult<(StatusCode, Json<Praise>)> {
    max_chars("description", &req.description, 2000)?;
    if let Some(o) = &req.order_id {
        max_chars("order_id", o, 64)?;
    }
    let c = ctx(&auth, &state);
    if super::today(&state) < req.received_on {
        return Err(ApiError::invalid(
            "received_on",
            "must not be in the future",
        ));
    }
    let new = NewPraise {
        kind: req.kind,
        received_on: req.received_on,
        agent: req.agent_staff_id.map(StaffId),
        order_id: req.order_id,
        description: req.description,
    };
    let p = state.store.receive_praise(&c, &new).await?;
    Ok((StatusCode::CREATED, Json(p)))
}

/// Praise, newest first.
#[utoipa::path(get, path = "/api/v1/praise", tag = "operations", security(("bearer" = [])),
    responses((status = 200, body = [Object]), (status = 403, body = ErrorBody)))]
pub async fn list_praise(
    State(state): State<AppState>,
    auth: Authed<perm::ViewOperations>,
) -> ApiResult<Json<Vec<Praise>>> {
    let mut list = state.store.praise_list(auth.platform_id()).await?;
    list.reverse();
    Ok(Json(list))
}

/// One praise.
#[utoipa::path(get, path = "/api/v1/praise/{id}", tag = "operations",
    security(("bearer" = [])), params(("id" = i64, Path)),
    responses((status = 200, body = Object), (status = 404, body = ErrorBody)))]
pub async fn get_praise(
    State(state): State<AppState>,
    auth: Authed<perm::ViewOperations>,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<Json<Praise>> {
    Ok(Json(found(
        state.store.praise(auth.platform_id(), id).await?,
        "praise",
    )?))
}

/// The county office verifies praise, once: a second decision is 409.
#[utoipa::path(post, path = "/api/v1/praise/{id}/verify", tag = "operations",
    security(("bearer" = [])), params(("id" = i64, Path)),
    responses((status = 200, body = Object), (status = 409, body = ErrorBody)))]
pub async fn verify_praise(
    State(state): State<AppState>,
    auth: Authed<perm::VerifyPraise>,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<Json<Praise>> {
    let p = state
        .store
        .change_praise(&ctx(&auth, &state), id, &PraiseChange::Verify)
        .await?;
    Ok(Json(p))
}

/// The county office rejects praise with a reason, once.
#[utoipa::path(post, path = "/api/v1/praise/{id}/reject", tag = "operations",
    security(("bearer" = [])), params(("id" = i64, Path)), request_body = Reason,
    responses((status = 200, body = Object), (status = 409, body = ErrorBody)))]
pub async fn reject_praise(
    State(state): State<AppState>,
    auth: Authed<perm::VerifyPraise>,
    ApiPath(id): ApiPath<i64>,
    ApiJson(req): ApiJson<Reason>,
) -> ApiResult<Json<Praise>> {
    max_chars("reason", &req.reason, 500)?;
    let change = PraiseChange::Reject { reason: req.reason };
    let p = state
        .store
        .change_praise(&ctx(&auth, &state), id, &change)
        .await?;
    Ok(Json(p))
}

/// Indicator 9 for a period: verified praise by kind, the raw points and the capped bonus.
#[utoipa::path(get, path = "/api/v1/praise/tally", tag = "operations",
    security(("bearer" = [])), params(PeriodQuery),
    responses((status = 200, body = Object), (status = 403, body = ErrorBody)))]
pub async fn praise_tally_handler(
    State(state): State<AppState>,
    auth: Authed<perm::ViewOperations>,
    ApiQuery(q): ApiQuery<PeriodQuery>,
) -> ApiResult<Json<PraiseTally>> {
    let range = q.range(&state)?;
    let list = state.store.praise_list(auth.platform_id()).await?;
    Ok(Json(praise_tally(&list, range, &RULES.quality.points)))
}
