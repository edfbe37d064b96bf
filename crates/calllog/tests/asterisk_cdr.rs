//! Asterisk Master.csv (cdr_csv): 16, 17, 18 and 19 columns, quoted strings, bare integers,
//! empty answer for unanswered calls. Figures checked by hand.

mod common;

use common::{at, options};
use rexian_calllog::{
    CallOutcome, ImportOptions, ImportReport, ImportedCall, LineErrorReason, RingResult,
    SkipReason, SourceKind, import_str,
};

fn run(lines: &[&str], options: ImportOptions) -> ImportReport {
    import_str(SourceKind::AsteriskCdr, &lines.join("\n"), options)
}

const ANSWERED_16: &str = r#""","13800138000","12345","from-pstn","""张三"" <13800138000>","SIP/trunk-00000001","SIP/8001-00000002","Queue","12345-baisha,t,,,300","2026-10-01 08:00:00","2026-10-01 08:00:12","2026-10-01 08:01:42",102,90,"ANSWERED","DOCUMENTATION""#;
const ABANDONED_17: &str = r#""","13976500001","12345","from-pstn","""李四"" <13976500001>","SIP/trunk-00000003","","Queue","12345-baisha,t,,,300","2026-10-01 08:05:00","","2026-10-01 08:05:40",40,0,"NO ANSWER","DOCUMENTATION","1790813100.3""#;
// Asterisk 12+: one record per agent rung, all with the caller's uniqueid.
const RANG_18: &str = r#""","13976500002","12345","from-pstn","""王五"" <13976500002>","PJSIP/trunk-00000005","PJSIP/8001-00000006","Queue","12345-baisha,t,,,300","2026-10-01 08:10:00","","2026-10-01 08:10:15",15,0,"NO ANSWER","DOCUMENTATION","1790813400.5","""#;
const ANSWERED_18: &str = r#""","13976500002","12345","from-pstn","""王五"" <13976500002>","PJSIP/trunk-00000005","PJSIP/8002-00000007","Queue","12345-baisha,t,,,300","2026-10-01 08:10:15","2026-10-01 08:10:21","2026-10-01 08:14:21",246,240,"ANSWERED","DOCUMENTATION","1790813400.5","""#;
const SHORT_18: &str = r#""","13976500003","12345","from-pstn","","PJSIP/trunk-00000008","","Queue","12345-baisha,t,,,300","2026-10-01 08:20:00","","2026-10-01 08:20:03",3,0,"NO ANSWER","DOCUMENTATION","1790814000.8","vip""#;
const BUSY_18: &str = r#""","13976500004","12345","from-pstn","","PJSIP/trunk-00000009","PJSIP/8001-0000000a","Dial","PJSIP/8001,20","2026-10-01 08:21:40","","2026-10-01 08:21:41",1,0,"BUSY","DOCUMENTATION","1790814100.9","""#;
const CONGESTION_18: &str = r#""","13976500005","12345","from-pstn","","PJSIP/trunk-0000000b","","Dial","PJSIP/provincial","2026-10-01 08:22:00","","2026-10-01 08:22:00",0,0,"CONGESTION","DOCUMENTATION","1790814120.11","""#;
const LINKED_19: &str = r#""","13976500006","12345","from-pstn","","PJSIP/trunk-0000000c","Local/8003@agents-0000000d;1","Queue","12345-baisha","2026-10-01 08:23:20","2026-10-01 08:23:25","2026-10-01 08:25:25",125,120,"ANSWERED","DOCUMENTATION","1790814200.12","","1790814200.12""#;
const USERFIELD_17: &str = r#""","13976500007","12345","from-pstn","","PJSIP/trunk-0000000e","PJSIP/8002-0000000f","Queue","12345-baisha","2026-10-01 08:30:00","2026-10-01 08:30:07","2026-10-01 08:31:07",67,60,"ANSWERED","DOCUMENTATION","vip caller""#;
// Dialplan answered first (Answer() then Queue()); the caller hung up before any agent.
const ANSWERED_NO_AGENT_18: &str = r#""","13976500008","12345","from-pstn","","PJSIP/trunk-00000010","","Queue","12345-baisha,t","2026-10-01 08:40:00","2026-10-01 08:40:00","2026-10-01 08:40:50",50,50,"ANSWERED","DOCUMENTATION","1790815200.13","""#;

fn by_caller<'a>(report: &'a ImportReport, caller: &str) -> &'a ImportedCall {
    report
        .calls()
        .into_iter()
        .find(|c| c.caller_number.as_deref() == Some(caller))
        .unwrap_or_else(|| panic!("no call from {caller}: {:#?}", report.items))
}

#[test]
fn master_csv_of_every_width_assembles_with_hand_checked_figures() {
    let lines = [
        ANSWERED_16,
        ABANDONED_17,
        RANG_18,
        ANSWERED_18,
        SHORT_18,
        BUSY_18,
        CONGESTION_18,
        LINKED_19,
        USERFIELD_17,
        ANSWERED_NO_AGENT_18,
    ];
    let report = run(&lines, options());
    assert!(report.errors().is_empty(), "{:#?}", report.errors());
    assert_eq!(
        report.calls().len(),
        9,
        "the two records of one uniqueid are one call"
    );

    let a = by_caller(&report, "13800138000");
    assert_eq!(a.outcome, CallOutcome::Answered);
    assert_eq!(
        (a.arrived_at, a.answered_at, a.ended_at),
        (at(0), Some(at(12)), at(102))
    );
    assert_eq!((a.wait_seconds, a.talk_seconds), (12, 90));
    assert_eq!(
        a.queue_name.as_deref(),
        Some("12345-baisha"),
        "from Queue()'s first argument"
    );
    assert_eq!(a.queue_code.as_deref(), Some("BS-MAIN"));
    assert_eq!(a.agent_interface.as_deref(), Some("SIP/8001-00000002"));
    assert_eq!(
        a.agent_code.as_deref(),
        Some("BS001"),
        "channel suffix dropped"
    );
    assert_eq!(a.called_number.as_deref(), Some("12345"));
    assert_eq!(a.source_call_id, "");
    assert!(a.dedup_key.starts_with("asterisk_cdr:line:"));
    assert_eq!(a.disposition.as_deref(), Some("ANSWERED"));

    let b = by_caller(&report, "13976500001");
    assert_eq!(b.outcome, CallOutcome::Abandoned);
    assert_eq!(
        (b.wait_seconds, b.talk_seconds, b.answered_at),
        (40, 0, None)
    );
    assert_eq!(b.dedup_key, "asterisk_cdr:1790813100.3");
    assert_eq!(b.agent_code, None);

    let c = by_caller(&report, "13976500002");
    assert_eq!(c.outcome, CallOutcome::Answered);
    assert_eq!(
        (c.arrived_at, c.answered_at, c.ended_at),
        (at(600), Some(at(621)), at(861))
    );
    assert_eq!((c.wait_seconds, c.talk_seconds), (21, 240));
    assert_eq!(c.agent_code.as_deref(), Some("BS002"));
    let attempts: Vec<_> = c
        .ring_attempts
        .iter()
        .map(|r| (r.agent_code.as_deref(), r.result))
        .collect();
    assert_eq!(
        attempts,
        vec![
            (Some("BS001"), RingResult::NoAnswer),
            (Some("BS002"), RingResult::Answered)
        ]
    );
    assert_eq!((c.first_line_number, c.last_line_number), (3, 4));
    assert_eq!(c.dedup_key, "asterisk_cdr:1790813400.5");

    let d = by_caller(&report, "13976500003");
    assert_eq!(
        (d.outcome, d.wait_seconds),
        (CallOutcome::ShortAbandoned, 3)
    );

    let e = by_caller(&report, "13976500004");
    assert_eq!(e.outcome, CallOutcome::Busy);
    assert_eq!(e.ring_attempts[0].result, RingResult::Busy);
    assert_eq!(
        e.queue_name.as_deref(),
        Some("12345"),
        "not a Queue(): the dst"
    );

    let f = by_caller(&report, "13976500005");
    assert_eq!(
        (f.outcome, f.disposition.as_deref()),
        (CallOutcome::Failed, Some("CONGESTION"))
    );

    let g = by_caller(&report, "13976500006");
    assert_eq!(g.outcome, CallOutcome::Answered);
    assert_eq!(g.linked_id.as_deref(), Some("1790814200.12"));
    assert_eq!(
        g.agent_code.as_deref(),
        Some("BS003"),
        "Local channel ;1 and suffix dropped"
    );
    assert_eq!((g.wait_seconds, g.talk_seconds), (5, 120));

    let h = by_caller(&report, "13976500007");
    assert_eq!(
        h.source_call_id, "",
        "the 17th column is a userfield, not a uniqueid"
    );
    assert!(h.dedup_key.starts_with("asterisk_cdr:line:"));

    let i = by_caller(&report, "13976500008");
    assert_eq!((i.outcome, i.wait_seconds), (CallOutcome::Abandoned, 50));

    let s = &report.summary;
    assert_eq!((s.lines_read, s.lines_accepted, s.calls), (10, 10, 9));
    assert!(!s.has_problems());
}

#[test]
fn importing_twice_gives_the_same_records() {
    let lines = [
        ANSWERED_16,
        ABANDONED_17,
        RANG_18,
        ANSWERED_18,
        USERFIELD_17,
    ];
    assert_eq!(run(&lines, options()), run(&lines, options()));
    let report = run(&lines, options());
    let mut keys: Vec<_> = report.calls().iter().map(|c| c.dedup_key.clone()).collect();
    keys.sort();
    keys.dedup();
    assert_eq!(keys.len(), 4);
}

#[test]
fn gmt_times_when_cdr_conf_says_usegmtime() {
    let options = ImportOptions {
        cdr_times_in_utc: true,
        ..options()
    };
    let report = run(&[ANSWERED_16], options);
    assert_eq!(report.calls()[0].arrived_at, at(8 * 3600));
}

#[test]
fn a_header_row_is_ignored() {
    let header = "accountcode,src,dst,dcontext,clid,channel,dstchannel,lastapp,lastdata,start,answer,end,duration,billsec,disposition,amaflags";
    let report = run(&[header, ANSWERED_16], options());
    assert!(report.errors().is_empty());
    assert_eq!(report.summary.lines_ignored, 1);
    assert_eq!(report.calls().len(), 1);
}

#[test]
fn malformed_records_are_reported_with_the_reason() {
    let row = |start: &str, answer: &str, end: &str, duration: &str, disposition: &str| {
        format!(
            r#""","13800138000","12345","from-pstn","","SIP/trunk-00000001","SIP/8001-00000002","Queue","12345-baisha","{start}","{answer}","{end}",{duration},90,"{disposition}","DOCUMENTATION""#
        )
    };
    let ok = (
        "2026-10-01 08:00:00",
        "2026-10-01 08:00:12",
        "2026-10-01 08:01:42",
    );
    let cases: Vec<(String, LineErrorReason)> = vec![
        (
            r#""","13800138000","12345","from-pstn","","SIP/trunk-1","SIP/8001-2","Queue","q","2026-10-01 08:00:00","","2026-10-01 08:00:10",10,0"#.to_owned(),
            LineErrorReason::WrongColumnCount { found: 14, expected: "16 to 19".to_owned() },
        ),
        (
            row("2026-13-01 08:00:00", ok.1, ok.2, "102", "ANSWERED"),
            LineErrorReason::BadTimestamp { field: "start".to_owned(), value: "2026-13-01 08:00:00".to_owned() },
        ),
        (
            row(ok.0, "yesterday", ok.2, "102", "ANSWERED"),
            LineErrorReason::BadTimestamp { field: "answer".to_owned(), value: "yesterday".to_owned() },
        ),
        (
            row(ok.0, "2026-10-01 07:59:00", ok.2, "102", "ANSWERED"),
            LineErrorReason::AnswerBeforeStart {
                start: "2026-10-01 08:00:00".to_owned(),
                answer: "2026-10-01 07:59:00".to_owned(),
            },
        ),
        (
            row(ok.0, "", "2026-10-01 07:00:00", "102", "NO ANSWER"),
            LineErrorReason::EndBeforeStart {
                start: "2026-10-01 08:00:00".to_owned(),
                end: "2026-10-01 07:00:00".to_owned(),
            },
        ),
        (
            row(ok.0, ok.1, "2026-10-01 08:00:05", "102", "ANSWERED"),
            LineErrorReason::EndBeforeAnswer {
                answer: "2026-10-01 08:00:12".to_owned(),
                end: "2026-10-01 08:00:05".to_owned(),
            },
        ),
        (
            row(ok.0, ok.1, ok.2, "1O2", "ANSWERED"),
            LineErrorReason::BadNumber { field: "duration".to_owned(), value: "1O2".to_owned() },
        ),
        (
            row(ok.0, ok.1, ok.2, "102", "MAYBE"),
            LineErrorReason::UnknownDisposition { value: "MAYBE".to_owned() },
        ),
        (
            row(ok.0, "", ok.2, "102", "ANSWERED"),
            LineErrorReason::MissingField { field: "answer (disposition ANSWERED)".to_owned() },
        ),
        (
            row("", "", ok.2, "102", "NO ANSWER"),
            LineErrorReason::MissingField { field: "start".to_owned() },
        ),
        (
            r#""","13800138000","12345","from-pstn","""broken <1>","SIP/trunk-1"#.to_owned(),
            LineErrorReason::UnterminatedQuote,
        ),
    ];
    for (bad, expected) in cases {
        let report = run(&[ABANDONED_17, &bad, ANSWERED_16], options());
        let errors = report.errors();
        assert_eq!(errors.len(), 1, "{bad}: {errors:?}");
        assert_eq!(errors[0].line_number, 2);
        assert_eq!(errors[0].reason, expected, "{bad}");
        assert_eq!(report.calls().len(), 2, "the rest imports after {bad}");
        assert_eq!(
            report
                .summary
                .skipped_by_reason
                .get(&expected.skip_reason()),
            Some(&1)
        );
    }
}

#[test]
fn unmapped_queue_rejects_the_call_with_its_line() {
    let unmapped = ANSWERED_16.replace("12345-baisha,t,,,300", "other-queue");
    let report = run(&[&unmapped], options());
    assert!(report.calls().is_empty());
    assert_eq!(report.errors()[0].line_number, 1);
    assert_eq!(
        report.errors()[0].reason,
        LineErrorReason::UnmappedQueue {
            name: "other-queue".to_owned()
        }
    );
    assert_eq!(report.summary.calls_skipped, 1);
    assert_eq!(
        report
            .summary
            .skipped_by_reason
            .get(&SkipReason::UnmappedQueue),
        Some(&1)
    );
}
