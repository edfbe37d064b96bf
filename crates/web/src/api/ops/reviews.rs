//! The shift leader's quality-control reviews of calls and orders on the configured scoring
//! sheet (greeting, listening, accuracy, order quality...), with scores per agent per month.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use chrono::{DateTime, Utc};
use rexian_operations::ids::{ReviewId, StaffId};
use rexian_operations::quality::{
    AgentMonthScore, CallReview, ReviewDraft, SheetItem, monthly_review_scores,
};
use serde::Deserialize;
use utoipa::ToSchema;

use super::{PeriodQuery, RULES, ctx, max_chars, own_staff};
use crate::AppState;
use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::extract::{ApiJson, ApiQuery, Authed, perm};

/// The scoring sheet (configuration).
#[utoipa::path(get, path = "/api/v1/call-reviews/sheet", tag = "operations",
    security(("bearer" = [])),
    responses((status = 200, body = [Object]), (status = 403, body = ErrorBody)))]
pub async fn sheet(_auth: Authed<perm::ViewOperations>) -> Json<Vec<SheetItem>> {
    Json(RULES.quality.review_sheet.0.clone())
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReviewIn {
    /// The staff record of the agent whose call or order is reviewed.
    agent_staff_id: i64,
    /// When the call or order was made.
    subject_at: DateTime<Utc>,
    call_id: Option<String>,
    order_id: Option<String>,
    /// Points per sheet item: `{"greeting": 9, "listening": 18, ...}`, every item once.
    #[schema(value_type = Object)]
    scores: std::collections::BTreeMap<String, u32>,
    comment: Option<String>,
}

/// Scores a call or order (shift leader, managers); the reviewer is the caller's own staff
/// record, and nobody reviews their own call.
#[utoipa::path(post, path = "/api/v1/call-reviews", tag = "operations",
    security(("bearer" = [])), request_body = ReviewIn,
    responses((status = 201, body = Object), (status = 403, body = ErrorBody),
              (status = 422, body = ErrorBody)))]
pub async fn add_review(
    State(state): State<AppState>,
    auth: Authed<perm::ReviewCalls>,
    ApiJson(req): ApiJson<ReviewIn>,
) -> ApiResult<(StatusCode, Json<CallReview>)> {
    for (f, v) in [("call_id", &req.call_id), ("order_id", &req.order_id)] {
        if let Some(v) = v {
            max_chars(f, v, 64)?;
        }
    }
    if let Some(c) = &req.comment {
        max_chars("comment", c, 1000)?;
    }
    let c = ctx(&auth, &state);
    if req.subject_at > c.now {
        return Err(ApiError::invalid("subject_at", "must not be in the future"));
    }
    let reviewer = own_staff(&state, &auth, "reviewer").await?;
    let draft = ReviewDraft {
        id: ReviewId(0),
        agent: StaffId(req.agent_staff_id),
        reviewer,
        reviewed_at: c.now,
        subject_at: req.subject_at,
        call_id: req.call_id.filter(|s| !s.trim().is_empty()),
        order_id: req.order_id.filter(|s| !s.trim().is_empty()),
        scores: req.scores.into_iter().collect(),
        comment: req.comment.filter(|s| !s.trim().is_empty()),
    };
    let r = state
        .store
        .add_review(&c, &draft, &RULES.quality.review_sheet)
        .await?;
    Ok((StatusCode::CREATED, Json(r)))
}

/// Reviews of calls made in a period (`month`, or `from`/`to`; default this month).
#[utoipa::path(get, path = "/api/v1/call-reviews", tag = "operations",
    security(("bearer" = [])), params(PeriodQuery),
    responses((status = 200, body = [Object]), (status = 403, body = ErrorBody)))]
pub async fn list_reviews(
    State(state): State<AppState>,
    auth: Authed<perm::ViewOperations>,
    ApiQuery(q): ApiQuery<PeriodQuery>,
) -> ApiResult<Json<Vec<CallReview>>> {
    let period = q.range(&state)?;
    let last = period.last_day().unwrap_or(period.from);
    Ok(Json(
        state
            .store
            .reviews(auth.platform_id(), period.from, last)
            .await?,
    ))
}

/// Scores per agent per month in a period: reviews, average percent, percent per item.
#[utoipa::path(get, path = "/api/v1/call-reviews/scores", tag = "operations",
    security(("bearer" = [])), params(PeriodQuery),
    responses((status = 200, body = [Object]), (status = 403, body = ErrorBody)))]
pub async fn scores(
    State(state): State<AppState>,
    auth: Authed<perm::ViewOperations>,
    ApiQuery(q): ApiQuery<PeriodQuery>,
) -> ApiResult<Json<Vec<AgentMonthScore>>> {
    let period = q.range(&state)?;
    let last = period.last_day().unwrap_or(period.from);
    let list = state
        .store
        .reviews(auth.platform_id(), period.from, last)
        .await?;
    Ok(Json(monthly_review_scores(&list)))
}
