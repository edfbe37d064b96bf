//! Operations under /api/v1 (issue 5): staff and attrition, assets, daily inspections and
//! faults, emergencies, complaints and praise. The rules are `rexian-operations`; the store
//! applies them in the transaction of each change; these handlers extract, authorize (the
//! permission is in the extractor's type), call the store and render.

pub mod contract;
pub mod csv_io;
pub mod equipment;
pub mod indicators;
pub mod quality;
pub mod reviews;
pub mod roster;
pub mod staff;
pub mod xlsx_io;

use std::sync::{LazyLock, OnceLock};

use axum::http::StatusCode;
use chrono::NaiveDate;
use rexian_operations::time::{DateRange, YearMonth, local_date};
use rexian_operations::{ErrorKind, OperationsConfig, OpsError, UserId};
use rexian_store::operations::OpsCtx;
use rexian_store::{OpsStoreError, StoreError};
use serde::Deserialize;
use utoipa::IntoParams;

use crate::AppState;
use crate::error::ApiError;
use crate::extract::{Authed, RequiredPermission};

/// The operations rules in force: those set at start from the configured file
/// ([`set_rules`]), else Baisha's defaults from `config/operations.toml`, compiled in (the
/// file is parsed and validated by a test of `rexian-operations`).
pub static RULES: Rules = Rules;

static DEFAULT_RULES: LazyLock<OperationsConfig> = LazyLock::new(|| {
    OperationsConfig::baisha_default().expect("the embedded operations.toml is valid")
});
static CONFIGURED_RULES: OnceLock<OperationsConfig> = OnceLock::new();

/// Reads as the [`OperationsConfig`] in force.
pub struct Rules;

impl std::ops::Deref for Rules {
    type Target = OperationsConfig;
    fn deref(&self) -> &OperationsConfig {
        CONFIGURED_RULES.get().unwrap_or(&DEFAULT_RULES)
    }
}

/// Sets the operations rules for the life of the process, once, at start (before serving).
/// Returns false, changing nothing, when they were set already.
pub fn set_rules(rules: OperationsConfig) -> bool {
    CONFIGURED_RULES.set(rules).is_ok()
}

/// Who changes what, and when, for the store.
pub fn ctx<P: RequiredPermission>(auth: &Authed<P>, state: &AppState) -> OpsCtx {
    OpsCtx {
        platform_id: auth.platform_id(),
        actor: auth.actor(),
        user: UserId(auth.user.id),
        now: state.clock.now(),
    }
}

/// Today in Beijing time.
pub fn today(state: &AppState) -> NaiveDate {
    let now = state.clock.now();
    local_date(now).unwrap_or_else(|| now.date_naive())
}

impl From<OpsError> for ApiError {
    fn from(e: OpsError) -> ApiError {
        let field = match &e {
            OpsError::Invalid { field, .. } => Some((*field).to_owned()),
            OpsError::Unknown { what, .. } => Some((*what).to_owned()),
            _ => None,
        };
        let status = match e.kind() {
            ErrorKind::Invalid => StatusCode::UNPROCESSABLE_ENTITY,
            ErrorKind::Conflict => StatusCode::CONFLICT,
        };
        ApiError {
            field,
            ..ApiError::new(status, e.code(), e.to_string())
        }
    }
}

impl From<OpsStoreError> for ApiError {
    fn from(e: OpsStoreError) -> ApiError {
        match e {
            OpsStoreError::Rule(r) => r.into(),
            OpsStoreError::Store(s) => s.into(),
        }
    }
}

/// The caller's own staff record (a decision is made by a person, not a login).
pub async fn own_staff<P: RequiredPermission>(
    state: &AppState,
    auth: &Authed<P>,
    field: &str,
) -> Result<rexian_operations::ids::StaffId, ApiError> {
    state
        .store
        .staff_records(auth.platform_id())
        .await?
        .into_iter()
        .find(|r| r.staff.user_id.map(|u| u.0) == Some(auth.user.id))
        .map(|r| r.staff.id)
        .ok_or_else(|| {
            ApiError::invalid(
                field,
                "your login is not linked to a staff record; a manager links it (user_id)",
            )
        })
}

/// 404 for a record that is not this sub-platform's.
pub fn found<T>(v: Option<T>, what: &str) -> Result<T, ApiError> {
    v.ok_or_else(|| ApiError::not_found(what))
}

/// A period of local days: `month=2026-07`, or `from`/`to` (inclusive), default this month.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct PeriodQuery {
    /// A calendar month, `YYYY-MM`.
    pub month: Option<String>,
    /// First day, `YYYY-MM-DD` (with `to`).
    pub from: Option<NaiveDate>,
    /// Last day, inclusive.
    pub to: Option<NaiveDate>,
}

impl PeriodQuery {
    pub fn range(&self, state: &AppState) -> Result<DateRange, ApiError> {
        match (&self.month, self.from, self.to) {
            (Some(m), None, None) => {
                let ym: YearMonth = m
                    .parse()
                    .map_err(|_| ApiError::invalid("month", "a month is written YYYY-MM"))?;
                Ok(ym.range()?)
            }
            (None, Some(from), Some(to)) => {
                if to < from {
                    return Err(ApiError::invalid(
                        "to",
                        format!("{to} is before from {from}"),
                    ));
                }
                if (to - from).num_days() > 400 {
                    return Err(ApiError::invalid("to", "at most 400 days at once"));
                }
                Ok(DateRange::inclusive(from, to)?)
            }
            (None, None, None) => Ok(YearMonth::containing(today(state)).range()?),
            _ => Err(ApiError::invalid(
                "month",
                "give either `month`, or both `from` and `to`",
            )),
        }
    }
}

/// A text field's length limit, as a 422 naming it.
pub fn max_chars(field: &str, value: &str, max: usize) -> Result<(), ApiError> {
    if value.chars().count() > max {
        Err(ApiError::invalid(
            field,
            format!("at most {max} characters"),
        ))
    } else {
        Ok(())
    }
}

/// Store errors where "not found" means a bad reference in the body rather than the path.
pub fn not_found_as_field(e: OpsStoreError, field: &str) -> ApiError {
    match e {
        OpsStoreError::Store(StoreError::NotFound(what)) => {
            ApiError::invalid(field, format!("no such {what} in this sub-platform"))
        }
        other => other.into(),
    }
}

#[cfg(test)]
mod tests {
    use rexian_domain::{Permission, Role};
    use rexian_operations::access::OpsAction;

    fn permission(a: OpsAction) -> Permission {
        match a {
            OpsAction::ViewOperations => Permission::ViewOperations,
            OpsAction::ViewStaffPersonalData => Permission::ViewStaffPersonalData,
            OpsAction::ManageStaff => Permission::ManageStaff,
            OpsAction::ManageRoster => Permission::ManageRoster,
            OpsAction::DecideSwap => Permission::DecideSwap,
            OpsAction::ManageTrainings => Permission::ManageTrainings,
            OpsAction::ManageAssets => Permission::ManageAssets,
            OpsAction::RecordInspection => Permission::RecordInspection,
            OpsAction::ReportFault => Permission::ReportFault,
            OpsAction::WorkFault => Permission::WorkFault,
            OpsAction::WaiveFault => Permission::WaiveFault,
            OpsAction::RecordEmergency => Permission::RecordEmergency,
            OpsAction::JudgeEmergency => Permission::JudgeEmergency,
            OpsAction::RecordQualityCase => Permission::RecordQualityCase,
            OpsAction::ReviewComplaint => Permission::ReviewComplaint,
            OpsAction::FinalizeComplaint => Permission::FinalizeComplaint,
            OpsAction::VerifyPraise => Permission::VerifyPraise,
            OpsAction::ReviewCalls => Permission::ReviewCalls,
            OpsAction::ManageContract => Permission::ManageContract,
            OpsAction::ViewContract => Permission::ViewContract,
        }
    }

    #[test]
    fn operator_staff_request_swaps_and_leaders_decide_them() {
        for r in Role::ALL {
            let staff = matches!(r, Role::Agent | Role::ShiftLeader | Role::Manager);
            assert_eq!(r.can(Permission::RequestSwap), staff, "{r:?}");
        }
    }

    #[test]
    fn role_table_agrees_with_the_operations_domain() {
        for a in OpsAction::ALL {
            for r in Role::ALL {
                assert_eq!(r.can(permission(a)), a.allowed(r), "{a:?} {r:?}");
            }
        }
    }
}
