//! The live view: the month so far, projected to month end, and for each of the rates 1–4
//! how far it is from losing or gaining points, so the shift leader can act in time.
//!
//! The projection is linear: volumes grow in proportion to the time left
//! (`projected = so far ÷ elapsed fraction`), which keeps every rate as it is, and no
//! future complaints, emergencies, faults or praise are invented. So the projected score
//! equals the score so far; what the projection adds is the volume still to come and the
//! headroom figures, which say what would change it. Attrition (6) is a half-year figure
//! with no daily flow and gets no headroom.

use serde::{Deserialize, Serialize};

use crate::fixed::{self, MICRO, div_ceil, div_floor, fmt_hundredths, hundredths_to_f64, micros};
use crate::indicator::Indicator;
use crate::period::Period;
use crate::rules::{IndicatorRule, PartialPoints, RateRule, RuleSet, Scoring, ScoringOptions};
use crate::score::{AssessError, AssessmentInput, Measure, measure, rate_calc, score_measure};

/// The live month: scores so far and what would change them.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Projection {
    pub period: Period,
    pub rules_version: String,
    /// Share of the period elapsed, in (0, 1].
    pub elapsed_fraction: f64,
    /// Ids 1–9.
    pub indicators: Vec<ProjectedIndicator>,
    /// Total if the rest of the period runs as it has so far (equal to the total so far).
    pub projected_total: f64,
    pub projected_payment_ratio: f64,
    pub projected_payment_band: String,
}

/// One indicator in the live view.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ProjectedIndicator {
    pub id: u8,
    pub code: Indicator,
    pub name: String,
    pub name_en: String,
    /// Counts so far.
    pub numerator: f64,
    pub denominator: f64,
    /// Counts at period end under the linear projection (rates 1–4; others as so far).
    pub projected_numerator: f64,
    pub projected_denominator: f64,
    pub score: f64,
    pub projected_score: f64,
    pub no_data: bool,
    /// Rates 1–4 with data: how far from losing or gaining points.
    pub headroom: Option<Headroom>,
    /// The score note, then the headroom in words (Chinese, English in brackets).
    pub note: String,
}

/// Distance of a rate from its next score changes, in records.
///
/// A "success" adds one to numerator and denominator (a call answered); a "failure" adds
/// one to the denominator only (a call missed).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Headroom {
    pub at_or_above_target: bool,
    /// Below target: the fewest further successes that reach the target; `None` when no
    /// number can (a 100% target after a failure).
    pub successes_to_target: Option<u64>,
    /// At or above target: failures it can absorb and still be at the target.
    pub failures_absorbable: Option<u64>,
    /// The fewest further successes that gain one scoring step, and the points that
    /// gains. A step is, in whole-points mode, the next change of the score; in
    /// proportional mode (where every record moves the score a little), one more
    /// percentage point. `None` when nothing more can be gained (100%, or capped).
    pub successes_to_gain_step: Option<u64>,
    pub step_gain: f64,
    /// The fewest further failures that lose one step (as above, one percentage point
    /// down in proportional mode), and the points that loses. `None` when nothing more
    /// can be lost (at the floor, or 0%).
    pub failures_to_lose_step: Option<u64>,
    pub step_loss: f64,
    /// Success rate needed over the rest of the projected volume to end exactly at the
    /// target; above 1 means out of reach, 0 or below means secured. `None` when the
    /// period is over.
    pub required_rate_for_rest: Option<f64>,
}

/// Projects the period so far to its end. `elapsed_fraction` is
/// [`Period::elapsed_fraction`] at the moment the counts were taken.
pub fn project(
    rules: &RuleSet,
    period: &Period,
    input: &AssessmentInput,
    elapsed_fraction: f64,
) -> Result<Projection, AssessError> {
    if !(elapsed_fraction > 0.0 && elapsed_fraction <= 1.0) {
        return Err(AssessError::ElapsedFraction(elapsed_fraction));
    }
    let options = rules.options();
    let measures = measure(options, input)?;
    let mut indicators = Vec::with_capacity(9);
    let mut total_h = 0i64;
    for (ind, m) in Indicator::ALL.into_iter().zip(measures.iter()) {
        let rule = rules
            .indicator(ind)
            .ok_or(AssessError::MissingRule(ind.id()))?;
        let scored = score_measure(rule, options, m);
        total_h += scored.score_h;
        let flows = matches!(
            ind,
            Indicator::AnswerRate
                | Indicator::FirstContactResolution
                | Indicator::CallbackTimeliness
                | Indicator::FrontDeskSatisfaction
        );
        let scale = if flows { 1.0 / elapsed_fraction } else { 1.0 };
        let tenth = |x: f64| (x * scale * 10.0).round() / 10.0;
        let headroom = match (&rule.scoring, m) {
            (Scoring::Rate(rate), Measure::Rate { n, d, .. }) if flows && *d > 0 => {
                Some(headroom(rule, rate, options, *n, *d, elapsed_fraction))
            }
            _ => None,
        };
        let mut note = scored.note.clone();
        if let (Some(h), Measure::Rate { d, .. }) = (&headroom, m)
            && let Scoring::Rate(rate) = &rule.scoring
        {
            note.push('；');
            note.push_str(&headroom_note(ind, rate, h, *d, elapsed_fraction));
        }
        indicators.push(ProjectedIndicator {
            id: ind.id(),
            code: ind,
            name: rule.name.clone(),
            name_en: rule.name_en.clone(),
            numerator: scored.numerator,
            denominator: scored.denominator,
            projected_numerator: tenth(scored.numerator),
            projected_denominator: tenth(scored.denominator),
            score: hundredths_to_f64(scored.score_h),
            projected_score: hundredths_to_f64(scored.score_h),
            no_data: scored.no_data,
            headroom,
            note,
        });
    }
    let total = hundredths_to_f64(total_h);
    let table = rules.payment_table();
    Ok(Projection {
        period: period.clone(),
        rules_version: rules.version().to_owned(),
        elapsed_fraction,
        indicators,
        projected_total: total,
        projected_payment_ratio: table.share_for(total),
        projected_payment_band: table
            .band_for(total)
            .map(|b| b.label_zh())
            .unwrap_or_default(),
    })
}

/// 100% in micro-percent.
const FULL: i128 = 100 * MICRO;

/// Fewest further successes `k` with `(n + k) / (d + k) ≥ threshold` (micro-percent).
fn successes_to_reach(n: i128, d: i128, threshold: i128) -> Option<i128> {
    let shortfall = threshold * d - FULL * n;
    if shortfall <= 0 {
        return Some(0);
    }
    let per_success = FULL - threshold;
    (per_success > 0).then(|| div_ceil(shortfall, per_success))
}

/// Most further failures `j` with `n / (d + j) ≥ threshold`; `None` if already below.
fn failures_keeping(n: i128, d: i128, threshold: i128) -> Option<i128> {
    let spare = FULL * n - threshold * d;
    if spare < 0 {
        return None;
    }
    if threshold <= 0 {
        return None;
    }
    Some(div_floor(spare, threshold))
}

/// The smallest `k ≥ 1` for which the monotone predicate holds, searched up to 2⁴⁰
/// (beyond any real volume); `None` if it never does.
fn smallest(holds: impl Fn(i128) -> bool) -> Option<i128> {
    const LIMIT: i128 = 1 << 40;
    let mut hi = 1;
    while !holds(hi) {
        if hi >= LIMIT {
            return None;
        }
        hi *= 2;
    }
    let mut lo = hi / 2; // holds(lo) is false, or lo == 0
    while hi - lo > 1 {
        let mid = lo + (hi - lo) / 2;
        if holds(mid) {
            hi = mid;
        } else {
            lo = mid;
        }
    }
    Some(hi)
}

fn to_u64(x: i128) -> u64 {
    u64::try_from(x.max(0)).unwrap_or(u64::MAX)
}

/// Headroom of a higher-is-better rate with data (`d > 0`).
pub(crate) fn headroom(
    rule: &IndicatorRule,
    rate: &RateRule,
    options: &ScoringOptions,
    n: u64,
    d: u64,
    elapsed_fraction: f64,
) -> Headroom {
    let score_at = |n: i128, d: i128| rate_calc(rule, rate, options, to_u64(n), to_u64(d)).score_h;
    let (ni, di) = (i128::from(n), i128::from(d));
    let target = micros(rate.target_percent);
    let now_h = score_at(ni, di);
    let at_or_above = FULL * ni >= target * di;

    // The next steps up and down, in records.
    let (up, down) = match options.partial_points {
        PartialPoints::Whole => {
            // The score moves in whole steps; find the first record that moves it. (Below
            // the target a step is recovered only once the gap is under a whole point,
            // so the thresholds are not simply target ± m.)
            let up = smallest(|k| score_at(ni + k, di + k) > now_h);
            let down = smallest(|j| score_at(ni, di + j) < now_h);
            (up, down)
        }
        PartialPoints::Proportional => {
            // One more percentage point: (n+k)/(d+k) ≥ n/d + 1/100 ⇔ k(99d − 100n) ≥ d².
            let room_up = 99 * di - 100 * ni;
            let up = (room_up > 0).then(|| div_ceil(di * di, room_up));
            // One fewer: n/(d+j) ≤ n/d − 1/100 ⇔ j(100n − d) ≥ d².
            let room_down = 100 * ni - di;
            let down = (room_down > 0).then(|| div_ceil(di * di, room_down));
            (up, down)
        }
    };
    let gain = up.map(|k| score_at(ni + k, di + k) - now_h);
    let loss = down.map(|j| now_h - score_at(ni, di + j));
    let (successes_to_gain_step, step_gain) = match (up, gain) {
        (Some(k), Some(g)) if g > 0 => (Some(to_u64(k)), g),
        _ => (None, 0),
    };
    let (failures_to_lose_step, step_loss) = match (down, loss) {
        (Some(j), Some(l)) if l > 0 => (Some(to_u64(j)), l),
        _ => (None, 0),
    };

    let required_rate_for_rest = (elapsed_fraction < 1.0)
        .then(|| {
            let projected = d as f64 / elapsed_fraction;
            let rest = projected - d as f64;
            let t = rate.target_percent / 100.0;
            (rest >= 0.5).then(|| ((t * projected - n as f64) / rest * 10_000.0).round() / 10_000.0)
        })
        .flatten();

    Headroom {
        at_or_above_target: at_or_above,
        successes_to_target: if at_or_above {
            None
        } else {
            successes_to_reach(ni, di, target).map(to_u64)
        },
        failures_absorbable: if at_or_above {
            failures_keeping(ni, di, target).map(to_u64)
        } else {
            None
        },
        successes_to_gain_step,
        step_gain: hundredths_to_f64(step_gain),
        failures_to_lose_step,
        step_loss: hundredths_to_f64(step_loss),
        required_rate_for_rest,
    }
}

fn headroom_note(
    ind: Indicator,
    rate: &RateRule,
    h: &Headroom,
    d: u64,
    elapsed_fraction: f64,
) -> String {
    let (ok_zh, ok_en) = ind.success_words();
    let (bad_zh, bad_en) = ind.failure_words();
    let target = format!(
        "{}%",
        fmt_hundredths(fixed::value_to_hundredths(rate.target_percent))
    );
    let mut zh = Vec::new();
    let mut en = Vec::new();
    if h.at_or_above_target {
        match h.failures_absorbable.unwrap_or(0) {
            0 => {
                zh.push(format!("再有1个{bad_zh}即低于{target}"));
                en.push(format!("one more of the {bad_en} takes it below {target}"));
            }
            j => {
                zh.push(format!("还可承受{j}个{bad_zh}而不低于{target}"));
                en.push(format!("can absorb {j} {bad_en} and stay at {target}"));
            }
        }
    } else {
        match h.successes_to_target {
            Some(k) => {
                zh.push(format!("再有{k}个{ok_zh}（且无{bad_zh}）可回到{target}"));
                en.push(format!(
                    "{k} more {ok_en} (and no {bad_en}) bring it to {target}"
                ));
            }
            None => {
                zh.push(format!("本期已无法达到{target}"));
                en.push(format!("{target} can no longer be reached this period"));
            }
        }
    }
    if let Some(k) = h.successes_to_gain_step {
        zh.push(format!("再有{k}个{ok_zh}可加{}分", fmt_f(h.step_gain)));
        en.push(format!("{k} more {ok_en} gain {}", fmt_f(h.step_gain)));
    }
    if let Some(j) = h.failures_to_lose_step {
        zh.push(format!("再有{j}个{bad_zh}将扣{}分", fmt_f(h.step_loss)));
        en.push(format!("{j} more {bad_en} lose {}", fmt_f(h.step_loss)));
    }
    if let Some(r) = h.required_rate_for_rest {
        let rest = (d as f64 / elapsed_fraction - d as f64).round();
        if r > 1.0 {
            zh.push(format!("剩余约{rest}个即使全部达标也达不到{target}"));
            en.push(format!(
                "even all of the ~{rest} still to come cannot reach {target}"
            ));
        } else if r <= 0.0 {
            zh.push(format!("剩余约{rest}个无论如何本期都不低于{target}"));
            en.push(format!(
                "{target} is secured whatever the ~{rest} still to come"
            ));
        } else {
            let pct = fmt_hundredths((r * 10_000.0).round() as i64);
            zh.push(format!("剩余约{rest}个需达到{pct}%"));
            en.push(format!("the ~{rest} still to come need {pct}%"));
        }
    }
    format!("{} ({})", zh.join("；"), en.join("; "))
}

fn fmt_f(x: f64) -> String {
    fmt_hundredths((x * 100.0).round() as i64)
}
