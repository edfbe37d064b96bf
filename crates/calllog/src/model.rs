//! The normalized records an import produces. They do not depend on which PBX wrote the log,
//! so the store and the call figures treat imported calls like calls the ACD engine handled.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::error::LineError;

/// Which kind of log a record came from. Part of every dedup key.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SourceKind {
    /// Asterisk `queue_log` (app_queue), `epoch|callid|queue|agent|event|data...`.
    AsteriskQueueLog,
    /// Asterisk `Master.csv` written by cdr_csv (16 to 19 columns).
    AsteriskCdr,
    /// FreeSWITCH mod_cdr_csv with the default `example` template (15 columns).
    FreeswitchCdr,
}

impl SourceKind {
    pub const ALL: [SourceKind; 3] = [
        SourceKind::AsteriskQueueLog,
        SourceKind::AsteriskCdr,
        SourceKind::FreeswitchCdr,
    ];

    /// Stable code, also the first part of every dedup key.
    pub fn code(self) -> &'static str {
        match self {
            SourceKind::AsteriskQueueLog => "asterisk_queue_log",
            SourceKind::AsteriskCdr => "asterisk_cdr",
            SourceKind::FreeswitchCdr => "freeswitch_cdr",
        }
    }

    pub fn from_code(code: &str) -> Option<SourceKind> {
        SourceKind::ALL.into_iter().find(|k| k.code() == code)
    }

    pub fn label_zh(self) -> &'static str {
        match self {
            SourceKind::AsteriskQueueLog => "Asterisk 队列日志",
            SourceKind::AsteriskCdr => "Asterisk 话单",
            SourceKind::FreeswitchCdr => "FreeSWITCH 话单",
        }
    }
}

/// How a call ended, in the terms of the 12345 call figures.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CallOutcome {
    /// An agent answered and the call ended normally (COMPLETECALLER/COMPLETEAGENT, ANSWERED).
    Answered,
    /// An agent answered and then transferred the call away (TRANSFER, BLINDTRANSFER,
    /// ATTENDEDTRANSFER). Counts as answered.
    Transferred,
    /// The caller hung up while waiting (ABANDON), after the short-abandon threshold.
    Abandoned,
    /// The caller hung up within the short-abandon threshold (default under 5 s); reported
    /// apart because such calls usually did not really ask for an agent.
    ShortAbandoned,
    /// The queue's wait limit ran out (EXITWITHTIMEOUT): in 12345 terms the call overflowed
    /// (溢出), normally back to the provincial centre.
    Overflowed,
    /// The queue had no agent able to take calls (EXITEMPTY, `leavewhenempty`).
    ExitEmpty,
    /// The caller left the queue by pressing a key (EXITWITHKEY), e.g. to leave a message.
    ExitWithKey,
    /// Rang out without anyone answering (FreeSWITCH NO_ANSWER and similar).
    NotAnswered,
    /// The far side was busy (CDR BUSY, FreeSWITCH USER_BUSY).
    Busy,
    /// The call failed in the network or the PBX (CDR FAILED/CONGESTION, other causes).
    Failed,
}

impl CallOutcome {
    pub const ALL: [CallOutcome; 10] = [
        CallOutcome::Answered,
        CallOutcome::Transferred,
        CallOutcome::Abandoned,
        CallOutcome::ShortAbandoned,
        CallOutcome::Overflowed,
        CallOutcome::ExitEmpty,
        CallOutcome::ExitWithKey,
        CallOutcome::NotAnswered,
        CallOutcome::Busy,
        CallOutcome::Failed,
    ];

    pub fn code(self) -> &'static str {
        match self {
            CallOutcome::Answered => "answered",
            CallOutcome::Transferred => "transferred",
            CallOutcome::Abandoned => "abandoned",
            CallOutcome::ShortAbandoned => "short_abandoned",
            CallOutcome::Overflowed => "overflowed",
            CallOutcome::ExitEmpty => "exit_empty",
            CallOutcome::ExitWithKey => "exit_with_key",
            CallOutcome::NotAnswered => "not_answered",
            CallOutcome::Busy => "busy",
            CallOutcome::Failed => "failed",
        }
    }

    pub fn from_code(code: &str) -> Option<CallOutcome> {
        CallOutcome::ALL.into_iter().find(|o| o.code() == code)
    }

    pub fn label_zh(self) -> &'static str {
        match self {
            CallOutcome::Answered => "已接通",
            CallOutcome::Transferred => "已转接",
            CallOutcome::Abandoned => "排队放弃",
            CallOutcome::ShortAbandoned => "短时放弃",
            CallOutcome::Overflowed => "超时溢出",
            CallOutcome::ExitEmpty => "无坐席退出",
            CallOutcome::ExitWithKey => "按键退出",
            CallOutcome::NotAnswered => "无人接听",
            CallOutcome::Busy => "忙线",
            CallOutcome::Failed => "呼叫失败",
        }
    }

    /// Whether an agent took the call (the numerator of the answer rate 接通率).
    pub fn is_answered(self) -> bool {
        matches!(self, CallOutcome::Answered | CallOutcome::Transferred)
    }
}

/// Who ended the call, when the log says so.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum HangupSide {
    Caller,
    Agent,
    /// The queue or the PBX ended it (timeout, empty queue, failure).
    System,
}

impl HangupSide {
    pub fn code(self) -> &'static str {
        match self {
            HangupSide::Caller => "caller",
            HangupSide::Agent => "agent",
            HangupSide::System => "system",
        }
    }

    pub fn label_zh(self) -> &'static str {
        match self {
            HangupSide::Caller => "主叫挂机",
            HangupSide::Agent => "坐席挂机",
            HangupSide::System => "系统结束",
        }
    }
}

/// What happened when one agent was offered the call.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RingResult {
    /// The agent answered (CONNECT; a CDR leg with ANSWERED).
    Answered,
    /// Rang until the ring timeout (RINGNOANSWER; a CDR leg with NO ANSWER).
    NoAnswer,
    /// The caller hung up while this agent was ringing (RINGCANCELED).
    Canceled,
    /// The agent's phone was busy (a CDR leg with BUSY).
    Busy,
    /// The leg failed (a CDR leg with FAILED or CONGESTION).
    Failed,
    /// The channels could not be bridged (SYSCOMPAT).
    Incompatible,
    /// The agent hung up during the announcement (AGENTDUMP).
    AgentDumped,
}

impl RingResult {
    pub fn code(self) -> &'static str {
        match self {
            RingResult::Answered => "answered",
            RingResult::NoAnswer => "no_answer",
            RingResult::Canceled => "canceled",
            RingResult::Busy => "busy",
            RingResult::Failed => "failed",
            RingResult::Incompatible => "incompatible",
            RingResult::AgentDumped => "agent_dumped",
        }
    }

    pub fn label_zh(self) -> &'static str {
        match self {
            RingResult::Answered => "应答",
            RingResult::NoAnswer => "振铃未接",
            RingResult::Canceled => "振铃中主叫挂机",
            RingResult::Busy => "坐席忙",
            RingResult::Failed => "呼叫失败",
            RingResult::Incompatible => "通道不兼容",
            RingResult::AgentDumped => "坐席提前挂断",
        }
    }
}

/// One offer of the call to one agent.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RingAttempt {
    /// The agent as the log names it (`SIP/8001`, `Local/8001@agents`, a member name).
    pub agent_interface: String,
    /// The staff code from the mapping; the raw name under `keep_raw`; `None` when unmapped
    /// (an unmapped agent who only rang does not reject the call).
    pub agent_code: Option<String>,
    /// When the log wrote the attempt's line (end of the ring).
    pub at: DateTime<Utc>,
    /// How long it rang, when the log says (RINGNOANSWER milliseconds, CONNECT seconds × 1000).
    pub ring_ms: Option<u32>,
    pub result: RingResult,
}

/// One call, normalized. Times are UTC; durations are whole seconds as the PBX counted them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ImportedCall {
    pub source: SourceKind,
    /// Stable across imports of the same log: the store keeps one row per key, so importing
    /// a file twice changes nothing.
    pub dedup_key: String,
    /// The PBX's own id: queue_log callid, CDR uniqueid, FreeSWITCH uuid (empty when absent).
    pub source_call_id: String,
    /// The id tying this record to the other leg in the PBX's records: the bridged channel's
    /// uniqueid from CONNECT, the CDR linkedid, the FreeSWITCH bleg_uuid.
    pub linked_id: Option<String>,
    /// First and last log line that contributed (for tracing a figure back to the file).
    pub first_line_number: u64,
    pub last_line_number: u64,
    pub caller_number: Option<String>,
    pub called_number: Option<String>,
    /// The queue as the log names it, and its sub-platform code from the mapping.
    pub queue_name: Option<String>,
    pub queue_code: Option<String>,
    /// The agent who answered, as the log names it, and the staff code.
    pub agent_interface: Option<String>,
    pub agent_code: Option<String>,
    pub arrived_at: DateTime<Utc>,
    pub answered_at: Option<DateTime<Utc>>,
    pub ended_at: DateTime<Utc>,
    /// Seconds from arrival to answer, or to leaving the queue when not answered.
    pub wait_seconds: u32,
    /// Seconds talking with the agent (0 when not answered).
    pub talk_seconds: u32,
    pub ring_attempts: Vec<RingAttempt>,
    pub outcome: CallOutcome,
    pub hangup_side: Option<HangupSide>,
    /// `extension@context` (or the attended-transfer target) for transferred calls.
    pub transfer_target: Option<String>,
    /// The key pressed, for EXITWITHKEY.
    pub exit_key: Option<String>,
    /// The PBX's own end status: CDR disposition or FreeSWITCH hangup cause.
    pub disposition: Option<String>,
    /// The caller's position when entering the queue (1 = first), when logged.
    pub original_position: Option<u32>,
    /// False when the log began in the middle of this call (no ENTERQUEUE line): the arrival
    /// time was then derived from the hold and talk times the later lines carry.
    pub entry_logged: bool,
}

/// What an agent did, from the queue_log's agent lines.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AgentEventKind {
    /// AGENTLOGIN, AGENTCALLBACKLOGIN.
    LoggedIn,
    /// AGENTLOGOFF, AGENTCALLBACKLOGOFF.
    LoggedOut,
    /// ADDMEMBER: the interface was added to a queue.
    MemberAdded,
    /// REMOVEMEMBER.
    MemberRemoved,
    /// PAUSE / PAUSEALL, with the reason the agent chose (meal, training...).
    Paused,
    /// UNPAUSE / UNPAUSEALL.
    Unpaused,
    /// PENALTY: the member's penalty in a queue changed.
    PenaltyChanged,
}

impl AgentEventKind {
    pub fn code(self) -> &'static str {
        match self {
            AgentEventKind::LoggedIn => "logged_in",
            AgentEventKind::LoggedOut => "logged_out",
            AgentEventKind::MemberAdded => "member_added",
            AgentEventKind::MemberRemoved => "member_removed",
            AgentEventKind::Paused => "paused",
            AgentEventKind::Unpaused => "unpaused",
            AgentEventKind::PenaltyChanged => "penalty_changed",
        }
    }

    pub fn label_zh(self) -> &'static str {
        match self {
            AgentEventKind::LoggedIn => "签入",
            AgentEventKind::LoggedOut => "签出",
            AgentEventKind::MemberAdded => "加入队列",
            AgentEventKind::MemberRemoved => "移出队列",
            AgentEventKind::Paused => "示忙",
            AgentEventKind::Unpaused => "示闲",
            AgentEventKind::PenaltyChanged => "调整优先级",
        }
    }
}

/// One agent state change.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ImportedAgentEvent {
    pub source: SourceKind,
    /// Hash of the log line: the same line imported twice has the same key.
    pub dedup_key: String,
    pub line_number: u64,
    pub at: DateTime<Utc>,
    pub agent_interface: String,
    pub agent_code: String,
    pub kind: AgentEventKind,
    /// `None` when the line is for no queue in particular (`NONE`, AGENTLOGIN).
    pub queue_name: Option<String>,
    pub queue_code: Option<String>,
    /// PAUSEALL/UNPAUSEALL: the change applies to every queue the agent is in.
    pub all_queues: bool,
    /// The pause reason as logged, and its code from the mapping's `[pause_reasons]`.
    pub reason: Option<String>,
    pub reason_code: Option<String>,
    /// AGENTLOGOFF: how long the agent was logged in.
    pub session_seconds: Option<u32>,
    /// PENALTY: the new penalty.
    pub penalty: Option<i32>,
}

/// Why a call in the log never finished.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum IncompleteReason {
    /// The input ended with the call still open (often a rotated log: the rest is in the
    /// next file).
    EndOfInput,
    /// QUEUESTART: Asterisk restarted, so the calls open before it can never finish.
    QueueRestarted,
    /// The same callid entered a queue again before its previous visit ended.
    ReEntered,
    /// No line for the call for longer than the stale limit (default 12 hours of log time).
    Stale,
}

impl IncompleteReason {
    pub fn code(self) -> &'static str {
        match self {
            IncompleteReason::EndOfInput => "end_of_input",
            IncompleteReason::QueueRestarted => "queue_restarted",
            IncompleteReason::ReEntered => "re_entered",
            IncompleteReason::Stale => "stale",
        }
    }

    pub fn label_zh(self) -> &'static str {
        match self {
            IncompleteReason::EndOfInput => "日志结束时未完成",
            IncompleteReason::QueueRestarted => "队列服务重启",
            IncompleteReason::ReEntered => "重复进入队列",
            IncompleteReason::Stale => "长时间无记录",
        }
    }
}

/// A queue_log call that never reached a final line. Reported, not imported as a call:
/// its outcome is unknown, and the rest may come with the next file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct IncompleteCall {
    pub source: SourceKind,
    pub source_call_id: String,
    pub queue_name: String,
    pub caller_number: Option<String>,
    pub arrived_at: Option<DateTime<Utc>>,
    pub answered_at: Option<DateTime<Utc>>,
    pub agent_interface: Option<String>,
    pub first_line_number: u64,
    pub last_line_number: u64,
    /// The last event seen for the call, e.g. `CONNECT`.
    pub last_event: String,
    pub last_seen_at: DateTime<Utc>,
    pub reason: IncompleteReason,
}

/// One thing an import produced, in log order. Serialized with an `item` tag
/// (`{"item": "call", ...}`); `kind` is taken by the agent event's own field.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "item", rename_all = "snake_case")]
pub enum ImportItem {
    Call(ImportedCall),
    AgentEvent(ImportedAgentEvent),
    Incomplete(IncompleteCall),
    LineError(LineError),
}
