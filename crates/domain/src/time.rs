//! Time in rexian: instants are UTC; what a county user sees is Beijing time (UTC+08:00,
//! no daylight saving since 1991, so a fixed offset is exact).

use chrono::{DateTime, FixedOffset, Utc};

/// Asia/Shanghai as a fixed offset.
pub fn beijing() -> FixedOffset {
    FixedOffset::east_opt(8 * 3600).expect("+08:00 is a valid offset")
}

/// An instant as a county user reads it: `2026-11-27 08:30:00`.
pub fn format_local(t: DateTime<Utc>) -> String {
    t.with_timezone(&beijing())
        .format("%Y-%m-%d %H:%M:%S")
        .to_string()
}

/// The source of "now". The domain never reads a clock; the edges pass time in, and tests
/// pass a fixed one.
pub trait Clock: Send + Sync {
    fn now(&self) -> DateTime<Utc>;
}

/// Wall-clock time, for the server.
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> DateTime<Utc> {
        Utc::now()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn local_format_is_beijing_time() {
        let t = Utc.with_ymd_and_hms(2026, 11, 27, 16, 30, 0).unwrap();
        assert_eq!(format_local(t), "2026-11-28 00:30:00");
    }
}
