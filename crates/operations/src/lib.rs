//! Operations of a 12345 sub-platform, as pure domain code: the people (staff, attrition,
//! rosters and night duty, trainings), the equipment (assets, daily inspections, faults),
//! emergencies, quality control (complaints, praise, call reviews) and the contract's money
//! (bill of quantities, costs, settlement).
//!
//! Nothing here does I/O or reads the clock: the current time is an argument, local time is
//! Beijing time (UTC+08:00), and the rules are data ([`config::OperationsConfig`]). Five of
//! the nine assessment indicators are computed from these records: 5 ([`quality`]),
//! 6 ([`attrition`]), 7 ([`emergency`]), 8 ([`faults`]) and 9 ([`quality`]).
//!
//! Errors are one type, [`OpsError`], whose `code()` is stable and whose `kind()` says
//! whether the web layer answers 422 (bad input) or 409 (conflict with what is recorded).

mod codes;

pub mod access;
pub mod assets;
pub mod attrition;
pub mod config;
pub mod contract;
pub mod emergency;
pub mod error;
pub mod faults;
pub mod ids;
mod privacy;
pub mod quality;
pub mod roster;
pub mod staff;
pub mod time;
pub mod training;

pub use config::OperationsConfig;
pub use error::{ErrorKind, OpsError, Result};
pub use ids::*;
