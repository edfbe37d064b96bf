//! The working-day calendar against the State Council schedules and its invariants.

use chrono::{DateTime, Datelike, Duration, NaiveDate, Timelike, Utc, Weekday};
use proptest::prelude::*;
use rexian_orders::calendar::{local_date, shanghai};
use rexian_orders::{Calendar, TimeLimit};

fn d(y: i32, m: u32, day: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, day).unwrap()
}

fn range(first: NaiveDate, last: NaiveDate) -> Vec<NaiveDate> {
    first.iter_days().take_while(|x| *x <= last).collect()
}

/// The published schedules, typed in from the notices independently of config/holidays.toml:
/// (days off, make-up working days).
fn published(year: i32) -> (Vec<NaiveDate>, Vec<NaiveDate>) {
    let mut off = vec![];
    let make_up = match year {
        2025 => {
            off.extend(range(d(2025, 1, 1), d(2025, 1, 1)));
            off.extend(range(d(2025, 1, 28), d(2025, 2, 4)));
            off.extend(range(d(2025, 4, 4), d(2025, 4, 6)));
            off.extend(range(d(2025, 5, 1), d(2025, 5, 5)));
            off.extend(range(d(2025, 5, 31), d(2025, 6, 2)));
            off.extend(range(d(2025, 10, 1), d(2025, 10, 8)));
            vec![
                d(2025, 1, 26),
                d(2025, 2, 8),
                d(2025, 4, 27),
                d(2025, 9, 28),
                d(2025, 10, 11),
            ]
        }
        2026 => {
            off.extend(range(d(2026, 1, 1), d(2026, 1, 3)));
            off.extend(range(d(2026, 2, 15), d(2026, 2, 23)));
            off.extend(range(d(2026, 4, 4), d(2026, 4, 6)));
            off.extend(range(d(2026, 5, 1), d(2026, 5, 5)));
            off.extend(range(d(2026, 6, 19), d(2026, 6, 21)));
            off.extend(range(d(2026, 9, 25), d(2026, 9, 27)));
            off.extend(range(d(2026, 10, 1), d(2026, 10, 7)));
            vec![
                d(2026, 1, 4),
                d(2026, 2, 14),
                d(2026, 2, 28),
                d(2026, 5, 9),
                d(2026, 9, 20),
                d(2026, 10, 10),
            ]
        }
        _ => unreachable!(),
    };
    (off, make_up)
}

#[test]
fn every_day_of_2025_and_2026_matches_the_published_schedule() {
    let calendar = Calendar::bundled();
    for year in [2025, 2026] {
        let (off, make_up) = published(year);
        for &day in &make_up {
            assert!(
                matches!(day.weekday(), Weekday::Sat | Weekday::Sun),
                "{day} is a weekend day"
            );
        }
        let mut working_days = 0;
        for day in range(d(year, 1, 1), d(year, 12, 31)) {
            let weekend = matches!(day.weekday(), Weekday::Sat | Weekday::Sun);
            let expected = make_up.contains(&day) || (!weekend && !off.contains(&day));
            assert_eq!(calendar.is_working_day(day), expected, "{day}");
            assert!(!calendar.day(day).provisional, "{day}");
            working_days += u32::from(expected);
        }
        // Both years have 248 working days once holidays and make-up days are counted.
        assert_eq!(working_days, 248, "{year}");
        assert_eq!(
            calendar
                .working_days_between(d(year - 1, 12, 31), d(year, 12, 31))
                .days,
            248
        );
    }
}

fn instant_between_2024_and_2028() -> impl Strategy<Value = DateTime<Utc>> {
    use chrono::TimeZone;
    let start = shanghai()
        .with_ymd_and_hms(2024, 6, 1, 0, 0, 0)
        .unwrap()
        .with_timezone(&Utc);
    (0i64..4 * 365 * 24 * 3600).prop_map(move |s| start + Duration::seconds(s))
}

fn scheduled(year: i32) -> bool {
    year == 2025 || year == 2026
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    /// A working-day deadline ends at 23:59:59.999 local on a working day, exactly n working
    /// days after the start day (which never counts), and is provisional exactly when a
    /// counted day lies outside 2025–2026.
    #[test]
    fn deadlines_end_at_the_end_of_a_working_day(start in instant_between_2024_and_2028(), n in 1u32..=30) {
        let calendar = Calendar::bundled();
        let due = calendar.deadline(start, TimeLimit::WorkingDays(n)).unwrap();
        let local = due.at.with_timezone(&shanghai());
        let due_day = local.date_naive();
        prop_assert!(calendar.is_working_day(due_day));
        prop_assert_eq!((local.hour(), local.minute(), local.second()), (23, 59, 59));
        prop_assert_eq!(local.nanosecond(), 999_000_000);
        let start_day = local_date(start).unwrap();
        prop_assert!(due_day > start_day);
        prop_assert_eq!(calendar.working_days_between(start_day, due_day).days, n);
        let first_counted = start_day.succ_opt().unwrap();
        let expect_provisional = !scheduled(first_counted.year()) || !scheduled(due_day.year());
        prop_assert_eq!(due.provisional, expect_provisional);
    }

    /// More working days never give an earlier deadline (and one more is strictly later).
    #[test]
    fn adding_working_days_is_monotonic(start in instant_between_2024_and_2028(), n in 1u32..=40, extra in 0u32..=20) {
        let calendar = Calendar::bundled();
        let shorter = calendar.deadline(start, TimeLimit::WorkingDays(n)).unwrap();
        let longer = calendar.deadline(start, TimeLimit::WorkingDays(n + extra)).unwrap();
        prop_assert!(longer.at >= shorter.at);
        if extra > 0 {
            prop_assert!(longer.at > shorter.at);
        }
        // A later start never gives an earlier deadline either.
        let later = calendar.deadline(start + Duration::hours(7), TimeLimit::WorkingDays(n)).unwrap();
        prop_assert!(later.at >= shorter.at);
    }

    /// Counting back undoes counting forward, from any working day.
    #[test]
    fn sub_working_days_inverts_add(start in instant_between_2024_and_2028(), n in 0u32..=25) {
        let calendar = Calendar::bundled();
        let day = local_date(start).unwrap();
        let working = calendar.add_working_days(day, 1).unwrap().date;
        let back = calendar.sub_working_days(working, n).unwrap().date;
        prop_assert_eq!(calendar.add_working_days(back, n).unwrap().date, working);
    }

    /// Years without a schedule: weekends only, always provisional.
    #[test]
    fn unknown_years_are_provisional(days in 0i64..(60 * 365), n in 1u32..=15) {
        let calendar = Calendar::bundled();
        let day = d(2027, 1, 1) + Duration::days(days);
        let found = calendar.add_working_days(day, n).unwrap();
        prop_assert!(found.provisional);
        prop_assert!(!matches!(found.date.weekday(), Weekday::Sat | Weekday::Sun));
        prop_assert!(calendar.day(day).provisional);
        prop_assert_eq!(calendar.is_working_day(day), !matches!(day.weekday(), Weekday::Sat | Weekday::Sun));
    }

    /// Hours are natural hours, holidays included, and never provisional.
    #[test]
    fn hour_limits_are_natural_hours(start in instant_between_2024_and_2028(), h in 1u32..=200) {
        let calendar = Calendar::bundled();
        let due = calendar.deadline(start, TimeLimit::Hours(h)).unwrap();
        prop_assert_eq!(due.at, start + Duration::hours(i64::from(h)));
        prop_assert!(!due.provisional);
    }
}
