//! Rosters (排班): shift definitions, who is rostered on which shift of which day, leave,
//! and swaps approved by the shift leader. [`Roster::effective`] applies approved swaps and
//! leave to give who actually works; [`check`] finds the nights nobody covers and the rules a
//! roster breaks; [`night_duty`] counts night-duty allowances from the roster and the seat
//! sign-ins.
//!
//! A roster entry's date is the local day its shift starts: the night shift 00:00–08:00 on
//! 5 March is the night from 4 to 5 March; a shift defined 22:00–06:00 on 5 March ends on
//! the morning of 6 March.

pub mod check;
pub mod night_duty;

use chrono::{DateTime, NaiveDate, NaiveDateTime, NaiveTime, TimeDelta, Utc};
use serde::{Deserialize, Serialize};

use crate::codes::coded_enum;
use crate::error::{OpsError, Result, require_text};
use crate::ids::{StaffId, SwapId};
use crate::staff::{Position, Staff};
use crate::time::{ClockTime, from_local};

pub use check::{Finding, RosterRule, Severity, check};
pub use night_duty::{NightAllowance, NightDuty, SignInInterval, night_duty_allowance};

/// A kind of shift, e.g. day 08:00–17:00. Configuration, not code.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ShiftDefinition {
    /// Stable code used in roster entries (`day`, `evening`, `night`).
    pub code: String,
    pub name_zh: String,
    pub start: ClockTime,
    /// End time; `24:00` ends at midnight, an end at or before the start crosses midnight.
    pub end: ClockTime,
    /// Unpaid break inside the shift, not counted as working time.
    #[serde(default)]
    pub break_minutes: u32,
    /// Whether this shift is night duty (值夜班): covers the nightly rule and earns the
    /// night-duty allowance.
    #[serde(default)]
    pub night: bool,
}

impl ShiftDefinition {
    /// Length from start to end, in minutes (a shift crossing midnight wraps).
    pub fn duration_minutes(&self) -> u32 {
        let (s, e) = (
            u32::from(self.start.minutes()),
            u32::from(self.end.minutes()),
        );
        if e > s { e - s } else { e + 24 * 60 - s }
    }

    /// Working time: the duration less the break.
    pub fn working_minutes(&self) -> u32 {
        self.duration_minutes().saturating_sub(self.break_minutes)
    }

    pub fn crosses_midnight(&self) -> bool {
        self.end <= self.start
    }

    /// Local start and end of this shift when rostered on `date`.
    pub fn local_interval(&self, date: NaiveDate) -> Option<(NaiveDateTime, NaiveDateTime)> {
        let start = date
            .and_time(NaiveTime::MIN)
            .checked_add_signed(TimeDelta::minutes(i64::from(self.start.minutes())))?;
        let end =
            start.checked_add_signed(TimeDelta::minutes(i64::from(self.duration_minutes())))?;
        Some((start, end))
    }

    /// The same interval as instants.
    pub fn utc_interval(&self, date: NaiveDate) -> Option<(DateTime<Utc>, DateTime<Utc>)> {
        let (s, e) = self.local_interval(date)?;
        Some((from_local(s)?, from_local(e)?))
    }

    pub fn validate(&self) -> Result<()> {
        require_text("shift.code", &self.code)?;
        require_text("shift.name_zh", &self.name_zh)?;
        if self.start == ClockTime::END_OF_DAY {
            return Err(OpsError::invalid(
                "shift.start",
                format!("shift `{}` cannot start at 24:00; use 00:00", self.code),
            ));
        }
        if self.start == self.end {
            return Err(OpsError::invalid(
                "shift.end",
                format!("shift `{}` starts and ends at {}", self.code, self.start),
            ));
        }
        if self.break_minutes >= self.duration_minutes() {
            return Err(OpsError::invalid(
                "shift.break_minutes",
                format!("shift `{}` has a break as long as the shift", self.code),
            ));
        }
        Ok(())
    }
}

/// The configured shifts of a sub-platform.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct ShiftSet(pub Vec<ShiftDefinition>);

impl ShiftSet {
    pub fn get(&self, code: &str) -> Option<&ShiftDefinition> {
        self.0.iter().find(|s| s.code == code)
    }

    pub(crate) fn require(&self, code: &str) -> Result<&ShiftDefinition> {
        self.get(code)
            .ok_or_else(|| OpsError::unknown("shift", code))
    }

    pub fn night_shifts(&self) -> impl Iterator<Item = &ShiftDefinition> {
        self.0.iter().filter(|s| s.night)
    }

    /// Each shift valid, codes unique, and at least one night shift (the contract's rule).
    pub fn validate(&self) -> Result<()> {
        for s in &self.0 {
            s.validate()?;
        }
        for (i, s) in self.0.iter().enumerate() {
            if self.0[..i].iter().any(|o| o.code == s.code) {
                return Err(OpsError::Conflict {
                    what: "shifts",
                    detail: format!("shift code `{}` is defined twice", s.code),
                });
            }
        }
        if self.night_shifts().next().is_none() {
            return Err(OpsError::invalid(
                "shifts",
                "no shift is marked as night duty; the contract needs one person every night",
            ));
        }
        Ok(())
    }
}

/// Limits a roster is checked against. Defaults and reasons are in `config/operations.toml`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RosterRules {
    /// Minimum rest between the end of one shift and the start of the next (hours).
    pub min_rest_hours: u32,
    /// Maximum working hours in a calendar week, Monday to Sunday.
    pub max_weekly_hours: u32,
    /// People required on night duty every night (the contract: one).
    pub night_staff_required: u32,
    /// Share of a rostered night a person must be signed in on a seat for it to count as
    /// worked for the allowance (0 < share ≤ 1).
    pub night_sign_in_share: f64,
    /// Whether the person on night duty must be certified (独立上机): they work alone.
    pub night_duty_requires_certified: bool,
}

impl Default for RosterRules {
    fn default() -> Self {
        RosterRules {
            min_rest_hours: 11,
            max_weekly_hours: 44,
            night_staff_required: 1,
            night_sign_in_share: 0.75,
            night_duty_requires_certified: true,
        }
    }
}

impl RosterRules {
    pub fn validate(&self) -> Result<()> {
        if !(self.night_sign_in_share > 0.0 && self.night_sign_in_share <= 1.0) {
            return Err(OpsError::invalid(
                "night_sign_in_share",
                format!("{} is not in (0, 1]", self.night_sign_in_share),
            ));
        }
        if self.max_weekly_hours == 0 || self.max_weekly_hours > 7 * 24 {
            return Err(OpsError::invalid(
                "max_weekly_hours",
                format!("{} is not in 1..=168", self.max_weekly_hours),
            ));
        }
        if self.min_rest_hours > 48 {
            return Err(OpsError::invalid(
                "min_rest_hours",
                format!("{} is more than 48", self.min_rest_hours),
            ));
        }
        Ok(())
    }
}

/// One person rostered on one shift on one day.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct RosterEntry {
    pub staff_id: StaffId,
    /// Local day the shift starts.
    pub date: NaiveDate,
    /// Shift code from the [`ShiftSet`].
    pub shift: String,
}

coded_enum! {
    /// Kinds of leave (假期).
    pub enum LeaveKind {
        Annual => ("annual", "年休假"),
        Sick => ("sick", "病假"),
        Personal => ("personal", "事假"),
        Compensatory => ("compensatory", "调休"),
        Marriage => ("marriage", "婚假"),
        Maternity => ("maternity", "产假"),
        Paternity => ("paternity", "陪产假"),
        Bereavement => ("bereavement", "丧假"),
        Other => ("other", "其他"),
    }
}

/// Approved leave; a shift that starts on a leave day is not worked.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Leave {
    pub staff_id: StaffId,
    pub first_day: NaiveDate,
    pub last_day: NaiveDate,
    pub kind: LeaveKind,
    #[serde(default)]
    pub note: Option<String>,
}

impl Leave {
    pub fn covers(&self, day: NaiveDate) -> bool {
        self.first_day <= day && day <= self.last_day
    }

    pub fn validate(&self) -> Result<()> {
        if self.last_day < self.first_day {
            return Err(OpsError::end_before_start(
                "leave",
                self.first_day,
                self.last_day,
            ));
        }
        Ok(())
    }
}

/// The shift the taker gives back in an exchange (换班): the requester works it instead.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReturnShift {
    pub date: NaiveDate,
    pub shift: String,
}

/// Where a swap request stands. Only approved swaps change who works.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "status", rename_all = "snake_case")]
pub enum SwapStatus {
    Requested,
    Approved {
        by: StaffId,
        at: DateTime<Utc>,
    },
    Rejected {
        by: StaffId,
        at: DateTime<Utc>,
        reason: String,
    },
}

impl SwapStatus {
    pub fn code(&self) -> &'static str {
        match self {
            SwapStatus::Requested => "requested",
            SwapStatus::Approved { .. } => "approved",
            SwapStatus::Rejected { .. } => "rejected",
        }
    }

    pub fn label_zh(&self) -> &'static str {
        match self {
            SwapStatus::Requested => "待审批",
            SwapStatus::Approved { .. } => "已批准",
            SwapStatus::Rejected { .. } => "已驳回",
        }
    }
}

/// A swap: `to_staff` works `from_staff`'s shift on `date` (顶班); with `in_return`,
/// `from_staff` works `to_staff`'s shift on that other day (换班).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ShiftSwap {
    pub id: SwapId,
    pub date: NaiveDate,
    pub shift: String,
    pub from_staff: StaffId,
    pub to_staff: StaffId,
    #[serde(default)]
    pub in_return: Option<ReturnShift>,
    pub status: SwapStatus,
}

/// A shift as it is actually to be worked, after swaps and leave.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WorkedShift {
    pub staff_id: StaffId,
    pub date: NaiveDate,
    pub shift: String,
    /// The swap that put this person on this shift, if any.
    pub via_swap: Option<SwapId>,
    /// The person is on leave that day: the shift is listed but not worked.
    pub on_leave: bool,
}

/// The roster after approved swaps and leave.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EffectiveRoster {
    pub shifts: Vec<WorkedShift>,
    /// Approved swaps whose shift was no longer on the roster (e.g. the entry was removed).
    pub unapplied_swaps: Vec<SwapId>,
}

impl EffectiveRoster {
    /// Shifts that will be worked (not on leave).
    pub fn working(&self) -> impl Iterator<Item = &WorkedShift> {
        self.shifts.iter().filter(|s| !s.on_leave)
    }
}

/// A sub-platform's roster: the planned entries, leave and swap requests.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Roster {
    pub entries: Vec<RosterEntry>,
    #[serde(default)]
    pub leaves: Vec<Leave>,
    #[serde(default)]
    pub swaps: Vec<ShiftSwap>,
}

impl Roster {
    /// Adds an entry; refuses an unknown shift or one overlapping another shift of the same
    /// person (planned or after swaps).
    pub fn add_entry(&mut self, entry: RosterEntry, shifts: &ShiftSet) -> Result<()> {
        let def = shifts.require(&entry.shift)?;
        let interval = def
            .local_interval(entry.date)
            .ok_or_else(|| crate::time::out_of_range("date"))?;
        // Shifts gained through approved swaps only matter if this person took part in one;
        // skipping the replay otherwise keeps bulk entry linear per entry.
        let swapped = self.swaps.iter().any(|s| {
            matches!(s.status, SwapStatus::Approved { .. })
                && (s.from_staff == entry.staff_id || s.to_staff == entry.staff_id)
        });
        let effective = if swapped {
            self.effective()
        } else {
            EffectiveRoster {
                shifts: Vec::new(),
                unapplied_swaps: Vec::new(),
            }
        };
        let planned = self.entries.iter().map(|e| (e.staff_id, e.date, &e.shift));
        let worked = effective
            .shifts
            .iter()
            .map(|w| (w.staff_id, w.date, &w.shift));
        for (staff_id, date, code) in planned.chain(worked) {
            if staff_id != entry.staff_id {
                continue;
            }
            if let Some(other) = shifts.get(code).and_then(|d| d.local_interval(date))
                && overlaps(interval, other)
            {
                return Err(OpsError::OverlappingShifts {
                    staff_id,
                    date: entry.date,
                    shift: entry.shift.clone(),
                    other_date: date,
                    other_shift: code.clone(),
                });
            }
        }
        self.entries.push(entry);
        Ok(())
    }

    /// Removes an entry; refused while an approved swap depends on it.
    pub fn remove_entry(&mut self, staff_id: StaffId, date: NaiveDate, shift: &str) -> Result<()> {
        let pos = self
            .entries
            .iter()
            .position(|e| e.staff_id == staff_id && e.date == date && e.shift == shift)
            .ok_or_else(|| {
                OpsError::unknown("roster entry", format!("{staff_id} {date} {shift}"))
            })?;
        let depends = self.swaps.iter().any(|s| {
            matches!(s.status, SwapStatus::Approved { .. })
                && ((s.from_staff == staff_id && s.date == date && s.shift == shift)
                    || (s.to_staff == staff_id
                        && s.in_return
                            .as_ref()
                            .is_some_and(|r| r.date == date && r.shift == shift)))
        });
        if depends {
            return Err(OpsError::Conflict {
                what: "roster entry",
                detail: format!("an approved swap uses {staff_id}'s `{shift}` on {date}"),
            });
        }
        self.entries.remove(pos);
        Ok(())
    }

    /// Records leave; refuses leave that overlaps other leave of the same person.
    pub fn add_leave(&mut self, leave: Leave) -> Result<()> {
        leave.validate()?;
        if let Some(other) = self.leaves.iter().find(|l| {
            l.staff_id == leave.staff_id
                && l.first_day <= leave.last_day
                && leave.first_day <= l.last_day
        }) {
            return Err(OpsError::Conflict {
                what: "leave",
                detail: format!(
                    "staff {} already has leave {}–{}",
                    leave.staff_id, other.first_day, other.last_day
                ),
            });
        }
        self.leaves.push(leave);
        Ok(())
    }

    /// Files a swap request. The shifts it names must be on the roster of the people named.
    pub fn request_swap(&mut self, swap: ShiftSwap, shifts: &ShiftSet) -> Result<()> {
        if swap.status != SwapStatus::Requested {
            return Err(OpsError::invalid(
                "swap.status",
                "a new swap must be `requested`",
            ));
        }
        if swap.from_staff == swap.to_staff {
            return Err(OpsError::invalid(
                "swap.to_staff",
                "cannot swap with oneself",
            ));
        }
        if self.swaps.iter().any(|s| s.id == swap.id) {
            return Err(OpsError::Conflict {
                what: "swap",
                detail: format!("swap {} already exists", swap.id),
            });
        }
        shifts.require(&swap.shift)?;
        let effective = self.effective();
        let works = |staff: StaffId, date: NaiveDate, shift: &str| {
            effective
                .shifts
                .iter()
                .any(|w| w.staff_id == staff && w.date == date && w.shift == shift)
        };
        if !works(swap.from_staff, swap.date, &swap.shift) {
            return Err(OpsError::unknown(
                "roster entry",
                format!("{} {} {}", swap.from_staff, swap.date, swap.shift),
            ));
        }
        if let Some(r) = &swap.in_return {
            shifts.require(&r.shift)?;
            if !works(swap.to_staff, r.date, &r.shift) {
                return Err(OpsError::unknown(
                    "roster entry",
                    format!("{} {} {}", swap.to_staff, r.date, r.shift),
                ));
            }
        }
        self.swaps.push(swap);
        Ok(())
    }

    fn pending_swap_index(&self, id: SwapId, approver: &Staff) -> Result<usize> {
        let index = self
            .swaps
            .iter()
            .position(|s| s.id == id)
            .ok_or_else(|| OpsError::unknown("swap", id.to_string()))?;
        let swap = &self.swaps[index];
        if swap.status != SwapStatus::Requested {
            return Err(OpsError::IllegalTransition {
                entity: "swap",
                id: id.0,
                state: swap.status.code(),
                action: "decide",
            });
        }
        // The shift leader approves swaps; a manager may stand in (e.g. when the shift
        // leader is a party to the swap). Nobody decides their own swap.
        if !matches!(approver.position, Position::ShiftLeader | Position::Manager) {
            return Err(OpsError::invalid(
                "approver",
                format!(
                    "{} is {}, not a shift leader",
                    approver.name,
                    approver.position.label_zh()
                ),
            ));
        }
        if approver.id == swap.from_staff || approver.id == swap.to_staff {
            return Err(OpsError::invalid(
                "approver",
                "a party to the swap cannot approve it",
            ));
        }
        Ok(index)
    }

    /// Approves a requested swap. Refused if, after it, either person would work two
    /// overlapping shifts.
    pub fn approve_swap(
        &mut self,
        id: SwapId,
        approver: &Staff,
        at: DateTime<Utc>,
        shifts: &ShiftSet,
    ) -> Result<()> {
        let index = self.pending_swap_index(id, approver)?;
        let mut next = self.clone();
        next.swaps[index].status = SwapStatus::Approved {
            by: approver.id,
            at,
        };
        let swap = &next.swaps[index];
        let effective = next.effective();
        if effective.unapplied_swaps.contains(&id) {
            return Err(OpsError::Conflict {
                what: "swap",
                detail: format!("the shift of swap {id} is no longer on the roster"),
            });
        }
        for person in [swap.from_staff, swap.to_staff] {
            if let Some(f) = check::overlaps_of(&effective, shifts, person)
                .into_iter()
                .next()
            {
                return Err(f);
            }
        }
        *self = next;
        Ok(())
    }

    pub fn reject_swap(
        &mut self,
        id: SwapId,
        approver: &Staff,
        at: DateTime<Utc>,
        reason: &str,
    ) -> Result<()> {
        require_text("reason", reason)?;
        let index = self.pending_swap_index(id, approver)?;
        self.swaps[index].status = SwapStatus::Rejected {
            by: approver.id,
            at,
            reason: reason.trim().to_string(),
        };
        Ok(())
    }

    /// Who works what: planned entries with approved swaps applied in the order they were
    /// approved (so a shift swapped twice ends with the last taker), leave marked.
    pub fn effective(&self) -> EffectiveRoster {
        let mut worked: Vec<WorkedShift> = self
            .entries
            .iter()
            .map(|e| WorkedShift {
                staff_id: e.staff_id,
                date: e.date,
                shift: e.shift.clone(),
                via_swap: None,
                on_leave: false,
            })
            .collect();
        let mut approved: Vec<(&DateTime<Utc>, &ShiftSwap)> = self
            .swaps
            .iter()
            .filter_map(|s| match &s.status {
                SwapStatus::Approved { at, .. } => Some((at, s)),
                _ => None,
            })
            .collect();
        approved.sort_by_key(|(at, s)| (**at, s.id));
        let mut unapplied = Vec::new();
        for (_, swap) in approved {
            let first = worked.iter().position(|w| {
                w.staff_id == swap.from_staff && w.date == swap.date && w.shift == swap.shift
            });
            let second = match &swap.in_return {
                None => None,
                Some(r) => match worked.iter().position(|w| {
                    w.staff_id == swap.to_staff && w.date == r.date && w.shift == r.shift
                }) {
                    Some(i) => Some(i),
                    None => {
                        unapplied.push(swap.id);
                        continue;
                    }
                },
            };
            let Some(first) = first else {
                unapplied.push(swap.id);
                continue;
            };
            worked[first].staff_id = swap.to_staff;
            worked[first].via_swap = Some(swap.id);
            if let Some(second) = second {
                worked[second].staff_id = swap.from_staff;
                worked[second].via_swap = Some(swap.id);
            }
        }
        for w in &mut worked {
            w.on_leave = self
                .leaves
                .iter()
                .any(|l| l.staff_id == w.staff_id && l.covers(w.date));
        }
        worked.sort_by(|a, b| (a.date, a.staff_id, &a.shift).cmp(&(b.date, b.staff_id, &b.shift)));
        EffectiveRoster {
            shifts: worked,
            unapplied_swaps: unapplied,
        }
    }
}

/// Half-open intervals `[a.0, a.1)` and `[b.0, b.1)` share time.
pub(crate) fn overlaps<T: Ord>(a: (T, T), b: (T, T)) -> bool {
    a.0 < b.1 && b.0 < a.1
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::config::OperationsConfig;

    pub fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    pub fn shifts() -> ShiftSet {
        OperationsConfig::baisha_default().unwrap().roster.shifts
    }

    pub fn entry(staff: i64, date: NaiveDate, shift: &str) -> RosterEntry {
        RosterEntry {
            staff_id: StaffId(staff),
            date,
            shift: shift.into(),
        }
    }

    pub fn leader(id: i64) -> Staff {
        Staff::hire(StaffId(id), "班长", Position::ShiftLeader, d(2024, 1, 1)).unwrap()
    }

    pub fn at(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().to_utc()
    }

    #[test]
    fn default_shifts_match_the_issue() {
        let s = shifts();
        let day = s.get("day").unwrap();
        assert_eq!(
            (day.start.to_string(), day.end.to_string()),
            ("08:00".into(), "17:00".into())
        );
        assert_eq!((day.duration_minutes(), day.working_minutes()), (540, 480));
        let evening = s.get("evening").unwrap();
        assert_eq!(evening.duration_minutes(), 420);
        assert!(!evening.crosses_midnight());
        let night = s.get("night").unwrap();
        assert!(night.night && night.duration_minutes() == 480);
        let (start, end) = night.utc_interval(d(2025, 3, 5)).unwrap();
        assert_eq!(start, at("2025-03-04T16:00:00Z"));
        assert_eq!(end, at("2025-03-05T00:00:00Z"));
    }

    #[test]
    fn a_shift_crossing_midnight_ends_the_next_day() {
        let late = ShiftDefinition {
            code: "late".into(),
            name_zh: "大夜班".into(),
            start: "22:00".parse().unwrap(),
            end: "06:00".parse().unwrap(),
            break_minutes: 0,
            night: true,
        };
        late.validate().unwrap();
        assert!(late.crosses_midnight());
        assert_eq!(late.duration_minutes(), 480);
        let (s, e) = late.local_interval(d(2025, 12, 31)).unwrap();
        assert_eq!(s.to_string(), "2025-12-31 22:00:00");
        assert_eq!(e.to_string(), "2026-01-01 06:00:00");
        let mut same = late.clone();
        same.end = same.start;
        assert!(same.validate().is_err());
    }

    #[test]
    fn overlapping_shifts_for_one_person_are_refused_with_both_named() {
        let s = shifts();
        let mut r = Roster::default();
        r.add_entry(entry(1, d(2025, 3, 5), "evening"), &s).unwrap();
        // another person on the same shift is fine
        r.add_entry(entry(2, d(2025, 3, 5), "evening"), &s).unwrap();
        // the same shift twice overlaps itself
        let err = r
            .add_entry(entry(1, d(2025, 3, 5), "evening"), &s)
            .unwrap_err();
        assert_eq!(err.code(), "overlapping_shifts");
        // a crossing-midnight shift on the 5th overlaps the next morning's shift
        let mut s2 = s.clone();
        s2.0.push(ShiftDefinition {
            code: "late".into(),
            name_zh: "大夜班".into(),
            start: "22:00".parse().unwrap(),
            end: "06:00".parse().unwrap(),
            break_minutes: 0,
            night: true,
        });
        r.add_entry(entry(3, d(2025, 3, 5), "late"), &s2).unwrap();
        let err = r
            .add_entry(entry(3, d(2025, 3, 6), "night"), &s2)
            .unwrap_err();
        assert_eq!(
            err,
            OpsError::OverlappingShifts {
                staff_id: StaffId(3),
                date: d(2025, 3, 6),
                shift: "night".into(),
                other_date: d(2025, 3, 5),
                other_shift: "late".into(),
            }
        );
        assert!(err.to_string().contains("overlaps"));
        // evening then the next night touch at midnight but do not overlap
        r.add_entry(entry(1, d(2025, 3, 6), "night"), &s).unwrap();
        assert_eq!(
            r.add_entry(entry(1, d(2025, 3, 6), "nope"), &s)
                .unwrap_err()
                .code(),
            "unknown_reference"
        );
    }

    #[test]
    fn swap_needs_a_shift_leader_and_changes_who_works() {
        let s = shifts();
        let mut r = Roster::default();
        r.add_entry(entry(1, d(2025, 3, 5), "night"), &s).unwrap();
        r.add_entry(entry(2, d(2025, 3, 7), "night"), &s).unwrap();
        let swap = ShiftSwap {
            id: SwapId(1),
            date: d(2025, 3, 5),
            shift: "night".into(),
            from_staff: StaffId(1),
            to_staff: StaffId(2),
            in_return: Some(ReturnShift {
                date: d(2025, 3, 7),
                shift: "night".into(),
            }),
            status: SwapStatus::Requested,
        };
        r.request_swap(swap.clone(), &s).unwrap();
        // a requested swap changes nothing
        let before = r.effective();
        assert_eq!(before.shifts[0].staff_id, StaffId(1));
        // an agent cannot approve
        let agent = Staff::hire(StaffId(9), "甲", Position::Agent, d(2024, 1, 1)).unwrap();
        assert!(
            r.approve_swap(SwapId(1), &agent, at("2025-03-01T02:00:00Z"), &s)
                .is_err()
        );
        r.approve_swap(SwapId(1), &leader(10), at("2025-03-01T02:00:00Z"), &s)
            .unwrap();
        let after = r.effective();
        let who: Vec<(NaiveDate, i64)> = after
            .shifts
            .iter()
            .map(|w| (w.date, w.staff_id.0))
            .collect();
        assert_eq!(who, vec![(d(2025, 3, 5), 2), (d(2025, 3, 7), 1)]);
        assert!(after.shifts.iter().all(|w| w.via_swap == Some(SwapId(1))));
        // the night person 2 took over blocks another shift at that time
        let err = r
            .add_entry(entry(2, d(2025, 3, 5), "night"), &s)
            .unwrap_err();
        assert_eq!(err.code(), "overlapping_shifts");
        r.add_entry(entry(2, d(2025, 3, 4), "evening"), &s).unwrap();
        // deciding twice is a conflict naming the state
        let err = r
            .approve_swap(SwapId(1), &leader(10), at("2025-03-01T03:00:00Z"), &s)
            .unwrap_err();
        assert_eq!(err.code(), "illegal_transition");
        assert!(err.to_string().contains("approved"));
        // the planned entry a swap relies on cannot be removed
        assert_eq!(
            r.remove_entry(StaffId(1), d(2025, 3, 5), "night")
                .unwrap_err()
                .code(),
            "conflict"
        );
    }

    #[test]
    fn swap_that_would_overlap_is_refused() {
        let s = shifts();
        let mut r = Roster::default();
        r.add_entry(entry(1, d(2025, 3, 5), "evening"), &s).unwrap();
        r.add_entry(entry(2, d(2025, 3, 5), "evening"), &s).unwrap();
        r.request_swap(
            ShiftSwap {
                id: SwapId(1),
                date: d(2025, 3, 5),
                shift: "evening".into(),
                from_staff: StaffId(1),
                to_staff: StaffId(2),
                in_return: None,
                status: SwapStatus::Requested,
            },
            &s,
        )
        .unwrap();
        let err = r
            .approve_swap(SwapId(1), &leader(10), at("2025-03-01T00:00:00Z"), &s)
            .unwrap_err();
        assert_eq!(err.code(), "overlapping_shifts");
        assert_eq!(
            r.swaps[0].status,
            SwapStatus::Requested,
            "nothing half-saved"
        );
        r.reject_swap(
            SwapId(1),
            &leader(10),
            at("2025-03-01T00:00:00Z"),
            "两人同班",
        )
        .unwrap();
        assert_eq!(r.swaps[0].status.code(), "rejected");
    }

    #[test]
    fn leave_is_validated_and_marks_shifts_not_worked() {
        let s = shifts();
        let mut r = Roster::default();
        r.add_entry(entry(1, d(2025, 3, 5), "day"), &s).unwrap();
        let bad = Leave {
            staff_id: StaffId(1),
            first_day: d(2025, 3, 6),
            last_day: d(2025, 3, 5),
            kind: LeaveKind::Sick,
            note: None,
        };
        assert_eq!(r.add_leave(bad).unwrap_err().code(), "end_before_start");
        let leave = Leave {
            staff_id: StaffId(1),
            first_day: d(2025, 3, 5),
            last_day: d(2025, 3, 6),
            kind: LeaveKind::Sick,
            note: None,
        };
        r.add_leave(leave.clone()).unwrap();
        assert_eq!(r.add_leave(leave).unwrap_err().code(), "conflict");
        let eff = r.effective();
        assert!(eff.shifts[0].on_leave);
        assert_eq!(eff.working().count(), 0);
    }
}
