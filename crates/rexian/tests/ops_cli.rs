//! `rexian ops ...` as an operator runs it, on the default SQLite database.

use std::process::{Command, Output, Stdio};

const BIN: &str = env!("CARGO_BIN_EXE_rexian");

fn rexian(dir: &std::path::Path, args: &[&str]) -> Output {
    Command::new(BIN)
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("REXIAN_DATA_DIR", dir)
        .env("REXIAN_LOG__LEVEL", "warn")
        .stdin(Stdio::null())
        .args(args)
        .output()
        .expect("run rexian")
}

fn ok(dir: &std::path::Path, args: &[&str]) -> String {
    let out = rexian(dir, args);
    assert!(
        out.status.success(),
        "{args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

#[test]
fn import_check_and_export_from_the_command_line() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    ok(d, &["seed", "baisha"]);
    let staff = d.join("staff.csv");
    std::fs::write(
        &staff,
        "\u{feff}工号,姓名,岗位,入职日期,独立上机日期,离职日期,离职原因,身份证号\n\
         C1,王芳,客服代表,2020-01-01,2020-02-01,,,11010519491231002X\n\
         C2,李明,客服代表,2020-01-01,2020-02-01,2020-08-31,辞职,\n",
    )
    .unwrap();
    assert!(ok(d, &["ops", "import-staff", staff.to_str().unwrap()]).contains("imported 2"));
    // The same file again: refused with the row, nothing added.
    let again = rexian(d, &["ops", "import-staff", staff.to_str().unwrap()]);
    assert!(!again.status.success());
    assert!(String::from_utf8_lossy(&again.stderr).contains("row 2"));

    let report = ok(d, &["ops", "attrition", "--half", "2020H2"]);
    assert!(report.contains("1 leavers / headcount 1.5"), "{report}");
    assert!(report.contains("李明"), "{report}");

    let roster = d.join("roster.csv");
    std::fs::write(&roster, "日期,班次,工号\n2020-11-01,夜班,C1\n").unwrap();
    ok(d, &["ops", "import-roster", roster.to_str().unwrap()]);
    let check = ok(d, &["ops", "roster-check", "--month", "2020-11"]);
    assert!(check.contains("29 nights uncovered"), "{check}");
    // No login linked, so no seat sign-ins: rostered, not worked.
    let nd = ok(d, &["ops", "night-duty", "--month", "2020-11"]);
    assert!(nd.contains("0 allowance nights"), "{nd}");
    assert!(
        nd.contains("C1 王芳: 0 worked of 1 rostered; not worked: 2020-11-01 (0 min signed in)"),
        "{nd}"
    );

    // Exports start with a BOM; personal data only when asked for.
    let masked = ok(d, &["ops", "export-staff"]);
    assert!(
        masked.starts_with('\u{feff}') && masked.contains("1101**********002X"),
        "{masked}"
    );
    let full = ok(d, &["ops", "export-staff", "--with-personal-data"]);
    assert!(full.contains("11010519491231002X"));
    let exported = ok(d, &["ops", "export-roster", "--month", "2020-11"]);
    assert_eq!(
        exported,
        "\u{feff}日期,班次,工号,姓名\n2020-11-01,night,C1,王芳\n"
    );

    // Excel: by extension or --format; the workbook reads back (the same rows again are
    // refused by the row, so it was parsed down to the store).
    let book = d.join("staff.dat");
    let b = book.to_str().unwrap();
    ok(d, &["ops", "export-staff", "--format", "xlsx", "--out", b]);
    assert!(std::fs::read(&book).unwrap().starts_with(b"PK"));
    let again = rexian(d, &["ops", "import-staff", "--format", "xlsx", b]);
    assert!(
        String::from_utf8_lossy(&again.stderr).contains("row 2"),
        "{}",
        String::from_utf8_lossy(&again.stderr)
    );
    let xlsx = d.join("roster.xlsx");
    let x = xlsx.to_str().unwrap();
    ok(
        d,
        &["ops", "export-roster", "--month", "2020-11", "--out", x],
    );
    let csv = d.join("roster2.csv");
    std::fs::write(&csv, "日期,班次,工号\n2020-11-02,夜班,C1\n").unwrap();
    ok(d, &["ops", "import-roster", csv.to_str().unwrap()]);
    let bad = rexian(d, &["ops", "import-roster", "--format", "csv", x]);
    assert!(String::from_utf8_lossy(&bad.stderr).contains("UTF-8"));
    let dup = rexian(d, &["ops", "import-roster", x]);
    assert!(!dup.status.success());

    let none = rexian(d, &["ops", "settlement", "--ratio", "0.95"]);
    assert!(String::from_utf8_lossy(&none.stderr).contains("no contract"));
}

#[test]
fn a_rules_file_replaces_the_built_in_operations_rules() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    ok(d, &["seed", "baisha"]);
    let defaults = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../config/operations.toml"
    ))
    .unwrap();
    let two = defaults.replace("night_staff_required = 1", "night_staff_required = 2");
    assert_ne!(two, defaults);
    let rules = d.join("ops.toml");
    std::fs::write(&rules, two).unwrap();
    let out = Command::new(BIN)
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("REXIAN_DATA_DIR", d)
        .env("REXIAN_OPERATIONS__RULES_FILE", &rules)
        .args(["ops", "roster-check", "--month", "2020-02"])
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("29 nights uncovered") && text.contains("需要2人"),
        "{text}"
    );

    std::fs::write(&rules, "[roster]\n").unwrap();
    let out = Command::new(BIN)
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("REXIAN_DATA_DIR", d)
        .env("REXIAN_OPERATIONS__RULES_FILE", &rules)
        .args(["ops", "roster-check"])
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("operations rules file"));
}
