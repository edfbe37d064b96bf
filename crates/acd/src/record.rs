//! The finished record of one call: every step's time, its one outcome and its durations.
//! Figures and the assessment are computed from these, so each figure can be traced to calls.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::model::{
    AgentId, CallId, CallOutcome, HangupSide, OfferAttempt, OverflowReason, Priority, QueueId,
    Satisfaction, SkillNeed, TransferStep,
};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CallRecord {
    pub call_id: CallId,
    pub provincial_call_id: String,
    /// The caller's number as the province sent it (masking is the web layer's job).
    pub caller: String,
    pub called: String,
    pub queue: QueueId,
    pub priority: Priority,
    pub required_skill: Option<SkillNeed>,
    pub arrived_at: DateTime<Utc>,
    /// When the skill need lapsed and any agent could take the call.
    pub widened_at: Option<DateTime<Utc>>,
    /// Every ring, in order.
    pub offers: Vec<OfferAttempt>,
    pub answered_at: Option<DateTime<Utc>>,
    /// The agent who answered.
    pub agent: Option<AgentId>,
    pub transfers: Vec<TransferStep>,
    /// When the call left the sub-platform: hang-up, transfer, abandon or overflow.
    pub ended_at: DateTime<Utc>,
    pub ended_by: Option<HangupSide>,
    /// When the answering agent's after-call work ended.
    pub wrap_up_ended_at: Option<DateTime<Utc>>,
    pub outcome: CallOutcome,
    pub overflow_reason: Option<OverflowReason>,
    /// Arrival to answer, or to abandon/overflow for unanswered calls.
    pub wait_seconds: f64,
    /// Answer to end (0 if unanswered).
    pub talk_seconds: f64,
    /// End to wrap-up end (0 if none).
    pub wrap_up_seconds: f64,
    pub satisfaction: Option<Satisfaction>,
}

impl CallRecord {
    /// Handle time (处理时长): talk plus wrap-up.
    pub fn handle_seconds(&self) -> f64 {
        self.talk_seconds + self.wrap_up_seconds
    }

    /// Whether an agent of the sub-platform answered it.
    pub fn answered(&self) -> bool {
        self.outcome.answered()
    }

    /// Whether `agent` was rung with this call at least once.
    pub fn offered_to(&self, agent: &AgentId) -> bool {
        self.offers.iter().any(|o| &o.agent == agent)
    }
}
