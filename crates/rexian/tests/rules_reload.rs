//! The server reads its assessment rules again on SIGHUP; rules that do not load are
//! reported with the field at fault and the last good rules stay in force.
#![cfg(unix)]

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

const BIN: &str = env!("CARGO_BIN_EXE_rexian");
const PASSWORD: &str = "first admin password";

fn rules(version: &str, first_points: &str) -> String {
    rexian_assessment::BAISHA_DEFAULT_TOML
        .replacen(
            "version = \"baisha-2026.1\"",
            &format!("version = \"{version}\""),
            1,
        )
        .replacen("points = 20\n", &format!("points = {first_points}\n"), 1)
}

struct Server(Child);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn hangup(child: &Child) {
    let status = Command::new("kill")
        .args(["-HUP", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
}

async fn version_in_force(http: &reqwest::Client, base: &str, token: &str) -> String {
    let body: Value = http
        .get(format!("{base}/api/v1/assessment?period=2026-10"))
        .bearer_auth(token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    body["rules_version"]
        .as_str()
        .unwrap_or_else(|| panic!("no rules_version in {body}"))
        .to_owned()
}

/// Polls until the version in force is `want` (the reload happens after the signal).
async fn wait_for_version(http: &reqwest::Client, base: &str, token: &str, want: &str) {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let got = version_in_force(http, base, token).await;
        if got == want {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "rules {got:?}, expected {want:?}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test]
async fn sighup_reloads_the_rules_and_bad_rules_leave_the_last_good_ones() {
    let dir = tempfile::tempdir().unwrap();
    let rules_file = dir.path().join("assessment.toml");
    std::fs::write(&rules_file, rules("test-v1", "20")).unwrap();
    let config = dir.path().join("rexian.toml");
    std::fs::write(
        &config,
        format!(
            "assessment_rules = [{:?}]\n",
            rules_file.display().to_string()
        ),
    )
    .unwrap();
    let stderr_file = dir.path().join("stderr.log");
    let mut child = Command::new(BIN)
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("REXIAN_DATA_DIR", dir.path())
        .env("REXIAN_LOG__LEVEL", "warn")
        .env("REXIAN_BOOTSTRAP__ADMIN_USERNAME", "admin")
        .env("REXIAN_BOOTSTRAP__ADMIN_PASSWORD", PASSWORD)
        .args(["--config", config.to_str().unwrap()])
        .args(["serve", "--listen", "127.0.0.1:0"])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(std::fs::File::create(&stderr_file).unwrap())
        .spawn()
        .expect("start rexian");
    let mut reader = BufReader::new(child.stdout.take().unwrap());
    let mut first = String::new();
    reader.read_line(&mut first).unwrap();
    std::thread::spawn(move || std::io::copy(&mut reader, &mut std::io::sink()));
    let server = Server(child);
    let addr = first
        .split("http://")
        .nth(1)
        .and_then(|s| s.split('/').next())
        .unwrap_or_else(|| panic!("no address in {first:?}"));
    let base = format!("http://{addr}");
    let http = reqwest::Client::new();
    let login: Value = http
        .post(format!("{base}/api/v1/auth/login"))
        .json(&json!({"username": "admin", "password": PASSWORD}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let token = login["token"].as_str().expect("token").to_owned();
    assert_eq!(version_in_force(&http, &base, &token).await, "test-v1");

    // Negative points: refused, named, and v1 stays in force.
    std::fs::write(&rules_file, rules("test-v2-broken", "-20")).unwrap();
    hangup(&server.0);
    let deadline = Instant::now() + Duration::from_secs(10);
    let log = loop {
        let log = std::fs::read_to_string(&stderr_file).unwrap();
        if log.contains("NOT reloaded") {
            break log;
        }
        assert!(Instant::now() < deadline, "no reload error logged:\n{log}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    assert!(log.contains("points"), "the field is named:\n{log}");
    assert!(log.contains("assessment.toml"), "the file is named:\n{log}");
    assert_eq!(version_in_force(&http, &base, &token).await, "test-v1");

    // Fixed: the new version is in force after the next SIGHUP.
    std::fs::write(&rules_file, rules("test-v3", "20")).unwrap();
    hangup(&server.0);
    wait_for_version(&http, &base, &token, "test-v3").await;
}

#[test]
fn default_config_prints_each_rules_file_and_they_load() {
    let print = |file: &str| {
        let out = Command::new(BIN)
            .args(["default-config", "--file", file])
            .output()
            .unwrap();
        assert!(out.status.success(), "{file}: {out:?}");
        String::from_utf8(out.stdout).unwrap()
    };
    let assessment = print("assessment");
    let rules = rexian_assessment::RuleSet::from_toml_str(&assessment).unwrap();
    assert_eq!(rules.version(), "baisha-2026.1");
    assert!(print("server").contains("assessment_rules"));
    assert!(print("time-limits").contains("working_days"));
    assert!(print("holidays").contains("2026"));
    assert!(print("operations").contains("["));
    let bad = Command::new(BIN)
        .args(["default-config", "--file", "nonsense"])
        .output()
        .unwrap();
    assert!(!bad.status.success());
}
