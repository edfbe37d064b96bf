//! Faults (故障): reported by anyone, acknowledged (the response), worked, restored, closed
//! with a cause. Deadlines run in natural time from the moment of the report, across
//! midnight and holidays alike, as maintenance clauses usually set them. A fault whose
//! response was late counts against indicator 8 (operation and maintenance) unless the county
//! office waives it with a reason.

use chrono::{DateTime, TimeDelta, Utc};
use serde::{Deserialize, Serialize};

use crate::codes::coded_enum;
use crate::error::{OpsError, Result, require_text};
use crate::ids::{AssetId, FaultId, UserId};
use crate::time::DateRange;

coded_enum! {
    pub enum FaultSeverity {
        /// Service down or seriously degraded (a leased line, several seats).
        Critical => ("critical", "紧急"),
        Major => ("major", "重要"),
        Minor => ("minor", "一般"),
    }
}

/// Response and restore limits for one severity, in minutes from the report.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Deadline {
    pub response_minutes: u32,
    pub restore_minutes: u32,
}

/// The contract's maintenance clause as data.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FaultRules {
    pub critical: Deadline,
    pub major: Deadline,
    pub minor: Deadline,
    /// Whether a late restore is also a breach of indicator 8 (the standard names only the
    /// response; default false). A fault counts once either way.
    #[serde(default)]
    pub count_late_restore: bool,
}

impl Default for FaultRules {
    fn default() -> Self {
        let others = Deadline {
            response_minutes: 120,
            restore_minutes: 24 * 60,
        };
        FaultRules {
            critical: Deadline {
                response_minutes: 30,
                restore_minutes: 4 * 60,
            },
            major: others,
            minor: others,
            count_late_restore: false,
        }
    }
}

impl FaultRules {
    pub fn deadline(&self, severity: FaultSeverity) -> Deadline {
        match severity {
            FaultSeverity::Critical => self.critical,
            FaultSeverity::Major => self.major,
            FaultSeverity::Minor => self.minor,
        }
    }

    pub fn validate(&self) -> Result<()> {
        for s in FaultSeverity::ALL {
            let d = self.deadline(*s);
            if d.response_minutes == 0 || d.restore_minutes < d.response_minutes {
                return Err(OpsError::invalid(
                    "faults",
                    format!(
                        "{}: response {} min must be positive and not after restore {} min",
                        s.code(),
                        d.response_minutes,
                        d.restore_minutes
                    ),
                ));
            }
        }
        Ok(())
    }
}

coded_enum! {
    pub enum FaultStatus {
        Reported => ("reported", "已报告"),
        Acknowledged => ("acknowledged", "已响应"),
        Restored => ("restored", "已恢复"),
        Closed => ("closed", "已关闭"),
    }
}

coded_enum! {
    pub enum CauseCategory {
        Equipment => ("equipment", "设备故障"),
        Line => ("line", "线路/运营商故障"),
        Power => ("power", "停电"),
        Software => ("software", "软件故障"),
        ProvincialPlatform => ("provincial_platform", "省级平台故障"),
        Operation => ("operation", "人为操作"),
        ForceMajeure => ("force_majeure", "不可抗力"),
        Unknown => ("unknown", "原因不明"),
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FaultCause {
    pub category: CauseCategory,
    pub description: String,
}

/// The county office's decision that a breach does not count, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Waiver {
    pub by: UserId,
    pub at: DateTime<Utc>,
    pub reason: String,
}

/// A note of work done on a fault (处理记录).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WorkNote {
    pub by: UserId,
    pub at: DateTime<Utc>,
    pub note: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Fault {
    pub id: FaultId,
    pub asset_id: AssetId,
    pub severity: FaultSeverity,
    pub description: String,
    pub reported_by: UserId,
    pub reported_at: DateTime<Utc>,
    pub status: FaultStatus,
    #[serde(default)]
    pub acknowledged_by: Option<UserId>,
    #[serde(default)]
    pub acknowledged_at: Option<DateTime<Utc>>,
    #[serde(default)]
    pub restored_by: Option<UserId>,
    #[serde(default)]
    pub restored_at: Option<DateTime<Utc>>,
    #[serde(default)]
    pub closed_by: Option<UserId>,
    #[serde(default)]
    pub closed_at: Option<DateTime<Utc>>,
    #[serde(default)]
    pub cause: Option<FaultCause>,
    #[serde(default)]
    pub work_log: Vec<WorkNote>,
    #[serde(default)]
    pub waiver: Option<Waiver>,
}

impl Fault {
    pub fn report(
        id: FaultId,
        asset_id: AssetId,
        severity: FaultSeverity,
        description: &str,
        reported_by: UserId,
        reported_at: DateTime<Utc>,
    ) -> Result<Fault> {
        require_text("description", description)?;
        Ok(Fault {
            id,
            asset_id,
            severity,
            description: description.trim().to_string(),
            reported_by,
            reported_at,
            status: FaultStatus::Reported,
            acknowledged_by: None,
            acknowledged_at: None,
            restored_by: None,
            restored_at: None,
            closed_by: None,
            closed_at: None,
            cause: None,
            work_log: Vec::new(),
            waiver: None,
        })
    }

    fn illegal(&self, action: &'static str) -> OpsError {
        OpsError::IllegalTransition {
            entity: "fault",
            id: self.id.0,
            state: self.status.code(),
            action,
        }
    }

    fn not_before(what: &'static str, earlier: DateTime<Utc>, at: DateTime<Utc>) -> Result<()> {
        if at < earlier {
            Err(OpsError::end_before_start(what, earlier, at))
        } else {
            Ok(())
        }
    }

    /// The maintainer has taken the fault on: this is the response.
    pub fn acknowledge(&mut self, by: UserId, at: DateTime<Utc>) -> Result<()> {
        if self.status != FaultStatus::Reported {
            return Err(self.illegal("acknowledge"));
        }
        Self::not_before("fault response", self.reported_at, at)?;
        self.status = FaultStatus::Acknowledged;
        self.acknowledged_by = Some(by);
        self.acknowledged_at = Some(at);
        Ok(())
    }

    pub fn add_note(&mut self, by: UserId, at: DateTime<Utc>, note: &str) -> Result<()> {
        if self.status == FaultStatus::Closed {
            return Err(self.illegal("add a work note"));
        }
        require_text("note", note)?;
        Self::not_before("work note", self.reported_at, at)?;
        self.work_log.push(WorkNote {
            by,
            at,
            note: note.trim().to_string(),
        });
        Ok(())
    }

    /// Service is back.
    pub fn restore(&mut self, by: UserId, at: DateTime<Utc>) -> Result<()> {
        if self.status != FaultStatus::Acknowledged {
            return Err(self.illegal("restore"));
        }
        let acknowledged = self.acknowledged_at.unwrap_or(self.reported_at);
        Self::not_before("fault restore", acknowledged, at)?;
        self.status = FaultStatus::Restored;
        self.restored_by = Some(by);
        self.restored_at = Some(at);
        Ok(())
    }

    /// Closes a restored fault with its cause.
    pub fn close(&mut self, by: UserId, at: DateTime<Utc>, cause: FaultCause) -> Result<()> {
        if self.status != FaultStatus::Restored {
            return Err(self.illegal("close"));
        }
        require_text("cause.description", &cause.description)?;
        let restored = self.restored_at.unwrap_or(self.reported_at);
        Self::not_before("fault close", restored, at)?;
        self.status = FaultStatus::Closed;
        self.closed_by = Some(by);
        self.closed_at = Some(at);
        self.cause = Some(cause);
        Ok(())
    }

    /// The county office waives the fault for indicator 8 (e.g. a carrier's cable cut by
    /// road works). Once only; the reason is required.
    pub fn waive(&mut self, by: UserId, at: DateTime<Utc>, reason: &str) -> Result<()> {
        if self.waiver.is_some() {
            return Err(OpsError::IllegalTransition {
                entity: "fault",
                id: self.id.0,
                state: "waived",
                action: "waive",
            });
        }
        require_text("reason", reason)?;
        self.waiver = Some(Waiver {
            by,
            at,
            reason: reason.trim().to_string(),
        });
        Ok(())
    }

    fn after(&self, minutes: u32) -> Option<DateTime<Utc>> {
        self.reported_at
            .checked_add_signed(TimeDelta::minutes(i64::from(minutes)))
    }

    /// Report time plus the severity's response limit.
    pub fn response_deadline(&self, rules: &FaultRules) -> Option<DateTime<Utc>> {
        self.after(rules.deadline(self.severity).response_minutes)
    }

    pub fn restore_deadline(&self, rules: &FaultRules) -> Option<DateTime<Utc>> {
        self.after(rules.deadline(self.severity).restore_minutes)
    }

    /// Acknowledged after the deadline, or still not acknowledged at `now` past it.
    /// Acknowledging exactly at the deadline is on time.
    pub fn is_response_late(&self, now: DateTime<Utc>, rules: &FaultRules) -> bool {
        is_late(self.response_deadline(rules), self.acknowledged_at, now)
    }

    pub fn is_restore_late(&self, now: DateTime<Utc>, rules: &FaultRules) -> bool {
        is_late(self.restore_deadline(rules), self.restored_at, now)
    }

    /// The breach this fault causes for indicator 8 as of `now`, if any (waived or not).
    /// A fault late in both response and restore gives one breach, the earlier one.
    pub fn breach(&self, now: DateTime<Utc>, rules: &FaultRules) -> Option<Breach> {
        let make = |kind, deadline: Option<DateTime<Utc>>, done: Option<DateTime<Utc>>| {
            let deadline = deadline?;
            Some(Breach {
                fault_id: self.id,
                asset_id: self.asset_id,
                severity: self.severity,
                kind,
                deadline,
                done_at: done,
                late_by_minutes: (done.unwrap_or(now) - deadline).num_minutes(),
                waived: self.waiver.is_some(),
            })
        };
        if self.is_response_late(now, rules) {
            return make(
                BreachKind::ResponseLate,
                self.response_deadline(rules),
                self.acknowledged_at,
            );
        }
        if rules.count_late_restore && self.is_restore_late(now, rules) {
            return make(
                BreachKind::RestoreLate,
                self.restore_deadline(rules),
                self.restored_at,
            );
        }
        None
    }

    /// Counts against indicator 8: a breach that is not waived.
    pub fn counts_against_indicator8(&self, now: DateTime<Utc>, rules: &FaultRules) -> bool {
        self.breach(now, rules).is_some_and(|b| !b.waived)
    }
}

fn is_late(
    deadline: Option<DateTime<Utc>>,
    done: Option<DateTime<Utc>>,
    now: DateTime<Utc>,
) -> bool {
    deadline.is_some_and(|d| done.unwrap_or(now) > d)
}

coded_enum! {
    pub enum BreachKind {
        ResponseLate => ("response_late", "响应超时"),
        RestoreLate => ("restore_late", "修复超时"),
    }
}

/// One fault that missed a deadline.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Breach {
    pub fault_id: FaultId,
    pub asset_id: AssetId,
    pub severity: FaultSeverity,
    pub kind: BreachKind,
    pub deadline: DateTime<Utc>,
    /// When it was acknowledged/restored; `None` if still not done.
    pub done_at: Option<DateTime<Utc>>,
    /// Minutes past the deadline (up to `now` if not done).
    pub late_by_minutes: i64,
    pub waived: bool,
}

/// Indicator 8 for a period: the breaches that count and those the county waived.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Indicator8Report {
    pub period: DateRange,
    pub faults_in_period: u32,
    pub counted: Vec<Breach>,
    pub waived: Vec<Breach>,
}

/// Breaches whose deadline fell in the period's local days and has passed by `now` (a
/// breach belongs to the period in which it happened, even if the fault was reported the
/// evening before). `faults_in_period` counts faults reported in the period.
pub fn indicator8(
    faults: &[Fault],
    period: DateRange,
    now: DateTime<Utc>,
    rules: &FaultRules,
) -> Indicator8Report {
    let mut counted = Vec::new();
    let mut waived = Vec::new();
    for f in faults {
        if let Some(b) = f.breach(now, rules)
            && b.deadline <= now
            && period.contains_instant(b.deadline)
        {
            if b.waived {
                waived.push(b);
            } else {
                counted.push(b);
            }
        }
    }
    counted.sort_by_key(|b| (b.deadline, b.fault_id));
    waived.sort_by_key(|b| (b.deadline, b.fault_id));
    Indicator8Report {
        period,
        faults_in_period: faults
            .iter()
            .filter(|f| period.contains_instant(f.reported_at))
            .count() as u32,
        counted,
        waived,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::time::{from_local, to_local};
    use chrono::NaiveDate;

    /// A Beijing wall-clock time as an instant.
    fn bj(s: &str) -> DateTime<Utc> {
        from_local(chrono::NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M").unwrap()).unwrap()
    }

    fn show(t: DateTime<Utc>) -> String {
        to_local(t).unwrap().format("%Y-%m-%d %H:%M").to_string()
    }

    fn fault(severity: FaultSeverity, reported: &str) -> Fault {
        Fault::report(
            FaultId(1),
            AssetId(1),
            severity,
            "省呼叫中心专线中断",
            UserId(5),
            bj(reported),
        )
        .unwrap()
    }

    #[test]
    fn deadlines_across_midnight() {
        let rules = FaultRules::default();
        // critical reported 23:45 on New Year's Eve: respond by 00:15, restore by 03:45
        let f = fault(FaultSeverity::Critical, "2025-12-31 23:45");
        assert_eq!(
            show(f.response_deadline(&rules).unwrap()),
            "2026-01-01 00:15"
        );
        assert_eq!(
            show(f.restore_deadline(&rules).unwrap()),
            "2026-01-01 03:45"
        );
        // minor reported 22:30: respond by 00:30, restore by 22:30 the next day
        let m = fault(FaultSeverity::Minor, "2025-03-05 22:30");
        assert_eq!(
            show(m.response_deadline(&rules).unwrap()),
            "2025-03-06 00:30"
        );
        assert_eq!(
            show(m.restore_deadline(&rules).unwrap()),
            "2025-03-06 22:30"
        );
    }

    #[test]
    fn response_lateness_table() {
        let rules = FaultRules::default();
        // (acknowledged at, now, late?)
        let cases = [
            (None, "2026-01-01 00:15", false), // exactly at the deadline, not yet acknowledged
            (None, "2026-01-01 00:16", true),
            (Some("2026-01-01 00:15"), "2026-01-01 09:00", false),
            (Some("2026-01-01 00:16"), "2026-01-01 09:00", true),
            (Some("2025-12-31 23:50"), "2026-01-01 09:00", false),
        ];
        for (ack, now, late) in cases {
            let mut f = fault(FaultSeverity::Critical, "2025-12-31 23:45");
            if let Some(a) = ack {
                f.acknowledge(UserId(2), bj(a)).unwrap();
            }
            assert_eq!(f.is_response_late(bj(now), &rules), late, "{ack:?} {now}");
            assert_eq!(f.counts_against_indicator8(bj(now), &rules), late);
        }
    }

    #[test]
    fn lifecycle_order_and_times_are_enforced() {
        let mut f = fault(FaultSeverity::Major, "2025-03-05 10:00");
        assert_eq!(
            f.restore(UserId(2), bj("2025-03-05 10:30"))
                .unwrap_err()
                .code(),
            "illegal_transition"
        );
        let err = f
            .acknowledge(UserId(2), bj("2025-03-05 09:59"))
            .unwrap_err();
        assert_eq!(err.code(), "end_before_start");
        assert!(err.to_string().contains("fault response"));
        f.acknowledge(UserId(2), bj("2025-03-05 10:20")).unwrap();
        f.add_note(UserId(2), bj("2025-03-05 10:40"), "已联系运营商")
            .unwrap();
        f.restore(UserId(2), bj("2025-03-05 12:00")).unwrap();
        let cause = FaultCause {
            category: CauseCategory::Line,
            description: "光缆被挖断".into(),
        };
        f.close(UserId(3), bj("2025-03-05 12:30"), cause.clone())
            .unwrap();
        assert_eq!(f.status, FaultStatus::Closed);
        assert!(f.close(UserId(3), bj("2025-03-05 12:31"), cause).is_err());
        assert!(f.add_note(UserId(2), bj("2025-03-05 13:00"), "x").is_err());
    }

    #[test]
    fn waiver_removes_the_breach_from_the_count_but_keeps_it_visible() {
        let rules = FaultRules::default();
        let mut f = fault(FaultSeverity::Critical, "2025-03-31 23:50");
        f.acknowledge(UserId(2), bj("2025-04-01 01:00")).unwrap();
        let now = bj("2025-04-02 00:00");
        let march = DateRange::new(
            NaiveDate::from_ymd_opt(2025, 3, 1).unwrap(),
            NaiveDate::from_ymd_opt(2025, 4, 1).unwrap(),
        )
        .unwrap();
        let april = DateRange::new(
            NaiveDate::from_ymd_opt(2025, 4, 1).unwrap(),
            NaiveDate::from_ymd_opt(2025, 5, 1).unwrap(),
        )
        .unwrap();
        // deadline 00:20 on 1 April: the breach belongs to April, the fault was reported in March
        let m = indicator8(std::slice::from_ref(&f), march, now, &rules);
        assert_eq!((m.faults_in_period, m.counted.len()), (1, 0));
        let a = indicator8(std::slice::from_ref(&f), april, now, &rules);
        assert_eq!(a.counted.len(), 1);
        assert_eq!(a.counted[0].late_by_minutes, 40);
        assert!(f.waive(UserId(9), now, " ").is_err());
        f.waive(UserId(9), now, "运营商市政施工挖断光缆，非运维方责任")
            .unwrap();
        assert_eq!(
            f.waive(UserId(9), now, "again").unwrap_err().code(),
            "illegal_transition"
        );
        let a = indicator8(std::slice::from_ref(&f), april, now, &rules);
        assert_eq!((a.counted.len(), a.waived.len()), (0, 1));
        assert!(!f.counts_against_indicator8(now, &rules));
    }

    #[test]
    fn late_restore_counts_only_when_configured_and_once() {
        let mut rules = FaultRules::default();
        let mut f = fault(FaultSeverity::Critical, "2025-03-05 10:00");
        f.acknowledge(UserId(2), bj("2025-03-05 10:10")).unwrap();
        f.restore(UserId(2), bj("2025-03-05 15:00")).unwrap();
        let now = bj("2025-03-06 00:00");
        assert!(f.is_restore_late(now, &rules));
        assert!(f.breach(now, &rules).is_none());
        rules.count_late_restore = true;
        let b = f.breach(now, &rules).unwrap();
        assert_eq!((b.kind, b.late_by_minutes), (BreachKind::RestoreLate, 60));
        // a breach not yet happened is not counted in the report
        let open = fault(FaultSeverity::Minor, "2025-03-05 23:00");
        let range = DateRange::new(
            NaiveDate::from_ymd_opt(2025, 3, 1).unwrap(),
            NaiveDate::from_ymd_opt(2025, 4, 1).unwrap(),
        )
        .unwrap();
        let r = indicator8(&[open], range, bj("2025-03-06 00:30"), &rules);
        assert!(r.counted.is_empty());
        assert!(
            FaultRules {
                critical: Deadline {
                    response_minutes: 60,
                    restore_minutes: 30
                },
                ..FaultRules::default()
            }
            .validate()
            .is_err()
        );
    }
}
