//! Deadline timers: reminders, overdue, supervision; each fires once; restarts lose nothing.

mod common;

use chrono::{DateTime, Duration, Utc};
use common::*;
use proptest::prelude::*;
use rexian_orders::calendar::to_local_rfc3339;
use rexian_orders::timers::{self, check, overdue_deadlines};
use rexian_orders::{
    Action, Calendar, DeadlineKind, OrderSnapshot, OrderState, SupervisionLevel, TimeLimit,
    TimeLimits, TimerKind,
};

fn kinds(events: &[rexian_orders::TimerEvent]) -> Vec<(DeadlineKind, TimerKind)> {
    events.iter().map(|e| (e.deadline, e.timer)).collect()
}

#[test]
fn a_dispatched_order_is_reminded_then_overdue_then_supervised() {
    let world = World::new();
    // Dispatched Mon 2 March 2026 11:00: sign by end of Tue 3 March.
    let (order, now) = world.order_in(OrderState::Dispatched);
    let first = check(&order, now);
    assert!(first.events.is_empty());
    assert_eq!(first.order, order);
    let remind_at = first.next_due_at.unwrap();
    assert_eq!(to_local_rfc3339(remind_at), "2026-03-03T00:00:00+08:00");

    let reminded = check(&order, remind_at);
    assert_eq!(
        kinds(&reminded.events),
        [(DeadlineKind::Sign, TimerKind::Reminder)]
    );
    assert_eq!(reminded.events[0].event_type(), "order.sign_reminder");
    assert_eq!(
        reminded.events[0].supervision,
        Some((SupervisionLevel::None, SupervisionLevel::Reminder))
    );
    assert_eq!(reminded.order.supervision_level, SupervisionLevel::Reminder);
    // Checking again at the same time: nothing new.
    assert!(check(&reminded.order, remind_at).events.is_empty());

    // The next thing due is the sign deadline passing: 00:00 on Wed 4 March, which is also
    // when 督办 starts (the first working day after the missed day).
    let overdue_at = check(&reminded.order, remind_at).next_due_at.unwrap();
    assert_eq!(to_local_rfc3339(overdue_at), "2026-03-04T00:00:00+08:00");
    let overdue = check(&reminded.order, overdue_at);
    assert_eq!(
        kinds(&overdue.events),
        [
            (DeadlineKind::Sign, TimerKind::Overdue),
            (DeadlineKind::Sign, TimerKind::Supervision)
        ]
    );
    assert_eq!(overdue.events[1].event_type(), "order.supervision_raised");
    assert_eq!(
        overdue.order.supervision_level,
        SupervisionLevel::Supervision
    );
    assert_eq!(
        overdue_deadlines(&overdue.order, overdue_at),
        [DeadlineKind::Sign]
    );
    // The handling clock is still running: its reminder is next (start of Mon 16 March).
    assert_eq!(
        to_local_rfc3339(overdue.next_due_at.unwrap()),
        "2026-03-16T00:00:00+08:00"
    );
}

#[test]
fn restart_after_a_deadline_passed_yields_the_missed_events_once() {
    let world = World::new();
    // Signed for on Monday; the handling deadline is the end of Mon 16 March.
    let (order, now) = world.order_in(OrderState::InProgress);
    let stored = check(&order, now).order; // what the server persisted before going down
    let due = stored.deadlines.handle.as_ref().unwrap().due_at;

    // The server is down from now until Wed 18 March 10:00, past the deadline and past the
    // start of 督办 (Tue 17). On restart it checks the stored order once.
    let restart = local(2026, 3, 18, 10, 0);
    let after = check(&stored, restart);
    assert_eq!(
        kinds(&after.events),
        [
            (DeadlineKind::Handle, TimerKind::Overdue),
            (DeadlineKind::Handle, TimerKind::Supervision)
        ],
        "the stale reminder is skipped, the rest fires"
    );
    assert_eq!(after.events[0].due_at, due);
    assert_eq!(after.events[0].fire_at, due + Duration::milliseconds(1));
    assert_eq!(
        to_local_rfc3339(after.events[1].fire_at),
        "2026-03-17T00:00:00+08:00"
    );
    assert_eq!(after.order.supervision_level, SupervisionLevel::Supervision);
    assert_eq!(after.next_due_at, None, "nothing else is configured");

    // Another restart a minute later (or a second server): nothing fires twice.
    let again = check(&after.order, restart + Duration::minutes(1));
    assert!(again.events.is_empty());
    assert_eq!(again.order, after.order);

    // The markers survive a JSON round trip, as they would in the database.
    let reloaded: OrderSnapshot =
        serde_json::from_str(&serde_json::to_string(&after.order).unwrap()).unwrap();
    assert!(
        check(&reloaded, restart + Duration::days(30))
            .events
            .is_empty()
    );
}

#[test]
fn clocks_only_run_in_their_states() {
    let world = World::new();
    let (replied, now) = world.order_in(OrderState::Replied);
    // Long after the handling deadline: the reply stopped that clock; only the callback runs.
    let late = now + Duration::days(40);
    let result = check(&replied, late);
    assert_eq!(
        kinds(&result.events),
        [(DeadlineKind::Callback, TimerKind::Overdue)],
        "callback reminder superseded, no handle events"
    );
    assert_eq!(result.events[0].event_type(), "order.callback_overdue");
    // The callback is the platform's own duty: it never raises the department's level.
    assert_eq!(result.order.supervision_level, SupervisionLevel::None);

    let callback_reminder = check(&replied, now + Duration::hours(23));
    assert_eq!(
        kinds(&callback_reminder.events),
        [(DeadlineKind::Callback, TimerKind::Reminder)]
    );
    assert_eq!(callback_reminder.events[0].supervision, None);

    for state in [
        OrderState::Closed,
        OrderState::Registered,
        OrderState::ReturnRequested,
    ] {
        let (order, now) = world.order_in(state);
        let result = check(&order, now + Duration::days(400));
        assert!(result.events.is_empty(), "{state}");
        assert_eq!(result.next_due_at, None, "{state}");
    }
}

#[test]
fn an_extension_restarts_the_alerts_for_the_new_deadline() {
    let world = World::new();
    let (order, _) = world.order_in(OrderState::InProgress);
    let due = order.deadlines.handle.as_ref().unwrap().due_at;
    // Reminded at the start of the deadline day, then asks for 3 more working days.
    let day_start = order.deadlines.handle.as_ref().unwrap().remind_at.unwrap();
    let reminded = check(&order, day_start).order;
    assert_eq!(reminded.fired_timers.len(), 1);
    let asked = world
        .apply(&reminded, request_extension(3), &handler(), day_start)
        .order;
    let extended = world
        .apply(
            &asked,
            Action::ApproveExtension { working_days: None },
            &leader(),
            day_start,
        )
        .order;
    assert!(
        extended.fired_timers.is_empty(),
        "stale markers are dropped"
    );
    // The old deadline passes without an event; the new one gets its own reminder.
    let result = check(&extended, due + Duration::hours(1));
    assert!(result.events.is_empty());
    let new_due = extended.deadlines.handle.as_ref().unwrap().due_at;
    assert_eq!(to_local_rfc3339(new_due), "2026-03-19T23:59:59.999+08:00");
    assert_eq!(
        to_local_rfc3339(result.next_due_at.unwrap()),
        "2026-03-19T00:00:00+08:00"
    );
    // An hour after the new deadline it is overdue and, the next day being a working day
    // (Fri 20 March), 督办 has started too.
    let later = check(&extended, new_due + Duration::hours(1));
    assert_eq!(
        kinds(&later.events),
        [
            (DeadlineKind::Handle, TimerKind::Overdue),
            (DeadlineKind::Handle, TimerKind::Supervision)
        ]
    );
}

fn with_cards() -> (Calendar, TimeLimits) {
    let mut config = TimeLimits::bundled().config().clone();
    config.alerts.yellow_card_after = Some(TimeLimit::WorkingDays(3));
    config.alerts.red_card_after = Some(TimeLimit::WorkingDays(5));
    (Calendar::bundled(), TimeLimits::new(config).unwrap())
}

#[test]
fn several_missed_escalations_give_one_event_to_the_highest_level() {
    let (calendar, limits) = with_cards();
    let world = World { calendar, limits };
    let (order, _) = world.order_in(OrderState::InProgress);
    // Handling due end of Mon 16 March; supervision Tue 17, yellow Thu 19, red Mon 23.
    let escalations = &order.deadlines.handle.as_ref().unwrap().escalations;
    assert_eq!(
        to_local_rfc3339(escalations[2].at),
        "2026-03-23T00:00:00+08:00"
    );
    let result = check(&order, local(2026, 3, 30, 9, 0));
    assert_eq!(
        kinds(&result.events),
        [
            (DeadlineKind::Handle, TimerKind::Overdue),
            (DeadlineKind::Handle, TimerKind::RedCard)
        ]
    );
    assert_eq!(
        result.events[1].supervision,
        Some((SupervisionLevel::None, SupervisionLevel::RedCard))
    );
    assert_eq!(result.order.supervision_level, SupervisionLevel::RedCard);
    assert!(
        check(&result.order, local(2026, 4, 30, 9, 0))
            .events
            .is_empty()
    );

    // Checked day by day instead, each level fires on its own day.
    let mut stored = order.clone();
    let mut fired = vec![];
    let mut day = local(2026, 3, 16, 12, 0);
    while day < local(2026, 3, 31, 0, 0) {
        let r = check(&stored, day);
        fired.extend(
            r.events
                .iter()
                .map(|e| (e.timer, to_local_rfc3339(e.fire_at))),
        );
        stored = r.order;
        day += Duration::days(1);
    }
    let timers: Vec<_> = fired.iter().map(|f| f.0).collect();
    assert_eq!(
        timers,
        [
            TimerKind::Reminder,
            TimerKind::Overdue,
            TimerKind::Supervision,
            TimerKind::YellowCard,
            TimerKind::RedCard
        ]
    );
}

#[test]
fn a_manual_card_is_not_lowered_by_the_automatic_escalation() {
    let world = World::new();
    let (order, now) = world.order_in(OrderState::InProgress);
    let county = rexian_orders::Actor::user(rexian_domain::Role::CountyOffice);
    let carded = world
        .apply(
            &order,
            supervise(SupervisionLevel::YellowCard),
            &county,
            now,
        )
        .order;
    let result = check(&carded, local(2026, 3, 20, 9, 0));
    assert_eq!(
        kinds(&result.events),
        [(DeadlineKind::Handle, TimerKind::Overdue)]
    );
    assert_eq!(result.order.supervision_level, SupervisionLevel::YellowCard);
    assert!(
        check(&result.order, local(2026, 3, 21, 9, 0))
            .events
            .is_empty()
    );
}

fn dispatched_order() -> (OrderSnapshot, DateTime<Utc>) {
    World::new().order_in(OrderState::Dispatched)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    /// However often the server checks (including not at all for days), every timer fires at
    /// most once, overdue fires exactly once per passed deadline, and the level never drops.
    #[test]
    fn each_timer_fires_at_most_once(steps in proptest::collection::vec(0i64..(3 * 24 * 60), 1..25)) {
        let (mut order, start) = dispatched_order();
        let mut now = start;
        let mut seen = vec![];
        let mut level = order.supervision_level;
        for step in steps {
            now += Duration::minutes(step);
            let r = check(&order, now);
            for e in &r.events {
                prop_assert!(e.fire_at <= now);
                seen.push((e.deadline, e.timer, e.due_at));
            }
            prop_assert!(r.order.supervision_level >= level);
            level = r.order.supervision_level;
            if let Some(next) = r.next_due_at {
                prop_assert!(next > now);
            }
            order = r.order;
        }
        let mut unique = seen.clone();
        unique.sort();
        unique.dedup();
        prop_assert_eq!(unique.len(), seen.len());
        for kind in timers::active_deadlines(order.state) {
            let deadline = order.deadlines.get(*kind).unwrap();
            let overdue_fired = seen.iter().filter(|s| s.0 == *kind && s.1 == TimerKind::Overdue).count();
            prop_assert_eq!(overdue_fired, usize::from(deadline.is_overdue(now)));
        }
    }
}
