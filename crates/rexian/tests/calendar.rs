//! `rexian calendar`: answers from the bundled State Council schedules, without a database.

use std::process::Command;

fn rexian(args: &[&str]) -> (bool, String, String) {
    let dir = tempfile::tempdir().unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_rexian"))
        .args(args)
        .env("REXIAN_DATA_DIR", dir.path())
        .output()
        .unwrap();
    // No database is created for a calendar question.
    assert!(std::fs::read_dir(dir.path()).unwrap().next().is_none());
    (
        out.status.success(),
        String::from_utf8(out.stdout).unwrap(),
        String::from_utf8(out.stderr).unwrap(),
    )
}

#[test]
fn is_working_day_knows_holidays_and_make_up_days() {
    // 2026-10-10 is a Saturday worked in exchange for the National Day holiday (调休).
    assert_eq!(
        rexian(&["calendar", "is-working-day", "2026-10-10"]).1,
        "true\n"
    );
    assert_eq!(
        rexian(&["calendar", "is-working-day", "2026-10-05"]).1,
        "false\n"
    );
    assert_eq!(
        rexian(&["calendar", "is-working-day", "2026-11-27"]).1,
        "true\n"
    );
    let (ok, _, err) = rexian(&["calendar", "is-working-day", "2026-13-01"]);
    assert!(!ok && err.contains("2026-13-01"), "{err}");
}

#[test]
fn deadline_counts_working_days_and_says_when_provisional() {
    let (ok, out, _) = rexian(&[
        "calendar",
        "deadline",
        "--from",
        "2026-09-30T10:00:00+08:00",
        "--working-days",
        "3",
    ]);
    assert!(ok);
    // 10-01..10-07 off; 10-08, 10-09 and the make-up Saturday 10-10 are the 3 working days.
    assert_eq!(out, "2026-10-10T23:59:59.999+08:00\n");
    let (ok, out, _) = rexian(&[
        "calendar",
        "deadline",
        "--from",
        "2030-01-02T10:00:00+08:00",
        "--working-days",
        "1",
    ]);
    assert!(ok);
    assert!(
        out.starts_with("2030-01-03T23:59:59.999+08:00\nprovisional"),
        "{out}"
    );
    let (ok, out, _) = rexian(&[
        "calendar",
        "deadline",
        "--from",
        "2026-10-01T10:00:00+08:00",
        "--hours",
        "24",
    ]);
    assert!(ok);
    assert_eq!(out, "2026-10-02T10:00:00+08:00\n");
}

#[test]
fn a_time_limits_file_with_a_bad_value_stops_the_start_naming_the_field() {
    let dir = tempfile::tempdir().unwrap();
    let bundled = include_str!("../../../config/time_limits.toml");
    let bad = bundled.replace(
        "kinds.help.normal = { working_days = 5 }",
        "kinds.help.normal = { working_days = 0 }",
    );
    assert_ne!(bad, bundled, "the sample line is in the bundled file");
    let file = dir.path().join("limits.toml");
    std::fs::write(&file, bad).unwrap();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_rexian"))
        .arg("migrate")
        .env("REXIAN_DATA_DIR", dir.path())
        .env("REXIAN_ORDERS__TIME_LIMITS_FILE", &file)
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("handle.kinds.help.normal"), "{err}");
    assert!(!dir.path().join("rexian.db").exists(), "nothing was opened");

    // The bundled file itself is accepted.
    std::fs::write(&file, bundled).unwrap();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_rexian"))
        .arg("migrate")
        .env("REXIAN_DATA_DIR", dir.path())
        .env("REXIAN_ORDERS__TIME_LIMITS_FILE", &file)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}
