//! Emergencies (突发事件, indicator 7): a typhoon, an outage, a public-health event or a sudden
//! surge of calls that needs staffing changed by a deadline. A late change counts against
//! indicator 7 only when the county office judges that the delay had consequences, and not
//! when the event is exempted as force majeure.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::codes::coded_enum;
use crate::error::{OpsError, Result, require_text};
use crate::ids::{EmergencyId, UserId};
use crate::time::DateRange;

coded_enum! {
    pub enum EmergencyKind {
        Typhoon => ("typhoon", "台风"),
        PowerOutage => ("power_outage", "停电"),
        NetworkOutage => ("network_outage", "断网"),
        PublicHealth => ("public_health", "公共卫生事件"),
        CallSurge => ("call_surge", "话务激增"),
        Other => ("other", "其他"),
    }
}

coded_enum! {
    /// The county office's judgement of whether a late response had consequences.
    pub enum Consequences {
        Pending => ("pending", "待认定"),
        Yes => ("yes", "造成影响"),
        No => ("no", "未造成影响"),
    }
}

/// Who judged the consequences, when, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Judgement {
    pub by: UserId,
    pub at: DateTime<Utc>,
    pub consequences: Consequences,
    pub note: String,
}

/// A force-majeure exemption granted by the county office.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Exemption {
    pub by: UserId,
    pub at: DateTime<Utc>,
    pub reason: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Emergency {
    pub id: EmergencyId,
    pub kind: EmergencyKind,
    pub description: String,
    /// When the operator knew (or should have known) of the event.
    pub known_at: DateTime<Utc>,
    /// The staffing change required, e.g. "增开3个坐席，班长到岗".
    pub required_change: String,
    pub staffing_due_by: DateTime<Utc>,
    #[serde(default)]
    pub staffing_changed_at: Option<DateTime<Utc>>,
    #[serde(default)]
    pub staffing_change_note: Option<String>,
    /// The latest judgement; `None` means pending.
    #[serde(default)]
    pub judgement: Option<Judgement>,
    #[serde(default)]
    pub force_majeure: Option<Exemption>,
}

coded_enum! {
    /// Where an emergency stands for indicator 7.
    pub enum Indicator7Status {
        /// Staffing not changed yet, deadline not passed.
        NotDue => ("not_due", "未到期"),
        OnTime => ("on_time", "响应及时"),
        LateAwaitingJudgement => ("late_pending", "超时，待认定影响"),
        LateWithoutConsequences => ("late_no_consequences", "超时，未造成影响"),
        ExemptForceMajeure => ("exempt", "超时，不可抗力免责"),
        /// Late, with consequences, not exempt: −1 on indicator 7.
        Counts => ("counts", "超时且造成影响，计入扣分"),
    }
}

impl Emergency {
    pub fn open(
        id: EmergencyId,
        kind: EmergencyKind,
        description: &str,
        known_at: DateTime<Utc>,
        required_change: &str,
        staffing_due_by: DateTime<Utc>,
    ) -> Result<Emergency> {
        require_text("description", description)?;
        require_text("required_change", required_change)?;
        if staffing_due_by < known_at {
            return Err(OpsError::end_before_start(
                "staffing deadline",
                known_at,
                staffing_due_by,
            ));
        }
        Ok(Emergency {
            id,
            kind,
            description: description.trim().to_string(),
            known_at,
            required_change: required_change.trim().to_string(),
            staffing_due_by,
            staffing_changed_at: None,
            staffing_change_note: None,
            judgement: None,
            force_majeure: None,
        })
    }

    /// Records when staffing was actually changed. Once.
    pub fn record_staffing_change(&mut self, at: DateTime<Utc>, note: &str) -> Result<()> {
        if self.staffing_changed_at.is_some() {
            return Err(OpsError::IllegalTransition {
                entity: "emergency",
                id: self.id.0,
                state: "staffing already changed",
                action: "record the staffing change",
            });
        }
        if at < self.known_at {
            return Err(OpsError::end_before_start(
                "staffing change",
                self.known_at,
                at,
            ));
        }
        self.staffing_changed_at = Some(at);
        self.staffing_change_note = Some(note.trim().to_string()).filter(|n| !n.is_empty());
        Ok(())
    }

    /// The county office judges the consequences (it may revise its judgement; the latest
    /// stands). `Pending` cannot be set as a judgement.
    pub fn judge(
        &mut self,
        by: UserId,
        at: DateTime<Utc>,
        consequences: Consequences,
        note: &str,
    ) -> Result<()> {
        if consequences == Consequences::Pending {
            return Err(OpsError::invalid(
                "consequences",
                "a judgement is `yes` or `no`",
            ));
        }
        require_text("note", note)?;
        self.judgement = Some(Judgement {
            by,
            at,
            consequences,
            note: note.trim().to_string(),
        });
        Ok(())
    }

    /// Exempts the event as force majeure. Once; the reason is required.
    pub fn exempt(&mut self, by: UserId, at: DateTime<Utc>, reason: &str) -> Result<()> {
        if self.force_majeure.is_some() {
            return Err(OpsError::IllegalTransition {
                entity: "emergency",
                id: self.id.0,
                state: "exempt",
                action: "exempt",
            });
        }
        require_text("reason", reason)?;
        self.force_majeure = Some(Exemption {
            by,
            at,
            reason: reason.trim().to_string(),
        });
        Ok(())
    }

    pub fn consequences(&self) -> Consequences {
        self.judgement
            .as_ref()
            .map_or(Consequences::Pending, |j| j.consequences)
    }

    /// Staffing changed after the deadline, or still unchanged at `now` past it.
    pub fn is_late(&self, now: DateTime<Utc>) -> bool {
        self.staffing_changed_at.unwrap_or(now) > self.staffing_due_by
    }

    pub fn indicator7_status(&self, now: DateTime<Utc>) -> Indicator7Status {
        if !self.is_late(now) {
            return if self.staffing_changed_at.is_some() {
                Indicator7Status::OnTime
            } else {
                Indicator7Status::NotDue
            };
        }
        if self.force_majeure.is_some() {
            return Indicator7Status::ExemptForceMajeure;
        }
        match self.consequences() {
            Consequences::Pending => Indicator7Status::LateAwaitingJudgement,
            Consequences::No => Indicator7Status::LateWithoutConsequences,
            Consequences::Yes => Indicator7Status::Counts,
        }
    }

    pub fn counts_against_indicator7(&self, now: DateTime<Utc>) -> bool {
        self.indicator7_status(now) == Indicator7Status::Counts
    }
}

/// Indicator 7 for a period (events by the local day they became known).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Indicator7Report {
    pub period: DateRange,
    pub emergencies: u32,
    /// Late with consequences, not exempt: each is −1.
    pub counted: Vec<EmergencyId>,
    /// Late and not yet judged: the figure may still change.
    pub awaiting_judgement: Vec<EmergencyId>,
    pub statuses: Vec<(EmergencyId, Indicator7Status)>,
}

pub fn indicator7(
    emergencies: &[Emergency],
    period: DateRange,
    now: DateTime<Utc>,
) -> Indicator7Report {
    let mut in_period: Vec<&Emergency> = emergencies
        .iter()
        .filter(|e| period.contains_instant(e.known_at))
        .collect();
    in_period.sort_by_key(|e| (e.known_at, e.id));
    let statuses: Vec<(EmergencyId, Indicator7Status)> = in_period
        .iter()
        .map(|e| (e.id, e.indicator7_status(now)))
        .collect();
    let with = |s: Indicator7Status| {
        statuses
            .iter()
            .filter(|(_, st)| *st == s)
            .map(|(id, _)| *id)
            .collect::<Vec<_>>()
    };
    Indicator7Report {
        period,
        emergencies: in_period.len() as u32,
        counted: with(Indicator7Status::Counts),
        awaiting_judgement: with(Indicator7Status::LateAwaitingJudgement),
        statuses,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::NaiveDate;

    fn at(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().to_utc()
    }

    fn typhoon() -> Emergency {
        Emergency::open(
            EmergencyId(1),
            EmergencyKind::Typhoon,
            "台风“摩羯”登陆，话务量预计翻倍",
            at("2025-09-05T08:00:00+08:00"),
            "增开4个坐席，班长到岗",
            at("2025-09-05T10:00:00+08:00"),
        )
        .unwrap()
    }

    #[test]
    fn indicator7_status_table() {
        let now = at("2025-09-06T00:00:00+08:00");
        // (changed at, judgement, exempt, status)
        let cases = [
            (
                Some("2025-09-05T09:30:00+08:00"),
                None,
                false,
                Indicator7Status::OnTime,
            ),
            (
                Some("2025-09-05T10:00:00+08:00"),
                None,
                false,
                Indicator7Status::OnTime,
            ),
            (
                Some("2025-09-05T10:30:00+08:00"),
                None,
                false,
                Indicator7Status::LateAwaitingJudgement,
            ),
            (
                Some("2025-09-05T10:30:00+08:00"),
                Some(Consequences::No),
                false,
                Indicator7Status::LateWithoutConsequences,
            ),
            (
                Some("2025-09-05T10:30:00+08:00"),
                Some(Consequences::Yes),
                false,
                Indicator7Status::Counts,
            ),
            (
                Some("2025-09-05T10:30:00+08:00"),
                Some(Consequences::Yes),
                true,
                Indicator7Status::ExemptForceMajeure,
            ),
            (
                None,
                Some(Consequences::Yes),
                false,
                Indicator7Status::Counts,
            ),
        ];
        for (changed, judgement, exempt, expected) in cases {
            let mut e = typhoon();
            if let Some(c) = changed {
                e.record_staffing_change(at(c), "已调整").unwrap();
            }
            if let Some(j) = judgement {
                e.judge(UserId(9), now, j, "县12345办公室认定").unwrap();
            }
            if exempt {
                e.exempt(UserId(9), now, "台风导致全县停电").unwrap();
            }
            assert_eq!(
                e.indicator7_status(now),
                expected,
                "{changed:?} {judgement:?} {exempt}"
            );
            assert_eq!(
                e.counts_against_indicator7(now),
                expected == Indicator7Status::Counts
            );
        }
        assert_eq!(
            typhoon().indicator7_status(at("2025-09-05T09:00:00+08:00")),
            Indicator7Status::NotDue
        );
    }

    #[test]
    fn bad_input_is_named() {
        let err = Emergency::open(
            EmergencyId(1),
            EmergencyKind::CallSurge,
            "话务激增",
            at("2025-09-05T08:00:00Z"),
            "加人",
            at("2025-09-05T07:00:00Z"),
        )
        .unwrap_err();
        assert_eq!(err.code(), "end_before_start");
        let mut e = typhoon();
        assert_eq!(
            e.record_staffing_change(at("2025-09-05T07:00:00+08:00"), "")
                .unwrap_err()
                .code(),
            "end_before_start"
        );
        e.record_staffing_change(at("2025-09-05T09:00:00+08:00"), "")
            .unwrap();
        assert_eq!(
            e.record_staffing_change(at("2025-09-05T09:10:00+08:00"), "")
                .unwrap_err()
                .code(),
            "illegal_transition"
        );
        assert!(
            e.judge(
                UserId(1),
                at("2025-09-06T00:00:00Z"),
                Consequences::Pending,
                "x"
            )
            .is_err()
        );
        e.exempt(UserId(1), at("2025-09-06T00:00:00Z"), "不可抗力")
            .unwrap();
        assert!(
            e.exempt(UserId(1), at("2025-09-06T00:00:00Z"), "again")
                .is_err()
        );
    }

    #[test]
    fn report_counts_by_the_day_the_event_became_known() {
        let now = at("2025-10-01T00:00:00+08:00");
        let mut late = typhoon();
        late.record_staffing_change(at("2025-09-05T11:00:00+08:00"), "")
            .unwrap();
        late.judge(UserId(9), now, Consequences::Yes, "大量来电未接通")
            .unwrap();
        let mut pending = typhoon();
        pending.id = EmergencyId(2);
        let mut august = typhoon();
        august.id = EmergencyId(3);
        august.known_at = at("2025-08-31T23:00:00+08:00");
        let sept = DateRange::new(
            NaiveDate::from_ymd_opt(2025, 9, 1).unwrap(),
            NaiveDate::from_ymd_opt(2025, 10, 1).unwrap(),
        )
        .unwrap();
        let r = indicator7(&[late, pending, august], sept, now);
        assert_eq!(r.emergencies, 2);
        assert_eq!(r.counted, vec![EmergencyId(1)]);
        assert_eq!(r.awaiting_judgement, vec![EmergencyId(2)]);
    }
}
