//! The input journal of the live ACD engines (table `acd_journal`): every input an engine
//! accepted is stored, with the agent-state events it caused, in one transaction before the
//! CTI request is acknowledged. A restarted server replays, per sub-platform, the inputs
//! after the last one that left the engine idle.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use rexian_domain::{Actor, AggregateRef};

use crate::StoreResult;

/// An event to write with a journal entry.
#[derive(Debug, Clone)]
pub struct JournalEvent {
    pub aggregate: AggregateRef,
    pub event_type: String,
    pub payload: serde_json::Value,
}

/// One agent state change as the event log holds it (`agent.state_changed`).
#[derive(Debug, Clone, PartialEq)]
pub struct AgentStateChange {
    pub agent: String,
    /// When the engine changed the state (the payload's `at`).
    pub at: DateTime<Utc>,
    pub from: serde_json::Value,
    pub to: serde_json::Value,
}

#[async_trait]
pub trait AcdJournalStore: Send + Sync {
    /// Stores an accepted engine input (JSON of `rexian_acd::Input`) and `events`, in one
    /// transaction; `idle_after` says the engine was idle after it. Returns the entry's id.
    async fn journal_acd_input(
        &self,
        platform_id: i64,
        input: &str,
        idle_after: bool,
        events: &[JournalEvent],
        actor: &Actor,
        now: DateTime<Utc>,
    ) -> StoreResult<i64>;

    /// Every sub-platform with journal entries after its last idle point journaled before
    /// `day_start` (the start of the current Beijing day, so the day's per-agent counters
    /// and the agents signed out since are rebuilt too), with those entries (input JSON),
    /// oldest first. Without such a point the whole journal is returned.
    async fn acd_journal_tails(
        &self,
        day_start: DateTime<Utc>,
    ) -> StoreResult<Vec<(i64, Vec<String>)>>;

    /// The agent state changes (`agent.state_changed` events) of a sub-platform logged from
    /// a day before `from` (so the state each agent starts the period in is known; a seat
    /// signed in for longer than that counts from the window's start) up to an hour after
    /// `to`, in log order. The caller clips them to the period by `at`.
    async fn agent_state_changes(
        &self,
        platform_id: i64,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> StoreResult<Vec<AgentStateChange>>;
}
