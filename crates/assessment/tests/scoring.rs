//! Each rule of the standard, checked by hand against MISSION.md.

mod common;

use common::*;
use rexian_assessment::{
    AssessError, Assessment, AssessmentInput, CaseLevel, Indicator, Period, RecordId, RuleBook,
    RuleSet, assess, assess_with,
};

fn period() -> Period {
    Period::parse("2026-10").unwrap_or_else(|e| panic!("{e}"))
}

fn run(rules: &RuleSet, input: AssessmentInput) -> Assessment {
    assess_with(rules, &period(), input).unwrap_or_else(|e| panic!("{e}"))
}

fn baisha(input: AssessmentInput) -> Assessment {
    run(&RuleSet::baisha_default(), input)
}

fn score(a: &Assessment, ind: Indicator) -> f64 {
    a.indicators[usize::from(ind.id() - 1)].score
}

fn note(a: &Assessment, ind: Indicator) -> &str {
    &a.indicators[usize::from(ind.id() - 1)].note
}

#[test]
fn exactly_at_target_every_indicator_scores_its_points() {
    let a = baisha(on_target());
    let scores: Vec<f64> = a.indicators.iter().map(|i| i.score).collect();
    assert_eq!(
        scores,
        [20.0, 15.0, 10.0, 15.0, 10.0, 10.0, 10.0, 10.0, 0.0]
    );
    assert_eq!(a.total, 100.0);
    assert_eq!(a.payment_ratio, 1.0);
    assert!(note(&a, Indicator::AnswerRate).contains("达到目标95%"));
    assert!(a.indicators.iter().all(|i| !i.no_data));
}

#[test]
fn answer_rate_93_4_percent_scores_19_2() {
    let a = baisha(AssessmentInput {
        answer_rate: calls(934, 1000),
        ..on_target()
    });
    let first = &a.indicators[0];
    assert_eq!((first.id, first.name.as_str()), (1, "接通率"));
    assert_eq!(first.value, Some(0.934));
    assert_eq!(first.target, Some(0.95));
    assert_eq!(first.score, 19.2);
    assert_eq!(
        first.note,
        "实际93.4%，低于目标95%共1.6个百分点，扣0.8分，得19.2分 \
         (93.4%, 1.6 points below the 95% target: −0.8; score 19.2)"
    );
    assert_eq!(a.total, 99.2);
}

#[test]
fn rates_above_target_earn_more_unless_capped() {
    let full = AssessmentInput {
        answer_rate: calls(1000, 1000),
        first_contact_resolution: rate("consult", 100, 100),
        ..on_target()
    };
    let a = baisha(full.clone());
    assert_eq!(score(&a, Indicator::AnswerRate), 22.5);
    assert_eq!(score(&a, Indicator::FirstContactResolution), 30.0);
    assert!(note(&a, Indicator::FirstContactResolution).contains("加15分"));

    let capped = rules_with("cap_rates_at_points = false", "cap_rates_at_points = true");
    let a = run(&capped, full);
    assert_eq!(score(&a, Indicator::AnswerRate), 20.0);
    assert_eq!(score(&a, Indicator::FirstContactResolution), 15.0);
    assert!(note(&a, Indicator::FirstContactResolution).contains("封顶15分"));
}

#[test]
fn whole_points_setting_counts_only_complete_points() {
    let whole = rules_with(
        "partial_points = \"proportional\"",
        "partial_points = \"whole\"",
    );
    // Table: (answered of 1000, score).
    let cases = [
        (934, 19.5),  // 1.6 below: 1 whole point, −0.5
        (940, 19.5),  // 1.0 below exactly
        (941, 20.0),  // 0.9 below: no whole point
        (950, 20.0),  // at target
        (967, 20.5),  // 1.7 above: +0.5
        (1000, 22.5), // 5 above
    ];
    for (answered, expected) in cases {
        let a = run(
            &whole,
            AssessmentInput {
                answer_rate: calls(answered, 1000),
                ..on_target()
            },
        );
        assert_eq!(
            score(&a, Indicator::AnswerRate),
            expected,
            "{answered}/1000"
        );
    }
    let a = run(
        &whole,
        AssessmentInput {
            answer_rate: calls(934, 1000),
            ..on_target()
        },
    );
    assert!(note(&a, Indicator::AnswerRate).contains("按整百分点计1个，扣0.5分"));
}

#[test]
fn proportional_rates_round_once_to_hundredths() {
    // (answered, offered, score): 93.45% → −0.775 → 19.225 → 19.23 (half away from zero);
    // 2/3 → 28.33 points below → −14.17 → 5.83; 1/30 of a point below → −0.0167 → 19.98;
    // 0% → −27.5 → floor 0.
    let cases = [
        (1869, 2000, 19.23),
        (2, 3, 5.83),
        (2849, 3000, 19.98),
        (0, 7, 0.0),
    ];
    for (n, d, expected) in cases {
        let a = baisha(AssessmentInput {
            answer_rate: calls(n, d),
            ..on_target()
        });
        assert_eq!(score(&a, Indicator::AnswerRate), expected, "{n}/{d}");
    }
}

#[test]
fn rates_never_go_below_zero() {
    let a = baisha(AssessmentInput {
        answer_rate: calls(0, 500),
        front_desk_satisfaction: rate("rating", 0, 40),
        ..on_target()
    });
    assert_eq!(score(&a, Indicator::AnswerRate), 0.0);
    assert_eq!(score(&a, Indicator::FrontDeskSatisfaction), 0.0);
    assert!(note(&a, Indicator::AnswerRate).contains("最低0分"));

    // Without the floor (option off, per-indicator floor removed) the rule runs negative.
    let text = rexian_assessment::BAISHA_DEFAULT_TOML
        .replacen(
            "rates_floor_at_zero = true",
            "rates_floor_at_zero = false",
            1,
        )
        .replacen(
            "penalty_per_point = 0.5\nfloor = 0\n\n[[indicators]]\nid = 2",
            "penalty_per_point = 0.5\n\n[[indicators]]\nid = 2",
            1,
        );
    let unfloored = RuleSet::from_toml_str(&text).unwrap_or_else(|e| panic!("{e}"));
    let a = run(
        &unfloored,
        AssessmentInput {
            answer_rate: calls(0, 500),
            ..on_target()
        },
    );
    assert_eq!(score(&a, Indicator::AnswerRate), -27.5);
}

#[test]
fn attrition_13_4_percent_loses_1_7() {
    // 67 leavers, 500 at start and end: average 500, 13.4%, 3.4 points over: −1.7.
    let a = baisha(AssessmentInput {
        attrition: staff(67, 500, 500),
        ..on_target()
    });
    let six = &a.indicators[5];
    assert_eq!(six.value, Some(0.134));
    assert_eq!(six.score, 8.3);
    assert!(
        six.note.contains("高于目标10%共3.4个百分点，扣1.7分"),
        "{}",
        six.note
    );

    // Baisha scale: 13 at start, 12 at end, 2 left: average 12.5, 16%: −3.
    let a = baisha(AssessmentInput {
        attrition: staff(2, 13, 12),
        ..on_target()
    });
    let six = &a.indicators[5];
    assert_eq!(
        (six.numerator, six.denominator, six.score),
        (2.0, 12.5, 7.0)
    );
    let json = serde_json::to_value(six).unwrap_or_default();
    assert_eq!(json["denominator"], serde_json::json!(12.5));
    assert_eq!(json["numerator"], serde_json::json!(2));

    // Below target earns nothing extra (bonus_per_point = 0).
    let a = baisha(AssessmentInput {
        attrition: staff(0, 13, 13),
        ..on_target()
    });
    assert_eq!(score(&a, Indicator::StaffAttrition), 10.0);
}

#[test]
fn attrition_headcount_formula_is_a_setting() {
    let input = AssessmentInput {
        attrition: staff(2, 10, 15),
        ..on_target()
    };
    // average 12.5 → 16% → 7; start 10 → 20% → 5; end 15 → 13.33% → 8.33.
    for (basis, expected) in [("average", 7.0), ("start", 5.0), ("end", 8.33)] {
        let rules = rules_with(
            "attrition_headcount = \"average\"",
            &format!("attrition_headcount = \"{basis}\""),
        );
        let a = run(&rules, input.clone());
        assert_eq!(score(&a, Indicator::StaffAttrition), expected, "{basis}");
    }
}

#[test]
fn four_ordinary_and_one_media_complaint_lose_6() {
    use CaseLevel::*;
    let a = baisha(AssessmentInput {
        complaints: cases(
            "complaint",
            &[
                Ordinary,
                Ordinary,
                MediaExposed,
                Ordinary,
                Ordinary,
                NotCounted,
            ],
        ),
        ..on_target()
    });
    let five = &a.indicators[4];
    assert_eq!(five.score, 4.0);
    assert_eq!((five.numerator, five.denominator), (5.0, 6.0));
    assert_eq!(five.records.numerator.len(), 5);
    assert!(
        !five
            .records
            .numerator
            .contains(&RecordId::from("complaint-6"))
    );
    assert_eq!(
        five.note,
        "计扣5起（一般4起，严重1起：媒体曝光1起），扣6分，得4分；另有1起经核查不计扣 \
         (5 counted cases (4 ordinary, 1 severe: 1 exposed by media): −6; score 4; \
         1 more examined and not counted)"
    );
}

#[test]
fn complaints_worth_12_stop_at_0() {
    use CaseLevel::*;
    let a = baisha(AssessmentInput {
        complaints: cases(
            "complaint",
            &[
                LeaderRaised,
                BadSocialImpact,
                MediaExposed,
                Ordinary,
                Ordinary,
                Ordinary,
                Ordinary,
                Ordinary,
                Ordinary,
            ],
        ),
        ..on_target()
    });
    assert_eq!(score(&a, Indicator::JustifiedComplaints), 0.0);
    assert!(note(&a, Indicator::JustifiedComplaints).contains("扣12分，扣至0分"));
}

#[test]
fn emergencies_and_faults_lose_1_per_counted_case() {
    use CaseLevel::*;
    let a = baisha(AssessmentInput {
        emergencies: cases("emergency", &[Ordinary, NotCounted, NotCounted]),
        faults: cases("fault", &[Ordinary, Ordinary, NotCounted]),
        ..on_target()
    });
    assert_eq!(score(&a, Indicator::EmergencyResponse), 9.0);
    assert_eq!(score(&a, Indicator::Maintenance), 8.0);
    // Indicator 7 has no separate severe deduction: a severe case still costs 1.
    let a = baisha(AssessmentInput {
        emergencies: cases("emergency", &[MediaExposed]),
        ..on_target()
    });
    assert_eq!(score(&a, Indicator::EmergencyResponse), 9.0);
}

#[test]
fn praise_8_letters_and_2_banners_caps_at_5() {
    let a = baisha(AssessmentInput {
        praise: praise(0, 8, 2, 3),
        ..on_target()
    });
    let nine = &a.indicators[8];
    assert_eq!(nine.score, 5.0);
    assert_eq!((nine.numerator, nine.denominator), (10.0, 13.0));
    // 8 × 0.5 + 2 × 1 = 6, capped at 5.
    assert!(nine.note.contains("加6分，封顶5分"), "{}", nine.note);
    assert_eq!(a.total, 105.0);

    // Under the cap each item counts: 3 calls ×0.5 + 1 banner = 2.5.
    let a = baisha(AssessmentInput {
        praise: praise(3, 0, 1, 5),
        ..on_target()
    });
    assert_eq!(score(&a, Indicator::CitizenPraise), 2.5);
}

#[test]
fn no_consultations_is_no_data_and_full_points() {
    let input = AssessmentInput {
        first_contact_resolution: rate("consult", 0, 0),
        ..on_target()
    };
    let a = baisha(input.clone());
    let two = &a.indicators[1];
    assert!(two.no_data);
    assert_eq!(two.score, 15.0);
    assert_eq!(two.value, None);
    assert!(two.note.contains("本期无数据"), "{}", two.note);
    assert_eq!(a.total, 100.0);

    let zero = rules_with("no_data = \"full_points\"", "no_data = \"zero\"");
    let a = run(&zero, input);
    assert!(a.indicators[1].no_data);
    assert_eq!(a.indicators[1].score, 0.0);
}

#[test]
fn short_abandons_leave_the_denominator_when_set() {
    // 1000 offered, 20 of them short abandons, 931 answered: 931/980 = 95% exactly.
    let mut input = on_target();
    input.answer_rate = calls(931, 1000);
    input.answer_rate.short_abandons = ids("call", 1000).split_off(980);
    let a = baisha(input.clone());
    let one = &a.indicators[0];
    assert_eq!(
        (one.numerator, one.denominator, one.score),
        (931.0, 980.0, 20.0)
    );
    assert_eq!(one.records.denominator.len(), 980);
    assert_eq!(one.records.excluded.len(), 20);
    assert!(one.records.excluded.contains(&RecordId::from("call-1000")));

    let kept = rules_with(
        "exclude_short_abandons = true",
        "exclude_short_abandons = false",
    );
    let a = run(&kept, input);
    let one = &a.indicators[0];
    // 931/1000 = 93.1%: 1.9 below, −0.95.
    assert_eq!((one.denominator, one.score), (1000.0, 19.05));
    assert!(one.records.excluded.is_empty());
}

#[test]
fn drill_down_lists_match_the_counts() {
    use CaseLevel::*;
    let a = baisha(AssessmentInput {
        complaints: cases("c", &[Ordinary, NotCounted]),
        emergencies: cases("e", &[NotCounted]),
        faults: cases("f", &[Ordinary]),
        praise: praise(1, 1, 1, 1),
        attrition: staff(1, 10, 10),
        ..on_target()
    });
    for ind in &a.indicators {
        if ind.id == 6 {
            // Average headcount 10; the list holds everyone on either date (20 distinct ids).
            assert_eq!(ind.records.numerator.len() as f64, ind.numerator);
            assert_eq!(ind.records.denominator.len(), 20);
            continue;
        }
        assert_eq!(
            ind.records.numerator.len() as f64,
            ind.numerator,
            "{}",
            ind.id
        );
        assert_eq!(
            ind.records.denominator.len() as f64,
            ind.denominator,
            "{}",
            ind.id
        );
    }
}

#[test]
fn the_json_has_the_issue_shape() {
    let a = baisha(AssessmentInput {
        answer_rate: calls(934, 1000),
        ..on_target()
    });
    let json = serde_json::to_value(&a).unwrap_or_default();
    assert_eq!(json["period"]["label"], "2026-10");
    assert_eq!(json["period"]["start"], "2026-10-01");
    assert_eq!(json["rules_version"], "baisha-2026.1");
    assert_eq!(json["total"], serde_json::json!(99.2));
    assert_eq!(json["payment_ratio"], serde_json::json!(1.0));
    let one = &json["indicators"][0];
    assert_eq!(one["id"], 1);
    assert_eq!(one["name"], "接通率");
    assert_eq!(one["name_en"], "Answer rate");
    assert_eq!(one["numerator"], serde_json::json!(934));
    assert_eq!(one["denominator"], serde_json::json!(1000));
    assert_eq!(one["value"], serde_json::json!(0.934));
    assert_eq!(one["target"], serde_json::json!(0.95));
    assert_eq!(one["points"], serde_json::json!(20.0));
    assert_eq!(one["score"], serde_json::json!(19.2));
    assert_eq!(one["no_data"], false);
    assert_eq!(one["records"]["numerator"][0], "call-1");
    let ids: Vec<u64> = json["indicators"]
        .as_array()
        .map(|list| list.iter().filter_map(|i| i["id"].as_u64()).collect())
        .unwrap_or_default();
    assert_eq!(ids, (1..=9).collect::<Vec<u64>>());
    // The report reads back identically.
    let back: Assessment = serde_json::from_value(json).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(back, a);
}

#[test]
fn payment_ratio_band_edges_belong_to_the_higher_band() {
    let table = RuleSet::baisha_default().payment_table().clone();
    let cases = [
        (105.0, 1.0),
        (95.0, 1.0),
        (94.99, 0.95),
        (90.0, 0.95),
        (89.99, 0.90),
        (85.0, 0.90),
        (80.0, 0.85),
        (79.99, 0.75),
        (70.0, 0.75),
        (69.99, 0.60),
        (0.0, 0.60),
    ];
    for (total, share) in cases {
        assert_eq!(table.share_for(total), share, "{total}");
    }
    // Through a whole assessment: 85% answer rate is 10 points below, −5: total exactly 95.
    let a = baisha(AssessmentInput {
        answer_rate: calls(850, 1000),
        ..on_target()
    });
    assert_eq!((a.total, a.payment_ratio), (95.0, 1.0));
    assert_eq!(a.payment_band, "95分及以上");
    let a = baisha(AssessmentInput {
        answer_rate: calls(8498, 10000),
        ..on_target()
    });
    assert_eq!((a.total, a.payment_ratio), (94.99, 0.95));
}

#[test]
fn a_period_spanning_two_rule_versions_uses_the_version_of_its_first_day() {
    let v1 = RuleSet::baisha_default().with_version("v1", date(2026, 1, 1));
    // v2 lowers the answer-rate target to 90% from 1 November.
    let v2 = rules_with("target_percent = 95", "target_percent = 90")
        .with_version("v2", date(2026, 11, 1));
    let book = RuleBook::new(vec![v1, v2]).unwrap_or_else(|e| panic!("{e}"));
    let input = AssessmentInput {
        answer_rate: calls(934, 1000),
        ..on_target()
    };

    let q4 = Period::parse("2026Q4").unwrap_or_else(|e| panic!("{e}"));
    let a = assess(&book, &q4, input.clone()).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(a.rules_version, "v1");
    assert_eq!(a.rules_effective_from, date(2026, 1, 1));
    assert_eq!(a.later_rules_in_period.len(), 1);
    assert_eq!(a.later_rules_in_period[0].version, "v2");
    assert_eq!(score(&a, Indicator::AnswerRate), 19.2);
    assert!(
        a.notes[0].contains("规则版本v2自2026-11-01起施行"),
        "{}",
        a.notes[0]
    );

    // December is wholly under v2: 93.4% is 3.4 points above 90%: +1.7.
    let dec = Period::parse("2026-12").unwrap_or_else(|e| panic!("{e}"));
    let a = assess(&book, &dec, input.clone()).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(a.rules_version, "v2");
    assert!(a.later_rules_in_period.is_empty());
    assert_eq!(score(&a, Indicator::AnswerRate), 21.7);

    // A period starting on the change day is wholly the new version.
    let nov = Period::parse("2026-11").unwrap_or_else(|e| panic!("{e}"));
    let a = assess(&book, &nov, input.clone()).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        (a.rules_version.as_str(), a.later_rules_in_period.len()),
        ("v2", 0)
    );

    // Before the first version: an error, not a guess.
    let early = Period::parse("2025-12").unwrap_or_else(|e| panic!("{e}"));
    assert!(matches!(
        assess(&book, &early, input),
        Err(AssessError::NoRulesInForce { .. })
    ));
}

#[test]
fn inconsistent_counts_are_an_error() {
    let mut input = on_target();
    input
        .callback_timeliness
        .numerator
        .push(RecordId::from("extra"));
    let err = assess_with(&RuleSet::baisha_default(), &period(), input).err();
    assert_eq!(
        err,
        Some(AssessError::NumeratorExceedsDenominator {
            indicator: 3,
            numerator: 51,
            denominator: 50
        })
    );
}
