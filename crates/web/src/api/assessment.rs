//! The assessment (平台考核, issue 6) under /api/v1/assessment: a period's nine indicators,
//! total and payment ratio; the records behind one indicator; the current month live.
//!
//! The rules are the server's: the embedded Baisha rules, or the files named by the
//! configuration (`assessment_rules`), read and validated once at start ([`set_rules`]).

use std::sync::{Arc, LazyLock, RwLock};

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use chrono::NaiveDate;
use rexian_assessment::{AssessError, Period, RuleBook};
use rexian_report::ReportError;
use serde::Deserialize;
use serde_json::Value;
use utoipa::IntoParams;

use crate::AppState;
use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::extract::{ApiPath, ApiQuery, Authed, perm};

static RULES: LazyLock<RwLock<Arc<RuleBook>>> =
    LazyLock::new(|| RwLock::new(Arc::new(RuleBook::baisha_default())));

/// Replaces the server's rules (at start, from the configuration).
pub fn set_rules(book: RuleBook) {
    *RULES.write().unwrap_or_else(|e| e.into_inner()) = Arc::new(book);
}

/// The rules the server scores with.
pub fn rules() -> Arc<RuleBook> {
    RULES.read().unwrap_or_else(|e| e.into_inner()).clone()
}

#[derive(Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct PeriodParams {
    /// 2026-10, 2026Q4, 2026H2, 2026 or contract:2026-03-15; or give from and to.
    period: Option<String>,
    /// First day (Beijing), with `to`.
    from: Option<NaiveDate>,
    /// Last day (Beijing, included), with `from`.
    to: Option<NaiveDate>,
}

fn period(p: &PeriodParams) -> Result<Period, ApiError> {
    match (&p.period, p.from, p.to) {
        (Some(text), None, None) => {
            Period::parse(text).map_err(|e| ApiError::invalid("period", e.to_string()))
        }
        (None, Some(from), Some(to)) => {
            Period::between(from, to).map_err(|e| ApiError::invalid("to", e.to_string()))
        }
        (None, None, None) => Err(ApiError::invalid(
            "period",
            "give period (e.g. 2026-10, 2026Q4, 2026H2, 2026, contract:2026-03-15) or from and to",
        )),
        _ => Err(ApiError::invalid(
            "period",
            "give either period, or both from and to",
        )),
    }
}

fn report_error(e: ReportError) -> ApiError {
    match e {
        ReportError::Store(s) => s.into(),
        ReportError::Ops(o) => o.into(),
        ReportError::Assess(a @ AssessError::NoRulesInForce { .. }) => {
            ApiError::invalid("period", a.to_string())
        }
        ReportError::Assess(a) => {
            tracing::error!(error = %a, "assessment failed");
            ApiError::internal()
        }
        ReportError::Invalid(m) => ApiError::invalid("period", m),
    }
}

fn json<T: serde::Serialize>(v: &T) -> ApiResult<Json<Value>> {
    serde_json::to_value(v)
        .map(Json)
        .map_err(|_| ApiError::internal())
}

/// A period's assessment: `{"period", "rules_version", "indicators": [...], "total",
/// "payment_ratio", ...}`, each indicator with the ids of the records behind it.
#[utoipa::path(get, path = "/api/v1/assessment", tag = "assessment", security(("bearer" = [])),
    params(PeriodParams),
    responses((status = 200, body = Object), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn get_assessment(
    State(state): State<AppState>,
    auth: Authed<perm::ViewAssessment>,
    ApiQuery(p): ApiQuery<PeriodParams>,
) -> ApiResult<Json<Value>> {
    let period = period(&p)?;
    let a = rexian_report::assess_period(
        state.store.as_ref(),
        auth.platform_id(),
        &rules(),
        &period,
        state.clock.now(),
    )
    .await
    .map_err(report_error)?;
    json(&a)
}

/// The records behind one indicator (1–9) of a period: numerator, denominator and the
/// records a rule left out, each with a one-line description (callers masked).
#[utoipa::path(get, path = "/api/v1/assessment/indicators/{id}", tag = "assessment",
    security(("bearer" = [])), params(("id" = u8, Path), PeriodParams),
    responses((status = 200, body = Object), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn get_indicator(
    State(state): State<AppState>,
    auth: Authed<perm::ViewAssessment>,
    ApiPath(id): ApiPath<u8>,
    ApiQuery(p): ApiQuery<PeriodParams>,
) -> ApiResult<Json<Value>> {
    if !(1..=9).contains(&id) {
        return Err(ApiError::new(
            StatusCode::NOT_FOUND,
            "not_found",
            format!("no indicator {id}; the indicators are 1–9"),
        ));
    }
    let period = period(&p)?;
    let d = rexian_report::drill_down(
        state.store.as_ref(),
        auth.platform_id(),
        &rules(),
        &period,
        id,
        state.clock.now(),
    )
    .await
    .map_err(report_error)?;
    json(&d)
}

/// The current month (Beijing) so far, scored, with the projection to month end and each
/// rate's headroom (e.g. how many more answered calls keep the answer rate at target).
#[utoipa::path(get, path = "/api/v1/assessment/live", tag = "assessment", security(("bearer" = [])),
    responses((status = 200, body = Object), (status = 403, body = ErrorBody)))]
pub async fn get_live(
    State(state): State<AppState>,
    auth: Authed<perm::ViewAssessment>,
) -> ApiResult<Json<Value>> {
    let live = rexian_report::live(
        state.store.as_ref(),
        auth.platform_id(),
        &rules(),
        state.clock.now(),
    )
    .await
    .map_err(report_error)?;
    json(&live)
}
