//! The working-day calendar of a sub-platform: the bundled State Council schedules
//! (`config/holidays.toml`) plus the years an administrator set through the API (when the
//! State Council publishes a new year, or to correct one).
//!
//! Deadlines are computed with this calendar at the moment a clock starts (dispatch, reply,
//! reopen, extension) and stored with the order, so changing a schedule affects clocks started
//! afterwards, never deadlines already running. Each server process caches a sub-platform's
//! calendar for at most `CACHE_TTL` (and drops it at once after its own change).

use std::collections::HashMap;
use std::sync::{Arc, OnceLock, RwLock};
use std::time::{Duration, Instant};

use axum::Json;
use axum::extract::State;
use chrono::{Datelike, NaiveDate};
use rexian_orders::Calendar;
use rexian_orders::calendar::HolidaySchedule;
use serde::Serialize;
use utoipa::ToSchema;

use crate::AppState;
use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::extract::{ApiJson, ApiPath, Authed, perm};

const CACHE_TTL: Duration = Duration::from_secs(60);

/// A cached calendar and when it was loaded.
type Cached = (Instant, Arc<Calendar>);

/// Each sub-platform's calendar, cached by the server (one per `AppState`).
#[derive(Clone, Default)]
pub struct CalendarCache(Arc<RwLock<HashMap<i64, Cached>>>);

fn bundled() -> &'static Calendar {
    static B: OnceLock<Calendar> = OnceLock::new();
    B.get_or_init(Calendar::bundled)
}

/// The calendar in force for a sub-platform.
pub async fn calendar_for(state: &AppState, platform_id: i64) -> Result<Arc<Calendar>, ApiError> {
    if let Some((at, cal)) = state
        .calendars
        .0
        .read()
        .unwrap_or_else(|p| p.into_inner())
        .get(&platform_id)
        && at.elapsed() < CACHE_TTL
    {
        return Ok(cal.clone());
    }
    let mut cal = bundled().clone();
    for s in state.store.list_holiday_schedules(platform_id).await? {
        let year = s.year;
        cal = cal.with_schedule(s).map_err(|e| {
            tracing::error!(year, error = %e, "a stored holiday schedule is invalid");
            ApiError::internal()
        })?;
    }
    let cal = Arc::new(cal);
    state
        .calendars
        .0
        .write()
        .unwrap_or_else(|p| p.into_inner())
        .insert(platform_id, (Instant::now(), cal.clone()));
    Ok(cal)
}

#[derive(Serialize, ToSchema)]
pub struct CalendarYearView {
    year: i32,
    /// False: the year is counted on weekends alone and its deadlines are provisional.
    has_schedule: bool,
    /// The schedule in force, in the format `PUT` takes.
    #[schema(value_type = Option<Object>)]
    schedule: Option<HolidaySchedule>,
    /// Weekdays off (public holidays).
    holidays: Vec<NaiveDate>,
    /// Weekend days worked (调休上班).
    make_up_working_days: Vec<NaiveDate>,
}

fn year_view(cal: &Calendar, year: i32) -> ApiResult<CalendarYearView> {
    let first = NaiveDate::from_ymd_opt(year, 1, 1)
        .ok_or_else(|| ApiError::invalid("year", "not a supported year"))?;
    let mut holidays = Vec::new();
    let mut make_up = Vec::new();
    for d in first.iter_days().take_while(|d| d.year() == year) {
        let weekend = d.weekday().number_from_monday() >= 6;
        match (cal.is_working_day(d), weekend) {
            (false, false) => holidays.push(d),
            (true, true) => make_up.push(d),
            _ => {}
        }
    }
    Ok(CalendarYearView {
        year,
        has_schedule: cal.has_schedule(year),
        schedule: cal.schedules().find(|s| s.year == year).cloned(),
        holidays,
        make_up_working_days: make_up,
    })
}

fn check_year(year: i32) -> ApiResult<()> {
    if !(2000..=2100).contains(&year) {
        return Err(ApiError::invalid("year", "between 2000 and 2100"));
    }
    Ok(())
}

/// One year of the sub-platform's working-day calendar.
#[utoipa::path(get, path = "/api/v1/calendar/{year}", tag = "calendar",
    security(("bearer" = [])), params(("year" = i32, Path)),
    responses((status = 200, body = CalendarYearView), (status = 422, body = ErrorBody)))]
pub async fn get_year(
    State(state): State<AppState>,
    auth: Authed<perm::ViewPlatform>,
    ApiPath(year): ApiPath<i32>,
) -> ApiResult<Json<CalendarYearView>> {
    check_year(year)?;
    let cal = calendar_for(&state, auth.platform_id()).await?;
    Ok(Json(year_view(&cal, year)?))
}

/// Sets a year's holiday schedule (administrator), as the State Council published it:
/// `{"year": 2027, "source": "…", "holiday": [{"name_zh": "元旦", "name_en": "New Year's Day",
/// "first_day": "2027-01-01", "last_day": "2027-01-03", "make_up_working_days": []}]}`.
/// Refused with 422 when a date is listed twice, a make-up day is not a weekend day, or a
/// date lies outside the year. Affects clocks started afterwards only.
#[utoipa::path(put, path = "/api/v1/calendar/{year}", tag = "calendar",
    security(("bearer" = [])), params(("year" = i32, Path)),
    request_body(content = Object, description = "the year's schedule"),
    responses((status = 200, body = CalendarYearView), (status = 403, body = ErrorBody),
              (status = 422, body = ErrorBody)))]
pub async fn put_year(
    State(state): State<AppState>,
    auth: Authed<perm::ManageCalendar>,
    ApiPath(year): ApiPath<i32>,
    ApiJson(schedule): ApiJson<HolidaySchedule>,
) -> ApiResult<Json<CalendarYearView>> {
    check_year(year)?;
    if schedule.year != year {
        return Err(ApiError::invalid(
            "year",
            format!("the body is for {}, the path for {year}", schedule.year),
        ));
    }
    let pid = auth.platform_id();
    let current = calendar_for(&state, pid).await?;
    let next = current
        .with_schedule(schedule.clone())
        .map_err(|e| ApiError::invalid("holiday", e.to_string()))?;
    state
        .store
        .put_holiday_schedule(pid, &schedule, &auth.actor(), state.clock.now())
        .await?;
    state
        .calendars
        .0
        .write()
        .unwrap_or_else(|p| p.into_inner())
        .remove(&pid);
    Ok(Json(year_view(&next, year)?))
}
