//! Rosters and night duty: shifts from configuration, entries per person and day (an
//! overlap is 409 naming both shifts), leave, swaps decided by the shift leader, the monthly
//! check (every night without a rostered person, every broken rule); and trainings counted
//! against 3–5 per contract year.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use chrono::{DateTime, NaiveDate, Utc};
use rexian_domain::{AggregateRef, Event};
use rexian_operations::ids::StaffId;
use rexian_operations::roster::{
    EffectiveRoster, Finding, Leave, LeaveKind, NightAllowance, ReturnShift, RosterEntry,
    RosterRule, RosterRules, ShiftDefinition, ShiftSwap, SignInInterval, check,
    night_duty_allowance,
};
use rexian_operations::time::{DateRange, YearMonth};
use rexian_operations::training::{Training, TrainingCount, training_count};
use rexian_store::Store;
use rexian_store::operations::{
    LeaveRecord, NewSwap, NewTraining, RosterEntryRecord, SwapDecision,
};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::{PeriodQuery, RULES, ctx, max_chars, own_staff, today};
use crate::AppState;
use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::extract::{ApiJson, ApiPath, ApiQuery, Authed, perm};

#[derive(Serialize, ToSchema)]
pub struct ShiftsView {
    /// Shift definitions: code, name_zh, start, end (`24:00` = midnight), break_minutes,
    /// night.
    #[schema(value_type = Vec<Object>)]
    shifts: Vec<ShiftDefinition>,
    /// min_rest_hours, max_weekly_hours, night_staff_required, night_sign_in_share,
    /// night_duty_requires_certified.
    #[schema(value_type = Object)]
    rules: RosterRules,
}

/// The shifts and roster rules (configuration).
#[utoipa::path(get, path = "/api/v1/roster/shifts", tag = "operations",
    security(("bearer" = [])),
    responses((status = 200, body = ShiftsView), (status = 403, body = ErrorBody)))]
pub async fn shifts(_auth: Authed<perm::ViewOperations>) -> Json<ShiftsView> {
    Json(ShiftsView {
        shifts: RULES.roster.shifts.0.clone(),
        rules: RULES.roster.rules.clone(),
    })
}

#[derive(Serialize, ToSchema)]
pub struct RosterView {
    #[schema(value_type = Object)]
    period: DateRange,
    /// Planned entries: id, staff_id, date, shift.
    #[schema(value_type = Vec<Object>)]
    entries: Vec<RosterEntryRecord>,
    #[schema(value_type = Vec<Object>)]
    leaves: Vec<LeaveRecord>,
    #[schema(value_type = Vec<Object>)]
    swaps: Vec<ShiftSwap>,
    /// Who works what after approved swaps and leave.
    #[schema(value_type = Object)]
    effective: EffectiveRoster,
}

/// The roster of a period (`month`, or `from`/`to`; default this month).
#[utoipa::path(get, path = "/api/v1/roster", tag = "operations", security(("bearer" = [])),
    params(PeriodQuery),
    responses((status = 200, body = RosterView), (status = 403, body = ErrorBody)))]
pub async fn get_roster(
    State(state): State<AppState>,
    auth: Authed<perm::ViewOperations>,
    ApiQuery(q): ApiQuery<PeriodQuery>,
) -> ApiResult<Json<RosterView>> {
    let period = q.range(&state)?;
    let last = period.last_day().unwrap_or(period.from);
    let w = state
        .store
        .roster(auth.platform_id(), period.from, last)
        .await?;
    let mut effective = w.roster.effective();
    effective.shifts.retain(|s| period.contains(s.date));
    let entries = w
        .entries
        .into_iter()
        .filter(|e| period.contains(e.entry.date))
        .collect();
    Ok(Json(RosterView {
        period,
        entries,
        leaves: w.leaves,
        swaps: w.roster.swaps,
        effective,
    }))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct EntryIn {
    staff_id: i64,
    /// The local day the shift starts.
    date: NaiveDate,
    /// A shift code from /api/v1/roster/shifts.
    shift: String,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AddEntries {
    /// Up to 1000 entries, stored all or none.
    entries: Vec<EntryIn>,
}

/// Adds roster entries (managers), all or none: an unknown shift or person is 422, a shift
/// overlapping another of the same person is 409 naming both.
#[utoipa::path(post, path = "/api/v1/roster/entries", tag = "operations",
    security(("bearer" = [])), request_body = AddEntries,
    responses((status = 201, body = [Object]), (status = 403, body = ErrorBody),
              (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn add_entries(
    State(state): State<AppState>,
    auth: Authed<perm::ManageRoster>,
    ApiJson(req): ApiJson<AddEntries>,
) -> ApiResult<(StatusCode, Json<Vec<RosterEntryRecord>>)> {
    if req.entries.is_empty() || req.entries.len() > 1000 {
        return Err(ApiError::invalid("entries", "1 to 1000 entries"));
    }
    let entries: Vec<RosterEntry> = req
        .entries
        .into_iter()
        .map(|e| RosterEntry {
            staff_id: StaffId(e.staff_id),
            date: e.date,
            shift: e.shift,
        })
        .collect();
    let added = state
        .store
        .add_roster_entries(&ctx(&auth, &state), &entries, &RULES.roster.shifts)
        .await?;
    Ok((StatusCode::CREATED, Json(added)))
}

/// Removes a roster entry (managers); 409 if an approved swap uses it.
#[utoipa::path(delete, path = "/api/v1/roster/entries/{id}", tag = "operations",
    security(("bearer" = [])), params(("id" = i64, Path)),
    responses((status = 200, body = Object), (status = 404, body = ErrorBody),
              (status = 409, body = ErrorBody)))]
pub async fn remove_entry(
    State(state): State<AppState>,
    auth: Authed<perm::ManageRoster>,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<Json<RosterEntryRecord>> {
    Ok(Json(
        state
            .store
            .remove_roster_entry(&ctx(&auth, &state), id)
            .await?,
    ))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LeaveIn {
    staff_id: i64,
    first_day: NaiveDate,
    last_day: NaiveDate,
    /// `annual`, `sick`, `personal`, `compensatory`, `marriage`, `maternity`, `paternity`,
    /// `bereavement`, `other`.
    #[schema(value_type = String)]
    kind: LeaveKind,
    note: Option<String>,
}

/// Records leave (managers); end before start is 422, overlapping leave 409.
#[utoipa::path(post, path = "/api/v1/roster/leaves", tag = "operations",
    security(("bearer" = [])), request_body = LeaveIn,
    responses((status = 201, body = Object), (status = 409, body = ErrorBody),
              (status = 422, body = ErrorBody)))]
pub async fn add_leave(
    State(state): State<AppState>,
    auth: Authed<perm::ManageRoster>,
    ApiJson(req): ApiJson<LeaveIn>,
) -> ApiResult<(StatusCode, Json<LeaveRecord>)> {
    if let Some(n) = &req.note {
        max_chars("note", n, 500)?;
    }
    let leave = Leave {
        staff_id: StaffId(req.staff_id),
        first_day: req.first_day,
        last_day: req.last_day,
        kind: req.kind,
        note: req.note.filter(|n| !n.trim().is_empty()),
    };
    let l = state.store.add_leave(&ctx(&auth, &state), &leave).await?;
    Ok((StatusCode::CREATED, Json(l)))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReturnIn {
    date: NaiveDate,
    shift: String,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SwapIn {
    /// The shift given away: its day and code, worked by `from_staff_id`.
    date: NaiveDate,
    shift: String,
    from_staff_id: i64,
    to_staff_id: i64,
    /// The shift of `to_staff_id` taken in return, if any.
    in_return: Option<ReturnIn>,
}

/// Asks for a shift swap (agents, shift leader, managers); the shift leader decides it.
#[utoipa::path(post, path = "/api/v1/roster/swaps", tag = "operations",
    security(("bearer" = [])), request_body = SwapIn,
    responses((status = 201, body = Object), (status = 422, body = ErrorBody)))]
pub async fn request_swap(
    State(state): State<AppState>,
    auth: Authed<perm::RequestSwap>,
    ApiJson(req): ApiJson<SwapIn>,
) -> ApiResult<(StatusCode, Json<ShiftSwap>)> {
    let new = NewSwap {
        date: req.date,
        shift: req.shift,
        from_staff: StaffId(req.from_staff_id),
        to_staff: StaffId(req.to_staff_id),
        in_return: req.in_return.map(|r| ReturnShift {
            date: r.date,
            shift: r.shift,
        }),
    };
    let s = state
        .store
        .request_swap(&ctx(&auth, &state), &new, &RULES.roster.shifts)
        .await?;
    Ok((StatusCode::CREATED, Json(s)))
}

async fn decide(
    state: &AppState,
    auth: &Authed<perm::DecideSwap>,
    id: i64,
    decision: SwapDecision,
) -> ApiResult<Json<ShiftSwap>> {
    let approver = own_staff(state, auth, "approver").await?;
    let s = state
        .store
        .decide_swap(
            &ctx(auth, state),
            id,
            approver,
            &decision,
            &RULES.roster.shifts,
        )
        .await?;
    Ok(Json(s))
}

/// Approves a requested swap (shift leader; a manager may stand in); 409 if it is decided
/// already or would make someone work two shifts at once.
#[utoipa::path(post, path = "/api/v1/roster/swaps/{id}/approve", tag = "operations",
    security(("bearer" = [])), params(("id" = i64, Path)),
    responses((status = 200, body = Object), (status = 409, body = ErrorBody),
              (status = 422, body = ErrorBody)))]
pub async fn approve_swap(
    State(state): State<AppState>,
    auth: Authed<perm::DecideSwap>,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<Json<ShiftSwap>> {
    decide(&state, &auth, id, SwapDecision::Approve).await
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RejectIn {
    reason: String,
}

/// Rejects a requested swap with a reason.
#[utoipa::path(post, path = "/api/v1/roster/swaps/{id}/reject", tag = "operations",
    security(("bearer" = [])), params(("id" = i64, Path)), request_body = RejectIn,
    responses((status = 200, body = Object), (status = 409, body = ErrorBody)))]
pub async fn reject_swap(
    State(state): State<AppState>,
    auth: Authed<perm::DecideSwap>,
    ApiPath(id): ApiPath<i64>,
    ApiJson(req): ApiJson<RejectIn>,
) -> ApiResult<Json<ShiftSwap>> {
    max_chars("reason", &req.reason, 500)?;
    decide(
        &state,
        &auth,
        id,
        SwapDecision::Reject { reason: req.reason },
    )
    .await
}

#[derive(Serialize, ToSchema)]
pub struct RosterCheck {
    #[schema(value_type = Object)]
    period: DateRange,
    /// The nights (by the day the night shift starts) with fewer people than the contract
    /// requires.
    nights_uncovered: Vec<NaiveDate>,
    /// Every finding: date, staff_id, rule, severity (`error`, `warning`), detail.
    #[schema(value_type = Vec<Object>)]
    findings: Vec<Finding>,
}

/// Checks the roster of a period (`month`, or `from`/`to`; default this month): nights
/// without a rostered person, overlaps, rest between shifts, weekly hours, rostered on
/// leave or not on staff, night duty by someone not certified.
#[utoipa::path(get, path = "/api/v1/roster/check", tag = "operations",
    security(("bearer" = [])), params(PeriodQuery),
    responses((status = 200, body = RosterCheck), (status = 403, body = ErrorBody)))]
pub async fn check_roster(
    State(state): State<AppState>,
    auth: Authed<perm::ViewOperations>,
    ApiQuery(q): ApiQuery<PeriodQuery>,
) -> ApiResult<Json<RosterCheck>> {
    let period = q.range(&state)?;
    let last = period.last_day().unwrap_or(period.from);
    // A week before for weekly hours and rest; a day after for shifts crossing midnight.
    let from = period
        .from
        .checked_sub_days(chrono::Days::new(7))
        .unwrap_or(period.from);
    let to = last.succ_opt().unwrap_or(last);
    let w = state.store.roster(auth.platform_id(), from, to).await?;
    let staff: Vec<_> = state
        .store
        .staff_records(auth.platform_id())
        .await?
        .into_iter()
        .map(|r| r.staff)
        .collect();
    let findings = check(
        &w.roster,
        &RULES.roster.shifts,
        &RULES.roster.rules,
        &staff,
        period,
    )?;
    Ok(Json(RosterCheck {
        period,
        nights_uncovered: findings
            .iter()
            .filter(|f| f.rule == RosterRule::NightUncovered)
            .map(|f| f.date)
            .collect(),
        findings,
    }))
}

#[derive(Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct MonthQuery {
    /// `YYYY-MM`; default this month.
    month: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct NightDutyView {
    /// `YYYY-MM`.
    pub month: String,
    /// Whether seat sign-ins confirm the nights actually worked: they come from the ACD's
    /// `agent.state_changed` events of the staff member's login (staff `user_id` → the
    /// user's name = the agent id). Always true now; a person without a login has no
    /// sign-ins, so their rostered nights are listed with `worked = false`.
    pub sign_ins_available: bool,
    /// Per person: rostered_nights (after swaps and leave), worked_nights (rostered and
    /// signed in for the configured share of the shift), each night.
    #[schema(value_type = Vec<Object>)]
    pub allowances: Vec<NightAllowance>,
}

/// Night-duty allowance counts per person for a month: a rostered night counts only when the
/// person was signed in on a seat for the configured share of it (`night_sign_in_share`).
#[utoipa::path(get, path = "/api/v1/roster/night-duty", tag = "operations",
    security(("bearer" = [])), params(MonthQuery),
    responses((status = 200, body = NightDutyView), (status = 403, body = ErrorBody)))]
pub async fn night_duty(
    State(state): State<AppState>,
    auth: Authed<perm::ViewOperations>,
    ApiQuery(q): ApiQuery<MonthQuery>,
) -> ApiResult<Json<NightDutyView>> {
    let month: YearMonth = match &q.month {
        Some(m) => m
            .parse()
            .map_err(|_| ApiError::invalid("month", "a month is written YYYY-MM"))?,
        None => YearMonth::containing(today(&state)),
    };
    let view = night_duty_of(
        state.store.as_ref(),
        auth.platform_id(),
        month,
        state.clock.now(),
    )
    .await?;
    Ok(Json(view))
}

/// The night-duty allowance of `month` from the roster and the seat sign-ins (for the API
/// and `rexian ops night-duty`).
pub async fn night_duty_of(
    store: &dyn Store,
    platform_id: i64,
    month: YearMonth,
    now: DateTime<Utc>,
) -> Result<NightDutyView, ApiError> {
    let period = month.range()?;
    let last = period.last_day().unwrap_or(period.from);
    let w = store.roster(platform_id, period.from, last).await?;
    let sign_ins = seat_sign_ins(store, platform_id, now).await?;
    let allowances = night_duty_allowance(
        &w.roster,
        &RULES.roster.shifts,
        &RULES.roster.rules,
        &sign_ins,
        month,
    )?;
    Ok(NightDutyView {
        month: month.to_string(),
        sign_ins_available: true,
        allowances,
    })
}

/// One `agent.state_changed` event: when, and whether the agent is signed in after it.
fn state_change(e: &Event) -> Option<(DateTime<Utc>, bool)> {
    let to = e.payload.get("to")?.get("state")?.as_str()?;
    let at = e
        .payload
        .get("at")
        .and_then(|a| serde_json::from_value::<DateTime<Utc>>(a.clone()).ok())
        .unwrap_or(e.occurred_at);
    Some((at, to != "signed_out"))
}

/// Signed-in intervals from state changes (any order): from a change out of `signed_out` to
/// the next change into it; still signed in at the end → open until `now`.
pub fn sign_in_intervals(
    staff_id: StaffId,
    mut changes: Vec<(DateTime<Utc>, bool)>,
    now: DateTime<Utc>,
) -> Vec<SignInInterval> {
    changes.sort_by_key(|c| c.0);
    let mut out = Vec::new();
    let mut since: Option<DateTime<Utc>> = None;
    for (at, signed_in) in changes {
        match (since, signed_in) {
            (None, true) => since = Some(at),
            (Some(from), false) => {
                out.push(SignInInterval {
                    staff_id,
                    from,
                    to: at,
                });
                since = None;
            }
            _ => {}
        }
    }
    if let Some(from) = since.filter(|f| *f < now) {
        out.push(SignInInterval {
            staff_id,
            from,
            to: now,
        });
    }
    out
}

/// Every staff member's seat sign-ins, from the ACD events of their login (aggregate
/// `agent:<username>`). Reads each agent's whole state history: a few thousand events a
/// year per agent.
async fn seat_sign_ins(
    store: &dyn Store,
    platform_id: i64,
    now: DateTime<Utc>,
) -> Result<Vec<SignInInterval>, ApiError> {
    const PAGE: i64 = 1000;
    let users = store.list_users(platform_id).await?;
    let staff = store.staff_records(platform_id).await?;
    let mut all = Vec::new();
    for r in &staff {
        let Some(user) = r
            .staff
            .user_id
            .and_then(|u| users.iter().find(|x| x.id == u.0))
        else {
            continue;
        };
        let agg = AggregateRef::new("agent", user.username.as_str());
        let mut changes = Vec::new();
        let mut after = None;
        loop {
            let page = store.events(platform_id, &agg, after, PAGE).await?;
            changes.extend(
                page.iter()
                    .filter(|e| e.event_type == "agent.state_changed")
                    .filter_map(state_change),
            );
            after = page.last().map(|e| e.id);
            if page.len() < PAGE as usize {
                break;
            }
        }
        all.extend(sign_in_intervals(StaffId(r.staff.id.0), changes, now));
    }
    Ok(all)
}

// ---- trainings ----

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TrainingIn {
    date: NaiveDate,
    topic: String,
    trainer: String,
    /// Staff record ids.
    attendees: Vec<i64>,
    duration_minutes: u32,
    /// Where the material is (file name, link).
    material: Option<String>,
}

/// Records a training held (managers).
#[utoipa::path(post, path = "/api/v1/trainings", tag = "operations", security(("bearer" = [])),
    request_body = TrainingIn,
    responses((status = 201, body = Object), (status = 403, body = ErrorBody),
              (status = 422, body = ErrorBody)))]
pub async fn add_training(
    State(state): State<AppState>,
    auth: Authed<perm::ManageTrainings>,
    ApiJson(req): ApiJson<TrainingIn>,
) -> ApiResult<(StatusCode, Json<Training>)> {
    max_chars("topic", &req.topic, 200)?;
    max_chars("trainer", &req.trainer, 50)?;
    if let Some(m) = &req.material {
        max_chars("material", m, 500)?;
    }
    if req.date > today(&state) {
        return Err(ApiError::invalid(
            "date",
            "record a training once it is held",
        ));
    }
    let new = NewTraining {
        date: req.date,
        topic: req.topic,
        trainer: req.trainer,
        attendees: req.attendees.into_iter().map(StaffId).collect(),
        duration_minutes: req.duration_minutes,
        material: req.material,
    };
    let t = state.store.add_training(&ctx(&auth, &state), &new).await?;
    Ok((StatusCode::CREATED, Json(t)))
}

/// Trainings of a period (`month`, or `from`/`to`; default this month).
#[utoipa::path(get, path = "/api/v1/trainings", tag = "operations", security(("bearer" = [])),
    params(PeriodQuery),
    responses((status = 200, body = [Object]), (status = 403, body = ErrorBody)))]
pub async fn list_trainings(
    State(state): State<AppState>,
    auth: Authed<perm::ViewOperations>,
    ApiQuery(q): ApiQuery<PeriodQuery>,
) -> ApiResult<Json<Vec<Training>>> {
    let period = q.range(&state)?;
    let last = period.last_day().unwrap_or(period.from);
    Ok(Json(
        state
            .store
            .trainings(auth.platform_id(), period.from, last)
            .await?,
    ))
}

#[derive(Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct TrainingCountQuery {
    /// First day of the contract year; the year runs to the day before its anniversary.
    /// Default: the start of the contract in force today, else 1 January of this year.
    year_from: Option<NaiveDate>,
}

/// Trainings held in a contract year against the contract's 3 to 5, up to today.
#[utoipa::path(get, path = "/api/v1/trainings/count", tag = "operations",
    security(("bearer" = [])), params(TrainingCountQuery),
    responses((status = 200, body = Object), (status = 403, body = ErrorBody)))]
pub async fn count_trainings(
    State(state): State<AppState>,
    auth: Authed<perm::ViewOperations>,
    ApiQuery(q): ApiQuery<TrainingCountQuery>,
) -> ApiResult<Json<TrainingCount>> {
    let day = today(&state);
    let from = match q.year_from {
        Some(f) => f,
        None => state
            .store
            .contracts(auth.platform_id())
            .await?
            .into_iter()
            .find(|c| c.record.start <= day && day <= c.record.end)
            .map(|c| c.record.start)
            .unwrap_or_else(|| {
                NaiveDate::from_ymd_opt(chrono::Datelike::year(&day), 1, 1).unwrap_or(day)
            }),
    };
    let to = from
        .checked_add_months(chrono::Months::new(12))
        .ok_or_else(|| ApiError::invalid("year_from", "out of range"))?;
    let year = DateRange::new(from, to)?;
    let last = year.last_day().unwrap_or(from);
    let list = state
        .store
        .trainings(auth.platform_id(), from, last)
        .await?;
    let as_of = year.contains(day).then_some(day);
    Ok(Json(training_count(&list, year, as_of, &RULES.training)))
}

#[cfg(test)]
mod sign_in_tests {
    use super::*;

    fn t(h: u32, m: u32) -> DateTime<Utc> {
        chrono::TimeZone::with_ymd_and_hms(&Utc, 2026, 11, 2, h, m, 0).unwrap()
    }

    #[test]
    fn state_changes_become_signed_in_intervals() {
        let s = StaffId(7);
        // Out of order; a repeated sign-in and a stray sign-out change nothing; still
        // signed in at the end: open until now.
        let changes = vec![
            (t(20, 0), true),
            (t(16, 5), true),
            (t(17, 0), true),
            (t(23, 50), false),
            (t(15, 0), false),
            (t(16, 0), false),
        ];
        let got = sign_in_intervals(s, changes, t(23, 59));
        let want = [(t(16, 5), t(23, 50))];
        assert_eq!(got.iter().map(|i| (i.from, i.to)).collect::<Vec<_>>(), want);
        let open = sign_in_intervals(s, vec![(t(22, 0), true)], t(23, 0));
        assert_eq!((open[0].from, open[0].to), (t(22, 0), t(23, 0)));
        assert!(sign_in_intervals(s, vec![(t(22, 0), true)], t(21, 0)).is_empty());
    }
}
