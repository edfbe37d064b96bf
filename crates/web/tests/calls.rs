//! The CTI API and call figures: the real server on port 0, a manual clock, a day of calls
//! driven over HTTP on each backend, checked against figures computed by hand.

use std::sync::Arc;

use chrono::{DateTime, Duration, TimeZone, Utc};
use reqwest::StatusCode;
use rexian_domain::{Actor, Role};
use rexian_store::testing::{self, TestDb};
use rexian_store::{NewPlatform, NewUser, PlatformSeed};
use rexian_web::{AppState, WebSettings, hash_password_blocking, spawn_for_test};
use serde_json::{Value, json};

mod common;
use common::{PASSWORD, TestClock};

struct App {
    client: common::Client,
    clock: Arc<TestClock>,
    tokens: std::collections::HashMap<&'static str, String>,
    _db: TestDb,
}

/// 2026-10-01 09:00 Beijing time.
fn t0() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 10, 1, 1, 0, 0).unwrap()
}

impl App {
    async fn start(db: TestDb) -> App {
        let store = db.store.clone();
        let now = Utc::now();
        let cli = Actor::Cli {
            os_user: "test".into(),
        };
        let baisha = store
            .seed_platform(&PlatformSeed::baisha(), &cli, now)
            .await
            .unwrap()
            .id;
        let mut seed = PlatformSeed::baisha();
        seed.platform = NewPlatform {
            code: "other".into(),
            name: "另一县".into(),
            order_prefix: "OT".into(),
        };
        let other = store.seed_platform(&seed, &cli, now).await.unwrap().id;
        let hash = hash_password_blocking(PASSWORD).unwrap();
        let users: [(i64, &str, Role); 7] = [
            (baisha, "cti", Role::PlatformAdmin),
            (baisha, "a1", Role::Agent),
            (baisha, "a2", Role::Agent),
            (baisha, "a3", Role::Agent),
            (baisha, "lead", Role::ShiftLeader),
            (baisha, "office", Role::CountyOffice),
            (other, "cti2", Role::PlatformAdmin),
        ];
        for (platform, name, role) in users {
            let new = NewUser {
                username: name.into(),
                display_name: format!("{name} 名"),
                role,
                department_id: None,
                password_hash: hash.clone(),
            };
            store.create_user(platform, &new, &cli, now).await.unwrap();
        }
        let clock = TestClock::at(t0());
        let state = AppState::new(store, clock.clone(), WebSettings::default());
        let addr = spawn_for_test(state).await;
        let mut app = App {
            client: common::Client::new(addr),
            clock,
            tokens: Default::default(),
            _db: db,
        };
        for (_, name, _) in users {
            let token = app.client.login(name).await;
            app.tokens.insert(name, token);
        }
        app
    }

    /// Sets the clock to `t0 + seconds`.
    fn at(&self, seconds: i64) {
        self.clock.set(t0() + Duration::seconds(seconds));
    }

    async fn get(&self, who: &str, path: &str) -> (StatusCode, Value) {
        self.client.get(&self.tokens[who], path).await
    }

    async fn post(&self, who: &str, path: &str, body: Value) -> (StatusCode, Value) {
        self.client.post(&self.tokens[who], path, body).await
    }

    /// A step that must succeed.
    async fn ok(&self, seconds: i64, who: &str, path: &str, body: Value) -> Value {
        self.at(seconds);
        let (status, reply) = self.post(who, path, body).await;
        assert!(
            status.is_success(),
            "t0+{seconds}s {who} {path}: {status} {reply}"
        );
        reply
    }

    async fn arrive(&self, seconds: i64, id: &str, caller: &str) -> Value {
        self.ok(
            seconds,
            "cti",
            "/api/v1/cti/calls",
            json!({ "provincial_call_id": id, "caller": caller, "called": "12345" }),
        )
        .await
    }

    async fn call(&self, seconds: i64, id: &str, action: &str, body: Value) -> Value {
        self.ok(
            seconds,
            "cti",
            &format!("/api/v1/cti/calls/{id}/{action}"),
            body,
        )
        .await
    }

    async fn me(&self, seconds: i64, agent: &str, body: Value) -> Value {
        self.ok(seconds, agent, "/api/v1/cti/agents/me/state", body)
            .await
    }
}

fn offered_to(reply: &Value) -> Vec<String> {
    reply["events"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["event"]["type"] == "call_offered")
        .map(|e| e["event"]["agent"].as_str().unwrap().to_owned())
        .collect()
}

fn close(a: &Value, b: f64) -> bool {
    (a.as_f64().unwrap_or(f64::NAN) - b).abs() < 1e-9
}

#[tokio::test]
async fn a_day_of_calls_through_the_cti_api_gives_the_hand_computed_figures() {
    for db in testing::all_backends().await {
        let app = App::start(db).await;
        let empty = json!({});
        // Three agents sign in; a1 and a2 go ready, a3 stays not ready.
        for (s, a) in [(0, "a1"), (0, "a2"), (0, "a3")] {
            app.ok(
                s,
                a,
                "/api/v1/cti/agents/me/sign-in",
                json!({ "seat": format!("S-{a}") }),
            )
            .await;
        }
        app.me(0, "a1", json!({ "state": "ready" })).await;
        app.me(1, "a2", json!({ "state": "ready" })).await;

        // C1: longest idle is a1; answered after 4 s, 60 s talk, rated during wrap-up.
        let r = app.arrive(10, "C1", "13800000001").await;
        assert_eq!(offered_to(&r), ["a1"]);
        // The same arrive again changes nothing.
        app.at(12);
        let (status, dup) = app
            .post(
                "cti",
                "/api/v1/cti/calls",
                json!({ "provincial_call_id": "C1", "caller": "13800000001" }),
            )
            .await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(dup["duplicate"], true);
        app.call(14, "C1", "answer", json!({ "agent": "a1" })).await;

        // C2 goes to a2, who answers after 12 s.
        let r = app.arrive(20, "C2", "13800000002").await;
        assert_eq!(offered_to(&r), ["a2"]);
        // Out of order: a1 cannot answer a call ringing at a2; an `at` in the past is refused.
        app.at(25);
        let (status, err) = app
            .post(
                "cti",
                "/api/v1/cti/calls/C2/answer",
                json!({ "agent": "a1" }),
            )
            .await;
        assert_eq!(status, StatusCode::CONFLICT, "{err}");
        assert_eq!(err["error"]["code"], "conflict");
        let (status, err) = app
            .post(
                "cti",
                "/api/v1/cti/calls/C2/answer",
                json!({ "agent": "a2", "at": "2026-10-01T00:59:00Z" }),
            )
            .await;
        assert_eq!(status, StatusCode::CONFLICT, "{err}");
        assert_eq!(err["error"]["code"], "out_of_order");
        let (status, _) = app
            .post(
                "cti",
                "/api/v1/cti/calls/NOPE/answer",
                json!({ "agent": "a1" }),
            )
            .await;
        assert_eq!(status, StatusCode::NOT_FOUND);
        let (status, err) = app
            .post(
                "cti",
                "/api/v1/cti/calls",
                json!({ "provincial_call_id": "X", "caller": "1", "queue": "nope" }),
            )
            .await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(err["error"]["field"], "queue");
        // Agents may not report call events; the telephony account may not force states.
        let (status, _) = app
            .post(
                "a1",
                "/api/v1/cti/calls/C2/answer",
                json!({ "agent": "a1" }),
            )
            .await;
        assert_eq!(status, StatusCode::FORBIDDEN);

        // C3: a short abandon (3 s). C4: an abandon after 20 s, to be called back.
        app.arrive(30, "C3", "13800000003").await;
        app.call(32, "C2", "answer", json!({ "agent": "a2" })).await;
        app.call(33, "C3", "abandon", empty.clone()).await;
        app.arrive(45, "C4", "13800000004").await;
        app.call(65, "C4", "abandon", empty.clone()).await;

        app.call(74, "C1", "end", json!({ "by": "agent" })).await;
        app.call(80, "C1", "satisfaction", json!({ "rating": "satisfied" }))
            .await;
        app.call(100, "C2", "end", json!({ "by": "caller" })).await;
        // a2 ends wrap-up early (10 s); C1's wrap-up timer (30 s) fired at t0+104.
        app.me(110, "a2", json!({ "state": "wrap_up_end" })).await;
        // C2 is finished and stored: the rating lands on the stored record.
        app.call(
            120,
            "C2",
            "satisfaction",
            json!({ "rating": "dissatisfied" }),
        )
        .await;
        // C1 again after it finished: still nothing new.
        app.at(150);
        let (status, dup) = app
            .post(
                "cti",
                "/api/v1/cti/calls",
                json!({ "provincial_call_id": "C1", "caller": "13800000001" }),
            )
            .await;
        assert_eq!(
            (status, dup["duplicate"].clone()),
            (StatusCode::OK, json!(true))
        );

        // C5: a1 (idle since 104) does not answer; a2 takes it after 18 s in all.
        let r = app.arrive(200, "C5", "13800000005").await;
        assert_eq!(offered_to(&r), ["a1"]);
        let r = app
            .call(212, "C5", "ring-no-answer", json!({ "agent": "a1" }))
            .await;
        assert_eq!(offered_to(&r), ["a2"]);
        app.call(218, "C5", "answer", json!({ "agent": "a2" }))
            .await;
        app.me(220, "a1", json!({ "state": "ready" })).await;
        app.call(265, "C5", "end", json!({ "by": "caller" })).await;

        // The shift leader puts a3 to work; an agent may not.
        app.at(300);
        let (status, _) = app
            .post(
                "a1",
                "/api/v1/cti/agents/a3/force",
                json!({ "state": "ready" }),
            )
            .await;
        assert_eq!(status, StatusCode::FORBIDDEN);
        app.ok(
            300,
            "lead",
            "/api/v1/cti/agents/a3/force",
            json!({ "state": "ready" }),
        )
        .await;

        // C6: a1 answers after 2 s and transfers to a department after 40 s.
        let r = app.arrive(310, "C6", "13800000006").await;
        assert_eq!(offered_to(&r), ["a1"]);
        app.call(312, "C6", "answer", json!({ "agent": "a1" }))
            .await;
        app.call(
            352,
            "C6",
            "transfer",
            json!({ "target": { "kind": "department", "number": "0898-27722345" } }),
        )
        .await;

        // Everybody on break: C7 (C4's number again) overflows after 60 s; C9 abandons.
        app.me(400, "a1", json!({ "state": "break", "reason": "meal" }))
            .await;
        app.me(400, "a2", json!({ "state": "break", "reason": "training" }))
            .await;
        app.ok(
            400,
            "lead",
            "/api/v1/cti/agents/a3/force",
            json!({ "state": "on_break", "reason": "meeting" }),
        )
        .await;
        app.arrive(500, "C7", "13800000004").await;
        app.arrive(600, "C9", "13800000008").await;
        let (_, live) = app.get("lead", "/api/v1/cti/state").await;
        assert_eq!(live["calls"].as_array().unwrap().len(), 1, "{live}");
        assert_eq!(live["calls"][0]["caller"], "138****0008");
        app.call(620, "C9", "abandon", empty.clone()).await;
        // C9's caller calls again and gets through: no callback needed for that number.
        app.me(700, "a1", json!({ "state": "ready" })).await;
        app.arrive(710, "C10", "13800000008").await;
        app.call(713, "C10", "answer", json!({ "agent": "a1" }))
            .await;
        app.call(773, "C10", "end", json!({ "by": "agent" })).await;
        for a in ["a1", "a2", "a3"] {
            app.me(900, a, json!({ "state": "sign_out" })).await;
        }

        // The figures, by hand: offered = 4 completed + 1 transferred + 2 abandoned +
        // 1 overflowed = 8 (the short abandon apart); answered 5.
        let (status, f) = app
            .get(
                "office",
                "/api/v1/calls/figures?from=2026-10-01&to=2026-10-01",
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{f}");
        let fig = &f["figures"];
        assert_eq!(fig["calls"], 9, "{f}");
        assert_eq!(fig["offered"], 8);
        assert_eq!(fig["answered"], 5);
        assert_eq!(fig["abandoned"], 2);
        assert_eq!(fig["short_abandoned"], 1);
        assert_eq!(fig["overflowed"], 1);
        assert_eq!(fig["transferred"], 1);
        assert!(close(&fig["answer_rate"], 5.0 / 8.0), "{fig}");
        // Within 15 s: C1 4 s, C2 12 s, C6 2 s, C10 3 s; C5 waited 18 s.
        assert!(close(&fig["service_level_15s"], 0.8), "{fig}");
        assert!(close(
            &fig["asa_seconds"],
            (4.0 + 12.0 + 18.0 + 2.0 + 3.0) / 5.0
        ));
        // Handle = talk + wrap-up: C1 60+30, C2 68+10, C5 47+30, C6 40+30, C10 60+30.
        assert!(close(&fig["aht_seconds"], 405.0 / 5.0), "{fig}");
        assert!(close(&fig["longest_wait_seconds"], 60.0));
        assert_eq!(fig["satisfaction_rated"], 2);
        assert_eq!(fig["satisfaction_positive"], 1);
        assert!(f["definitions"].as_array().unwrap().len() >= 9);
        // a1's own: rang with C1, C5, C6, C10; answered C1, C6, C10.
        let (_, f) = app
            .get(
                "office",
                "/api/v1/calls/figures?from=2026-10-01&to=2026-10-01&agent=a1",
            )
            .await;
        assert_eq!(
            (
                f["figures"]["offered"].clone(),
                f["figures"]["answered"].clone()
            ),
            (json!(4), json!(3))
        );
        // Another day has nothing.
        let (_, f) = app
            .get(
                "office",
                "/api/v1/calls/figures?from=2026-10-02&to=2026-10-02",
            )
            .await;
        assert_eq!(f["figures"]["calls"], 0);
        assert_eq!(f["figures"]["answer_rate"], Value::Null);

        // Call records: masked numbers, C1 stored once, ratings stored.
        let (status, calls) = app.get("office", "/api/v1/calls?limit=50").await;
        assert_eq!(status, StatusCode::OK);
        let calls = calls.as_array().unwrap();
        assert_eq!(calls.len(), 9);
        let c1 = calls.iter().find(|c| c["dedup_key"] == "C1").unwrap();
        assert_eq!(c1["caller"], "138****0001");
        assert_eq!(c1["satisfaction"], "satisfied");
        let c2 = calls.iter().find(|c| c["dedup_key"] == "C2").unwrap();
        assert_eq!(c2["satisfaction"], "dissatisfied");
        let c7 = calls.iter().find(|c| c["dedup_key"] == "C7").unwrap();
        assert_eq!(
            (c7["outcome"].clone(), c7["overflow_reason"].clone()),
            (json!("overflowed"), json!("wait_too_long"))
        );
        // Another sub-platform sees none of it.
        let (_, theirs) = app.get("cti2", "/api/v1/calls").await;
        assert_eq!(theirs, json!([]));
        // A department handler's role cannot read calls; the county office cannot call back.
        let (status, _) = app.get("office", "/api/v1/calls/callbacks").await;
        assert_eq!(status, StatusCode::FORBIDDEN);

        // The callback list: C4's number, missed twice (abandon, overflow), folded into one;
        // C9's number got through later; the short abandon is not listed.
        let (status, list) = app.get("lead", "/api/v1/calls/callbacks").await;
        assert_eq!(status, StatusCode::OK);
        let list = list.as_array().unwrap();
        assert_eq!(list.len(), 1, "{list:?}");
        assert_eq!(list[0]["caller"], "13800000004");
        assert_eq!(list[0]["missed_count"], 2);
        let id = list[0]["id"].as_i64().unwrap();
        let path = format!("/api/v1/calls/callbacks/{id}/attempts");
        let cb = app
            .ok(1000, "a1", &path, json!({ "outcome": "no_answer" }))
            .await;
        assert_eq!(
            (cb["attempts"].clone(), cb["status"].clone()),
            (json!(1), json!("open"))
        );
        let cb = app
            .ok(
                1200,
                "a1",
                &path,
                json!({ "outcome": "reached", "note": "已答复" }),
            )
            .await;
        assert_eq!(cb["status"], "closed");
        app.at(1300);
        let (status, _) = app.post("a1", &path, json!({ "outcome": "reached" })).await;
        assert_eq!(status, StatusCode::CONFLICT);
        let (status, err) = app.post("a1", &path, json!({ "outcome": "maybe" })).await;
        assert_eq!(
            (status, err["error"]["field"].clone()),
            (StatusCode::UNPROCESSABLE_ENTITY, json!("outcome"))
        );
        let (_, list) = app.get("lead", "/api/v1/calls/callbacks").await;
        assert_eq!(list, json!([]));

        // Link a call to its work order; the event log has the call's events.
        let c1_id = c1["id"].as_i64().unwrap();
        let linked = app
            .ok(
                1300,
                "a1",
                &format!("/api/v1/calls/{c1_id}/order"),
                json!({ "order_id": 42 }),
            )
            .await;
        assert_eq!(linked["order_id"], 42);
        let (status, _) = app
            .post(
                "a1",
                &format!("/api/v1/calls/{c1_id}/order"),
                json!({ "order_id": 43 }),
            )
            .await;
        assert_eq!(status, StatusCode::CONFLICT);
        let (status, events) = app
            .get("lead", &format!("/api/v1/events?aggregate=call:{c1_id}"))
            .await;
        assert_eq!(status, StatusCode::OK, "{events}");
        let types: Vec<_> = events
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["event_type"].as_str().unwrap().to_owned())
            .collect();
        // Agent state changes outside the call round are in the event log, forced ones with
        // the shift leader's name.
        let (_, events) = app.get("lead", "/api/v1/events?aggregate=agent:a3").await;
        let forced: Vec<_> = events
            .as_array()
            .unwrap()
            .iter()
            .filter(|e| e["payload"]["forced_by"] == "lead")
            .map(|e| e["payload"]["to"]["state"].as_str().unwrap().to_owned())
            .collect();
        assert_eq!(forced, ["ready", "on_break"], "{events}");
        // C1 was rated during wrap-up, so its record was stored with the rating.
        assert_eq!(types, ["call.finished", "call.order_linked"]);
        let c2_id = c2["id"].as_i64().unwrap();
        let (_, events) = app
            .get("lead", &format!("/api/v1/events?aggregate=call:{c2_id}"))
            .await;
        assert_eq!(
            events[1]["event_type"], "call.satisfaction_recorded",
            "{events}"
        );
    }
}

/// Reads the stream until `needle` shows up (or fails after 5 s).
async fn read_until(resp: &mut reqwest::Response, seen: &mut String, needle: &str) {
    let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(5);
    while !seen.contains(needle) {
        let chunk = tokio::time::timeout_at(deadline, resp.chunk())
            .await
            .unwrap_or_else(|_| panic!("no {needle:?} in the stream: {seen}"))
            .unwrap()
            .expect("stream open");
        seen.push_str(&String::from_utf8_lossy(&chunk));
    }
}

#[tokio::test]
async fn the_live_stream_sends_a_snapshot_then_each_engine_event_and_the_api_is_documented() {
    let app = App::start(testing::sqlite().await).await;
    let mut resp = app
        .client
        .http
        .get(app.client.url("/api/v1/cti/stream"))
        .bearer_auth(&app.tokens["lead"])
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    assert!(
        resp.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/event-stream")
    );
    let mut seen = String::new();
    read_until(&mut resp, &mut seen, "event: snapshot").await;
    app.ok(5, "a1", "/api/v1/cti/agents/me/sign-in", json!({}))
        .await;
    app.me(6, "a1", json!({ "state": "ready" })).await;
    app.arrive(7, "S1", "13912345678").await;
    read_until(&mut resp, &mut seen, "call_offered").await;
    assert!(seen.contains("event: acd"), "{seen}");
    assert!(seen.contains("agent_state_changed"), "{seen}");
    assert!(
        !seen.contains("13912345678"),
        "full numbers never go out on the stream"
    );
    // Another sub-platform's stream does not carry these events.
    let mut theirs = app
        .client
        .http
        .get(app.client.url("/api/v1/cti/stream"))
        .bearer_auth(&app.tokens["cti2"])
        .send()
        .await
        .unwrap();
    let mut seen2 = String::new();
    read_until(&mut theirs, &mut seen2, "event: snapshot").await;
    app.call(9, "S1", "abandon", json!({})).await;
    read_until(&mut resp, &mut seen, "call_abandoned").await;
    tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    let more = tokio::time::timeout(std::time::Duration::from_millis(300), theirs.chunk()).await;
    if let Ok(Ok(Some(chunk))) = more {
        assert!(
            !String::from_utf8_lossy(&chunk).contains("call_abandoned"),
            "another sub-platform's events leaked"
        );
    }

    let doc: Value = app
        .client
        .http
        .get(app.client.url("/api/openapi.json"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    for path in [
        "/api/v1/cti/calls",
        "/api/v1/cti/calls/{provincial_call_id}/answer",
        "/api/v1/cti/agents/{agent}/force",
        "/api/v1/cti/stream",
        "/api/v1/calls/figures",
        "/api/v1/calls/callbacks/{id}/attempts",
    ] {
        assert!(doc["paths"].get(path).is_some(), "{path} is not documented");
    }
}

/// Occupancy from the logged agent states, by hand: a1 signed in 0–3600 s with a 600 s
/// meal break (3000 s working), a2 signed in 0–1800 s; one call with 300 s talk and 20 s
/// wrap-up (ended early). All agents: 320 ÷ 4800; a1: 320 ÷ 3000; a2: 0 ÷ 1800.
#[tokio::test]
async fn occupancy_is_handle_time_over_signed_in_time_minus_breaks() {
    for db in testing::all_backends().await {
        let app = App::start(db).await;
        let empty = json!({});
        for a in ["a1", "a2"] {
            app.ok(0, a, "/api/v1/cti/agents/me/sign-in", empty.clone())
                .await;
        }
        app.me(0, "a1", json!({"state": "ready"})).await;
        let r = app.arrive(100, "OCC-1", "13800000001").await;
        assert_eq!(offered_to(&r), ["a1"]);
        app.call(110, "OCC-1", "answer", json!({"agent": "a1"}))
            .await;
        app.call(410, "OCC-1", "end", json!({"by": "caller"})).await;
        app.me(430, "a1", json!({"state": "wrap_up_end"})).await;
        app.me(1000, "a1", json!({"state": "break", "reason": "meal"}))
            .await;
        app.me(1600, "a1", json!({"state": "ready"})).await;
        app.me(1800, "a2", json!({"state": "sign_out"})).await;
        app.me(3600, "a1", json!({"state": "sign_out"})).await;
        app.at(7200);
        for (query, expected) in [
            ("", 320.0 / 4800.0),
            ("&agent=a1", 320.0 / 3000.0),
            ("&agent=a2", 0.0),
        ] {
            let (status, body) = app
                .get(
                    "office",
                    &format!("/api/v1/calls/figures?from=2026-10-01&to=2026-10-01{query}"),
                )
                .await;
            assert_eq!(status, StatusCode::OK, "{body}");
            assert!(
                close(&body["figures"]["occupancy"], expected),
                "{query}: {} ≠ {expected}",
                body["figures"]["occupancy"]
            );
            if query.is_empty() {
                assert!(close(&body["figures"]["aht_seconds"], 320.0), "{body}");
            }
        }
        // Half-way through the day (clock at 1200 s), a period still running counts up to now:
        // a1 1000 s working (break from 1000 s), a2 1200 s.
        app.at(1200);
        let (_, body) = app
            .get(
                "office",
                "/api/v1/calls/figures?from=2026-10-01&to=2026-10-01",
            )
            .await;
        assert!(
            close(&body["figures"]["occupancy"], 320.0 / 2200.0),
            "{}",
            body["figures"]["occupancy"]
        );
    }
}
