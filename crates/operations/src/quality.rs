//! Quality control: complaints about agents (有理由投诉, indicator 5), praise from citizens
//! (群众表扬, indicator 9) and the shift leader's scored reviews of calls and orders.
//!
//! Complaints count only when the verdict is "justified" and final; praise only once the
//! county office has verified it. Both tallies are by the local day the complaint or praise
//! was received, and list what is still undecided so a live figure is not mistaken for final.

use std::collections::BTreeMap;

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

use crate::codes::coded_enum;
use crate::error::{OpsError, Result, require_text};
use crate::ids::{ComplaintId, PraiseId, ReviewId, StaffId, UserId};
use crate::time::{DateRange, YearMonth, local_date};

/// Points per case, as the assessment standard gives them. The assessment crate owns the
/// score; these are here so a tally can show its points next to its counts.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct QualityPoints {
    pub ordinary_complaint: f64,
    pub severe_complaint: f64,
    pub praise_call: f64,
    pub praise_letter: f64,
    pub praise_banner: f64,
    /// The praise bonus is capped per period.
    pub praise_cap: f64,
}

impl Default for QualityPoints {
    fn default() -> Self {
        QualityPoints {
            ordinary_complaint: -1.0,
            severe_complaint: -2.0,
            praise_call: 0.5,
            praise_letter: 0.5,
            praise_banner: 1.0,
            praise_cap: 5.0,
        }
    }
}

impl QualityPoints {
    pub fn validate(&self) -> Result<()> {
        let all = [
            self.ordinary_complaint,
            self.severe_complaint,
            self.praise_call,
            self.praise_letter,
            self.praise_banner,
            self.praise_cap,
        ];
        if all.iter().any(|p| !p.is_finite()) {
            return Err(OpsError::invalid(
                "quality.points",
                "every value must be a number",
            ));
        }
        if self.ordinary_complaint > 0.0 || self.severe_complaint > 0.0 {
            return Err(OpsError::invalid(
                "quality.points",
                "complaint points are deductions (≤ 0)",
            ));
        }
        if self.praise_call < 0.0
            || self.praise_letter < 0.0
            || self.praise_banner < 0.0
            || self.praise_cap < 0.0
        {
            return Err(OpsError::invalid(
                "quality.points",
                "praise points are bonuses (≥ 0)",
            ));
        }
        Ok(())
    }
}

coded_enum! {
    pub enum ComplaintSource {
        Caller => ("caller", "市民来电"),
        /// Raised by a leader (领导批示): severe.
        Leader => ("leader", "领导批示"),
        /// Exposed by the media (媒体曝光): severe.
        Media => ("media", "媒体曝光"),
        Other => ("other", "其他渠道"),
    }
}

coded_enum! {
    pub enum Verdict {
        Pending => ("pending", "待核实"),
        Justified => ("justified", "有理由"),
        Unjustified => ("unjustified", "无理由"),
    }
}

coded_enum! {
    pub enum ComplaintSeverity {
        /// −1.
        Ordinary => ("ordinary", "一般投诉"),
        /// −2: raised by a leader, exposed by media, or with bad social impact.
        Severe => ("severe", "严重投诉"),
    }
}

/// One step in a complaint's verdict history.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct VerdictChange {
    pub by: UserId,
    pub at: DateTime<Utc>,
    pub verdict: Verdict,
    pub is_final: bool,
    pub note: String,
}

/// A complaint about an agent's attitude or competence.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Complaint {
    pub id: ComplaintId,
    pub source: ComplaintSource,
    pub received_at: DateTime<Utc>,
    pub agent: StaffId,
    #[serde(default)]
    pub call_id: Option<String>,
    #[serde(default)]
    pub order_id: Option<String>,
    pub summary: String,
    /// Judged to have had bad social impact (造成不良社会影响): severe.
    #[serde(default)]
    pub bad_social_impact: bool,
    pub verdict: Verdict,
    pub verdict_final: bool,
    #[serde(default)]
    pub history: Vec<VerdictChange>,
}

impl Complaint {
    pub fn receive(
        id: ComplaintId,
        source: ComplaintSource,
        received_at: DateTime<Utc>,
        agent: StaffId,
        summary: &str,
    ) -> Result<Complaint> {
        require_text("summary", summary)?;
        Ok(Complaint {
            id,
            source,
            received_at,
            agent,
            call_id: None,
            order_id: None,
            summary: summary.trim().to_string(),
            bad_social_impact: false,
            verdict: Verdict::Pending,
            verdict_final: false,
            history: Vec::new(),
        })
    }

    fn change(
        &mut self,
        by: UserId,
        at: DateTime<Utc>,
        verdict: Verdict,
        is_final: bool,
        note: &str,
    ) -> Result<()> {
        require_text("note", note)?;
        if at < self.received_at {
            return Err(OpsError::end_before_start(
                "complaint verdict",
                self.received_at,
                at,
            ));
        }
        self.verdict = verdict;
        self.verdict_final = is_final;
        self.history.push(VerdictChange {
            by,
            at,
            verdict,
            is_final,
            note: note.trim().to_string(),
        });
        Ok(())
    }

    /// Quality-control review: a provisional verdict, and whether the case had bad social
    /// impact. Not allowed once the verdict is final (use [`Complaint::revise`]).
    pub fn review(
        &mut self,
        by: UserId,
        at: DateTime<Utc>,
        verdict: Verdict,
        bad_social_impact: bool,
        note: &str,
    ) -> Result<()> {
        if self.verdict_final {
            return Err(OpsError::IllegalTransition {
                entity: "complaint",
                id: self.id.0,
                state: "final",
                action: "review",
            });
        }
        self.change(by, at, verdict, false, note)?;
        self.bad_social_impact = bad_social_impact;
        Ok(())
    }

    /// The county office makes the reviewed verdict final.
    pub fn finalize(&mut self, by: UserId, at: DateTime<Utc>, note: &str) -> Result<()> {
        if self.verdict_final || self.verdict == Verdict::Pending {
            return Err(OpsError::IllegalTransition {
                entity: "complaint",
                id: self.id.0,
                state: if self.verdict_final {
                    "final"
                } else {
                    "pending"
                },
                action: "finalize",
            });
        }
        self.change(by, at, self.verdict, true, note)
    }

    /// The county office changes a final verdict (e.g. after the operator's appeal).
    pub fn revise(
        &mut self,
        by: UserId,
        at: DateTime<Utc>,
        verdict: Verdict,
        note: &str,
    ) -> Result<()> {
        if !self.verdict_final {
            return Err(OpsError::IllegalTransition {
                entity: "complaint",
                id: self.id.0,
                state: "not final",
                action: "revise",
            });
        }
        if verdict == Verdict::Pending {
            return Err(OpsError::invalid(
                "verdict",
                "a final verdict is justified or unjustified",
            ));
        }
        self.change(by, at, verdict, true, note)
    }

    pub fn severity(&self) -> ComplaintSeverity {
        if self.bad_social_impact
            || matches!(
                self.source,
                ComplaintSource::Leader | ComplaintSource::Media
            )
        {
            ComplaintSeverity::Severe
        } else {
            ComplaintSeverity::Ordinary
        }
    }

    /// Counts against indicator 5: justified, and the verdict is final.
    pub fn counts(&self) -> bool {
        self.verdict_final && self.verdict == Verdict::Justified
    }
}

/// Indicator 5 for a period.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ComplaintTally {
    pub period: DateRange,
    pub ordinary: u32,
    pub severe: u32,
    /// ordinary × ordinary points + severe × severe points (≤ 0).
    pub points: f64,
    pub counted: Vec<ComplaintId>,
    /// Received in the period without a final verdict yet.
    pub undecided: Vec<ComplaintId>,
}

pub fn complaint_tally(
    complaints: &[Complaint],
    period: DateRange,
    points: &QualityPoints,
) -> ComplaintTally {
    let mut in_period: Vec<&Complaint> = complaints
        .iter()
        .filter(|c| period.contains_instant(c.received_at))
        .collect();
    in_period.sort_by_key(|c| (c.received_at, c.id));
    let counted: Vec<&Complaint> = in_period.iter().copied().filter(|c| c.counts()).collect();
    let severe = counted
        .iter()
        .filter(|c| c.severity() == ComplaintSeverity::Severe)
        .count() as u32;
    let ordinary = counted.len() as u32 - severe;
    ComplaintTally {
        period,
        ordinary,
        severe,
        points: f64::from(ordinary) * points.ordinary_complaint
            + f64::from(severe) * points.severe_complaint,
        counted: counted.iter().map(|c| c.id).collect(),
        undecided: in_period
            .iter()
            .filter(|c| !c.verdict_final)
            .map(|c| c.id)
            .collect(),
    }
}

coded_enum! {
    pub enum PraiseKind {
        /// A call of thanks (+0.5).
        Call => ("call", "来电表扬"),
        /// A letter of thanks (+0.5).
        Letter => ("letter", "表扬信"),
        /// A banner, 锦旗 (+1).
        Banner => ("banner", "锦旗"),
    }
}

/// The county office's decision on a praise.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "status", rename_all = "snake_case")]
pub enum PraiseDecision {
    Pending,
    Verified {
        by: UserId,
        at: DateTime<Utc>,
    },
    Rejected {
        by: UserId,
        at: DateTime<Utc>,
        reason: String,
    },
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Praise {
    pub id: PraiseId,
    pub kind: PraiseKind,
    pub received_on: NaiveDate,
    /// The agent praised; `None` for praise of the whole team.
    #[serde(default)]
    pub agent: Option<StaffId>,
    #[serde(default)]
    pub order_id: Option<String>,
    pub description: String,
    pub decision: PraiseDecision,
}

impl Praise {
    pub fn receive(
        id: PraiseId,
        kind: PraiseKind,
        received_on: NaiveDate,
        agent: Option<StaffId>,
        description: &str,
    ) -> Result<Praise> {
        require_text("description", description)?;
        Ok(Praise {
            id,
            kind,
            received_on,
            agent,
            order_id: None,
            description: description.trim().to_string(),
            decision: PraiseDecision::Pending,
        })
    }

    fn ensure_pending(&self) -> Result<()> {
        match self.decision {
            PraiseDecision::Pending => Ok(()),
            PraiseDecision::Verified { .. } => Err(OpsError::PraiseAlreadyDecided {
                praise_id: self.id,
                decision: "verified",
            }),
            PraiseDecision::Rejected { .. } => Err(OpsError::PraiseAlreadyDecided {
                praise_id: self.id,
                decision: "rejected",
            }),
        }
    }

    /// The county office verifies the praise. Once: a second verification is a conflict.
    pub fn verify(&mut self, by: UserId, at: DateTime<Utc>) -> Result<()> {
        self.ensure_pending()?;
        self.decision = PraiseDecision::Verified { by, at };
        Ok(())
    }

    pub fn reject(&mut self, by: UserId, at: DateTime<Utc>, reason: &str) -> Result<()> {
        self.ensure_pending()?;
        require_text("reason", reason)?;
        self.decision = PraiseDecision::Rejected {
            by,
            at,
            reason: reason.trim().to_string(),
        };
        Ok(())
    }

    pub fn is_verified(&self) -> bool {
        matches!(self.decision, PraiseDecision::Verified { .. })
    }
}

/// Indicator 9 for a period.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PraiseTally {
    pub period: DateRange,
    pub calls: u32,
    pub letters: u32,
    pub banners: u32,
    /// Points before the cap.
    pub raw_points: f64,
    /// Points after the cap: the bonus.
    pub bonus: f64,
    pub counted: Vec<PraiseId>,
    /// Received in the period, not yet verified or rejected.
    pub unverified: Vec<PraiseId>,
}

pub fn praise_tally(praise: &[Praise], period: DateRange, points: &QualityPoints) -> PraiseTally {
    let mut in_period: Vec<&Praise> = praise
        .iter()
        .filter(|p| period.contains(p.received_on))
        .collect();
    in_period.sort_by_key(|p| (p.received_on, p.id));
    let verified: Vec<&Praise> = in_period
        .iter()
        .copied()
        .filter(|p| p.is_verified())
        .collect();
    let count = |k: PraiseKind| verified.iter().filter(|p| p.kind == k).count() as u32;
    let (calls, letters, banners) = (
        count(PraiseKind::Call),
        count(PraiseKind::Letter),
        count(PraiseKind::Banner),
    );
    let raw_points = f64::from(calls) * points.praise_call
        + f64::from(letters) * points.praise_letter
        + f64::from(banners) * points.praise_banner;
    PraiseTally {
        period,
        calls,
        letters,
        banners,
        raw_points,
        bonus: raw_points.min(points.praise_cap),
        counted: verified.iter().map(|p| p.id).collect(),
        unverified: in_period
            .iter()
            .filter(|p| p.decision == PraiseDecision::Pending)
            .map(|p| p.id)
            .collect(),
    }
}

/// One line of the review sheet.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SheetItem {
    pub code: String,
    pub label_zh: String,
    pub max_points: u32,
}

/// The shift leader's scoring sheet for a call or order (configurable).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct ReviewSheet(pub Vec<SheetItem>);

impl ReviewSheet {
    pub fn validate(&self) -> Result<()> {
        if self.0.is_empty() {
            return Err(OpsError::invalid("review_sheet", "the sheet has no items"));
        }
        for (i, item) in self.0.iter().enumerate() {
            require_text("review_sheet.code", &item.code)?;
            require_text("review_sheet.label_zh", &item.label_zh)?;
            if item.max_points == 0 {
                return Err(OpsError::invalid(
                    "review_sheet",
                    format!("item `{}` has no points", item.code),
                ));
            }
            if self.0[..i].iter().any(|o| o.code == item.code) {
                return Err(OpsError::Conflict {
                    what: "review_sheet",
                    detail: format!("item `{}` twice", item.code),
                });
            }
        }
        Ok(())
    }

    pub fn max_total(&self) -> u32 {
        self.0.iter().map(|i| i.max_points).sum()
    }
}

/// A score on one item; `max_points` is copied from the sheet so old reviews keep their
/// meaning when the sheet changes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ItemScore {
    pub item: String,
    pub points: u32,
    pub max_points: u32,
}

/// A review as entered, before it is checked against the sheet.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReviewDraft {
    pub id: ReviewId,
    pub agent: StaffId,
    pub reviewer: StaffId,
    pub reviewed_at: DateTime<Utc>,
    /// When the reviewed call took place or the order was registered: the review belongs to
    /// that month.
    pub subject_at: DateTime<Utc>,
    #[serde(default)]
    pub call_id: Option<String>,
    #[serde(default)]
    pub order_id: Option<String>,
    /// (item code, points).
    pub scores: Vec<(String, u32)>,
    #[serde(default)]
    pub comment: Option<String>,
}

/// A scored review of one call or order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CallReview {
    pub id: ReviewId,
    pub agent: StaffId,
    pub reviewer: StaffId,
    pub reviewed_at: DateTime<Utc>,
    pub subject_at: DateTime<Utc>,
    pub call_id: Option<String>,
    pub order_id: Option<String>,
    pub scores: Vec<ItemScore>,
    pub comment: Option<String>,
}

impl CallReview {
    /// Scores a draft against the sheet: every item once, none above its maximum, a call or
    /// an order named, nobody reviewing themselves.
    pub fn score(draft: ReviewDraft, sheet: &ReviewSheet) -> Result<CallReview> {
        if draft.agent == draft.reviewer {
            return Err(OpsError::invalid(
                "reviewer",
                "an agent cannot review their own call",
            ));
        }
        if draft.call_id.is_none() && draft.order_id.is_none() {
            return Err(OpsError::invalid(
                "call_id",
                "a review names the call or the order",
            ));
        }
        if draft.reviewed_at < draft.subject_at {
            return Err(OpsError::end_before_start(
                "review",
                draft.subject_at,
                draft.reviewed_at,
            ));
        }
        let mut scores = Vec::with_capacity(sheet.0.len());
        for (i, (code, points)) in draft.scores.iter().enumerate() {
            let item = sheet
                .0
                .iter()
                .find(|it| &it.code == code)
                .ok_or_else(|| OpsError::unknown("review item", code.clone()))?;
            if draft.scores[..i].iter().any(|(c, _)| c == code) {
                return Err(OpsError::invalid(
                    "scores",
                    format!("item `{code}` scored twice"),
                ));
            }
            if *points > item.max_points {
                return Err(OpsError::invalid(
                    "scores",
                    format!(
                        "item `{code}`: {points} is above the maximum {}",
                        item.max_points
                    ),
                ));
            }
            scores.push(ItemScore {
                item: code.clone(),
                points: *points,
                max_points: item.max_points,
            });
        }
        if let Some(missing) = sheet
            .0
            .iter()
            .find(|it| !draft.scores.iter().any(|(c, _)| *c == it.code))
        {
            return Err(OpsError::invalid(
                "scores",
                format!("item `{}` ({}) not scored", missing.code, missing.label_zh),
            ));
        }
        Ok(CallReview {
            id: draft.id,
            agent: draft.agent,
            reviewer: draft.reviewer,
            reviewed_at: draft.reviewed_at,
            subject_at: draft.subject_at,
            call_id: draft.call_id,
            order_id: draft.order_id,
            scores,
            comment: draft.comment,
        })
    }

    pub fn total(&self) -> u32 {
        self.scores.iter().map(|s| s.points).sum()
    }

    pub fn max_total(&self) -> u32 {
        self.scores.iter().map(|s| s.max_points).sum()
    }

    /// Total as a percentage of the maximum (0–100).
    pub fn percent(&self) -> f64 {
        match self.max_total() {
            0 => 0.0,
            max => f64::from(self.total()) * 100.0 / f64::from(max),
        }
    }
}

/// An agent's reviews in one month.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AgentMonthScore {
    pub agent: StaffId,
    pub month: YearMonth,
    pub reviews: u32,
    /// Mean of the reviews' percentages (each review weighs the same).
    pub average_percent: f64,
    /// Per item: points earned ÷ points possible, as a percentage.
    pub item_percent: BTreeMap<String, f64>,
}

/// Per agent and month (of the reviewed call, Beijing time), ordered by agent then month.
pub fn monthly_review_scores(reviews: &[CallReview]) -> Vec<AgentMonthScore> {
    #[derive(Default)]
    struct Acc {
        n: u32,
        percent_sum: f64,
        items: BTreeMap<String, (u64, u64)>,
    }
    let mut groups: BTreeMap<(StaffId, YearMonth), Acc> = BTreeMap::new();
    for r in reviews {
        let Some(day) = local_date(r.subject_at) else {
            continue;
        };
        let acc = groups
            .entry((r.agent, YearMonth::containing(day)))
            .or_default();
        acc.n += 1;
        acc.percent_sum += r.percent();
        for s in &r.scores {
            let e = acc.items.entry(s.item.clone()).or_default();
            e.0 += u64::from(s.points);
            e.1 += u64::from(s.max_points);
        }
    }
    groups
        .into_iter()
        .map(|((agent, month), acc)| AgentMonthScore {
            agent,
            month,
            reviews: acc.n,
            average_percent: acc.percent_sum / f64::from(acc.n.max(1)),
            item_percent: acc
                .items
                .into_iter()
                .map(|(k, (p, m))| {
                    (
                        k,
                        if m == 0 {
                            0.0
                        } else {
                            p as f64 * 100.0 / m as f64
                        },
                    )
                })
                .collect(),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::OperationsConfig;
    use proptest::prelude::*;

    fn at(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().to_utc()
    }

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    fn march() -> DateRange {
        DateRange::new(d(2025, 3, 1), d(2025, 4, 1)).unwrap()
    }

    fn complaint(id: i64, source: ComplaintSource, received: &str) -> Complaint {
        Complaint::receive(
            ComplaintId(id),
            source,
            at(received),
            StaffId(3),
            "态度生硬，未耐心解答",
        )
        .unwrap()
    }

    #[test]
    fn verdict_changes_update_the_count() {
        let p = QualityPoints::default();
        let mut caller = complaint(1, ComplaintSource::Caller, "2025-03-03T10:00:00+08:00");
        let mut media = complaint(2, ComplaintSource::Media, "2025-03-10T10:00:00+08:00");
        let count = |cs: &[Complaint]| {
            let t = complaint_tally(cs, march(), &p);
            (t.ordinary, t.severe, t.points, t.undecided.len())
        };
        assert_eq!(count(&[caller.clone(), media.clone()]), (0, 0, 0.0, 2));
        // a provisional verdict does not count yet
        caller
            .review(
                UserId(5),
                at("2025-03-04T10:00:00+08:00"),
                Verdict::Justified,
                false,
                "录音核实属实",
            )
            .unwrap();
        assert_eq!(count(&[caller.clone(), media.clone()]), (0, 0, 0.0, 2));
        caller
            .finalize(UserId(9), at("2025-03-05T10:00:00+08:00"), "县办确认")
            .unwrap();
        media
            .review(
                UserId(5),
                at("2025-03-11T10:00:00+08:00"),
                Verdict::Justified,
                false,
                "属实",
            )
            .unwrap();
        media
            .finalize(UserId(9), at("2025-03-12T10:00:00+08:00"), "确认")
            .unwrap();
        assert_eq!(count(&[caller.clone(), media.clone()]), (1, 1, -3.0, 0));
        // appeal: the county office revises the caller complaint to unjustified
        caller
            .revise(
                UserId(9),
                at("2025-03-20T10:00:00+08:00"),
                Verdict::Unjustified,
                "复核录音，话务员无过错",
            )
            .unwrap();
        assert_eq!(count(&[caller.clone(), media.clone()]), (0, 1, -2.0, 0));
        assert_eq!(caller.history.len(), 3);
        // and once final, a plain review is refused
        assert_eq!(
            caller
                .review(
                    UserId(5),
                    at("2025-03-21T10:00:00+08:00"),
                    Verdict::Justified,
                    false,
                    "x"
                )
                .unwrap_err()
                .code(),
            "illegal_transition"
        );
    }

    #[test]
    fn severity_by_source_and_impact() {
        let cases = [
            (ComplaintSource::Caller, false, ComplaintSeverity::Ordinary),
            (ComplaintSource::Caller, true, ComplaintSeverity::Severe),
            (ComplaintSource::Leader, false, ComplaintSeverity::Severe),
            (ComplaintSource::Media, false, ComplaintSeverity::Severe),
            (ComplaintSource::Other, false, ComplaintSeverity::Ordinary),
        ];
        for (source, impact, expected) in cases {
            let mut c = complaint(1, source, "2025-03-03T10:00:00+08:00");
            c.review(
                UserId(5),
                at("2025-03-04T10:00:00+08:00"),
                Verdict::Justified,
                impact,
                "属实",
            )
            .unwrap();
            assert_eq!(c.severity(), expected, "{source:?} {impact}");
        }
        let mut pending = complaint(1, ComplaintSource::Caller, "2025-03-03T10:00:00+08:00");
        assert!(
            pending
                .finalize(UserId(9), at("2025-03-04T10:00:00+08:00"), "x")
                .is_err()
        );
        assert_eq!(
            pending
                .review(
                    UserId(5),
                    at("2025-03-02T10:00:00+08:00"),
                    Verdict::Justified,
                    false,
                    "x"
                )
                .unwrap_err()
                .code(),
            "end_before_start"
        );
    }

    #[test]
    fn praise_verified_twice_is_a_conflict_naming_the_praise() {
        let mut p = Praise::receive(
            PraiseId(7),
            PraiseKind::Banner,
            d(2025, 3, 8),
            Some(StaffId(3)),
            "赠送锦旗“热心为民”",
        )
        .unwrap();
        p.verify(UserId(9), at("2025-03-09T10:00:00+08:00"))
            .unwrap();
        let err = p
            .verify(UserId(9), at("2025-03-09T11:00:00+08:00"))
            .unwrap_err();
        assert_eq!(
            err,
            OpsError::PraiseAlreadyDecided {
                praise_id: PraiseId(7),
                decision: "verified"
            }
        );
        assert_eq!(err.to_string(), "praise 7 was already verified");
        assert_eq!(err.kind(), crate::error::ErrorKind::Conflict);
        assert!(
            p.reject(UserId(9), at("2025-03-09T11:00:00+08:00"), "重复")
                .is_err()
        );
    }

    #[test]
    fn praise_tally_counts_only_verified_and_caps_the_bonus() {
        let pts = QualityPoints::default();
        let mut list = Vec::new();
        let kinds = [PraiseKind::Call, PraiseKind::Letter, PraiseKind::Banner];
        for i in 0..9 {
            let mut p = Praise::receive(
                PraiseId(i),
                kinds[i as usize % 3],
                d(2025, 3, 1 + i as u32),
                None,
                "感谢",
            )
            .unwrap();
            if i != 8 {
                p.verify(UserId(9), at("2025-03-31T10:00:00+08:00"))
                    .unwrap();
            }
            list.push(p);
        }
        // verified: calls 0,3,6 = 3; letters 1,4,7 = 3; banners 2,5 = 2 (8 unverified)
        let t = praise_tally(&list, march(), &pts);
        assert_eq!((t.calls, t.letters, t.banners), (3, 3, 2));
        assert_eq!(t.raw_points, 3.0 * 0.5 + 3.0 * 0.5 + 2.0);
        assert_eq!(t.bonus, 5.0);
        assert_eq!(t.unverified, vec![PraiseId(8)]);
        let mut rejected = list[8].clone();
        rejected
            .reject(UserId(9), at("2025-03-31T10:00:00+08:00"), "无法核实来电人")
            .unwrap();
        list[8] = rejected;
        assert!(praise_tally(&list, march(), &pts).unverified.is_empty());
    }

    fn sheet() -> ReviewSheet {
        OperationsConfig::baisha_default()
            .unwrap()
            .quality
            .review_sheet
    }

    fn draft(id: i64, agent: i64, subject: &str, scores: Vec<(String, u32)>) -> ReviewDraft {
        ReviewDraft {
            id: ReviewId(id),
            agent: StaffId(agent),
            reviewer: StaffId(1),
            reviewed_at: at("2025-04-02T10:00:00+08:00"),
            subject_at: at(subject),
            call_id: Some(format!("C{id}")),
            order_id: None,
            scores,
            comment: None,
        }
    }

    fn full_marks(sheet: &ReviewSheet) -> Vec<(String, u32)> {
        sheet
            .0
            .iter()
            .map(|i| (i.code.clone(), i.max_points))
            .collect()
    }

    #[test]
    fn review_sheet_scoring_and_monthly_averages() {
        let sheet = sheet();
        assert_eq!(sheet.max_total(), 100);
        let mut half = full_marks(&sheet);
        for s in &mut half {
            s.1 /= 2;
        }
        let reviews = vec![
            CallReview::score(
                draft(1, 3, "2025-03-31T23:30:00+08:00", full_marks(&sheet)),
                &sheet,
            )
            .unwrap(),
            CallReview::score(
                draft(2, 3, "2025-03-10T10:00:00+08:00", half.clone()),
                &sheet,
            )
            .unwrap(),
            // 1 April 00:10 Beijing = 31 March UTC: belongs to April
            CallReview::score(draft(3, 3, "2025-04-01T00:10:00+08:00", half), &sheet).unwrap(),
            CallReview::score(
                draft(4, 4, "2025-03-10T10:00:00+08:00", full_marks(&sheet)),
                &sheet,
            )
            .unwrap(),
        ];
        let m = monthly_review_scores(&reviews);
        let got: Vec<(i64, String, u32, f64)> = m
            .iter()
            .map(|s| (s.agent.0, s.month.to_string(), s.reviews, s.average_percent))
            .collect();
        assert_eq!(
            got,
            vec![
                (3, "2025-03".into(), 2, 75.0),
                (3, "2025-04".into(), 1, 50.0),
                (4, "2025-03".into(), 1, 100.0),
            ]
        );
        assert_eq!(m[0].item_percent.get("greeting"), Some(&75.0));
    }

    #[test]
    fn review_draft_errors_are_named() {
        let sheet = sheet();
        let mut over = full_marks(&sheet);
        over[0].1 += 1;
        let err =
            CallReview::score(draft(1, 3, "2025-03-10T10:00:00+08:00", over), &sheet).unwrap_err();
        assert!(err.to_string().contains("above the maximum"), "{err}");
        let mut missing = full_marks(&sheet);
        missing.pop();
        assert!(
            CallReview::score(draft(1, 3, "2025-03-10T10:00:00+08:00", missing), &sheet)
                .unwrap_err()
                .to_string()
                .contains("not scored")
        );
        let mut twice = full_marks(&sheet);
        twice.push(twice[0].clone());
        assert!(
            CallReview::score(draft(1, 3, "2025-03-10T10:00:00+08:00", twice), &sheet).is_err()
        );
        let own = draft(1, 1, "2025-03-10T10:00:00+08:00", full_marks(&sheet));
        assert!(CallReview::score(own, &sheet).is_err());
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(64))]

        /// The bonus never exceeds the cap nor the raw points, and the complaint deduction is
        /// exactly −1 per ordinary and −2 per severe counted case.
        #[test]
        fn tallies_follow_the_rules(
            praise in proptest::collection::vec((0usize..3, any::<bool>()), 0..30),
            complaints in proptest::collection::vec((0usize..4, any::<bool>(), 0usize..3, any::<bool>()), 0..30),
        ) {
            let pts = QualityPoints::default();
            let kinds = [PraiseKind::Call, PraiseKind::Letter, PraiseKind::Banner];
            let list: Vec<Praise> = praise.iter().enumerate().map(|(i, (k, verified))| {
                let mut p = Praise::receive(PraiseId(i as i64), kinds[*k], d(2025, 3, 5), None, "感谢").unwrap();
                if *verified { p.verify(UserId(1), at("2025-03-06T00:00:00Z")).unwrap(); }
                p
            }).collect();
            let t = praise_tally(&list, march(), &pts);
            prop_assert!(t.bonus <= pts.praise_cap && t.bonus <= t.raw_points);
            prop_assert_eq!(t.counted.len() + t.unverified.len(), list.len());

            let sources = ComplaintSource::ALL;
            let verdicts = [Verdict::Pending, Verdict::Justified, Verdict::Unjustified];
            let cs: Vec<Complaint> = complaints.iter().enumerate().map(|(i, (s, impact, v, fin))| {
                let mut c = complaint(i as i64, sources[*s], "2025-03-03T10:00:00+08:00");
                if verdicts[*v] != Verdict::Pending {
                    c.review(UserId(5), at("2025-03-04T10:00:00+08:00"), verdicts[*v], *impact, "核实").unwrap();
                    if *fin { c.finalize(UserId(9), at("2025-03-05T10:00:00+08:00"), "确认").unwrap(); }
                }
                c
            }).collect();
            let tally = complaint_tally(&cs, march(), &pts);
            prop_assert_eq!(tally.points, -f64::from(tally.ordinary) - 2.0 * f64::from(tally.severe));
            let expected = cs.iter().filter(|c| c.verdict_final && c.verdict == Verdict::Justified).count();
            prop_assert_eq!(tally.counted.len(), expected);
        }
    }
}
