//! Invariants over generated input: nothing panics, every line is counted once, no call is
//! lost, and an import is a pure function of its input.

mod common;

use common::{T0, options};
use proptest::prelude::*;
use rexian_calllog::{
    CallOutcome, ImportItem, ImportOptions, ImportReport, SourceKind, UnmappedPolicy, import_str,
};

fn lenient() -> ImportOptions {
    ImportOptions {
        unmapped: UnmappedPolicy::KeepRaw,
        ..options()
    }
}

/// The summary agrees with the items and accounts for every line.
fn check_summary(report: &ImportReport, lines: usize) {
    let s = &report.summary;
    assert_eq!(s.lines_read, lines as u64);
    assert_eq!(
        s.lines_read,
        s.blank_lines + s.lines_accepted + s.lines_ignored + s.lines_skipped
    );
    let by_reason: u64 = s.skipped_by_reason.values().sum();
    assert_eq!(by_reason, s.lines_skipped + s.calls_skipped);
    assert_eq!(s.calls, report.calls().len() as u64);
    assert_eq!(s.agent_events, report.agent_events().len() as u64);
    assert_eq!(s.incomplete_calls, report.incomplete().len() as u64);
    assert_eq!(by_reason, report.errors().len() as u64);
    for call in report.calls() {
        assert_eq!(call.answered_at.is_some(), call.outcome.is_answered());
        assert_eq!(call.agent_code.is_some(), call.agent_interface.is_some());
        assert!(!call.dedup_key.is_empty());
        if !call.outcome.is_answered() {
            assert_eq!(call.talk_seconds, 0);
        }
    }
}

/// Any text, Chinese and control characters included.
fn text(max: usize) -> impl Strategy<Value = String> {
    prop::collection::vec(any::<char>(), 0..max)
        .prop_map(|chars| chars.into_iter().filter(|c| *c != '\n').collect())
}

fn field() -> impl Strategy<Value = String> {
    prop_oneof![
        Just(String::new()),
        Just("NONE".to_owned()),
        "[0-9]{1,12}",
        "-?[0-9]{1,4}",
        "[0-9]{10}\\.[0-9]{1,3}",
        Just(T0.to_string()),
        Just("2026-10-01 08:00:00".to_owned()),
        Just("PJSIP/8001".to_owned()),
        Just("12345-baisha".to_owned()),
        prop::sample::select(vec![
            "ENTERQUEUE",
            "CONNECT",
            "RINGNOANSWER",
            "COMPLETECALLER",
            "COMPLETEAGENT",
            "ABANDON",
            "EXITWITHTIMEOUT",
            "EXITEMPTY",
            "EXITWITHKEY",
            "TRANSFER",
            "ATTENDEDTRANSFER",
            "BLINDTRANSFER",
            "PAUSE",
            "PAUSEALL",
            "AGENTLOGOFF",
            "PENALTY",
            "DID",
            "QUEUESTART",
            "SYSCOMPAT",
            "RINGCANCELED",
            "ANSWERED",
            "NO ANSWER",
            "BUSY",
            "NORMAL_CLEARING",
            "ORIGINATOR_CANCEL",
        ])
        .prop_map(str::to_owned),
        text(12),
        "[\"|,\\\\\r]{0,4}",
    ]
}

/// Lines that look like the format some of the time and like garbage the rest.
fn line(separator: &'static str) -> impl Strategy<Value = String> {
    prop_oneof![
        prop::collection::vec(field(), 0..20).prop_map(move |f| f.join(separator)),
        prop::collection::vec(field(), 0..20).prop_map(|f| {
            f.iter()
                .map(|x| format!("\"{x}\""))
                .collect::<Vec<_>>()
                .join(",")
        }),
        text(100),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(40))]

    #[test]
    fn arbitrary_queue_log_lines_never_panic(lines in prop::collection::vec(line("|"), 0..30)) {
        for options in [options(), lenient()] {
            let text = lines.join("\n");
            let report = import_str(SourceKind::AsteriskQueueLog, &text, options);
            check_summary(&report, text.lines().count());
        }
    }

    #[test]
    fn arbitrary_cdr_lines_never_panic(lines in prop::collection::vec(line(","), 0..30)) {
        for source in [SourceKind::AsteriskCdr, SourceKind::FreeswitchCdr] {
            let text = lines.join("\n");
            let report = import_str(source, &text, lenient());
            check_summary(&report, text.lines().count());
        }
    }

    #[test]
    fn arbitrary_bytes_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..600)) {
        for source in SourceKind::ALL {
            let mut items = Vec::new();
            let summary = rexian_calllog::import_reader(source, bytes.as_slice(), lenient(), |i| items.push(i))
                .map_err(|e| TestCaseError::fail(e.to_string()))?;
            prop_assert_eq!(summary.calls as usize, items.iter().filter(|i| matches!(i, ImportItem::Call(_))).count());
        }
    }
}

/// One call's lines, in app_queue's formats, with the outcome they must produce.
fn script(kind: u8, id: &str, start: i64, wait: u32, talk: u32) -> (Vec<String>, CallOutcome) {
    let q = "12345-baisha";
    let w = i64::from(wait);
    let t = i64::from(talk);
    let line = |offset: i64, rest: String| format!("{}|{id}|{q}|{rest}", start + offset);
    let mut lines = vec![line(0, "NONE|ENTERQUEUE||13800138000|1".to_owned())];
    let outcome = match kind % 8 {
        0 => {
            lines.push(line(w, format!("PJSIP/8001|CONNECT|{wait}|{id}.b|2")));
            lines.push(line(
                w + t,
                format!("PJSIP/8001|COMPLETECALLER|{wait}|{talk}|1"),
            ));
            CallOutcome::Answered
        }
        1 => {
            lines.push(line(w / 2, "PJSIP/8001|RINGNOANSWER|15000".to_owned()));
            lines.push(line(w, format!("PJSIP/8002|CONNECT|{wait}|{id}.b|2")));
            lines.push(line(
                w + t,
                format!("PJSIP/8002|COMPLETEAGENT|{wait}|{talk}|1"),
            ));
            CallOutcome::Answered
        }
        2 => {
            lines.push(line(w, format!("NONE|ABANDON|1|1|{wait}")));
            if wait < 5 {
                CallOutcome::ShortAbandoned
            } else {
                CallOutcome::Abandoned
            }
        }
        3 => {
            lines.push(line(w / 2, "PJSIP/8001|RINGNOANSWER|15000".to_owned()));
            lines.push(line(w, format!("NONE|EXITWITHTIMEOUT|1|1|{wait}")));
            CallOutcome::Overflowed
        }
        4 => {
            lines.push(line(w, format!("PJSIP/8001|CONNECT|{wait}|{id}.b|2")));
            lines.push(line(
                w + t,
                format!("PJSIP/8001|TRANSFER|8800|from-internal|{wait}|{talk}|1"),
            ));
            CallOutcome::Transferred
        }
        5 => {
            lines.push(line(w, format!("NONE|EXITEMPTY|1|1|{wait}")));
            CallOutcome::ExitEmpty
        }
        6 => {
            lines.push(line(w, format!("NONE|EXITWITHKEY|0|1|1|{wait}")));
            CallOutcome::ExitWithKey
        }
        _ => {
            lines.push(line(w, format!("PJSIP/8001|CONNECT|{wait}|{id}.b|2")));
            lines.push(line(w + t, format!("PJSIP/8001|ATTENDEDTRANSFER|LINK|PJSIP/8001-0000000a|Local/8800@from-internal-0000000b;1|{wait}|{talk}|1")));
            CallOutcome::Transferred
        }
    };
    (lines, outcome)
}

#[derive(Debug, Clone)]
struct Plan {
    kind: u8,
    wait: u32,
    talk: u32,
    /// Lines kept (the rest is cut off by the end of the file).
    keep: usize,
}

fn plan() -> impl Strategy<Value = Plan> {
    (0u8..8, 0u32..400, 0u32..2000, 1usize..6).prop_map(|(kind, wait, talk, keep)| Plan {
        kind,
        wait,
        talk,
        keep,
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    /// However the lines of concurrent calls interleave and wherever the file ends, every
    /// call that entered a queue comes out exactly once: as a call with the right outcome
    /// and figures, or as incomplete.
    #[test]
    fn no_call_is_lost(plans in prop::collection::vec(plan(), 1..25), picks in prop::collection::vec(any::<u16>(), 0..200)) {
        let mut scripts = Vec::new();
        for (i, p) in plans.iter().enumerate() {
            let id = format!("{}.{i}", T0);
            let (mut lines, outcome) = script(p.kind, &id, T0 + i as i64 * 7, p.wait, p.talk);
            let complete = p.keep >= lines.len();
            lines.truncate(p.keep);
            scripts.push((id, lines, outcome, complete));
        }
        // Interleave, keeping each call's own order.
        let mut cursors = vec![0usize; scripts.len()];
        let mut text = Vec::new();
        let mut pick = picks.into_iter().chain(std::iter::repeat(0));
        loop {
            let open: Vec<usize> = (0..scripts.len()).filter(|&i| cursors[i] < scripts[i].1.len()).collect();
            if open.is_empty() { break; }
            let chosen = open[usize::from(pick.next().unwrap_or(0)) % open.len()];
            text.push(scripts[chosen].1[cursors[chosen]].clone());
            cursors[chosen] += 1;
        }
        let text = text.join("\n");
        let report = import_str(SourceKind::AsteriskQueueLog, &text, options());
        prop_assert!(report.errors().is_empty(), "{:?}", report.errors());
        check_summary(&report, text.lines().count());
        prop_assert_eq!(report.calls().len() + report.incomplete().len(), scripts.len());
        for ((id, _, outcome, complete), p) in scripts.iter().zip(&plans) {
            let call = report.calls().into_iter().find(|c| &c.source_call_id == id);
            let incomplete = report.incomplete().into_iter().find(|c| &c.source_call_id == id);
            if *complete {
                let call = call.ok_or_else(|| TestCaseError::fail(format!("{id} lost")))?;
                prop_assert!(incomplete.is_none());
                prop_assert_eq!(call.outcome, *outcome);
                prop_assert_eq!(call.wait_seconds, p.wait);
                let talk = if outcome.is_answered() { p.talk } else { 0 };
                prop_assert_eq!(call.talk_seconds, talk);
                prop_assert_eq!(call.ended_at - call.arrived_at, chrono::Duration::seconds(i64::from(p.wait + talk)));
            } else {
                prop_assert!(call.is_none());
                prop_assert!(incomplete.is_some(), "{} not reported", id);
            }
        }
        // Pure: the same input gives the same output, so a re-import changes nothing.
        let again = import_str(SourceKind::AsteriskQueueLog, &text, options());
        prop_assert_eq!(&again, &report);
        let mut keys: Vec<&str> = report.calls().iter().map(|c| c.dedup_key.as_str()).collect();
        let n = keys.len();
        keys.sort_unstable();
        keys.dedup();
        prop_assert_eq!(keys.len(), n);
    }
}
