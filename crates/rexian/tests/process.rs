//! The `rexian` binary as an operator runs it: start, kill, restart, command-line errors.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

const BIN: &str = env!("CARGO_BIN_EXE_rexian");
const PASSWORD: &str = "first admin password";

fn rexian(data_dir: &std::path::Path, db_url: Option<&str>) -> Command {
    let mut cmd = Command::new(BIN);
    cmd.env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("REXIAN_DATA_DIR", data_dir)
        .env("REXIAN_LOG__LEVEL", "warn")
        .stdin(Stdio::null());
    if let Some(url) = db_url {
        cmd.env("REXIAN_DATABASE_URL", url);
    }
    cmd
}

struct Server {
    child: Child,
    base: String,
}

impl Server {
    fn start(data_dir: &std::path::Path, db_url: Option<&str>) -> Server {
        let mut child = rexian(data_dir, db_url)
            .args(["serve", "--listen", "127.0.0.1:0"])
            .env("REXIAN_BOOTSTRAP__ADMIN_USERNAME", "admin")
            .env("REXIAN_BOOTSTRAP__ADMIN_PASSWORD", PASSWORD)
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("start rexian");
        let stdout = child.stdout.take().unwrap();
        let mut reader = BufReader::new(stdout);
        let mut first = String::new();
        reader.read_line(&mut first).unwrap();
        // Keep reading so the server never writes into a closed pipe.
        std::thread::spawn(move || std::io::copy(&mut reader, &mut std::io::sink()));
        let base = first
            .split("http://")
            .nth(1)
            .and_then(|s| s.split('/').next())
            .unwrap_or_else(|| panic!("no address in {first:?}"))
            .to_owned();
        Server {
            child,
            base: format!("http://{base}"),
        }
    }
}

async fn login(http: &reqwest::Client, base: &str) -> String {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let resp = http
            .post(format!("{base}/api/v1/auth/login"))
            .json(&json!({"username": "admin", "password": PASSWORD}))
            .send()
            .await;
        if let Ok(r) = resp {
            let body: Value = r.json().await.unwrap();
            return body["token"].as_str().expect("token").to_owned();
        }
        assert!(Instant::now() < deadline, "server did not answer");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Writes users from several clients, SIGKILLs the server mid-stream, restarts it, and
/// checks that every acknowledged user is there with its event, and that no user exists
/// without its event.
async fn acknowledged_writes_survive_sigkill(db_url: Option<String>) {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(dir.path(), db_url.as_deref());
    let http = reqwest::Client::new();
    let token = login(&http, &server.base).await;
    let acked = Arc::new(Mutex::new(Vec::<String>::new()));
    let mut writers = Vec::new();
    for w in 0..8 {
        let (http, base, token, acked) = (
            http.clone(),
            server.base.clone(),
            token.clone(),
            acked.clone(),
        );
        writers.push(tokio::spawn(async move {
            for i in 0.. {
                let name = format!("w{w}.u{i}");
                let resp = http
                    .post(format!("{base}/api/v1/users"))
                    .bearer_auth(&token)
                    .json(&json!({"username": name, "display_name": "测试", "role": "agent", "password": PASSWORD}))
                    .send()
                    .await;
                match resp {
                    Ok(r) if r.status() == 201 => acked.lock().unwrap().push(name),
                    Ok(r) => panic!("unexpected {}", r.status()),
                    Err(_) => break, // the server is gone
                }
            }
        }));
    }
    // Kill once a good number of writes were acknowledged (or after 20 s on a slow machine),
    // while the writers are still busy.
    let deadline = Instant::now() + Duration::from_secs(20);
    while acked.lock().unwrap().len() < 30 && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let mut child = server.child;
    child.kill().unwrap(); // SIGKILL
    child.wait().unwrap();
    for w in writers {
        w.await.unwrap();
    }
    let acked = acked.lock().unwrap().clone();
    assert!(
        acked.len() > 10,
        "only {} writes acknowledged before the kill",
        acked.len()
    );

    let server = Server::start(dir.path(), db_url.as_deref());
    let token = login(&http, &server.base).await;
    let users: Vec<Value> = http
        .get(format!("{}/api/v1/users", server.base))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let names: std::collections::HashSet<&str> = users
        .iter()
        .filter_map(|u| u["username"].as_str())
        .collect();
    for name in &acked {
        assert!(
            names.contains(name.as_str()),
            "acknowledged user {name} lost"
        );
    }
    for u in &users {
        let id = u["id"].as_i64().unwrap();
        let events: Vec<Value> = http
            .get(format!("{}/api/v1/events?aggregate=user:{id}", server.base))
            .bearer_auth(&token)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert_eq!(
            events.first().map(|e| e["event_type"].clone()),
            Some(json!("user.created")),
            "user {id} has no creation event"
        );
    }
    let mut child = server.child;
    child.kill().unwrap();
    child.wait().unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn acknowledged_writes_survive_sigkill_on_sqlite() {
    acknowledged_writes_survive_sigkill(None).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn acknowledged_writes_survive_sigkill_on_postgres() {
    let Some(db) = rexian_store::testing::postgres().await else {
        eprintln!("{} not set: skipped", rexian_store::testing::POSTGRES_ENV);
        return;
    };
    acknowledged_writes_survive_sigkill(Some(db.url.clone())).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_finishes_gracefully() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(dir.path(), None);
    let http = reqwest::Client::new();
    login(&http, &server.base).await;
    let started = Instant::now();
    let status = Command::new("kill")
        .args(["-TERM", &server.child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    let mut child = server.child;
    let exit = child.wait().unwrap();
    assert!(exit.success(), "exit {exit:?}");
    assert!(started.elapsed() < Duration::from_secs(5));
}

#[test]
fn unknown_or_missing_databases_are_clear_errors_that_create_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("nope/rexian.db");
    for (url, expect) in [
        (
            "mysql://root:secretpw@localhost/x".to_owned(),
            "not a database URL",
        ),
        (format!("sqlite:{}", missing.display()), "does not exist"),
    ] {
        let out = rexian(dir.path(), Some(&url))
            .arg("migrate")
            .output()
            .unwrap();
        assert!(!out.status.success());
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains(expect), "{err}");
        assert!(!err.contains("secretpw"), "password leaked: {err}");
    }
    assert!(!missing.exists());
    assert!(!dir.path().join("rexian.db").exists());
}

#[test]
fn migrate_seed_and_user_add_work_on_the_same_database() {
    let dir = tempfile::tempdir().unwrap();
    let out = rexian(dir.path(), None).arg("migrate").output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(dir.path().join("rexian.db").exists());
    let out = rexian(dir.path(), None)
        .args(["seed", "baisha"])
        .output()
        .unwrap();
    assert!(out.status.success());
    assert!(String::from_utf8_lossy(&out.stdout).contains("白沙县12345分平台"));
    let out = rexian(dir.path(), None)
        .args(["seed", "baisha"])
        .output()
        .unwrap();
    assert!(!out.status.success(), "seeding twice must fail");
    assert!(String::from_utf8_lossy(&out.stderr).contains("exists already"));

    let mut child = rexian(dir.path(), None)
        .args([
            "user",
            "add",
            "--username",
            "zhao",
            "--role",
            "manager",
            "--password-stdin",
        ])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    use std::io::Write;
    child
        .stdin
        .take()
        .unwrap()
        .write_all(b"a long enough password\n")
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );

    let out = rexian(dir.path(), None)
        .args([
            "user",
            "add",
            "--username",
            "x",
            "--role",
            "boss",
            "--password-stdin",
        ])
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("unknown role"));
}

#[test]
fn default_config_prints_the_annotated_defaults() {
    let out = Command::new(BIN).arg("default-config").output().unwrap();
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.contains("listen = \"127.0.0.1:8080\""));
    assert!(text.contains("# "), "annotated");
    let parsed: toml::Value = toml::from_str(&text).unwrap();
    assert_eq!(parsed["web"]["session_ttl_hours"].as_integer(), Some(12));
}
