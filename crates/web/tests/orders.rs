//! Work orders over HTTP: the real server on port 0, a fresh database of each backend, and a
//! clock the test moves.

use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, TimeZone, Utc};
use reqwest::StatusCode;
use rexian_domain::{Actor, AggregateRef, Role};
use rexian_store::testing::{self, TestDb};
use rexian_store::{NewPlatform, NewUser, PlatformSeed, Store};
use rexian_web::{AppState, WebSettings, hash_password_blocking, spawn_for_test};
use serde_json::{Value, json};

mod common;
use common::{PASSWORD, TestClock};

/// Monday 2026-11-23 10:00 Beijing time: a working day.
fn monday_10am() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 23, 2, 0, 0).unwrap()
}

struct App {
    client: common::Client,
    baisha: i64,
    dept_a: i64,
    dept_b: i64,
    clock: Arc<TestClock>,
    db: TestDb,
}

async fn seed(store: &Arc<dyn Store>) -> (i64, i64, i64) {
    let now = monday_10am();
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
    let depts = store.list_departments(baisha).await.unwrap();
    let (a, b) = (depts[0].id, depts[1].id);
    for (platform, name, role, dept) in [
        (baisha, "admin", Role::PlatformAdmin, None),
        (baisha, "agent1", Role::Agent, None),
        (baisha, "leader1", Role::ShiftLeader, None),
        (baisha, "county1", Role::CountyOffice, None),
        (baisha, "dept1", Role::DepartmentHandler, Some(a)),
        (baisha, "dept2", Role::DepartmentHandler, Some(b)),
        (other, "agent2", Role::Agent, None),
    ] {
        let new = NewUser {
            username: name.into(),
            display_name: format!("{name} 名"),
            role,
            department_id: dept,
            password_hash: hash.clone(),
        };
        store.create_user(platform, &new, &cli, now).await.unwrap();
    }
    (baisha, a, b)
}

impl std::ops::Deref for App {
    type Target = common::Client;
    fn deref(&self) -> &common::Client {
        &self.client
    }
}

impl App {
    async fn start(db: TestDb) -> App {
        let store = db.store.clone();
        let (baisha, dept_a, dept_b) = seed(&store).await;
        let clock = TestClock::at(monday_10am());
        let state = AppState::new(store.clone(), clock.clone(), WebSettings::default());
        let addr = spawn_for_test(state).await;
        App {
            client: common::Client::new(addr),
            baisha,
            dept_a,
            dept_b,
            clock,
            db,
        }
    }

    /// Runs an action that must succeed; returns the order after it.
    async fn act(&self, token: &str, id: i64, action: &str, body: Value) -> Value {
        let (status, out) = self
            .post(token, &format!("/api/v1/orders/{id}/{action}"), body)
            .await;
        assert_eq!(status, StatusCode::OK, "{action}: {out}");
        out["order"].clone()
    }

    /// Stores a change of order `id` from another process (a second store on the same
    /// database), as `update` makes it of the order as stored; that store and what it stored.
    async fn change_elsewhere(
        &self,
        id: i64,
        update: impl FnOnce(&rexian_store::WorkOrder) -> rexian_store::OrderUpdate,
    ) -> (Arc<dyn Store>, rexian_store::WorkOrder) {
        let elsewhere = rexian_store::open(&self.db.location).await.unwrap();
        let stored = elsewhere.order(self.baisha, id).await.unwrap().unwrap();
        let theirs = elsewhere
            .update_order(&stored, &update(&stored), &[], monday_10am())
            .await
            .unwrap();
        (elsewhere, theirs)
    }

    async fn create(&self, token: &str, body: Value) -> Value {
        let (status, order) = self.post(token, "/api/v1/orders", body).await;
        assert_eq!(status, StatusCode::CREATED, "{order}");
        order
    }
}

fn new_order() -> Value {
    json!({
        "kind": "complaint",
        "category_code": "03.01",
        "title": "牙叉镇某小区停水三天",
        "content": "小区从周五起停水，至今未恢复，也无通知。",
        "caller_name": "王先生",
        "caller_phone": "13812345678",
        "town": "yacha",
        "address": "牙叉镇白沙大道 12 号",
    })
}

async fn each_backend<F, Fut>(test: F)
where
    F: Fn(App) -> Fut,
    Fut: std::future::Future<Output = ()>,
{
    for db in testing::all_backends().await {
        test(App::start(db).await).await;
    }
}

async fn event_log(app: &App, token: &str, id: i64) -> Vec<(String, String)> {
    let (status, events) = app
        .get(token, &format!("/api/v1/events?aggregate=order:{id}"))
        .await;
    assert_eq!(status, StatusCode::OK, "{events}");
    events
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            (
                e["event_type"].as_str().unwrap().to_owned(),
                e["actor"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

#[tokio::test]
async fn the_full_path_through_reopen_and_close_with_events_and_actors() {
    each_backend(|app| async move {
        let agent = app.login("agent1").await;
        let leader = app.login("leader1").await;
        let dept = app.login("dept1").await;
        let me = |t: &str| {
            let t = t.to_owned();
            let app = &app;
            async move { app.get(&t, "/api/v1/me").await.1["id"].as_i64().unwrap() }
        };
        let (agent_id, leader_id, dept_id) = (me(&agent).await, me(&leader).await, me(&dept).await);

        let order = app.create(&agent, new_order()).await;
        let id = order["id"].as_i64().unwrap();
        assert_eq!(order["number"], "BS202611230001");
        assert_eq!(order["state"], "registered");
        assert_eq!(order["caller_phone"], "13812345678", "an agent sees the number");

        app.act(&agent, id, "submit", json!({})).await;
        let o = app
            .act(&leader, id, "dispatch", json!({ "lead_department_id": app.dept_a }))
            .await;
        assert_eq!(o["state"], "dispatched");
        assert_eq!(o["lead_department_id"], app.dept_a);
        // Sign within 1 working day: the end of Tuesday, Beijing time.
        assert_eq!(o["sign_due_at"], "2026-11-24T15:59:59.999Z");

        // The department finds it in its inbox; the caller's phone is masked there.
        let (status, inbox) = app
            .get(&dept, &format!("/api/v1/departments/{}/inbox", app.dept_a))
            .await;
        assert_eq!(status, StatusCode::OK, "{inbox}");
        assert_eq!(inbox["orders"][0]["id"], id);
        assert_eq!(inbox["orders"][0]["caller_phone"], "138****5678");
        assert_eq!(inbox["orders"][0]["allowed_actions"], json!(["sign", "request_return"]));
        // A page of one: the cursor names its deadline and id; the page after it is empty.
        let inbox_path = format!("/api/v1/departments/{}/inbox", app.dept_a);
        let (_, first) = app.get(&dept, &format!("{inbox_path}?limit=1")).await;
        let cursor = first["next_cursor"].as_str().unwrap().to_owned();
        let due = o["handle_due_at"].as_str().unwrap();
        assert_eq!(cursor, format!("{due},{id}"));
        let (status, next) = app
            .get(&dept, &format!("{inbox_path}?limit=1&cursor={cursor}"))
            .await;
        assert_eq!(status, StatusCode::OK, "{next}");
        assert_eq!(next["orders"], json!([]));
        assert_eq!(next["next_cursor"], Value::Null);
        let (status, bad) = app
            .get(&dept, &format!("{inbox_path}?cursor=yesterday"))
            .await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{bad}");
        assert_eq!(bad["error"]["field"], "cursor");

        app.act(&dept, id, "sign", json!({})).await;
        app.act(&dept, id, "start", json!({})).await;
        app.act(&dept, id, "reply", json!({ "content": "已协调供水公司抢修。" }))
            .await;
        app.act(&leader, id, "approve-reply", json!({})).await;

        let (status, cats) = app.get(&dept, "/api/v1/matter-categories").await;
        assert_eq!(status, StatusCode::OK);
        assert!(cats.as_array().unwrap().iter().any(|c| c["code"] == "03.01"));
        let (_, callbacks) = app.get(&agent, "/api/v1/callbacks").await;
        assert_eq!(callbacks["orders"][0]["id"], id);
        let o = app
            .act(
                &agent,
                id,
                "callback",
                json!({ "outcome": { "status": "reached", "resolved": false, "satisfaction": "dissatisfied" } }),
            )
            .await;
        assert_eq!(o["state"], "callback_done");
        let o = app
            .act(&leader, id, "reopen", json!({ "reason": "市民反映仍未供水" }))
            .await;
        assert_eq!(o["state"], "reopened");
        assert_eq!(o["reopen_count"], 1);
        app.act(&dept, id, "start", json!({})).await;
        app.act(&dept, id, "reply", json!({ "content": "管道已修复，已恢复供水。" }))
            .await;
        app.act(&leader, id, "approve-reply", json!({})).await;
        app.act(
            &agent,
            id,
            "callback",
            json!({ "outcome": { "status": "reached", "resolved": true, "satisfaction": "satisfied" } }),
        )
        .await;
        let o = app.act(&agent, id, "close", json!({})).await;
        assert_eq!(o["state"], "closed");
        assert_eq!(o["allowed_actions"], json!([]));

        let agent_actor = format!("user:{agent_id}:agent1");
        let leader_actor = format!("user:{leader_id}:leader1");
        let dept_actor = format!("user:{dept_id}:dept1");
        let expected: Vec<(&str, &String)> = vec![
            ("order.registered", &agent_actor),
            ("order.submitted", &agent_actor),
            ("order.dispatched", &leader_actor),
            ("order.signed", &dept_actor),
            ("order.started", &dept_actor),
            ("order.replied", &dept_actor),
            ("order.reply_approved", &leader_actor),
            ("order.called_back", &agent_actor),
            ("order.reopened", &leader_actor),
            ("order.started", &dept_actor),
            ("order.replied", &dept_actor),
            ("order.reply_approved", &leader_actor),
            ("order.called_back", &agent_actor),
            ("order.closed", &agent_actor),
        ];
        let log = event_log(&app, &leader, id).await;
        let log: Vec<(&str, &String)> = log.iter().map(|(t, a)| (t.as_str(), a)).collect();
        assert_eq!(log, expected);

        // The citizen sees the state and the approved reply, with the last 4 digits only.
        let (status, public) = app
            .http
            .get(app.url("/api/v1/public/orders/BS202611230001?phone_last4=5678"))
            .send()
            .await
            .map(|r| (r.status(), r))
            .unwrap();
        assert_eq!(status, StatusCode::OK);
        let public: Value = public.json().await.unwrap();
        assert_eq!(
            public,
            json!({ "number": "BS202611230001", "state": "closed", "state_label": "办结归档",
                    "public_reply": "管道已修复，已恢复供水。" })
        );
        let wrong = app
            .http
            .get(app.url("/api/v1/public/orders/BS202611230001?phone_last4=0000"))
            .send()
            .await
            .unwrap();
        assert_eq!(wrong.status(), StatusCode::NOT_FOUND);
        let bad = app
            .http
            .get(app.url("/api/v1/public/orders/BS202611230001?phone_last4=56"))
            .send()
            .await
            .unwrap();
        assert_eq!(bad.status(), StatusCode::UNPROCESSABLE_ENTITY);
    })
    .await;
}

#[tokio::test]
async fn refusals_name_the_state_the_role_and_the_field() {
    each_backend(|app| async move {
        let agent = app.login("agent1").await;
        let leader = app.login("leader1").await;
        let dept = app.login("dept1").await;
        let id = app.create(&agent, new_order()).await["id"]
            .as_i64()
            .unwrap();

        // 409: closing a registered order; the body says the state and what is possible.
        let (status, body) = app
            .post(&agent, &format!("/api/v1/orders/{id}/close"), json!({}))
            .await;
        assert_eq!(status, StatusCode::CONFLICT, "{body}");
        assert_eq!(body["error"]["code"], "illegal_transition");
        assert_eq!(body["error"]["current_state"], "registered");
        // Chinese first, English beside: the clerk reads the state and the action in Chinese.
        let message = body["error"]["message"].as_str().unwrap_or_default();
        assert!(
            message.starts_with("工单当前为「已受理」，不能办结归档")
                && message.contains("is not possible while the order is registered"),
            "{message}"
        );
        assert_eq!(
            body["error"]["allowed_actions"],
            json!([
                "resolve_directly",
                "submit_for_dispatch",
                "transfer_to_emergency"
            ])
        );

        // 403: an agent may not dispatch, whatever the body.
        let (status, body) = app
            .post(&agent, &format!("/api/v1/orders/{id}/dispatch"), json!({}))
            .await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
        assert_eq!(body["error"]["needed_roles"], json!(["shift_leader"]));
        let message = body["error"]["message"].as_str().unwrap_or_default();
        assert!(message.starts_with("无权派单："), "{message}");

        // 422 naming the field: unknown department, over-long reply, bad phone, title, category.
        app.act(&agent, id, "submit", json!({})).await;
        let (status, body) = app
            .post(
                &leader,
                &format!("/api/v1/orders/{id}/dispatch"),
                json!({ "lead_department_id": 999_999 }),
            )
            .await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
        assert_eq!(body["error"]["field"], "lead_department_id");
        app.act(
            &leader,
            id,
            "dispatch",
            json!({ "lead_department_id": app.dept_a }),
        )
        .await;
        app.act(&dept, id, "sign", json!({})).await;
        app.act(&dept, id, "start", json!({})).await;
        let (status, body) = app
            .post(
                &dept,
                &format!("/api/v1/orders/{id}/reply"),
                json!({ "content": "字".repeat(5001) }),
            )
            .await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
        assert_eq!(body["error"]["field"], "content");
        assert_eq!(body["error"]["current_state"], "in_progress");

        for (field, value) in [
            ("caller_phone", json!("12345abc")),
            ("title", json!("长".repeat(201))),
            ("category_code", json!("77.77")),
            ("town", json!("atlantis")),
        ] {
            let mut body = new_order();
            body[field] = value;
            let (status, out) = app.post(&agent, "/api/v1/orders", body).await;
            assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{field}: {out}");
            assert_eq!(out["error"]["field"], field);
        }
        // Nothing half-applied: still exactly one order.
        let (_, list) = app.get(&agent, "/api/v1/orders").await;
        assert_eq!(list["orders"].as_array().unwrap().len(), 1);
    })
    .await;
}

#[tokio::test]
async fn the_same_idempotency_key_creates_one_order() {
    each_backend(|app| async move {
        let agent = app.login("agent1").await;
        let send = || {
            app.http
                .post(app.url("/api/v1/orders"))
                .bearer_auth(&agent)
                .header("Idempotency-Key", "call-7781-reg")
                .json(&new_order())
                .send()
        };
        let first = send().await.unwrap();
        assert_eq!(first.status(), StatusCode::CREATED);
        let first: Value = first.json().await.unwrap();
        let again = send().await.unwrap();
        assert_eq!(again.status(), StatusCode::OK);
        let again: Value = again.json().await.unwrap();
        assert_eq!(first["id"], again["id"]);
        assert_eq!(first["number"], again["number"]);
        let (_, list) = app.get(&agent, "/api/v1/orders").await;
        assert_eq!(list["orders"].as_array().unwrap().len(), 1);
        let log = event_log(
            &app,
            &app.login("leader1").await,
            first["id"].as_i64().unwrap(),
        )
        .await;
        assert_eq!(log.len(), 1, "one order.registered event");
    })
    .await;
}

#[tokio::test]
async fn other_departments_and_other_sub_platforms_see_nothing() {
    each_backend(|app| async move {
        let agent = app.login("agent1").await;
        let leader = app.login("leader1").await;
        let county = app.login("county1").await;
        let dept1 = app.login("dept1").await;
        let dept2 = app.login("dept2").await;
        let mut body = new_order();
        body["confidential"] = json!(true);
        let id = app.create(&agent, body).await["id"].as_i64().unwrap();
        app.act(&agent, id, "submit", json!({})).await;
        app.act(
            &leader,
            id,
            "dispatch",
            json!({ "lead_department_id": app.dept_a }),
        )
        .await;

        // The lead department sees it, without the caller (confidential).
        let (status, o) = app.get(&dept1, &format!("/api/v1/orders/{id}")).await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(o["caller_name"], Value::Null);
        assert_eq!(o["caller_phone"], Value::Null);
        // The county office neither; the agent sees the caller in full.
        let (_, o) = app.get(&county, &format!("/api/v1/orders/{id}")).await;
        assert_eq!(o["caller_phone"], Value::Null);
        let (_, o) = app.get(&agent, &format!("/api/v1/orders/{id}")).await;
        assert_eq!(o["caller_phone"], "13812345678");
        assert_eq!(o["caller_name"], "王先生");
        // On an order that is not confidential the county office sees the phone masked.
        let plain = app.create(&agent, new_order()).await["id"]
            .as_i64()
            .unwrap();
        let (_, o) = app.get(&county, &format!("/api/v1/orders/{plain}")).await;
        assert_eq!(o["caller_phone"], "138****5678");

        // The lead department reads its order's history, though not the audit trail.
        let history = format!("/api/v1/orders/{id}/history");
        let (status, events) = app.get(&dept1, &history).await;
        assert_eq!(status, StatusCode::OK, "{events}");
        let types: Vec<&str> = events
            .as_array()
            .unwrap()
            .iter()
            .filter_map(|e| e["event_type"].as_str())
            .collect();
        assert_eq!(
            types,
            ["order.registered", "order.submitted", "order.dispatched"]
        );
        assert!(!events.to_string().contains("13812345678"), "{events}");
        let audit = format!("/api/v1/events?aggregate=order:{id}");
        assert_eq!(app.get(&dept1, &audit).await.0, StatusCode::FORBIDDEN);

        // Another department: neither see nor act, nor open the other inbox.
        let path = format!("/api/v1/orders/{id}");
        assert_eq!(app.get(&dept2, &path).await.0, StatusCode::NOT_FOUND);
        assert_eq!(app.get(&dept2, &history).await.0, StatusCode::NOT_FOUND);
        let (status, _) = app
            .post(&dept2, &format!("/api/v1/orders/{id}/sign"), json!({}))
            .await;
        assert_eq!(status, StatusCode::NOT_FOUND);
        let (_, list) = app.get(&dept2, "/api/v1/orders").await;
        assert_eq!(list["orders"], json!([]));
        let (status, _) = app
            .get(&dept2, &format!("/api/v1/departments/{}/inbox", app.dept_a))
            .await;
        assert_eq!(status, StatusCode::FORBIDDEN);
        let (status, inbox) = app
            .get(&dept2, &format!("/api/v1/departments/{}/inbox", app.dept_b))
            .await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(inbox["orders"], json!([]));

        // Another sub-platform: 404 for the order, its number and the department.
        let other = app.login("agent2").await;
        assert_eq!(app.get(&other, &path).await.0, StatusCode::NOT_FOUND);
        let (status, _) = app
            .post(&other, &format!("/api/v1/orders/{id}/close"), json!({}))
            .await;
        assert_eq!(status, StatusCode::NOT_FOUND);
        let by_number = "/api/v1/orders/by-number/BS202611230001";
        assert_eq!(app.get(&other, by_number).await.0, StatusCode::NOT_FOUND);
        assert_eq!(app.get(&agent, by_number).await.0, StatusCode::OK);
        let (status, _) = app
            .get(&other, &format!("/api/v1/departments/{}/inbox", app.dept_a))
            .await;
        assert_eq!(status, StatusCode::NOT_FOUND);
        let _ = app.baisha;
    })
    .await;
}

#[tokio::test]
async fn list_filters_and_cursor() {
    each_backend(|app| async move {
        let agent = app.login("agent1").await;
        let leader = app.login("leader1").await;
        let mut ids = Vec::new();
        for i in 0..5 {
            let mut body = new_order();
            body["kind"] = json!(if i % 2 == 0 {
                "complaint"
            } else {
                "consultation"
            });
            body["title"] = json!(format!("第{i}号 路灯不亮"));
            ids.push(app.create(&agent, body).await["id"].as_i64().unwrap());
        }
        let (_, page1) = app.get(&agent, "/api/v1/orders?limit=2").await;
        assert_eq!(page1["orders"][0]["id"], ids[4]);
        assert_eq!(
            page1["orders"][0]["caller_phone"], "138****5678",
            "masked in lists"
        );
        let cursor = page1["next_cursor"].as_i64().unwrap();
        let (_, page2) = app
            .get(&agent, &format!("/api/v1/orders?limit=2&cursor={cursor}"))
            .await;
        assert_eq!(page2["orders"][0]["id"], ids[2]);
        let (_, c) = app.get(&agent, "/api/v1/orders?kind=consultation").await;
        assert_eq!(c["orders"].as_array().unwrap().len(), 2);
        let (_, t) = app
            .get(&agent, "/api/v1/orders?q=%E7%AC%AC3%E5%8F%B7")
            .await;
        assert_eq!(t["orders"].as_array().unwrap().len(), 1);
        let (_, p) = app
            .get(
                &agent,
                "/api/v1/orders?caller_phone=13812345678&state=registered",
            )
            .await;
        assert_eq!(p["orders"].as_array().unwrap().len(), 5);

        // Overdue: dispatch one, move the clock past its sign deadline.
        app.act(&agent, ids[0], "submit", json!({})).await;
        app.act(
            &leader,
            ids[0],
            "dispatch",
            json!({ "lead_department_id": app.dept_a }),
        )
        .await;
        let (_, o) = app.get(&agent, "/api/v1/orders?overdue=true").await;
        assert_eq!(o["orders"], json!([]));
        app.clock.set(monday_10am() + chrono::Duration::days(2));
        let agent = app.login("agent1").await; // the old session expired meanwhile
        let (_, o) = app.get(&agent, "/api/v1/orders?overdue=true").await;
        assert_eq!(o["orders"][0]["id"], ids[0]);
        assert_eq!(o["orders"][0]["overdue"], json!(["sign"]));
        let (_, o) = app.get(&agent, "/api/v1/orders?overdue=false").await;
        assert_eq!(o["orders"].as_array().unwrap().len(), 4);
        let (status, body) = app.get(&agent, "/api/v1/orders?state=nonsense").await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(body["error"]["field"], "state");
    })
    .await;
}

async fn wait_for_event(store: &Arc<dyn Store>, platform: i64, id: i64, kind: &str) -> usize {
    for _ in 0..100 {
        let n = count_events(store, platform, id, kind).await;
        if n > 0 {
            return n;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    0
}

async fn count_events(store: &Arc<dyn Store>, platform: i64, id: i64, kind: &str) -> usize {
    store
        .events(platform, &AggregateRef::new("order", id), None, 1000)
        .await
        .unwrap()
        .iter()
        .filter(|e| e.event_type == kind && e.actor == "system:timers")
        .count()
}

#[tokio::test]
async fn an_overdue_event_fires_once_after_the_server_was_down() {
    for db in testing::all_backends().await {
        let store = db.store.clone();
        let (baisha, dept_a, _) = seed(&store).await;
        let clock = TestClock::at(monday_10am());

        // First run: register and dispatch; nothing is due yet.
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let state = AppState::new(store.clone(), clock.clone(), WebSettings::default());
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let server = tokio::spawn(rexian_web::serve(listener, state, async {
            let _ = stopped.await;
        }));
        let app = App {
            client: common::Client::new(addr),
            baisha,
            dept_a,
            dept_b: 0,
            clock: clock.clone(),
            db,
        };
        let agent = app.login("agent1").await;
        let leader = app.login("leader1").await;
        let id = app.create(&agent, new_order()).await["id"]
            .as_i64()
            .unwrap();
        app.act(&agent, id, "submit", json!({})).await;
        app.act(
            &leader,
            id,
            "dispatch",
            json!({ "lead_department_id": dept_a }),
        )
        .await;
        tokio::time::sleep(Duration::from_millis(1500)).await;
        assert_eq!(
            count_events(&store, baisha, id, "order.sign_overdue").await,
            0
        );
        drop(app.client);
        stop.send(()).unwrap();
        server.await.unwrap().unwrap();

        // Down over Tuesday night: the sign deadline passes. Start again on the same database.
        clock.set(monday_10am() + chrono::Duration::days(2));
        let reopened = rexian_store::open(&app.db.location).await.unwrap();
        let state = AppState::new(reopened.clone(), clock.clone(), WebSettings::default());
        let _addr = spawn_for_test(state).await;
        assert_eq!(
            wait_for_event(&reopened, baisha, id, "order.sign_overdue").await,
            1,
            "the missed overdue event fires after the restart"
        );
        // Several more passes (and more time) later it has still fired only once.
        tokio::time::sleep(Duration::from_millis(2500)).await;
        clock.set(monday_10am() + chrono::Duration::days(2) + chrono::Duration::minutes(5));
        tokio::time::sleep(Duration::from_millis(1500)).await;
        assert_eq!(
            count_events(&reopened, baisha, id, "order.sign_overdue").await,
            1
        );
        let order = reopened.order(baisha, id).await.unwrap().unwrap();
        assert_eq!(order.state.code(), "dispatched");
        assert!(
            order.supervision_level.code() != "none",
            "supervision raised"
        );
        drop(app.db);
    }
}

/// The server acts on its own copy of an order it wrote last. When another process (here a
/// second store on the same database) changed the order meanwhile, the action still runs, on
/// the order as stored, instead of failing on the stale copy.
#[tokio::test]
async fn an_action_after_another_process_changed_the_order_uses_the_stored_order() {
    each_backend(|app| async move {
        let agent = app.login("agent1").await;
        let leader = app.login("leader1").await;
        let id = app.create(&agent, new_order()).await["id"]
            .as_i64()
            .unwrap();
        app.act(&agent, id, "submit", json!({})).await;

        // Another process stores a change (here a reply text); the order's version moves past
        // the one the server's copy has.
        let (elsewhere, theirs) = app
            .change_elsewhere(id, |stored| rexian_store::OrderUpdate {
                snapshot: stored.snapshot.clone(),
                lead_department_id: None,
                reply_content: Some("另一进程写入 written elsewhere".into()),
                publish_reply: false,
                next_timer_at: stored.next_timer_at,
            })
            .await;

        let order = app
            .act(
                &leader,
                id,
                "dispatch",
                json!({ "lead_department_id": app.dept_a }),
            )
            .await;
        assert_eq!(order["state"], "dispatched");
        assert_eq!(order["version"], theirs.version + 1, "{order}");
        let now = elsewhere.order(app.baisha, id).await.unwrap().unwrap();
        assert_eq!(now.version, theirs.version + 1);
        assert_eq!(
            now.reply_content.as_deref(),
            Some("另一进程写入 written elsewhere"),
            "the other process's change is kept"
        );
    })
    .await;
}

/// A refusal must not come from a stale copy either: another process dispatched the order
/// after the server last wrote it, and the department's sign-for is judged on the stored
/// order (dispatched to it), not on the copy (pending dispatch, no department).
#[tokio::test]
async fn a_refusal_is_judged_on_the_stored_order_not_a_stale_copy() {
    each_backend(|app| async move {
        let agent = app.login("agent1").await;
        let dept = app.login("dept1").await;
        let id = app.create(&agent, new_order()).await["id"]
            .as_i64()
            .unwrap();
        app.act(&agent, id, "submit", json!({})).await;

        let code = app.db.store.list_departments(app.baisha).await.unwrap()[0]
            .code
            .clone();
        app.change_elsewhere(id, |stored| {
            let dispatch = rexian_orders::Action::Dispatch {
                lead_department: rexian_orders::DepartmentCode::parse(&code).unwrap(),
                assisting_departments: vec![],
            };
            let t = rexian_orders::apply(
                &stored.snapshot,
                &dispatch,
                &rexian_orders::Actor::user(Role::ShiftLeader),
                monday_10am(),
                &rexian_orders::Calendar::bundled(),
                &rexian_orders::TimeLimits::bundled(),
            )
            .unwrap();
            rexian_store::OrderUpdate {
                snapshot: t.order,
                lead_department_id: Some(app.dept_a),
                reply_content: None,
                publish_reply: false,
                next_timer_at: None,
            }
        })
        .await;

        let order = app.act(&dept, id, "sign", json!({})).await;
        assert_eq!(order["state"], "signed", "{order}");
    })
    .await;
}

#[tokio::test]
async fn concurrent_actions_on_one_order_apply_once_and_the_api_is_documented() {
    each_backend(|app| async move {
        let agent = app.login("agent1").await;
        let leader = app.login("leader1").await;
        let dept = app.login("dept1").await;
        let id = app.create(&agent, new_order()).await["id"]
            .as_i64()
            .unwrap();
        app.act(&agent, id, "submit", json!({})).await;
        app.act(
            &leader,
            id,
            "dispatch",
            json!({ "lead_department_id": app.dept_a }),
        )
        .await;
        let path = format!("/api/v1/orders/{id}/sign");
        let results = futures_join(
            app.post(&dept, &path, json!({})),
            app.post(&dept, &path, json!({})),
        )
        .await;
        let mut statuses = [results.0.0, results.1.0];
        statuses.sort();
        assert_eq!(
            statuses,
            [StatusCode::OK, StatusCode::CONFLICT],
            "{results:?}"
        );
        let log = event_log(&app, &leader, id).await;
        assert_eq!(log.iter().filter(|(t, _)| t == "order.signed").count(), 1);

        let doc: Value = app
            .http
            .get(app.url("/api/openapi.json"))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        for p in [
            "/api/v1/orders",
            "/api/v1/orders/{id}",
            "/api/v1/orders/by-number/{number}",
            "/api/v1/orders/{id}/sign",
            "/api/v1/orders/{id}/reopen",
            "/api/v1/departments/{id}/inbox",
            "/api/v1/callbacks",
            "/api/v1/public/orders/{number}",
        ] {
            assert!(doc["paths"].get(p).is_some(), "{p} missing from OpenAPI");
        }
    })
    .await;
}

async fn futures_join<A, B>(a: A, b: B) -> (A::Output, B::Output)
where
    A: std::future::Future,
    B: std::future::Future,
{
    tokio::join!(a, b)
}

#[tokio::test]
async fn an_administrator_sets_a_year_and_new_deadlines_follow_it() {
    each_backend(|app| async move {
        let admin = app.login("admin").await;
        let agent = app.login("agent1").await;
        let leader = app.login("leader1").await;
        let (status, year) = app.get(&agent, "/api/v1/calendar/2026").await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(year["has_schedule"], true);
        assert!(
            year["holidays"]
                .as_array()
                .unwrap()
                .contains(&json!("2026-10-05"))
        );
        assert!(
            year["make_up_working_days"]
                .as_array()
                .unwrap()
                .contains(&json!("2026-10-10"))
        );
        assert_eq!(
            app.get(&agent, "/api/v1/calendar/2031").await.1["has_schedule"],
            false
        );

        // A county holiday on Tuesday 2026-11-24 (an example, not a real one).
        let mut schedule = year["schedule"].clone();
        schedule["holiday"].as_array_mut().unwrap().push(json!({
            "name_zh": "测试假日", "name_en": "Test holiday",
            "first_day": "2026-11-24", "last_day": "2026-11-24",
        }));
        let put = |token: &str, body: Value| {
            app.http
                .put(app.url("/api/v1/calendar/2026"))
                .bearer_auth(token.to_owned())
                .json(&body)
                .send()
        };
        assert_eq!(
            put(&agent, schedule.clone()).await.unwrap().status(),
            StatusCode::FORBIDDEN
        );
        let mut bad = schedule.clone();
        bad["holiday"][0]["make_up_working_days"] = json!(["2026-11-25"]);
        let resp = put(&admin, bad).await.unwrap();
        assert_eq!(resp.status(), StatusCode::UNPROCESSABLE_ENTITY);
        let body: Value = resp.json().await.unwrap();
        assert_eq!(body["error"]["field"], "holiday", "{body}");
        let resp = put(&admin, schedule).await.unwrap();
        assert_eq!(resp.status(), StatusCode::OK);
        let body: Value = resp.json().await.unwrap();
        assert!(
            body["holidays"]
                .as_array()
                .unwrap()
                .contains(&json!("2026-11-24"))
        );
        let (_, events) = app
            .get(&admin, "/api/v1/events?aggregate=calendar:2026")
            .await;
        assert_eq!(events[0]["event_type"], "calendar.schedule_set");

        // Dispatched on Monday: one working day to sign now ends on Wednesday.
        let id = app.create(&agent, new_order()).await["id"]
            .as_i64()
            .unwrap();
        app.act(&agent, id, "submit", json!({})).await;
        let o = app
            .act(
                &leader,
                id,
                "dispatch",
                json!({ "lead_department_id": app.dept_a }),
            )
            .await;
        assert_eq!(o["sign_due_at"], "2026-11-25T15:59:59.999Z");
    })
    .await;
}

#[tokio::test]
async fn related_orders_and_attachments_follow_the_orders_visibility() {
    each_backend(|app| async move {
        let agent = app.login("agent1").await;
        let leader = app.login("leader1").await;
        let dept1 = app.login("dept1").await;
        let dept2 = app.login("dept2").await;
        let agent2 = app.login("agent2").await;
        let first = app.create(&agent, new_order()).await;
        let second = app.create(&agent, new_order()).await;
        let (id1, id2) = (
            first["id"].as_i64().unwrap(),
            second["id"].as_i64().unwrap(),
        );
        let number2 = second["number"].as_str().unwrap().to_owned();

        let related = format!("/api/v1/orders/{id1}/related");
        let (status, list) = app
            .post(&agent, &related, json!({ "number": number2 }))
            .await;
        assert_eq!(status, StatusCode::CREATED, "{list}");
        assert_eq!(list[0]["number"], number2.as_str());
        let (status, _) = app
            .post(&agent, &related, json!({ "number": number2 }))
            .await;
        assert_eq!(status, StatusCode::OK, "relating again is harmless");
        let (_, back) = app
            .get(&agent, &format!("/api/v1/orders/{id2}/related"))
            .await;
        assert_eq!(back[0]["id"], id1);
        // Refusals: itself, an unknown number, a department handler, another sub-platform.
        let number1 = first["number"].as_str().unwrap();
        let (status, err) = app
            .post(&agent, &related, json!({ "number": number1 }))
            .await;
        assert_eq!(
            (status, err["error"]["field"].clone()),
            (StatusCode::UNPROCESSABLE_ENTITY, json!("number"))
        );
        let (status, _) = app
            .post(&agent, &related, json!({ "number": "BS209901010001" }))
            .await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(
            app.post(&dept1, &related, json!({ "number": number2 }))
                .await
                .0,
            StatusCode::FORBIDDEN
        );
        assert_eq!(app.get(&agent2, &related).await.0, StatusCode::NOT_FOUND);

        // Attachments: the lead department may add one once the order is dispatched to it.
        app.act(&agent, id1, "submit", json!({})).await;
        app.act(
            &leader,
            id1,
            "dispatch",
            json!({ "lead_department_id": app.dept_a }),
        )
        .await;
        let attachments = format!("/api/v1/orders/{id1}/attachments");
        let photo = json!({
            "file_name": "现场照片.jpg", "content_type": "image/jpeg", "size_bytes": 204800,
            "sha256": "AB".repeat(32)
        });
        let (status, att) = app.post(&dept1, &attachments, photo.clone()).await;
        assert_eq!(status, StatusCode::CREATED, "{att}");
        assert_eq!(att["sha256"], "ab".repeat(32));
        assert!(att["uploaded_by"].as_str().unwrap().ends_with(":dept1"));
        assert_eq!(
            app.post(&dept2, &attachments, photo.clone()).await.0,
            StatusCode::NOT_FOUND
        );
        assert_eq!(app.get(&dept2, &attachments).await.0, StatusCode::NOT_FOUND);
        for (field, value) in [
            ("file_name", json!("../etc/passwd")),
            ("content_type", json!("jpeg")),
            ("size_bytes", json!(0)),
            ("sha256", json!("xyz")),
        ] {
            let mut bad = photo.clone();
            bad[field] = value;
            let (status, err) = app.post(&agent, &attachments, bad).await;
            assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{field}");
            assert_eq!(err["error"]["field"], field);
        }
        let (_, list) = app.get(&agent, &attachments).await;
        assert_eq!(
            list.as_array().unwrap().len(),
            1,
            "refused attachments stored nothing"
        );
        let log = event_log(&app, &leader, id1).await;
        assert!(log.iter().any(|(t, _)| t == "order.related"));
        assert!(
            log.iter()
                .any(|(t, actor)| t == "order.attachment_added" && actor.ends_with(":dept1"))
        );
    })
    .await;
}
