//! Asterisk queue_log: hand-written lines in app_queue's exact formats, figures checked by hand.

mod common;

use common::{T0, at, options, ql};
use rexian_calllog::{
    AgentEventKind, CallOutcome, HangupSide, ImportItem, ImportOptions, ImportReport, ImportedCall,
    Importer, IncompleteReason, LineErrorReason, RingResult, SkipReason, SourceKind,
    UnmappedPolicy, import_reader, import_str,
};

fn run(lines: &[String], options: ImportOptions) -> ImportReport {
    import_str(SourceKind::AsteriskQueueLog, &lines.join("\n"), options)
}

fn call<'a>(report: &'a ImportReport, callid: &str) -> &'a ImportedCall {
    report
        .calls()
        .into_iter()
        .find(|c| c.source_call_id == callid)
        .unwrap_or_else(|| panic!("no call {callid} in {:#?}", report.items))
}

/// A morning in Baisha: nine calls with every ending, agent lines and system lines.
fn morning() -> Vec<String> {
    vec![
        format!("\u{feff}{}", ql(-120, "NONE|NONE|NONE|QUEUESTART|")),
        ql(-60, "NONE|12345-baisha|PJSIP/8001|ADDMEMBER|"),
        // A: answered at once, caller hangs up. DID first, as the dialplan logs it.
        ql(0, "1790812800.1|12345-baisha|NONE|DID|12345"),
        ql(
            0,
            "1790812800.1|12345-baisha|NONE|ENTERQUEUE||13800138000|1",
        ),
        ql(
            12,
            "1790812800.1|12345-baisha|PJSIP/8001|CONNECT|12|1790812812.2|3",
        ),
        // B: first agent does not answer (15 000 ms), the next one does; agent hangs up.
        ql(
            20,
            "1790812820.3|12345-baisha|NONE|ENTERQUEUE||13976500001|1",
        ),
        // C: abandoned after 31 s from position 2.
        ql(
            30,
            "1790812830.5|12345-baisha|NONE|ENTERQUEUE||13976500002|2",
        ),
        ql(
            35,
            "1790812820.3|12345-baisha|PJSIP/8001|RINGNOANSWER|15000",
        ),
        // D: short abandon, 3 s.
        ql(
            40,
            "1790812840.6|12345-baisha|NONE|ENTERQUEUE||13976500003|3",
        ),
        ql(
            41,
            "1790812820.3|12345-baisha|PJSIP/8002|CONNECT|21|1790812835.4|6",
        ),
        ql(43, "1790812840.6|12345-baisha|NONE|ABANDON|2|3|3"),
        // E: rings once, then the queue's timeout sends it back to the province (溢出).
        ql(
            50,
            "1790812850.7|12345-baisha|NONE|ENTERQUEUE||13976500004|1",
        ),
        ql(
            60,
            "1790812860.8|12345-baisha|NONE|ENTERQUEUE||13976500005|2",
        ),
        ql(61, "1790812830.5|12345-baisha|NONE|ABANDON|1|2|31"),
        ql(
            65,
            "1790812850.7|12345-baisha|Local/8003@agents/n|RINGNOANSWER|15000",
        ),
        // F: answered by the Local member, then transferred to a department hotline.
        ql(
            70,
            "1790812860.8|12345-baisha|Local/8003@agents/n|CONNECT|10|1790812865.9|2",
        ),
        ql(
            102,
            "1790812800.1|12345-baisha|PJSIP/8001|COMPLETECALLER|12|90|1",
        ),
        ql(110, "1790812850.7|12345-baisha|NONE|EXITWITHTIMEOUT|1|1|60"),
        ql(
            131,
            "1790812860.8|12345-baisha|Local/8003@agents/n|TRANSFER|8800|from-internal|10|61|1",
        ),
        ql(150, "NONE|12345-baisha|PJSIP/8002|PAUSE|午餐"),
        // G: nobody logged in: leaves at once (leavewhenempty).
        ql(
            200,
            "1790813000.10|12345-baisha|NONE|ENTERQUEUE||13976500006|1",
        ),
        ql(200, "1790813000.10|12345-baisha|NONE|EXITEMPTY|1|1|0"),
        // H: presses 0 after 15 s to leave a message.
        ql(
            210,
            "1790813010.11|12345-baisha|NONE|ENTERQUEUE||13976500007|1",
        ),
        ql(225, "1790813010.11|12345-baisha|NONE|EXITWITHKEY|0|1|1|15"),
        ql(
            281,
            "1790812820.3|12345-baisha|PJSIP/8002|COMPLETEAGENT|21|240|1",
        ),
        ql(290, "NONE|NONE|NONE|CONFIGRELOAD|"),
        // I: attended transfer (Asterisk 12+ format: method|target|hold|talk|position).
        ql(
            300,
            "1790813100.12|12345-baisha|NONE|ENTERQUEUE||anonymous|1",
        ),
        ql(
            304,
            "1790813100.12|12345-baisha|PJSIP/8001|CONNECT|4|1790813101.13|1",
        ),
        ql(350, "1790813100.12|12345-baisha|NONE|INFO|CALLERONHOLD"),
        ql(
            424,
            "1790813100.12|12345-baisha|PJSIP/8001|ATTENDEDTRANSFER|BRIDGE|a3f9c2e0-1b2c-4d5e-8f90-123456789abc|4|120|1",
        ),
        ql(1950, "NONE|12345-baisha|PJSIP/8002|UNPAUSE|"),
        ql(2000, "NONE|NONE|PJSIP/8001|PAUSEALL|培训"),
        ql(
            3000,
            "1790809400.55|NONE|Agent/8004|AGENTLOGOFF|PJSIP/8004-0000000a|3600",
        ),
    ]
}

#[test]
fn a_morning_of_calls_assembles_with_hand_checked_figures() {
    let report = run(&morning(), options());
    assert!(report.errors().is_empty(), "{:#?}", report.errors());
    assert!(report.incomplete().is_empty());
    assert_eq!(report.calls().len(), 9);

    let a = call(&report, "1790812800.1");
    assert_eq!(a.outcome, CallOutcome::Answered);
    assert_eq!(a.hangup_side, Some(HangupSide::Caller));
    assert_eq!(a.caller_number.as_deref(), Some("13800138000"));
    assert_eq!(a.called_number.as_deref(), Some("12345"));
    assert_eq!(a.queue_code.as_deref(), Some("BS-MAIN"));
    assert_eq!(a.agent_interface.as_deref(), Some("PJSIP/8001"));
    assert_eq!(a.agent_code.as_deref(), Some("BS001"));
    assert_eq!(
        (a.arrived_at, a.answered_at, a.ended_at),
        (at(0), Some(at(12)), at(102))
    );
    assert_eq!((a.wait_seconds, a.talk_seconds), (12, 90));
    assert_eq!(a.linked_id.as_deref(), Some("1790812812.2"));
    assert_eq!(a.ring_attempts.len(), 1);
    assert_eq!(
        a.ring_attempts[0].ring_ms,
        Some(3000),
        "CONNECT ring time is in seconds"
    );
    assert_eq!(a.ring_attempts[0].result, RingResult::Answered);
    assert_eq!((a.first_line_number, a.last_line_number), (3, 17));
    assert!(a.entry_logged);

    let b = call(&report, "1790812820.3");
    assert_eq!(b.outcome, CallOutcome::Answered);
    assert_eq!(b.hangup_side, Some(HangupSide::Agent));
    assert_eq!((b.wait_seconds, b.talk_seconds), (21, 240));
    assert_eq!((b.answered_at, b.ended_at), (Some(at(41)), at(281)));
    assert_eq!(b.agent_code.as_deref(), Some("BS002"));
    let attempts: Vec<_> = b
        .ring_attempts
        .iter()
        .map(|r| (r.agent_code.as_deref(), r.ring_ms, r.result))
        .collect();
    assert_eq!(
        attempts,
        vec![
            (Some("BS001"), Some(15_000), RingResult::NoAnswer),
            (Some("BS002"), Some(6_000), RingResult::Answered),
        ],
        "RINGNOANSWER ring time is in milliseconds"
    );

    let c = call(&report, "1790812830.5");
    assert_eq!(c.outcome, CallOutcome::Abandoned);
    assert_eq!((c.wait_seconds, c.talk_seconds), (31, 0));
    assert_eq!(c.original_position, Some(2));
    assert_eq!((c.answered_at, c.ended_at), (None, at(61)));
    assert_eq!(c.agent_code, None);

    let d = call(&report, "1790812840.6");
    assert_eq!(d.outcome, CallOutcome::ShortAbandoned);
    assert_eq!(d.wait_seconds, 3);
    assert_eq!(d.original_position, Some(3));

    let e = call(&report, "1790812850.7");
    assert_eq!(e.outcome, CallOutcome::Overflowed);
    assert_eq!(e.hangup_side, Some(HangupSide::System));
    assert_eq!(e.wait_seconds, 60);
    assert_eq!(e.ring_attempts.len(), 1);
    assert_eq!(e.ring_attempts[0].agent_interface, "Local/8003@agents/n");
    assert_eq!(e.ring_attempts[0].agent_code.as_deref(), Some("BS003"));

    let f = call(&report, "1790812860.8");
    assert_eq!(f.outcome, CallOutcome::Transferred);
    assert!(f.outcome.is_answered());
    assert_eq!((f.wait_seconds, f.talk_seconds), (10, 61));
    assert_eq!(f.transfer_target.as_deref(), Some("8800@from-internal"));
    assert_eq!(f.agent_code.as_deref(), Some("BS003"));
    assert_eq!(f.hangup_side, None);

    let g = call(&report, "1790813000.10");
    assert_eq!(g.outcome, CallOutcome::ExitEmpty);
    assert_eq!(g.wait_seconds, 0);

    let h = call(&report, "1790813010.11");
    assert_eq!(h.outcome, CallOutcome::ExitWithKey);
    assert_eq!(h.exit_key.as_deref(), Some("0"));
    assert_eq!(h.wait_seconds, 15);

    let i = call(&report, "1790813100.12");
    assert_eq!(i.outcome, CallOutcome::Transferred);
    assert_eq!(i.caller_number, None, "anonymous is no number");
    assert_eq!((i.wait_seconds, i.talk_seconds), (4, 120));
    assert_eq!(
        i.transfer_target.as_deref(),
        Some("BRIDGE|a3f9c2e0-1b2c-4d5e-8f90-123456789abc")
    );

    let answered = report
        .calls()
        .iter()
        .filter(|c| c.outcome.is_answered())
        .count();
    assert_eq!(answered, 4);
}

#[test]
fn agent_lines_become_agent_state_records() {
    let report = run(&morning(), options());
    let events: Vec<_> = report
        .agent_events()
        .into_iter()
        .map(|e| {
            (
                e.at,
                e.agent_code.as_str(),
                e.kind,
                e.queue_code.as_deref(),
                e.all_queues,
                e.reason.as_deref(),
                e.reason_code.as_deref(),
                e.session_seconds,
            )
        })
        .collect();
    assert_eq!(
        events,
        vec![
            (
                at(-60),
                "BS001",
                AgentEventKind::MemberAdded,
                Some("BS-MAIN"),
                false,
                None,
                None,
                None
            ),
            (
                at(150),
                "BS002",
                AgentEventKind::Paused,
                Some("BS-MAIN"),
                false,
                Some("午餐"),
                Some("meal"),
                None
            ),
            (
                at(1950),
                "BS002",
                AgentEventKind::Unpaused,
                Some("BS-MAIN"),
                false,
                None,
                None,
                None
            ),
            (
                at(2000),
                "BS001",
                AgentEventKind::Paused,
                None,
                true,
                Some("培训"),
                None,
                None
            ),
            (
                at(3000),
                "BS004",
                AgentEventKind::LoggedOut,
                None,
                false,
                None,
                None,
                Some(3600)
            ),
        ]
    );
}

#[test]
fn summary_counts_every_line_once() {
    let lines = morning();
    let report = run(&lines, options());
    let s = &report.summary;
    assert_eq!(s.lines_read, lines.len() as u64);
    // QUEUESTART, CONFIGRELOAD and INFO carry nothing to import.
    assert_eq!(s.lines_ignored, 3);
    assert_eq!(s.lines_skipped, 0);
    assert_eq!(s.lines_accepted, lines.len() as u64 - 3);
    assert_eq!((s.calls, s.agent_events, s.incomplete_calls), (9, 5, 0));
    assert!(!s.has_problems());
}

#[test]
fn importing_twice_gives_the_same_keys_and_keys_are_unique() {
    let first = run(&morning(), options());
    let second = run(&morning(), options());
    assert_eq!(first, second);
    let mut keys: Vec<&str> = first.calls().iter().map(|c| c.dedup_key.as_str()).collect();
    keys.extend(first.agent_events().iter().map(|e| e.dedup_key.as_str()));
    let count = keys.len();
    keys.sort_unstable();
    keys.dedup();
    assert_eq!(keys.len(), count);
    assert_eq!(
        call(&first, "1790812800.1").dedup_key,
        format!("asterisk_queue_log:1790812800.1:12345-baisha:{T0}")
    );
}

#[test]
fn source_instance_goes_into_the_key() {
    let options = ImportOptions {
        source_instance: Some("pbx2".to_owned()),
        ..options()
    };
    let report = run(&morning(), options);
    assert_eq!(
        call(&report, "1790812800.1").dedup_key,
        format!("asterisk_queue_log:pbx2:1790812800.1:12345-baisha:{T0}")
    );
}

#[test]
fn data1_to_data5_padding_reads_like_the_pipe_tail() {
    let plain = [
        ql(0, "7.1|12345-baisha|NONE|ENTERQUEUE||13800138000|1"),
        ql(12, "7.1|12345-baisha|PJSIP/8001|CONNECT|12|8.2|3"),
        ql(102, "7.1|12345-baisha|PJSIP/8001|COMPLETECALLER|12|90|1"),
    ];
    let padded = [
        ql(0, "7.1|12345-baisha|NONE|ENTERQUEUE||13800138000|1||"),
        ql(12, "7.1|12345-baisha|PJSIP/8001|CONNECT|12|8.2|3||"),
        ql(102, "7.1|12345-baisha|PJSIP/8001|COMPLETECALLER|12|90|1||"),
    ];
    let a = run(&plain, options());
    let b = run(&padded, options());
    assert_eq!(a.calls(), b.calls());
    assert_eq!(a.calls().len(), 1);
}

#[test]
fn realtime_exports_with_date_times_and_a_header_are_read() {
    let lines = [
        "time|callid|queuename|agent|event|data1|data2|data3|data4|data5".to_owned(),
        "2026-10-01 08:00:00.123456|7.1|12345-baisha|NONE|ENTERQUEUE||13800138000|1||".to_owned(),
        "2026-10-01 08:00:12|7.1|12345-baisha|PJSIP/8001|CONNECT|12|8.2|3||".to_owned(),
        "2026-10-01 08:01:42|7.1|12345-baisha|PJSIP/8001|COMPLETECALLER|12|90|1||".to_owned(),
    ];
    let report = run(&lines, options());
    assert!(report.errors().is_empty(), "{:#?}", report.errors());
    let c = report.calls()[0];
    assert_eq!((c.arrived_at, c.ended_at), (at(0), at(102)));
    assert_eq!(report.summary.lines_ignored, 1);
}

#[test]
fn older_formats_without_the_newer_fields() {
    // 1.4/1.6: CONNECT without ring time, EXITWITHTIMEOUT with the position only,
    // EXITWITHKEY with key and position, TRANSFER without original position, ENTERQUEUE
    // without position.
    let lines = [
        ql(0, "1.1|q1|NONE|ENTERQUEUE||13800138000"),
        ql(9, "1.1|q1|SIP/8001|CONNECT|9|1.2"),
        ql(70, "1.1|q1|SIP/8001|TRANSFER|8800|from-internal|9|61"),
        ql(100, "2.1|q1|NONE|ENTERQUEUE||13800138001"),
        ql(400, "2.1|q1|NONE|EXITWITHTIMEOUT|4"),
        ql(500, "3.1|q1|NONE|ENTERQUEUE||13800138002"),
        ql(508, "3.1|q1|NONE|EXITWITHKEY|5|1"),
    ];
    let options = ImportOptions {
        unmapped: UnmappedPolicy::KeepRaw,
        ..options()
    };
    let report = run(&lines, options);
    assert!(report.errors().is_empty(), "{:#?}", report.errors());
    let t = call(&report, "1.1");
    assert_eq!(
        (t.outcome, t.wait_seconds, t.talk_seconds),
        (CallOutcome::Transferred, 9, 61)
    );
    assert_eq!(t.ring_attempts[0].ring_ms, None);
    assert_eq!(t.original_position, None);
    let o = call(&report, "2.1");
    assert_eq!(
        (o.outcome, o.wait_seconds),
        (CallOutcome::Overflowed, 300),
        "wait from the timestamps"
    );
    let k = call(&report, "3.1");
    assert_eq!(
        (k.outcome, k.wait_seconds, k.exit_key.as_deref()),
        (CallOutcome::ExitWithKey, 8, Some("5"))
    );
}

#[test]
fn short_abandon_threshold_is_strictly_under_and_configurable() {
    let lines = |wait: i64| {
        vec![
            ql(0, "9.1|12345-baisha|NONE|ENTERQUEUE||13800138000|1"),
            ql(wait, &format!("9.1|12345-baisha|NONE|ABANDON|1|1|{wait}")),
        ]
    };
    let outcome = |wait: i64, threshold: u32| {
        let options = ImportOptions {
            short_abandon_seconds: threshold,
            ..options()
        };
        run(&lines(wait), options).calls()[0].outcome
    };
    assert_eq!(outcome(4, 5), CallOutcome::ShortAbandoned);
    assert_eq!(outcome(5, 5), CallOutcome::Abandoned);
    assert_eq!(outcome(0, 5), CallOutcome::ShortAbandoned);
    assert_eq!(outcome(4, 3), CallOutcome::Abandoned);
    assert_eq!(outcome(9, 10), CallOutcome::ShortAbandoned);
}

#[test]
fn a_log_that_begins_mid_call_derives_the_arrival() {
    // The ENTERQUEUE (at T0) was in the previous, rotated file.
    let lines = [
        ql(12, "5.1|12345-baisha|PJSIP/8001|CONNECT|12|5.2|3"),
        ql(102, "5.1|12345-baisha|PJSIP/8001|COMPLETECALLER|12|90|1"),
        ql(40, "6.1|12345-baisha|NONE|ABANDON|1|1|40"),
        ql(160, "7.1|12345-baisha|PJSIP/8002|COMPLETEAGENT|10|50|1"),
    ];
    let report = run(&lines, options());
    assert!(report.errors().is_empty(), "{:#?}", report.errors());
    let a = call(&report, "5.1");
    assert!(!a.entry_logged);
    assert_eq!(
        (a.arrived_at, a.answered_at, a.wait_seconds, a.talk_seconds),
        (at(0), Some(at(12)), 12, 90)
    );
    let b = call(&report, "6.1");
    assert_eq!((b.arrived_at, b.outcome), (at(0), CallOutcome::Abandoned));
    // No CONNECT either: answered at end - talk, arrived at that - hold.
    let c = call(&report, "7.1");
    assert_eq!(
        (c.arrived_at, c.answered_at, c.agent_code.as_deref()),
        (at(100), Some(at(110)), Some("BS002"))
    );
}

#[test]
fn calls_still_open_at_the_end_are_reported_incomplete() {
    let lines = [
        ql(0, "1.1|12345-baisha|NONE|ENTERQUEUE||13800138000|1"),
        ql(5, "2.1|12345-baisha|NONE|ENTERQUEUE||13800138001|2"),
        ql(12, "1.1|12345-baisha|PJSIP/8001|CONNECT|12|1.2|3"),
    ];
    let report = run(&lines, options());
    assert!(report.calls().is_empty());
    let incomplete = report.incomplete();
    assert_eq!(incomplete.len(), 2);
    assert_eq!(incomplete[0].source_call_id, "1.1");
    assert_eq!(incomplete[0].last_event, "CONNECT");
    assert_eq!(incomplete[0].answered_at, Some(at(12)));
    assert_eq!(incomplete[0].reason, IncompleteReason::EndOfInput);
    assert_eq!(incomplete[1].source_call_id, "2.1");
    assert_eq!(incomplete[1].caller_number.as_deref(), Some("13800138001"));
    assert_eq!(report.summary.incomplete_calls, 2);
    assert!(
        !report.summary.has_problems(),
        "an open tail is normal, not a skipped line"
    );
}

#[test]
fn queuestart_ends_the_calls_the_restart_killed() {
    let lines = [
        ql(0, "1.1|12345-baisha|NONE|ENTERQUEUE||13800138000|1"),
        ql(30, "NONE|NONE|NONE|QUEUESTART|"),
        ql(40, "1.1|12345-baisha|NONE|ENTERQUEUE||13800138000|1"),
        ql(50, "1.1|12345-baisha|NONE|ABANDON|1|1|10"),
    ];
    let report = run(&lines, options());
    assert_eq!(report.incomplete().len(), 1);
    assert_eq!(
        report.incomplete()[0].reason,
        IncompleteReason::QueueRestarted
    );
    assert_eq!(report.calls().len(), 1);
    assert_eq!(report.calls()[0].arrived_at, at(40));
}

#[test]
fn the_same_caller_can_go_through_two_queues() {
    // Timed out of queue A, the dialplan sends the same channel into queue B.
    let options = ImportOptions {
        unmapped: UnmappedPolicy::KeepRaw,
        ..options()
    };
    let lines = [
        ql(0, "1.1|a|NONE|ENTERQUEUE||13800138000|1"),
        ql(60, "1.1|a|NONE|EXITWITHTIMEOUT|1|1|60"),
        ql(61, "1.1|b|NONE|ENTERQUEUE||13800138000|1"),
        ql(70, "1.1|b|SIP/8001|CONNECT|9|1.2|2"),
        ql(100, "1.1|b|SIP/8001|COMPLETECALLER|9|30|1"),
    ];
    let report = run(&lines, options);
    let calls = report.calls();
    assert_eq!(calls.len(), 2);
    assert_eq!(
        (calls[0].queue_name.as_deref(), calls[0].outcome),
        (Some("a"), CallOutcome::Overflowed)
    );
    assert_eq!(
        (calls[1].queue_name.as_deref(), calls[1].outcome),
        (Some("b"), CallOutcome::Answered)
    );
    assert_ne!(calls[0].dedup_key, calls[1].dedup_key);
}

#[test]
fn a_late_line_for_a_call_just_ended_is_ignored_not_a_new_call() {
    let lines = [
        ql(0, "1.1|12345-baisha|NONE|ENTERQUEUE||13800138000|1"),
        ql(5, "1.1|12345-baisha|PJSIP/8001|CONNECT|5|1.2|2"),
        ql(
            65,
            "1.1|12345-baisha|PJSIP/8001|TRANSFER|8800|from-internal|5|60|1",
        ),
        ql(66, "1.1|12345-baisha|PJSIP/8001|COMPLETECALLER|5|61|1"),
    ];
    let report = run(&lines, options());
    assert_eq!(report.calls().len(), 1);
    assert_eq!(report.calls()[0].outcome, CallOutcome::Transferred);
    assert!(report.incomplete().is_empty());
    assert_eq!(report.summary.lines_ignored, 1);
}

#[test]
fn unmapped_names_are_errors_or_kept_raw() {
    let lines = [
        ql(0, "1.1|hotline-x|NONE|ENTERQUEUE||13800138000|1"),
        ql(10, "1.1|hotline-x|PJSIP/8001|CONNECT|10|1.2|2"),
        ql(70, "1.1|hotline-x|PJSIP/8001|COMPLETECALLER|10|60|1"),
        ql(80, "2.1|12345-baisha|NONE|ENTERQUEUE||13800138001|1"),
        ql(90, "2.1|12345-baisha|PJSIP/9999|CONNECT|10|2.2|2"),
        ql(150, "2.1|12345-baisha|PJSIP/9999|COMPLETEAGENT|10|60|1"),
        ql(160, "NONE|12345-baisha|PJSIP/9999|PAUSE|"),
    ];
    let strict = run(&lines, options());
    assert!(strict.calls().is_empty());
    let reasons: Vec<_> = strict
        .errors()
        .iter()
        .map(|e| (e.line_number, e.reason.clone()))
        .collect();
    assert_eq!(
        reasons,
        vec![
            (
                3,
                LineErrorReason::UnmappedQueue {
                    name: "hotline-x".to_owned()
                }
            ),
            (
                6,
                LineErrorReason::UnmappedAgent {
                    name: "PJSIP/9999".to_owned()
                }
            ),
            (
                7,
                LineErrorReason::UnmappedAgent {
                    name: "PJSIP/9999".to_owned()
                }
            ),
        ]
    );
    let s = &strict.summary;
    assert_eq!((s.calls_skipped, s.lines_skipped), (2, 1));
    assert_eq!(
        s.skipped_by_reason.get(&SkipReason::UnmappedAgent),
        Some(&2)
    );
    assert!(s.unmapped_queues.contains("hotline-x"));
    assert!(s.unmapped_agents.contains("PJSIP/9999"));

    let lenient = run(
        &lines,
        ImportOptions {
            unmapped: UnmappedPolicy::KeepRaw,
            ..options()
        },
    );
    assert!(lenient.errors().is_empty());
    assert_eq!(lenient.calls()[0].queue_code.as_deref(), Some("hotline-x"));
    assert_eq!(lenient.calls()[1].agent_code.as_deref(), Some("PJSIP/9999"));
    assert_eq!(lenient.agent_events()[0].agent_code, "PJSIP/9999");
    assert!(lenient.summary.unmapped_agents.contains("PJSIP/9999"));
}

#[test]
fn an_unmapped_agent_who_only_rang_does_not_reject_the_call() {
    let lines = [
        ql(0, "1.1|12345-baisha|NONE|ENTERQUEUE||13800138000|1"),
        ql(15, "1.1|12345-baisha|PJSIP/9999|RINGNOANSWER|15000"),
        ql(20, "1.1|12345-baisha|PJSIP/8001|CONNECT|20|1.2|5"),
        ql(80, "1.1|12345-baisha|PJSIP/8001|COMPLETECALLER|20|60|1"),
    ];
    let report = run(&lines, options());
    let c = report.calls()[0];
    assert_eq!(c.ring_attempts[0].agent_code, None);
    assert_eq!(c.agent_code.as_deref(), Some("BS001"));
    assert!(report.summary.unmapped_agents.contains("PJSIP/9999"));
}

#[test]
fn malformed_lines_are_reported_with_the_reason_and_the_rest_is_imported() {
    let long = format!("{}|1.1|q|NONE|INFO|{}", T0, "x".repeat(70_000));
    let cases: Vec<(String, LineErrorReason)> = vec![
        (
            ql(0, "1.1|12345-baisha"),
            LineErrorReason::WrongColumnCount {
                found: 3,
                expected: "at least 5: epoch|callid|queue|agent|event".to_owned(),
            },
        ),
        (
            "abc|1.1|12345-baisha|NONE|ENTERQUEUE||13800138000|1".to_owned(),
            LineErrorReason::BadEpoch {
                value: "abc".to_owned(),
            },
        ),
        (
            "-5|1.1|12345-baisha|NONE|ENTERQUEUE||13800138000|1".to_owned(),
            LineErrorReason::BadEpoch {
                value: "-5".to_owned(),
            },
        ),
        (
            ql(0, "1.1|12345-baisha|NONE|WOBBLE|1"),
            LineErrorReason::UnknownEvent {
                event: "WOBBLE".to_owned(),
            },
        ),
        (
            ql(0, "1.1|12345-baisha|PJSIP/8001|COMPLETECALLER|12"),
            LineErrorReason::MissingData {
                event: "COMPLETECALLER".to_owned(),
                needed: 2,
                found: 1,
            },
        ),
        (
            ql(0, "1.1|12345-baisha|NONE|ABANDON|1|1"),
            LineErrorReason::MissingData {
                event: "ABANDON".to_owned(),
                needed: 3,
                found: 2,
            },
        ),
        (
            ql(0, "1.1|12345-baisha|PJSIP/8001|CONNECT|twelve|1.2|3"),
            LineErrorReason::BadNumber {
                field: "CONNECT holdtime".to_owned(),
                value: "twelve".to_owned(),
            },
        ),
        (
            ql(0, "1.1|12345-baisha|PJSIP/8001|RINGNOANSWER|-1"),
            LineErrorReason::BadNumber {
                field: "RINGNOANSWER ring time".to_owned(),
                value: "-1".to_owned(),
            },
        ),
        (
            ql(0, "|12345-baisha|NONE|ENTERQUEUE||13800138000|1"),
            LineErrorReason::MissingField {
                field: "callid".to_owned(),
            },
        ),
        (
            ql(0, "1.1|NONE|NONE|ENTERQUEUE||13800138000|1"),
            LineErrorReason::MissingField {
                field: "queue".to_owned(),
            },
        ),
        (
            ql(0, "NONE|12345-baisha|NONE|PAUSE|"),
            LineErrorReason::MissingField {
                field: "agent".to_owned(),
            },
        ),
        (
            long,
            LineErrorReason::LineTooLong {
                limit: rexian_calllog::MAX_LINE_BYTES,
            },
        ),
    ];
    for (bad, expected) in cases {
        let lines = [
            bad.clone(),
            ql(0, "8.1|12345-baisha|NONE|ENTERQUEUE||13800138000|1"),
            ql(9, "8.1|12345-baisha|NONE|ABANDON|1|1|9"),
        ];
        let report = run(&lines, options());
        let errors = report.errors();
        assert_eq!(errors.len(), 1, "{bad:.80}: {errors:?}");
        assert_eq!(errors[0].line_number, 1);
        assert_eq!(errors[0].reason, expected, "{bad:.80}");
        assert_eq!(
            report.calls().len(),
            1,
            "the next call still imports after {bad:.80}"
        );
        let s = &report.summary;
        assert_eq!(s.lines_skipped, 1);
        assert_eq!(s.skipped_by_reason.get(&expected.skip_reason()), Some(&1));
        assert!(s.has_problems());
    }
}

#[test]
fn an_abandon_after_the_answer_is_out_of_order() {
    let lines = [
        ql(0, "1.1|12345-baisha|NONE|ENTERQUEUE||13800138000|1"),
        ql(5, "1.1|12345-baisha|PJSIP/8001|CONNECT|5|1.2|2"),
        ql(9, "1.1|12345-baisha|NONE|ABANDON|1|1|9"),
        ql(65, "1.1|12345-baisha|PJSIP/8001|COMPLETECALLER|5|60|1"),
    ];
    let report = run(&lines, options());
    assert_eq!(report.errors().len(), 1);
    assert_eq!(report.errors()[0].line_number, 3);
    assert_eq!(
        report.errors()[0].reason.skip_reason(),
        SkipReason::OutOfOrder
    );
    assert_eq!(report.calls()[0].outcome, CallOutcome::Answered);
    assert_eq!(
        report.errors()[0].to_string(),
        "line 3: ABANDON out of order: the call was already answered"
    );
}

#[test]
fn reader_import_matches_str_import_and_survives_bad_bytes() {
    let mut text = morning().join("\r\n").into_bytes();
    // A GBK-encoded caller name is not UTF-8: replaced, never fatal.
    text.extend_from_slice(b"\r\n");
    text.extend_from_slice(format!("{}|NONE|12345-baisha|PJSIP/8002|PAUSE|", T0 + 4000).as_bytes());
    text.extend_from_slice(&[0xce, 0xe7, 0xb2, 0xcd]);
    text.extend_from_slice(b"\n");
    let mut items = Vec::new();
    let summary = import_reader(
        SourceKind::AsteriskQueueLog,
        text.as_slice(),
        options(),
        |i| items.push(i),
    )
    .expect("reading from memory cannot fail");
    let from_str = run(&morning(), options());
    assert_eq!(&items[..from_str.items.len()], &from_str.items[..]);
    assert_eq!(summary.calls, 9);
    assert_eq!(summary.agent_events, 6);
    match items.last() {
        Some(ImportItem::AgentEvent(e)) => {
            assert!(e.reason.as_deref().is_some_and(|r| r.contains('\u{fffd}')))
        }
        other => panic!("expected the pause, got {other:?}"),
    }
}

#[test]
fn a_too_long_line_from_a_reader_is_skipped_whole() {
    let mut text = format!("{}|1.1|q|NONE|INFO|", T0).into_bytes();
    text.extend(std::iter::repeat_n(b'x', 200_000));
    text.extend_from_slice(
        format!(
            "\n{}\n{}\n",
            ql(0, "8.1|12345-baisha|NONE|ENTERQUEUE||1|1"),
            ql(9, "8.1|12345-baisha|NONE|ABANDON|1|1|9")
        )
        .as_bytes(),
    );
    let mut items = Vec::new();
    let summary = import_reader(
        SourceKind::AsteriskQueueLog,
        text.as_slice(),
        options(),
        |i| items.push(i),
    )
    .expect("reading from memory cannot fail");
    assert_eq!(summary.lines_read, 3);
    assert_eq!(
        summary.skipped_by_reason.get(&SkipReason::LineTooLong),
        Some(&1)
    );
    assert_eq!(summary.calls, 1);
}

#[test]
fn streaming_holds_only_the_calls_in_progress() {
    let mut importer = Importer::new(SourceKind::AsteriskQueueLog, options());
    let mut out = Vec::new();
    let mut most_open = 0;
    let mut n = 0;
    // 2 000 calls, 3 overlapping at any time.
    for call in 0..2_000i64 {
        let id = format!("{call}.1");
        let start = call * 20;
        for line in [
            ql(
                start,
                &format!("{id}|12345-baisha|NONE|ENTERQUEUE||13800138000|1"),
            ),
            ql(
                start + 30,
                &format!("{id}|12345-baisha|PJSIP/8001|CONNECT|30|x|2"),
            ),
            ql(
                start + 50,
                &format!("{id}|12345-baisha|PJSIP/8001|COMPLETECALLER|30|20|1"),
            ),
        ] {
            n += 1;
            importer.push_line(n, &line, &mut out);
            most_open = most_open.max(importer.open_calls());
        }
    }
    // Lines are pushed per call here, so one is open at a time; the point is that ended
    // calls are not kept.
    assert_eq!(most_open, 1);
    let summary = importer.finish(&mut out);
    assert_eq!(summary.calls, 2_000);
}

#[test]
fn a_call_silent_for_longer_than_the_stale_limit_is_reported() {
    let options = ImportOptions {
        stale_call_seconds: 3600,
        ..options()
    };
    let lines = [
        ql(0, "1.1|12345-baisha|NONE|ENTERQUEUE||13800138000|1"),
        ql(10, "2.1|12345-baisha|NONE|ENTERQUEUE||13800138001|1"),
        ql(7_200, "2.1|12345-baisha|NONE|ABANDON|1|1|7190"),
        ql(7_300, "3.1|12345-baisha|NONE|ENTERQUEUE||13800138002|1"),
        ql(7_305, "3.1|12345-baisha|NONE|ABANDON|1|1|5"),
    ];
    let report = run(&lines, options);
    let incomplete = report.incomplete();
    assert_eq!(incomplete.len(), 2, "{:#?}", report.items);
    assert!(
        incomplete
            .iter()
            .all(|c| c.reason == IncompleteReason::Stale)
    );
    // 2.1's ABANDON arrived after it was swept: it is still imported, arrival derived.
    let late = call(&report, "2.1");
    assert!(!late.entry_logged);
    assert_eq!(late.arrived_at, at(10));
    assert_eq!(report.calls().len(), 2);
}

#[test]
fn items_serialize_with_stable_snake_case_codes() {
    let report = run(&morning(), options());
    let json = serde_json::to_value(&report.items[0]).expect("serializes");
    assert_eq!(json["item"], "agent_event");
    assert_eq!(json["kind"], "member_added");
    assert_eq!(json["agent_code"], "BS001");
    for item in &report.items {
        let text = serde_json::to_string(item).expect("serializes");
        let back: ImportItem = serde_json::from_str(&text).expect("deserializes");
        assert_eq!(&back, item);
    }
    let call_json = serde_json::to_value(report.calls()[0]).expect("serializes");
    assert_eq!(call_json["outcome"], "short_abandoned");
    assert_eq!(call_json["source"], "asterisk_queue_log");
    let error = rexian_calllog::LineError {
        line_number: 4,
        reason: LineErrorReason::BadEpoch {
            value: "abc".to_owned(),
        },
    };
    let error_json = serde_json::to_value(&error).expect("serializes");
    assert_eq!(error_json["reason"]["code"], "bad_epoch");
    let summary_json = serde_json::to_value(&report.summary).expect("serializes");
    assert_eq!(summary_json["calls"], 9);
    let back: rexian_calllog::ImportSummary =
        serde_json::from_value(summary_json).expect("round trip");
    assert_eq!(back, report.summary);
}
