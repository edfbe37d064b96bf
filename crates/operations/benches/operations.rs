//! Benchmarks of the reports a manager opens often: a year's roster check, the monthly
//! night-duty allowance, a year of missed inspections, and half-year attrition.
//! Run: `CARGO_TARGET_DIR=/work/target-operations cargo bench -p rexian-operations`.

use std::hint::black_box;

use chrono::{NaiveDate, TimeDelta};
use criterion::{Criterion, criterion_group, criterion_main};
use rexian_operations::assets::{
    Asset, AssetKind, AssetState, Inspection, ItemOutcome, ItemResult, missed_inspections,
};
use rexian_operations::attrition::{AttritionSettings, attrition};
use rexian_operations::roster::{Roster, RosterEntry, SignInInterval, check, night_duty_allowance};
use rexian_operations::staff::{LeaveReason, Position, Staff};
use rexian_operations::time::{DateRange, Half, HalfYear, YearMonth};
use rexian_operations::{AssetId, InspectionId, OperationsConfig, StaffId};

fn day(n: i64) -> NaiveDate {
    NaiveDate::from_ymd_opt(2025, 1, 1).unwrap() + TimeDelta::days(n)
}

/// 13 certified people; a year of rostering: one night person, 4 on days, 3 on evenings,
/// rotating so rules hold most of the time.
fn year_roster() -> (Vec<Staff>, Roster) {
    let staff: Vec<Staff> = (1..=13)
        .map(|i| {
            let mut s = Staff::hire(StaffId(i), "员工", Position::Agent, day(-100)).unwrap();
            s.certify(day(-90)).unwrap();
            s
        })
        .collect();
    let mut roster = Roster::default();
    for d in 0..365 {
        let date = day(d);
        let mut push = |who: i64, shift: &str| {
            roster.entries.push(RosterEntry {
                staff_id: StaffId(who % 13 + 1),
                date,
                shift: shift.into(),
            })
        };
        push(d, "night");
        for k in 1..=4 {
            push(d + 3 + k, "day");
        }
        for k in 1..=3 {
            push(d + 8 + k, "evening");
        }
    }
    (staff, roster)
}

fn bench(c: &mut Criterion) {
    let cfg = OperationsConfig::baisha_default().unwrap();
    let (staff, roster) = year_roster();
    let year = DateRange::new(day(0), day(365)).unwrap();

    c.bench_function("roster_check_year_13_staff", |b| {
        b.iter(|| {
            check(
                black_box(&roster),
                &cfg.roster.shifts,
                &cfg.roster.rules,
                &staff,
                year,
            )
            .unwrap()
        })
    });

    let sign_ins: Vec<SignInInterval> = roster
        .entries
        .iter()
        .filter(|e| e.shift == "night")
        .map(|e| {
            let (from, to) = cfg
                .roster
                .shifts
                .get("night")
                .unwrap()
                .utc_interval(e.date)
                .unwrap();
            SignInInterval {
                staff_id: e.staff_id,
                from,
                to,
            }
        })
        .collect();
    let month = YearMonth::new(2025, 3).unwrap();
    c.bench_function("night_allowance_month", |b| {
        b.iter(|| {
            night_duty_allowance(
                black_box(&roster),
                &cfg.roster.shifts,
                &cfg.roster.rules,
                &sign_ins,
                month,
            )
            .unwrap()
        })
    });

    let assets: Vec<Asset> = (1..=23)
        .map(|i| Asset {
            id: AssetId(i),
            name: format!("资产{i}"),
            kind: AssetKind::Seat {
                seat_number: i as u32,
            },
            state: AssetState::InService,
            commissioned_on: day(0),
            retired_on: None,
            location: None,
        })
        .collect();
    let inspections: Vec<Inspection> = (0..365)
        .flat_map(|d| {
            (1..=23)
                .filter(move |i| (d + i) % 17 != 0)
                .map(move |i| (d, i))
        })
        .map(|(d, i)| Inspection {
            id: InspectionId(d * 100 + i),
            asset_id: AssetId(i),
            date: day(d),
            inspector: StaffId(1),
            inspected_at: rexian_operations::time::local_day_start(day(d)).unwrap(),
            results: vec![ItemResult {
                item: "sign_in".into(),
                outcome: ItemOutcome::Pass,
                note: None,
            }],
        })
        .collect();
    c.bench_function("missed_inspections_year_23_assets", |b| {
        b.iter(|| missed_inspections(black_box(&assets), &inspections, year).unwrap())
    });

    let mut people: Vec<Staff> = (1..=200)
        .map(|i| {
            let mut s = Staff::hire(StaffId(i), "员工", Position::Agent, day(-400 + i)).unwrap();
            s.certify(day(-300 + i)).unwrap();
            s
        })
        .collect();
    for (i, p) in people.iter_mut().enumerate().filter(|(i, _)| i % 3 == 0) {
        p.leave(day(i as i64 % 180), LeaveReason::Resigned).unwrap();
    }
    let h1 = HalfYear {
        year: 2025,
        half: Half::First,
    }
    .range()
    .unwrap();
    let settings = AttritionSettings::default();
    c.bench_function("attrition_half_year_200_staff", |b| {
        b.iter(|| attrition(black_box(&people), h1, &settings).unwrap())
    });
}

criterion_group!(benches, bench);
criterion_main!(benches);
