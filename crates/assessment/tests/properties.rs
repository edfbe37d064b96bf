//! Invariants over random counts and every combination of options.

mod common;

use common::*;
use proptest::prelude::*;
use rexian_assessment::{
    AssessmentInput, CaseLevel, HeadcountBasis, NoDataScoring, PartialPoints, Period, RuleSet,
    ScoringOptions, assess_with, project,
};

fn options() -> impl Strategy<Value = ScoringOptions> {
    (
        prop_oneof![
            Just(PartialPoints::Proportional),
            Just(PartialPoints::Whole)
        ],
        any::<bool>(),
        any::<bool>(),
        prop_oneof![
            Just(HeadcountBasis::Average),
            Just(HeadcountBasis::Start),
            Just(HeadcountBasis::End)
        ],
        prop_oneof![Just(NoDataScoring::FullPoints), Just(NoDataScoring::Zero)],
        any::<bool>(),
    )
        .prop_map(
            |(partial_points, cap, floor, basis, no_data, exclude)| ScoringOptions {
                partial_points,
                cap_rates_at_points: cap,
                rates_floor_at_zero: floor,
                attrition_headcount: basis,
                no_data,
                exclude_short_abandons: exclude,
                short_abandon_seconds: 10,
            },
        )
}

fn rules(o: ScoringOptions) -> RuleSet {
    RuleSet::baisha_default()
        .with_options(o)
        .unwrap_or_else(|e| panic!("{e}"))
}

/// (successes, total) with successes ≤ total.
fn share(max: usize) -> impl Strategy<Value = (usize, usize)> {
    (0..=max).prop_flat_map(|d| (0..=d, Just(d)))
}

fn level() -> impl Strategy<Value = CaseLevel> {
    prop_oneof![
        Just(CaseLevel::NotCounted),
        Just(CaseLevel::Ordinary),
        Just(CaseLevel::LeaderRaised),
        Just(CaseLevel::MediaExposed),
        Just(CaseLevel::BadSocialImpact),
    ]
}

prop_compose! {
    fn input()(
        answer in share(600),
        short in 0usize..30,
        consult in share(300),
        order in share(200),
        rating in share(300),
        complaints in prop::collection::vec(level(), 0..15),
        staff_counts in (0usize..6, 0usize..20, 0usize..20),
        emergencies in prop::collection::vec(level(), 0..4),
        faults in prop::collection::vec(level(), 0..4),
        praise_counts in (0usize..6, 0usize..6, 0usize..4, 0usize..3),
    ) -> AssessmentInput {
        let mut answer_rate = calls(answer.0, answer.1);
        // Short abandons are among the unanswered calls.
        answer_rate.short_abandons = answer_rate.offered[answer.0..]
            .iter()
            .take(short)
            .cloned()
            .collect();
        AssessmentInput {
            answer_rate,
            first_contact_resolution: rate("consult", consult.0, consult.1),
            callback_timeliness: rate("order", order.0, order.1),
            front_desk_satisfaction: rate("rating", rating.0, rating.1),
            complaints: cases("complaint", &complaints),
            attrition: staff(staff_counts.0, staff_counts.1, staff_counts.2),
            emergencies: cases("emergency", &emergencies),
            faults: cases("fault", &faults),
            praise: praise(praise_counts.0, praise_counts.1, praise_counts.2, praise_counts.3),
        }
    }
}

fn month() -> Period {
    Period::month(2026, 10).unwrap_or_else(|e| panic!("{e}"))
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn total_is_the_sum_of_the_indicator_scores(o in options(), input in input()) {
        let a = assess_with(&rules(o), &month(), input).unwrap_or_else(|e| panic!("{e}"));
        let sum: i64 = a.indicators.iter().map(|i| i.score_hundredths()).sum();
        prop_assert_eq!((a.total * 100.0).round() as i64, sum);
        prop_assert_eq!(a.payment_ratio, RuleSet::baisha_default().payment_table().share_for(a.total));
        // Every score is a whole number of hundredths.
        for i in &a.indicators {
            prop_assert!((i.score * 100.0 - (i.score * 100.0).round()).abs() < 1e-6);
        }
    }

    #[test]
    fn rate_scores_never_fall_as_the_numerator_rises(
        o in options(),
        which in 0usize..4,
        (n, d) in share(1500).prop_filter("room for one more", |(n, d)| n < d),
    ) {
        let rules = rules(o);
        let with = |n: usize| {
            let mut input = on_target();
            match which {
                0 => input.answer_rate = calls(n, d),
                1 => input.first_contact_resolution = rate("x", n, d),
                2 => input.callback_timeliness = rate("x", n, d),
                _ => input.front_desk_satisfaction = rate("x", n, d),
            }
            let a = assess_with(&rules, &month(), input).unwrap_or_else(|e| panic!("{e}"));
            a.indicators[which].score_hundredths()
        };
        prop_assert!(with(n + 1) >= with(n), "{}/{} → {}/{}", n, d, n + 1, d);
    }

    #[test]
    fn attrition_never_improves_with_more_leavers(
        o in options(),
        leavers in 0usize..10,
        start in 1usize..20,
        end in 1usize..20,
    ) {
        let rules = rules(o);
        let with = |l: usize| {
            let input = AssessmentInput { attrition: staff(l, start, end), ..on_target() };
            let a = assess_with(&rules, &month(), input).unwrap_or_else(|e| panic!("{e}"));
            a.indicators[5].score_hundredths()
        };
        prop_assert!(with(leavers + 1) <= with(leavers));
    }

    #[test]
    fn default_scores_stay_between_floor_and_cap(input in input()) {
        let a = assess_with(&RuleSet::baisha_default(), &month(), input)
            .unwrap_or_else(|e| panic!("{e}"));
        for i in &a.indicators {
            prop_assert!(i.score >= 0.0, "{} scored {}", i.id, i.score);
        }
        for i in &a.indicators[4..8] {
            prop_assert!(i.score <= i.points);
        }
        prop_assert!(a.indicators[8].score <= 5.0);
    }

    #[test]
    fn headroom_figures_are_exact_thresholds(o in options(), (n, d) in share(3000)) {
        prop_assume!(d > 0);
        let rules = rules(o);
        let input = AssessmentInput { answer_rate: calls(n, d), ..on_target() };
        let p = project(&rules, &month(), &input, 0.5).unwrap_or_else(|e| panic!("{e}"));
        let h = p.indicators[0].headroom.clone().unwrap_or_else(|| panic!("headroom"));
        // Target 95% in integers: a/b ≥ 95% ⇔ 100a ≥ 95b.
        let ok = |a: u64, b: u64| 100 * a >= 95 * b;
        let (n, d) = (n as u64, d as u64);
        prop_assert_eq!(h.at_or_above_target, ok(n, d));
        if let Some(k) = h.successes_to_target {
            prop_assert!(ok(n + k, d + k));
            prop_assert!(k == 0 || !ok(n + k - 1, d + k - 1));
        }
        if let Some(j) = h.failures_absorbable {
            prop_assert!(ok(n, d + j));
            prop_assert!(!ok(n, d + j + 1));
        }
        let score = |a: usize, b: usize| {
            let input = AssessmentInput { answer_rate: calls(a, b), ..on_target() };
            let p = project(&rules, &month(), &input, 0.5).unwrap_or_else(|e| panic!("{e}"));
            p.indicators[0].score
        };
        let now = p.indicators[0].score;
        if let Some(k) = h.successes_to_gain_step {
            let k = k as usize;
            prop_assert!(score(n as usize + k, d as usize + k) > now);
            prop_assert!((score(n as usize + k, d as usize + k) - now - h.step_gain).abs() < 1e-9);
        }
        if let Some(j) = h.failures_to_lose_step {
            prop_assert!(score(n as usize, d as usize + j as usize) < now);
        }
    }

    #[test]
    fn period_parsing_never_panics(s in "\\PC{0,24}") {
        if let Ok(p) = Period::parse(&s) {
            prop_assert!(p.start() < p.end());
            prop_assert_eq!(Period::parse(&p.label()).ok(), Some(p));
        }
    }

    #[test]
    fn period_forms_parse_from_generated_codes(year in 1970i32..9998, m in 0u32..15, q in 0u32..6) {
        let month = Period::parse(&format!("{year}-{m:02}"));
        prop_assert_eq!(month.is_ok(), (1..=12).contains(&m));
        let quarter = Period::parse(&format!("{year}Q{q}"));
        prop_assert_eq!(quarter.is_ok(), (1..=4).contains(&q));
    }

    #[test]
    fn reading_rules_never_panics(s in "[a-z_=\\[\\]\" 0-9.\\n-]{0,200}") {
        let _ = RuleSet::from_toml_str(&s);
    }
}

#[test]
fn property_options_cover_the_clamp_that_options_create() {
    // cap_rates_at_points with the shipped floors (0) is always a valid combination.
    let o = ScoringOptions {
        cap_rates_at_points: true,
        ..ScoringOptions::default()
    };
    assert!(RuleSet::baisha_default().with_options(o).is_ok());
}
