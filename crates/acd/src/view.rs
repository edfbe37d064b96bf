//! Read-only views of the engine's live state, for the shift leader's wall board and the agent
//! desk, and the running counters the property tests hold against the records.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::config::RoutingStrategy;
use crate::model::{
    AgentId, AgentSkill, AgentState, CallId, Priority, QueueId, SkillNeed, coded_enum,
};

/// Running totals of one queue since the engine started.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct QueueCounters {
    pub arrived: u64,
    /// Answered so far (including calls still talking or in wrap-up).
    pub answered: u64,
    pub completed: u64,
    pub transferred: u64,
    pub abandoned: u64,
    pub short_abandoned: u64,
    pub overflowed: u64,
}

/// Running totals of one agent since the engine started.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct AgentCounters {
    /// Rings (one per offer).
    pub offered: u64,
    pub answered: u64,
    /// Rings that ran out or were refused.
    pub no_answer: u64,
    pub completed: u64,
    pub transferred: u64,
    /// Talk and wrap-up of finished calls, in milliseconds.
    pub talk_ms: u64,
    pub wrap_up_ms: u64,
}

/// Milliseconds an agent spent in each state while signed in.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct TimeInState {
    pub not_ready_ms: u64,
    pub ready_ms: u64,
    pub ringing_ms: u64,
    pub on_call_ms: u64,
    pub wrap_up_ms: u64,
    pub on_break_ms: u64,
}

impl TimeInState {
    /// Signed-in time (登录时长), the denominator of occupancy.
    pub fn logged_in_ms(&self) -> u64 {
        self.not_ready_ms
            + self.ready_ms
            + self.ringing_ms
            + self.on_call_ms
            + self.wrap_up_ms
            + self.on_break_ms
    }

    pub(crate) fn add(&mut self, state: AgentState, ms: u64) {
        let slot = match state {
            AgentState::SignedOut => return,
            AgentState::NotReady { .. } => &mut self.not_ready_ms,
            AgentState::Ready => &mut self.ready_ms,
            AgentState::Ringing { .. } => &mut self.ringing_ms,
            AgentState::OnCall { .. } => &mut self.on_call_ms,
            AgentState::WrapUp { .. } => &mut self.wrap_up_ms,
            AgentState::OnBreak { .. } => &mut self.on_break_ms,
        };
        *slot = slot.saturating_add(ms);
    }
}

coded_enum! {
    /// Where a live call is.
    pub enum CallPhase {
        Waiting = ("waiting", "排队中", "Waiting"),
        Ringing = ("ringing", "振铃中", "Ringing"),
        Talking = ("talking", "通话中", "Talking"),
        WrapUp = ("wrap_up", "话后处理", "In wrap-up"),
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CallView {
    pub call: CallId,
    pub provincial_call_id: String,
    pub caller: String,
    pub queue: QueueId,
    pub priority: Priority,
    pub required_skill: Option<SkillNeed>,
    pub widened: bool,
    pub phase: CallPhase,
    /// The agent it rings at, talks to or is in wrap-up with.
    pub agent: Option<AgentId>,
    pub arrived_at: DateTime<Utc>,
    pub answered_at: Option<DateTime<Utc>>,
    /// Rings so far, the current one included.
    pub offers: u32,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AgentView {
    pub id: AgentId,
    pub seat: Option<String>,
    pub state: AgentState,
    pub state_label_zh: String,
    pub state_since: DateTime<Utc>,
    pub skills: Vec<AgentSkill>,
    pub queues: Vec<QueueId>,
    pub counters: AgentCounters,
    /// Up to the `now` asked for.
    pub time_in_state: TimeInState,
    pub answered_today: u32,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct QueueView {
    pub id: QueueId,
    pub name_zh: String,
    pub strategy: RoutingStrategy,
    pub waiting: u32,
    pub ringing: u32,
    pub talking: u32,
    /// Of the calls waiting or ringing now.
    pub longest_wait_seconds: f64,
    pub signed_in_agents: u32,
    pub ready_agents: u32,
    pub counters: QueueCounters,
}
