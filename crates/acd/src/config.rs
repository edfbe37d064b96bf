//! Engine settings: ring timeout, wrap-up, short-abandon threshold and the queues with their
//! routing and overflow rules. Loaded from TOML by the binary; every field has a default.

use std::collections::HashSet;

use serde::{Deserialize, Serialize};

use crate::model::{QueueId, coded_enum};

/// Longest time any setting may name (a day): keeps every deadline inside chrono's range.
pub const MAX_SETTING_SECONDS: u32 = 86_400;

coded_enum! {
    /// How a queue picks among the ready agents who can take a call.
    #[derive(Default)]
    pub enum RoutingStrategy {
        /// The agent ready the longest (最长空闲): spreads the work evenly by time.
        #[default]
        LongestIdle = ("longest_idle", "最长空闲优先", "Longest idle"),
        /// The agent who answered the fewest calls today (最少接听), then the longest idle.
        FewestCalls = ("fewest_calls", "当日接听最少优先", "Fewest calls today"),
        /// The next agent after the last one offered, in sign-in order (轮询).
        RoundRobin = ("round_robin", "轮询", "Round robin"),
        /// The agent with the highest level in the skill the call needs, then the longest idle
        /// (技能优先). Calls without a skill need go to the longest idle agent.
        SkillLevel = ("skill_level", "技能等级优先", "Highest skill level"),
    }
}

/// The whole engine's settings.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct AcdConfig {
    /// Seconds a call rings at an agent before it is taken back and the agent set to
    /// 未应答示忙 (not ready after no answer).
    pub ring_timeout_seconds: u32,
    /// After-call work (话后处理) seconds, unless the queue says otherwise. 0 = none.
    pub wrap_up_seconds: u32,
    /// A caller who hangs up after waiting less than this is a short abandon (短时放弃).
    pub short_abandon_seconds: u32,
    /// How long after a call has finished a satisfaction rating is still accepted.
    pub satisfaction_window_seconds: u32,
    pub queues: Vec<QueueConfig>,
}

impl Default for AcdConfig {
    fn default() -> Self {
        Self {
            ring_timeout_seconds: 15,
            wrap_up_seconds: 30,
            short_abandon_seconds: 5,
            satisfaction_window_seconds: 600,
            queues: vec![QueueConfig::new(QueueId::new("general"), "综合咨询")],
        }
    }
}

/// One queue (队列) and its rules.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct QueueConfig {
    pub id: QueueId,
    pub name_zh: String,
    pub strategy: RoutingStrategy,
    /// A call still waiting this many seconds after arrival overflows back to the province
    /// (溢出回省). `None`: it waits until answered or abandoned. 0: never waits.
    pub overflow_after_seconds: Option<u32>,
    /// An arriving call that no agent can take at once overflows when this many calls are
    /// already waiting in the queue. `None`: no limit.
    pub max_waiting: Option<u32>,
    /// An arriving call overflows at once when no agent is signed in to the queue (e.g. at
    /// night), and waiting calls overflow when the last agent signs out.
    pub overflow_when_no_agents: bool,
    /// A call that needs a skill waits this many seconds for a skilled agent, then may go to
    /// any agent of the queue (技能放宽).
    pub widen_after_seconds: u32,
    /// Wrap-up seconds for calls of this queue, instead of the engine's.
    pub wrap_up_seconds: Option<u32>,
}

impl QueueConfig {
    /// A queue with the default rules: longest idle, overflow after 60 s or beyond 10
    /// waiting, widen skills after 20 s.
    pub fn new(id: QueueId, name_zh: &str) -> Self {
        Self {
            id,
            name_zh: name_zh.to_owned(),
            strategy: RoutingStrategy::LongestIdle,
            overflow_after_seconds: Some(60),
            max_waiting: Some(10),
            overflow_when_no_agents: true,
            widen_after_seconds: 20,
            wrap_up_seconds: None,
        }
    }

    pub fn with_strategy(mut self, strategy: RoutingStrategy) -> Self {
        self.strategy = strategy;
        self
    }
}

impl Default for QueueConfig {
    fn default() -> Self {
        QueueConfig::new(QueueId::new("general"), "综合咨询")
    }
}

/// A setting that cannot work.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid ACD setting {field}: {reason}")]
pub struct ConfigError {
    pub field: String,
    pub reason: String,
}

impl AcdConfig {
    /// Checks the settings; the engine refuses to start with bad ones.
    pub fn validate(&self) -> Result<(), ConfigError> {
        let err = |field: &str, reason: &str| ConfigError {
            field: field.to_owned(),
            reason: reason.to_owned(),
        };
        if self.ring_timeout_seconds == 0 {
            return Err(err("ring_timeout_seconds", "must be at least 1"));
        }
        let seconds = [
            ("ring_timeout_seconds", self.ring_timeout_seconds),
            ("wrap_up_seconds", self.wrap_up_seconds),
            ("short_abandon_seconds", self.short_abandon_seconds),
            (
                "satisfaction_window_seconds",
                self.satisfaction_window_seconds,
            ),
        ];
        for (field, value) in seconds {
            if value > MAX_SETTING_SECONDS {
                return Err(err(field, "must be at most 86400 seconds"));
            }
        }
        if self.queues.is_empty() {
            return Err(err("queues", "at least one queue is needed"));
        }
        if self.queues.len() > u16::MAX as usize {
            return Err(err("queues", "too many queues"));
        }
        let mut seen = HashSet::new();
        for q in &self.queues {
            let field = format!("queues.{}", q.id);
            if q.id.0.trim().is_empty() {
                return Err(err("queues.id", "must not be empty"));
            }
            if !seen.insert(&q.id) {
                return Err(err(&field, "queue id used twice"));
            }
            let limits = [
                q.overflow_after_seconds.unwrap_or(0),
                q.widen_after_seconds,
                q.wrap_up_seconds.unwrap_or(0),
            ];
            if limits.iter().any(|&s| s > MAX_SETTING_SECONDS) {
                return Err(err(&field, "times must be at most 86400 seconds"));
            }
        }
        Ok(())
    }
}
