//! Scoring a period: the nine indicators from the counts the aggregator hands over, each
//! with the ids of the records behind it, the total and the payment ratio.
//!
//! Precision: every score is computed exactly (see [`crate::fixed`]) and rounded once,
//! half away from zero, to hundredths of a point; the total is the sum of those rounded
//! scores, so it always equals the sum of the scores shown. Shown rates (`value`) are
//! rounded to 4 decimals (0.01%) for display only; scores use the exact counts.

use std::collections::HashSet;

use chrono::NaiveDate;
use serde::{Deserialize, Serialize, Serializer};

use crate::fixed::{
    self, MAX_COUNT, MICRO, MICROS_PER_HUNDREDTH, div_round, fmt_hundredths, fmt_signed,
    hundredths_to_f64, micros,
};
use crate::indicator::{Indicator, IndicatorKind};
use crate::period::Period;
use crate::record_id::RecordId;
use crate::rules::{
    BonusRule, HeadcountBasis, IndicatorRule, NoDataScoring, PartialPoints, PerCaseRule, RateRule,
    RuleBook, RuleSet, Scoring, ScoringOptions,
};

/// The ids behind one rate: `numerator` ⊆ `denominator`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RateInput {
    /// Records counted as successes (e.g. consultations closed at the desk).
    pub numerator: Vec<RecordId>,
    /// All records measured (e.g. all consultations).
    pub denominator: Vec<RecordId>,
}

/// Indicator 1: calls, with the short abandons the option may leave out.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct AnswerRateInput {
    /// Calls answered by an agent.
    pub answered: Vec<RecordId>,
    /// Calls that asked for an agent, short abandons included.
    pub offered: Vec<RecordId>,
    /// Offered calls abandoned within `options.short_abandon_seconds`.
    pub short_abandons: Vec<RecordId>,
}

/// Indicator 6: the half-year window's certified staff.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct AttritionInput {
    /// Certified staff who left in the window.
    pub leavers: Vec<RecordId>,
    /// Certified staff on the first day of the window.
    pub staff_at_start: Vec<RecordId>,
    /// Certified staff on the last day of the window.
    pub staff_at_end: Vec<RecordId>,
}

/// How a case counts against a per-case indicator (5, 7, 8).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CaseLevel {
    /// Examined and not counted: complaint not upheld, emergency handled in time or late
    /// without consequences, fault responded to on time or breach waived.
    NotCounted,
    /// Counted at the ordinary deduction.
    Ordinary,
    /// Severe: raised by a leader (领导批示).
    LeaderRaised,
    /// Severe: exposed by the media (媒体曝光).
    MediaExposed,
    /// Severe: bad social impact (造成不良社会影响).
    BadSocialImpact,
}

impl CaseLevel {
    pub fn is_counted(self) -> bool {
        self != CaseLevel::NotCounted
    }

    pub fn is_severe(self) -> bool {
        matches!(
            self,
            CaseLevel::LeaderRaised | CaseLevel::MediaExposed | CaseLevel::BadSocialImpact
        )
    }

    pub fn label_zh(self) -> &'static str {
        match self {
            CaseLevel::NotCounted => "不计扣",
            CaseLevel::Ordinary => "一般",
            CaseLevel::LeaderRaised => "领导批示",
            CaseLevel::MediaExposed => "媒体曝光",
            CaseLevel::BadSocialImpact => "造成不良社会影响",
        }
    }

    pub fn label_en(self) -> &'static str {
        match self {
            CaseLevel::NotCounted => "not counted",
            CaseLevel::Ordinary => "ordinary",
            CaseLevel::LeaderRaised => "raised by a leader",
            CaseLevel::MediaExposed => "exposed by media",
            CaseLevel::BadSocialImpact => "bad social impact",
        }
    }
}

/// One complaint, emergency or fault examined in the period.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Case {
    pub id: RecordId,
    pub level: CaseLevel,
}

/// How praise arrived.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PraiseKind {
    Call,
    Letter,
    /// A banner (锦旗).
    Banner,
}

impl PraiseKind {
    pub fn label_zh(self) -> &'static str {
        match self {
            PraiseKind::Call => "来电表扬",
            PraiseKind::Letter => "来信表扬",
            PraiseKind::Banner => "锦旗",
        }
    }
}

/// One piece of praise for an agent; only verified praise earns the bonus.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PraiseItem {
    pub id: RecordId,
    pub kind: PraiseKind,
    pub verified: bool,
}

/// Everything the nine indicators need for one period, as record ids.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct AssessmentInput {
    /// 1: answered and offered calls.
    pub answer_rate: AnswerRateInput,
    /// 2: consultations closed at the desk ÷ all consultations.
    pub first_contact_resolution: RateInput,
    /// 3: completed dispatched orders called back within 24 h ÷ completed dispatched orders.
    pub callback_timeliness: RateInput,
    /// 4: satisfied or basically satisfied ratings ÷ all ratings.
    pub front_desk_satisfaction: RateInput,
    /// 5: complaints against agents examined by quality control.
    pub complaints: Vec<Case>,
    /// 6: the half-year window's staff (the caller picks the window, see
    /// [`Period::half_year_containing`]).
    pub attrition: AttritionInput,
    /// 7: emergencies in the period.
    pub emergencies: Vec<Case>,
    /// 8: faults in the period.
    pub faults: Vec<Case>,
    /// 9: praise received in the period.
    pub praise: Vec<PraiseItem>,
}

/// The ids behind one indicator's figures.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Records {
    pub numerator: Vec<RecordId>,
    pub denominator: Vec<RecordId>,
    /// Records left out by a rule (short abandons), so the office can see them too.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub excluded: Vec<RecordId>,
}

/// One indicator's result.
///
/// `numerator`/`denominator`: for rates, successes and records measured (for attrition,
/// leavers and the headcount, which may be a half); for per-case indicators, counted cases
/// and cases examined; for praise, verified and received items.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct IndicatorResult {
    pub id: u8,
    pub code: Indicator,
    pub name: String,
    pub name_en: String,
    pub kind: IndicatorKind,
    #[serde(serialize_with = "compact_number")]
    pub numerator: f64,
    #[serde(serialize_with = "compact_number")]
    pub denominator: f64,
    /// The rate as a fraction (0.934), rounded to 4 decimals; `None` for cases and praise
    /// and when there is no data.
    pub value: Option<f64>,
    /// The target as a fraction (0.95); `None` for cases and praise.
    pub target: Option<f64>,
    pub points: f64,
    pub score: f64,
    /// Why the score is what it is, in Chinese with English in brackets.
    pub note: String,
    pub no_data: bool,
    pub records: Records,
}

impl IndicatorResult {
    /// The score in integer hundredths of a point (exact).
    pub fn score_hundredths(&self) -> i64 {
        (self.score * 100.0).round() as i64
    }
}

/// A version named in a report.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RulesVersionRef {
    pub version: String,
    pub effective_from: NaiveDate,
}

/// The assessment of one period.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Assessment {
    pub period: Period,
    /// The version that scored the period: the one in force on its first day.
    pub rules_version: String,
    pub rules_effective_from: NaiveDate,
    /// Versions that took effect inside the period and were therefore not applied.
    pub later_rules_in_period: Vec<RulesVersionRef>,
    /// Ids 1–9 in the standard's order.
    pub indicators: Vec<IndicatorResult>,
    /// Sum of the indicator scores, bonus included.
    pub total: f64,
    /// Share of the final payment the total earns, from the payment table.
    pub payment_ratio: f64,
    /// The payment band, as the report prints it (e.g. `95分及以上`).
    pub payment_band: String,
    /// Remarks on the whole assessment (e.g. a rules version changing inside the period).
    pub notes: Vec<String>,
}

/// Why a period could not be scored.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum AssessError {
    #[error("no assessment rules are in force on {date} (the first version starts {first})")]
    NoRulesInForce { date: NaiveDate, first: String },
    #[error(
        "indicator {indicator}: numerator {numerator} exceeds denominator {denominator}; \
         the records handed over are inconsistent"
    )]
    NumeratorExceedsDenominator {
        indicator: u8,
        numerator: u64,
        denominator: u64,
    },
    #[error("indicator {indicator}: {count} records is more than the {MAX_COUNT} supported")]
    TooManyRecords { indicator: u8, count: u64 },
    #[error("the rules set has no rule for indicator {0}")]
    MissingRule(u8),
    #[error("elapsed fraction {0} is not in (0, 1]")]
    ElapsedFraction(f64),
}

fn compact_number<S: Serializer>(x: &f64, s: S) -> Result<S::Ok, S::Error> {
    if x.fract() == 0.0 && x.abs() < 9.0e15 {
        s.serialize_i64(*x as i64)
    } else {
        s.serialize_f64(*x)
    }
}

/// Scores `period` with the version of `book` in force on its first day.
pub fn assess(
    book: &RuleBook,
    period: &Period,
    input: AssessmentInput,
) -> Result<Assessment, AssessError> {
    let selection = book
        .select(period)
        .ok_or_else(|| AssessError::NoRulesInForce {
            date: period.start(),
            first: book
                .versions()
                .first()
                .map_or_else(String::new, |v| v.effective_from().to_string()),
        })?;
    let mut assessment = assess_with(selection.applied, period, input)?;
    for later in selection.later_in_period {
        assessment.notes.push(format!(
            "规则版本{}自{}起施行，在本期内；本期按期初有效的版本{}计分 \
             (version {} takes effect on {}, inside this period; the period is scored \
             with version {}, in force on its first day)",
            later.version(),
            later.effective_from(),
            assessment.rules_version,
            later.version(),
            later.effective_from(),
            assessment.rules_version,
        ));
        assessment.later_rules_in_period.push(RulesVersionRef {
            version: later.version().to_owned(),
            effective_from: later.effective_from(),
        });
    }
    Ok(assessment)
}

/// Scores `period` with exactly these rules (no version selection).
pub fn assess_with(
    rules: &RuleSet,
    period: &Period,
    input: AssessmentInput,
) -> Result<Assessment, AssessError> {
    let measures = measure(rules.options(), &input)?;
    let mut records = into_records(rules.options(), input);
    let mut indicators = Vec::with_capacity(9);
    let mut total_h: i64 = 0;
    for (ind, m) in Indicator::ALL.into_iter().zip(measures.iter()) {
        let rule = rules
            .indicator(ind)
            .ok_or(AssessError::MissingRule(ind.id()))?;
        let scored = score_measure(rule, rules.options(), m);
        total_h += scored.score_h;
        let slot = usize::from(ind.id() - 1);
        indicators.push(IndicatorResult {
            id: ind.id(),
            code: ind,
            name: rule.name.clone(),
            name_en: rule.name_en.clone(),
            kind: ind.kind(),
            numerator: scored.numerator,
            denominator: scored.denominator,
            value: scored.value,
            target: scored.target,
            points: rule.points,
            score: hundredths_to_f64(scored.score_h),
            note: scored.note,
            no_data: scored.no_data,
            records: records
                .get_mut(slot)
                .map(std::mem::take)
                .unwrap_or_default(),
        });
    }
    let total = hundredths_to_f64(total_h);
    let table = rules.payment_table();
    Ok(Assessment {
        period: period.clone(),
        rules_version: rules.version().to_owned(),
        rules_effective_from: rules.effective_from(),
        later_rules_in_period: Vec::new(),
        indicators,
        total,
        payment_ratio: table.share_for(total),
        payment_band: table
            .band_for(total)
            .map(|b| b.label_zh())
            .unwrap_or_default(),
        notes: Vec::new(),
    })
}

// ---------------------------------------------------------------------------------------
// Counting.

/// What one indicator measured, as counts.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Measure {
    /// `n ÷ d` is the exact rate; `shown_*` are the figures printed (attrition's average
    /// headcount is `d / 2` with `n` doubled to stay integral).
    Rate {
        n: u64,
        d: u64,
        shown_n: f64,
        shown_d: f64,
    },
    Cases {
        ordinary: u64,
        severe: u64,
        not_counted: u64,
        leader: u64,
        media: u64,
        social: u64,
    },
    Praise {
        calls: u64,
        letters: u64,
        banners: u64,
        unverified: u64,
    },
}

fn count(indicator: Indicator, len: usize) -> Result<u64, AssessError> {
    let c = u64::try_from(len).unwrap_or(u64::MAX);
    if c > MAX_COUNT {
        return Err(AssessError::TooManyRecords {
            indicator: indicator.id(),
            count: c,
        });
    }
    Ok(c)
}

fn rate(indicator: Indicator, n: usize, d: usize) -> Result<Measure, AssessError> {
    let (n, d) = (count(indicator, n)?, count(indicator, d)?);
    if n > d {
        return Err(AssessError::NumeratorExceedsDenominator {
            indicator: indicator.id(),
            numerator: n,
            denominator: d,
        });
    }
    Ok(Measure::Rate {
        n,
        d,
        shown_n: n as f64,
        shown_d: d as f64,
    })
}

fn cases(indicator: Indicator, list: &[Case]) -> Result<Measure, AssessError> {
    count(indicator, list.len())?;
    let mut m = [0u64; 5];
    for c in list {
        let i = match c.level {
            CaseLevel::NotCounted => 0,
            CaseLevel::Ordinary => 1,
            CaseLevel::LeaderRaised => 2,
            CaseLevel::MediaExposed => 3,
            CaseLevel::BadSocialImpact => 4,
        };
        m[i] += 1;
    }
    Ok(Measure::Cases {
        not_counted: m[0],
        ordinary: m[1],
        severe: m[2] + m[3] + m[4],
        leader: m[2],
        media: m[3],
        social: m[4],
    })
}

fn short_abandon_set(input: &AnswerRateInput) -> HashSet<&RecordId> {
    input.short_abandons.iter().collect()
}

/// Counts every indicator's records. Order: ids 1–9.
pub(crate) fn measure(
    options: &ScoringOptions,
    input: &AssessmentInput,
) -> Result<[Measure; 9], AssessError> {
    let answered = input.answer_rate.answered.len();
    let offered = if options.exclude_short_abandons && !input.answer_rate.short_abandons.is_empty()
    {
        let short = short_abandon_set(&input.answer_rate);
        input
            .answer_rate
            .offered
            .iter()
            .filter(|id| !short.contains(id))
            .count()
    } else {
        input.answer_rate.offered.len()
    };

    let a = &input.attrition;
    let leavers = count(Indicator::StaffAttrition, a.leavers.len())?;
    let start = count(Indicator::StaffAttrition, a.staff_at_start.len())?;
    let end = count(Indicator::StaffAttrition, a.staff_at_end.len())?;
    // Leavers may exceed the headcount in a bad half year; that is data, not an error.
    let attrition = match options.attrition_headcount {
        HeadcountBasis::Average => Measure::Rate {
            n: leavers * 2,
            d: start + end,
            shown_n: leavers as f64,
            shown_d: (start + end) as f64 / 2.0,
        },
        HeadcountBasis::Start => Measure::Rate {
            n: leavers,
            d: start,
            shown_n: leavers as f64,
            shown_d: start as f64,
        },
        HeadcountBasis::End => Measure::Rate {
            n: leavers,
            d: end,
            shown_n: leavers as f64,
            shown_d: end as f64,
        },
    };

    let praise = {
        count(Indicator::CitizenPraise, input.praise.len())?;
        let (mut calls, mut letters, mut banners, mut unverified) = (0, 0, 0, 0);
        for p in &input.praise {
            match (p.verified, p.kind) {
                (false, _) => unverified += 1,
                (true, PraiseKind::Call) => calls += 1,
                (true, PraiseKind::Letter) => letters += 1,
                (true, PraiseKind::Banner) => banners += 1,
            }
        }
        Measure::Praise {
            calls,
            letters,
            banners,
            unverified,
        }
    };

    Ok([
        rate(Indicator::AnswerRate, answered, offered)?,
        rate(
            Indicator::FirstContactResolution,
            input.first_contact_resolution.numerator.len(),
            input.first_contact_resolution.denominator.len(),
        )?,
        rate(
            Indicator::CallbackTimeliness,
            input.callback_timeliness.numerator.len(),
            input.callback_timeliness.denominator.len(),
        )?,
        rate(
            Indicator::FrontDeskSatisfaction,
            input.front_desk_satisfaction.numerator.len(),
            input.front_desk_satisfaction.denominator.len(),
        )?,
        cases(Indicator::JustifiedComplaints, &input.complaints)?,
        attrition,
        cases(Indicator::EmergencyResponse, &input.emergencies)?,
        cases(Indicator::Maintenance, &input.faults)?,
        praise,
    ])
}

/// Moves the ids into the per-indicator record lists (ids 1–9 order).
fn into_records(options: &ScoringOptions, input: AssessmentInput) -> Vec<Records> {
    let AssessmentInput {
        answer_rate,
        first_contact_resolution,
        callback_timeliness,
        front_desk_satisfaction,
        complaints,
        attrition,
        emergencies,
        faults,
        praise,
    } = input;
    let AnswerRateInput {
        answered,
        offered,
        short_abandons,
    } = answer_rate;
    let calls = if options.exclude_short_abandons && !short_abandons.is_empty() {
        let short: HashSet<RecordId> = short_abandons.into_iter().collect();
        // In place: a year's offered calls are millions of ids.
        let (mut kept, mut excluded) = (offered, Vec::with_capacity(short.len()));
        kept.retain(|id| {
            let out = short.contains(id);
            if out {
                excluded.push(id.clone());
            }
            !out
        });
        Records {
            numerator: answered,
            denominator: kept,
            excluded,
        }
    } else {
        Records {
            numerator: answered,
            denominator: offered,
            excluded: Vec::new(),
        }
    };
    let rate = |r: RateInput| Records {
        numerator: r.numerator,
        denominator: r.denominator,
        excluded: Vec::new(),
    };
    let case_records = |list: Vec<Case>| {
        let numerator = list
            .iter()
            .filter(|c| c.level.is_counted())
            .map(|c| c.id.clone())
            .collect();
        Records {
            numerator,
            denominator: list.into_iter().map(|c| c.id).collect(),
            excluded: Vec::new(),
        }
    };
    let staff = {
        let denominator = match options.attrition_headcount {
            HeadcountBasis::Start => attrition.staff_at_start,
            HeadcountBasis::End => attrition.staff_at_end,
            HeadcountBasis::Average => {
                // Everyone on either list, once, in the order first seen.
                let mut seen = HashSet::new();
                attrition
                    .staff_at_start
                    .into_iter()
                    .chain(attrition.staff_at_end)
                    .filter(|id| seen.insert(id.clone()))
                    .collect()
            }
        };
        Records {
            numerator: attrition.leavers,
            denominator,
            excluded: Vec::new(),
        }
    };
    let praise_records = Records {
        numerator: praise
            .iter()
            .filter(|p| p.verified)
            .map(|p| p.id.clone())
            .collect(),
        denominator: praise.into_iter().map(|p| p.id).collect(),
        excluded: Vec::new(),
    };
    vec![
        calls,
        rate(first_contact_resolution),
        rate(callback_timeliness),
        rate(front_desk_satisfaction),
        case_records(complaints),
        staff,
        case_records(emergencies),
        case_records(faults),
        praise_records,
    ]
}

// ---------------------------------------------------------------------------------------
// Scoring.

/// One indicator scored, before the record ids are attached.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Scored {
    pub score_h: i64,
    pub numerator: f64,
    pub denominator: f64,
    pub value: Option<f64>,
    pub target: Option<f64>,
    pub note: String,
    pub no_data: bool,
}

/// Where a clamp stopped the score.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Clamp {
    None,
    Floor(i64),
    Cap(i64),
}

fn clamp(raw_h: i64, floor_h: Option<i64>, cap_h: Option<i64>) -> (i64, Clamp) {
    if let Some(c) = cap_h
        && raw_h > c
    {
        return (c, Clamp::Cap(c));
    }
    if let Some(f) = floor_h
        && raw_h < f
    {
        return (f, Clamp::Floor(f));
    }
    (raw_h, Clamp::None)
}

fn clamp_note(c: Clamp, floor_word_zh: &str) -> (String, String) {
    match c {
        Clamp::None => (String::new(), String::new()),
        Clamp::Cap(h) => (
            format!("，封顶{}分", fmt_hundredths(h)),
            format!(", capped at {}", fmt_hundredths(h)),
        ),
        Clamp::Floor(h) => (
            format!("，{floor_word_zh}{}分", fmt_hundredths(h)),
            format!(", floor {}", fmt_hundredths(h)),
        ),
    }
}

fn join_note(zh: String, en: String) -> String {
    format!("{zh} ({en})")
}

/// A rate's score from exact counts; `d > 0`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct RateCalc {
    pub score_h: i64,
    /// Score change before clamping, hundredths.
    pub delta_h: i64,
    /// |value − target| in hundredths of a percentage point.
    pub off_pp_h: i64,
    /// Sign of value − target.
    pub direction: std::cmp::Ordering,
    /// Whole percentage points counted (whole-points mode).
    pub whole_pp: Option<i128>,
    clamp: Clamp,
}

pub(crate) fn rate_calc(
    rule: &IndicatorRule,
    rate: &RateRule,
    options: &ScoringOptions,
    n: u64,
    d: u64,
) -> RateCalc {
    let (n, d) = (i128::from(n), i128::from(d.max(1)));
    let full = 100 * MICRO;
    let target = micros(rate.target_percent);
    // (value − target) in micro-percentage-points, times d: exact.
    let diff = full * n - target * d;
    let good = if rule.indicator.higher_is_better() {
        diff
    } else {
        -diff
    };
    let per = micros(if good >= 0 {
        rate.bonus_per_point
    } else {
        rate.penalty_per_point
    });
    let points = micros(rule.points);
    // good / scale is the distance in percentage points.
    let scale = d * MICRO;
    let (delta_num, delta_den, whole_pp) = match options.partial_points {
        PartialPoints::Proportional => (per * good, scale, None),
        PartialPoints::Whole => {
            // Only complete points count, on either side: truncate toward zero.
            let whole = good / scale;
            (per * whole, 1, Some(whole.abs()))
        }
    };
    let raw_h = fixed::narrow(div_round(
        points * delta_den + delta_num,
        delta_den * MICROS_PER_HUNDREDTH,
    ));
    let delta_h = fixed::narrow(div_round(delta_num, delta_den * MICROS_PER_HUNDREDTH));
    let (score_h, clamp) = clamp(
        raw_h,
        rule.floor_hundredths(options),
        rule.cap_hundredths(options),
    );
    RateCalc {
        score_h,
        delta_h,
        off_pp_h: fixed::narrow(div_round(diff.abs() * 100, scale)),
        direction: diff.cmp(&0),
        whole_pp,
        clamp,
    }
}

/// The shown rate, a fraction rounded to 4 decimals.
fn shown_value(n: u64, d: u64) -> f64 {
    let h = div_round(i128::from(n) * 10_000, i128::from(d.max(1)));
    fixed::narrow(h) as f64 / 10_000.0
}

/// The rate in percent for notes: `93.4%`.
fn percent_text(n: u64, d: u64) -> String {
    let h = div_round(i128::from(n) * 10_000, i128::from(d.max(1)));
    format!("{}%", fmt_hundredths(fixed::narrow(h)))
}

fn score_rate(
    rule: &IndicatorRule,
    rate: &RateRule,
    options: &ScoringOptions,
    n: u64,
    d: u64,
    shown_n: f64,
    shown_d: f64,
) -> Scored {
    let target_h = fixed::value_to_hundredths(rate.target_percent);
    let target = Some(target_h as f64 / 10_000.0);
    let target_text = format!("{}%", fmt_hundredths(target_h));
    if d == 0 {
        let score_h = match options.no_data {
            NoDataScoring::FullPoints => fixed::value_to_hundredths(rule.points),
            NoDataScoring::Zero => 0,
        };
        let s = fmt_hundredths(score_h);
        return Scored {
            score_h,
            numerator: shown_n,
            denominator: shown_d,
            value: None,
            target,
            note: join_note(
                format!("本期无数据（分母为0），按{s}分计"),
                format!("no data in the period (denominator 0): scored {s}"),
            ),
            no_data: true,
        };
    }
    let calc = rate_calc(rule, rate, options, n, d);
    let value_text = percent_text(n, d);
    let off = fmt_hundredths(calc.off_pp_h);
    let (pos_zh, pos_en) = match calc.direction {
        std::cmp::Ordering::Less => (
            format!("低于目标{target_text}共{off}个百分点"),
            format!("{off} points below the {target_text} target"),
        ),
        std::cmp::Ordering::Greater => (
            format!("高于目标{target_text}共{off}个百分点"),
            format!("{off} points above the {target_text} target"),
        ),
        std::cmp::Ordering::Equal => (
            format!("达到目标{target_text}"),
            format!("at the {target_text} target"),
        ),
    };
    let (whole_zh, whole_en) = match calc.whole_pp {
        Some(w) if calc.direction != std::cmp::Ordering::Equal => (
            format!("，按整百分点计{w}个"),
            format!(", {w} whole points count"),
        ),
        _ => (String::new(), String::new()),
    };
    let (change_zh, change_en) = match calc.delta_h.cmp(&0) {
        std::cmp::Ordering::Less => (
            format!("扣{}分", fmt_hundredths(-calc.delta_h)),
            fmt_signed(calc.delta_h),
        ),
        std::cmp::Ordering::Greater => (
            format!("加{}分", fmt_hundredths(calc.delta_h)),
            fmt_signed(calc.delta_h),
        ),
        std::cmp::Ordering::Equal => ("不加减分".to_owned(), "no change".to_owned()),
    };
    let (clamp_zh, clamp_en) = clamp_note(calc.clamp, "最低");
    let score = fmt_hundredths(calc.score_h);
    Scored {
        score_h: calc.score_h,
        numerator: shown_n,
        denominator: shown_d,
        value: Some(shown_value(n, d)),
        target,
        note: join_note(
            format!("实际{value_text}，{pos_zh}{whole_zh}，{change_zh}{clamp_zh}，得{score}分"),
            format!("{value_text}, {pos_en}{whole_en}: {change_en}{clamp_en}; score {score}"),
        ),
        no_data: false,
    }
}

fn score_cases(
    rule: &IndicatorRule,
    per: &PerCaseRule,
    options: &ScoringOptions,
    m: &Measure,
) -> Scored {
    let Measure::Cases {
        ordinary,
        severe,
        not_counted,
        leader,
        media,
        social,
    } = *m
    else {
        return Scored::empty();
    };
    let deduction = micros(per.per_case) * i128::from(ordinary)
        + micros(per.per_severe_case) * i128::from(severe);
    let raw_h = fixed::micros_to_hundredths(micros(rule.points) - deduction);
    let (score_h, clamp) = clamp(
        raw_h,
        rule.floor_hundredths(options),
        rule.cap_hundredths(options),
    );
    let counted = ordinary + severe;
    let deduction_h = fixed::micros_to_hundredths(deduction);
    let score = fmt_hundredths(score_h);
    let (zh, en) = if counted == 0 {
        (
            format!("本期无计扣事项，得{score}分"),
            format!("no counted cases: score {score}"),
        )
    } else {
        let mut severe_zh = Vec::new();
        let mut severe_en = Vec::new();
        for (n, level) in [
            (leader, CaseLevel::LeaderRaised),
            (media, CaseLevel::MediaExposed),
            (social, CaseLevel::BadSocialImpact),
        ] {
            if n > 0 {
                severe_zh.push(format!("{}{n}起", level.label_zh()));
                severe_en.push(format!("{n} {}", level.label_en()));
            }
        }
        let detail_zh = if severe > 0 {
            format!("一般{ordinary}起，严重{severe}起：{}", severe_zh.join("、"))
        } else {
            format!("一般{ordinary}起")
        };
        let detail_en = if severe > 0 {
            format!(
                "{ordinary} ordinary, {severe} severe: {}",
                severe_en.join(", ")
            )
        } else {
            format!("{ordinary} ordinary")
        };
        let (clamp_zh, clamp_en) = clamp_note(clamp, "扣至");
        (
            format!(
                "计扣{counted}起（{detail_zh}），扣{}分{clamp_zh}，得{score}分",
                fmt_hundredths(deduction_h)
            ),
            format!(
                "{counted} counted cases ({detail_en}): {}{clamp_en}; score {score}",
                fmt_signed(-deduction_h)
            ),
        )
    };
    let (extra_zh, extra_en) = if not_counted > 0 {
        (
            format!("；另有{not_counted}起经核查不计扣"),
            format!("; {not_counted} more examined and not counted"),
        )
    } else {
        (String::new(), String::new())
    };
    Scored {
        score_h,
        numerator: counted as f64,
        denominator: (counted + not_counted) as f64,
        value: None,
        target: None,
        note: join_note(zh + &extra_zh, en + &extra_en),
        no_data: false,
    }
}

fn score_praise(
    rule: &IndicatorRule,
    bonus: &BonusRule,
    options: &ScoringOptions,
    m: &Measure,
) -> Scored {
    let Measure::Praise {
        calls,
        letters,
        banners,
        unverified,
    } = *m
    else {
        return Scored::empty();
    };
    let earned = micros(bonus.per_call) * i128::from(calls)
        + micros(bonus.per_letter) * i128::from(letters)
        + micros(bonus.per_banner) * i128::from(banners);
    let raw_h = fixed::micros_to_hundredths(micros(rule.points) + earned);
    let (score_h, clamp) = clamp(
        raw_h,
        rule.floor_hundredths(options),
        rule.cap_hundredths(options),
    );
    let verified = calls + letters + banners;
    let earned_h = fixed::micros_to_hundredths(earned);
    let (clamp_zh, clamp_en) = clamp_note(clamp, "最低");
    let score = fmt_hundredths(score_h);
    let (zh, en) = if verified == 0 {
        (
            format!("本期无经核实的表扬，得{score}分"),
            format!("no verified praise: score {score}"),
        )
    } else {
        (
            format!(
                "经核实表扬{verified}件（来电{calls}件、来信{letters}件、锦旗{banners}面），\
                 加{}分{clamp_zh}，得{score}分",
                fmt_hundredths(earned_h)
            ),
            format!(
                "{verified} verified (calls {calls}, letters {letters}, banners {banners}): \
                 {}{clamp_en}; score {score}",
                fmt_signed(earned_h)
            ),
        )
    };
    let (extra_zh, extra_en) = if unverified > 0 {
        (
            format!("；另有{unverified}件未核实"),
            format!("; {unverified} not verified"),
        )
    } else {
        (String::new(), String::new())
    };
    Scored {
        score_h,
        numerator: verified as f64,
        denominator: (verified + unverified) as f64,
        value: None,
        target: None,
        note: join_note(zh + &extra_zh, en + &extra_en),
        no_data: false,
    }
}

impl Scored {
    /// A rule whose kind does not match its measure; validation makes this unreachable.
    fn empty() -> Scored {
        Scored {
            score_h: 0,
            numerator: 0.0,
            denominator: 0.0,
            value: None,
            target: None,
            note: "规则与数据类型不符 (rule and data kinds differ)".to_owned(),
            no_data: true,
        }
    }
}

/// Scores one measure with its rule.
pub(crate) fn score_measure(rule: &IndicatorRule, options: &ScoringOptions, m: &Measure) -> Scored {
    match (&rule.scoring, m) {
        (
            Scoring::Rate(rate),
            Measure::Rate {
                n,
                d,
                shown_n,
                shown_d,
            },
        ) => score_rate(rule, rate, options, *n, *d, *shown_n, *shown_d),
        (Scoring::PerCase(per), Measure::Cases { .. }) => score_cases(rule, per, options, m),
        (Scoring::Bonus(bonus), Measure::Praise { .. }) => score_praise(rule, bonus, options, m),
        _ => Scored::empty(),
    }
}
