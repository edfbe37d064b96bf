//! Work orders (工单) for a 12345 hotline sub-platform: the lifecycle state machine, the
//! working-day calendar with the State Council's holidays and 调休 make-up days, configurable
//! time limits, and deadline timers. Pure domain code: no I/O, no clock reads; the current
//! time is always an argument (`DateTime<Utc>`), local time is Asia/Shanghai (UTC+08:00).
//!
//! - [`calendar`]: is a date a working day, N working days later, deadlines.
//! - [`limits`]: time limits per request kind and urgency (config/time_limits.toml).
//! - [`order`]: kinds, states, sources, supervision levels, callback outcomes, order numbers.
//! - [`deadline`]: a deadline with its reminder and escalation instants, fixed at start.
//! - [`lifecycle`]: `register`, `apply(order, action, actor, now, …)`, allowed actions.
//! - [`timers`]: which reminders, overdue and supervision events are due now.

#[macro_use]
mod macros;

pub mod calendar;
pub mod deadline;
pub mod lifecycle;
pub mod limits;
pub mod order;
pub mod timers;

pub use calendar::{Calendar, CalendarError, DeadlineInstant};
pub use deadline::{Deadline, DeadlineKind, OrderDeadlines};
pub use lifecycle::{
    Action, ActionKind, Actor, Change, OrderSnapshot, Timeliness, Transition, TransitionError,
    allowed_actions, allowed_actions_on, apply, legal_actions, register,
};
pub use limits::{LimitsError, TimeLimit, TimeLimits, TimeLimitsConfig};
pub use order::{
    CallbackOutcome, DepartmentCode, EmergencyService, InvalidCategory, MatterCategoryCode,
    OrderNumber, OrderState, RequestKind, Satisfaction, Source, SupervisionLevel,
};
pub use timers::{FiredTimer, TimerCheck, TimerEvent, TimerKind};
