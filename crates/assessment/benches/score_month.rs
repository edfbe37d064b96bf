//! Scoring a Baisha month: ~9,000 calls (450 short abandons), ~3,000 orders, the ratings,
//! a few complaints, emergencies, faults and praise; the input's ids are moved into the
//! report, so the figure includes building the drill-down lists.
//!
//! Run: `cargo bench -p rexian-assessment --bench score_month`

use std::hint::black_box;

use criterion::{BatchSize, Criterion, criterion_group, criterion_main};
use rexian_assessment::{
    AnswerRateInput, AssessmentInput, AttritionInput, Case, CaseLevel, Period, PraiseItem,
    PraiseKind, RateInput, RecordId, RuleBook, assess, project,
};

fn ids(prefix: &str, count: usize) -> Vec<RecordId> {
    (1..=count)
        .map(|i| RecordId::from_fmt(format_args!("{prefix}-{i:06}")))
        .collect()
}

fn rate(prefix: &str, n: usize, d: usize) -> RateInput {
    let denominator = ids(prefix, d);
    RateInput {
        numerator: denominator.iter().take(n).cloned().collect(),
        denominator,
    }
}

fn baisha_month() -> AssessmentInput {
    let offered = ids("call", 9000);
    let case = |prefix: &str, i: usize, level| Case {
        id: RecordId::from_fmt(format_args!("{prefix}-{i}")),
        level,
    };
    AssessmentInput {
        answer_rate: AnswerRateInput {
            answered: offered.iter().take(8120).cloned().collect(),
            short_abandons: offered[8550..].to_vec(),
            offered,
        },
        first_contact_resolution: rate("consult", 1480, 2000),
        callback_timeliness: rate("order", 985, 1000),
        front_desk_satisfaction: rate("rating", 2900, 3000),
        complaints: vec![
            case("complaint", 1, CaseLevel::Ordinary),
            case("complaint", 2, CaseLevel::NotCounted),
        ],
        attrition: AttritionInput {
            leavers: ids("leaver", 1),
            staff_at_start: ids("staff", 13),
            staff_at_end: ids("staff", 13),
        },
        emergencies: vec![case("emergency", 1, CaseLevel::NotCounted)],
        faults: vec![case("fault", 1, CaseLevel::Ordinary)],
        praise: (0..6)
            .map(|i| PraiseItem {
                id: RecordId::from_fmt(format_args!("praise-{i}")),
                kind: if i == 0 {
                    PraiseKind::Banner
                } else {
                    PraiseKind::Call
                },
                verified: true,
            })
            .collect(),
    }
}

fn bench(c: &mut Criterion) {
    let book = RuleBook::baisha_default();
    let period = Period::month(2026, 10).unwrap_or_else(|e| panic!("{e}"));
    let input = baisha_month();
    c.bench_function("assess a Baisha month (9k calls, 3k orders)", |b| {
        b.iter_batched(
            || input.clone(),
            |input| assess(black_box(&book), black_box(&period), input),
            BatchSize::LargeInput,
        );
    });
    let rules = &book.versions()[0];
    c.bench_function("project a Baisha month at 50%", |b| {
        b.iter(|| project(black_box(rules), black_box(&period), black_box(&input), 0.5));
    });
}

criterion_group!(benches, bench);
criterion_main!(benches);
