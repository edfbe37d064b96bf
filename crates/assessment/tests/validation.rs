//! Bad rules files: each error names the field.

mod common;

use common::error_with;
use rexian_assessment::{RuleSet, RulesError};

#[test]
fn contradictory_or_missing_fields_name_the_field() {
    // (replace, with, exact error line expected among the errors)
    let cases = [
        (
            "points = 15\ntarget_percent = 96\nbonus_per_point = 0.5\npenalty_per_point = 0.5\nfloor = 0",
            "points = 15\ntarget_percent = 96\nbonus_per_point = 0.5\npenalty_per_point = 0.5\nfloor = 25\ncap = 20",
            "indicators[3].floor: floor 25 is above cap 20",
        ),
        (
            "points = 20",
            "points = -20",
            "indicators[0].points: negative points -20",
        ),
        (
            "per_severe_case = 2",
            "per_severe_case = -2",
            "indicators[4].per_severe_case: negative deduction -2",
        ),
        (
            "name_en = \"Answer rate\"\n",
            "",
            "indicators[0].name_en: missing field",
        ),
        (
            "points = 20\ntarget_percent = 95\n",
            "points = 20\n",
            "indicators[0].target_percent: missing field",
        ),
        (
            "version = \"baisha-2026.1\"\n",
            "",
            "version: missing field",
        ),
        (
            "effective_from = \"2026-01-01\"",
            "effective_from = \"2026-13-01\"",
            "effective_from: \"2026-13-01\" is not a date like \"2026-01-01\"",
        ),
        (
            "id = 9",
            "id = 10",
            "indicators[8].id: unknown indicator id 10; the standard's ids are 1–9",
        ),
        (
            "id = 9",
            "id = 8",
            "indicators[8].id: duplicate id 8 (also indicators[7])",
        ),
        (
            "kind = \"bonus\"",
            "kind = \"ratio\"",
            "indicators[8].kind: unknown kind \"ratio\"; expected rate, per_case or bonus",
        ),
        (
            "points = 10\nper_case = 1\nper_severe_case = 2",
            "points = 10\ntarget_percent = 50\nper_case = 1\nper_severe_case = 2",
            "indicators[4].target_percent: not used by a per_case indicator; remove it",
        ),
        (
            "target_percent = 95",
            "target_percent = 120",
            "indicators[0].target_percent: target 120% is not above 0% and at most 100%",
        ),
        (
            "partial_points = \"proportional\"",
            "partial_points = \"half\"",
            "options.partial_points: unknown value \"half\"; expected proportional or whole",
        ),
        // Payment table: a gap (90–95 band now ends at 94).
        (
            "min = 90\nmax = 95",
            "min = 90\nmax = 94",
            "payment_table[1].max: gap: no band covers scores from 94 up to 95 (where payment_table[0] starts)",
        ),
        // An overlap (85–90 band now runs to 92).
        (
            "min = 85\nmax = 90",
            "min = 85\nmax = 92",
            "payment_table[2].max: overlap: this band runs to 92 but payment_table[1] starts at 90",
        ),
        // The lowest band with a lower bound leaves low scores uncovered.
        (
            "max = 70\nshare = 0.60",
            "min = 0\nmax = 70\nshare = 0.60",
            "payment_table[5].min: gap: no band covers scores below 0; leave out `min` on the lowest band",
        ),
        (
            "share = 1.0",
            "share = 1.2",
            "payment_table[0].share: share 1.2 is outside 0 to 1 (1 = the whole final payment)",
        ),
        (
            "share = 0.90",
            "share = 0.99",
            "payment_table[1].share: share 0.95 for higher scores is below share 0.99 of payment_table[2]",
        ),
    ];
    for (from, to, expected) in cases {
        let message = error_with(from, to);
        assert!(
            message.lines().any(|line| line == expected),
            "replacing {from:?} with {to:?}:\nexpected {expected:?}\ngot:\n{message}"
        );
    }
}

#[test]
fn the_kind_must_be_the_one_the_standard_gives() {
    let message = error_with(
        "kind = \"per_case\"\npoints = 10\nper_case = 1\nper_severe_case = 2",
        "kind = \"rate\"\npoints = 10\ntarget_percent = 1\nbonus_per_point = 0\npenalty_per_point = 1",
    );
    assert!(
        message.contains(
            "indicators[4].kind: indicator 5 (有理由投诉) is scored per_case in the standard, not rate"
        ),
        "{message}"
    );
}

#[test]
fn ids_must_be_exactly_one_to_nine() {
    let text = rexian_assessment::BAISHA_DEFAULT_TOML;
    // Drop indicator 7 entirely.
    let start = text.find("[[indicators]]\nid = 7").unwrap_or(0);
    let end = text.find("[[indicators]]\nid = 8").unwrap_or(0);
    assert!(start > 0 && end > start);
    let without_seven = format!("{}{}", &text[..start], &text[end..]);
    let message = RuleSet::from_toml_str(&without_seven)
        .err()
        .map(|e| e.to_string())
        .unwrap_or_default();
    assert_eq!(
        message,
        "indicators: missing indicator 7 (突发事件响应处置及时率); ids must be exactly 1–9"
    );
}

#[test]
fn a_floor_above_the_points_is_contradictory() {
    let text = rexian_assessment::BAISHA_DEFAULT_TOML
        .replacen(
            "cap_rates_at_points = false",
            "cap_rates_at_points = true",
            1,
        )
        .replacen(
            "penalty_per_point = 0.5\nfloor = 0\n\n[[indicators]]\nid = 4",
            "penalty_per_point = 0.5\nfloor = 12\n\n[[indicators]]\nid = 4",
            1,
        );
    let message = RuleSet::from_toml_str(&text)
        .err()
        .map(|e| e.to_string())
        .unwrap_or_default();
    assert!(
        message.contains("indicators[2].floor: floor 12 is above points 10"),
        "{message}"
    );
}

#[test]
fn every_problem_is_reported_at_once() {
    let text = rexian_assessment::BAISHA_DEFAULT_TOML
        .replacen("points = 20", "points = -20", 1)
        .replacen("share = 1.0", "share = 2.0", 1);
    match RuleSet::from_toml_str(&text) {
        Err(RulesError::Invalid(fields)) => {
            let paths: Vec<&str> = fields.iter().map(|f| f.path.as_str()).collect();
            assert_eq!(paths, ["indicators[0].points", "payment_table[0].share"]);
        }
        other => panic!("expected field errors, got {other:?}"),
    }
}

#[test]
fn syntax_and_unknown_fields_are_reported_with_their_place() {
    let message = error_with(
        "floor = 0\n\n[[indicators]]\nid = 2",
        "flor = 0\n\n[[indicators]]\nid = 2",
    );
    assert!(message.contains("unknown field `flor`"), "{message}");
    assert!(message.contains("line"), "{message}");
    let message = RuleSet::from_toml_str("version = ")
        .err()
        .map(|e| e.to_string())
        .unwrap_or_default();
    assert!(message.starts_with("rules file:"), "{message}");
    // An empty file: every top-level field is missing.
    let message = RuleSet::from_toml_str("")
        .err()
        .map(|e| e.to_string())
        .unwrap_or_default();
    assert_eq!(
        message,
        "version: missing field\neffective_from: missing field\nindicators: missing field\npayment_table: missing field"
    );
}

#[test]
fn a_json_rules_document_is_validated_too() {
    let rules = RuleSet::baisha_default();
    let mut json = serde_json::to_value(&rules).unwrap_or_default();
    json["indicators"][0]["points"] = serde_json::json!(-1);
    let err = serde_json::from_value::<RuleSet>(json)
        .err()
        .map(|e| e.to_string())
        .unwrap_or_default();
    assert!(
        err.contains("indicators[0].points: negative points -1"),
        "{err}"
    );
}
