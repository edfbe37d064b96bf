//! Why the engine refused an input. A refused input changes nothing.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::config::ConfigError;
use crate::model::coded_enum;

coded_enum! {
    /// The class of a refusal, for the HTTP layer: `Unknown` → 404/422, `Conflict` and
    /// `OutOfOrder` → 409, `Invalid` → 422.
    pub enum ErrorKind {
        /// The call, agent or queue named is not known (or no longer live).
        Unknown = ("unknown", "对象不存在", "Unknown"),
        /// The input does not fit the current state (e.g. answering a call that is not ringing
        /// at that agent).
        Conflict = ("conflict", "状态冲突", "Conflict with current state"),
        /// The input is older than something the engine has already processed.
        OutOfOrder = ("out_of_order", "时间倒序", "Out of order"),
        /// The input itself is malformed (empty id, skill level out of range, absurd time).
        Invalid = ("invalid", "输入无效", "Invalid input"),
    }
}

coded_enum! {
    /// What kind of thing was not found.
    pub enum Entity {
        Call = ("call", "话务", "Call"),
        Agent = ("agent", "话务员", "Agent"),
        Queue = ("queue", "队列", "Queue"),
    }
}

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum AcdError {
    #[error("unknown {entity}: {id}")]
    Unknown { entity: Entity, id: String },
    /// `state` is the state the call or agent was in, for the reply.
    #[error("conflict: {reason} (state: {state})")]
    Conflict { reason: String, state: String },
    #[error("out of order: input at {at} is before the engine's time {engine_now}")]
    OutOfOrder {
        at: DateTime<Utc>,
        engine_now: DateTime<Utc>,
    },
    #[error("invalid input: {reason}")]
    Invalid { reason: String },
    #[error(transparent)]
    Config(#[from] ConfigError),
}

impl AcdError {
    pub fn kind(&self) -> ErrorKind {
        match self {
            AcdError::Unknown { .. } => ErrorKind::Unknown,
            AcdError::Conflict { .. } => ErrorKind::Conflict,
            AcdError::OutOfOrder { .. } => ErrorKind::OutOfOrder,
            AcdError::Invalid { .. } | AcdError::Config(_) => ErrorKind::Invalid,
        }
    }

    pub(crate) fn conflict(reason: impl Into<String>, state: impl Into<String>) -> Self {
        AcdError::Conflict {
            reason: reason.into(),
            state: state.into(),
        }
    }

    pub(crate) fn invalid(reason: impl Into<String>) -> Self {
        AcdError::Invalid {
            reason: reason.into(),
        }
    }
}

/// A refusal in a form the HTTP layer can send as it is.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ErrorBody {
    pub kind: ErrorKind,
    pub message: String,
}

impl From<&AcdError> for ErrorBody {
    fn from(e: &AcdError) -> Self {
        ErrorBody {
            kind: e.kind(),
            message: e.to_string(),
        }
    }
}
