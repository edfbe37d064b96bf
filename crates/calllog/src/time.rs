//! Time fields of the logs.

use chrono::{DateTime, FixedOffset, NaiveDateTime, TimeZone, Utc};

use crate::error::{LineErrorReason, excerpt};

/// Earliest plausible log time (2000-01-01): anything before is a broken line, not a call.
const MIN_EPOCH: i64 = 946_684_800;
/// Latest plausible log time (2100-01-01).
const MAX_EPOCH: i64 = 4_102_444_800;

/// A queue_log time: epoch seconds as Asterisk writes it, or the `YYYY-MM-DD HH:MM:SS[.ffffff]`
/// local date-time of a queue_log exported from a realtime (database) table.
pub(crate) fn parse_queue_log_time(
    value: &str,
    offset: FixedOffset,
) -> Result<i64, LineErrorReason> {
    // A byte-order mark from an editor or an export tool may start the file.
    let value = value.trim().trim_start_matches('\u{feff}');
    let epoch = match value.parse::<i64>() {
        Ok(epoch) => epoch,
        Err(_) => match parse_local(value, offset) {
            Some(at) => at.timestamp(),
            None => {
                return Err(LineErrorReason::BadEpoch {
                    value: excerpt(value),
                });
            }
        },
    };
    if !(MIN_EPOCH..MAX_EPOCH).contains(&epoch) {
        return Err(LineErrorReason::BadEpoch {
            value: excerpt(value),
        });
    }
    Ok(epoch)
}

/// A CDR stamp `YYYY-MM-DD HH:MM:SS` in `offset` (fractions of a second, which some exports
/// add, are accepted and dropped).
pub(crate) fn parse_stamp(
    field: &str,
    value: &str,
    offset: FixedOffset,
) -> Result<DateTime<Utc>, LineErrorReason> {
    let bad = || LineErrorReason::BadTimestamp {
        field: field.to_owned(),
        value: excerpt(value),
    };
    let at = parse_local(value.trim(), offset).ok_or_else(bad)?;
    if !(MIN_EPOCH..MAX_EPOCH).contains(&at.timestamp()) {
        return Err(bad());
    }
    Ok(at)
}

fn parse_local(value: &str, offset: FixedOffset) -> Option<DateTime<Utc>> {
    let whole_seconds = value.split_once('.').map_or(value, |(s, _)| s);
    let naive = NaiveDateTime::parse_from_str(whole_seconds, "%Y-%m-%d %H:%M:%S").ok()?;
    offset
        .from_local_datetime(&naive)
        .single()
        .map(|at| at.with_timezone(&Utc))
}

/// Epoch seconds to a UTC time; epochs here come from [`parse_queue_log_time`] minus
/// durations, always far inside chrono's range.
pub(crate) fn utc(epoch: i64) -> DateTime<Utc> {
    DateTime::from_timestamp(epoch, 0).unwrap_or(DateTime::<Utc>::UNIX_EPOCH)
}

/// Seconds between two instants as a wait or talk figure: never negative.
pub(crate) fn seconds(delta: i64) -> u32 {
    u32::try_from(delta.max(0)).unwrap_or(u32::MAX)
}
