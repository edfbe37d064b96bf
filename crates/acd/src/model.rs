//! Identifiers and small value types shared by the engine, its records and the figures.
//!
//! Every enum has a stable snake_case `code()` (the serde name, stored in the database and
//! used in the API) and a `label_zh()` for what a county user sees.

use std::fmt;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// Highest skill level; levels run from 1 (can take the call) to 5 (expert).
pub const MAX_SKILL_LEVEL: u8 = 5;

/// Declares a unit enum with stable codes and Chinese/English labels. The serde name of each
/// variant is its code, so the two can never drift apart.
macro_rules! coded_enum {
    (
        $(#[$meta:meta])*
        pub enum $name:ident {
            $( $(#[$vmeta:meta])* $variant:ident = ($code:literal, $zh:literal, $en:literal) ),+ $(,)?
        }
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
        pub enum $name {
            $( $(#[$vmeta])* #[serde(rename = $code)] $variant ),+
        }

        impl $name {
            /// Every value, in declaration order.
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            /// Stable machine code (the serde name).
            pub fn code(self) -> &'static str {
                match self { $($name::$variant => $code),+ }
            }

            /// The name a county user sees.
            pub fn label_zh(self) -> &'static str {
                match self { $($name::$variant => $zh),+ }
            }

            pub fn label_en(self) -> &'static str {
                match self { $($name::$variant => $en),+ }
            }

            pub fn from_code(code: &str) -> Option<Self> {
                Self::ALL.iter().copied().find(|v| v.code() == code)
            }
        }

        impl ::std::fmt::Display for $name {
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                f.write_str(self.code())
            }
        }
    };
}
pub(crate) use coded_enum;

macro_rules! string_id {
    ($(#[$meta:meta])* $name:ident) => {
        $(#[$meta])*
        #[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[serde(transparent)]
        pub struct $name(pub String);

        impl $name {
            pub fn new(id: impl Into<String>) -> Self {
                Self(id.into())
            }

            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl ::std::fmt::Display for $name {
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl From<&str> for $name {
            fn from(s: &str) -> Self {
                Self(s.to_owned())
            }
        }
    };
}

string_id!(
    /// An agent (话务员/客服代表), by the job number (工号) the sub-platform gives them.
    AgentId
);
string_id!(
    /// A queue (队列) of one sub-platform, e.g. `general` or a line of business.
    QueueId
);
string_id!(
    /// A skill an agent has and a call may need: a language (`mandarin`, `hainanese`, `li`)
    /// or a line of business (any other code the sub-platform defines, e.g. `biz_tourism`).
    Skill
);

impl Skill {
    pub fn mandarin() -> Skill {
        Skill::new("mandarin")
    }

    pub fn hainanese() -> Skill {
        Skill::new("hainanese")
    }

    pub fn li() -> Skill {
        Skill::new("li")
    }

    /// Chinese label for the built-in languages; a business-line code is shown as it is.
    pub fn label_zh(&self) -> &str {
        match self.0.as_str() {
            "mandarin" => "普通话",
            "hainanese" => "海南话",
            "li" => "黎语",
            other => other,
        }
    }
}

/// The engine's own number for a call, unique within one engine. The provincial call id is
/// kept beside it in the record; the engine refuses a second live call with the same one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct CallId(pub u64);

impl fmt::Display for CallId {
    fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
        write!(f, "{}", self.0)
    }
}

/// A skill an agent has, at a level from 1 to [`MAX_SKILL_LEVEL`].
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct AgentSkill {
    pub skill: Skill,
    pub level: u8,
}

impl AgentSkill {
    pub fn new(skill: Skill, level: u8) -> Self {
        Self { skill, level }
    }
}

/// What a call needs of its agent: a skill at `min_level` or better (e.g. a Li speaker).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct SkillNeed {
    pub skill: Skill,
    #[serde(default = "one")]
    pub min_level: u8,
}

fn one() -> u8 {
    1
}

impl SkillNeed {
    pub fn new(skill: Skill, min_level: u8) -> Self {
        Self { skill, min_level }
    }
}

coded_enum! {
    /// How urgently a call must be answered. Higher priorities are offered first, whatever
    /// their arrival time.
    #[derive(Default)]
    pub enum Priority {
        #[default]
        Normal = ("normal", "普通", "Normal"),
        /// A callback to a VIP caller (e.g. a deputy or a repeat complainant) put into the queue.
        VipCallback = ("vip_callback", "重点回拨", "VIP callback"),
        /// Urgent: emergencies, safety, flagged by the province.
        Urgent = ("urgent", "紧急", "Urgent"),
    }
}

impl Priority {
    /// 0 is served first.
    pub(crate) fn rank(self) -> u8 {
        match self {
            Priority::Urgent => 0,
            Priority::VipCallback => 1,
            Priority::Normal => 2,
        }
    }
}

coded_enum! {
    /// Why an agent is on break (小休).
    pub enum BreakReason {
        Meal = ("meal", "用餐", "Meal"),
        Training = ("training", "培训", "Training"),
        Restroom = ("restroom", "如厕", "Restroom"),
        Meeting = ("meeting", "会议", "Meeting"),
        Other = ("other", "其他", "Other"),
    }
}

coded_enum! {
    /// Why an agent is signed in but not ready (示忙).
    pub enum NotReadyCause {
        /// Just signed in and has not said ready yet.
        SignedIn = ("signed_in", "签入未就绪", "Signed in, not ready"),
        /// Let an offered call ring out (未应答示忙): kept out of routing until ready again.
        NoAnswer = ("no_answer", "未应答示忙", "Busy after no answer"),
        /// Chose to be busy (示忙).
        Manual = ("manual", "示忙", "Busy"),
    }
}

/// An agent's state. Only a `Ready` agent is offered calls.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum AgentState {
    /// 签出
    SignedOut,
    /// 示忙
    NotReady { cause: NotReadyCause },
    /// 空闲 / 示闲: waiting for a call.
    Ready,
    /// 振铃: a call is offered and rings at the seat (the agent is reserved for it).
    Ringing { call: CallId },
    /// 通话中
    OnCall { call: CallId },
    /// 话后处理: after-call work on `call`.
    WrapUp { call: CallId },
    /// 小休
    OnBreak { reason: BreakReason },
}

impl AgentState {
    pub fn code(self) -> &'static str {
        match self {
            AgentState::SignedOut => "signed_out",
            AgentState::NotReady { .. } => "not_ready",
            AgentState::Ready => "ready",
            AgentState::Ringing { .. } => "ringing",
            AgentState::OnCall { .. } => "on_call",
            AgentState::WrapUp { .. } => "wrap_up",
            AgentState::OnBreak { .. } => "on_break",
        }
    }

    /// Chinese label, with the reason of a break (e.g. `小休（用餐）`).
    pub fn label_zh(self) -> String {
        match self {
            AgentState::SignedOut => "签出".into(),
            AgentState::NotReady { cause } => cause.label_zh().into(),
            AgentState::Ready => "空闲".into(),
            AgentState::Ringing { .. } => "振铃".into(),
            AgentState::OnCall { .. } => "通话中".into(),
            AgentState::WrapUp { .. } => "话后处理".into(),
            AgentState::OnBreak { reason } => format!("小休（{}）", reason.label_zh()),
        }
    }

    /// The call this state ties the agent to, if any.
    pub fn call(self) -> Option<CallId> {
        match self {
            AgentState::Ringing { call }
            | AgentState::OnCall { call }
            | AgentState::WrapUp { call } => Some(call),
            _ => None,
        }
    }
}

coded_enum! {
    /// Who hung up.
    pub enum HangupSide {
        Caller = ("caller", "来电人挂机", "Caller hung up"),
        Agent = ("agent", "话务员挂机", "Agent hung up"),
    }
}

/// Where an answered call is transferred (转接).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum TransferTarget {
    /// Blind transfer to a county department's hotline; the agent leaves the call.
    Department { number: String },
    /// Three-way call (三方通话) with a department; the agent stays on the call.
    ThreeWay { number: String },
    /// Back to the provincial 12345 centre (转回省); the agent leaves the call.
    Province,
}

impl TransferTarget {
    pub fn code(&self) -> &'static str {
        match self {
            TransferTarget::Department { .. } => "department",
            TransferTarget::ThreeWay { .. } => "three_way",
            TransferTarget::Province => "province",
        }
    }

    pub fn label_zh(&self) -> &'static str {
        match self {
            TransferTarget::Department { .. } => "转部门热线",
            TransferTarget::ThreeWay { .. } => "三方通话",
            TransferTarget::Province => "转回省热线",
        }
    }

    /// Whether the agent leaves the call (and so goes to wrap-up).
    pub fn releases_agent(&self) -> bool {
        !matches!(self, TransferTarget::ThreeWay { .. })
    }
}

coded_enum! {
    /// The caller's rating of the front-desk service (前台服务满意度), from the IVR survey.
    pub enum Satisfaction {
        Satisfied = ("satisfied", "满意", "Satisfied"),
        BasicallySatisfied = ("basically_satisfied", "基本满意", "Basically satisfied"),
        Dissatisfied = ("dissatisfied", "不满意", "Dissatisfied"),
        /// The survey ran but the caller gave no rating (未评价).
        NoRating = ("no_rating", "未评价", "No rating"),
    }
}

coded_enum! {
    /// How a call ended. Every call that arrived ends in exactly one of these.
    pub enum CallOutcome {
        /// Answered by an agent and ended on the agent's line (接通).
        Completed = ("completed", "接通完成", "Answered and completed"),
        /// Answered, then transferred away to a department or the province (接通后转接).
        Transferred = ("transferred", "接通后转接", "Answered and transferred"),
        /// The caller hung up before an agent answered (放弃).
        Abandoned = ("abandoned", "放弃", "Abandoned"),
        /// Hung up within the short-abandon threshold (短时放弃), e.g. a misdial.
        ShortAbandoned = ("short_abandoned", "短时放弃", "Short abandon"),
        /// Sent back to the provincial centre unanswered (溢出回省).
        Overflowed = ("overflowed", "溢出回省", "Overflowed to the province"),
    }
}

impl CallOutcome {
    /// Whether an agent of the sub-platform answered the call.
    pub fn answered(self) -> bool {
        matches!(self, CallOutcome::Completed | CallOutcome::Transferred)
    }
}

coded_enum! {
    /// Why a call overflowed back to the province.
    pub enum OverflowReason {
        /// Waited longer than the queue's overflow time (等待超时).
        WaitTooLong = ("wait_too_long", "等待超时", "Waited too long"),
        /// Arrived when the queue was full (排队超长).
        QueueFull = ("queue_full", "排队超长", "Queue full"),
        /// No agent was signed in to the queue (无坐席签入).
        NoAgents = ("no_agents", "无坐席签入", "No agent signed in"),
    }
}

coded_enum! {
    /// How one offer (one ring at one agent) ended.
    pub enum OfferResult {
        Answered = ("answered", "已应答", "Answered"),
        /// Rang out or was refused (未应答).
        NoAnswer = ("no_answer", "未应答", "Not answered"),
        /// The caller hung up while it rang.
        CallerAbandoned = ("caller_abandoned", "振铃中放弃", "Caller hung up while ringing"),
        /// Taken back because the agent signed out or was moved by the shift leader.
        Withdrawn = ("withdrawn", "撤回", "Withdrawn"),
    }
}

/// One ring of a call at one agent.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OfferAttempt {
    pub agent: AgentId,
    pub offered_at: DateTime<Utc>,
    pub ended_at: DateTime<Utc>,
    pub result: OfferResult,
}

/// One transfer step of an answered call.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TransferStep {
    pub at: DateTime<Utc>,
    pub target: TransferTarget,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_the_serde_names_and_round_trip() {
        fn check<T: Serialize + Copy + PartialEq + fmt::Debug>(
            all: &[T],
            code: fn(T) -> &'static str,
            from: fn(&str) -> Option<T>,
        ) {
            for &v in all {
                let json = serde_json::to_string(&v).unwrap();
                assert_eq!(json, format!("\"{}\"", code(v)));
                assert_eq!(from(code(v)), Some(v));
            }
            assert_eq!(from("no-such-code"), None);
        }
        check(Priority::ALL, Priority::code, Priority::from_code);
        check(BreakReason::ALL, BreakReason::code, BreakReason::from_code);
        check(
            NotReadyCause::ALL,
            NotReadyCause::code,
            NotReadyCause::from_code,
        );
        check(HangupSide::ALL, HangupSide::code, HangupSide::from_code);
        check(
            Satisfaction::ALL,
            Satisfaction::code,
            Satisfaction::from_code,
        );
        check(CallOutcome::ALL, CallOutcome::code, CallOutcome::from_code);
        check(
            OverflowReason::ALL,
            OverflowReason::code,
            OverflowReason::from_code,
        );
        check(OfferResult::ALL, OfferResult::code, OfferResult::from_code);
    }

    #[test]
    fn labels_a_county_user_sees() {
        assert_eq!(BreakReason::Meal.label_zh(), "用餐");
        assert_eq!(BreakReason::Training.label_zh(), "培训");
        assert_eq!(CallOutcome::Overflowed.label_zh(), "溢出回省");
        assert_eq!(Satisfaction::BasicallySatisfied.label_zh(), "基本满意");
        let no_answer = AgentState::NotReady {
            cause: NotReadyCause::NoAnswer,
        };
        assert_eq!(no_answer.label_zh(), "未应答示忙");
        assert_eq!(Skill::hainanese().label_zh(), "海南话");
        assert_eq!(Skill::new("biz_tourism").label_zh(), "biz_tourism");
        assert!(Priority::Urgent.rank() < Priority::VipCallback.rank());
        assert!(Priority::VipCallback.rank() < Priority::Normal.rank());
    }

    #[test]
    fn agent_state_serializes_tagged() {
        let s = AgentState::OnBreak {
            reason: BreakReason::Meeting,
        };
        let json = serde_json::to_value(s).unwrap();
        assert_eq!(
            json,
            serde_json::json!({"state": "on_break", "reason": "meeting"})
        );
        assert_eq!(s.code(), "on_break");
    }
}
