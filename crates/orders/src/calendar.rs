//! Working-day calendar for Asia/Shanghai (fixed UTC+08:00, no DST).
//!
//! A day is a working day when it is Monday–Friday and not a public holiday (放假), or when it
//! is a weekend day the State Council declared a make-up working day (调休上班). Schedules are
//! data, one per year, because the State Council publishes each year's schedule only in the
//! autumn before; an administrator adds the new year (`Calendar::with_schedule`). A date in a
//! year that has no schedule falls back to weekends only, and every answer that looked at
//! such a date says `provisional: true`.
//!
//! Deadline rule (one place, used everywhere): a limit of N working days that starts at some
//! instant ends at the **end of the Nth working day after the start's local day**; the start
//! day itself never counts, even when it is a working day and the order came in at 08:00.
//! "End of day" is represented as 23:59:59.999 local time, the last instant still on time: an
//! order is overdue when `now > due_at`. A limit in hours is natural hours (`start + h`),
//! nights, weekends and holidays included.

use std::collections::BTreeMap;

use chrono::{DateTime, Datelike, Duration, FixedOffset, NaiveDate, TimeZone, Utc, Weekday};
use serde::{Deserialize, Serialize};

use crate::limits::TimeLimit;

/// The bundled schedules (2025 and 2026 as published by the State Council).
pub const BUNDLED_HOLIDAYS_TOML: &str = include_str!("../../../config/holidays.toml");

/// The most working days one computation may span (about 40 years); keeps every call bounded.
pub const MAX_WORKING_DAYS: u32 = 10_000;

/// Schedules are accepted for these years only (a typo like 20226 is caught).
const YEARS: std::ops::RangeInclusive<i32> = 1990..=2999;

const SHANGHAI: FixedOffset = match FixedOffset::east_opt(8 * 3600) {
    Some(offset) => offset,
    None => panic!("UTC+08:00 is a valid offset"),
};

/// Asia/Shanghai as a fixed offset (China has had no DST since 1991).
pub fn shanghai() -> FixedOffset {
    SHANGHAI
}

/// The local (Asia/Shanghai) calendar day of an instant.
pub fn local_date(instant: DateTime<Utc>) -> Result<NaiveDate, CalendarError> {
    instant
        .naive_utc()
        .checked_add_offset(shanghai())
        .map(|t| t.date())
        .ok_or(CalendarError::OutOfRange)
}

/// Formats an instant as RFC 3339 in local time, e.g. `2026-10-10T23:59:59.999+08:00`
/// (in UTC for the few instants at the very end of chrono's range that have no local form).
pub fn to_local_rfc3339(instant: DateTime<Utc>) -> String {
    use chrono::SecondsFormat::AutoSi;
    if instant.naive_utc().checked_add_offset(shanghai()).is_some() {
        instant
            .with_timezone(&shanghai())
            .to_rfc3339_opts(AutoSi, false)
    } else {
        instant.to_rfc3339_opts(AutoSi, true)
    }
}

/// 00:00 local time of `date`.
pub fn start_of_local_day(date: NaiveDate) -> Result<DateTime<Utc>, CalendarError> {
    let naive = date.and_hms_opt(0, 0, 0).ok_or(CalendarError::OutOfRange)?;
    local_to_utc(naive)
}

/// 23:59:59.999 local time of `date`: the last instant of the day that is still on time.
pub fn end_of_local_day(date: NaiveDate) -> Result<DateTime<Utc>, CalendarError> {
    let naive = date
        .and_hms_milli_opt(23, 59, 59, 999)
        .ok_or(CalendarError::OutOfRange)?;
    local_to_utc(naive)
}

fn local_to_utc(naive: chrono::NaiveDateTime) -> Result<DateTime<Utc>, CalendarError> {
    shanghai()
        .from_local_datetime(&naive)
        .single()
        .map(|t| t.with_timezone(&Utc))
        .ok_or(CalendarError::OutOfRange)
}

fn is_weekend(date: NaiveDate) -> bool {
    matches!(date.weekday(), Weekday::Sat | Weekday::Sun)
}

/// Why a schedule was rejected or a computation could not be done.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CalendarError {
    #[error("holiday schedule is not valid TOML: {0}")]
    Syntax(String),
    /// A schedule entry breaks a rule; `entry` names it (year and holiday).
    #[error("{entry}: {problem}")]
    InvalidEntry { entry: String, problem: String },
    #[error("date is outside the range the calendar can compute")]
    OutOfRange,
    #[error("{requested} working days is more than the {max} a computation may span")]
    TooManyWorkingDays { requested: u32, max: u32 },
}

/// One year's schedule as the State Council published it (国务院办公厅关于X年部分节假日安排的通知).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HolidaySchedule {
    pub year: i32,
    /// Where the data comes from, for the administrator who checks it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source: Option<String>,
    #[serde(default, rename = "holiday")]
    pub holidays: Vec<Holiday>,
}

/// One holiday: the days off (inclusive range) and the weekend days worked to make up for it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Holiday {
    pub name_zh: String,
    pub name_en: String,
    pub first_day: NaiveDate,
    pub last_day: NaiveDate,
    #[serde(default)]
    pub make_up_working_days: Vec<NaiveDate>,
}

impl Holiday {
    fn days(&self) -> impl Iterator<Item = NaiveDate> + '_ {
        self.first_day
            .iter_days()
            .take_while(|d| *d <= self.last_day)
    }
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct CalendarFile {
    #[serde(default, rename = "schedule")]
    schedules: Vec<HolidaySchedule>,
}

/// What kind of day a date is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DayKind {
    /// Monday–Friday, no holiday.
    Workday,
    Weekend,
    /// 法定节假日 (放假).
    Holiday,
    /// 调休上班: a weekend day that is worked.
    MakeUpWorkday,
}

impl DayKind {
    pub fn label_zh(self) -> &'static str {
        match self {
            DayKind::Workday => "工作日",
            DayKind::Weekend => "周末",
            DayKind::Holiday => "节假日",
            DayKind::MakeUpWorkday => "调休上班",
        }
    }
}

/// Everything the calendar knows about one date.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DayInfo {
    pub date: NaiveDate,
    pub kind: DayKind,
    pub working: bool,
    /// For a holiday or make-up day: the holiday it belongs to.
    pub holiday: Option<HolidayName>,
    /// The date's year has no schedule: the answer uses weekends only.
    pub provisional: bool,
}

/// A holiday's names, as a county user and an English reader see them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct HolidayName {
    pub zh: String,
    pub en: String,
}

/// A date found by counting working days.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct WorkingDate {
    pub date: NaiveDate,
    pub provisional: bool,
}

/// A count of working days.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct WorkingDayCount {
    pub days: u32,
    pub provisional: bool,
}

/// A computed deadline instant.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct DeadlineInstant {
    /// The last instant that is still on time.
    pub at: DateTime<Utc>,
    /// Some day counted lies in a year without a schedule.
    pub provisional: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum OverrideKind {
    Holiday,
    MakeUp,
}

#[derive(Debug, Clone, Copy)]
struct DayOverride {
    kind: OverrideKind,
    year: i32,
    holiday: usize,
}

/// Precomputed working-day bits for one calendar year: bit `ordinal0` set = working day.
#[derive(Debug, Clone)]
struct YearBits {
    scheduled: bool,
    working: [u64; 6],
}

impl YearBits {
    fn is_working(&self, ordinal0: u32) -> bool {
        let word = self.working[(ordinal0 / 64) as usize % 6];
        word >> (ordinal0 % 64) & 1 == 1
    }

    fn set(&mut self, ordinal0: u32, working: bool) {
        let word = &mut self.working[(ordinal0 / 64) as usize % 6];
        if working {
            *word |= 1 << (ordinal0 % 64);
        } else {
            *word &= !(1 << (ordinal0 % 64));
        }
    }
}

/// The working-day calendar: validated schedules plus fast per-day lookup.
#[derive(Debug, Clone)]
pub struct Calendar {
    schedules: BTreeMap<i32, HolidaySchedule>,
    overrides: BTreeMap<NaiveDate, DayOverride>,
    years: BTreeMap<i32, YearBits>,
}

impl Calendar {
    /// The schedules shipped with rexian (2025, 2026).
    pub fn bundled() -> Calendar {
        // The bundled file is checked by a unit test; an empty calendar is the safe fallback.
        Calendar::from_toml_str(BUNDLED_HOLIDAYS_TOML).unwrap_or_else(|_| Calendar::weekends_only())
    }

    /// A calendar without schedules: weekends only, every answer provisional.
    pub fn weekends_only() -> Calendar {
        Calendar {
            schedules: BTreeMap::new(),
            overrides: BTreeMap::new(),
            years: BTreeMap::new(),
        }
    }

    /// Parses and validates a holiday file (`[[schedule]]` tables, see config/holidays.toml).
    pub fn from_toml_str(text: &str) -> Result<Calendar, CalendarError> {
        let file: CalendarFile =
            toml::from_str(text).map_err(|e| CalendarError::Syntax(e.to_string()))?;
        Calendar::from_schedules(file.schedules)
    }

    /// Validates schedules and builds the calendar. Rules, each reported with the entry:
    /// one schedule per year; names not empty; `first_day <= last_day`, at most 31 days; every
    /// holiday touches its year and no date lies further out than December of the year before
    /// or January of the year after (元旦 sometimes starts on 31 December); make-up days are
    /// Saturdays or Sundays; no date is listed twice, as a holiday and a make-up day, or by two
    /// holidays, across all years.
    pub fn from_schedules(schedules: Vec<HolidaySchedule>) -> Result<Calendar, CalendarError> {
        let mut by_year = BTreeMap::new();
        let mut overrides: BTreeMap<NaiveDate, DayOverride> = BTreeMap::new();
        for schedule in schedules {
            let year = schedule.year;
            if !YEARS.contains(&year) {
                return Err(invalid(
                    format!("schedule {year}"),
                    format!("year must be between {} and {}", YEARS.start(), YEARS.end()),
                ));
            }
            if by_year.contains_key(&year) {
                return Err(invalid(
                    format!("schedule {year}"),
                    "this year is listed twice".into(),
                ));
            }
            let window_start =
                NaiveDate::from_ymd_opt(year - 1, 12, 1).ok_or(CalendarError::OutOfRange)?;
            let window_end =
                NaiveDate::from_ymd_opt(year + 1, 1, 31).ok_or(CalendarError::OutOfRange)?;
            for (index, holiday) in schedule.holidays.iter().enumerate() {
                let entry = entry_name(year, holiday);
                if holiday.name_zh.trim().is_empty() || holiday.name_en.trim().is_empty() {
                    return Err(invalid(
                        entry,
                        "name_zh and name_en must not be empty".into(),
                    ));
                }
                if holiday.first_day > holiday.last_day {
                    return Err(invalid(
                        entry,
                        format!(
                            "first_day {} is after last_day {}",
                            holiday.first_day, holiday.last_day
                        ),
                    ));
                }
                if (holiday.last_day - holiday.first_day).num_days() >= 31 {
                    return Err(invalid(entry, "a holiday lasts at most 31 days".into()));
                }
                if holiday.last_day.year() < year || holiday.first_day.year() > year {
                    return Err(invalid(
                        entry,
                        format!(
                            "{} to {} is outside {year}",
                            holiday.first_day, holiday.last_day
                        ),
                    ));
                }
                let all_dates = std::iter::once(holiday.first_day)
                    .chain(std::iter::once(holiday.last_day))
                    .chain(holiday.make_up_working_days.iter().copied());
                for date in all_dates {
                    if date < window_start || date > window_end {
                        return Err(invalid(
                            entry,
                            format!(
                                "{date} is outside {year} (only December {} and January {} may be reached)",
                                year - 1,
                                year + 1
                            ),
                        ));
                    }
                }
                let new = |kind| DayOverride {
                    kind,
                    year,
                    holiday: index,
                };
                for day in holiday.days() {
                    insert_override(
                        &by_year,
                        &schedule,
                        &mut overrides,
                        day,
                        new(OverrideKind::Holiday),
                    )?;
                }
                for &day in &holiday.make_up_working_days {
                    if !is_weekend(day) {
                        return Err(invalid(
                            entry,
                            format!(
                                "make-up working day {day} is a {}, not a Saturday or Sunday",
                                day.format("%A")
                            ),
                        ));
                    }
                    insert_override(
                        &by_year,
                        &schedule,
                        &mut overrides,
                        day,
                        new(OverrideKind::MakeUp),
                    )?;
                }
            }
            by_year.insert(year, schedule);
        }

        let mut years: BTreeMap<i32, YearBits> = BTreeMap::new();
        let touched = by_year
            .keys()
            .copied()
            .chain(overrides.keys().map(|d| d.year()))
            .collect::<std::collections::BTreeSet<i32>>();
        for year in touched {
            years.insert(year, weekday_bits(year, by_year.contains_key(&year))?);
        }
        for (date, day) in &overrides {
            if let Some(bits) = years.get_mut(&date.year()) {
                bits.set(date.ordinal0(), day.kind == OverrideKind::MakeUp);
            }
        }
        Ok(Calendar {
            schedules: by_year,
            overrides,
            years,
        })
    }

    /// A new calendar with `schedule` added, or replacing the same year's.
    pub fn with_schedule(&self, schedule: HolidaySchedule) -> Result<Calendar, CalendarError> {
        let mut all: Vec<HolidaySchedule> = self
            .schedules
            .values()
            .filter(|s| s.year != schedule.year)
            .cloned()
            .collect();
        all.push(schedule);
        Calendar::from_schedules(all)
    }

    /// The schedules as a TOML file, in the format `from_toml_str` reads.
    pub fn to_toml_string(&self) -> Result<String, CalendarError> {
        let file = CalendarFile {
            schedules: self.schedules.values().cloned().collect(),
        };
        toml::to_string(&file).map_err(|e| CalendarError::Syntax(e.to_string()))
    }

    pub fn schedules(&self) -> impl Iterator<Item = &HolidaySchedule> {
        self.schedules.values()
    }

    pub fn has_schedule(&self, year: i32) -> bool {
        self.schedules.contains_key(&year)
    }

    /// (working, provisional) for one date. The hot path: one map lookup and a bit test.
    fn lookup(&self, date: NaiveDate) -> (bool, bool) {
        match self.years.get(&date.year()) {
            Some(bits) => (bits.is_working(date.ordinal0()), !bits.scheduled),
            None => (!is_weekend(date), true),
        }
    }

    pub fn is_working_day(&self, date: NaiveDate) -> bool {
        self.lookup(date).0
    }

    pub fn day(&self, date: NaiveDate) -> DayInfo {
        let (working, provisional) = self.lookup(date);
        let found = self.overrides.get(&date).and_then(|o| {
            let holiday = self.schedules.get(&o.year)?.holidays.get(o.holiday)?;
            let names = HolidayName {
                zh: holiday.name_zh.clone(),
                en: holiday.name_en.clone(),
            };
            Some((o.kind, names))
        });
        let (kind, holiday) = match found {
            Some((OverrideKind::Holiday, names)) => (DayKind::Holiday, Some(names)),
            Some((OverrideKind::MakeUp, names)) => (DayKind::MakeUpWorkday, Some(names)),
            None if is_weekend(date) => (DayKind::Weekend, None),
            None => (DayKind::Workday, None),
        };
        DayInfo {
            date,
            kind,
            working,
            holiday,
            provisional,
        }
    }

    /// The `n`th working day strictly after `date` (`n = 0` gives `date` itself).
    pub fn add_working_days(&self, date: NaiveDate, n: u32) -> Result<WorkingDate, CalendarError> {
        self.step_working_days(date, n, NaiveDate::succ_opt)
    }

    /// The `n`th working day strictly before `date` (`n = 0` gives `date` itself).
    pub fn sub_working_days(&self, date: NaiveDate, n: u32) -> Result<WorkingDate, CalendarError> {
        self.step_working_days(date, n, NaiveDate::pred_opt)
    }

    fn step_working_days(
        &self,
        date: NaiveDate,
        n: u32,
        step: fn(&NaiveDate) -> Option<NaiveDate>,
    ) -> Result<WorkingDate, CalendarError> {
        if n > MAX_WORKING_DAYS {
            return Err(CalendarError::TooManyWorkingDays {
                requested: n,
                max: MAX_WORKING_DAYS,
            });
        }
        let mut day = date;
        let mut left = n;
        let mut provisional = false;
        while left > 0 {
            day = step(&day).ok_or(CalendarError::OutOfRange)?;
            let (working, unknown_year) = self.lookup(day);
            provisional |= unknown_year;
            if working {
                left -= 1;
            }
        }
        Ok(WorkingDate {
            date: day,
            provisional,
        })
    }

    /// Working days `d` with `from < d <= to` (the same convention as deadlines: the start day
    /// does not count); 0 when `to <= from`. Computed arithmetically, so any span is cheap.
    pub fn working_days_between(&self, from: NaiveDate, to: NaiveDate) -> WorkingDayCount {
        let Some(first) = from.succ_opt().filter(|first| *first <= to) else {
            return WorkingDayCount {
                days: 0,
                provisional: false,
            };
        };
        let span = (to - from).num_days();
        let full_weeks = span / 7;
        let mut weekdays = full_weeks * 5;
        let rest_start = first + Duration::days(full_weeks * 7);
        weekdays += rest_start
            .iter_days()
            .take((span % 7) as usize)
            .filter(|d| !is_weekend(*d))
            .count() as i64;
        for (date, o) in self.overrides.range(first..=to) {
            match o.kind {
                OverrideKind::Holiday if !is_weekend(*date) => weekdays -= 1,
                OverrideKind::MakeUp if is_weekend(*date) => weekdays += 1,
                _ => {}
            }
        }
        let years_spanned = i64::from(to.year() - first.year()) + 1;
        let scheduled = self.schedules.range(first.year()..=to.year()).count() as i64;
        WorkingDayCount {
            days: u32::try_from(weekdays.max(0)).unwrap_or(u32::MAX),
            provisional: scheduled < years_spanned,
        }
    }

    /// When a time limit that starts at `start` runs out (see the module doc for the rule).
    pub fn deadline(
        &self,
        start: DateTime<Utc>,
        limit: TimeLimit,
    ) -> Result<DeadlineInstant, CalendarError> {
        match limit {
            TimeLimit::WorkingDays(n) => {
                let day = self.add_working_days(local_date(start)?, n)?;
                Ok(DeadlineInstant {
                    at: end_of_local_day(day.date)?,
                    provisional: day.provisional,
                })
            }
            TimeLimit::Hours(h) => Ok(DeadlineInstant {
                at: start
                    .checked_add_signed(Duration::hours(i64::from(h)))
                    .ok_or(CalendarError::OutOfRange)?,
                provisional: false,
            }),
        }
    }

    /// The start (00:00 local) of the `n`th working day after the local day of `instant`, or
    /// `instant + h` for an hour limit. Used for escalations "N working days after a deadline".
    pub fn start_of_working_day_after(
        &self,
        instant: DateTime<Utc>,
        limit: TimeLimit,
    ) -> Result<DeadlineInstant, CalendarError> {
        match limit {
            TimeLimit::WorkingDays(n) => {
                let day = self.add_working_days(local_date(instant)?, n)?;
                Ok(DeadlineInstant {
                    at: start_of_local_day(day.date)?,
                    provisional: day.provisional,
                })
            }
            TimeLimit::Hours(_) => self.deadline(instant, limit),
        }
    }
}

fn weekday_bits(year: i32, scheduled: bool) -> Result<YearBits, CalendarError> {
    let mut bits = YearBits {
        scheduled,
        working: [0; 6],
    };
    let first = NaiveDate::from_ymd_opt(year, 1, 1).ok_or(CalendarError::OutOfRange)?;
    for day in first.iter_days().take_while(|d| d.year() == year) {
        bits.set(day.ordinal0(), !is_weekend(day));
    }
    Ok(bits)
}

fn entry_name(year: i32, holiday: &Holiday) -> String {
    format!(
        "schedule {year}, holiday {} ({})",
        holiday.name_zh, holiday.name_en
    )
}

fn invalid(entry: String, problem: String) -> CalendarError {
    CalendarError::InvalidEntry { entry, problem }
}

fn insert_override(
    earlier_years: &BTreeMap<i32, HolidaySchedule>,
    schedule: &HolidaySchedule,
    overrides: &mut BTreeMap<NaiveDate, DayOverride>,
    day: NaiveDate,
    new: DayOverride,
) -> Result<(), CalendarError> {
    let name_of = |o: &DayOverride| {
        let source = if o.year == schedule.year {
            Some(schedule)
        } else {
            earlier_years.get(&o.year)
        };
        let holiday = source.and_then(|s| s.holidays.get(o.holiday));
        let role = match o.kind {
            OverrideKind::Holiday => "a day off of",
            OverrideKind::MakeUp => "a make-up working day of",
        };
        match holiday {
            Some(h) => format!("{role} {} {} ({})", o.year, h.name_zh, h.name_en),
            None => format!("{role} {}", o.year),
        }
    };
    if let Some(existing) = overrides.get(&day) {
        let entry = match schedule.holidays.get(new.holiday) {
            Some(h) => entry_name(schedule.year, h),
            None => format!("schedule {}", schedule.year),
        };
        let problem = if existing.kind != new.kind {
            format!("{day} is both {} and {}", name_of(existing), name_of(&new))
        } else {
            format!(
                "{day} is listed twice: {} and {}",
                name_of(existing),
                name_of(&new)
            )
        };
        return Err(invalid(entry, problem));
    }
    overrides.insert(day, new);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    fn local(y: i32, m: u32, day: u32, h: u32, min: u32) -> DateTime<Utc> {
        shanghai()
            .with_ymd_and_hms(y, m, day, h, min, 0)
            .unwrap()
            .with_timezone(&Utc)
    }

    #[test]
    fn bundled_file_parses_and_has_both_years() {
        let calendar = Calendar::from_toml_str(BUNDLED_HOLIDAYS_TOML).unwrap();
        assert!(calendar.has_schedule(2025));
        assert!(calendar.has_schedule(2026));
        assert!(!calendar.has_schedule(2027));
        assert_eq!(calendar.schedules().count(), 2);
    }

    #[test]
    fn the_issue_example_2026_10_10_is_a_make_up_working_day() {
        let c = Calendar::bundled();
        let info = c.day(d(2026, 10, 10));
        assert!(info.working);
        assert_eq!(info.kind, DayKind::MakeUpWorkday);
        assert_eq!(info.holiday.unwrap().zh, "国庆节");
        assert!(!info.provisional);
        assert!(!c.is_working_day(d(2026, 10, 1)));
        assert!(!c.is_working_day(d(2026, 10, 7)));
        assert!(c.is_working_day(d(2026, 10, 8)));
    }

    #[test]
    fn three_working_days_from_30_september_2026_end_on_10_october() {
        // Sep 30 (Wed) is the start day and does not count; Oct 1–7 are off;
        // Oct 8 Thu = 1, Oct 9 Fri = 2, Oct 10 Sat (make-up) = 3.
        let c = Calendar::bundled();
        let due = c
            .deadline(local(2026, 9, 30, 10, 0), TimeLimit::WorkingDays(3))
            .unwrap();
        assert_eq!(to_local_rfc3339(due.at), "2026-10-10T23:59:59.999+08:00");
        assert!(!due.provisional);
    }

    #[test]
    fn hand_checked_2025_spring_festival() {
        // Fri 2025-01-24 + 1 wd: Sat 25 off, Sun 26 make-up → end of Jan 26.
        let c = Calendar::bundled();
        assert_eq!(
            c.add_working_days(d(2025, 1, 24), 1).unwrap().date,
            d(2025, 1, 26)
        );
        // Sun 26 + 1: Mon 27 → 27. Mon 27 + 1: 28 Jan–4 Feb off, Wed 5 Feb.
        assert_eq!(
            c.add_working_days(d(2025, 1, 27), 1).unwrap().date,
            d(2025, 2, 5)
        );
        // Wed 5 + 3: Thu 6, Fri 7, Sat 8 (make-up).
        assert_eq!(
            c.add_working_days(d(2025, 2, 5), 3).unwrap().date,
            d(2025, 2, 8)
        );
        // 2025 National Day: Sun 28 Sep make-up, Oct 1–8 off, Sat 11 Oct make-up.
        assert_eq!(
            c.add_working_days(d(2025, 9, 30), 1).unwrap().date,
            d(2025, 10, 9)
        );
        assert_eq!(
            c.add_working_days(d(2025, 10, 10), 1).unwrap().date,
            d(2025, 10, 11)
        );
        assert_eq!(
            c.sub_working_days(d(2025, 10, 9), 1).unwrap().date,
            d(2025, 9, 30)
        );
        assert_eq!(
            c.sub_working_days(d(2025, 9, 29), 1).unwrap().date,
            d(2025, 9, 28)
        );
    }

    #[test]
    fn hours_are_natural_hours() {
        let c = Calendar::bundled();
        let start = local(2026, 10, 1, 9, 30);
        let due = c.deadline(start, TimeLimit::Hours(24)).unwrap();
        assert_eq!(due.at, start + Duration::hours(24));
        assert!(!due.provisional);
    }

    #[test]
    fn unknown_years_use_weekends_and_are_provisional() {
        let c = Calendar::bundled();
        // Thu 2027-09-30 + 3 working days on weekends alone: Fri 1 Oct, Mon 4, Tue 5.
        let due = c.add_working_days(d(2027, 9, 30), 3).unwrap();
        assert_eq!(
            due,
            WorkingDate {
                date: d(2027, 10, 5),
                provisional: true
            }
        );
        let info = c.day(d(2027, 10, 1));
        assert!(info.working && info.provisional);
        // Crossing from a known year into an unknown one is provisional too.
        assert!(c.add_working_days(d(2026, 12, 31), 1).unwrap().provisional);
        assert!(!c.add_working_days(d(2026, 12, 30), 1).unwrap().provisional);
    }

    #[test]
    fn working_days_between_matches_counting_one_by_one() {
        let c = Calendar::bundled();
        let start = d(2024, 12, 20);
        for offset in [0, 1, 5, 6, 7, 13, 40, 100, 300, 500, 800] {
            let end = start + Duration::days(offset);
            let slow = start
                .iter_days()
                .skip(1)
                .take_while(|x| *x <= end)
                .filter(|x| c.is_working_day(*x))
                .count() as u32;
            assert_eq!(c.working_days_between(start, end).days, slow, "{end}");
        }
        assert_eq!(
            c.working_days_between(d(2026, 9, 30), d(2026, 10, 10)).days,
            3
        );
        assert!(
            !c.working_days_between(d(2025, 3, 1), d(2026, 3, 1))
                .provisional
        );
        assert!(
            c.working_days_between(d(2026, 3, 1), d(2027, 3, 1))
                .provisional
        );
        assert_eq!(c.working_days_between(d(2026, 3, 1), d(2026, 2, 1)).days, 0);
    }

    #[test]
    fn extreme_inputs_are_errors_not_panics() {
        let c = Calendar::bundled();
        assert_eq!(
            c.add_working_days(NaiveDate::MAX, 1),
            Err(CalendarError::OutOfRange)
        );
        assert_eq!(
            c.sub_working_days(NaiveDate::MIN, 1),
            Err(CalendarError::OutOfRange)
        );
        assert!(matches!(
            c.add_working_days(d(2026, 1, 1), u32::MAX),
            Err(CalendarError::TooManyWorkingDays { .. })
        ));
        assert!(
            c.deadline(DateTime::<Utc>::MAX_UTC, TimeLimit::Hours(1))
                .is_err()
        );
        assert!(
            c.deadline(DateTime::<Utc>::MAX_UTC, TimeLimit::WorkingDays(1))
                .is_err()
        );
        let _ = c.working_days_between(NaiveDate::MIN, NaiveDate::MAX);
        let _ = c.day(NaiveDate::MAX);
    }

    fn one_holiday(year: i32, first: &str, last: &str, make_up: &[&str]) -> String {
        let make_up: Vec<String> = make_up.iter().map(|m| format!("\"{m}\"")).collect();
        format!(
            "[[schedule]]\nyear = {year}\n[[schedule.holiday]]\nname_zh = \"测试节\"\nname_en = \"Test day\"\nfirst_day = \"{first}\"\nlast_day = \"{last}\"\nmake_up_working_days = [{}]\n",
            make_up.join(", ")
        )
    }

    fn problem(text: &str) -> String {
        match Calendar::from_toml_str(text) {
            Err(CalendarError::InvalidEntry { entry, problem }) => format!("{entry}: {problem}"),
            other => panic!("expected an invalid entry, got {other:?}"),
        }
    }

    #[test]
    fn validation_names_the_entry_and_the_problem() {
        let both = problem(&one_holiday(
            2026,
            "2026-02-14",
            "2026-02-16",
            &["2026-02-14"],
        ));
        assert!(
            both.contains("schedule 2026, holiday 测试节 (Test day)"),
            "{both}"
        );
        assert!(both.contains("2026-02-14 is both"), "{both}");

        let weekday = problem(&one_holiday(
            2026,
            "2026-05-01",
            "2026-05-05",
            &["2026-05-06"],
        ));
        assert!(
            weekday.contains("make-up working day 2026-05-06 is a Wednesday"),
            "{weekday}"
        );

        let outside = problem(&one_holiday(2025, "2026-05-01", "2026-05-05", &[]));
        assert!(outside.contains("outside 2025"), "{outside}");

        let far_make_up = problem(&one_holiday(
            2025,
            "2025-05-01",
            "2025-05-05",
            &["2026-04-25"],
        ));
        assert!(
            far_make_up.contains("2026-04-25 is outside 2025"),
            "{far_make_up}"
        );

        let reversed = problem(&one_holiday(2026, "2026-05-05", "2026-05-01", &[]));
        assert!(reversed.contains("is after last_day"), "{reversed}");

        let twice = format!(
            "{}{}",
            one_holiday(2026, "2026-05-01", "2026-05-01", &[]),
            one_holiday(2026, "2026-06-01", "2026-06-01", &[])
        );
        assert!(problem(&twice).contains("listed twice"));

        let overlapping = format!(
            "{}[[schedule.holiday]]\nname_zh = \"另一节\"\nname_en = \"Other\"\nfirst_day = \"2026-05-03\"\nlast_day = \"2026-05-03\"\n",
            one_holiday(2026, "2026-05-01", "2026-05-05", &[])
        );
        let overlap = problem(&overlapping);
        assert!(overlap.contains("2026-05-03 is listed twice"), "{overlap}");
        assert!(overlap.contains("另一节"), "{overlap}");

        assert!(matches!(
            Calendar::from_toml_str(
                "[[schedule]]\nyear = 2026\n[[schedule.holiday]]\nname_zh = \"x\"\nname_en = \"x\"\nfirst_day = \"2026-02-30\"\nlast_day = \"2026-03-01\"\n"
            ),
            Err(CalendarError::Syntax(_))
        ));
        assert!(matches!(
            Calendar::from_toml_str("[[schedule]]\nyear = 2026\ntypo = 1\n"),
            Err(CalendarError::Syntax(_))
        ));
    }

    #[test]
    fn new_year_may_start_on_31_december_of_the_previous_year() {
        // As in the 2023 schedule: 31 Dec 2022 to 2 Jan 2023.
        let c =
            Calendar::from_toml_str(&one_holiday(2023, "2022-12-31", "2023-01-02", &[])).unwrap();
        assert_eq!(c.day(d(2022, 12, 31)).kind, DayKind::Holiday);
        assert!(!c.is_working_day(d(2023, 1, 2)));
        assert!(c.day(d(2022, 12, 30)).provisional);
    }

    #[test]
    fn an_administrator_adds_a_year_and_the_file_round_trips() {
        let c = Calendar::bundled();
        let text = c.to_toml_string().unwrap();
        let again = Calendar::from_toml_str(&text).unwrap();
        assert_eq!(
            again.schedules().collect::<Vec<_>>(),
            c.schedules().collect::<Vec<_>>()
        );

        let added = c
            .with_schedule(HolidaySchedule {
                year: 2027,
                source: None,
                holidays: vec![Holiday {
                    name_zh: "元旦".into(),
                    name_en: "New Year's Day".into(),
                    first_day: d(2027, 1, 1),
                    last_day: d(2027, 1, 1),
                    make_up_working_days: vec![],
                }],
            })
            .unwrap();
        assert!(!added.day(d(2027, 1, 1)).working);
        assert!(!added.day(d(2027, 6, 1)).provisional);
        assert!(
            c.day(d(2027, 6, 1)).provisional,
            "the original is unchanged"
        );
    }
}
