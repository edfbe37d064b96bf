//! `rexian import ...` and `rexian report calls`, run as the real binary on sample files
//! written in the exact formats, with figures checked by hand.

use std::path::Path;
use std::process::{Command, Output};

use serde_json::Value;

const BIN: &str = env!("CARGO_BIN_EXE_rexian");

fn rexian(data_dir: &Path, args: &[&str]) -> Output {
    Command::new(BIN)
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("REXIAN_DATA_DIR", data_dir)
        .env("REXIAN_LOG__LEVEL", "warn")
        .args(args)
        .output()
        .expect("run rexian")
}

fn text(out: &Output) -> String {
    format!(
        "status {:?}\nstdout:\n{}\nstderr:\n{}",
        out.status.code(),
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

fn seeded() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let out = rexian(dir.path(), &["seed", "baisha"]);
    assert!(out.status.success(), "{}", text(&out));
    dir
}

/// 2026-10-01 09:00 Beijing = 01:00 UTC.
const T: i64 = 1_790_816_400;

fn queue_log() -> String {
    let l = |dt: i64, rest: &str| format!("{}|{rest}", T + dt);
    [
        // 1: answered after 10 s by PJSIP/8001, 90 s talk.
        l(0, "100.1|12345-baisha|NONE|ENTERQUEUE||13800000001|1"),
        l(10, "100.1|12345-baisha|PJSIP/8001|CONNECT|10|100.2|3"),
        // 2: rings out at PJSIP/8002 (15000 ms), answered by PJSIP/8001 after 120 s.
        l(20, "101.1|12345-baisha|NONE|ENTERQUEUE||13800000002|1"),
        l(35, "101.1|12345-baisha|PJSIP/8002|RINGNOANSWER|15000"),
        // 3: a short abandon (3 s); 4: an abandon after 20 s.
        l(30, "102.1|12345-baisha|NONE|ENTERQUEUE||13800000003|2"),
        l(33, "102.1|12345-baisha|NONE|ABANDON|2|2|3"),
        // A line that cannot be read (line 7).
        "17908164x0|105.1|12345-baisha|NONE|ENTERQUEUE||13800000006|1".to_owned(),
        l(40, "103.1|12345-baisha|NONE|ENTERQUEUE||13800000004|2"),
        l(50, "104.1|12345-baisha|NONE|ENTERQUEUE||13800000005|3"),
        l(60, "103.1|12345-baisha|NONE|ABANDON|2|2|20"),
        l(100, "100.1|12345-baisha|PJSIP/8001|COMPLETECALLER|10|90|1"),
        // 5: overflows after 60 s (EXITWITHTIMEOUT: position, original position, wait).
        l(110, "104.1|12345-baisha|NONE|EXITWITHTIMEOUT|1|3|60"),
        l(140, "101.1|12345-baisha|PJSIP/8001|CONNECT|120|101.2|5"),
        l(200, "101.1|12345-baisha|PJSIP/8001|COMPLETEAGENT|120|60|1"),
    ]
    .join("\n")
        + "\n"
}

#[test]
fn queue_log_imports_once_reports_the_bad_line_and_gives_the_hand_computed_report() {
    let dir = seeded();
    let file = dir.path().join("queue_log");
    std::fs::write(&file, queue_log()).unwrap();
    let f = file.to_str().unwrap();

    let out = rexian(dir.path(), &["import", "asterisk-queue-log", f]);
    let t = text(&out);
    assert_eq!(out.status.code(), Some(2), "{t}");
    assert!(t.contains("lines read:              14"), "{t}");
    assert!(t.contains("calls imported:          5"), "{t}");
    assert!(t.contains("duplicates skipped:      0"), "{t}");
    assert!(t.contains("line 7: bad epoch \"17908164x0\""), "{t}");

    // Twice: nothing new.
    let out = rexian(dir.path(), &["import", "asterisk-queue-log", f]);
    let t = text(&out);
    assert_eq!(out.status.code(), Some(2), "{t}");
    assert!(t.contains("calls imported:          0"), "{t}");
    assert!(t.contains("duplicates skipped:      5"), "{t}");

    // By hand: offered = 2 answered + 1 abandoned + 1 overflowed (short abandon apart) = 4;
    // answer rate 2/4; within 15 s: 1 of 2; ASA (10 + 120)/2; AHT (90 + 60)/2, no wrap-up.
    let out = rexian(
        dir.path(),
        &[
            "report",
            "calls",
            "--from",
            "2026-10-01",
            "--to",
            "2026-10-31",
            "--format",
            "json",
        ],
    );
    assert!(out.status.success(), "{}", text(&out));
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["offered"], 4, "{v}");
    assert_eq!(v["answered"], 2);
    assert_eq!(v["abandoned"], 1);
    assert_eq!(v["short_abandoned"], 1);
    assert_eq!(v["overflowed"], 1);
    assert_eq!(v["answer_rate"], 0.5);
    assert_eq!(v["service_level_15s"], 0.5);
    assert_eq!(v["asa_seconds"], 65.0);
    assert_eq!(v["aht_seconds"], 75.0);
    // September has nothing.
    let out = rexian(
        dir.path(),
        &[
            "report",
            "calls",
            "--from",
            "2026-09-01",
            "--to",
            "2026-09-30",
            "--format",
            "json",
        ],
    );
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(
        (v["offered"].clone(), v["answer_rate"].clone()),
        (Value::from(0), Value::Null)
    );

    // The table prints each figure with its definition, Chinese first.
    let out = rexian(
        dir.path(),
        &[
            "report",
            "calls",
            "--from",
            "2026-10-01",
            "--to",
            "2026-10-31",
            "--format",
            "table",
        ],
    );
    let t = text(&out);
    assert!(out.status.success(), "{t}");
    let zh = t.find("接通率").expect("answer rate label");
    let en = t[zh..]
        .find("answered")
        .expect("English definition after Chinese");
    assert!(en > 0, "{t}");
    assert!(t.contains("50.00%"), "{t}");
}

#[test]
fn a_mapping_file_maps_queues_and_agents_and_unmapped_ones_are_skipped() {
    let dir = seeded();
    let file = dir.path().join("queue_log");
    std::fs::write(&file, queue_log()).unwrap();
    let mapping = dir.path().join("mapping.toml");
    std::fs::write(
        &mapping,
        "[queues]\n\"12345-baisha\" = \"BS-MAIN\"\n[agents]\n\"PJSIP/8002\" = \"BS002\"\n",
    )
    .unwrap();
    let out = rexian(
        dir.path(),
        &[
            "import",
            "asterisk-queue-log",
            file.to_str().unwrap(),
            "--mapping",
            mapping.to_str().unwrap(),
            "--platform",
            "baisha",
        ],
    );
    let t = text(&out);
    // PJSIP/8001 answered two calls and is not in the mapping: those two calls are skipped.
    assert_eq!(out.status.code(), Some(2), "{t}");
    assert!(t.contains("calls imported:          3"), "{t}");
    assert!(t.contains("unmapped_agent: 2"), "{t}");
    assert!(t.contains("PJSIP/8001"), "{t}");
}

#[test]
fn asterisk_master_csv_and_freeswitch_csv_import_once_with_clean_exit() {
    let dir = seeded();
    // Master.csv: strings quoted, integers bare, empty answer when unanswered; 16 and 17
    // columns.
    let cdr = [
        r#""","13800000011","12345","from-pstn","""张三"" <13800000011>","SIP/trunk-00000001","SIP/8001-00000002","Queue","12345-baisha,t,,,300","2026-10-02 09:00:00","2026-10-02 09:00:08","2026-10-02 09:01:38",98,90,"ANSWERED","DOCUMENTATION""#,
        r#""","13800000012","12345","from-pstn","","SIP/trunk-00000003","","Queue","12345-baisha,t,,,300","2026-10-02 09:05:00","","2026-10-02 09:05:30",30,0,"NO ANSWER","DOCUMENTATION","1790902500.3""#,
    ]
    .join("\n");
    let file = dir.path().join("Master.csv");
    std::fs::write(&file, cdr + "\n").unwrap();
    for expected_new in ["2", "0"] {
        let out = rexian(
            dir.path(),
            &["import", "asterisk-cdr", file.to_str().unwrap()],
        );
        let t = text(&out);
        assert!(out.status.success(), "{t}");
        assert!(
            t.contains(&format!("calls imported:          {expected_new}")),
            "{t}"
        );
    }
    // FreeSWITCH mod_cdr_csv default template: 15 quoted fields.
    let fs = [
        r#""王五","13800000021","12345","default","2026-10-03 10:00:00","2026-10-03 10:00:05","2026-10-03 10:02:05","125","120","NORMAL_CLEARING","c1b2c3d4-0000-4000-8000-000000000001","d1b2c3d4-0000-4000-8000-000000000001","","PCMA","PCMA""#,
        r#""","13800000022","12345","default","2026-10-03 10:10:00","","2026-10-03 10:10:02","2","0","ORIGINATOR_CANCEL","c1b2c3d4-0000-4000-8000-000000000002","","","PCMA","PCMA""#,
    ]
    .join("\n");
    let file = dir.path().join("fs.csv");
    std::fs::write(&file, fs + "\n").unwrap();
    for expected_new in ["2", "0"] {
        let out = rexian(
            dir.path(),
            &["import", "freeswitch-cdr", file.to_str().unwrap()],
        );
        let t = text(&out);
        assert!(out.status.success(), "{t}");
        assert!(
            t.contains(&format!("calls imported:          {expected_new}")),
            "{t}"
        );
    }
    let out = rexian(
        dir.path(),
        &[
            "report",
            "calls",
            "--from",
            "2026-10-01",
            "--to",
            "2026-10-31",
            "--format",
            "json",
        ],
    );
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    // Answered: the Master.csv and FreeSWITCH answered calls; the Master.csv no-answer after
    // 30 s is an abandon; the 2 s FreeSWITCH cancel is a short abandon.
    assert_eq!(v["answered"], 2, "{v}");
    assert_eq!(v["offered"], 3, "{v}");
    assert_eq!(v["short_abandoned"], 1, "{v}");
}
