//! The one error type of this crate. Every variant names what was wrong; `code()` is stable
//! for the API and `kind()` tells the web layer whether it is bad input (422) or a conflict
//! with what is already recorded (409).

use chrono::NaiveDate;
use thiserror::Error;

use crate::ids::{AssetId, PraiseId, StaffId};

/// How the HTTP boundary should answer an error.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorKind {
    /// The input itself is wrong (422 Unprocessable Entity).
    Invalid,
    /// The input clashes with what is recorded, or the record is in the wrong state (409).
    Conflict,
}

#[derive(Debug, Clone, PartialEq, Error)]
pub enum OpsError {
    /// A field is missing, empty, out of range or malformed.
    #[error("{field}: {reason}")]
    Invalid { field: &'static str, reason: String },

    /// An interval whose end comes before its start (employment, leave, insurance, contract...).
    #[error("{what}: end {end} is before start {start}")]
    EndBeforeStart {
        what: &'static str,
        start: String,
        end: String,
    },

    /// One person would work two shifts at the same time.
    #[error(
        "staff {staff_id}: shift `{shift}` on {date} overlaps shift `{other_shift}` on {other_date}"
    )]
    OverlappingShifts {
        staff_id: StaffId,
        date: NaiveDate,
        shift: String,
        other_date: NaiveDate,
        other_shift: String,
    },

    /// An asset is inspected once a day; a second record for the same day is refused.
    #[error("asset {asset_id} already has an inspection on {date}")]
    DuplicateInspection { asset_id: AssetId, date: NaiveDate },

    /// Praise is verified (or rejected) once by the county office.
    #[error("praise {praise_id} was already {decision}")]
    PraiseAlreadyDecided {
        praise_id: PraiseId,
        decision: &'static str,
    },

    /// A record is not in a state that allows the action.
    #[error("{entity} {id}: cannot {action} while {state}")]
    IllegalTransition {
        entity: &'static str,
        id: i64,
        state: &'static str,
        action: &'static str,
    },

    /// A code or id that names nothing known (shift code, checklist item, bill line...).
    #[error("unknown {what} `{value}`")]
    Unknown { what: &'static str, value: String },

    /// The input would duplicate or contradict a record (same id twice, two open spells...).
    #[error("{what}: {detail}")]
    Conflict { what: &'static str, detail: String },

    /// The configuration could not be read or breaks a rule.
    #[error("configuration: {0}")]
    Config(String),
}

impl OpsError {
    /// Stable machine-readable code for the API.
    pub fn code(&self) -> &'static str {
        match self {
            OpsError::Invalid { .. } => "invalid",
            OpsError::EndBeforeStart { .. } => "end_before_start",
            OpsError::OverlappingShifts { .. } => "overlapping_shifts",
            OpsError::DuplicateInspection { .. } => "duplicate_inspection",
            OpsError::PraiseAlreadyDecided { .. } => "praise_already_decided",
            OpsError::IllegalTransition { .. } => "illegal_transition",
            OpsError::Unknown { .. } => "unknown_reference",
            OpsError::Conflict { .. } => "conflict",
            OpsError::Config(_) => "invalid_config",
        }
    }

    pub fn kind(&self) -> ErrorKind {
        match self {
            OpsError::Invalid { .. }
            | OpsError::EndBeforeStart { .. }
            | OpsError::Unknown { .. }
            | OpsError::Config(_) => ErrorKind::Invalid,
            OpsError::OverlappingShifts { .. }
            | OpsError::DuplicateInspection { .. }
            | OpsError::PraiseAlreadyDecided { .. }
            | OpsError::IllegalTransition { .. }
            | OpsError::Conflict { .. } => ErrorKind::Conflict,
        }
    }

    pub(crate) fn invalid(field: &'static str, reason: impl Into<String>) -> Self {
        OpsError::Invalid {
            field,
            reason: reason.into(),
        }
    }

    pub(crate) fn end_before_start(
        what: &'static str,
        start: impl std::fmt::Display,
        end: impl std::fmt::Display,
    ) -> Self {
        OpsError::EndBeforeStart {
            what,
            start: start.to_string(),
            end: end.to_string(),
        }
    }

    pub(crate) fn unknown(what: &'static str, value: impl Into<String>) -> Self {
        OpsError::Unknown {
            what,
            value: value.into(),
        }
    }
}

pub type Result<T, E = OpsError> = std::result::Result<T, E>;

/// Fails with `Invalid` when a required text is blank.
pub(crate) fn require_text(field: &'static str, value: &str) -> Result<()> {
    if value.trim().is_empty() {
        Err(OpsError::invalid(field, "must not be empty"))
    } else {
        Ok(())
    }
}
