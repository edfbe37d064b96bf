//! Night-duty allowance (夜班补贴): the contract pays one night-duty allowance for each of the
//! 365 nights. A person earns it for a night they were rostered on (after swaps and leave)
//! and actually worked, i.e. were signed in on a seat for at least the configured share of
//! the shift. Sign-in intervals from several seats are merged first so nothing counts twice.

use std::collections::{BTreeMap, BTreeSet};

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

use super::{Roster, RosterRules, ShiftSet};
use crate::error::{OpsError, Result};
use crate::ids::{StaffId, SwapId};
use crate::time::{YearMonth, out_of_range};

/// `[from, to)` in UTC.
type Interval = (DateTime<Utc>, DateTime<Utc>);

/// A period a person was signed in on a seat, `[from, to)`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SignInInterval {
    pub staff_id: StaffId,
    pub from: DateTime<Utc>,
    pub to: DateTime<Utc>,
}

/// One rostered night of one person and whether it was worked.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NightDuty {
    pub date: NaiveDate,
    pub shift: String,
    pub shift_minutes: u32,
    pub signed_in_minutes: u32,
    /// Signed in for at least the configured share: the allowance is earned.
    pub worked: bool,
    pub via_swap: Option<SwapId>,
}

/// A person's night duty in one month.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NightAllowance {
    pub staff_id: StaffId,
    pub month: YearMonth,
    /// Nights rostered (after swaps, not on leave).
    pub rostered_nights: u32,
    /// Nights rostered and worked: the allowance count.
    pub worked_nights: u32,
    pub nights: Vec<NightDuty>,
    /// Nights the person worked a night shift without being rostered on it (an unrecorded
    /// swap?): no allowance, listed so the manager can fix the roster.
    pub unrostered_nights: Vec<NaiveDate>,
}

/// Sorted, merged sign-in intervals of one person.
fn merge(mut intervals: Vec<Interval>) -> Vec<Interval> {
    intervals.sort();
    let mut merged: Vec<Interval> = Vec::with_capacity(intervals.len());
    for (from, to) in intervals {
        match merged.last_mut() {
            Some(last) if from <= last.1 => last.1 = last.1.max(to),
            _ => merged.push((from, to)),
        }
    }
    merged
}

/// Seconds of `[start, end)` covered by the merged intervals.
fn covered_seconds(merged: &[Interval], start: DateTime<Utc>, end: DateTime<Utc>) -> i64 {
    let first = merged.partition_point(|iv| iv.1 <= start);
    merged[first..]
        .iter()
        .take_while(|iv| iv.0 < end)
        .map(|iv| (iv.1.min(end) - iv.0.max(start)).num_seconds().max(0))
        .sum()
}

/// The allowance count per person for `month`, ordered by staff id. Nights belong to the
/// month of the day their shift starts.
pub fn night_duty_allowance(
    roster: &Roster,
    shifts: &ShiftSet,
    rules: &RosterRules,
    sign_ins: &[SignInInterval],
    month: YearMonth,
) -> Result<Vec<NightAllowance>> {
    rules.validate()?;
    let range = month.range()?;
    let mut by_person: BTreeMap<StaffId, Vec<Interval>> = BTreeMap::new();
    for s in sign_ins {
        if s.to < s.from {
            return Err(OpsError::end_before_start("sign-in", s.from, s.to));
        }
        by_person
            .entry(s.staff_id)
            .or_default()
            .push((s.from, s.to));
    }
    let signed: BTreeMap<StaffId, Vec<_>> =
        by_person.into_iter().map(|(k, v)| (k, merge(v))).collect();
    let no_sign_in = Vec::new();
    let counts = |staff: StaffId, minutes: u32, start, end| {
        let merged = signed.get(&staff).unwrap_or(&no_sign_in);
        let seconds = covered_seconds(merged, start, end);
        let worked = seconds as f64 >= rules.night_sign_in_share * f64::from(minutes) * 60.0;
        (u32::try_from(seconds / 60).unwrap_or(u32::MAX), worked)
    };

    let effective = roster.effective();
    let mut result: BTreeMap<StaffId, NightAllowance> = BTreeMap::new();
    let mut rostered: BTreeSet<(StaffId, NaiveDate, &str)> = BTreeSet::new();
    for w in effective.working().filter(|w| range.contains(w.date)) {
        let Some(def) = shifts.get(&w.shift).filter(|d| d.night) else {
            continue;
        };
        let (start, end) = def
            .utc_interval(w.date)
            .ok_or_else(|| out_of_range("date"))?;
        let (signed_in_minutes, worked) = counts(w.staff_id, def.duration_minutes(), start, end);
        rostered.insert((w.staff_id, w.date, &w.shift));
        let entry = result
            .entry(w.staff_id)
            .or_insert_with(|| empty(w.staff_id, month));
        entry.nights.push(NightDuty {
            date: w.date,
            shift: w.shift.clone(),
            shift_minutes: def.duration_minutes(),
            signed_in_minutes,
            worked,
            via_swap: w.via_swap,
        });
    }

    for staff_id in signed.keys() {
        let mut found = BTreeSet::new();
        for night in range.days() {
            for def in shifts.night_shifts() {
                if rostered.contains(&(*staff_id, night, def.code.as_str())) {
                    continue;
                }
                let (start, end) = def
                    .utc_interval(night)
                    .ok_or_else(|| out_of_range("date"))?;
                if counts(*staff_id, def.duration_minutes(), start, end).1 {
                    found.insert(night);
                }
            }
        }
        if !found.is_empty() {
            result
                .entry(*staff_id)
                .or_insert_with(|| empty(*staff_id, month))
                .unrostered_nights = found.into_iter().collect();
        }
    }

    Ok(result
        .into_values()
        .map(|mut a| {
            a.nights
                .sort_by(|x, y| (x.date, &x.shift).cmp(&(y.date, &y.shift)));
            let dates: BTreeSet<NaiveDate> = a.nights.iter().map(|n| n.date).collect();
            let worked: BTreeSet<NaiveDate> = a
                .nights
                .iter()
                .filter(|n| n.worked)
                .map(|n| n.date)
                .collect();
            a.rostered_nights = dates.len() as u32;
            a.worked_nights = worked.len() as u32;
            a
        })
        .collect())
}

fn empty(staff_id: StaffId, month: YearMonth) -> NightAllowance {
    NightAllowance {
        staff_id,
        month,
        rostered_nights: 0,
        worked_nights: 0,
        nights: Vec::new(),
        unrostered_nights: Vec::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::super::tests::{at, d, entry, leader, shifts};
    use super::*;
    use crate::roster::{ShiftSwap, SwapStatus};

    fn sign_in(staff: i64, from: &str, to: &str) -> SignInInterval {
        SignInInterval {
            staff_id: StaffId(staff),
            from: at(from),
            to: at(to),
        }
    }

    #[test]
    fn allowance_needs_the_roster_and_enough_sign_in() {
        let s = shifts();
        let mut r = Roster::default();
        // nights of 1, 2, 3 March 2025 for person 1; local 00:00–08:00 = 16:00–24:00 UTC the day before
        for day in 1..=3 {
            r.add_entry(entry(1, d(2025, 3, day), "night"), &s).unwrap();
        }
        let sign_ins = vec![
            // night of 1 March: whole night, on two seats with an overlap → 8 h, not 10 h
            sign_in(1, "2025-02-28T16:00:00Z", "2025-02-28T22:00:00Z"),
            sign_in(1, "2025-02-28T20:00:00Z", "2025-03-01T00:00:00Z"),
            // night of 2 March: exactly 6 h = 75 % → counts
            sign_in(1, "2025-03-01T16:00:00Z", "2025-03-01T22:00:00Z"),
            // night of 3 March: 5 h 59 min → does not
            sign_in(1, "2025-03-02T16:00:00Z", "2025-03-02T21:59:00Z"),
            // person 2 worked the night of 9 March without being rostered
            sign_in(2, "2025-03-08T16:00:00Z", "2025-03-09T00:00:00Z"),
            // person 3 worked days only
            sign_in(3, "2025-03-10T00:00:00Z", "2025-03-10T09:00:00Z"),
        ];
        let month = YearMonth::new(2025, 3).unwrap();
        let a = night_duty_allowance(&r, &s, &RosterRules::default(), &sign_ins, month).unwrap();
        assert_eq!(a.len(), 2, "person 3 has nothing at night: {a:?}");
        let p1 = &a[0];
        assert_eq!((p1.rostered_nights, p1.worked_nights), (3, 2));
        let minutes: Vec<u32> = p1.nights.iter().map(|n| n.signed_in_minutes).collect();
        assert_eq!(minutes, vec![480, 360, 359]);
        let p2 = &a[1];
        assert_eq!((p2.rostered_nights, p2.worked_nights), (0, 0));
        assert_eq!(p2.unrostered_nights, vec![d(2025, 3, 9)]);
        // a stricter share drops the 6 h night
        let strict = RosterRules {
            night_sign_in_share: 0.9,
            ..RosterRules::default()
        };
        let a = night_duty_allowance(&r, &s, &strict, &sign_ins, month).unwrap();
        assert_eq!(a[0].worked_nights, 1);
    }

    #[test]
    fn a_swapped_night_earns_the_taker_the_allowance() {
        let s = shifts();
        let mut r = Roster::default();
        r.add_entry(entry(1, d(2025, 3, 31), "night"), &s).unwrap();
        r.request_swap(
            ShiftSwap {
                id: SwapId(1),
                date: d(2025, 3, 31),
                shift: "night".into(),
                from_staff: StaffId(1),
                to_staff: StaffId(2),
                in_return: None,
                status: SwapStatus::Requested,
            },
            &s,
        )
        .unwrap();
        r.approve_swap(SwapId(1), &leader(10), at("2025-03-20T00:00:00Z"), &s)
            .unwrap();
        let sign_ins = vec![sign_in(2, "2025-03-30T16:00:00Z", "2025-03-31T00:00:00Z")];
        let a = night_duty_allowance(
            &r,
            &s,
            &RosterRules::default(),
            &sign_ins,
            YearMonth::new(2025, 3).unwrap(),
        )
        .unwrap();
        assert_eq!(a.len(), 1);
        assert_eq!((a[0].staff_id, a[0].worked_nights), (StaffId(2), 1));
        assert_eq!(a[0].nights[0].via_swap, Some(SwapId(1)));
        // the April report does not see the 31 March night
        let april = night_duty_allowance(
            &r,
            &s,
            &RosterRules::default(),
            &sign_ins,
            YearMonth::new(2025, 4).unwrap(),
        )
        .unwrap();
        assert!(april.is_empty());
    }

    #[test]
    fn inverted_sign_in_is_refused() {
        let bad = vec![sign_in(1, "2025-03-02T00:00:00Z", "2025-03-01T00:00:00Z")];
        let err = night_duty_allowance(
            &Roster::default(),
            &shifts(),
            &RosterRules::default(),
            &bad,
            YearMonth::new(2025, 3).unwrap(),
        )
        .unwrap_err();
        assert_eq!(err.code(), "end_before_start");
    }
}
