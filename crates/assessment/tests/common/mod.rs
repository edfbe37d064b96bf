//! Builders shared by the integration tests.
#![allow(dead_code)]

use chrono::NaiveDate;
use rexian_assessment::{
    AnswerRateInput, AssessmentInput, AttritionInput, Case, CaseLevel, PraiseItem, PraiseKind,
    RateInput, RecordId, RuleSet,
};

/// `count` ids `prefix-1`, `prefix-2`, …
pub fn ids(prefix: &str, count: usize) -> Vec<RecordId> {
    (1..=count)
        .map(|i| RecordId::from_fmt(format_args!("{prefix}-{i}")))
        .collect()
}

/// A rate with `n` successes out of `d`; the successes are the first `n` denominator ids.
pub fn rate(prefix: &str, n: usize, d: usize) -> RateInput {
    let denominator = ids(prefix, d);
    RateInput {
        numerator: denominator.iter().take(n).cloned().collect(),
        denominator,
    }
}

pub fn calls(answered: usize, offered: usize) -> AnswerRateInput {
    let offered = ids("call", offered);
    AnswerRateInput {
        answered: offered.iter().take(answered).cloned().collect(),
        offered,
        short_abandons: Vec::new(),
    }
}

pub fn cases(prefix: &str, levels: &[CaseLevel]) -> Vec<Case> {
    levels
        .iter()
        .enumerate()
        .map(|(i, level)| Case {
            id: RecordId::from_fmt(format_args!("{prefix}-{}", i + 1)),
            level: *level,
        })
        .collect()
}

pub fn praise(calls: usize, letters: usize, banners: usize, unverified: usize) -> Vec<PraiseItem> {
    let mut out = Vec::new();
    let mut push = |kind, verified, count: usize| {
        for _ in 0..count {
            out.push(PraiseItem {
                id: RecordId::from_fmt(format_args!("praise-{}", out.len() + 1)),
                kind,
                verified,
            });
        }
    };
    push(PraiseKind::Call, true, calls);
    push(PraiseKind::Letter, true, letters);
    push(PraiseKind::Banner, true, banners);
    push(PraiseKind::Letter, false, unverified);
    out
}

pub fn staff(leavers: usize, at_start: usize, at_end: usize) -> AttritionInput {
    AttritionInput {
        leavers: ids("leaver", leavers),
        staff_at_start: ids("start", at_start),
        staff_at_end: ids("end", at_end),
    }
}

/// Every indicator exactly at its Baisha target, no cases, no praise: 100 points.
pub fn on_target() -> AssessmentInput {
    AssessmentInput {
        answer_rate: calls(950, 1000),
        first_contact_resolution: rate("consult", 70, 100),
        callback_timeliness: rate("order", 50, 50),
        front_desk_satisfaction: rate("rating", 96, 100),
        complaints: Vec::new(),
        attrition: staff(1, 10, 10),
        emergencies: Vec::new(),
        faults: Vec::new(),
        praise: Vec::new(),
    }
}

pub fn date(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).unwrap_or(NaiveDate::MIN)
}

/// The Baisha rules with one text replacement (must match exactly once).
pub fn rules_with(from: &str, to: &str) -> RuleSet {
    let text = rexian_assessment::BAISHA_DEFAULT_TOML;
    assert_eq!(text.matches(from).count(), 1, "{from:?} must occur once");
    RuleSet::from_toml_str(&text.replacen(from, to, 1)).unwrap_or_else(|e| panic!("{e}"))
}

/// The error text of the Baisha rules with one replacement.
pub fn error_with(from: &str, to: &str) -> String {
    let text = rexian_assessment::BAISHA_DEFAULT_TOML;
    assert_eq!(text.matches(from).count(), 1, "{from:?} must occur once");
    match RuleSet::from_toml_str(&text.replacen(from, to, 1)) {
        Ok(_) => panic!("{from:?} → {to:?} was accepted"),
        Err(e) => e.to_string(),
    }
}
