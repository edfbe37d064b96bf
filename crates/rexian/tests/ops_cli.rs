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

/// `ops settlement --score` maps the score through the assessment's payment table, on a
/// database of each backend holding a contract.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn settlement_for_an_assessment_score() {
    use rexian_operations::OperationsConfig;
    use rexian_operations::contract::Contract;
    use rexian_store::PlatformSeed;
    use rexian_store::operations::OpsCtx;
    for db in rexian_store::testing::all_backends().await {
        let now = chrono::Utc::now();
        let cli = rexian_domain::Actor::Cli {
            os_user: "test".into(),
        };
        let p = db
            .store
            .seed_platform(&PlatformSeed::baisha(), &cli, now)
            .await
            .unwrap();
        let cfg = OperationsConfig::baisha_default().unwrap();
        let start = chrono::NaiveDate::from_ymd_opt(2026, 4, 1).unwrap();
        let c = Contract::from_bill(
            "白沙黎族自治县12345热线办公室",
            "示例运营服务有限公司",
            start,
            cfg.contract.final_payment_share_bp,
            cfg.contract.bill,
        )
        .unwrap();
        let ctx = OpsCtx {
            platform_id: p.id,
            actor: cli,
            user: rexian_operations::ids::UserId(0),
            now,
        };
        db.store.create_contract(&ctx, &c).await.unwrap();
        let dir = tempfile::tempdir().unwrap();
        let run = |args: &[&str]| {
            Command::new(BIN)
                .env_clear()
                .env("PATH", std::env::var("PATH").unwrap_or_default())
                .env("REXIAN_DATA_DIR", dir.path())
                .env("REXIAN_DATABASE_URL", &db.url)
                .env("REXIAN_LOG__LEVEL", "warn")
                .stdin(Stdio::null())
                .args(args)
                .output()
                .unwrap()
        };
        let out = run(&[
            "ops",
            "settlement",
            "--score",
            "91.5",
            "--period",
            "2026-10",
        ]);
        let text = String::from_utf8_lossy(&out.stdout);
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        // 1,406,000.00 × 30 % = 421,800.00; × 95 % = 400,710.00.
        assert!(
            text.contains("score 91.5 in band 90分至95分以下 → payment ratio 0.95"),
            "{text}"
        );
        assert!(
            text.contains("due 400710.00 yuan, withheld 21090.00 yuan"),
            "{text}"
        );
        // --ratio still works; both, or neither, are refused.
        let out = run(&["ops", "settlement", "--ratio", "1"]);
        assert!(
            String::from_utf8_lossy(&out.stdout).contains("withheld 0.00 yuan"),
            "{out:?}"
        );
        assert!(
            !run(&["ops", "settlement", "--ratio", "1", "--score", "99"])
                .status
                .success()
        );
        assert!(!run(&["ops", "settlement"]).status.success());
        // Rules that start after the period are not applied to it.
        let early = run(&[
            "ops",
            "settlement",
            "--score",
            "91.5",
            "--period",
            "2025-10",
        ]);
        assert!(
            String::from_utf8_lossy(&early.stderr).contains("apply from 2026-01-01"),
            "{early:?}"
        );
        let low = run(&["ops", "settlement", "--score=-3"]);
        assert!(String::from_utf8_lossy(&low.stderr).contains("--score"));
        // With only --period the score is the period's assessment from the stored records:
        // nothing stored for October, so every indicator is "no data" at full points.
        let out = run(&["ops", "settlement", "--period", "2026-10"]);
        let text = String::from_utf8_lossy(&out.stdout);
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(
            text.contains("assessment of") && text.contains("total 100"),
            "{text}"
        );
        assert!(
            text.contains("due 421800.00 yuan, withheld 0.00 yuan"),
            "{text}"
        );
    }
}
