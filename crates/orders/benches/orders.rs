//! Cost of the domain core per operation: deadline computation, `apply`, timer checks.
//! Run: CARGO_TARGET_DIR=/work/target-orders cargo bench -p rexian-orders --bench orders

use std::hint::black_box;

use chrono::{DateTime, Duration, TimeZone, Utc};
use criterion::{Criterion, criterion_group, criterion_main};
use rexian_domain::Role;
use rexian_orders::calendar::shanghai;
use rexian_orders::{
    Action, Actor, Calendar, DepartmentCode, OrderNumber, OrderSnapshot, RequestKind, TimeLimit,
    TimeLimits, apply, register, timers,
};

fn at(y: i32, m: u32, d: u32, h: u32) -> DateTime<Utc> {
    shanghai()
        .with_ymd_and_hms(y, m, d, h, 0, 0)
        .single()
        .map(|t| t.with_timezone(&Utc))
        .unwrap_or_default()
}

struct Fixture {
    calendar: Calendar,
    limits: TimeLimits,
    pending: OrderSnapshot,
    dispatched: OrderSnapshot,
    now: DateTime<Utc>,
}

fn fixture() -> Fixture {
    let calendar = Calendar::bundled();
    let limits = TimeLimits::bundled();
    let now = at(2026, 9, 30, 10);
    let agent = Actor::user(Role::Agent);
    let leader = Actor::user(Role::ShiftLeader);
    let number = OrderNumber::parse("BS202609300001").expect("valid number");
    let registered = register(number, RequestKind::Complaint, false, &agent, now)
        .expect("agent registers")
        .order;
    let pending = apply(
        &registered,
        &Action::SubmitForDispatch,
        &agent,
        now,
        &calendar,
        &limits,
    )
    .expect("submit")
    .order;
    let dispatch = Action::Dispatch {
        lead_department: DepartmentCode::parse("ZJJ").expect("valid code"),
        assisting_departments: vec![],
    };
    let dispatched = apply(&pending, &dispatch, &leader, now, &calendar, &limits)
        .expect("dispatch")
        .order;
    Fixture {
        calendar,
        limits,
        pending,
        dispatched,
        now,
    }
}

fn calendar(c: &mut Criterion) {
    let f = fixture();
    let start = at(2026, 9, 30, 10);
    c.bench_function("calendar/deadline_10_working_days_over_national_day", |b| {
        b.iter(|| {
            f.calendar
                .deadline(black_box(start), black_box(TimeLimit::WorkingDays(10)))
        })
    });
    c.bench_function("calendar/deadline_3_working_days", |b| {
        b.iter(|| {
            f.calendar
                .deadline(black_box(start), black_box(TimeLimit::WorkingDays(3)))
        })
    });
    let day = start.date_naive();
    c.bench_function("calendar/is_working_day", |b| {
        b.iter(|| f.calendar.is_working_day(black_box(day)))
    });
}

fn lifecycle(c: &mut Criterion) {
    let f = fixture();
    let handler = Actor::department_handler(DepartmentCode::parse("ZJJ").expect("valid code"));
    let leader = Actor::user(Role::ShiftLeader);
    let later = f.now + Duration::hours(2);
    c.bench_function("apply/sign", |b| {
        b.iter(|| {
            apply(
                black_box(&f.dispatched),
                black_box(&Action::Sign),
                &handler,
                later,
                &f.calendar,
                &f.limits,
            )
        })
    });
    let dispatch = Action::Dispatch {
        lead_department: DepartmentCode::parse("ZJJ").expect("valid code"),
        assisting_departments: vec![DepartmentCode::parse("SWJ").expect("valid code")],
    };
    c.bench_function("apply/dispatch_with_three_deadlines", |b| {
        b.iter(|| {
            apply(
                black_box(&f.pending),
                black_box(&dispatch),
                &leader,
                later,
                &f.calendar,
                &f.limits,
            )
        })
    });
    let wrong_state = Action::ApproveReply;
    c.bench_function("apply/illegal_transition_409", |b| {
        b.iter(|| {
            apply(
                black_box(&f.dispatched),
                black_box(&wrong_state),
                &leader,
                later,
                &f.calendar,
                &f.limits,
            )
        })
    });
}

fn timer_checks(c: &mut Criterion) {
    let f = fixture();
    let quiet = f.now + Duration::hours(1);
    let overdue = at(2026, 11, 2, 9);
    c.bench_function("timers/check_nothing_due", |b| {
        b.iter(|| timers::check(black_box(&f.dispatched), black_box(quiet)))
    });
    c.bench_function("timers/check_overdue_and_supervision", |b| {
        b.iter(|| timers::check(black_box(&f.dispatched), black_box(overdue)))
    });
}

criterion_group!(benches, calendar, lifecycle, timer_checks);
criterion_main!(benches);
