//! Dates, periods and local time. The sub-platform lives on Asia/Shanghai time, a fixed
//! UTC+08:00 without daylight saving, so local time is UTC plus eight hours. Instants are
//! `DateTime<Utc>`; calendar days (rosters, inspections, employment) are local `NaiveDate`s.
//! Every conversion is checked: dates at chrono's limits give `None`/an error, never a panic.

use std::fmt;

use chrono::{DateTime, Datelike, NaiveDate, NaiveDateTime, NaiveTime, TimeDelta, Utc};
use serde::{Deserialize, Serialize};

use crate::codes::coded_enum;
use crate::error::{OpsError, Result};

/// Offset of Asia/Shanghai from UTC, in seconds.
pub const SHANGHAI_OFFSET_SECONDS: i64 = 8 * 3600;

/// Longest range that day-by-day reports accept (about ten years), so a typo in a year
/// cannot make a report walk millions of days.
pub const MAX_RANGE_DAYS: i64 = 3700;

/// Local wall-clock time of an instant.
pub fn to_local(t: DateTime<Utc>) -> Option<NaiveDateTime> {
    t.naive_utc()
        .checked_add_signed(TimeDelta::seconds(SHANGHAI_OFFSET_SECONDS))
}

/// The instant of a local wall-clock time.
pub fn from_local(local: NaiveDateTime) -> Option<DateTime<Utc>> {
    local
        .checked_sub_signed(TimeDelta::seconds(SHANGHAI_OFFSET_SECONDS))
        .map(|n| n.and_utc())
}

/// The local calendar day of an instant.
pub fn local_date(t: DateTime<Utc>) -> Option<NaiveDate> {
    to_local(t).map(|l| l.date())
}

/// The instant a local day begins (00:00 Beijing time).
pub fn local_day_start(day: NaiveDate) -> Option<DateTime<Utc>> {
    from_local(day.and_time(NaiveTime::MIN))
}

pub(crate) fn next_day(day: NaiveDate) -> Result<NaiveDate> {
    day.succ_opt()
        .ok_or_else(|| OpsError::invalid("date", format!("{day} is at the end of the calendar")))
}

pub(crate) fn out_of_range(field: &'static str) -> OpsError {
    OpsError::invalid(field, "time out of the supported range")
}

/// A half-open range of local days `[from, to)`: `from` is the first day, `to` the first day
/// after. Half years, months and contract years are all ranges, so the rules are written once.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct DateRange {
    pub from: NaiveDate,
    pub to: NaiveDate,
}

impl DateRange {
    /// `[from, to)`; an empty range (`from == to`) is allowed, `to < from` is not.
    pub fn new(from: NaiveDate, to: NaiveDate) -> Result<Self> {
        if to < from {
            return Err(OpsError::end_before_start("date range", from, to));
        }
        Ok(DateRange { from, to })
    }

    /// The range from `first` to `last`, both included.
    pub fn inclusive(first: NaiveDate, last: NaiveDate) -> Result<Self> {
        if last < first {
            return Err(OpsError::end_before_start("date range", first, last));
        }
        Ok(DateRange {
            from: first,
            to: next_day(last)?,
        })
    }

    pub fn contains(&self, day: NaiveDate) -> bool {
        self.from <= day && day < self.to
    }

    pub fn is_empty(&self) -> bool {
        self.to <= self.from
    }

    /// Number of days in the range (0 when empty or inverted).
    pub fn len_days(&self) -> i64 {
        (self.to - self.from).num_days().max(0)
    }

    /// The last day inside the range, if any.
    pub fn last_day(&self) -> Option<NaiveDate> {
        if self.is_empty() {
            None
        } else {
            self.to.pred_opt()
        }
    }

    /// Every day of the range in order.
    pub fn days(&self) -> impl Iterator<Item = NaiveDate> + '_ {
        let to = self.to;
        std::iter::successors(Some(self.from), |d| d.succ_opt()).take_while(move |d| *d < to)
    }

    /// Refuses ranges too long to walk day by day (see [`MAX_RANGE_DAYS`]).
    pub fn ensure_walkable(&self) -> Result<()> {
        if self.to < self.from {
            return Err(OpsError::end_before_start("date range", self.from, self.to));
        }
        if self.len_days() > MAX_RANGE_DAYS {
            return Err(OpsError::invalid(
                "date range",
                format!(
                    "{} days is longer than the {MAX_RANGE_DAYS} days a report may cover",
                    self.len_days()
                ),
            ));
        }
        Ok(())
    }

    /// The instants `[start of from, start of to)` in UTC.
    pub fn utc_bounds(&self) -> Option<(DateTime<Utc>, DateTime<Utc>)> {
        Some((local_day_start(self.from)?, local_day_start(self.to)?))
    }

    /// Whether an instant falls inside the range's local days.
    pub fn contains_instant(&self, t: DateTime<Utc>) -> bool {
        local_date(t).is_some_and(|d| self.contains(d))
    }

    /// The part of this range that is also in `other` (may be empty).
    pub fn intersect(&self, other: &DateRange) -> DateRange {
        let from = self.from.max(other.from);
        let to = self.to.min(other.to).max(from);
        DateRange { from, to }
    }
}

impl fmt::Display for DateRange {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "[{}, {})", self.from, self.to)
    }
}

coded_enum! {
    /// Which half of a calendar year.
    pub enum Half {
        /// January 1 to June 30.
        First => ("h1", "上半年"),
        /// July 1 to December 31.
        Second => ("h2", "下半年"),
    }
}

/// A calendar half year, the period of indicator 6 (half-year attrition).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct HalfYear {
    pub year: i32,
    pub half: Half,
}

impl HalfYear {
    pub fn containing(day: NaiveDate) -> HalfYear {
        let half = if day.month() <= 6 {
            Half::First
        } else {
            Half::Second
        };
        HalfYear {
            year: day.year(),
            half,
        }
    }

    pub fn range(&self) -> Result<DateRange> {
        let bad = || OpsError::invalid("half year", format!("year {} out of range", self.year));
        let (from, to) = match self.half {
            Half::First => (
                NaiveDate::from_ymd_opt(self.year, 1, 1).ok_or_else(bad)?,
                NaiveDate::from_ymd_opt(self.year, 7, 1).ok_or_else(bad)?,
            ),
            Half::Second => (
                NaiveDate::from_ymd_opt(self.year, 7, 1).ok_or_else(bad)?,
                self.year
                    .checked_add(1)
                    .and_then(|y| NaiveDate::from_ymd_opt(y, 1, 1))
                    .ok_or_else(bad)?,
            ),
        };
        DateRange::new(from, to)
    }
}

/// A calendar month, written `2025-03`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct YearMonth {
    year: i32,
    month: u32,
}

impl YearMonth {
    pub fn new(year: i32, month: u32) -> Result<Self> {
        if !(1..=12).contains(&month) || NaiveDate::from_ymd_opt(year, month, 1).is_none() {
            return Err(OpsError::invalid(
                "month",
                format!("{year}-{month:02} is not a month"),
            ));
        }
        Ok(YearMonth { year, month })
    }

    pub fn containing(day: NaiveDate) -> YearMonth {
        YearMonth {
            year: day.year(),
            month: day.month(),
        }
    }

    pub fn year(&self) -> i32 {
        self.year
    }

    pub fn month(&self) -> u32 {
        self.month
    }

    pub fn first_day(&self) -> Result<NaiveDate> {
        NaiveDate::from_ymd_opt(self.year, self.month, 1)
            .ok_or_else(|| OpsError::invalid("month", format!("{self} is not a month")))
    }

    pub fn next(&self) -> Result<YearMonth> {
        if self.month == 12 {
            let year = self
                .year
                .checked_add(1)
                .ok_or_else(|| OpsError::invalid("month", "year out of range"))?;
            YearMonth::new(year, 1)
        } else {
            YearMonth::new(self.year, self.month + 1)
        }
    }

    pub fn range(&self) -> Result<DateRange> {
        DateRange::new(self.first_day()?, self.next()?.first_day()?)
    }
}

impl fmt::Display for YearMonth {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:04}-{:02}", self.year, self.month)
    }
}

impl From<YearMonth> for String {
    fn from(m: YearMonth) -> String {
        m.to_string()
    }
}

impl TryFrom<String> for YearMonth {
    type Error = OpsError;
    fn try_from(s: String) -> Result<Self> {
        s.parse()
    }
}

impl std::str::FromStr for YearMonth {
    type Err = OpsError;
    fn from_str(s: &str) -> Result<Self> {
        let bad = || OpsError::invalid("month", format!("`{s}` is not YYYY-MM"));
        let (y, m) = s.trim().split_once('-').ok_or_else(bad)?;
        if y.len() != 4 || m.len() != 2 {
            return Err(bad());
        }
        let year: i32 = y.parse().map_err(|_| bad())?;
        let month: u32 = m.parse().map_err(|_| bad())?;
        YearMonth::new(year, month)
    }
}

/// A local wall-clock time of day in minutes, written `HH:MM`. `24:00` is allowed so that a
/// shift can end at midnight without appearing to cross it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct ClockTime(u16);

impl ClockTime {
    pub const MIDNIGHT: ClockTime = ClockTime(0);
    pub const END_OF_DAY: ClockTime = ClockTime(24 * 60);

    pub fn new(hour: u16, minute: u16) -> Result<Self> {
        let m = hour
            .checked_mul(60)
            .and_then(|h| h.checked_add(minute))
            .filter(|_| minute < 60)
            .filter(|m| *m <= 24 * 60)
            .ok_or_else(|| {
                OpsError::invalid(
                    "time",
                    format!("{hour:02}:{minute:02} is not a time of day"),
                )
            })?;
        Ok(ClockTime(m))
    }

    /// Minutes since local midnight, 0..=1440.
    pub fn minutes(self) -> u16 {
        self.0
    }
}

impl fmt::Display for ClockTime {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:02}:{:02}", self.0 / 60, self.0 % 60)
    }
}

impl From<ClockTime> for String {
    fn from(t: ClockTime) -> String {
        t.to_string()
    }
}

impl TryFrom<String> for ClockTime {
    type Error = OpsError;
    fn try_from(s: String) -> Result<Self> {
        s.parse()
    }
}

impl std::str::FromStr for ClockTime {
    type Err = OpsError;
    fn from_str(s: &str) -> Result<Self> {
        let bad = || OpsError::invalid("time", format!("`{s}` is not HH:MM"));
        let (h, m) = s.trim().split_once(':').ok_or_else(bad)?;
        if h.is_empty() || h.len() > 2 || m.len() != 2 {
            return Err(bad());
        }
        ClockTime::new(h.parse().map_err(|_| bad())?, m.parse().map_err(|_| bad())?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    #[test]
    fn half_years_cover_the_year_without_gap() {
        let h1 = HalfYear {
            year: 2025,
            half: Half::First,
        }
        .range()
        .unwrap();
        let h2 = HalfYear {
            year: 2025,
            half: Half::Second,
        }
        .range()
        .unwrap();
        assert_eq!((h1.from, h1.to), (d(2025, 1, 1), d(2025, 7, 1)));
        assert_eq!((h2.from, h2.to), (d(2025, 7, 1), d(2026, 1, 1)));
        assert_eq!(h1.len_days() + h2.len_days(), 365);
        assert_eq!(HalfYear::containing(d(2025, 6, 30)).half, Half::First);
        assert_eq!(HalfYear::containing(d(2025, 7, 1)).half, Half::Second);
    }

    #[test]
    fn local_day_is_eight_hours_ahead_of_utc() {
        let t = DateTime::parse_from_rfc3339("2025-03-01T16:30:00Z")
            .unwrap()
            .to_utc();
        assert_eq!(local_date(t), Some(d(2025, 3, 2)));
        let start = local_day_start(d(2025, 3, 2)).unwrap();
        assert_eq!(start.to_rfc3339(), "2025-03-01T16:00:00+00:00");
    }

    #[test]
    fn extreme_dates_do_not_panic() {
        assert!(local_day_start(NaiveDate::MIN).is_none());
        assert!(to_local(DateTime::<Utc>::MAX_UTC).is_none());
        assert!(next_day(NaiveDate::MAX).is_err());
        assert!(
            HalfYear {
                year: i32::MAX,
                half: Half::Second
            }
            .range()
            .is_err()
        );
        let r = DateRange::new(NaiveDate::MIN, NaiveDate::MAX).unwrap();
        assert!(r.ensure_walkable().is_err());
    }

    #[test]
    fn year_month_and_clock_time_parse_and_print() {
        let m: YearMonth = "2025-02".parse().unwrap();
        assert_eq!(m.range().unwrap().len_days(), 28);
        assert_eq!(m.to_string(), "2025-02");
        assert!("2025-13".parse::<YearMonth>().is_err());
        assert!("25-1".parse::<YearMonth>().is_err());
        assert_eq!(
            YearMonth::new(2025, 12)
                .unwrap()
                .next()
                .unwrap()
                .to_string(),
            "2026-01"
        );
        let t: ClockTime = "24:00".parse().unwrap();
        assert_eq!(t, ClockTime::END_OF_DAY);
        assert!("24:01".parse::<ClockTime>().is_err());
        assert!("8:60".parse::<ClockTime>().is_err());
        assert_eq!("8:05".parse::<ClockTime>().unwrap().to_string(), "08:05");
        let json = serde_json::to_string(&m).unwrap();
        assert_eq!(json, "\"2025-02\"");
    }
}
