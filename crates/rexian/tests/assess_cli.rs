//! `rexian assess`, run as the real binary on a prepared SQLite database.

use std::path::Path;
use std::process::{Command, Output};

use chrono::{Duration, TimeZone, Utc};
use rexian_domain::Actor;
use rexian_store::{DatabaseLocation, NewCall, SqliteDurability};
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

/// Baisha seeded, with October 2026 calls: 19 answered of 20 offered, 10 ratings (9 good).
async fn prepared() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let out = rexian(dir.path(), &["seed", "baisha"]);
    assert!(out.status.success(), "{}", text(&out));
    let location =
        DatabaseLocation::resolve(None, dir.path(), SqliteDurability::default()).unwrap();
    let store = rexian_store::open(&location).await.unwrap();
    let p = store.list_platforms().await.unwrap()[0].id;
    let actor = Actor::Cli {
        os_user: "test".into(),
    };
    // 2026-10-08 09:00 Beijing.
    let t = Utc.with_ymd_and_hms(2026, 10, 8, 1, 0, 0).unwrap();
    for i in 0..20i64 {
        let answered = i != 0;
        let at = t + Duration::minutes(10 * i);
        let call = NewCall {
            source: "cti".into(),
            dedup_key: format!("c{i}"),
            caller: "13800001111".into(),
            called: "12345".into(),
            queue: "general".into(),
            agent: answered.then(|| "A01".into()),
            arrived_at: at,
            answered_at: answered.then(|| at + Duration::seconds(8)),
            ended_at: at + Duration::seconds(120),
            wait_seconds: if answered { 8.0 } else { 40.0 },
            talk_seconds: if answered { 100.0 } else { 0.0 },
            wrap_up_seconds: 0.0,
            outcome: if answered { "completed" } else { "abandoned" }.into(),
            overflow_reason: None,
            satisfaction: match i {
                1..=9 => Some("satisfied".into()),
                10 => Some("dissatisfied".into()),
                _ => None,
            },
            record: serde_json::value::RawValue::from_string("{}".to_owned()).unwrap(),
        };
        store
            .insert_call(p, &call, false, &actor, at + Duration::seconds(120))
            .await
            .unwrap();
    }
    dir
}

#[tokio::test]
async fn assess_prints_the_json_and_the_table() {
    let dir = prepared().await;
    let out = rexian(
        dir.path(),
        &["assess", "--period", "2026-10", "--format", "json"],
    );
    assert!(out.status.success(), "{}", text(&out));
    let a: Value = serde_json::from_slice(&out.stdout).unwrap();
    let ind = &a["indicators"];
    assert_eq!(ind.as_array().unwrap().len(), 9);
    assert_eq!(ind[0]["id"], 1);
    assert_eq!(ind[0]["name"], "接通率");
    assert_eq!(
        (ind[0]["numerator"].as_f64(), ind[0]["denominator"].as_f64()),
        (Some(19.0), Some(20.0))
    );
    // 95.0% is exactly the target: full points.
    assert_eq!(ind[0]["score"].as_f64(), Some(20.0));
    // 9 of 10 ratings good: 90% against 96%.
    assert_eq!(
        (ind[3]["numerator"].as_f64(), ind[3]["denominator"].as_f64()),
        (Some(9.0), Some(10.0))
    );
    assert!(ind[3]["score"].as_f64().unwrap() < 15.0);
    assert_eq!(a["rules_version"], "baisha-2026.1");
    assert!(a["total"].as_f64().is_some() && a["payment_ratio"].as_f64().is_some());

    let out = rexian(
        dir.path(),
        &["assess", "--from", "2026-10-01", "--to", "2026-10-31"],
    );
    assert!(out.status.success(), "{}", text(&out));
    let table = String::from_utf8_lossy(&out.stdout);
    assert!(table.contains("接通率 Answer rate"), "{table}");
    assert!(table.contains("19/20"), "{table}");
    assert!(table.contains("总分 Total"), "{table}");
    assert!(table.contains("付款比例 Payment ratio"), "{table}");
}

#[tokio::test]
async fn an_unknown_period_or_a_bad_rules_file_is_a_clear_error() {
    let dir = prepared().await;
    let out = rexian(dir.path(), &["assess", "--period", "2026-13"]);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("--period") && err.contains("13"), "{err}");

    let out = rexian(dir.path(), &["assess", "--period", "October"]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("--period"));

    // Negative points on the answer rate, and a floor above the cap elsewhere.
    let rules = rexian_assessment::BAISHA_DEFAULT_TOML;
    let bad = rules.replacen("points = 20", "points = -20", 1);
    assert_ne!(bad, rules, "the default file has `points = 20`");
    let file = dir.path().join("bad.toml");
    std::fs::write(&file, &bad).unwrap();
    let out = rexian(
        dir.path(),
        &[
            "assess",
            "--period",
            "2026-10",
            "--rules",
            file.to_str().unwrap(),
        ],
    );
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("points"), "{err}");
    assert!(err.contains("bad.toml"), "{err}");

    // A missing field is named.
    let missing = rules.replacen("version = \"baisha-2026.1\"", "", 1);
    std::fs::write(&file, &missing).unwrap();
    let out = rexian(
        dir.path(),
        &[
            "assess",
            "--period",
            "2026-10",
            "--rules",
            file.to_str().unwrap(),
        ],
    );
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("version"), "{err}");
}

#[test]
fn the_server_does_not_start_with_an_invalid_rules_file() {
    let dir = tempfile::tempdir().unwrap();
    let rules = rexian_assessment::BAISHA_DEFAULT_TOML.replacen("points = 20", "points = -20", 1);
    let bad = dir.path().join("rules.toml");
    std::fs::write(&bad, rules).unwrap();
    let cfg = dir.path().join("rexian.toml");
    std::fs::write(
        &cfg,
        format!("assessment_rules = [{:?}]\n", bad.to_str().unwrap()),
    )
    .unwrap();
    let out = rexian(
        dir.path(),
        &[
            "--config",
            cfg.to_str().unwrap(),
            "serve",
            "--listen",
            "127.0.0.1:0",
        ],
    );
    assert!(!out.status.success(), "{}", text(&out));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("assessment_rules"), "{err}");
    assert!(err.contains("points"), "{err}");
}

#[tokio::test]
async fn assess_writes_the_monthly_report_files() {
    let dir = prepared().await;
    let run = |args: &[&str]| {
        Command::new(BIN)
            .env_clear()
            .env("PATH", std::env::var("PATH").unwrap_or_default())
            .env("REXIAN_DATA_DIR", dir.path())
            .env("REXIAN_LOG__LEVEL", "warn")
            .current_dir(dir.path())
            .args(args)
            .output()
            .expect("run rexian")
    };
    // The default name, in the current directory; the summary on stderr.
    let out = run(&["assess", "--period", "2026-10", "--format", "xlsx"]);
    assert!(out.status.success(), "{}", text(&out));
    let xlsx = std::fs::read(dir.path().join("assessment-BS-2026-10.xlsx")).unwrap();
    assert!(xlsx.starts_with(b"PK"), "an xlsx is a zip");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("assessment-BS-2026-10.xlsx"), "{stderr}");
    assert!(stderr.contains("总分 total"), "{stderr}");
    assert!(out.stdout.is_empty());

    let file = dir.path().join("october.pdf");
    let out = run(&[
        "assess",
        "--period",
        "2026-10",
        "--format",
        "pdf",
        "--out",
        file.to_str().unwrap(),
    ]);
    assert!(out.status.success(), "{}", text(&out));
    let pdf = std::fs::read(&file).unwrap();
    assert!(pdf.starts_with(b"%PDF-"));

    // To stdout when it is not a terminal (here a pipe).
    let out = run(&[
        "assess", "--period", "2026-10", "--format", "pdf", "--out", "-",
    ]);
    assert!(out.status.success(), "{}", text(&out));
    assert!(out.stdout.starts_with(b"%PDF-"));

    // --out is for files only.
    let out = run(&["assess", "--period", "2026-10", "--out", "x.txt"]);
    assert!(!out.status.success());
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("--out"),
        "{}",
        text(&out)
    );
}
