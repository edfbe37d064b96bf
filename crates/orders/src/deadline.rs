//! Deadlines as stored on an order: when each clock runs out and, computed at the same time,
//! when its reminder and escalations fire. Everything is fixed when the clock starts, so the
//! timers need no calendar, a restart changes nothing, and an administrator's later calendar
//! edit never moves a deadline a department was already given.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::calendar::{self, Calendar, CalendarError, DeadlineInstant};
use crate::limits::{TimeLimit, TimeLimits};
use crate::order::SupervisionLevel;

/// Which clock.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DeadlineKind {
    /// 签收时限: the department must sign for a dispatched order.
    Sign,
    /// 办理时限: the department must reply.
    Handle,
    /// 回访时限: the platform must call the citizen back after the reply.
    Callback,
}

coded_enum!(DeadlineKind {
    Sign => ("sign", "签收时限", "Sign-by"),
    Handle => ("handle", "办理时限", "Handle-by"),
    Callback => ("callback", "回访时限", "Call back by"),
});

impl DeadlineKind {
    /// Only the department's deadlines raise its supervision level.
    pub fn escalates(self) -> bool {
        matches!(self, DeadlineKind::Sign | DeadlineKind::Handle)
    }
}

/// A supervision level an overdue order is raised to, and when.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Escalation {
    pub level: SupervisionLevel,
    pub at: DateTime<Utc>,
}

/// One running (or finished) clock.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Deadline {
    pub started_at: DateTime<Utc>,
    /// The configured limit the clock started with.
    pub limit: TimeLimit,
    /// Working days added by approved extensions.
    #[serde(default)]
    pub extended_by_working_days: u32,
    /// The last instant still on time; overdue when `now > due_at`.
    pub due_at: DateTime<Utc>,
    /// 催办 reminder; `None` when the limit is too short for one, or reminders are off.
    pub remind_at: Option<DateTime<Utc>>,
    /// Escalations after a missed deadline, in ascending order (sign and handle only).
    #[serde(default)]
    pub escalations: Vec<Escalation>,
    /// Some day counted lies in a year with no holiday schedule.
    pub provisional: bool,
}

impl Deadline {
    /// Starts a clock of `limit` at `started_at`.
    pub fn plan(
        kind: DeadlineKind,
        started_at: DateTime<Utc>,
        limit: TimeLimit,
        calendar: &Calendar,
        limits: &TimeLimits,
    ) -> Result<Deadline, CalendarError> {
        let due = calendar.deadline(started_at, limit)?;
        let counted_in_days = matches!(limit, TimeLimit::WorkingDays(_));
        Deadline::with_alerts(
            kind,
            started_at,
            limit,
            0,
            due,
            counted_in_days,
            started_at,
            calendar,
            limits,
        )
    }

    /// The deadline moved `working_days` working days past its current due day (延期), with
    /// reminder and escalations recomputed; `now` is when the extension was approved.
    pub fn extend(
        &self,
        kind: DeadlineKind,
        working_days: u32,
        now: DateTime<Utc>,
        calendar: &Calendar,
        limits: &TimeLimits,
    ) -> Result<Deadline, CalendarError> {
        let mut due = calendar.deadline(self.due_at, TimeLimit::WorkingDays(working_days))?;
        due.provisional |= self.provisional;
        Deadline::with_alerts(
            kind,
            self.started_at,
            self.limit,
            self.extended_by_working_days.saturating_add(working_days),
            due,
            true,
            now,
            calendar,
            limits,
        )
    }

    #[allow(clippy::too_many_arguments)]
    fn with_alerts(
        kind: DeadlineKind,
        started_at: DateTime<Utc>,
        limit: TimeLimit,
        extended_by_working_days: u32,
        due: DeadlineInstant,
        counted_in_days: bool,
        not_before: DateTime<Utc>,
        calendar: &Calendar,
        limits: &TimeLimits,
    ) -> Result<Deadline, CalendarError> {
        let alerts = limits.alerts();
        let mut provisional = due.provisional;
        let remind_at = if counted_in_days {
            match alerts.reminder_before_working_days {
                0 => None,
                lead => {
                    let day = calendar.sub_working_days(calendar::local_date(due.at)?, lead - 1)?;
                    provisional |= day.provisional;
                    Some(calendar::start_of_local_day(day.date)?)
                }
            }
        } else {
            match alerts.reminder_before_hours {
                0 => None,
                lead => due
                    .at
                    .checked_sub_signed(chrono::Duration::hours(i64::from(lead))),
            }
        }
        .filter(|at| *at > not_before);

        let mut escalations = Vec::new();
        if kind.escalates() {
            let steps = [
                (
                    SupervisionLevel::Supervision,
                    Some(alerts.supervision_after),
                ),
                (SupervisionLevel::YellowCard, alerts.yellow_card_after),
                (SupervisionLevel::RedCard, alerts.red_card_after),
            ];
            for (level, after) in steps {
                if let Some(after) = after {
                    let at = calendar.start_of_working_day_after(due.at, after)?;
                    provisional |= at.provisional;
                    escalations.push(Escalation { level, at: at.at });
                }
            }
            escalations.sort_by_key(|e| e.at);
        }
        Ok(Deadline {
            started_at,
            limit,
            extended_by_working_days,
            due_at: due.at,
            remind_at,
            escalations,
            provisional,
        })
    }

    pub fn is_overdue(&self, now: DateTime<Utc>) -> bool {
        now > self.due_at
    }
}

/// The three clocks an order can have.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrderDeadlines {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sign: Option<Deadline>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub handle: Option<Deadline>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub callback: Option<Deadline>,
}

impl OrderDeadlines {
    pub fn get(&self, kind: DeadlineKind) -> Option<&Deadline> {
        match kind {
            DeadlineKind::Sign => self.sign.as_ref(),
            DeadlineKind::Handle => self.handle.as_ref(),
            DeadlineKind::Callback => self.callback.as_ref(),
        }
    }

    pub fn slot(&mut self, kind: DeadlineKind) -> &mut Option<Deadline> {
        match kind {
            DeadlineKind::Sign => &mut self.sign,
            DeadlineKind::Handle => &mut self.handle,
            DeadlineKind::Callback => &mut self.callback,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::calendar::{shanghai, to_local_rfc3339};
    use chrono::TimeZone;

    fn local(y: i32, m: u32, d: u32, h: u32, min: u32) -> DateTime<Utc> {
        shanghai()
            .with_ymd_and_hms(y, m, d, h, min, 0)
            .unwrap()
            .with_timezone(&Utc)
    }

    fn fmt(t: Option<DateTime<Utc>>) -> Option<String> {
        t.map(to_local_rfc3339)
    }

    #[test]
    fn handle_deadline_with_reminder_and_supervision_over_national_day() {
        // Complaint dispatched Wed 2026-09-30 10:00, 10 working days: Oct 8, 9, 10 (make-up),
        // 12, 13, 14, 15, 16, 19, 20 → due end of Tue 20 Oct. Reminder at the start of the
        // deadline day; supervision at the start of the next working day, Wed 21 Oct.
        let c = Calendar::bundled();
        let limits = TimeLimits::bundled();
        let d = Deadline::plan(
            DeadlineKind::Handle,
            local(2026, 9, 30, 10, 0),
            TimeLimit::WorkingDays(10),
            &c,
            &limits,
        )
        .unwrap();
        assert_eq!(to_local_rfc3339(d.due_at), "2026-10-20T23:59:59.999+08:00");
        assert_eq!(
            fmt(d.remind_at).as_deref(),
            Some("2026-10-20T00:00:00+08:00")
        );
        assert_eq!(d.escalations.len(), 1);
        assert_eq!(d.escalations[0].level, SupervisionLevel::Supervision);
        assert_eq!(
            to_local_rfc3339(d.escalations[0].at),
            "2026-10-21T00:00:00+08:00"
        );
        assert!(!d.provisional);
    }

    #[test]
    fn supervision_after_a_friday_deadline_waits_for_monday() {
        let c = Calendar::bundled();
        let limits = TimeLimits::bundled();
        // Thu 2026-03-05 10:00 + 1 working day → end of Fri 6 March; supervision Mon 9 March.
        let d = Deadline::plan(
            DeadlineKind::Sign,
            local(2026, 3, 5, 10, 0),
            TimeLimit::WorkingDays(1),
            &c,
            &limits,
        )
        .unwrap();
        assert_eq!(to_local_rfc3339(d.due_at), "2026-03-06T23:59:59.999+08:00");
        assert_eq!(
            fmt(d.remind_at).as_deref(),
            Some("2026-03-06T00:00:00+08:00")
        );
        assert_eq!(
            to_local_rfc3339(d.escalations[0].at),
            "2026-03-09T00:00:00+08:00"
        );
    }

    #[test]
    fn hourly_limits_remind_by_hours_and_callbacks_do_not_escalate() {
        let c = Calendar::bundled();
        let limits = TimeLimits::bundled();
        let start = local(2026, 10, 2, 15, 0);
        let d = Deadline::plan(
            DeadlineKind::Callback,
            start,
            TimeLimit::Hours(24),
            &c,
            &limits,
        )
        .unwrap();
        assert_eq!(to_local_rfc3339(d.due_at), "2026-10-03T15:00:00+08:00");
        assert_eq!(
            fmt(d.remind_at).as_deref(),
            Some("2026-10-03T14:00:00+08:00")
        );
        assert!(d.escalations.is_empty());

        // An urgent sign limit of 2 hours: reminder 1 hour before, supervision at the start of
        // the first working day after the day it was missed (holiday → Oct 8).
        let d =
            Deadline::plan(DeadlineKind::Sign, start, TimeLimit::Hours(2), &c, &limits).unwrap();
        assert_eq!(
            fmt(d.remind_at).as_deref(),
            Some("2026-10-02T16:00:00+08:00")
        );
        assert_eq!(
            to_local_rfc3339(d.escalations[0].at),
            "2026-10-08T00:00:00+08:00"
        );

        // A 1-hour limit is too short for a 1-hour reminder.
        let d =
            Deadline::plan(DeadlineKind::Sign, start, TimeLimit::Hours(1), &c, &limits).unwrap();
        assert_eq!(d.remind_at, None);
    }

    #[test]
    fn extension_adds_working_days_to_the_due_day() {
        let c = Calendar::bundled();
        let limits = TimeLimits::bundled();
        let d = Deadline::plan(
            DeadlineKind::Handle,
            local(2026, 9, 28, 9, 0),
            TimeLimit::WorkingDays(3),
            &c,
            &limits,
        )
        .unwrap();
        // Mon 28 Sep + 3: Tue 29, Wed 30, Thu 8 Oct.
        assert_eq!(to_local_rfc3339(d.due_at), "2026-10-08T23:59:59.999+08:00");
        let extended = d
            .extend(
                DeadlineKind::Handle,
                2,
                local(2026, 9, 29, 9, 0),
                &c,
                &limits,
            )
            .unwrap();
        // Thu 8 Oct + 2: Fri 9, Sat 10 (make-up).
        assert_eq!(
            to_local_rfc3339(extended.due_at),
            "2026-10-10T23:59:59.999+08:00"
        );
        assert_eq!(extended.extended_by_working_days, 2);
        assert_eq!(extended.started_at, d.started_at);
        assert_eq!(
            fmt(extended.remind_at).as_deref(),
            Some("2026-10-10T00:00:00+08:00")
        );
    }

    #[test]
    fn configured_cards_escalate_in_order() {
        let c = Calendar::bundled();
        let mut config = TimeLimits::bundled().config().clone();
        config.alerts.yellow_card_after = Some(TimeLimit::WorkingDays(3));
        config.alerts.red_card_after = Some(TimeLimit::WorkingDays(5));
        let limits = TimeLimits::new(config).unwrap();
        let d = Deadline::plan(
            DeadlineKind::Handle,
            local(2026, 3, 2, 9, 0),
            TimeLimit::WorkingDays(3),
            &c,
            &limits,
        )
        .unwrap();
        // Due end of Thu 5 March; supervision Fri 6, yellow Tue 10, red Thu 12.
        let at: Vec<_> = d
            .escalations
            .iter()
            .map(|e| (e.level, to_local_rfc3339(e.at)))
            .collect();
        assert_eq!(
            at,
            [
                (
                    SupervisionLevel::Supervision,
                    "2026-03-06T00:00:00+08:00".to_string()
                ),
                (
                    SupervisionLevel::YellowCard,
                    "2026-03-10T00:00:00+08:00".to_string()
                ),
                (
                    SupervisionLevel::RedCard,
                    "2026-03-12T00:00:00+08:00".to_string()
                ),
            ]
        );
    }
}
