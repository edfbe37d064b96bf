//! The input journal of the live ACD engines (table `acd_journal`): every input an engine
//! accepted is stored, with the agent-state events it caused, in one transaction before the
//! CTI request is acknowledged. A restarted server replays, per sub-platform, the inputs
//! after the last one that left the engine idle.

use std::future::Future;
use std::pin::Pin;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use rexian_domain::{Actor, AggregateRef};

use crate::{NewCall, StoreResult};

/// Everything one accepted input of a live ACD engine caused, stored in one transaction.
#[derive(Debug, Clone)]
pub struct AcdStep {
    /// The input as JSON (`rexian_acd::Input`).
    pub input: String,
    /// The engine was idle after it (replay may start after this entry).
    pub idle_after: bool,
    /// Agent state changes to log.
    pub events: Vec<JournalEvent>,
    /// Calls the step finished: stored with their event and fed to the callback list,
    /// unless their provincial id is stored already.
    pub finished_calls: Vec<NewCall>,
    /// Ratings (provincial call id, rating code) of calls that had finished before: a
    /// rating the stored call cannot take (not answered, rated already) is logged and left.
    pub ratings: Vec<(String, String)>,
}

/// A write queued in order and committed later; await [`PendingWrite::committed`] before
/// acknowledging what it holds.
pub struct PendingWrite(Pin<Box<dyn Future<Output = StoreResult<()>> + Send>>);

impl PendingWrite {
    pub fn new(committed: impl Future<Output = StoreResult<()>> + Send + 'static) -> Self {
        PendingWrite(Box::pin(committed))
    }

    /// Resolves once the write is committed, or with why it was not.
    pub async fn committed(self) -> StoreResult<()> {
        self.0.await
    }
}

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
    /// Queues an accepted engine input with all it caused (see [`AcdStep`]), to be
    /// committed in one transaction, possibly with other writes (group commit). Steps are
    /// written in the order they were queued, so queue them while the engine is locked and
    /// await the returned write after unlocking it.
    async fn journal_acd_step(
        &self,
        platform_id: i64,
        step: AcdStep,
        actor: &Actor,
        now: DateTime<Utc>,
    ) -> StoreResult<PendingWrite>;

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
