//! The append-only event log's vocabulary. Every state change anywhere writes one event in
//! the same transaction as the change; events are never updated or deleted.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use std::fmt;

/// Who caused a change.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Actor {
    /// A signed-in user.
    User { id: i64, username: String },
    /// The server itself: deadline timers, first-start seeding.
    System { component: String },
    /// An operator at the command line (`rexian user add`, `rexian seed`).
    Cli { os_user: String },
}

impl Actor {
    pub fn system(component: &str) -> Actor {
        Actor::System {
            component: component.to_owned(),
        }
    }

    /// The compact form stored in the `actor` column: `user:12:admin`, `system:timers`,
    /// `cli:root`.
    pub fn to_column(&self) -> String {
        self.to_string()
    }

    pub fn from_column(s: &str) -> Option<Actor> {
        let mut parts = s.splitn(3, ':');
        match (parts.next()?, parts.next(), parts.next()) {
            ("user", Some(id), Some(name)) => Some(Actor::User {
                id: id.parse().ok()?,
                username: name.to_owned(),
            }),
            ("system", Some(c), None) => Some(Actor::System {
                component: c.to_owned(),
            }),
            ("cli", Some(u), None) => Some(Actor::Cli {
                os_user: u.to_owned(),
            }),
            _ => None,
        }
    }
}

impl fmt::Display for Actor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Actor::User { id, username } => write!(f, "user:{id}:{username}"),
            Actor::System { component } => write!(f, "system:{component}"),
            Actor::Cli { os_user } => write!(f, "cli:{os_user}"),
        }
    }
}

/// An aggregate is the thing an event belongs to: `user:12`, `department:3`, `order:881`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct AggregateRef {
    pub kind: String,
    pub id: String,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("aggregate must look like `kind:id`, e.g. `user:12` (got {0:?})")]
pub struct AggregateRefError(pub String);

impl AggregateRef {
    pub fn new(kind: &str, id: impl ToString) -> AggregateRef {
        AggregateRef {
            kind: kind.to_owned(),
            id: id.to_string(),
        }
    }

    pub fn parse(s: &str) -> Result<AggregateRef, AggregateRefError> {
        let (kind, id) = s
            .split_once(':')
            .ok_or_else(|| AggregateRefError(s.to_owned()))?;
        let valid_kind =
            !kind.is_empty() && kind.bytes().all(|b| b.is_ascii_lowercase() || b == b'_');
        let valid_id = !id.is_empty() && id.len() <= 64 && !id.contains(char::is_whitespace);
        if valid_kind && valid_id {
            Ok(AggregateRef::new(kind, id))
        } else {
            Err(AggregateRefError(s.to_owned()))
        }
    }
}

impl fmt::Display for AggregateRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.kind, self.id)
    }
}

/// An event about to be written, alongside the change it records.
#[derive(Debug, Clone, PartialEq)]
pub struct NewEvent {
    pub aggregate: AggregateRef,
    /// Dotted, past tense: `user.created`, `order.signed`.
    pub event_type: String,
    pub actor: Actor,
    pub occurred_at: DateTime<Utc>,
    /// What changed; never a password, a token or an unmasked phone number.
    pub payload: serde_json::Value,
    pub reason: Option<String>,
}

/// An event as stored.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Event {
    pub id: i64,
    pub platform_id: i64,
    pub aggregate_type: String,
    pub aggregate_id: String,
    pub event_type: String,
    pub actor: String,
    pub occurred_at: DateTime<Utc>,
    pub payload: serde_json::Value,
    pub reason: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn actor_column_round_trips() {
        for a in [
            Actor::User {
                id: 7,
                username: "li.ming".into(),
            },
            Actor::system("timers"),
            Actor::Cli {
                os_user: "root".into(),
            },
        ] {
            assert_eq!(Actor::from_column(&a.to_column()), Some(a));
        }
        assert_eq!(Actor::from_column("robot:1"), None);
        assert_eq!(Actor::from_column("user:x:y"), None);
    }

    #[test]
    fn aggregate_refs_parse_strictly() {
        assert_eq!(
            AggregateRef::parse("user:12").unwrap(),
            AggregateRef::new("user", 12)
        );
        assert_eq!(
            AggregateRef::parse("order:BS202611270001").unwrap().id,
            "BS202611270001"
        );
        for bad in ["user", ":12", "user:", "User:1", "user:1 2"] {
            assert!(AggregateRef::parse(bad).is_err(), "{bad}");
        }
    }
}
