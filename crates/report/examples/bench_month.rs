//! Scores a Baisha-sized month end to end from SQLite: 9,000 calls and 3,000 work orders
//! (1,000 consultations, half resolved at the desk; 1,000 callback deadlines), read through
//! the `Store` and scored with the Baisha rules. Prints the time of each run.
//!
//! `cargo run --release -p rexian-report --example bench_month`

use std::time::Instant;

use chrono::{DateTime, Duration, TimeZone, Utc};
use rexian_assessment::{Period, RuleBook};
use rexian_domain::{Actor, AggregateRef, NewEvent, Role};
use rexian_orders::{
    Action, Actor as OrderActor, Calendar, OrderNumber, RequestKind, Source, TimeLimits, apply,
    register,
};
use rexian_store::{NewCall, NewOrder, OrderUpdate, PlatformSeed};
use serde_json::json;

const CALLS: i64 = 9_000;
const ORDERS: i64 = 3_000;
const RUNS: usize = 20;

/// CPU time of this process (all threads) so far, from /proc (Linux), in seconds.
fn cpu_seconds() -> f64 {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    let after = stat.rsplit(')').next().unwrap_or("");
    let f: Vec<&str> = after.split_whitespace().collect();
    let ticks: f64 = f.get(11).and_then(|x| x.parse().ok()).unwrap_or(0.0)
        + f.get(12).and_then(|x| x.parse().ok()).unwrap_or(0.0);
    ticks / 100.0
}

fn oct1() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 9, 30, 16, 0, 0).unwrap()
}

#[tokio::main]
async fn main() {
    let db = rexian_store::testing::sqlite().await;
    let s = db.store.as_ref();
    let cli = Actor::Cli {
        os_user: "bench".into(),
    };
    let p = s
        .seed_platform(&PlatformSeed::baisha(), &cli, oct1())
        .await
        .unwrap()
        .id;
    let month_secs = 31 * 24 * 3600;
    let outcomes = [
        "completed",
        "completed",
        "completed",
        "completed",
        "completed",
        "completed",
        "completed",
        "transferred",
        "abandoned",
        "short_abandoned",
        "busy",
    ];
    let ratings = [
        Some("satisfied"),
        Some("basically_satisfied"),
        None,
        Some("dissatisfied"),
        None,
    ];
    let calls: Vec<NewCall> = (0..CALLS)
        .map(|i| {
            let at = oct1() + Duration::seconds(i * month_secs / CALLS);
            let outcome = outcomes[(i as usize) % outcomes.len()];
            let answered = matches!(outcome, "completed" | "transferred");
            NewCall {
                source: "cti".into(),
                dedup_key: format!("c{i}"),
                caller: format!("1380000{:04}", i % 10_000),
                called: "12345".into(),
                queue: "general".into(),
                agent: answered.then(|| format!("A{:02}", i % 10)),
                arrived_at: at,
                answered_at: answered.then(|| at + Duration::seconds(9)),
                ended_at: at + Duration::seconds(180),
                wait_seconds: match outcome {
                    "short_abandoned" => 4.0,
                    "abandoned" => 45.0,
                    _ => 9.0,
                },
                talk_seconds: if answered { 160.0 } else { 0.0 },
                wrap_up_seconds: 20.0,
                outcome: outcome.into(),
                overflow_reason: None,
                satisfaction: if answered {
                    ratings[(i as usize) % ratings.len()].map(str::to_owned)
                } else {
                    None
                },
                record: serde_json::value::RawValue::from_string(format!("{{\"id\": {i}}}"))
                    .unwrap(),
            }
        })
        .collect();
    for chunk in calls.chunks(1000) {
        s.insert_calls(p, chunk, &cli, oct1() + Duration::days(32))
            .await
            .unwrap();
    }
    let (cal, limits) = (Calendar::bundled(), TimeLimits::bundled());
    let agent = OrderActor::user(Role::Agent);
    let kinds = [
        RequestKind::Consultation,
        RequestKind::Help,
        RequestKind::Complaint,
    ];
    for i in 0..ORDERS {
        let at = oct1() + Duration::seconds(i * month_secs / ORDERS);
        let kind = kinds[(i as usize) % kinds.len()];
        let t = register(
            OrderNumber::parse("X202601010001").unwrap(),
            kind,
            false,
            &agent,
            at,
        )
        .unwrap();
        let new = NewOrder {
            snapshot: t.order,
            confidential: false,
            leader_flagged: false,
            source: Source::PhoneCall,
            category_code: None,
            title: "问题".into(),
            content: "内容".into(),
            caller_name: "市民".into(),
            caller_phone: "13800001111".into(),
            town: None,
            address: None,
            lat: None,
            lng: None,
            call_id: None,
            idempotency_key: None,
        };
        let (o, _) = s.create_order(p, &new, &cli, at).await.unwrap();
        let mut snapshot = o.snapshot.clone();
        let mut events = Vec::new();
        if kind == RequestKind::Consultation && i % 2 == 0 {
            let t = apply(
                &o.snapshot,
                &Action::ResolveDirectly {
                    answer: "已答复".into(),
                },
                &agent,
                at,
                &cal,
                &limits,
            )
            .unwrap();
            snapshot = t.order;
        } else if kind != RequestKind::Consultation {
            let due = at + Duration::hours(30);
            events.push(NewEvent {
                aggregate: AggregateRef::new("order", o.id),
                event_type: "order.called_back".into(),
                actor: cli.clone(),
                occurred_at: at + Duration::hours(20),
                payload: json!({"number": o.number, "timeliness":
                    {"deadline": "callback", "due_at": due, "on_time": i % 50 != 1}}),
                reason: None,
            });
        }
        let update = OrderUpdate {
            snapshot,
            lead_department_id: None,
            reply_content: None,
            publish_reply: false,
            next_timer_at: None,
        };
        s.update_order(&o, &update, &events, at).await.unwrap();
    }

    if std::env::var("BENCH_STEPS").is_ok() {
        let period = Period::parse("2026-10").unwrap();
        for _ in 0..3 {
            let t = Instant::now();
            let c = s
                .call_facts(p, period.start_utc(), period.end_utc())
                .await
                .unwrap();
            let t1 = t.elapsed();
            let e = s
                .events_by_type(p, "order.called_back", oct1(), oct1() + Duration::days(60))
                .await
                .unwrap();
            let t2 = t.elapsed();
            let f = rexian_store::OrderFilter {
                kind: Some(RequestKind::Consultation),
                ..Default::default()
            };
            let o = s.list_orders(p, &f, oct1(), 200).await.unwrap();
            let t3 = t.elapsed();
            let cb = s.callback_list(p, None, 100_000).await.unwrap();
            let staff = s.staff_records(p).await.unwrap();
            let t4 = t.elapsed();
            println!(
                "callback list {} staff {} in {:?}",
                cb.len(),
                staff.len(),
                t4 - t3
            );
            println!(
                "calls {} in {:?}; events {} in {:?}; orders page {} in {:?}",
                c.len(),
                t1,
                e.len(),
                t2 - t1,
                o.len(),
                t3 - t2
            );
        }
    }
    let book = RuleBook::baisha_default();
    let period = Period::parse("2026-10").unwrap();
    let now = oct1() + Duration::days(40);
    let mut times = Vec::with_capacity(RUNS);
    let mut total = 0.0;
    let cpu_start = cpu_seconds();
    for _ in 0..RUNS {
        let started = Instant::now();
        let a = rexian_report::assess_period(s, p, &book, &period, now)
            .await
            .unwrap();
        times.push(started.elapsed());
        total = a.total;
    }
    let cpu_per_run = (cpu_seconds() - cpu_start) / RUNS as f64;
    let a = rexian_report::assess_period(s, p, &book, &period, now)
        .await
        .unwrap();
    for i in &a.indicators {
        println!(
            "{} {}: {}/{} score {:.2}",
            i.id, i.name_en, i.numerator, i.denominator, i.score
        );
    }
    times.sort();
    println!(
        "Baisha month ({CALLS} calls, {ORDERS} orders) on SQLite: total {total:.2}; \
         median {:.1} ms, min {:.1} ms, max {:.1} ms over {RUNS} runs; \
         CPU time {:.1} ms a run (all threads)",
        times[RUNS / 2].as_secs_f64() * 1e3,
        times[0].as_secs_f64() * 1e3,
        times[RUNS - 1].as_secs_f64() * 1e3,
        cpu_per_run * 1e3,
    );
}
