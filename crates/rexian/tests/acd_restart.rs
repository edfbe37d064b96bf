//! The live ACD survives a SIGKILL: calls that arrived and agents that signed in (all
//! acknowledged) are back after a restart, and a call ended after it is stored once.

use std::io::{BufRead, BufReader, Write};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

const BIN: &str = env!("CARGO_BIN_EXE_rexian");
const PW: &str = "restart test password";

fn rexian(dir: &std::path::Path) -> Command {
    let mut cmd = Command::new(BIN);
    cmd.env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("REXIAN_DATA_DIR", dir)
        .env("REXIAN_LOG__LEVEL", "warn");
    cmd
}

fn add_user(dir: &std::path::Path, name: &str, role: &str) {
    let mut child = rexian(dir)
        .args([
            "user",
            "add",
            "--username",
            name,
            "--role",
            role,
            "--password-stdin",
        ])
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .spawn()
        .unwrap();
    writeln!(child.stdin.take().unwrap(), "{PW}").unwrap();
    assert!(child.wait().unwrap().success(), "user add {name}");
}

/// Kills the server when dropped, also when an assertion fails.
struct Guard(Child);

impl Drop for Guard {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn start(dir: &std::path::Path) -> (Guard, String) {
    let mut child = rexian(dir)
        .args(["serve", "--listen", "127.0.0.1:0"])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .unwrap();
    let mut reader = BufReader::new(child.stdout.take().unwrap());
    let mut first = String::new();
    reader.read_line(&mut first).unwrap();
    std::thread::spawn(move || std::io::copy(&mut reader, &mut std::io::sink()));
    let addr = first
        .split("http://")
        .nth(1)
        .and_then(|s| s.split('/').next())
        .unwrap_or_else(|| panic!("no address in {first:?}"))
        .to_owned();
    (Guard(child), format!("http://{addr}"))
}

struct Api {
    http: reqwest::Client,
    base: String,
}

impl Api {
    async fn login(&self, user: &str) -> String {
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            if let Ok(r) = self
                .http
                .post(format!("{}/api/v1/auth/login", self.base))
                .json(&json!({"username": user, "password": PW}))
                .send()
                .await
            {
                let body: Value = r.json().await.unwrap();
                return body["token"].as_str().expect("token").to_owned();
            }
            assert!(Instant::now() < deadline, "server did not answer");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    async fn post(&self, token: &str, path: &str, body: Value) -> (u16, Value) {
        let r = self
            .http
            .post(format!("{}{path}", self.base))
            .bearer_auth(token)
            .json(&body)
            .send()
            .await
            .unwrap();
        (r.status().as_u16(), r.json().await.unwrap_or(Value::Null))
    }

    async fn get(&self, token: &str, path: &str) -> Value {
        let r = self
            .http
            .get(format!("{}{path}", self.base))
            .bearer_auth(token)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status().as_u16(), 200, "GET {path}");
        r.json().await.unwrap()
    }

    /// Agents (id, state, calls answered today) and calls (id, phase, agent) of the board.
    async fn board(&self, token: &str) -> (Vec<Value>, Vec<Value>) {
        let s = self.get(token, "/api/v1/cti/state").await;
        let mut agents: Vec<Value> = s["agents"]
            .as_array()
            .unwrap()
            .iter()
            .map(|a| json!([a["id"], a["state"], a["answered_today"]]))
            .collect();
        let mut calls: Vec<Value> = s["calls"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| {
                json!([
                    c["provincial_call_id"],
                    c["phase"],
                    c["agent"],
                    c["arrived_at"]
                ])
            })
            .collect();
        agents.sort_by_key(|v| v.to_string());
        calls.sort_by_key(|v| v.to_string());
        (agents, calls)
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn live_calls_and_agents_survive_sigkill() {
    let dir = tempfile::tempdir().unwrap();
    let out = rexian(dir.path())
        .args(["seed", "baisha"])
        .output()
        .unwrap();
    assert!(out.status.success());
    add_user(dir.path(), "cti", "platform_admin");
    for a in ["agent1", "agent2", "agent3"] {
        add_user(dir.path(), a, "agent");
    }
    let (mut child, base) = start(dir.path());
    let api = Api {
        http: reqwest::Client::new(),
        base,
    };
    let cti = api.login("cti").await;
    let mut agent = Vec::new();
    for a in ["agent1", "agent2", "agent3"] {
        let t = api.login(a).await;
        let (st, _) = api
            .post(&t, "/api/v1/cti/agents/me/sign-in", json!({}))
            .await;
        assert_eq!(st, 200);
        agent.push(t);
    }
    let st = |s: &str| json!({"state": s});
    assert_eq!(
        api.post(&agent[0], "/api/v1/cti/agents/me/state", st("ready"))
            .await
            .0,
        200
    );
    assert_eq!(
        api.post(
            &agent[1],
            "/api/v1/cti/agents/me/state",
            json!({"state": "break", "reason": "meal"})
        )
        .await
        .0,
        200
    );
    // agent3 stays not ready. Call 1 rings at agent1 and is answered; call 2 waits.
    let arrive =
        |id: &str| json!({"provincial_call_id": id, "caller": "13800000001", "called": "12345"});
    assert_eq!(
        api.post(&cti, "/api/v1/cti/calls", arrive("P-1")).await.0,
        201
    );
    let (s, b) = api
        .post(
            &cti,
            "/api/v1/cti/calls/P-1/answer",
            json!({"agent": "agent1"}),
        )
        .await;
    assert_eq!(s, 200, "{b}");
    assert_eq!(
        api.post(&cti, "/api/v1/cti/calls", arrive("P-2")).await.0,
        201
    );
    let before = api.board(&cti).await;
    assert_eq!(before.0.len(), 3, "{before:?}");
    assert_eq!(before.1.len(), 2, "{before:?}");

    child.0.kill().unwrap(); // SIGKILL
    child.0.wait().unwrap();

    let (mut child, base) = start(dir.path());
    let api = Api {
        http: api.http.clone(),
        base,
    };
    let cti = api.login("cti").await;
    let after = api.board(&cti).await;
    assert_eq!(before, after, "the live state changed across the restart");

    // The same call arriving again is a duplicate; ending it stores its record once.
    let (s, b) = api.post(&cti, "/api/v1/cti/calls", arrive("P-1")).await;
    assert_eq!((s, b["duplicate"].clone()), (200, json!(true)));
    let (s, b) = api
        .post(&cti, "/api/v1/cti/calls/P-1/end", json!({"by": "caller"}))
        .await;
    assert_eq!(s, 200, "{b}");
    // The record is stored when agent1's wrap-up ends.
    let a1 = api.login("agent1").await;
    let (s, b) = api
        .post(
            &a1,
            "/api/v1/cti/agents/me/state",
            json!({"state": "wrap_up_end"}),
        )
        .await;
    assert_eq!(s, 200, "{b}");
    let calls = api
        .get(&cti, "/api/v1/calls?from=2000-01-01&to=2100-01-01")
        .await;
    let list = calls
        .as_array()
        .or_else(|| calls["items"].as_array())
        .cloned()
        .unwrap_or_default();
    let p1: Vec<&Value> = list.iter().filter(|c| c["dedup_key"] == "P-1").collect();
    assert_eq!(p1.len(), 1, "{calls}");
    assert_eq!(p1[0]["agent"], "agent1");
    // Still live after the restart: call 2 waits, agent2 is on break.
    let after_end = api.board(&cti).await;
    assert!(after_end.1.iter().any(|c| c[0] == "P-2"), "{after_end:?}");

    // A second kill and restart changes nothing and stores nothing twice.
    child.0.kill().unwrap();
    child.0.wait().unwrap();
    let (mut child, base) = start(dir.path());
    let api = Api {
        http: api.http.clone(),
        base,
    };
    let cti = api.login("cti").await;
    assert_eq!(api.board(&cti).await, after_end);
    let calls = api
        .get(&cti, "/api/v1/calls?from=2000-01-01&to=2100-01-01")
        .await;
    let list = calls
        .as_array()
        .or_else(|| calls["items"].as_array())
        .cloned()
        .unwrap_or_default();
    assert_eq!(list.iter().filter(|c| c["dedup_key"] == "P-1").count(), 1);
    child.0.kill().unwrap();
    child.0.wait().unwrap();
}
