//! Deadline timers, as a pure function of what is stored.
//!
//! `check(order, now)` looks at the order's deadlines (all alert times were fixed when the
//! clock started), its state and the markers of timers already fired, and returns the events
//! due now, the order with new markers (and raised supervision level), and when to look again.
//! The server persists the order and logs the events in one transaction, then sleeps until
//! `next_due_at` (or the next transition). After a restart, calling `check` with the stored
//! order and the current time yields exactly the events missed while down, each once.
//!
//! Rules:
//! - a clock runs only in the states where someone owes the action (`active_deadlines`);
//! - reminder (催办) at `remind_at`, skipped if the deadline has already passed by the time
//!   anyone looks (a late "due soon" is noise); it raises a department's supervision level to
//!   at least "reminder";
//! - overdue when `now > due_at`;
//! - escalations (督办, yellow, red card) at their times while still overdue and not done;
//!   several missed at once give one event to the highest level;
//! - markers carry the `due_at` they fired for, so an extended or restarted clock fires again
//!   and stale markers are simply ignored.

use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};

use crate::deadline::{Deadline, DeadlineKind};
use crate::lifecycle::OrderSnapshot;
use crate::order::{OrderState, SupervisionLevel};

/// What kind of timer fired.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TimerKind {
    Reminder,
    Overdue,
    Supervision,
    YellowCard,
    RedCard,
}

coded_enum!(TimerKind {
    Reminder => ("reminder", "催办提醒", "Reminder"),
    Overdue => ("overdue", "超期", "Overdue"),
    Supervision => ("supervision", "督办", "Supervision"),
    YellowCard => ("yellow_card", "黄牌督办", "Yellow card"),
    RedCard => ("red_card", "红牌督办", "Red card"),
});

impl TimerKind {
    fn for_level(level: SupervisionLevel) -> Option<TimerKind> {
        match level {
            SupervisionLevel::Supervision => Some(TimerKind::Supervision),
            SupervisionLevel::YellowCard => Some(TimerKind::YellowCard),
            SupervisionLevel::RedCard => Some(TimerKind::RedCard),
            SupervisionLevel::None | SupervisionLevel::Reminder => None,
        }
    }
}

/// Marker of a timer that fired (or was superseded) for one deadline instant.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct FiredTimer {
    pub deadline: DeadlineKind,
    pub timer: TimerKind,
    /// The deadline's `due_at` when it fired.
    pub due_at: DateTime<Utc>,
}

/// A timer event to log.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct TimerEvent {
    pub deadline: DeadlineKind,
    pub timer: TimerKind,
    pub due_at: DateTime<Utc>,
    /// When the event became due; earlier than `now` when the server was down.
    pub fire_at: DateTime<Utc>,
    /// The supervision level change this event makes, if any.
    pub supervision: Option<(SupervisionLevel, SupervisionLevel)>,
}

impl TimerEvent {
    /// Event type code for the event log.
    pub fn event_type(&self) -> &'static str {
        use DeadlineKind as D;
        use TimerKind as T;
        match (self.deadline, self.timer) {
            (D::Sign, T::Reminder) => "order.sign_reminder",
            (D::Handle, T::Reminder) => "order.handle_reminder",
            (D::Callback, T::Reminder) => "order.callback_reminder",
            (D::Sign, T::Overdue) => "order.sign_overdue",
            (D::Handle, T::Overdue) => "order.handle_overdue",
            (D::Callback, T::Overdue) => "order.callback_overdue",
            (_, T::Supervision | T::YellowCard | T::RedCard) => "order.supervision_raised",
        }
    }
}

/// The result of a timer check.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TimerCheck {
    /// Events due now, oldest first.
    pub events: Vec<TimerEvent>,
    /// The order with the fired markers and supervision level; persist it with the events.
    pub order: OrderSnapshot,
    /// The next instant something will be due, if any clock is still running.
    pub next_due_at: Option<DateTime<Utc>>,
}

/// The clocks that run in a state: sign until signed, handling while the department holds
/// the order (paused while a return is under review), callback from the reply to the callback.
pub fn active_deadlines(state: OrderState) -> &'static [DeadlineKind] {
    use OrderState as S;
    match state {
        S::Dispatched => &[DeadlineKind::Sign, DeadlineKind::Handle],
        S::Signed | S::InProgress | S::ExtensionRequested | S::Reopened => &[DeadlineKind::Handle],
        S::Replied | S::PendingCallback => &[DeadlineKind::Callback],
        _ => &[],
    }
}

/// The running deadlines that have passed: for the "overdue" list filter and badges.
pub fn overdue_deadlines(order: &OrderSnapshot, now: DateTime<Utc>) -> Vec<DeadlineKind> {
    active_deadlines(order.state)
        .iter()
        .copied()
        .filter(|k| order.deadlines.get(*k).is_some_and(|d| d.is_overdue(now)))
        .collect()
}

/// See the module doc.
pub fn check(order: &OrderSnapshot, now: DateTime<Utc>) -> TimerCheck {
    let mut next = order.clone();
    let mut events = Vec::new();
    let mut next_due_at: Option<DateTime<Utc>> = None;
    let mut later = |at: DateTime<Utc>| {
        next_due_at = Some(next_due_at.map_or(at, |n| n.min(at)));
    };

    for &kind in active_deadlines(order.state) {
        let Some(deadline) = order.deadlines.get(kind) else {
            continue;
        };
        let fired = |timer: TimerKind| {
            order
                .fired_timers
                .iter()
                .any(|f| f.deadline == kind && f.timer == timer && f.due_at == deadline.due_at)
        };
        let mark = |next: &mut OrderSnapshot, timer: TimerKind| {
            next.fired_timers.push(FiredTimer {
                deadline: kind,
                timer,
                due_at: deadline.due_at,
            });
        };
        let overdue = deadline.is_overdue(now);

        if let Some(remind_at) = deadline.remind_at
            && !fired(TimerKind::Reminder)
            && !overdue
        {
            if now >= remind_at {
                let from = next.supervision_level;
                let to = if kind.escalates() {
                    from.max(SupervisionLevel::Reminder)
                } else {
                    from
                };
                next.supervision_level = to;
                events.push(event(
                    kind,
                    TimerKind::Reminder,
                    deadline,
                    remind_at,
                    from,
                    to,
                ));
                mark(&mut next, TimerKind::Reminder);
            } else {
                later(remind_at);
            }
        }

        if !fired(TimerKind::Overdue) {
            // The first instant past the deadline (due_at is the last instant on time).
            let overdue_from = deadline
                .due_at
                .checked_add_signed(Duration::milliseconds(1))
                .unwrap_or(deadline.due_at);
            if overdue {
                let level = next.supervision_level;
                events.push(event(
                    kind,
                    TimerKind::Overdue,
                    deadline,
                    overdue_from,
                    level,
                    level,
                ));
                mark(&mut next, TimerKind::Overdue);
            } else {
                later(overdue_from);
            }
        }

        let mut highest_due: Option<(SupervisionLevel, DateTime<Utc>)> = None;
        for escalation in &deadline.escalations {
            let Some(timer) = TimerKind::for_level(escalation.level) else {
                continue;
            };
            if fired(timer) {
                continue;
            }
            if overdue && now >= escalation.at {
                mark(&mut next, timer);
                if highest_due.is_none_or(|(level, _)| escalation.level > level) {
                    highest_due = Some((escalation.level, escalation.at));
                }
            } else {
                later(escalation.at);
            }
        }
        if let Some((level, at)) = highest_due {
            let from = next.supervision_level;
            if level > from {
                next.supervision_level = level;
                if let Some(timer) = TimerKind::for_level(level) {
                    events.push(event(kind, timer, deadline, at, from, level));
                }
            }
        }
    }
    events.sort_by_key(|e| (e.fire_at, e.deadline, e.timer));
    TimerCheck {
        events,
        order: next,
        next_due_at,
    }
}

fn event(
    deadline_kind: DeadlineKind,
    timer: TimerKind,
    deadline: &Deadline,
    fire_at: DateTime<Utc>,
    from: SupervisionLevel,
    to: SupervisionLevel,
) -> TimerEvent {
    TimerEvent {
        deadline: deadline_kind,
        timer,
        due_at: deadline.due_at,
        fire_at,
        supervision: (from != to).then_some((from, to)),
    }
}
