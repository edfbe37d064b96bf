//! Renders the October 2026 monthly report of a Baisha-sized year as Excel and PDF and
//! times each step: building the report from SQLite (October scored, the 11 months before
//! it scored for the trend, the lists behind indicators 5, 7, 8, 9), writing the .xlsx and
//! writing the .pdf. October has 9,000 calls and 1,000 consultations; the 11 months before
//! 6,000–9,000 calls each; complaints, emergencies, faults and praise a few a month.
//!
//! `cargo run --release -p rexian-report --example report_files [-- OUT_DIR]`
//! (files: OUT_DIR/assessment-BS-2026-10.xlsx and .pdf, default `target/report-sample`).

use std::time::{Duration as StdDuration, Instant};

use chrono::{DateTime, Duration, NaiveDate, TimeZone, Utc};
use rexian_assessment::{Period, RuleBook};
use rexian_domain::{Actor, Role};
use rexian_operations::assets::AssetKind;
use rexian_operations::emergency::EmergencyKind;
use rexian_operations::faults::FaultSeverity;
use rexian_operations::ids::UserId;
use rexian_operations::quality::{ComplaintSource, PraiseKind, Verdict};
use rexian_operations::staff::Position;
use rexian_orders::{
    Action, Actor as OrderActor, Calendar, OrderNumber, RequestKind, Source, TimeLimits, apply,
    register,
};
use rexian_store::operations::*;
use rexian_store::{NewCall, NewOrder, OrderUpdate, PlatformSeed, Store};

const RUNS: usize = 5;

/// 00:00 Beijing time on the first of `month` (months counted from 2025-11 = 0).
fn month_start(index: i32) -> DateTime<Utc> {
    let (y, m) = (2025 + (10 + index) / 12, (10 + index) % 12 + 1);
    Utc.with_ymd_and_hms(y, m as u32, 1, 0, 0, 0).unwrap() - Duration::hours(8)
}

fn ctx(p: i64, now: DateTime<Utc>) -> OpsCtx {
    OpsCtx {
        platform_id: p,
        actor: Actor::Cli {
            os_user: "bench".into(),
        },
        user: UserId(1),
        now,
    }
}

fn median(mut v: Vec<StdDuration>) -> StdDuration {
    v.sort();
    v[v.len() / 2]
}

async fn calls(s: &dyn Store, p: i64, month: i32, count: i64, cli: &Actor) {
    let start = month_start(month);
    let secs = (month_start(month + 1) - start).num_seconds();
    // One call in `lost` is lost; the answer rate moves from month to month.
    let lost = 12 + i64::from(month % 5) * 4;
    let batch: Vec<NewCall> = (0..count)
        .map(|i| {
            let at = start + Duration::seconds(i * secs / count);
            let outcome = match i % lost {
                0 => "abandoned",
                1 if i % 3 == 0 => "short_abandoned",
                _ if i % 7 == 0 => "transferred",
                _ => "completed",
            };
            let answered = matches!(outcome, "completed" | "transferred");
            NewCall {
                source: "cti".into(),
                dedup_key: format!("m{month}c{i}"),
                caller: format!("1380000{:04}", i % 10_000),
                called: "12345".into(),
                queue: "general".into(),
                agent: answered.then(|| format!("A{:02}", i % 10)),
                arrived_at: at,
                answered_at: answered.then(|| at + Duration::seconds(9)),
                ended_at: at + Duration::seconds(180),
                wait_seconds: if outcome == "short_abandoned" {
                    4.0
                } else {
                    30.0
                },
                talk_seconds: if answered { 160.0 } else { 0.0 },
                wrap_up_seconds: 20.0,
                outcome: outcome.into(),
                overflow_reason: None,
                satisfaction: (answered && i % 4 == 0).then(|| {
                    if i % 60 == 0 {
                        "dissatisfied"
                    } else {
                        "satisfied"
                    }
                    .to_owned()
                }),
                record: serde_json::value::RawValue::from_string(format!("{{\"id\": {i}}}"))
                    .unwrap(),
            }
        })
        .collect();
    for chunk in batch.chunks(1000) {
        s.insert_calls(p, chunk, cli, start + Duration::days(32))
            .await
            .unwrap();
    }
}

#[tokio::main]
async fn main() {
    let out_dir = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "target/report-sample".into());
    let db = rexian_store::testing::sqlite().await;
    let s = db.store.as_ref();
    let cli = Actor::Cli {
        os_user: "bench".into(),
    };
    let platform = s
        .seed_platform(&PlatformSeed::baisha(), &cli, month_start(0))
        .await
        .unwrap();
    let p = platform.id;
    let t = Instant::now();
    for month in 0..12 {
        let count = if month == 11 {
            9_000
        } else {
            6_000 + 250 * i64::from(month)
        };
        calls(s, p, month, count, &cli).await;
        eprint!("\rcalls: month {}/12", month + 1);
    }
    eprintln!();
    // October's consultations, half resolved at the desk.
    let (cal, limits) = (Calendar::bundled(), TimeLimits::bundled());
    let agent = OrderActor::user(Role::Agent);
    let oct = month_start(11);
    for i in 0..1_000i64 {
        let at = oct + Duration::seconds(i * 2_600);
        let t = register(
            OrderNumber::parse("X202601010001").unwrap(),
            RequestKind::Consultation,
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
            title: "咨询".into(),
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
        if i % 4 != 3 {
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
            let update = OrderUpdate {
                snapshot: t.order,
                lead_department_id: None,
                reply_content: Some("已答复".into()),
                publish_reply: true,
                next_timer_at: None,
            };
            s.update_order(&o, &update, &[], at).await.unwrap();
        }
    }
    // Staff, then each month's complaints, emergencies, faults and praise.
    let mut agents = Vec::new();
    for n in 0..10 {
        let st = s
            .create_staff(
                &ctx(p, month_start(0)),
                &NewStaff {
                    code: format!("A{n:02}"),
                    name: format!("坐席{n:02}"),
                    position: Position::Agent,
                    start: NaiveDate::from_ymd_opt(2025, 6, 1).unwrap(),
                    certified_on: Some(NaiveDate::from_ymd_opt(2025, 7, 1).unwrap()),
                    left: None,
                    details: StaffDetails::default(),
                },
            )
            .await
            .unwrap();
        agents.push(st.staff.id);
    }
    let asset = s
        .create_asset(
            &ctx(p, month_start(0)),
            &NewAssetRecord {
                name: "UPS".into(),
                kind: AssetKind::Other {
                    description: "UPS".into(),
                },
                commissioned_on: NaiveDate::from_ymd_opt(2025, 1, 1).unwrap(),
                location: None,
            },
        )
        .await
        .unwrap();
    for month in 0..12 {
        let day = |d: i64, h: i64| month_start(month) + Duration::days(d) + Duration::hours(h);
        for k in 0..(month % 3) as i64 {
            let c = s
                .receive_complaint(
                    &ctx(p, day(3 + k, 2)),
                    &NewComplaint {
                        source: ComplaintSource::Caller,
                        received_at: day(3 + k, 2),
                        agent: agents[k as usize],
                        call_id: None,
                        order_id: None,
                        summary: "坐席态度生硬 curt agent".into(),
                        bad_social_impact: false,
                    },
                )
                .await
                .unwrap();
            s.change_complaint(
                &ctx(p, day(5 + k, 2)),
                c.id.0,
                &ComplaintChange::Finalize {
                    verdict: Some(if k == 0 {
                        Verdict::Justified
                    } else {
                        Verdict::Unjustified
                    }),
                    note: "质检核实 checked by quality control".into(),
                },
            )
            .await
            .unwrap();
        }
        if month % 4 == 3 {
            s.open_emergency(
                &ctx(p, day(10, 1)),
                &NewEmergency {
                    kind: EmergencyKind::Typhoon,
                    description: "台风橙色预警，话务激增".into(),
                    known_at: day(10, 1),
                    required_change: "增开4个席位".into(),
                    staffing_due_by: day(10, 3),
                },
            )
            .await
            .unwrap();
        }
        if month % 2 == 1 {
            s.report_fault(
                &ctx(p, day(12, 4)),
                &NewFault {
                    asset_id: asset.id.0,
                    severity: FaultSeverity::Major,
                    description: "录音服务器磁盘告警".into(),
                    reported_at: day(12, 4),
                },
            )
            .await
            .unwrap();
        }
        for (k, kind) in [PraiseKind::Call, PraiseKind::Banner, PraiseKind::Letter]
            .into_iter()
            .enumerate()
            .take(1 + (month % 3) as usize)
        {
            let pr = s
                .receive_praise(
                    &ctx(p, day(14, 2)),
                    &NewPraise {
                        kind,
                        received_on: (day(14 + k as i64, 2) + Duration::hours(8)).date_naive(),
                        agent: Some(agents[k]),
                        order_id: None,
                        description: "群众致电表扬坐席耐心解答".into(),
                    },
                )
                .await
                .unwrap();
            if k != 2 {
                s.change_praise(&ctx(p, day(16, 2)), pr.id.0, &PraiseChange::Verify)
                    .await
                    .unwrap();
            }
        }
    }
    eprintln!("data built in {:.1?}", t.elapsed());

    let book = RuleBook::baisha_default();
    let period = Period::parse("2026-10").unwrap();
    let now = Utc.with_ymd_and_hms(2026, 11, 5, 2, 0, 0).unwrap();
    let (mut build, mut xlsx, mut pdf) = (Vec::new(), Vec::new(), Vec::new());
    let mut files = (Vec::new(), Vec::new());
    let mut report = None;
    for run in 0..RUNS {
        let t = Instant::now();
        let r = rexian_report::monthly_report(s, &platform, &book, &period, now)
            .await
            .unwrap();
        build.push(t.elapsed());
        let t = Instant::now();
        files.0 = rexian_report::xlsx::to_xlsx(&r).unwrap();
        xlsx.push(t.elapsed());
        let t = Instant::now();
        files.1 = rexian_report::pdf::to_pdf(&r).unwrap();
        pdf.push(t.elapsed());
        report = Some(r);
        eprint!("\rrun {}/{RUNS}", run + 1);
    }
    eprintln!();
    let report = report.unwrap();
    std::fs::create_dir_all(&out_dir).unwrap();
    let stem = std::path::Path::new(&out_dir).join(report.file_stem(&platform.order_prefix));
    let (xlsx_file, pdf_file) = (stem.with_extension("xlsx"), stem.with_extension("pdf"));
    std::fs::write(&xlsx_file, &files.0).unwrap();
    std::fs::write(&pdf_file, &files.1).unwrap();
    let scored = report.trend.iter().filter(|m| m.scored.is_some()).count();
    let rows: usize = report.lists.iter().map(|l| l.rows.len()).sum();
    println!(
        "report of {} (total {:.2}; trend {scored}/12 months scored; {rows} list rows), \
         median of {RUNS} runs:",
        period.label(),
        report.assessment.total
    );
    println!(
        "  build from SQLite (13 months scored) {:.1?}",
        median(build)
    );
    println!(
        "  xlsx {:.1?} ({} bytes) -> {}",
        median(xlsx),
        files.0.len(),
        xlsx_file.display()
    );
    println!(
        "  pdf  {:.1?} ({} bytes) -> {}",
        median(pdf),
        files.1.len(),
        pdf_file.display()
    );
}
