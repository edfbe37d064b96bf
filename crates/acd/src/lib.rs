//! The ACD (automatic call distribution, 自动话务分配) of a 12345 sub-platform: queues,
//! agents and routing ([`Engine`]), the finished [`CallRecord`] of every call, the call
//! figures of the assessment ([`figures`]) and a seeded simulation on virtual time ([`sim`])
//! that drives the same engine.
//!
//! Pure: no I/O, no clock reads. Every input carries its time; timers are deadlines the caller
//! drives with [`Engine::tick`]. The live server feeds wall-clock time and the simulation
//! virtual time, through the same code.
//!
//! ```
//! use chrono::{Duration, TimeZone, Utc};
//! use rexian_acd::{AcdConfig, AgentId, Command, Engine, Event, Input, QueueId};
//!
//! let mut engine = Engine::new(AcdConfig::default())?;
//! let t = Utc.with_ymd_and_hms(2026, 10, 1, 1, 0, 0).unwrap();
//! let mut out = Vec::new();
//! let agent = AgentId::new("1001");
//! let sign_in = Command::AgentSignsIn { agent: agent.clone(), seat: None, skills: vec![], queues: vec![] };
//! engine.apply(Input::new(t, sign_in), &mut out)?;
//! engine.apply(Input::new(t, Command::AgentReady { agent: agent.clone() }), &mut out)?;
//! let arrives = Command::CallArrives {
//!     provincial_call_id: "HN-20261001-0001".into(),
//!     caller: "13800001111".into(),
//!     called: "12345".into(),
//!     queue: QueueId::new("general"),
//!     required_skill: None,
//!     priority: Default::default(),
//! };
//! out.clear();
//! engine.apply(Input::new(t + Duration::seconds(5), arrives), &mut out)?;
//! assert!(out.iter().any(|o| matches!(&o.event, Event::CallOffered { agent: a, .. } if a == &agent)));
//! // Nobody answers: at the ring timeout (15 s) the agent is set not ready.
//! let deadline = engine.next_deadline().unwrap();
//! engine.tick(deadline, &mut out)?;
//! # Ok::<(), rexian_acd::AcdError>(())
//! ```

pub mod config;
pub mod engine;
pub mod error;
pub mod figures;
pub mod message;
pub mod model;
pub mod record;
pub mod sim;
pub mod view;

pub use config::{AcdConfig, ConfigError, QueueConfig, RoutingStrategy};
pub use engine::Engine;
pub use error::{AcdError, Entity, ErrorBody, ErrorKind};
pub use figures::{CallFigures, FigureFilter, FigureOptions, FigureRow, figures};
pub use message::{Command, Event, ForcedState, Input, Output};
pub use model::{
    AgentId, AgentSkill, AgentState, BreakReason, CallId, CallOutcome, HangupSide, NotReadyCause,
    OfferAttempt, OfferResult, OverflowReason, Priority, QueueId, Satisfaction, Skill, SkillNeed,
    TransferStep, TransferTarget,
};
pub use record::CallRecord;
pub use view::{
    AgentCounters, AgentView, CallPhase, CallView, QueueCounters, QueueView, TimeInState,
};
