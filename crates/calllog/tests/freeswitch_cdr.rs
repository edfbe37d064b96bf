//! FreeSWITCH mod_cdr_csv, default `example` template: 15 quoted fields. Figures by hand.

mod common;

use common::{at, options};
use rexian_calllog::{
    CallOutcome, HangupSide, ImportReport, ImportedCall, LineErrorReason, SourceKind, import_str,
};

fn run(lines: &[&str]) -> ImportReport {
    import_str(SourceKind::FreeswitchCdr, &lines.join("\n"), options())
}

const ANSWERED: &str = r#""张三","13800138000","12345","default","2026-10-01 08:00:00","2026-10-01 08:00:12","2026-10-01 08:01:42","102","90","NORMAL_CLEARING","a1b2c3d4-0000-4000-8000-000000000001","b1b2c3d4-0000-4000-8000-000000000001","","PCMA","PCMA""#;
const CANCELLED: &str = r#""","13976500001","12345","default","2026-10-01 08:05:00","","2026-10-01 08:05:25","25","0","ORIGINATOR_CANCEL","a1b2c3d4-0000-4000-8000-000000000002","","","PCMA","PCMA""#;
const CANCELLED_SHORT: &str = r#""","13976500002","12345","default","2026-10-01 08:06:00","","2026-10-01 08:06:03","3","0","ORIGINATOR_CANCEL","a1b2c3d4-0000-4000-8000-000000000003","","","PCMA","PCMA""#;
const NO_ANSWER: &str = r#""","13976500003","12345","default","2026-10-01 08:07:00","","2026-10-01 08:08:00","60","0","NO_ANSWER","a1b2c3d4-0000-4000-8000-000000000004","","","PCMA","PCMA""#;
const BUSY: &str = r#""","13976500004","12345","default","2026-10-01 08:09:00","","2026-10-01 08:09:01","1","0","USER_BUSY","a1b2c3d4-0000-4000-8000-000000000005","","","PCMA","PCMA""#;
// The switch answered (queue music) but no agent was bridged before the caller left.
const IVR_ONLY: &str = r#""","13976500005","12345","default","2026-10-01 08:10:00","2026-10-01 08:10:01","2026-10-01 08:10:45","45","44","NORMAL_CLEARING","a1b2c3d4-0000-4000-8000-000000000006","","","PCMA","PCMA""#;
// Dialled an agent's extension directly.
const DIRECT: &str = r#""王五","13976500006","1010","default","2026-10-01 08:20:00","2026-10-01 08:20:04","2026-10-01 08:22:04","124","120","NORMAL_CLEARING","a1b2c3d4-0000-4000-8000-000000000007","b1b2c3d4-0000-4000-8000-000000000007","","PCMU","PCMU""#;
const REJECTED: &str = r#""","13976500007","12345","default","2026-10-01 08:30:00","","2026-10-01 08:30:00","0","0","CALL_REJECTED","","","","","""#;

fn by_caller<'a>(report: &'a ImportReport, caller: &str) -> &'a ImportedCall {
    report
        .calls()
        .into_iter()
        .find(|c| c.caller_number.as_deref() == Some(caller))
        .unwrap_or_else(|| panic!("no call from {caller}: {:#?}", report.items))
}

#[test]
fn default_template_records_with_hand_checked_figures() {
    let report = run(&[
        ANSWERED,
        CANCELLED,
        CANCELLED_SHORT,
        NO_ANSWER,
        BUSY,
        IVR_ONLY,
        DIRECT,
        REJECTED,
    ]);
    assert!(report.errors().is_empty(), "{:#?}", report.errors());
    assert_eq!(report.calls().len(), 8);

    let a = by_caller(&report, "13800138000");
    assert_eq!(a.outcome, CallOutcome::Answered);
    assert_eq!(
        (a.arrived_at, a.answered_at, a.ended_at),
        (at(0), Some(at(12)), at(102))
    );
    assert_eq!((a.wait_seconds, a.talk_seconds), (12, 90));
    assert_eq!(a.queue_code.as_deref(), Some("BS-MAIN"));
    assert_eq!(
        a.dedup_key,
        "freeswitch_cdr:a1b2c3d4-0000-4000-8000-000000000001"
    );
    assert_eq!(
        a.linked_id.as_deref(),
        Some("b1b2c3d4-0000-4000-8000-000000000001")
    );
    assert_eq!(a.disposition.as_deref(), Some("NORMAL_CLEARING"));

    let b = by_caller(&report, "13976500001");
    assert_eq!(
        (b.outcome, b.wait_seconds, b.hangup_side),
        (CallOutcome::Abandoned, 25, Some(HangupSide::Caller))
    );
    let c = by_caller(&report, "13976500002");
    assert_eq!(
        (c.outcome, c.wait_seconds),
        (CallOutcome::ShortAbandoned, 3)
    );
    let d = by_caller(&report, "13976500003");
    assert_eq!(
        (d.outcome, d.hangup_side),
        (CallOutcome::NotAnswered, Some(HangupSide::System))
    );
    let e = by_caller(&report, "13976500004");
    assert_eq!(e.outcome, CallOutcome::Busy);
    let f = by_caller(&report, "13976500005");
    assert_eq!(
        (f.outcome, f.wait_seconds, f.talk_seconds),
        (CallOutcome::Abandoned, 45, 0)
    );

    let g = by_caller(&report, "13976500006");
    assert_eq!(g.outcome, CallOutcome::Answered);
    assert_eq!(
        (g.queue_code.as_deref(), g.agent_code.as_deref()),
        (None, Some("BS010"))
    );
    assert_eq!((g.wait_seconds, g.talk_seconds), (4, 120));

    let h = by_caller(&report, "13976500007");
    assert_eq!(h.outcome, CallOutcome::Failed);
    assert!(
        h.dedup_key.starts_with("freeswitch_cdr:line:"),
        "no uuid: a hash of the line"
    );
}

#[test]
fn importing_twice_gives_the_same_records() {
    let lines = [ANSWERED, CANCELLED, REJECTED];
    assert_eq!(run(&lines), run(&lines));
}

#[test]
fn malformed_records_are_reported_and_the_rest_imports() {
    let cases = [
        (
            r#""","13976500001","12345","default","2026-10-01 08:05:00","","2026-10-01 08:05:25","25","0","ORIGINATOR_CANCEL","a1""#,
            LineErrorReason::WrongColumnCount {
                found: 11,
                expected: "15".to_owned(),
            },
        ),
        (
            r#""","13976500001","12345","default","2026-10-01 08:05:00","","2026-10-01 08:05:25","25","0","","a1","","","PCMA","PCMA""#,
            LineErrorReason::MissingField {
                field: "hangup_cause".to_owned(),
            },
        ),
        (
            r#""","13976500001","12345","default","2026-10-01 08:05:00","","2026-10-01 08:05:25","25","zero","ORIGINATOR_CANCEL","a1","","","PCMA","PCMA""#,
            LineErrorReason::BadNumber {
                field: "billsec".to_owned(),
                value: "zero".to_owned(),
            },
        ),
        (
            r#""","13976500001","12345","default","2026-10-01 08:05:00","2026-10-01 08:04:00","2026-10-01 08:05:25","25","0","NORMAL_CLEARING","a1","","","PCMA","PCMA""#,
            LineErrorReason::AnswerBeforeStart {
                start: "2026-10-01 08:05:00".to_owned(),
                answer: "2026-10-01 08:04:00".to_owned(),
            },
        ),
        (
            r#""","13976500001","12345","default","1696140000","","2026-10-01 08:05:25","25","0","NORMAL_CLEARING","a1","","","PCMA","PCMA""#,
            LineErrorReason::BadTimestamp {
                field: "start_stamp".to_owned(),
                value: "1696140000".to_owned(),
            },
        ),
    ];
    for (bad, expected) in cases {
        let report = run(&[ANSWERED, bad, DIRECT]);
        assert_eq!(report.errors().len(), 1, "{bad}");
        assert_eq!(report.errors()[0].line_number, 2);
        assert_eq!(report.errors()[0].reason, expected);
        assert_eq!(report.calls().len(), 2);
    }
}
