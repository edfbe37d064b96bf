//! Assessment periods: a month, quarter, half year, year, contract year or explicit dates.
//!
//! A period is the half-open range of local dates `[start, end)` in Asia/Shanghai (UTC+8, no
//! daylight saving), i.e. the UTC instants `[start 00:00+08:00, end 00:00+08:00)`. A record
//! belongs to the period when its instant falls in that range; midnight belongs to the day
//! it starts.

use std::fmt;

use chrono::{DateTime, Datelike, FixedOffset, Months, NaiveDate, NaiveTime, TimeZone, Utc};
use serde::{Deserialize, Serialize};

/// Earliest and latest years accepted, so every date computation stays in range.
const MIN_YEAR: i32 = 1970;
const MAX_YEAR: i32 = 9998;

/// Asia/Shanghai: fixed UTC+08:00, no daylight saving. Checked at compile time.
pub const SHANGHAI: FixedOffset = match FixedOffset::east_opt(8 * 3600) {
    Some(offset) => offset,
    None => panic!("UTC+8 is a valid offset"),
};

/// What kind of period it is; decides the label.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PeriodKind {
    Month,
    Quarter,
    HalfYear,
    Year,
    /// One year from the contract's signing date.
    ContractYear,
    /// Explicit from/to dates.
    Custom,
}

/// Why a period could not be made.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PeriodError {
    #[error(
        "unknown period {0:?}: expected a month (2026-10), quarter (2026Q4), half year (2026H2), \
         year (2026), dates (2026-10-01..2026-10-31) or contract year (contract:2026-03-15)"
    )]
    Unrecognized(String),
    #[error("period {input:?}: month {month} is not 1–12")]
    MonthOutOfRange { input: String, month: u32 },
    #[error("period {input:?}: quarter {quarter} is not 1–4")]
    QuarterOutOfRange { input: String, quarter: u32 },
    #[error("period {input:?}: half {half} is not 1–2")]
    HalfOutOfRange { input: String, half: u32 },
    #[error("year {0} is outside {MIN_YEAR}–{MAX_YEAR}")]
    YearOutOfRange(i32),
    #[error("period {input:?}: {date:?} is not a valid date (YYYY-MM-DD)")]
    InvalidDate { input: String, date: String },
    #[error("period from {from} to {to}: the end is before the start")]
    EndBeforeStart { from: NaiveDate, to: NaiveDate },
}

/// A period of assessment: local dates `[start, end)` in Asia/Shanghai.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "PeriodRepr", into = "PeriodRepr")]
pub struct Period {
    kind: PeriodKind,
    start: NaiveDate,
    end: NaiveDate,
}

/// The serialized shape: `{"label", "label_zh", "kind", "start", "end", "last_day",
/// "start_utc", "end_utc"}`; `end` is exclusive. Only kind/start/end are read back.
#[derive(Serialize, Deserialize)]
struct PeriodRepr {
    #[serde(default, skip_deserializing)]
    label: String,
    #[serde(default, skip_deserializing)]
    label_zh: String,
    kind: PeriodKind,
    start: NaiveDate,
    end: NaiveDate,
    #[serde(default, skip_deserializing)]
    last_day: Option<NaiveDate>,
    #[serde(default, skip_deserializing)]
    start_utc: Option<DateTime<Utc>>,
    #[serde(default, skip_deserializing)]
    end_utc: Option<DateTime<Utc>>,
}

impl From<Period> for PeriodRepr {
    fn from(p: Period) -> Self {
        PeriodRepr {
            label: p.label(),
            label_zh: p.label_zh(),
            kind: p.kind,
            start: p.start,
            end: p.end,
            last_day: Some(p.last_day()),
            start_utc: Some(p.start_utc()),
            end_utc: Some(p.end_utc()),
        }
    }
}

impl TryFrom<PeriodRepr> for Period {
    type Error = PeriodError;
    fn try_from(r: PeriodRepr) -> Result<Self, Self::Error> {
        check_year(r.start.year())?;
        check_year(r.end.year())?;
        if r.end <= r.start {
            return Err(PeriodError::EndBeforeStart {
                from: r.start,
                to: r.end,
            });
        }
        Ok(Period {
            kind: r.kind,
            start: r.start,
            end: r.end,
        })
    }
}

fn check_year(year: i32) -> Result<(), PeriodError> {
    if (MIN_YEAR..=MAX_YEAR).contains(&year) {
        Ok(())
    } else {
        Err(PeriodError::YearOutOfRange(year))
    }
}

fn ymd(year: i32, month: u32) -> Result<NaiveDate, PeriodError> {
    check_year(year)?;
    NaiveDate::from_ymd_opt(year, month, 1).ok_or(PeriodError::YearOutOfRange(year))
}

fn add_months(d: NaiveDate, months: u32) -> Result<NaiveDate, PeriodError> {
    d.checked_add_months(Months::new(months))
        .ok_or(PeriodError::YearOutOfRange(d.year()))
}

impl Period {
    /// Calendar month `month` (1–12) of `year`.
    pub fn month(year: i32, month: u32) -> Result<Self, PeriodError> {
        if !(1..=12).contains(&month) {
            return Err(PeriodError::MonthOutOfRange {
                input: format!("{year}-{month:02}"),
                month,
            });
        }
        let start = ymd(year, month)?;
        Ok(Period {
            kind: PeriodKind::Month,
            start,
            end: add_months(start, 1)?,
        })
    }

    /// Quarter `quarter` (1–4) of `year`.
    pub fn quarter(year: i32, quarter: u32) -> Result<Self, PeriodError> {
        if !(1..=4).contains(&quarter) {
            return Err(PeriodError::QuarterOutOfRange {
                input: format!("{year}Q{quarter}"),
                quarter,
            });
        }
        let start = ymd(year, (quarter - 1) * 3 + 1)?;
        Ok(Period {
            kind: PeriodKind::Quarter,
            start,
            end: add_months(start, 3)?,
        })
    }

    /// Half year `half` (1 = January–June, 2 = July–December) of `year`.
    pub fn half_year(year: i32, half: u32) -> Result<Self, PeriodError> {
        if !(1..=2).contains(&half) {
            return Err(PeriodError::HalfOutOfRange {
                input: format!("{year}H{half}"),
                half,
            });
        }
        let start = ymd(year, (half - 1) * 6 + 1)?;
        Ok(Period {
            kind: PeriodKind::HalfYear,
            start,
            end: add_months(start, 6)?,
        })
    }

    /// Calendar year.
    pub fn year(year: i32) -> Result<Self, PeriodError> {
        let start = ymd(year, 1)?;
        Ok(Period {
            kind: PeriodKind::Year,
            start,
            end: add_months(start, 12)?,
        })
    }

    /// The contract year starting on the signing date: `[signed, signed + 1 year)`.
    /// A contract signed on 29 February ends on 28 February (chrono clamps the day).
    pub fn contract_year(signed: NaiveDate) -> Result<Self, PeriodError> {
        check_year(signed.year())?;
        Ok(Period {
            kind: PeriodKind::ContractYear,
            start: signed,
            end: add_months(signed, 12)?,
        })
    }

    /// Explicit dates, both inclusive as people write them (`--from 2026-10-01 --to
    /// 2026-10-31`); stored as `[from, to + 1 day)`.
    pub fn between(from: NaiveDate, to_inclusive: NaiveDate) -> Result<Self, PeriodError> {
        check_year(from.year())?;
        check_year(to_inclusive.year())?;
        if to_inclusive < from {
            return Err(PeriodError::EndBeforeStart {
                from,
                to: to_inclusive,
            });
        }
        let end = to_inclusive
            .succ_opt()
            .ok_or(PeriodError::YearOutOfRange(to_inclusive.year()))?;
        Ok(Period {
            kind: PeriodKind::Custom,
            start: from,
            end,
        })
    }

    /// The local calendar month containing `now` (for the live view).
    pub fn month_containing(now: DateTime<Utc>) -> Result<Self, PeriodError> {
        let local = now.with_timezone(&SHANGHAI).date_naive();
        Period::month(local.year(), local.month())
    }

    /// The calendar half year containing `date` (the usual window for indicator 6,
    /// half-year attrition, when a month or quarter is assessed).
    pub fn half_year_containing(date: NaiveDate) -> Result<Self, PeriodError> {
        Period::half_year(date.year(), if date.month() <= 6 { 1 } else { 2 })
    }

    /// Parses `2026-10`, `2026Q4` (or `2026-Q4`), `2026H2` (or `2026-H2`), `2026`,
    /// `2026-10-01..2026-10-31` (inclusive end) and `contract:2026-03-15`.
    pub fn parse(input: &str) -> Result<Self, PeriodError> {
        let s = input.trim();
        let unknown = || PeriodError::Unrecognized(input.to_owned());
        let date = |d: &str| {
            NaiveDate::parse_from_str(d.trim(), "%Y-%m-%d").map_err(|_| PeriodError::InvalidDate {
                input: input.to_owned(),
                date: d.trim().to_owned(),
            })
        };
        if let Some(rest) = s.strip_prefix("contract:") {
            return Period::contract_year(date(rest)?);
        }
        if let Some((from, to)) = s.split_once("..") {
            return Period::between(date(from)?, date(to)?);
        }
        let year_part = s.get(..4).ok_or_else(unknown)?;
        if !year_part.bytes().all(|b| b.is_ascii_digit()) {
            return Err(unknown());
        }
        let year: i32 = year_part.parse().map_err(|_| unknown())?;
        let rest = &s[4..];
        if rest.is_empty() {
            return Period::year(year);
        }
        let number = |digits: &str| -> Result<u32, PeriodError> {
            if digits.is_empty() || digits.len() > 2 || !digits.bytes().all(|b| b.is_ascii_digit())
            {
                return Err(unknown());
            }
            digits.parse().map_err(|_| unknown())
        };
        let rest_upper = rest.to_ascii_uppercase();
        let tail = rest_upper.strip_prefix('-').unwrap_or(&rest_upper);
        if let Some(q) = tail.strip_prefix('Q') {
            let quarter = number(q)?;
            return Period::quarter(year, quarter).map_err(|e| with_input(e, input));
        }
        if let Some(h) = tail.strip_prefix('H') {
            let half = number(h)?;
            return Period::half_year(year, half).map_err(|e| with_input(e, input));
        }
        if rest.starts_with('-') {
            let month = number(tail)?;
            return Period::month(year, month).map_err(|e| with_input(e, input));
        }
        Err(unknown())
    }

    pub fn kind(&self) -> PeriodKind {
        self.kind
    }

    /// First local date in the period.
    pub fn start(&self) -> NaiveDate {
        self.start
    }

    /// First local date after the period (exclusive end).
    pub fn end(&self) -> NaiveDate {
        self.end
    }

    /// Last local date in the period.
    pub fn last_day(&self) -> NaiveDate {
        self.end.pred_opt().unwrap_or(self.start)
    }

    /// Number of days in the period.
    pub fn days(&self) -> i64 {
        (self.end - self.start).num_days()
    }

    /// The instant the period starts: local midnight of `start`, in UTC.
    pub fn start_utc(&self) -> DateTime<Utc> {
        local_midnight_utc(self.start)
    }

    /// The instant the period ends (exclusive), in UTC.
    pub fn end_utc(&self) -> DateTime<Utc> {
        local_midnight_utc(self.end)
    }

    /// Whether the local date is in the period.
    pub fn contains_date(&self, date: NaiveDate) -> bool {
        self.start <= date && date < self.end
    }

    /// Whether the instant is in the period.
    pub fn contains(&self, at: DateTime<Utc>) -> bool {
        self.start_utc() <= at && at < self.end_utc()
    }

    /// Share of the period elapsed at `now`, in 0..=1.
    pub fn elapsed_fraction(&self, now: DateTime<Utc>) -> f64 {
        let total = (self.end_utc() - self.start_utc()).num_seconds();
        let done = (now - self.start_utc()).num_seconds();
        if total <= 0 {
            return 1.0;
        }
        (done as f64 / total as f64).clamp(0.0, 1.0)
    }

    /// The code form, which [`Period::parse`] reads back: `2026-10`, `2026Q4`, `2026H2`,
    /// `2026`, `contract:2026-03-15`, `2026-10-01..2026-10-31`.
    pub fn label(&self) -> String {
        let y = self.start.year();
        match self.kind {
            PeriodKind::Month => format!("{y}-{:02}", self.start.month()),
            PeriodKind::Quarter => format!("{y}Q{}", (self.start.month() - 1) / 3 + 1),
            PeriodKind::HalfYear => format!("{y}H{}", (self.start.month() - 1) / 6 + 1),
            PeriodKind::Year => format!("{y}"),
            PeriodKind::ContractYear => format!("contract:{}", self.start),
            PeriodKind::Custom => format!("{}..{}", self.start, self.last_day()),
        }
    }

    /// The Chinese label for reports: `2026年10月`, `2026年第四季度`, `2026年下半年`.
    pub fn label_zh(&self) -> String {
        let y = self.start.year();
        match self.kind {
            PeriodKind::Month => format!("{y}年{}月", self.start.month()),
            PeriodKind::Quarter => {
                let q = ["一", "二", "三", "四"];
                let i = ((self.start.month() - 1) / 3) as usize;
                format!("{y}年第{}季度", q.get(i).copied().unwrap_or("?"))
            }
            PeriodKind::HalfYear => {
                let half = if self.start.month() <= 6 {
                    "上"
                } else {
                    "下"
                };
                format!("{y}年{half}半年")
            }
            PeriodKind::Year => format!("{y}年度"),
            PeriodKind::ContractYear => {
                format!("合同年度（{}至{}）", self.start, self.last_day())
            }
            PeriodKind::Custom => format!("{}至{}", self.start, self.last_day()),
        }
    }

    /// Whether `date` falls inside the period after its first day (a rules version taking
    /// effect on such a date changes the rules mid-period).
    pub(crate) fn strictly_contains(&self, date: NaiveDate) -> bool {
        self.start < date && date < self.end
    }
}

fn with_input(e: PeriodError, input: &str) -> PeriodError {
    let input = input.to_owned();
    match e {
        PeriodError::MonthOutOfRange { month, .. } => PeriodError::MonthOutOfRange { input, month },
        PeriodError::QuarterOutOfRange { quarter, .. } => {
            PeriodError::QuarterOutOfRange { input, quarter }
        }
        PeriodError::HalfOutOfRange { half, .. } => PeriodError::HalfOutOfRange { input, half },
        other => other,
    }
}

fn local_midnight_utc(date: NaiveDate) -> DateTime<Utc> {
    let naive = date.and_time(NaiveTime::MIN);
    // A fixed offset maps every local time to exactly one instant.
    match SHANGHAI.from_local_datetime(&naive).single() {
        Some(t) => t.with_timezone(&Utc),
        None => Utc.from_utc_datetime(&naive),
    }
}

impl fmt::Display for Period {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.label())
    }
}

impl std::str::FromStr for Period {
    type Err = PeriodError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Period::parse(s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap_or(NaiveDate::MIN)
    }

    #[test]
    fn parses_every_form() {
        let cases = [
            ("2026-10", d(2026, 10, 1), d(2026, 11, 1), PeriodKind::Month),
            ("2026-12", d(2026, 12, 1), d(2027, 1, 1), PeriodKind::Month),
            ("2026-2", d(2026, 2, 1), d(2026, 3, 1), PeriodKind::Month),
            ("2026Q4", d(2026, 10, 1), d(2027, 1, 1), PeriodKind::Quarter),
            ("2026-q1", d(2026, 1, 1), d(2026, 4, 1), PeriodKind::Quarter),
            ("2026H2", d(2026, 7, 1), d(2027, 1, 1), PeriodKind::HalfYear),
            ("2026h1", d(2026, 1, 1), d(2026, 7, 1), PeriodKind::HalfYear),
            ("2026", d(2026, 1, 1), d(2027, 1, 1), PeriodKind::Year),
            (
                "2026-10-01..2026-10-31",
                d(2026, 10, 1),
                d(2026, 11, 1),
                PeriodKind::Custom,
            ),
            (
                "contract:2026-03-15",
                d(2026, 3, 15),
                d(2027, 3, 15),
                PeriodKind::ContractYear,
            ),
            (
                "contract:2028-02-29",
                d(2028, 2, 29),
                d(2029, 2, 28),
                PeriodKind::ContractYear,
            ),
        ];
        for (input, start, end, kind) in cases {
            let p = Period::parse(input).unwrap_or_else(|e| panic!("{input}: {e}"));
            assert_eq!(
                (p.start(), p.end(), p.kind()),
                (start, end, kind),
                "{input}"
            );
            // The label parses back to the same period.
            assert_eq!(Period::parse(&p.label()).ok(), Some(p.clone()), "{input}");
        }
    }

    #[test]
    fn rejects_unknown_forms_with_a_reason() {
        type Expect = fn(&PeriodError) -> bool;
        let cases: [(&str, Expect); 10] = [
            ("2026-13", |e| {
                matches!(e, PeriodError::MonthOutOfRange { month: 13, .. })
            }),
            ("2026-00", |e| {
                matches!(e, PeriodError::MonthOutOfRange { month: 0, .. })
            }),
            ("2026Q5", |e| {
                matches!(e, PeriodError::QuarterOutOfRange { quarter: 5, .. })
            }),
            ("2026H3", |e| {
                matches!(e, PeriodError::HalfOutOfRange { half: 3, .. })
            }),
            ("october", |e| matches!(e, PeriodError::Unrecognized(_))),
            ("", |e| matches!(e, PeriodError::Unrecognized(_))),
            ("2026-10x", |e| matches!(e, PeriodError::Unrecognized(_))),
            ("2026-10-31..2026-10-01", |e| {
                matches!(e, PeriodError::EndBeforeStart { .. })
            }),
            ("2026-02-30..2026-03-01", |e| {
                matches!(e, PeriodError::InvalidDate { .. })
            }),
            ("0001-01", |e| matches!(e, PeriodError::YearOutOfRange(1))),
        ];
        for (input, expected) in cases {
            match Period::parse(input) {
                Ok(p) => panic!("{input:?} parsed as {p}"),
                Err(e) => assert!(expected(&e), "{input:?}: {e:?}"),
            }
        }
        let message = Period::parse("2026-13").err().map(|e| e.to_string());
        assert_eq!(
            message.as_deref(),
            Some("period \"2026-13\": month 13 is not 1–12")
        );
    }

    #[test]
    fn instants_are_shanghai_midnight() {
        let p = Period::parse("2026-10").unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(p.start_utc().to_rfc3339(), "2026-09-30T16:00:00+00:00");
        assert_eq!(p.end_utc().to_rfc3339(), "2026-10-31T16:00:00+00:00");
        assert!(p.contains(p.start_utc()));
        assert!(!p.contains(p.end_utc()));
        assert_eq!(p.days(), 31);
        assert_eq!(p.last_day(), d(2026, 10, 31));
        assert_eq!(p.label_zh(), "2026年10月");
        // 1 October 07:59 local is 30 September 23:59 UTC: the local month decides.
        let t = Utc.with_ymd_and_hms(2026, 9, 30, 23, 59, 0).single();
        let t = t.unwrap_or_else(|| panic!("valid instant"));
        assert_eq!(Period::month_containing(t).ok(), Some(p.clone()));
        let mid = p.start_utc() + (p.end_utc() - p.start_utc()) / 2;
        assert!((p.elapsed_fraction(mid) - 0.5).abs() < 1e-9);
        assert_eq!(
            p.elapsed_fraction(p.end_utc() + chrono::Duration::days(3)),
            1.0
        );
    }

    #[test]
    fn serializes_with_labels_and_reads_back() {
        let p = Period::parse("2026Q4").unwrap_or_else(|e| panic!("{e}"));
        let json = serde_json::to_value(&p).unwrap_or_default();
        assert_eq!(json["label"], "2026Q4");
        assert_eq!(json["label_zh"], "2026年第四季度");
        assert_eq!(json["start"], "2026-10-01");
        assert_eq!(json["end"], "2027-01-01");
        assert_eq!(json["last_day"], "2026-12-31");
        let back: Result<Period, _> = serde_json::from_value(json);
        assert_eq!(back.ok(), Some(p));
        let bad = serde_json::json!({"kind": "month", "start": "2026-10-01", "end": "2026-10-01"});
        assert!(serde_json::from_value::<Period>(bad).is_err());
    }
}
