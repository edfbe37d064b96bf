//! A small October 2026 built through the stores, scored on SQLite and (with
//! `REXIAN_TEST_POSTGRES_URL`) PostgreSQL: the figures checked by hand, the drill-down lists
//! matching the counts, and the same JSON from both backends.

use chrono::{DateTime, Duration, NaiveDate, TimeZone, Utc};
use rexian_assessment::{Period, RuleBook};
use rexian_domain::{Actor, AggregateRef, NewEvent, Role};
use rexian_operations::assets::AssetKind;
use rexian_operations::faults::FaultSeverity;
use rexian_operations::ids::UserId;
use rexian_operations::quality::{ComplaintSource, PraiseKind, Verdict};
use rexian_operations::staff::{LeaveReason, Position};
use rexian_orders::{
    Action, Actor as OrderActor, Calendar, OrderNumber, RequestKind, Source, TimeLimits, apply,
    register,
};
use rexian_store::operations::*;
use rexian_store::testing;
use rexian_store::{NewCall, NewOrder, OrderUpdate, PlatformSeed, Store, WorkOrder};
use serde_json::json;

/// 2026-10-01 00:00 Beijing time.
fn oct1() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 9, 30, 16, 0, 0).unwrap()
}

fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 5, 2, 0, 0).unwrap()
}

fn d(y: i32, m: u32, day: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, day).unwrap()
}

fn cli() -> Actor {
    Actor::Cli {
        os_user: "test".into(),
    }
}

fn ctx(platform_id: i64, at: DateTime<Utc>) -> OpsCtx {
    OpsCtx {
        platform_id,
        actor: cli(),
        user: UserId(1),
        now: at,
    }
}

fn call(n: u32, at: DateTime<Utc>, outcome: &str, wait: f64, rating: Option<&str>) -> NewCall {
    let answered = matches!(outcome, "completed" | "transferred");
    NewCall {
        source: "cti".into(),
        dedup_key: format!("k{n}"),
        caller: "13900001234".into(),
        called: "12345".into(),
        queue: "general".into(),
        agent: answered.then(|| "A01".into()),
        arrived_at: at,
        answered_at: answered.then(|| at + Duration::seconds(wait as i64)),
        ended_at: at + Duration::seconds(200),
        wait_seconds: wait,
        talk_seconds: if answered { 150.0 } else { 0.0 },
        wrap_up_seconds: 0.0,
        outcome: outcome.into(),
        overflow_reason: None,
        satisfaction: rating.map(str::to_owned),
        record: serde_json::value::RawValue::from_string("{}".to_owned()).unwrap(),
    }
}

fn new_order(kind: RequestKind, at: DateTime<Utc>) -> NewOrder {
    let t = register(
        OrderNumber::parse("X202601010001").unwrap(),
        kind,
        false,
        &OrderActor::user(Role::Agent),
        at,
    )
    .unwrap();
    NewOrder {
        snapshot: t.order,
        confidential: false,
        leader_flagged: false,
        source: Source::PhoneCall,
        category_code: None,
        title: "问题".into(),
        content: "内容".into(),
        caller_name: "李女士".into(),
        caller_phone: "13900001234".into(),
        town: None,
        address: None,
        lat: None,
        lng: None,
        call_id: None,
        idempotency_key: None,
    }
}

/// Appends events to an order without changing it (the callback events as the web layer
/// writes them).
async fn log(s: &dyn Store, o: &WorkOrder, events: Vec<(&str, serde_json::Value)>) {
    let events: Vec<NewEvent> = events
        .into_iter()
        .map(|(t, payload)| NewEvent {
            aggregate: AggregateRef::new("order", o.id),
            event_type: t.into(),
            actor: cli(),
            occurred_at: oct1() + Duration::days(9),
            payload,
            reason: None,
        })
        .collect();
    let update = OrderUpdate {
        snapshot: o.snapshot.clone(),
        lead_department_id: None,
        reply_content: None,
        publish_reply: false,
        next_timer_at: None,
    };
    s.update_order(o, &update, &events, oct1()).await.unwrap();
}

async fn build_month(s: &dyn Store) -> i64 {
    let p = s
        .seed_platform(&PlatformSeed::baisha(), &cli(), oct1())
        .await
        .unwrap()
        .id;
    // Calls: 9 offered (1 short abandon), 7 answered, 1 busy; 3 rated, 2 well; one in
    // November.
    let h = |hours: i64| oct1() + Duration::hours(hours);
    let calls = [
        call(1, h(10), "completed", 5.0, Some("satisfied")),
        call(2, h(11), "completed", 5.0, Some("basically_satisfied")),
        call(3, h(12), "completed", 5.0, Some("dissatisfied")),
        call(4, h(13), "completed", 5.0, None),
        call(5, h(14), "completed", 5.0, None),
        call(6, h(15), "completed", 5.0, None),
        call(7, h(16), "transferred", 5.0, None),
        call(8, h(17), "abandoned", 30.0, None),
        call(9, h(18), "short_abandoned", 3.0, None),
        call(10, h(19), "busy", 0.0, None),
        call(11, h(24 * 31 + 1), "completed", 5.0, Some("dissatisfied")),
    ];
    for c in &calls {
        s.insert_call(p, c, false, &cli(), c.ended_at)
            .await
            .unwrap();
    }
    // Consultations: one resolved at the desk, one still registered, one invalid-free help.
    let (cal, limits) = (Calendar::bundled(), TimeLimits::bundled());
    let agent = OrderActor::user(Role::Agent);
    let (c1, _) = s
        .create_order(
            p,
            &new_order(RequestKind::Consultation, h(20)),
            &cli(),
            h(20),
        )
        .await
        .unwrap();
    let t = apply(
        &c1.snapshot,
        &Action::ResolveDirectly {
            answer: "已答复".into(),
        },
        &agent,
        h(20),
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
    s.update_order(&c1, &update, &[], h(20)).await.unwrap();
    let (c2, _) = s
        .create_order(
            p,
            &new_order(RequestKind::Consultation, h(21)),
            &cli(),
            h(21),
        )
        .await
        .unwrap();
    let (help, _) = s
        .create_order(p, &new_order(RequestKind::Help, h(22)), &cli(), h(22))
        .await
        .unwrap();
    // Callback deadlines: met on 10-10, overdue on 10-20, met but in November (not ours).
    let due = |days: i64| oct1() + Duration::days(days);
    log(
        s,
        &help,
        vec![
            (
                "order.called_back",
                json!({"number": help.number, "timeliness":
                    {"deadline": "callback", "due_at": due(9), "on_time": true}}),
            ),
            (
                "order.called_back",
                json!({"number": help.number, "timeliness":
                    {"deadline": "callback", "due_at": due(33), "on_time": true}}),
            ),
        ],
    )
    .await;
    log(
        s,
        &c2,
        vec![(
            "order.callback_overdue",
            json!({"number": c2.number, "deadline": "callback", "due_at": due(19)}),
        )],
    )
    .await;

    // Staff: two certified agents, one resigned in August (half-year attrition).
    let staff = |code: &str, left: Option<(NaiveDate, LeaveReason)>| NewStaff {
        code: code.into(),
        name: format!("坐席{code}"),
        position: Position::Agent,
        start: d(2026, 1, 1),
        certified_on: Some(d(2026, 2, 1)),
        left,
        details: StaffDetails::default(),
    };
    let a01 = s
        .create_staff(&ctx(p, oct1()), &staff("A01", None))
        .await
        .unwrap();
    s.create_staff(
        &ctx(p, oct1()),
        &staff("A02", Some((d(2026, 8, 15), LeaveReason::Resigned))),
    )
    .await
    .unwrap();

    // A justified caller complaint, final: ordinary.
    let c = s
        .receive_complaint(
            &ctx(p, due(4)),
            &NewComplaint {
                source: ComplaintSource::Caller,
                received_at: due(4),
                agent: a01.staff.id,
                call_id: None,
                order_id: None,
                summary: "态度差".into(),
                bad_social_impact: false,
            },
        )
        .await
        .unwrap();
    s.change_complaint(
        &ctx(p, due(5)),
        c.id.0,
        &ComplaintChange::Finalize {
            verdict: Some(Verdict::Justified),
            note: "核实".into(),
        },
    )
    .await
    .unwrap();

    // A critical fault never acknowledged: its response deadline passed in October.
    let asset = s
        .create_asset(
            &ctx(p, oct1()),
            &NewAssetRecord {
                name: "UPS".into(),
                kind: AssetKind::Other {
                    description: "UPS".into(),
                },
                commissioned_on: d(2026, 1, 1),
                location: None,
            },
        )
        .await
        .unwrap();
    s.report_fault(
        &ctx(p, due(10)),
        &NewFault {
            asset_id: asset.id.0,
            severity: FaultSeverity::Critical,
            description: "UPS 断电".into(),
            reported_at: due(10),
        },
    )
    .await
    .unwrap();

    // Praise: a verified banner and an unverified letter.
    for (kind, verify) in [(PraiseKind::Banner, true), (PraiseKind::Letter, false)] {
        let pr = s
            .receive_praise(
                &ctx(p, due(13)),
                &NewPraise {
                    kind,
                    received_on: d(2026, 10, 14),
                    agent: Some(a01.staff.id),
                    order_id: None,
                    description: "表扬".into(),
                },
            )
            .await
            .unwrap();
        if verify {
            s.change_praise(&ctx(p, due(14)), pr.id.0, &PraiseChange::Verify)
                .await
                .unwrap();
        }
    }
    p
}

#[tokio::test]
async fn a_month_scores_the_same_on_every_backend_and_opens_record_by_record() {
    let book = RuleBook::baisha_default();
    let period = Period::parse("2026-10").unwrap();
    let mut outputs = Vec::new();
    for db in testing::all_backends().await {
        let s = db.store.as_ref();
        let p = build_month(s).await;
        let a = rexian_report::assess_period(s, p, &book, &period, now())
            .await
            .unwrap();
        let fig = |id: u8| {
            let i = &a.indicators[usize::from(id - 1)];
            (i.numerator, i.denominator)
        };
        // 1: 7 answered of 9 offered, the short abandon left out → 7/8.
        assert_eq!(fig(1), (7.0, 8.0), "{:?}", s.backend());
        assert_eq!(a.indicators[0].records.excluded, ["call:9"]);
        // 2: one of two consultations resolved at the desk.
        assert_eq!(fig(2), (1.0, 2.0));
        // 3: the 10-10 deadline met, the 10-20 one missed; November's is not October's.
        assert_eq!(fig(3), (1.0, 2.0));
        // 4: satisfied + basically satisfied of three ratings.
        assert_eq!(fig(4), (2.0, 3.0));
        // 5: one counted complaint; 8: one late fault; 9: one verified of two.
        assert_eq!(fig(5).0, 1.0);
        assert_eq!(fig(8).0, 1.0);
        assert_eq!(fig(9), (1.0, 2.0));
        assert_eq!(a.indicators[4].score, a.indicators[4].points - 1.0);
        assert_eq!(a.indicators[7].score, a.indicators[7].points - 1.0);
        // 6: one leaver in the half year.
        assert_eq!(a.indicators[5].records.numerator.len(), 1);

        // The drill-down lists match the counts and describe each record.
        for id in 1..=9u8 {
            let dd = rexian_report::drill_down(s, p, &book, &period, id, now())
                .await
                .unwrap();
            assert_eq!(
                dd.indicator,
                a.indicators[usize::from(id - 1)],
                "the drill-down (one row per record) and the score (grouped) agree"
            );
            assert_eq!(
                dd.numerator.len(),
                dd.indicator.records.numerator.len(),
                "indicator {id}"
            );
            assert_eq!(dd.denominator.len(), dd.indicator.records.denominator.len());
            assert!(
                dd.numerator
                    .iter()
                    .chain(&dd.denominator)
                    .all(|l| !l.description.is_empty()),
                "indicator {id}: {dd:?}"
            );
        }
        let dd = rexian_report::drill_down(s, p, &book, &period, 1, now())
            .await
            .unwrap();
        assert_eq!(dd.denominator.len(), 8);
        assert!(dd.denominator[0].description.contains("139****1234"));
        assert!(!dd.denominator[0].description.contains("13900001234"));
        assert!(
            rexian_report::drill_down(s, p, &book, &period, 10, now())
                .await
                .is_err()
        );
        outputs.push(serde_json::to_string_pretty(&a).unwrap());
    }
    if std::env::var(testing::POSTGRES_ENV).is_ok() {
        assert_eq!(outputs.len(), 2, "PostgreSQL was asked for but not scored");
    }
    for o in &outputs[1..] {
        assert_eq!(o, &outputs[0], "the backends disagree");
    }
}

/// Text of a PDF from `pdftotext` (poppler-utils), or `None` with a notice when the tool
/// is missing (an error instead with `REXIAN_TEST_REQUIRE_PDFTOTEXT=1`).
fn pdftotext(pdf: &[u8]) -> Option<String> {
    let dir = std::env::temp_dir().join(format!("rexian-report-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("report.pdf");
    std::fs::write(&file, pdf).unwrap();
    let out = std::process::Command::new("pdftotext")
        .args(["-layout", "-enc", "UTF-8"])
        .arg(&file)
        .arg("-")
        .output();
    let _ = std::fs::remove_dir_all(&dir);
    match out {
        Ok(o) => {
            assert!(
                o.status.success(),
                "pdftotext failed: {}",
                String::from_utf8_lossy(&o.stderr)
            );
            Some(String::from_utf8(o.stdout).unwrap())
        }
        Err(e) => {
            assert!(
                std::env::var("REXIAN_TEST_REQUIRE_PDFTOTEXT").as_deref() != Ok("1"),
                "pdftotext is required (REXIAN_TEST_REQUIRE_PDFTOTEXT=1) but cannot run: {e}"
            );
            eprintln!("notice: pdftotext not found ({e}); PDF text extraction not checked");
            None
        }
    }
}

#[tokio::test]
async fn the_monthly_report_files_carry_the_assessment_and_the_lists_behind_it() {
    use calamine::{Data, Reader};

    let book = RuleBook::baisha_default();
    let period = Period::parse("2026-10").unwrap();
    for db in testing::all_backends().await {
        let s = db.store.as_ref();
        let p = build_month(s).await;
        let platform = s.platform(p).await.unwrap().unwrap();
        let a = rexian_report::assess_period(s, p, &book, &period, now())
            .await
            .unwrap();
        let report = rexian_report::monthly_report(s, &platform, &book, &period, now())
            .await
            .unwrap();
        assert_eq!(report.assessment, a, "{:?}", s.backend());

        // The trend: 2025-11 … 2026-10; only October has records.
        let labels: Vec<String> = report.trend.iter().map(|m| m.period.label()).collect();
        assert_eq!(labels.first().map(String::as_str), Some("2025-11"));
        assert_eq!(labels.last().map(String::as_str), Some("2026-10"));
        let october = report.trend[11].scored.as_ref().expect("October is scored");
        assert_eq!(october.total, a.total);
        assert_eq!(october.answer_rate, a.indicators[0].value);
        for m in &report.trend[..11] {
            assert!(m.scored.is_none() && !m.note.is_empty(), "{m:?}");
        }

        // Excel, read back.
        let bytes = rexian_report::xlsx::to_xlsx(&report).unwrap();
        assert!(
            bytes.windows(20).any(|w| w == b"xl/charts/chart1.xml"),
            "the trend's line chart is in the workbook"
        );
        let mut wb = calamine::Xlsx::new(std::io::Cursor::new(bytes)).unwrap();
        let scores = wb.worksheet_range(rexian_report::xlsx::SCORES).unwrap();
        let num = |r: &calamine::Range<Data>, row: u32, col: u32| -> Option<f64> {
            match r.get_value((row, col)) {
                Some(Data::Float(f)) => Some(*f),
                Some(Data::Int(i)) => Some(*i as f64),
                _ => None,
            }
        };
        for (i, ind) in a.indicators.iter().enumerate() {
            let row = 3 + i as u32;
            assert_eq!(num(&scores, row, 0), Some(f64::from(ind.id)));
            assert_eq!(
                num(&scores, row, 4),
                Some(ind.numerator),
                "indicator {}",
                ind.id
            );
            assert_eq!(num(&scores, row, 5), Some(ind.denominator));
            assert_eq!(num(&scores, row, 9), Some(ind.score));
            assert_eq!(num(&scores, row, 6), ind.value, "indicator {}", ind.id);
        }
        assert_eq!(num(&scores, 12, 9), Some(a.total));
        assert_eq!(num(&scores, 13, 9), Some(a.payment_ratio));
        let trend = wb.worksheet_range(rexian_report::xlsx::TREND).unwrap();
        assert_eq!(num(&trend, 14, 10), Some(a.total));
        assert_eq!(num(&trend, 13, 10), None, "September has no data");
        assert!(matches!(trend.get_value((14, 0)), Some(Data::DateTime(_))));
        for (id, zh, en) in rexian_report::document::LISTED {
            let dd = rexian_report::drill_down(s, p, &book, &period, id, now())
                .await
                .unwrap();
            let sheet = wb
                .worksheet_range(&rexian_report::xlsx::list_sheet(zh, en))
                .unwrap();
            let ids: Vec<String> = (3..)
                .map_while(|row| match sheet.get_value((row, 1)) {
                    Some(Data::String(s)) => Some(s.clone()),
                    _ => None,
                })
                .collect();
            let want: Vec<String> = dd.denominator.iter().map(|l| l.id.to_string()).collect();
            assert_eq!(ids, want, "indicator {id}");
            for (row, line) in dd.denominator.iter().enumerate() {
                let row = 3 + row as u32;
                assert_eq!(
                    sheet.get_value((row, 4)),
                    Some(&Data::String(line.description.clone()))
                );
                assert!(matches!(sheet.get_value((row, 2)), Some(Data::DateTime(_))));
                let counted = dd.numerator.iter().any(|n| n.id == line.id);
                assert_eq!(
                    sheet.get_value((row, 3)),
                    Some(&Data::String(
                        if counted { "是 yes" } else { "否 no" }.into()
                    ))
                );
            }
        }
        assert_eq!(
            wb.sheet_names(),
            [
                "封面 Cover",
                "得分 Scores",
                "趋势 Trend",
                "投诉 Complaints",
                "应急 Emergencies",
                "故障 Faults",
                "表扬 Praise"
            ]
        );

        // PDF: every character printable, a subset of the font embedded, text extractable.
        let unprintable = rexian_report::pdf::unprintable(&report);
        assert!(unprintable.is_empty(), "not in the font: {unprintable:?}");
        let pdf = rexian_report::pdf::to_pdf(&report).unwrap();
        assert!(pdf.starts_with(b"%PDF-"));
        let has = |needle: &[u8]| pdf.windows(needle.len()).any(|w| w == needle);
        assert!(has(b"/FontFile2") || has(b"/FontFile3"), "no embedded font");
        assert!(has(b"/ToUnicode"), "no ToUnicode map");
        assert!(
            pdf.len() < rexian_report::pdf::FONT.len() / 4,
            "the font is not subset: {} bytes of PDF for a {} byte font",
            pdf.len(),
            rexian_report::pdf::FONT.len()
        );
        if let Some(text) = pdftotext(&pdf) {
            for want in [
                platform.name.as_str(),
                "12345热线分平台考核月度报告",
                "2026年10月",
                "考核得分",
                "接通率",
                "转派单24小时回访及时率",
                "近12个月趋势",
                "投诉清单",
                "表扬清单",
                "县政务服务管理办公室（盖章）",
                &format!("{:.2}", a.total),
                &a.rules_version,
            ] {
                assert!(text.contains(want), "{want:?} not in the PDF text:\n{text}");
            }
            assert!(
                !text.contains("13900001234"),
                "an unmasked caller in the PDF"
            );
        }
    }
}
