//! The assessment (平台考核, issue 6) under /api/v1/assessment: a period's nine indicators,
//! total and payment ratio; the records behind one indicator; the current month live; the
//! monthly report as an Excel or PDF file (`/report`).
//!
//! The rules are the server's: the embedded Baisha rules, or the files named by the
//! configuration (`assessment_rules`), read and validated once at start ([`set_rules`]).

use std::sync::{Arc, LazyLock, RwLock};

use axum::Json;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use chrono::NaiveDate;
use rexian_assessment::{AssessError, Period, RuleBook};
use rexian_report::ReportError;
use serde::Deserialize;
use serde_json::Value;
use utoipa::{IntoParams, ToSchema};

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
        ReportError::Render { format, message } => {
            tracing::error!(format, error = %message, "rendering the report failed");
            ApiError::internal()
        }
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

/// The report file's format.
#[derive(Clone, Copy, Deserialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum ReportFormat {
    /// Excel workbook: cover, scores, trend with a line chart, the record lists.
    Xlsx,
    /// A4 PDF in Chinese with an embedded font.
    Pdf,
}

impl ReportFormat {
    fn content_type(self) -> &'static str {
        match self {
            ReportFormat::Xlsx => {
                "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
            }
            ReportFormat::Pdf => "application/pdf",
        }
    }

    fn extension(self) -> &'static str {
        match self {
            ReportFormat::Xlsx => "xlsx",
            ReportFormat::Pdf => "pdf",
        }
    }
}

#[derive(Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct ReportParams {
    /// 2026-10 (a month; other periods work too, the trend ends with their last month);
    /// or give from and to.
    period: Option<String>,
    /// First day (Beijing), with `to`.
    from: Option<NaiveDate>,
    /// Last day (Beijing, included), with `from`.
    to: Option<NaiveDate>,
    /// xlsx or pdf.
    format: ReportFormat,
}

/// The monthly assessment report (月度考核报告) as a file: cover, the score table, the
/// trend of the 12 months ending with the period, and the complaints, emergencies, faults
/// and praise behind indicators 5, 7, 8 and 9 (callers masked).
#[utoipa::path(get, path = "/api/v1/assessment/report", tag = "assessment",
    security(("bearer" = [])), params(ReportParams),
    responses(
        (status = 200, description = "The report file (attachment)",
            content(
                (Vec<u8> = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
                (Vec<u8> = "application/pdf"))),
        (status = 400, body = ErrorBody, description = "format missing or not xlsx/pdf"),
        (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn get_report(
    State(state): State<AppState>,
    auth: Authed<perm::ViewAssessment>,
    ApiQuery(p): ApiQuery<ReportParams>,
) -> ApiResult<Response> {
    let period = period(&PeriodParams {
        period: p.period,
        from: p.from,
        to: p.to,
    })?;
    let platform = state
        .store
        .platform(auth.platform_id())
        .await?
        .ok_or_else(ApiError::internal)?;
    let report = rexian_report::monthly_report(
        state.store.as_ref(),
        &platform,
        &rules(),
        &period,
        state.clock.now(),
    )
    .await
    .map_err(report_error)?;
    let format = p.format;
    let filename = format!(
        "{}.{}",
        report.file_stem(&platform.order_prefix),
        format.extension()
    );
    // Rendering is CPU work (tens of milliseconds): off the async workers.
    let body = tokio::task::spawn_blocking(move || match format {
        ReportFormat::Xlsx => rexian_report::xlsx::to_xlsx(&report),
        ReportFormat::Pdf => rexian_report::pdf::to_pdf(&report),
    })
    .await
    .map_err(|_| ApiError::internal())?
    .map_err(report_error)?;
    Ok((
        [
            (header::CONTENT_TYPE, format.content_type().to_owned()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{filename}\""),
            ),
        ],
        body,
    )
        .into_response())
}
