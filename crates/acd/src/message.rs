//! What goes into the engine ([`Input`]) and what comes out ([`Output`]).
//!
//! The live server builds an `Input` from each CTI request or agent click with the wall-clock
//! time; the simulation builds them on virtual time. Both read the same outputs.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::model::{
    AgentId, AgentSkill, AgentState, BreakReason, CallId, HangupSide, OfferResult, OverflowReason,
    Priority, QueueId, Satisfaction, SkillNeed, TransferTarget,
};
use crate::record::CallRecord;

/// One thing that happened, at a time. Inputs must come in time order (equal times are fine);
/// the engine fires its own timers due up to `at` before it handles the command.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Input {
    pub at: DateTime<Utc>,
    pub command: Command,
}

impl Input {
    pub fn new(at: DateTime<Utc>, command: Command) -> Self {
        Self { at, command }
    }
}

/// A state the shift leader (班长) can force an agent into.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum ForcedState {
    Ready,
    NotReady,
    OnBreak { reason: BreakReason },
    SignedOut,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Command {
    /// A call pushed down by the provincial centre (话务下沉) enters a queue.
    CallArrives {
        provincial_call_id: String,
        caller: String,
        #[serde(default)]
        called: String,
        queue: QueueId,
        /// From the language hint of the provincial IVR, or a line of business.
        #[serde(default)]
        required_skill: Option<SkillNeed>,
        #[serde(default)]
        priority: Priority,
    },
    /// The caller hung up before an agent answered (waiting or ringing).
    CallerAbandons { call: CallId },
    /// An agent signs in to a seat with the skills and queues of this shift. An empty `queues`
    /// list means every queue. The agent starts not ready.
    AgentSignsIn {
        agent: AgentId,
        #[serde(default)]
        seat: Option<String>,
        #[serde(default)]
        skills: Vec<AgentSkill>,
        #[serde(default)]
        queues: Vec<QueueId>,
    },
    /// Refused while on a call; a ringing call is taken back; wrap-up ends.
    AgentSignsOut { agent: AgentId },
    /// 示闲: from not ready, break or wrap-up (ending it early).
    AgentReady { agent: AgentId },
    /// 示忙.
    AgentNotReady { agent: AgentId },
    /// 小休 with a reason.
    AgentBreak { agent: AgentId, reason: BreakReason },
    /// The shift leader moves an agent. Refused while the agent is on a call; a ringing call
    /// is taken back and offered to someone else.
    ForceAgentState {
        agent: AgentId,
        state: ForcedState,
        /// Who did it, for the audit trail.
        by: String,
    },
    /// The agent picked up the call ringing at their seat.
    AgentAnswers { call: CallId, agent: AgentId },
    /// The telephony reports that the ringing agent did not answer (refused, unreachable)
    /// before the engine's own ring timeout.
    RingNoAnswer { call: CallId, agent: AgentId },
    /// An answered call is transferred.
    Transfer {
        call: CallId,
        target: TransferTarget,
    },
    /// A party hung up. For a call not yet answered, a caller hang-up is an abandon.
    CallEnds { call: CallId, by: HangupSide },
    /// The agent finishes after-call work early (same as ready from wrap-up).
    WrapUpEnds { agent: AgentId },
    /// The caller's satisfaction rating from the IVR survey after the call.
    SatisfactionReported { call: CallId, rating: Satisfaction },
}

/// One engine decision or state change, at a time (timer events carry their deadline).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Output {
    pub at: DateTime<Utc>,
    pub event: Event,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Event {
    /// The engine took a new call under this id.
    CallArrived { call: CallId, queue: QueueId },
    /// The call waits for an agent; `waiting` counts the calls now waiting in its queue.
    CallQueued { call: CallId, waiting: u32 },
    /// Ring the agent's phone with this call (`attempt` counts from 1).
    CallOffered {
        call: CallId,
        agent: AgentId,
        attempt: u32,
    },
    /// A ring ended without an answer.
    OfferEnded {
        call: CallId,
        agent: AgentId,
        result: OfferResult,
    },
    CallAnswered {
        call: CallId,
        agent: AgentId,
        wait_seconds: f64,
    },
    /// The call's skill need lapsed: any agent of its queue may now take it.
    CallWidened { call: CallId },
    CallTransferred {
        call: CallId,
        agent: AgentId,
        target: TransferTarget,
    },
    /// The conversation ended; the agent goes to wrap-up.
    CallEnded {
        call: CallId,
        agent: AgentId,
        by: HangupSide,
        talk_seconds: f64,
    },
    CallAbandoned {
        call: CallId,
        short: bool,
        wait_seconds: f64,
    },
    /// Send the call back to the provincial centre (溢出回省).
    CallOverflowed {
        call: CallId,
        reason: OverflowReason,
        wait_seconds: f64,
    },
    AgentStateChanged {
        agent: AgentId,
        from: AgentState,
        to: AgentState,
        /// The shift leader who forced it, if forced.
        forced_by: Option<String>,
    },
    /// The call is over, wrap-up included: store this record.
    CallFinished { record: Box<CallRecord> },
    /// A rating arrived. If the call's record was not yet finished it also carries it.
    SatisfactionRecorded {
        call: CallId,
        agent: Option<AgentId>,
        rating: Satisfaction,
    },
}
