//! Staff records (ID card and mobile shown in full only to managers) and half-year attrition
//! (indicator 6), live.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use chrono::NaiveDate;
use rexian_domain::Permission;
use rexian_operations::attrition::{AttritionReport, attrition, attrition_live};
use rexian_operations::staff::{
    EmploymentSpell, IdCardNumber, InsuranceCoverage, InsurancePolicy, Language, LeaveReason,
    MobileNumber, Position, insurance_coverage,
};
use rexian_operations::time::{Half, HalfYear};
use rexian_store::operations::{NewStaff, StaffChange, StaffDetails, StaffRecord};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::{RULES, ctx, found, max_chars, today};
use crate::AppState;
use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::extract::{ApiJson, ApiPath, ApiQuery, Authed, RequiredPermission, perm};

/// A staff record as the API shows it. `id_card` and `mobile` are masked
/// (`4601**********123X`, `138****5678`) unless the caller is a manager.
#[derive(Serialize, ToSchema)]
pub struct StaffView {
    id: i64,
    /// Staff code (工号), unique in the sub-platform.
    code: String,
    name: String,
    /// `shift_leader`, `manager`, `agent`.
    position: String,
    position_label: String,
    /// Employment spells, oldest first: start, certified_on (独立上机), end (last day, reason).
    #[schema(value_type = Vec<Object>)]
    employment: Vec<EmploymentSpell>,
    /// Employed today.
    on_staff: bool,
    /// Certified to work a seat independently today.
    certified: bool,
    /// Covered by accident insurance today.
    insured: bool,
    /// `mandarin`, `hainanese`, `li`.
    #[schema(value_type = Vec<String>)]
    languages: Vec<Language>,
    skills: Vec<String>,
    #[schema(value_type = Vec<Object>)]
    insurance: Vec<InsurancePolicy>,
    /// The person's login, if they have one.
    user_id: Option<i64>,
    id_card: Option<String>,
    mobile: Option<String>,
    /// Whether `id_card` and `mobile` are shown in full.
    personal_data_full: bool,
}

fn view(r: &StaffRecord, day: NaiveDate, full: bool) -> StaffView {
    let s = &r.staff;
    StaffView {
        id: s.id.0,
        code: r.code.clone(),
        name: s.name.clone(),
        position: s.position.code().to_owned(),
        position_label: s.position.label_zh().to_owned(),
        employment: s.employment.clone(),
        on_staff: s.is_on_staff(day),
        certified: s.is_certified_on(day),
        insured: s.is_insured_on(day),
        languages: s.languages.clone(),
        skills: s.skills.clone(),
        insurance: s.insurance.clone(),
        user_id: s.user_id.map(|u| u.0),
        id_card: s.id_card.as_ref().map(|c| {
            if full {
                c.as_str().to_owned()
            } else {
                c.masked()
            }
        }),
        mobile: s.mobile.as_ref().map(|m| {
            if full {
                m.as_str().to_owned()
            } else {
                m.masked()
            }
        }),
        personal_data_full: full,
    }
}

fn render<P: RequiredPermission>(auth: &Authed<P>, state: &AppState, r: &StaffRecord) -> StaffView {
    view(
        r,
        today(state),
        auth.user.role.can(Permission::ViewStaffPersonalData),
    )
}

/// Fields of a staff record that can be set at hiring and edited later.
#[derive(Deserialize, ToSchema, Default)]
#[serde(deny_unknown_fields)]
pub struct StaffFields {
    name: Option<String>,
    /// `shift_leader`, `manager`, `agent`.
    #[schema(value_type = Option<String>)]
    position: Option<Position>,
    /// `mandarin`, `hainanese`, `li`.
    #[schema(value_type = Option<Vec<String>>)]
    languages: Option<Vec<Language>>,
    skills: Option<Vec<String>>,
    /// Accident-insurance policies: insurer, policy_number, first_day, last_day.
    #[schema(value_type = Option<Vec<Object>>)]
    insurance: Option<Vec<InsurancePolicy>>,
    /// Link to a login of this sub-platform.
    user_id: Option<i64>,
    /// Remove the link to a login.
    #[serde(default)]
    unlink_user: bool,
    /// Resident ID card number (18 characters, check digit verified).
    id_card: Option<String>,
    /// Mainland mobile number.
    mobile: Option<String>,
    /// Forget the stored ID card and mobile numbers.
    #[serde(default)]
    clear_personal_data: bool,
}

impl StaffFields {
    fn details(self) -> Result<StaffDetails, ApiError> {
        if let Some(n) = &self.name {
            max_chars("name", n, 50)?;
        }
        if let Some(skills) = &self.skills {
            for s in skills {
                max_chars("skills", s, 100)?;
            }
        }
        if self.unlink_user && self.user_id.is_some() {
            return Err(ApiError::invalid(
                "unlink_user",
                "give either `user_id` or `unlink_user`",
            ));
        }
        let id_card = self
            .id_card
            .as_deref()
            .map(IdCardNumber::parse)
            .transpose()
            .map_err(|e| ApiError::invalid("id_card", e.to_string()))?;
        let mobile = self
            .mobile
            .as_deref()
            .map(MobileNumber::parse)
            .transpose()
            .map_err(|e| ApiError::invalid("mobile", e.to_string()))?;
        Ok(StaffDetails {
            name: self.name,
            position: self.position,
            languages: self.languages,
            skills: self.skills,
            insurance: self.insurance,
            user_id: if self.unlink_user {
                Some(None)
            } else {
                self.user_id.map(Some)
            },
            id_card,
            mobile,
            clear_personal_data: self.clear_personal_data,
        })
    }
}

#[derive(Deserialize, ToSchema)]
pub struct CreateStaff {
    /// Staff code (工号). A seeded demo position with this code is taken over.
    code: String,
    name: String,
    /// `shift_leader`, `manager`, `agent`.
    #[schema(value_type = String)]
    position: Position,
    /// First day of employment.
    start: NaiveDate,
    /// The day certified to work a seat independently (独立上机), if already.
    certified_on: Option<NaiveDate>,
    #[serde(flatten)]
    fields: StaffFields,
}

/// Staff records of the sub-platform, by code.
#[utoipa::path(get, path = "/api/v1/staff", tag = "operations", security(("bearer" = [])),
    responses((status = 200, body = [StaffView]), (status = 403, body = ErrorBody)))]
pub async fn list_staff(
    State(state): State<AppState>,
    auth: Authed<perm::ViewOperations>,
) -> ApiResult<Json<Vec<StaffView>>> {
    let records = state.store.staff_records(auth.platform_id()).await?;
    Ok(Json(
        records.iter().map(|r| render(&auth, &state, r)).collect(),
    ))
}

/// Hires a person: a new staff record (managers).
#[utoipa::path(post, path = "/api/v1/staff", tag = "operations", security(("bearer" = [])),
    request_body = CreateStaff,
    responses((status = 201, body = StaffView), (status = 403, body = ErrorBody),
              (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn create_staff(
    State(state): State<AppState>,
    auth: Authed<perm::ManageStaff>,
    ApiJson(req): ApiJson<CreateStaff>,
) -> ApiResult<(StatusCode, Json<StaffView>)> {
    max_chars("code", &req.code, 32)?;
    max_chars("name", &req.name, 50)?;
    if req.fields.name.is_some() || req.fields.position.is_some() {
        return Err(ApiError::invalid(
            "name",
            "name and position are given once, at the top level",
        ));
    }
    let new = NewStaff {
        code: req.code,
        name: req.name,
        position: req.position,
        start: req.start,
        certified_on: req.certified_on,
        left: None,
        details: req.fields.details()?,
    };
    let r = state.store.create_staff(&ctx(&auth, &state), &new).await?;
    Ok((StatusCode::CREATED, Json(render(&auth, &state, &r))))
}

/// One staff record.
#[utoipa::path(get, path = "/api/v1/staff/{id}", tag = "operations",
    security(("bearer" = [])), params(("id" = i64, Path)),
    responses((status = 200, body = StaffView), (status = 404, body = ErrorBody)))]
pub async fn get_staff(
    State(state): State<AppState>,
    auth: Authed<perm::ViewOperations>,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<Json<StaffView>> {
    let r = found(
        state.store.staff_record(auth.platform_id(), id).await?,
        "staff",
    )?;
    Ok(Json(render(&auth, &state, &r)))
}

async fn change(
    state: &AppState,
    auth: &Authed<perm::ManageStaff>,
    id: i64,
    change: StaffChange,
) -> ApiResult<Json<StaffView>> {
    let r = state
        .store
        .change_staff(&ctx(auth, state), id, &change)
        .await?;
    Ok(Json(render(auth, state, &r)))
}

/// Edits a staff record: languages, skills, insurance, login, personal data (managers).
#[utoipa::path(patch, path = "/api/v1/staff/{id}", tag = "operations",
    security(("bearer" = [])), params(("id" = i64, Path)), request_body = StaffFields,
    responses((status = 200, body = StaffView), (status = 404, body = ErrorBody),
              (status = 422, body = ErrorBody)))]
pub async fn update_staff(
    State(state): State<AppState>,
    auth: Authed<perm::ManageStaff>,
    ApiPath(id): ApiPath<i64>,
    ApiJson(req): ApiJson<StaffFields>,
) -> ApiResult<Json<StaffView>> {
    let d = req.details()?;
    change(&state, &auth, id, StaffChange::Update(d)).await
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CertifyStaff {
    /// The day certified to work a seat independently (独立上机).
    on: NaiveDate,
}

/// Records the certification of the current employment (managers).
#[utoipa::path(post, path = "/api/v1/staff/{id}/certify", tag = "operations",
    security(("bearer" = [])), params(("id" = i64, Path)), request_body = CertifyStaff,
    responses((status = 200, body = StaffView), (status = 409, body = ErrorBody),
              (status = 422, body = ErrorBody)))]
pub async fn certify_staff(
    State(state): State<AppState>,
    auth: Authed<perm::ManageStaff>,
    ApiPath(id): ApiPath<i64>,
    ApiJson(req): ApiJson<CertifyStaff>,
) -> ApiResult<Json<StaffView>> {
    change(&state, &auth, id, StaffChange::Certify { on: req.on }).await
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LeaveStaff {
    /// The last day of employment.
    last_day: NaiveDate,
    /// `resigned`, `dismissed`, `transferred`, `contract_ended`.
    #[schema(value_type = String)]
    reason: LeaveReason,
    note: Option<String>,
}

/// Records a departure (managers).
#[utoipa::path(post, path = "/api/v1/staff/{id}/leave", tag = "operations",
    security(("bearer" = [])), params(("id" = i64, Path)), request_body = LeaveStaff,
    responses((status = 200, body = StaffView), (status = 409, body = ErrorBody),
              (status = 422, body = ErrorBody)))]
pub async fn leave_staff(
    State(state): State<AppState>,
    auth: Authed<perm::ManageStaff>,
    ApiPath(id): ApiPath<i64>,
    ApiJson(req): ApiJson<LeaveStaff>,
) -> ApiResult<Json<StaffView>> {
    if let Some(n) = &req.note {
        max_chars("note", n, 500)?;
    }
    let c = StaffChange::Leave {
        last_day: req.last_day,
        reason: req.reason,
        note: req.note,
    };
    change(&state, &auth, id, c).await
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RehireStaff {
    /// First day of the new employment (after the previous one ended).
    start: NaiveDate,
}

/// Re-hires a person who left: a new employment spell, not yet certified (managers).
#[utoipa::path(post, path = "/api/v1/staff/{id}/rehire", tag = "operations",
    security(("bearer" = [])), params(("id" = i64, Path)), request_body = RehireStaff,
    responses((status = 200, body = StaffView), (status = 409, body = ErrorBody)))]
pub async fn rehire_staff(
    State(state): State<AppState>,
    auth: Authed<perm::ManageStaff>,
    ApiPath(id): ApiPath<i64>,
    ApiJson(req): ApiJson<RehireStaff>,
) -> ApiResult<Json<StaffView>> {
    change(&state, &auth, id, StaffChange::Rehire { start: req.start }).await
}

#[derive(Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct DayQuery {
    /// A day, `YYYY-MM-DD`; default today.
    day: Option<NaiveDate>,
}

/// Accident-insurance coverage on a day against the contract's 13 people.
#[utoipa::path(get, path = "/api/v1/staff/insurance", tag = "operations",
    security(("bearer" = [])), params(DayQuery),
    responses((status = 200, body = Object), (status = 403, body = ErrorBody)))]
pub async fn insurance(
    State(state): State<AppState>,
    auth: Authed<perm::ViewOperations>,
    ApiQuery(q): ApiQuery<DayQuery>,
) -> ApiResult<Json<InsuranceCoverage>> {
    let staff: Vec<_> = state
        .store
        .staff_records(auth.platform_id())
        .await?
        .into_iter()
        .map(|r| r.staff)
        .collect();
    let day = q.day.unwrap_or_else(|| today(&state));
    Ok(Json(insurance_coverage(
        &staff,
        day,
        RULES.staff.insured_people_required,
    )))
}

#[derive(Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct AttritionQuery {
    /// The half year, `2026H1` or `2026H2`; default the current one.
    half: Option<String>,
}

pub fn parse_half(s: &str) -> Result<HalfYear, ApiError> {
    let bad = || ApiError::invalid("half", format!("`{s}` is not a half year like 2026H2"));
    let upper = s.trim().to_ascii_uppercase();
    let (y, h) = upper.split_once('H').ok_or_else(bad)?;
    let year: i32 = y.parse().map_err(|_| bad())?;
    if !(2000..=2200).contains(&year) {
        return Err(bad());
    }
    let half = match h {
        "1" => Half::First,
        "2" => Half::Second,
        _ => return Err(bad()),
    };
    Ok(HalfYear { year, half })
}

/// Half-year staff attrition (indicator 6): certified staff who left in the half year ÷
/// headcount (by the configured formula), with the list of leavers. While the half year is
/// running it is measured up to today (`as_of`), so a manager sees it before it closes.
#[utoipa::path(get, path = "/api/v1/attrition", tag = "operations", security(("bearer" = [])),
    params(AttritionQuery),
    responses((status = 200, body = Object), (status = 403, body = ErrorBody),
              (status = 422, body = ErrorBody)))]
pub async fn get_attrition(
    State(state): State<AppState>,
    auth: Authed<perm::ViewOperations>,
    ApiQuery(q): ApiQuery<AttritionQuery>,
) -> ApiResult<Json<AttritionReport>> {
    let day = today(&state);
    let half = match &q.half {
        Some(h) => parse_half(h)?,
        None => HalfYear::containing(day),
    };
    let period = half.range()?;
    if day < period.from {
        return Err(ApiError::invalid(
            "half",
            format!("the half year starts on {}, after today", period.from),
        ));
    }
    let staff: Vec<_> = state
        .store
        .staff_records(auth.platform_id())
        .await?
        .into_iter()
        .map(|r| r.staff)
        .collect();
    let report = if period.contains(day) {
        attrition_live(&staff, period, day, &RULES.attrition)?
    } else {
        attrition(&staff, period, &RULES.attrition)?
    };
    Ok(Json(report))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn half_years_parse() {
        let h = parse_half("2026H2").unwrap();
        assert_eq!((h.year, h.half), (2026, Half::Second));
        assert_eq!(parse_half("2026h1").unwrap().half, Half::First);
        for bad in ["2026", "2026H3", "H2", "20x6H1", "1999H1"] {
            assert!(parse_half(bad).is_err(), "{bad}");
        }
    }
}
