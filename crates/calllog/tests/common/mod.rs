//! Shared fixtures: the Baisha mapping and a clock-free time helper.
#![allow(dead_code)]

use chrono::{DateTime, TimeZone, Utc};
use rexian_calllog::{ImportOptions, Mapping, UnmappedPolicy};

/// 2026-10-01 08:00:00 in Baisha (+08:00) = 00:00:00 UTC.
pub const T0: i64 = 1_790_812_800;

pub fn at(offset_seconds: i64) -> DateTime<Utc> {
    Utc.timestamp_opt(T0 + offset_seconds, 0)
        .single()
        .expect("test times are valid")
}

pub fn mapping() -> Mapping {
    Mapping::new()
        .with_queue("12345-baisha", "BS-MAIN")
        .and_then(|m| m.with_queue("12345", "BS-MAIN"))
        .and_then(|m| m.with_agent("PJSIP/8001", "BS001"))
        .and_then(|m| m.with_agent("PJSIP/8002", "BS002"))
        .and_then(|m| m.with_agent("SIP/8001", "BS001"))
        .and_then(|m| m.with_agent("SIP/8002", "BS002"))
        .and_then(|m| m.with_agent("Local/8003@agents", "BS003"))
        .and_then(|m| m.with_agent("Agent/8004", "BS004"))
        .and_then(|m| m.with_agent("user/1010", "BS010"))
        .and_then(|m| m.with_pause_reason("午餐", "meal"))
        .expect("fixture mapping is valid")
}

pub fn options() -> ImportOptions {
    ImportOptions {
        mapping: mapping(),
        unmapped: UnmappedPolicy::Error,
        ..ImportOptions::default()
    }
}

/// A queue_log line at `T0 + offset`.
pub fn ql(offset: i64, rest: &str) -> String {
    format!("{}|{rest}", T0 + offset)
}
