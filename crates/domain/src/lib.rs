//! rexian's shared domain vocabulary: roles and permissions, phone numbers, the event log's
//! types, time. Pure: no I/O; time is always an argument.

pub mod event;
pub mod phone;
pub mod role;
pub mod time;

pub use event::{Actor, AggregateRef, Event, NewEvent};
pub use phone::Phone;
pub use role::{Permission, Role};
pub use time::Clock;
