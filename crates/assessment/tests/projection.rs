//! The live view's projection and headroom figures, by hand.

mod common;

use common::*;
use rexian_assessment::{
    AssessError, AssessmentInput, Headroom, Period, Projection, RuleSet, project,
};

fn live(rules: &RuleSet, input: &AssessmentInput, elapsed: f64) -> Projection {
    let period = Period::month(2026, 10).unwrap_or_else(|e| panic!("{e}"));
    project(rules, &period, input, elapsed).unwrap_or_else(|e| panic!("{e}"))
}

fn answer_headroom(p: &Projection) -> Headroom {
    p.indicators[0]
        .headroom
        .clone()
        .unwrap_or_else(|| panic!("answer rate has headroom"))
}

#[test]
fn seven_more_answered_calls_bring_the_answer_rate_to_95() {
    // 31 of 33 = 93.9%; (31 + 7) / (33 + 7) = 38/40 = 95%; 6 more would give 37/39 = 94.9%.
    let input = AssessmentInput {
        answer_rate: calls(31, 33),
        ..on_target()
    };
    let p = live(&RuleSet::baisha_default(), &input, 0.25);
    let h = answer_headroom(&p);
    assert!(!h.at_or_above_target);
    assert_eq!(h.successes_to_target, Some(7));
    assert_eq!(h.failures_absorbable, None);
    assert!(
        p.indicators[0]
            .note
            .contains("再有7个接通电话（且无漏接电话）可回到95%"),
        "{}",
        p.indicators[0].note
    );
    assert!(p.indicators[0].note.contains("7 more answered calls"));
}

#[test]
fn failures_absorbable_keep_the_rate_at_target() {
    // 200 of 200: 200/210 = 95.2% still on target, 200/211 = 94.8% is not.
    let input = AssessmentInput {
        answer_rate: calls(200, 200),
        ..on_target()
    };
    let p = live(&RuleSet::baisha_default(), &input, 0.5);
    let h = answer_headroom(&p);
    assert!(h.at_or_above_target);
    assert_eq!(h.failures_absorbable, Some(10));
    assert_eq!(h.successes_to_target, None);
    // At 100% nothing more can be gained.
    assert_eq!(h.successes_to_gain_step, None);
    assert!(
        p.indicators[0]
            .note
            .contains("还可承受10个漏接电话而不低于95%")
    );
}

#[test]
fn steps_up_and_down_in_proportional_mode_are_one_percentage_point() {
    // 940 of 1000 = 94%: 200 more answered give 1140/1200 = 95% (+0.5);
    // the first j with 940/(1000 + j) ≤ 93% is 11 (93.0%, just under: −0.51 in all).
    let input = AssessmentInput {
        answer_rate: calls(940, 1000),
        ..on_target()
    };
    let p = live(&RuleSet::baisha_default(), &input, 0.5);
    let h = answer_headroom(&p);
    assert_eq!(h.successes_to_gain_step, Some(200));
    assert_eq!(h.step_gain, 0.5);
    assert_eq!(h.failures_to_lose_step, Some(11));
    assert_eq!(h.step_loss, 0.51);
    // Half the month gone: 2000 projected calls, 1000 to come, 960 of them must be answered.
    assert_eq!(h.required_rate_for_rest, Some(0.96));
    assert_eq!(p.indicators[0].projected_denominator, 2000.0);
    assert_eq!(p.indicators[0].projected_numerator, 1880.0);
    assert!(
        p.indicators[0].note.contains("剩余约1000个需达到96%"),
        "{}",
        p.indicators[0].note
    );
}

#[test]
fn steps_in_whole_points_mode_are_the_score_boundaries() {
    let whole = rules_with(
        "partial_points = \"proportional\"",
        "partial_points = \"whole\"",
    );
    // 934/1000 = 93.4% is 1.6 points below: 1 whole point, 19.5. Only complete points
    // count, so the point comes back once the gap is under 1 (rate above 94%):
    // (934 + k)/(1000 + k) > 94% ⇒ k = 101; and a second point is lost at a gap of 2
    // (rate at or below 93%): 934/(1000 + j) ≤ 93% ⇒ j = 5.
    let input = AssessmentInput {
        answer_rate: calls(934, 1000),
        ..on_target()
    };
    let p = live(&whole, &input, 0.5);
    let h = answer_headroom(&p);
    assert_eq!(h.successes_to_gain_step, Some(101));
    assert_eq!(h.step_gain, 0.5);
    assert_eq!(h.failures_to_lose_step, Some(5));
    assert_eq!(h.step_loss, 0.5);
    assert_eq!(p.indicators[0].score, 19.5);
}

#[test]
fn a_100_percent_target_after_a_late_callback_cannot_be_reached() {
    let input = AssessmentInput {
        callback_timeliness: rate("order", 49, 50),
        ..on_target()
    };
    let p = live(&RuleSet::baisha_default(), &input, 0.5);
    let h = p.indicators[2]
        .headroom
        .clone()
        .unwrap_or_else(|| panic!("callbacks have headroom"));
    assert_eq!(h.successes_to_target, None);
    assert!(h.required_rate_for_rest.is_some_and(|r| r > 1.0));
    assert!(
        p.indicators[2].note.contains("本期已无法达到100%"),
        "{}",
        p.indicators[2].note
    );
}

#[test]
fn capped_rates_have_nothing_to_gain() {
    let capped = rules_with("cap_rates_at_points = false", "cap_rates_at_points = true");
    let input = AssessmentInput {
        answer_rate: calls(960, 1000),
        ..on_target()
    };
    let h = answer_headroom(&live(&capped, &input, 0.5));
    assert_eq!(h.successes_to_gain_step, None);
    // 96% earns 20.5, capped to 20: the first point lost (960/1011 = 94.96%) costs only
    // what lies below the target, 0.02; up to 10 misses cost nothing.
    assert_eq!(h.failures_absorbable, Some(10));
    assert_eq!(h.failures_to_lose_step, Some(11));
    assert_eq!(h.step_loss, 0.02);
}

#[test]
fn the_projection_keeps_totals_and_leaves_cases_alone() {
    let input = AssessmentInput {
        answer_rate: calls(934, 1000),
        first_contact_resolution: rate("consult", 0, 0),
        ..on_target()
    };
    let p = live(&RuleSet::baisha_default(), &input, 0.4);
    assert_eq!(p.projected_total, 99.2);
    assert_eq!(p.projected_payment_ratio, 1.0);
    assert_eq!(p.projected_payment_band, "95分及以上");
    // No data yet: no headroom, still full points.
    assert!(p.indicators[1].no_data && p.indicators[1].headroom.is_none());
    // Cases and staff are not scaled.
    assert_eq!(
        p.indicators[5].projected_denominator,
        p.indicators[5].denominator
    );
    assert!(p.indicators[5].headroom.is_none());
    assert_eq!(p.indicators[0].projected_denominator, 2500.0);
}

#[test]
fn the_elapsed_fraction_must_be_in_range() {
    let rules = RuleSet::baisha_default();
    let period = Period::month(2026, 10).unwrap_or_else(|e| panic!("{e}"));
    for bad in [0.0, -0.1, 1.5, f64::NAN] {
        assert!(matches!(
            project(&rules, &period, &on_target(), bad),
            Err(AssessError::ElapsedFraction(_))
        ));
    }
    // At the very end nothing remains to be done.
    let p = project(&rules, &period, &on_target(), 1.0).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(answer_headroom(&p).required_rate_for_rest, None);
}
