//! The operations side of the monthly assessment in one answer: indicators 5 (justified
//! complaints), 6 (half-year attrition, for the half year the period ends in), 7 (emergency
//! response), 8 (operation and maintenance) and 9 (citizen praise), each with the records
//! behind its figure. The assessment (its own issue) turns these into points.

use axum::Json;
use axum::extract::State;
use rexian_operations::attrition::{AttritionReport, attrition, attrition_live};
use rexian_operations::emergency::{Indicator7Report, indicator7};
use rexian_operations::faults::{Indicator8Report, indicator8};
use rexian_operations::quality::{ComplaintTally, PraiseTally, complaint_tally, praise_tally};
use rexian_operations::time::{DateRange, HalfYear};
use serde::Serialize;
use utoipa::ToSchema;

use super::{PeriodQuery, RULES, today};
use crate::AppState;
use crate::error::{ApiResult, ErrorBody};
use crate::extract::{ApiQuery, Authed, perm};

#[derive(Serialize, ToSchema)]
pub struct OpsIndicators {
    #[schema(value_type = Object)]
    period: DateRange,
    /// Justified complaints (final verdicts only; undecided ones listed).
    #[schema(value_type = Object)]
    indicator5: ComplaintTally,
    /// Attrition of the half year containing the period's last day (live if it is running).
    #[schema(value_type = Object)]
    indicator6: AttritionReport,
    #[schema(value_type = Object)]
    indicator7: Indicator7Report,
    #[schema(value_type = Object)]
    indicator8: Indicator8Report,
    #[schema(value_type = Object)]
    indicator9: PraiseTally,
}

/// Indicators 5–9 for a period (`month`, or `from`/`to`; default this month).
#[utoipa::path(get, path = "/api/v1/operations/indicators", tag = "operations",
    security(("bearer" = [])), params(PeriodQuery),
    responses((status = 200, body = OpsIndicators), (status = 403, body = ErrorBody)))]
pub async fn indicators(
    State(state): State<AppState>,
    auth: Authed<perm::ViewOperations>,
    ApiQuery(q): ApiQuery<PeriodQuery>,
) -> ApiResult<Json<OpsIndicators>> {
    let period = q.range(&state)?;
    let pid = auth.platform_id();
    let now = state.clock.now();
    let day = today(&state);
    let points = &RULES.quality.points;
    let last = period.last_day().unwrap_or(period.from);
    let half = HalfYear::containing(last).range()?;
    let staff: Vec<_> = state
        .store
        .staff_records(pid)
        .await?
        .into_iter()
        .map(|r| r.staff)
        .collect();
    let indicator6 = if half.contains(day) {
        attrition_live(&staff, half, day, &RULES.attrition)?
    } else {
        attrition(&staff, half, &RULES.attrition)?
    };
    Ok(Json(OpsIndicators {
        indicator5: complaint_tally(&state.store.complaints(pid).await?, period, points),
        indicator6,
        indicator7: indicator7(&state.store.emergencies(pid).await?, period, now),
        indicator8: indicator8(&state.store.faults(pid).await?, period, now, &RULES.faults),
        indicator9: praise_tally(&state.store.praise_list(pid).await?, period, points),
        period,
    }))
}
