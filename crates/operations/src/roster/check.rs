//! Roster checks: every finding names the day, the person (when there is one) and the rule.
//! The contract's night rule (one person on duty every night, 365 nights a year) is checked
//! night by night, so exactly the uncovered nights are flagged.

use std::collections::{BTreeSet, HashMap};

use chrono::{Datelike, Days, NaiveDate, NaiveDateTime, TimeDelta};
use serde::{Deserialize, Serialize};

use super::{EffectiveRoster, Roster, RosterRules, ShiftSet};
use crate::codes::coded_enum;
use crate::error::{OpsError, Result};
use crate::ids::StaffId;
use crate::staff::Staff;
use crate::time::DateRange;

coded_enum! {
    /// The rule a finding is about.
    pub enum RosterRule {
        /// Fewer people on night duty than required (the contract: one every night).
        NightUncovered => ("night_uncovered", "夜班无人值守"),
        /// One person on two shifts at the same time.
        OverlappingShifts => ("overlapping_shifts", "班次时间重叠"),
        /// Less rest than the minimum between two shifts of one person.
        InsufficientRest => ("insufficient_rest", "班次间休息不足"),
        /// More working hours in a Monday–Sunday week than the maximum.
        WeeklyHoursExceeded => ("weekly_hours_exceeded", "周工时超标"),
        /// Rostered on a day of approved leave (the shift will not be worked).
        RosteredOnLeave => ("rostered_on_leave", "休假期间排班"),
        /// Rostered on a day they are not employed.
        NotOnStaff => ("not_on_staff", "非在职人员排班"),
        /// On night duty, alone, without being certified to work a seat independently.
        NightNotCertified => ("night_not_certified", "值夜班人员未独立上机"),
        UnknownShift => ("unknown_shift", "未定义的班次"),
        UnknownStaff => ("unknown_staff", "未登记的人员"),
        /// An approved swap whose shift is no longer on the roster.
        SwapNotApplicable => ("swap_not_applicable", "换班无法执行"),
    }
}

coded_enum! {
    pub enum Severity {
        /// Breaks the contract or the law: must be fixed.
        Error => ("error", "错误"),
        /// Worth a look; the roster still works.
        Warning => ("warning", "提醒"),
    }
}

/// One problem in a roster.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Finding {
    /// The night, the shift's day, or the Monday of the week.
    pub date: NaiveDate,
    pub staff_id: Option<StaffId>,
    pub rule: RosterRule,
    pub severity: Severity,
    /// Human-readable detail for the manager (Chinese).
    pub detail: String,
}

/// One worked shift of one person on the timeline.
struct Slot<'a> {
    start: NaiveDateTime,
    end: NaiveDateTime,
    date: NaiveDate,
    shift: &'a str,
}

/// Each person's worked shifts (not on leave, known shift codes), sorted by start.
fn timelines<'a>(
    effective: &'a EffectiveRoster,
    shifts: &ShiftSet,
) -> HashMap<StaffId, Vec<Slot<'a>>> {
    let mut map: HashMap<StaffId, Vec<Slot<'a>>> = HashMap::new();
    for w in effective.working() {
        if let Some((start, end)) = shifts.get(&w.shift).and_then(|d| d.local_interval(w.date)) {
            map.entry(w.staff_id).or_default().push(Slot {
                start,
                end,
                date: w.date,
                shift: &w.shift,
            });
        }
    }
    for slots in map.values_mut() {
        slots.sort_by(|a, b| (a.start, a.end, a.shift).cmp(&(b.start, b.end, b.shift)));
    }
    map
}

/// Walks one person's sorted shifts, comparing each with the latest-ending earlier shift.
/// Calls `on_pair(earlier, later, gap)`; a negative gap is an overlap.
fn walk_pairs<'a>(slots: &'a [Slot<'a>], mut on_pair: impl FnMut(&Slot<'a>, &Slot<'a>, TimeDelta)) {
    let mut latest: Option<&Slot> = None;
    for slot in slots {
        if let Some(prev) = latest {
            on_pair(prev, slot, slot.start - prev.end);
            if slot.end > prev.end {
                latest = Some(slot);
            }
        } else {
            latest = Some(slot);
        }
    }
}

/// Overlaps in one person's effective shifts, as errors (used when approving a swap).
pub(crate) fn overlaps_of(
    effective: &EffectiveRoster,
    shifts: &ShiftSet,
    person: StaffId,
) -> Vec<OpsError> {
    let lines = timelines(effective, shifts);
    let mut errors = Vec::new();
    if let Some(slots) = lines.get(&person) {
        walk_pairs(slots, |prev, next, gap| {
            if gap < TimeDelta::zero() {
                errors.push(OpsError::OverlappingShifts {
                    staff_id: person,
                    date: next.date,
                    shift: next.shift.to_string(),
                    other_date: prev.date,
                    other_shift: prev.shift.to_string(),
                });
            }
        });
    }
    errors
}

fn monday_of(day: NaiveDate) -> Option<NaiveDate> {
    day.checked_sub_days(Days::new(u64::from(day.weekday().num_days_from_monday())))
}

fn hours_text(d: TimeDelta) -> String {
    let minutes = d.num_minutes();
    format!("{}小时{:02}分", minutes / 60, minutes % 60)
}

/// Checks the roster for the days of `range`, against the rules and the staff records.
/// Findings are sorted by date, person and rule. Weekly hours are checked for every week
/// that touches the range; rest and overlap use shifts just outside the range too.
pub fn check(
    roster: &Roster,
    shifts: &ShiftSet,
    rules: &RosterRules,
    staff: &[Staff],
    range: DateRange,
) -> Result<Vec<Finding>> {
    range.ensure_walkable()?;
    let effective = roster.effective();
    let people: HashMap<StaffId, &Staff> = staff.iter().map(|s| (s.id, s)).collect();
    let mut findings = Vec::new();
    let mut push = |date, staff_id, rule: RosterRule, severity, detail: String| {
        findings.push(Finding {
            date,
            staff_id,
            rule,
            severity,
            detail,
        });
    };

    for id in &effective.unapplied_swaps {
        if let Some(swap) = roster.swaps.iter().find(|s| s.id == *id)
            && range.contains(swap.date)
        {
            push(
                swap.date,
                Some(swap.from_staff),
                RosterRule::SwapNotApplicable,
                Severity::Error,
                format!("已批准的换班 {id} 对应的班次已不在排班表中"),
            );
        }
    }

    // Per-shift rules, and who covers each night.
    let mut night_cover: HashMap<NaiveDate, BTreeSet<StaffId>> = HashMap::new();
    for w in effective.shifts.iter().filter(|w| range.contains(w.date)) {
        let Some(def) = shifts.get(&w.shift) else {
            push(
                w.date,
                Some(w.staff_id),
                RosterRule::UnknownShift,
                Severity::Error,
                format!("班次代码 `{}` 未定义", w.shift),
            );
            continue;
        };
        if w.on_leave {
            push(
                w.date,
                Some(w.staff_id),
                RosterRule::RosteredOnLeave,
                Severity::Warning,
                format!("{}当天休假，该班次不计出勤", def.name_zh),
            );
            continue;
        }
        let Some(person) = people.get(&w.staff_id) else {
            push(
                w.date,
                Some(w.staff_id),
                RosterRule::UnknownStaff,
                Severity::Error,
                format!("人员 {} 不在人员名册中", w.staff_id),
            );
            continue;
        };
        if !person.is_on_staff(w.date) {
            push(
                w.date,
                Some(w.staff_id),
                RosterRule::NotOnStaff,
                Severity::Error,
                format!("{}当天不在职，不能排{}", person.name, def.name_zh),
            );
            continue;
        }
        if def.night {
            if rules.night_duty_requires_certified && !person.is_certified_on(w.date) {
                push(
                    w.date,
                    Some(w.staff_id),
                    RosterRule::NightNotCertified,
                    Severity::Error,
                    format!("{}尚未独立上机，不能单独值夜班", person.name),
                );
            }
            night_cover.entry(w.date).or_default().insert(w.staff_id);
        }
    }
    for night in range.days() {
        let on_duty = night_cover.get(&night).map_or(0, BTreeSet::len) as u32;
        if on_duty < rules.night_staff_required {
            push(
                night,
                None,
                RosterRule::NightUncovered,
                Severity::Error,
                format!("夜班在岗{on_duty}人，需要{}人", rules.night_staff_required),
            );
        }
    }

    // Rest and overlap, person by person.
    let min_rest = TimeDelta::hours(i64::from(rules.min_rest_hours));
    for (person, slots) in timelines(&effective, shifts) {
        walk_pairs(&slots, |prev, next, gap| {
            if !range.contains(next.date) {
                return;
            }
            if gap < TimeDelta::zero() {
                push(
                    next.date,
                    Some(person),
                    RosterRule::OverlappingShifts,
                    Severity::Error,
                    format!(
                        "{} `{}` 与 {} `{}` 时间重叠",
                        next.date, next.shift, prev.date, prev.shift
                    ),
                );
            } else if gap < min_rest {
                push(
                    next.date,
                    Some(person),
                    RosterRule::InsufficientRest,
                    Severity::Error,
                    format!(
                        "{} `{}` 结束后仅休息{}，少于{}小时",
                        prev.date,
                        prev.shift,
                        hours_text(gap),
                        rules.min_rest_hours
                    ),
                );
            }
        });
    }

    // Weekly hours: a shift counts in the week of the day it starts.
    let mut weekly: HashMap<(StaffId, NaiveDate), u64> = HashMap::new();
    for w in effective.working() {
        if let (Some(def), Some(monday)) = (shifts.get(&w.shift), monday_of(w.date)) {
            *weekly.entry((w.staff_id, monday)).or_default() += u64::from(def.working_minutes());
        }
    }
    let max_minutes = u64::from(rules.max_weekly_hours) * 60;
    for ((person, monday), minutes) in weekly {
        let touches = monday < range.to
            && monday
                .checked_add_days(Days::new(7))
                .is_none_or(|end| end > range.from);
        if touches && minutes > max_minutes {
            push(
                monday,
                Some(person),
                RosterRule::WeeklyHoursExceeded,
                Severity::Error,
                format!(
                    "{monday}起一周工作{}，超过{}小时",
                    hours_text(TimeDelta::minutes(minutes as i64)),
                    rules.max_weekly_hours
                ),
            );
        }
    }

    findings.sort_by_key(|a| (a.date, a.staff_id, a.rule));
    Ok(findings)
}

#[cfg(test)]
mod tests {
    use super::super::tests::{d, entry, shifts};
    use super::*;
    use crate::ids::SwapId;
    use crate::roster::{Leave, LeaveKind, RosterEntry, ShiftSwap, SwapStatus};
    use crate::staff::Position;
    use proptest::prelude::*;

    fn certified(id: i64) -> Staff {
        let mut s = Staff::hire(
            StaffId(id),
            &format!("员工{id}"),
            Position::Agent,
            d(2024, 1, 1),
        )
        .unwrap();
        s.certify(d(2024, 2, 1)).unwrap();
        s
    }

    fn team() -> Vec<Staff> {
        (1..=13).map(certified).collect()
    }

    /// A March roster where the night duty rotates through people 1..=7, one night each,
    /// so nobody breaks rest or weekly rules; `skip` nights are left empty.
    fn march_nights(skip: &[u32]) -> Roster {
        let s = shifts();
        let mut r = Roster::default();
        for day in 1..=31 {
            if skip.contains(&day) {
                continue;
            }
            let who = i64::from(day % 7) + 1;
            r.add_entry(entry(who, d(2025, 3, day), "night"), &s)
                .unwrap();
        }
        r
    }

    fn march() -> DateRange {
        DateRange::new(d(2025, 3, 1), d(2025, 4, 1)).unwrap()
    }

    #[test]
    fn a_month_missing_one_night_is_flagged_on_exactly_that_night() {
        let r = march_nights(&[17]);
        let f = check(&r, &shifts(), &RosterRules::default(), &team(), march()).unwrap();
        assert_eq!(f.len(), 1, "{f:?}");
        assert_eq!(f[0].date, d(2025, 3, 17));
        assert_eq!(f[0].rule, RosterRule::NightUncovered);
        assert_eq!(f[0].staff_id, None);
        let full = march_nights(&[]);
        assert!(
            check(&full, &shifts(), &RosterRules::default(), &team(), march())
                .unwrap()
                .is_empty()
        );
    }

    #[test]
    fn leave_and_departures_uncover_a_night() {
        let s = shifts();
        let mut r = march_nights(&[]);
        // person 4 (nights of 3, 10, 17, 24, 31) is on leave on the 10th
        r.add_leave(Leave {
            staff_id: StaffId(4),
            first_day: d(2025, 3, 10),
            last_day: d(2025, 3, 10),
            kind: LeaveKind::Annual,
            note: None,
        })
        .unwrap();
        let mut staff = team();
        // person 5 (nights of 4, 11, 18, 25) leaves on 20 March
        staff[4]
            .leave(d(2025, 3, 20), crate::staff::LeaveReason::Resigned)
            .unwrap();
        let f = check(&r, &s, &RosterRules::default(), &staff, march()).unwrap();
        let got: Vec<(u32, Option<i64>, RosterRule)> = f
            .iter()
            .map(|x| (x.date.day(), x.staff_id.map(|i| i.0), x.rule))
            .collect();
        assert_eq!(
            got,
            vec![
                (10, None, RosterRule::NightUncovered),
                (10, Some(4), RosterRule::RosteredOnLeave),
                (25, None, RosterRule::NightUncovered),
                (25, Some(5), RosterRule::NotOnStaff),
            ]
        );
    }

    #[test]
    fn uncertified_night_duty_is_an_error_but_covers_the_night() {
        let mut staff = team();
        staff[0] = Staff::hire(StaffId(1), "新人", Position::Agent, d(2025, 1, 1)).unwrap();
        let r = march_nights(&[]);
        let f = check(&r, &shifts(), &RosterRules::default(), &staff, march()).unwrap();
        // person 1 has the nights of 7, 14, 21, 28
        let days: Vec<u32> = f.iter().map(|x| x.date.day()).collect();
        assert_eq!(days, vec![7, 14, 21, 28]);
        assert!(
            f.iter()
                .all(|x| x.rule == RosterRule::NightNotCertified && x.staff_id == Some(StaffId(1)))
        );
        let relaxed = RosterRules {
            night_duty_requires_certified: false,
            ..RosterRules::default()
        };
        assert!(
            check(&r, &shifts(), &relaxed, &staff, march())
                .unwrap()
                .is_empty()
        );
    }

    #[test]
    fn rest_overlap_and_weekly_hours_by_hand() {
        let s = shifts();
        let mut r = march_nights(&[]);
        // person 9: evening Mon 3 March (17–24), day Tue 4 March (08–17): 8 h rest < 11 h
        r.add_entry(entry(9, d(2025, 3, 3), "evening"), &s).unwrap();
        r.add_entry(entry(9, d(2025, 3, 4), "day"), &s).unwrap();
        // person 10: day shifts Mon–Sat of the week of 10 March: 6 × 8 h = 48 h > 44 h
        for day in 10..=15 {
            r.add_entry(entry(10, d(2025, 3, day), "day"), &s).unwrap();
        }
        // person 11: an imported overlap (bypassing add_entry): day and a duplicate day
        r.entries.push(RosterEntry {
            staff_id: StaffId(11),
            date: d(2025, 3, 20),
            shift: "day".into(),
        });
        r.entries.push(RosterEntry {
            staff_id: StaffId(11),
            date: d(2025, 3, 20),
            shift: "day".into(),
        });
        let f = check(&r, &s, &RosterRules::default(), &team(), march()).unwrap();
        let got: Vec<(u32, i64, RosterRule)> = f
            .iter()
            .map(|x| (x.date.day(), x.staff_id.unwrap().0, x.rule))
            .collect();
        assert_eq!(
            got,
            vec![
                (4, 9, RosterRule::InsufficientRest),
                (10, 10, RosterRule::WeeklyHoursExceeded),
                (20, 11, RosterRule::OverlappingShifts),
            ]
        );
        assert!(f[0].detail.contains("8小时00分"), "{}", f[0].detail);
        assert!(f[1].detail.contains("48小时00分"), "{}", f[1].detail);
        // with 48 h allowed and 8 h rest, those two go away
        let lenient = RosterRules {
            max_weekly_hours: 48,
            min_rest_hours: 8,
            ..RosterRules::default()
        };
        let f = check(&r, &s, &lenient, &team(), march()).unwrap();
        assert_eq!(f.len(), 1);
    }

    #[test]
    fn evening_then_night_is_zero_rest_not_an_overlap() {
        let s = shifts();
        let mut r = march_nights(&[6]);
        r.add_entry(entry(9, d(2025, 3, 5), "evening"), &s).unwrap();
        r.add_entry(entry(9, d(2025, 3, 6), "night"), &s).unwrap();
        let f = check(&r, &s, &RosterRules::default(), &team(), march()).unwrap();
        assert_eq!(f.len(), 1);
        assert_eq!(
            (f[0].date, f[0].rule),
            (d(2025, 3, 6), RosterRule::InsufficientRest)
        );
        assert!(f[0].detail.contains("0小时00分"));
    }

    #[test]
    fn unapplicable_swap_and_unknown_people_are_reported() {
        let mut r = march_nights(&[]);
        r.swaps.push(ShiftSwap {
            id: SwapId(5),
            date: d(2025, 3, 9),
            shift: "day".into(),
            from_staff: StaffId(3),
            to_staff: StaffId(4),
            in_return: None,
            status: SwapStatus::Approved {
                by: StaffId(13),
                at: chrono::DateTime::UNIX_EPOCH,
            },
        });
        r.entries.push(RosterEntry {
            staff_id: StaffId(99),
            date: d(2025, 3, 9),
            shift: "day".into(),
        });
        r.entries.push(RosterEntry {
            staff_id: StaffId(2),
            date: d(2025, 3, 9),
            shift: "brunch".into(),
        });
        let f = check(&r, &shifts(), &RosterRules::default(), &team(), march()).unwrap();
        let rules: Vec<RosterRule> = f.iter().map(|x| x.rule).collect();
        assert_eq!(
            rules,
            vec![
                RosterRule::UnknownShift,
                RosterRule::SwapNotApplicable,
                RosterRule::UnknownStaff
            ]
        );
    }

    #[test]
    fn absurd_ranges_are_refused() {
        let r = Roster::default();
        let long = DateRange::new(d(2000, 1, 1), d(2100, 1, 1)).unwrap();
        assert!(check(&r, &shifts(), &RosterRules::default(), &team(), long).is_err());
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(48))]

        /// The number of uncovered-night findings equals the number of nights in the range
        /// where fewer than the required people work a night shift, whatever else the
        /// roster contains.
        #[test]
        fn night_findings_match_nights_without_anyone(
            assignments in proptest::collection::vec((0u32..40, 1i64..6, 0usize..3), 0..80),
            required in 1u32..3,
        ) {
            let s = shifts();
            let codes = ["day", "evening", "night"];
            let mut r = Roster::default();
            for (day, who, shift) in assignments {
                let date = d(2025, 2, 20) + TimeDelta::days(i64::from(day));
                let _ = r.add_entry(entry(who, date, codes[shift]), &s);
            }
            let rules = RosterRules { night_staff_required: required, ..RosterRules::default() };
            let f = check(&r, &s, &rules, &team(), march()).unwrap();
            let mut expected = 0;
            for night in march().days() {
                let people: BTreeSet<StaffId> = r.entries.iter()
                    .filter(|e| e.date == night && e.shift == "night")
                    .map(|e| e.staff_id)
                    .collect();
                if (people.len() as u32) < required {
                    expected += 1;
                }
            }
            let flagged = f.iter().filter(|x| x.rule == RosterRule::NightUncovered).count();
            prop_assert_eq!(flagged, expected);
            // add_entry never lets an overlap in
            prop_assert!(f.iter().all(|x| x.rule != RosterRule::OverlappingShifts));
        }
    }
}
