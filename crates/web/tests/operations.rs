//! Operations over HTTP (issue 5): the real server on port 0, on a fresh database of each
//! backend, with a clock the test moves.

use std::sync::Arc;

use chrono::{DateTime, TimeZone, Utc};
use reqwest::StatusCode;
use rexian_domain::{Actor, Role};
use rexian_store::testing::{self, TestDb};
use rexian_store::{NewPlatform, NewUser, PlatformSeed};
use rexian_web::{AppState, WebSettings, hash_password_blocking, spawn_for_test};
use serde_json::{Value, json};

mod common;
use common::{PASSWORD, TestClock};

/// A Beijing wall-clock time as UTC.
fn bj(y: i32, mo: u32, d: u32, h: u32, mi: u32) -> DateTime<Utc> {
    chrono::FixedOffset::east_opt(8 * 3600)
        .unwrap()
        .with_ymd_and_hms(y, mo, d, h, mi, 0)
        .unwrap()
        .with_timezone(&Utc)
}

struct App {
    client: common::Client,
    clock: Arc<TestClock>,
    users: std::collections::HashMap<&'static str, i64>,
    _db: TestDb,
}

impl std::ops::Deref for App {
    type Target = common::Client;
    fn deref(&self) -> &common::Client {
        &self.client
    }
}

impl App {
    async fn start(db: TestDb, now: DateTime<Utc>) -> App {
        let store = db.store.clone();
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
        let dept = store.list_departments(baisha).await.unwrap()[0].id;
        let mut users = std::collections::HashMap::new();
        for (platform, name, role, dept) in [
            (baisha, "manager", Role::Manager, None),
            (baisha, "leader", Role::ShiftLeader, None),
            (baisha, "agent", Role::Agent, None),
            (baisha, "county", Role::CountyOffice, None),
            (baisha, "dept", Role::DepartmentHandler, Some(dept)),
            (baisha, "admin", Role::PlatformAdmin, None),
            (other, "manager2", Role::Manager, None),
        ] {
            let new = NewUser {
                username: name.into(),
                display_name: format!("{name} 名"),
                role,
                department_id: dept,
                password_hash: hash.clone(),
            };
            let u = store.create_user(platform, &new, &cli, now).await.unwrap();
            users.insert(name, u.id);
        }
        let clock = TestClock::at(now);
        let state = AppState::new(store, clock.clone(), WebSettings::default());
        let addr = spawn_for_test(state).await;
        App {
            client: common::Client::new(addr),
            clock,
            users,
            _db: db,
        }
    }

    fn set_now(&self, t: DateTime<Utc>) {
        self.clock.set(t);
    }

    /// POST that must succeed with `expect`; returns the body.
    async fn ok(&self, token: &str, path: &str, body: Value, expect: StatusCode) -> Value {
        let (status, v) = self.post(token, path, body).await;
        assert_eq!(status, expect, "POST {path}: {v}");
        v
    }
}

async fn each_backend<F, Fut>(now: DateTime<Utc>, test: F)
where
    F: Fn(App) -> Fut,
    Fut: std::future::Future<Output = ()>,
{
    for db in testing::all_backends().await {
        test(App::start(db, now).await).await;
    }
}

async fn hire(app: &App, manager: &str, code: &str, start: &str, cert: Option<&str>) -> i64 {
    let body = app
        .ok(
            manager,
            "/api/v1/staff",
            json!({ "code": code, "name": format!("员工{code}"), "position": "agent",
                    "start": start, "certified_on": cert }),
            StatusCode::CREATED,
        )
        .await;
    body["id"].as_i64().unwrap()
}

async fn leave(app: &App, manager: &str, id: i64, last_day: &str) {
    app.ok(
        manager,
        &format!("/api/v1/staff/{id}/leave"),
        json!({ "last_day": last_day, "reason": "resigned" }),
        StatusCode::OK,
    )
    .await;
}

fn error_code(v: &Value) -> &str {
    v["error"]["code"].as_str().unwrap_or("")
}

#[tokio::test]
async fn attrition_for_a_half_year_with_joins_leaves_and_rehires_checked_by_hand() {
    each_backend(bj(2026, 10, 15, 10, 0), |app| async move {
        let m = app.login("manager").await;
        // A stays all along; B leaves in H2; C leaves in H2 and is re-hired (not certified
        // again yet); D joins and is certified in H2; E was never certified and leaves; F
        // leaves on the last day of H1.
        let _a = hire(&app, &m, "A", "2026-01-01", Some("2026-02-01")).await;
        let b = hire(&app, &m, "B", "2026-01-01", Some("2026-02-01")).await;
        let c = hire(&app, &m, "C", "2026-03-01", Some("2026-04-01")).await;
        let _d = hire(&app, &m, "D", "2026-08-01", Some("2026-08-15")).await;
        let e = hire(&app, &m, "E", "2026-01-01", None).await;
        let f = hire(&app, &m, "F", "2026-01-01", Some("2026-01-10")).await;
        leave(&app, &m, b, "2026-08-31").await;
        leave(&app, &m, c, "2026-07-31").await;
        app.ok(
            &m,
            &format!("/api/v1/staff/{c}/rehire"),
            json!({ "start": "2026-09-01" }),
            StatusCode::OK,
        )
        .await;
        leave(&app, &m, e, "2026-09-30").await;
        leave(&app, &m, f, "2026-06-30").await;

        // H2 is running: measured 1 July .. today (15 October).
        // Start (certified on 1 July): A, B, C = 3. End (certified on 15 October and not
        // leaving that day): A, D = 2 (C is back but not certified). Average 2.5.
        // Leavers: B and C = 2. Rate 2 / 2.5 = 0.8.
        let (status, r) = app.get(&m, "/api/v1/attrition?half=2026H2").await;
        assert_eq!(status, StatusCode::OK, "{r}");
        assert_eq!(r["as_of"], "2026-10-15");
        assert_eq!(r["headcount_start"], 3);
        assert_eq!(r["headcount_end"], 2);
        assert_eq!(r["headcount"], 2.5);
        assert_eq!(r["leavers"], 2);
        assert!((r["rate"].as_f64().unwrap() - 0.8).abs() < 1e-9);
        let counted: Vec<(i64, &str)> = r["departures"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|d| d["status"] == "counted")
            .map(|d| {
                (
                    d["staff_id"].as_i64().unwrap(),
                    d["last_day"].as_str().unwrap(),
                )
            })
            .collect();
        assert_eq!(counted, vec![(c, "2026-07-31"), (b, "2026-08-31")]);

        // H1 is over: start (1 January) nobody certified; end (30 June) A, B, C (F's last
        // day is 30 June); average 1.5; leaver F: 1 / 1.5.
        let (status, r) = app.get(&m, "/api/v1/attrition?half=2026H1").await;
        assert_eq!(status, StatusCode::OK, "{r}");
        assert_eq!(r["as_of"], Value::Null);
        assert_eq!(
            (r["headcount_start"].as_i64(), r["headcount_end"].as_i64()),
            (Some(0), Some(3))
        );
        assert_eq!(r["leavers"], 1);
        assert!((r["rate"].as_f64().unwrap() - 1.0 / 1.5).abs() < 1e-9);

        // Default: the current half year. A future one and a malformed one are 422.
        let (_, r) = app.get(&m, "/api/v1/attrition").await;
        assert_eq!(r["period"]["from"], "2026-07-01");
        let (status, r) = app.get(&m, "/api/v1/attrition?half=2027H1").await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{r}");
        let (status, r) = app.get(&m, "/api/v1/attrition?half=2026H3").await;
        assert_eq!(
            (status, r["error"]["field"].as_str()),
            (StatusCode::UNPROCESSABLE_ENTITY, Some("half"))
        );

        // Agents and the county office see it; department handlers do not.
        let agent = app.login("agent").await;
        assert_eq!(app.get(&agent, "/api/v1/attrition").await.0, StatusCode::OK);
        let county = app.login("county").await;
        assert_eq!(
            app.get(&county, "/api/v1/attrition").await.0,
            StatusCode::OK
        );
        let dept = app.login("dept").await;
        assert_eq!(
            app.get(&dept, "/api/v1/attrition").await.0,
            StatusCode::FORBIDDEN
        );
    })
    .await;
}

#[tokio::test]
async fn staff_records_personal_data_roles_and_bad_input() {
    each_backend(bj(2026, 10, 15, 10, 0), |app| async move {
        let m = app.login("manager").await;
        let agent = app.login("agent").await;
        let leader = app.login("leader").await;
        let agent_user = app.users["agent"];

        // A seeded demo position is taken over by its code; personal data is stored.
        let (status, s) = app
            .post(
                &m,
                "/api/v1/staff",
                json!({ "code": "BS-A01", "name": "符小丽", "position": "agent",
                        "start": "2026-03-01", "languages": ["mandarin", "li"],
                        "id_card": "11010519491231002X", "mobile": "138 1234 5678",
                        "user_id": agent_user,
                        "insurance": [{ "insurer": "中国人保", "policy_number": "P-1",
                                        "first_day": "2026-01-01", "last_day": "2026-12-31" }] }),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{s}");
        let id = s["id"].as_i64().unwrap();
        assert_eq!(s["id_card"], "11010519491231002X");
        assert_eq!(s["mobile"], "13812345678");
        assert_eq!(s["insured"], true);
        assert_eq!(s["user_id"], agent_user);

        // Others see them masked, in the list and the record.
        let (_, one) = app.get(&agent, &format!("/api/v1/staff/{id}")).await;
        assert_eq!(one["mobile"], "138****5678");
        assert_eq!(one["id_card"], "1101**********002X");
        assert_eq!(one["personal_data_full"], false);
        let (_, list) = app.get(&leader, "/api/v1/staff").await;
        assert!(!list.to_string().contains("13812345678"));
        assert_eq!(list.as_array().unwrap().len(), 1, "demo positions are not people");
        // ...and the event log never has them.
        let (status, events) = app
            .get(&m, &format!("/api/v1/events?aggregate=staff:{id}"))
            .await;
        assert_eq!(status, StatusCode::OK, "{events}");
        assert_eq!(events.as_array().unwrap()[0]["event_type"], "staff.hired");
        assert!(!events.to_string().contains("13812345678"));
        assert!(!events.to_string().contains("11010519491231002X"));

        // Only managers keep staff.
        for token in [&agent, &leader] {
            let (status, _) = app
                .post(
                    token,
                    "/api/v1/staff",
                    json!({ "code": "X1", "name": "某", "position": "agent",
                            "start": "2026-03-01" }),
                )
                .await;
            assert_eq!(status, StatusCode::FORBIDDEN);
            let (status, _) = app
                .post(token, &format!("/api/v1/staff/{id}/certify"), json!({ "on": "2026-04-01" }))
                .await;
            assert_eq!(status, StatusCode::FORBIDDEN);
        }
        let dept = app.login("dept").await;
        assert_eq!(app.get(&dept, "/api/v1/staff").await.0, StatusCode::FORBIDDEN);

        // Bad input names the problem and stores nothing.
        let (status, e) = app
            .post(&m, &format!("/api/v1/staff/{id}/leave"),
                  json!({ "last_day": "2026-02-01", "reason": "resigned" }))
            .await;
        assert_eq!((status, error_code(&e)), (StatusCode::UNPROCESSABLE_ENTITY, "end_before_start"), "{e}");
        assert!(e["error"]["message"].as_str().unwrap().contains("employment"));
        let (_, one) = app.get(&m, &format!("/api/v1/staff/{id}")).await;
        assert_eq!(one["employment"][0]["end"], Value::Null);
        assert_eq!(one["on_staff"], true);

        let (status, e) = app
            .post(&m, &format!("/api/v1/staff/{id}/rehire"), json!({ "start": "2026-11-01" }))
            .await;
        assert_eq!((status, error_code(&e)), (StatusCode::CONFLICT, "conflict"), "{e}");

        let (status, e) = app
            .patch(&m, &format!("/api/v1/staff/{id}"), json!({ "id_card": "110105194912310021" }))
            .await;
        assert_eq!((status, e["error"]["field"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("id_card")), "{e}");

        let (status, e) = app
            .post(&m, "/api/v1/staff",
                  json!({ "code": "BS-A01", "name": "重复", "position": "agent", "start": "2026-03-01" }))
            .await;
        assert_eq!(status, StatusCode::CONFLICT, "{e}");
        assert!(e["error"]["message"].as_str().unwrap().contains("BS-A01"));

        let (status, e) = app
            .patch(&m, &format!("/api/v1/staff/{id}"),
                   json!({ "insurance": [{ "insurer": "人保", "policy_number": "P-2",
                                           "first_day": "2026-12-31", "last_day": "2026-01-01" }] }))
            .await;
        assert_eq!((status, error_code(&e)), (StatusCode::UNPROCESSABLE_ENTITY, "end_before_start"), "{e}");

        // Certify, forget personal data; another sub-platform's manager gets 404.
        let (status, s) = app
            .post(&m, &format!("/api/v1/staff/{id}/certify"), json!({ "on": "2026-04-01" }))
            .await;
        assert_eq!((status, s["certified"].as_bool()), (StatusCode::OK, Some(true)));
        let (status, e) = app
            .post(&m, &format!("/api/v1/staff/{id}/certify"), json!({ "on": "2026-04-02" }))
            .await;
        assert_eq!((status, error_code(&e)), (StatusCode::CONFLICT, "illegal_transition"));
        let (_, s) = app
            .patch(&m, &format!("/api/v1/staff/{id}"), json!({ "clear_personal_data": true }))
            .await;
        assert_eq!((s["id_card"].clone(), s["mobile"].clone()), (Value::Null, Value::Null));
        let m2 = app.login("manager2").await;
        assert_eq!(app.get(&m2, &format!("/api/v1/staff/{id}")).await.0, StatusCode::NOT_FOUND);
        let (status, _) = app
            .post(&m2, &format!("/api/v1/staff/{id}/certify"), json!({ "on": "2026-04-01" }))
            .await;
        assert_eq!(status, StatusCode::NOT_FOUND);

        // Insurance coverage against the contract's 13.
        let (_, cov) = app.get(&m, "/api/v1/staff/insurance").await;
        assert_eq!((cov["insured"].as_i64(), cov["required"].as_i64()), (Some(1), Some(13)));
        assert_eq!(cov["meets_requirement"], false);
    })
    .await;
}

async fn telephone(app: &App, m: &str, commissioned: &str) -> i64 {
    let a = app
        .ok(
            m,
            "/api/v1/assets",
            json!({ "name": "话机01", "kind": { "type": "telephone", "extension": "8001" },
                    "commissioned_on": commissioned }),
            StatusCode::CREATED,
        )
        .await;
    a["id"].as_i64().unwrap()
}

fn phone_results() -> Value {
    json!([
        { "item": "dial_tone", "outcome": "pass" },
        { "item": "call_test", "outcome": "pass" },
        { "item": "headset", "outcome": "pass" },
    ])
}

#[tokio::test]
async fn one_inspection_per_asset_and_day_and_missed_days_are_listed() {
    each_backend(bj(2026, 10, 15, 9, 0), |app| async move {
        let m = app.login("manager").await;
        let agent = app.login("agent").await;
        let inspector = hire(&app, &m, "I1", "2026-01-01", Some("2026-01-15")).await;
        let asset = telephone(&app, &m, "2026-10-13").await;
        let agent_cannot = app
            .post(
                &agent,
                "/api/v1/assets",
                json!({ "name": "x", "kind": { "type": "telephone" } }),
            )
            .await;
        assert_eq!(agent_cannot.0, StatusCode::FORBIDDEN);

        // An unanswered item and a failure without a note are refused, naming them.
        let (status, e) = app
            .post(
                &agent,
                "/api/v1/inspections",
                json!({ "asset_id": asset, "inspector_staff_id": inspector,
                          "results": [{ "item": "dial_tone", "outcome": "pass" }] }),
            )
            .await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{e}");
        assert!(
            e["error"]["message"]
                .as_str()
                .unwrap()
                .contains("call_test"),
            "{e}"
        );
        let (status, e) = app
            .post(
                &agent,
                "/api/v1/inspections",
                json!({ "asset_id": asset, "inspector_staff_id": inspector,
                          "results": [{ "item": "dial_tone", "outcome": "fail" },
                                      { "item": "call_test", "outcome": "pass" },
                                      { "item": "headset", "outcome": "pass" }] }),
            )
            .await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{e}");
        assert!(
            e["error"]["message"]
                .as_str()
                .unwrap()
                .contains("dial_tone"),
            "{e}"
        );

        let body = json!({ "asset_id": asset, "inspector_staff_id": inspector,
                           "results": phone_results() });
        let i = app
            .ok(
                &agent,
                "/api/v1/inspections",
                body.clone(),
                StatusCode::CREATED,
            )
            .await;
        assert_eq!(i["date"], "2026-10-15");
        // A second one the same day: 409 naming asset and day; nothing stored.
        let (status, e) = app.post(&agent, "/api/v1/inspections", body.clone()).await;
        assert_eq!(
            (status, error_code(&e)),
            (StatusCode::CONFLICT, "duplicate_inspection"),
            "{e}"
        );
        assert!(
            e["error"]["message"]
                .as_str()
                .unwrap()
                .contains("2026-10-15")
        );
        let (_, list) = app.get(&m, "/api/v1/inspections?month=2026-10").await;
        assert_eq!(list.as_array().unwrap().len(), 1);

        // Missed: the 13th and 14th (commissioned on the 13th), not today.
        let (status, missed) = app
            .get(
                &m,
                "/api/v1/inspections/missed?from=2026-10-10&to=2026-10-20",
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{missed}");
        let days: Vec<&str> = missed["missed"]
            .as_array()
            .unwrap()
            .iter()
            .map(|x| x["date"].as_str().unwrap())
            .collect();
        assert_eq!(days, vec!["2026-10-13", "2026-10-14"]);

        // Next day it can be inspected again; a leader may inspect; county office may not.
        app.set_now(bj(2026, 10, 16, 8, 30));
        let (agent, m) = (app.login("agent").await, app.login("manager").await);
        let leader = app.login("leader").await;
        app.ok(
            &leader,
            "/api/v1/inspections",
            body.clone(),
            StatusCode::CREATED,
        )
        .await;
        let county = app.login("county").await;
        assert_eq!(
            app.post(&county, "/api/v1/inspections", body.clone())
                .await
                .0,
            StatusCode::FORBIDDEN
        );
        // Unknown asset / inspector are 422 naming the field; another platform's asset 404s.
        let (status, e) = app
            .post(
                &agent,
                "/api/v1/inspections",
                json!({ "asset_id": 999_999, "inspector_staff_id": inspector, "results": [] }),
            )
            .await;
        assert_eq!(
            (status, e["error"]["field"].as_str()),
            (StatusCode::UNPROCESSABLE_ENTITY, Some("asset_id")),
            "{e}"
        );
        let m2 = app.login("manager2").await;
        assert_eq!(
            app.get(&m2, &format!("/api/v1/assets/{asset}")).await.0,
            StatusCode::NOT_FOUND
        );

        // Asset state: retire, then any change is 409 with the state.
        let (status, a) = app
            .post(
                &m,
                &format!("/api/v1/assets/{asset}/state"),
                json!({ "state": "retired" }),
            )
            .await;
        assert_eq!(
            (status, a["state"].as_str()),
            (StatusCode::OK, Some("retired"))
        );
        let (status, e) = app
            .post(
                &m,
                &format!("/api/v1/assets/{asset}/state"),
                json!({ "state": "in_service" }),
            )
            .await;
        assert_eq!(status, StatusCode::CONFLICT);
        assert!(
            e["error"]["message"].as_str().unwrap().contains("retired"),
            "{e}"
        );
    })
    .await;
}

#[tokio::test]
async fn fault_deadlines_run_across_midnight_and_waivers_stop_the_count() {
    // 23:50 Beijing time on 15 October.
    each_backend(bj(2026, 10, 15, 23, 50), |app| async move {
        let m = app.login("manager").await;
        let agent = app.login("agent").await;
        let leader = app.login("leader").await;
        let county = app.login("county").await;
        let asset = telephone(&app, &m, "2026-10-01").await;

        // Critical: respond within 30 min, restore within 4 h — past midnight.
        let f = app
            .ok(
                &agent,
                "/api/v1/faults",
                json!({ "asset_id": asset, "severity": "critical", "description": "无拨号音" }),
                StatusCode::CREATED,
            )
            .await;
        let id = f["fault"]["id"].as_i64().unwrap();
        let deadline =
            |v: &Value, k: &str| v[k].as_str().unwrap().parse::<DateTime<Utc>>().unwrap();
        assert_eq!(deadline(&f, "response_deadline"), bj(2026, 10, 16, 0, 20));
        assert_eq!(deadline(&f, "restore_deadline"), bj(2026, 10, 16, 3, 50));
        assert_eq!(f["counts_against_indicator8"], false);

        // Major, reported at 23:55: 2 h to respond.
        let g = app
            .ok(
                &agent,
                "/api/v1/faults",
                json!({ "asset_id": asset, "severity": "major", "description": "耳麦杂音" }),
                StatusCode::CREATED,
            )
            .await;
        let gid = g["fault"]["id"].as_i64().unwrap();

        // 00:25: the critical one is late; the major one is not.
        app.set_now(bj(2026, 10, 16, 0, 25));
        let (_, now_f) = app.get(&m, &format!("/api/v1/faults/{id}")).await;
        assert_eq!(now_f["response_late"], true);
        assert_eq!(now_f["counts_against_indicator8"], true);
        // Agents report but do not work faults.
        assert_eq!(
            app.post(
                &agent,
                &format!("/api/v1/faults/{id}/acknowledge"),
                json!({})
            )
            .await
            .0,
            StatusCode::FORBIDDEN
        );
        let a = app
            .ok(
                &leader,
                &format!("/api/v1/faults/{gid}/acknowledge"),
                json!({}),
                StatusCode::OK,
            )
            .await;
        assert_eq!(a["response_late"], false);
        let a = app
            .ok(
                &leader,
                &format!("/api/v1/faults/{id}/acknowledge"),
                json!({}),
                StatusCode::OK,
            )
            .await;
        assert_eq!(
            a["counts_against_indicator8"], true,
            "acknowledged late still counts"
        );

        // Close before restore: 409 with the state; then restore and close with a cause.
        let (status, e) = app
            .post(
                &leader,
                &format!("/api/v1/faults/{id}/close"),
                json!({ "category": "equipment", "description": "话机损坏" }),
            )
            .await;
        assert_eq!(
            (status, error_code(&e)),
            (StatusCode::CONFLICT, "illegal_transition")
        );
        assert!(
            e["error"]["message"]
                .as_str()
                .unwrap()
                .contains("acknowledged"),
            "{e}"
        );
        app.set_now(bj(2026, 10, 16, 1, 0));
        app.ok(
            &leader,
            &format!("/api/v1/faults/{id}/restore"),
            json!({}),
            StatusCode::OK,
        )
        .await;
        let closed = app
            .ok(
                &leader,
                &format!("/api/v1/faults/{id}/close"),
                json!({ "category": "equipment", "description": "更换话机" }),
                StatusCode::OK,
            )
            .await;
        assert_eq!(closed["fault"]["status"], "closed");

        // Indicator 8 for October: one breach (deadline 00:20 on the 16th).
        let (_, ind) = app
            .get(&county, "/api/v1/faults/indicator?month=2026-10")
            .await;
        assert_eq!(ind["counted"].as_array().unwrap().len(), 1, "{ind}");
        assert_eq!(ind["counted"][0]["fault_id"], id);
        assert_eq!(ind["counted"][0]["late_by_minutes"], 5);

        // Only the county office waives, with a reason, once.
        assert_eq!(
            app.post(
                &m,
                &format!("/api/v1/faults/{id}/waive"),
                json!({ "reason": "x" })
            )
            .await
            .0,
            StatusCode::FORBIDDEN
        );
        let (status, e) = app
            .post(
                &county,
                &format!("/api/v1/faults/{id}/waive"),
                json!({ "reason": " " }),
            )
            .await;
        assert_eq!(
            (status, e["error"]["field"].as_str()),
            (StatusCode::UNPROCESSABLE_ENTITY, Some("reason"))
        );
        let w = app
            .ok(
                &county,
                &format!("/api/v1/faults/{id}/waive"),
                json!({ "reason": "运营商光缆被挖断" }),
                StatusCode::OK,
            )
            .await;
        assert_eq!(w["counts_against_indicator8"], false);
        assert_eq!(
            app.post(
                &county,
                &format!("/api/v1/faults/{id}/waive"),
                json!({ "reason": "again" })
            )
            .await
            .0,
            StatusCode::CONFLICT
        );
        let (_, ind) = app
            .get(&county, "/api/v1/faults/indicator?month=2026-10")
            .await;
        assert_eq!(
            (
                ind["counted"].as_array().unwrap().len(),
                ind["waived"].as_array().unwrap().len()
            ),
            (0, 1)
        );

        // The event trail of the fault, in order.
        let (_, events) = app
            .get(&m, &format!("/api/v1/events?aggregate=fault:{id}"))
            .await;
        let types: Vec<&str> = events
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["event_type"].as_str().unwrap())
            .collect();
        assert_eq!(
            types,
            vec![
                "fault.reported",
                "fault.acknowledged",
                "fault.restored",
                "fault.closed",
                "fault.waived"
            ]
        );

        // Bad input: unknown asset, future report time; department handlers cannot report.
        let (status, e) = app
            .post(
                &agent,
                "/api/v1/faults",
                json!({ "asset_id": 999_999, "severity": "minor", "description": "x" }),
            )
            .await;
        assert_eq!(
            (status, e["error"]["field"].as_str()),
            (StatusCode::UNPROCESSABLE_ENTITY, Some("asset_id"))
        );
        let (status, _) = app
            .post(
                &agent,
                "/api/v1/faults",
                json!({ "asset_id": asset, "severity": "minor", "description": "x",
                                                     "reported_at": "2030-01-01T00:00:00Z" }),
            )
            .await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
        let dept = app.login("dept").await;
        assert_eq!(
            app.post(
                &dept,
                "/api/v1/faults",
                json!({ "asset_id": asset, "severity": "minor", "description": "x" })
            )
            .await
            .0,
            StatusCode::FORBIDDEN
        );
        let m2 = app.login("manager2").await;
        assert_eq!(
            app.get(&m2, &format!("/api/v1/faults/{id}")).await.0,
            StatusCode::NOT_FOUND
        );
        let (_, list) = app.get(&m2, "/api/v1/faults").await;
        assert_eq!(list.as_array().unwrap().len(), 0);
    })
    .await;
}

#[tokio::test]
async fn complaint_verdict_changes_update_the_count() {
    each_backend(bj(2026, 10, 15, 10, 0), |app| async move {
        let m = app.login("manager").await;
        let leader = app.login("leader").await;
        let county = app.login("county").await;
        let agent = app.login("agent").await;
        let staff = hire(&app, &m, "A1", "2026-01-01", Some("2026-02-01")).await;

        let c = app
            .ok(
                &leader,
                "/api/v1/complaints",
                json!({ "source": "caller", "agent_staff_id": staff, "summary": "态度生硬",
                        "order_id": "BS2026101500001" }),
                StatusCode::CREATED,
            )
            .await;
        let id = c["complaint"]["id"].as_i64().unwrap();
        assert_eq!(c["severity"], "ordinary");
        assert_eq!(
            app.post(
                &agent,
                "/api/v1/complaints",
                json!({ "source": "caller", "agent_staff_id": staff, "summary": "x" })
            )
            .await
            .0,
            StatusCode::FORBIDDEN
        );

        // QC upholds it: not final, so not counted yet, and listed as undecided.
        app.ok(
            &leader,
            &format!("/api/v1/complaints/{id}/review"),
            json!({ "verdict": "justified", "note": "录音核实" }),
            StatusCode::OK,
        )
        .await;
        let t = app
            .get(&m, "/api/v1/complaints/tally?month=2026-10")
            .await
            .1;
        assert_eq!(
            (t["ordinary"].as_i64(), t["undecided"][0].as_i64()),
            (Some(0), Some(id)),
            "{t}"
        );

        // Only the county office makes it final; then it counts −1.
        assert_eq!(
            app.post(
                &leader,
                &format!("/api/v1/complaints/{id}/finalize"),
                json!({ "note": "x" })
            )
            .await
            .0,
            StatusCode::FORBIDDEN
        );
        let f = app
            .ok(
                &county,
                &format!("/api/v1/complaints/{id}/finalize"),
                json!({ "note": "同意" }),
                StatusCode::OK,
            )
            .await;
        assert_eq!(f["counts"], true);
        let t = app
            .get(&county, "/api/v1/complaints/tally?month=2026-10")
            .await
            .1;
        assert_eq!(
            (t["ordinary"].as_i64(), t["points"].as_f64()),
            (Some(1), Some(-1.0)),
            "{t}"
        );

        // Final: QC cannot review again (409 naming the state); the county revises it.
        let (status, e) = app
            .post(
                &leader,
                &format!("/api/v1/complaints/{id}/review"),
                json!({ "verdict": "unjustified", "note": "x" }),
            )
            .await;
        assert_eq!(status, StatusCode::CONFLICT);
        assert!(
            e["error"]["message"].as_str().unwrap().contains("final"),
            "{e}"
        );
        app.ok(
            &county,
            &format!("/api/v1/complaints/{id}/revise"),
            json!({ "verdict": "unjustified", "note": "申诉成立" }),
            StatusCode::OK,
        )
        .await;
        let t = app
            .get(&m, "/api/v1/complaints/tally?month=2026-10")
            .await
            .1;
        assert_eq!(
            (t["ordinary"].as_i64(), t["points"].as_f64()),
            (Some(0), Some(0.0)),
            "{t}"
        );

        // A media complaint the county makes final as justified at once: severe, −2.
        let c2 = app
            .ok(
                &county,
                "/api/v1/complaints",
                json!({ "source": "media", "agent_staff_id": staff, "summary": "媒体曝光" }),
                StatusCode::CREATED,
            )
            .await;
        let id2 = c2["complaint"]["id"].as_i64().unwrap();
        app.ok(
            &county,
            &format!("/api/v1/complaints/{id2}/finalize"),
            json!({ "verdict": "justified", "note": "属实" }),
            StatusCode::OK,
        )
        .await;
        let t = app
            .get(&m, "/api/v1/complaints/tally?month=2026-10")
            .await
            .1;
        assert_eq!(
            (t["severe"].as_i64(), t["points"].as_f64()),
            (Some(1), Some(-2.0)),
            "{t}"
        );
        let (_, all) = app
            .get(&county, "/api/v1/operations/indicators?month=2026-10")
            .await;
        assert_eq!(
            (
                all["indicator5"]["severe"].as_i64(),
                all["indicator5"]["points"].as_f64()
            ),
            (Some(1), Some(-2.0)),
            "{all}"
        );
        assert_eq!(all["indicator6"]["period"]["from"], "2026-07-01");
        let (_, history) = app.get(&m, &format!("/api/v1/complaints/{id}")).await;
        assert_eq!(history["complaint"]["history"].as_array().unwrap().len(), 3);

        // Finalizing while pending is 409; an unknown agent is 422.
        let c3 = app
            .ok(
                &leader,
                "/api/v1/complaints",
                json!({ "source": "caller", "agent_staff_id": staff, "summary": "未回电" }),
                StatusCode::CREATED,
            )
            .await;
        let id3 = c3["complaint"]["id"].as_i64().unwrap();
        assert_eq!(
            app.post(
                &county,
                &format!("/api/v1/complaints/{id3}/finalize"),
                json!({ "note": "x" })
            )
            .await
            .0,
            StatusCode::CONFLICT
        );
        let (status, e) = app
            .post(
                &leader,
                "/api/v1/complaints",
                json!({ "source": "caller", "agent_staff_id": 999_999, "summary": "x" }),
            )
            .await;
        assert_eq!(
            (status, e["error"]["field"].as_str()),
            (StatusCode::UNPROCESSABLE_ENTITY, Some("agent")),
            "{e}"
        );
    })
    .await;
}

#[tokio::test]
async fn praise_is_verified_once_by_the_county_office() {
    each_backend(bj(2026, 10, 15, 10, 0), |app| async move {
        let m = app.login("manager").await;
        let county = app.login("county").await;
        let staff = hire(&app, &m, "A1", "2026-01-01", Some("2026-02-01")).await;
        let p = app
            .ok(
                &m,
                "/api/v1/praise",
                json!({ "kind": "banner", "received_on": "2026-10-14", "agent_staff_id": staff,
                        "description": "赠送锦旗" }),
                StatusCode::CREATED,
            )
            .await;
        let id = p["id"].as_i64().unwrap();
        let c = app
            .ok(
                &m,
                "/api/v1/praise",
                json!({ "kind": "call", "received_on": "2026-10-15", "description": "来电感谢" }),
                StatusCode::CREATED,
            )
            .await;
        let cid = c["id"].as_i64().unwrap();

        // The operator cannot verify its own praise.
        assert_eq!(
            app.post(&m, &format!("/api/v1/praise/{id}/verify"), json!({}))
                .await
                .0,
            StatusCode::FORBIDDEN
        );
        let (_, t) = app.get(&county, "/api/v1/praise/tally?month=2026-10").await;
        assert_eq!(
            (
                t["bonus"].as_f64(),
                t["unverified"].as_array().unwrap().len()
            ),
            (Some(0.0), 2)
        );

        let v = app
            .ok(
                &county,
                &format!("/api/v1/praise/{id}/verify"),
                json!({}),
                StatusCode::OK,
            )
            .await;
        assert_eq!(v["decision"]["status"], "verified");
        let (status, e) = app
            .post(&county, &format!("/api/v1/praise/{id}/verify"), json!({}))
            .await;
        assert_eq!(
            (status, error_code(&e)),
            (StatusCode::CONFLICT, "praise_already_decided"),
            "{e}"
        );
        assert!(e["error"]["message"].as_str().unwrap().contains("verified"));
        app.ok(
            &county,
            &format!("/api/v1/praise/{cid}/reject"),
            json!({ "reason": "无法核实" }),
            StatusCode::OK,
        )
        .await;
        assert_eq!(
            app.post(&county, &format!("/api/v1/praise/{cid}/verify"), json!({}))
                .await
                .0,
            StatusCode::CONFLICT
        );

        let (_, t) = app.get(&m, "/api/v1/praise/tally?month=2026-10").await;
        assert_eq!(
            (
                t["banners"].as_i64(),
                t["calls"].as_i64(),
                t["bonus"].as_f64()
            ),
            (Some(1), Some(0), Some(1.0)),
            "{t}"
        );
        let (_, events) = app
            .get(&m, &format!("/api/v1/events?aggregate=praise:{id}"))
            .await;
        assert_eq!(
            events.as_array().unwrap().len(),
            2,
            "the refused second verification stored nothing"
        );

        // Future day and malformed month are refused.
        let (status, _) = app
            .post(
                &m,
                "/api/v1/praise",
                json!({ "kind": "letter", "received_on": "2026-12-01", "description": "x" }),
            )
            .await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
        let (status, e) = app.get(&m, "/api/v1/praise/tally?month=2026-13").await;
        assert_eq!(
            (status, e["error"]["field"].as_str()),
            (StatusCode::UNPROCESSABLE_ENTITY, Some("month")),
            "{e}"
        );
    })
    .await;
}

#[tokio::test]
async fn late_emergency_response_counts_once_judged_with_consequences() {
    each_backend(bj(2026, 9, 20, 6, 0), |app| async move {
        let leader = app.login("leader").await;
        let county = app.login("county").await;
        let agent = app.login("agent").await;
        let body = json!({ "kind": "typhoon", "description": "台风“桦加沙”登陆",
                           "required_change": "增加4名坐席", "staffing_due_by": bj(2026, 9, 20, 8, 0) });
        assert_eq!(app.post(&agent, "/api/v1/emergencies", body.clone()).await.0, StatusCode::FORBIDDEN);
        let e = app.ok(&leader, "/api/v1/emergencies", body, StatusCode::CREATED).await;
        let id = e["emergency"]["id"].as_i64().unwrap();
        assert_eq!(e["indicator7_status"], "not_due");

        // Due by 08:00, changed at 08:30: late, waiting for the county's judgement.
        app.set_now(bj(2026, 9, 20, 8, 30));
        let e = app
            .ok(&leader, &format!("/api/v1/emergencies/{id}/staffing-changed"), json!({ "note": "4人到岗" }), StatusCode::OK)
            .await;
        assert_eq!(e["indicator7_status"], "late_pending");
        assert_eq!(app.post(&leader, &format!("/api/v1/emergencies/{id}/staffing-changed"), json!({ "note": "again" })).await.0, StatusCode::CONFLICT);
        assert_eq!(app.post(&leader, &format!("/api/v1/emergencies/{id}/judge"), json!({ "consequences": "yes", "note": "x" })).await.0, StatusCode::FORBIDDEN);
        let (status, err) = app
            .post(&county, &format!("/api/v1/emergencies/{id}/judge"), json!({ "consequences": "pending", "note": "x" }))
            .await;
        assert_eq!((status, err["error"]["field"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("consequences")));
        let e = app
            .ok(&county, &format!("/api/v1/emergencies/{id}/judge"), json!({ "consequences": "yes", "note": "接通率骤降" }), StatusCode::OK)
            .await;
        assert_eq!(e["indicator7_status"], "counts");
        let (_, ind) = app.get(&county, "/api/v1/emergencies/indicator?month=2026-09").await;
        assert_eq!(ind["counted"], json!([id]));

        // Force majeure exempts it.
        let e = app
            .ok(&county, &format!("/api/v1/emergencies/{id}/force-majeure"), json!({ "reason": "全县停电" }), StatusCode::OK)
            .await;
        assert_eq!(e["indicator7_status"], "exempt");
        let (_, ind) = app.get(&county, "/api/v1/emergencies/indicator?month=2026-09").await;
        assert_eq!(ind["counted"], json!([]));

        // Deadline before the event became known: 422 naming it.
        let (status, err) = app
            .post(&leader, "/api/v1/emergencies",
                  json!({ "kind": "call_surge", "description": "话务激增", "required_change": "加人",
                          "staffing_due_by": bj(2026, 9, 20, 7, 0) }))
            .await;
        assert_eq!((status, error_code(&err)), (StatusCode::UNPROCESSABLE_ENTITY, "end_before_start"), "{err}");
        let (_, list) = app.get(&agent, "/api/v1/emergencies").await;
        assert_eq!(list.as_array().unwrap().len(), 1, "nothing half-saved");
    })
    .await;
}

#[tokio::test]
async fn a_roster_month_missing_one_night_is_flagged_on_exactly_that_night() {
    each_backend(bj(2026, 10, 20, 10, 0), |app| async move {
        let m = app.login("manager").await;
        let mut people = Vec::new();
        for code in ["N1", "N2", "N3", "N4"] {
            people.push(hire(&app, &m, code, "2026-01-01", Some("2026-02-01")).await);
        }
        // Every night of November but the 17th, four people in turn.
        let entries: Vec<Value> = (1..=30)
            .filter(|day| *day != 17)
            .map(|day| {
                json!({ "staff_id": people[(day as usize) % 4],
                        "date": format!("2026-11-{day:02}"), "shift": "night" })
            })
            .collect();
        let added = app
            .ok(&m, "/api/v1/roster/entries", json!({ "entries": entries }), StatusCode::CREATED)
            .await;
        assert_eq!(added.as_array().unwrap().len(), 29);
        let (status, c) = app.get(&m, "/api/v1/roster/check?month=2026-11").await;
        assert_eq!(status, StatusCode::OK, "{c}");
        assert_eq!(c["nights_uncovered"], json!(["2026-11-17"]), "{c}");
        let night_findings: Vec<&Value> = c["findings"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|f| f["rule"] == "night_uncovered")
            .collect();
        assert_eq!(night_findings.len(), 1);
        assert_eq!(night_findings[0]["severity"], "error");

        // Night duty per person: 29 rostered nights shared by four, none confirmed yet.
        let (_, nd) = app.get(&m, "/api/v1/roster/night-duty?month=2026-11").await;
        assert_eq!(nd["sign_ins_available"], true);
        assert_eq!(nd["allowances"][0]["worked_nights"], 0, "{nd}");
        let rostered: i64 = nd["allowances"].as_array().unwrap().iter().map(|a| a["rostered_nights"].as_i64().unwrap()).sum();
        assert_eq!(rostered, 29, "{nd}");

        // Filling the night clears it.
        app.ok(&m, "/api/v1/roster/entries",
               json!({ "entries": [{ "staff_id": people[1], "date": "2026-11-17", "shift": "night" }] }),
               StatusCode::CREATED).await;
        let (_, c) = app.get(&m, "/api/v1/roster/check?month=2026-11").await;
        assert_eq!(c["nights_uncovered"], json!([]), "{c}");
        // December is not rostered at all: every night is flagged.
        let (_, c) = app.get(&m, "/api/v1/roster/check?month=2026-12").await;
        assert_eq!(c["nights_uncovered"].as_array().unwrap().len(), 31);
        // A person not certified on night duty is an error finding on that night.
        let new = hire(&app, &m, "N5", "2026-10-01", None).await;
        app.ok(&m, "/api/v1/roster/entries",
               json!({ "entries": [{ "staff_id": new, "date": "2026-12-05", "shift": "night" }] }),
               StatusCode::CREATED).await;
        let (_, c) = app.get(&m, "/api/v1/roster/check?month=2026-12").await;
        let f: Vec<&Value> = c["findings"].as_array().unwrap().iter()
            .filter(|f| f["rule"] == "night_not_certified").collect();
        assert_eq!((f.len(), f[0]["date"].as_str()), (1, Some("2026-12-05")));
        assert_eq!(c["nights_uncovered"].as_array().unwrap().len(), 30);
    })
    .await;
}

#[tokio::test]
async fn roster_bad_input_swaps_leave_and_trainings() {
    each_backend(bj(2026, 10, 20, 10, 0), |app| async move {
        let m = app.login("manager").await;
        let agent = app.login("agent").await;
        let a = hire(&app, &m, "A1", "2026-01-01", Some("2026-02-01")).await;
        let b = hire(&app, &m, "B1", "2026-01-01", Some("2026-02-01")).await;
        // The shift leader's staff record is linked to their login.
        let leader_user = app.users["leader"];
        let l = app
            .ok(&m, "/api/v1/staff",
                json!({ "code": "SL01", "name": "班长王", "position": "shift_leader",
                        "start": "2026-01-01", "certified_on": "2026-01-01", "user_id": leader_user }),
                StatusCode::CREATED)
            .await;
        assert_eq!(l["user_id"], leader_user);

        let entry = |staff: i64, date: &str, shift: &str| json!({ "staff_id": staff, "date": date, "shift": shift });
        app.ok(&m, "/api/v1/roster/entries",
               json!({ "entries": [entry(a, "2026-11-03", "night"), entry(b, "2026-11-04", "day")] }),
               StatusCode::CREATED).await;

        // Only managers keep the roster.
        assert_eq!(app.post(&agent, "/api/v1/roster/entries", json!({ "entries": [entry(a, "2026-11-05", "day")] })).await.0, StatusCode::FORBIDDEN);
        // The same shift twice for one person: 409 naming both; a batch with one bad entry stores none.
        let (status, e) = app
            .post(&m, "/api/v1/roster/entries",
                  json!({ "entries": [entry(b, "2026-11-10", "day"), entry(a, "2026-11-03", "night")] }))
            .await;
        assert_eq!((status, error_code(&e)), (StatusCode::CONFLICT, "overlapping_shifts"), "{e}");
        assert!(e["error"]["message"].as_str().unwrap().contains("2026-11-03"), "{e}");
        let (status, e) = app
            .post(&m, "/api/v1/roster/entries",
                  json!({ "entries": [entry(b, "2026-11-11", "day"), entry(b, "2026-11-11", "day")] }))
            .await;
        assert_eq!(status, StatusCode::CONFLICT, "{e}");
        let (_, r) = app.get(&m, "/api/v1/roster?month=2026-11").await;
        assert_eq!(r["entries"].as_array().unwrap().len(), 2, "nothing half-saved: {r}");
        // Unknown shift and unknown person: 422 naming them.
        let (status, e) = app.post(&m, "/api/v1/roster/entries", json!({ "entries": [entry(a, "2026-11-06", "brunch")] })).await;
        assert_eq!((status, e["error"]["field"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("shift")), "{e}");
        let (status, e) = app.post(&m, "/api/v1/roster/entries", json!({ "entries": [entry(999_999, "2026-11-06", "day")] })).await;
        assert_eq!((status, e["error"]["field"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("staff_id")), "{e}");

        // Leave: end before start is 422; overlapping leave 409.
        let (status, e) = app
            .post(&m, "/api/v1/roster/leaves",
                  json!({ "staff_id": b, "first_day": "2026-11-20", "last_day": "2026-11-18", "kind": "annual" }))
            .await;
        assert_eq!((status, error_code(&e)), (StatusCode::UNPROCESSABLE_ENTITY, "end_before_start"), "{e}");
        app.ok(&m, "/api/v1/roster/leaves",
               json!({ "staff_id": b, "first_day": "2026-11-18", "last_day": "2026-11-20", "kind": "annual" }),
               StatusCode::CREATED).await;
        let (status, _) = app
            .post(&m, "/api/v1/roster/leaves",
                  json!({ "staff_id": b, "first_day": "2026-11-20", "last_day": "2026-11-21", "kind": "sick" }))
            .await;
        assert_eq!(status, StatusCode::CONFLICT);

        // A swaps the night of the 3rd to B; the shift leader approves; B works it.
        let s = app
            .ok(&agent, "/api/v1/roster/swaps",
                json!({ "date": "2026-11-03", "shift": "night", "from_staff_id": a, "to_staff_id": b }),
                StatusCode::CREATED)
            .await;
        let sid = s["id"].as_i64().unwrap();
        assert_eq!(s["status"]["status"], "requested");
        assert_eq!(app.post(&agent, &format!("/api/v1/roster/swaps/{sid}/approve"), json!({})).await.0, StatusCode::FORBIDDEN);
        let leader = app.login("leader").await;
        let ok = app.ok(&leader, &format!("/api/v1/roster/swaps/{sid}/approve"), json!({}), StatusCode::OK).await;
        assert_eq!(ok["status"]["status"], "approved");
        assert_eq!(app.post(&leader, &format!("/api/v1/roster/swaps/{sid}/approve"), json!({})).await.0, StatusCode::CONFLICT);
        let (_, r) = app.get(&m, "/api/v1/roster?month=2026-11").await;
        let night3: Vec<&Value> = r["effective"]["shifts"].as_array().unwrap().iter()
            .filter(|w| w["date"] == "2026-11-03" && w["shift"] == "night").collect();
        assert_eq!(night3[0]["staff_id"], b, "{r}");
        // A manager without a linked staff record cannot decide (422 naming approver).
        let s2 = app
            .ok(&agent, "/api/v1/roster/swaps",
                json!({ "date": "2026-11-04", "shift": "day", "from_staff_id": b, "to_staff_id": a }),
                StatusCode::CREATED)
            .await;
        let (status, e) = app.post(&m, &format!("/api/v1/roster/swaps/{}/approve", s2["id"]), json!({})).await;
        assert_eq!((status, e["error"]["field"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("approver")), "{e}");
        // A swap of a shift nobody works is 422.
        let (status, _) = app
            .post(&agent, "/api/v1/roster/swaps",
                  json!({ "date": "2026-11-09", "shift": "night", "from_staff_id": a, "to_staff_id": b }))
            .await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
        // The entry an approved swap uses cannot be removed.
        let id3 = r["entries"].as_array().unwrap().iter().find(|e| e["date"] == "2026-11-03").unwrap()["id"].as_i64().unwrap();
        let resp = app.send(reqwest::Method::DELETE, Some(&m), &format!("/api/v1/roster/entries/{id3}"), None).await;
        assert_eq!(resp.0, StatusCode::CONFLICT, "{}", resp.1);

        // Trainings: two held this year, below the contract's 3.
        for (date, topic) in [("2026-03-10", "12345热线服务规范"), ("2026-09-01", "台风季应急预案")] {
            app.ok(&m, "/api/v1/trainings",
                   json!({ "date": date, "topic": topic, "trainer": "县12345办", "attendees": [a, b],
                           "duration_minutes": 120 }),
                   StatusCode::CREATED).await;
        }
        assert_eq!(app.post(&agent, "/api/v1/trainings", json!({ "date": "2026-03-10", "topic": "x", "trainer": "y", "attendees": [a], "duration_minutes": 60 })).await.0, StatusCode::FORBIDDEN);
        let (status, e) = app
            .post(&m, "/api/v1/trainings", json!({ "date": "2026-03-10", "topic": "x", "trainer": "y", "attendees": [], "duration_minutes": 60 }))
            .await;
        assert_eq!((status, e["error"]["field"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("attendees")), "{e}");
        let (_, c) = app.get(&agent, "/api/v1/trainings/count?year_from=2026-01-01").await;
        assert_eq!((c["held"].as_i64(), c["still_needed"].as_i64(), c["status"].as_str()), (Some(2), Some(1), Some("below")), "{c}");
        let (_, c) = app.get(&agent, "/api/v1/trainings/count?year_from=2026-06-01").await;
        assert_eq!(c["held"], 1);
    })
    .await;
}

#[tokio::test]
async fn contract_costs_budget_and_settlement_for_a_sample_ratio() {
    each_backend(bj(2026, 5, 10, 10, 0), |app| async move {
        let m = app.login("manager").await;
        let county = app.login("county").await;
        let agent = app.login("agent").await;
        let body = json!({ "buyer": "白沙黎族自治县12345热线办公室", "operator": "示例运营服务有限公司",
                           "start": "2026-04-01" });
        assert_eq!(app.post(&county, "/api/v1/contracts", body.clone()).await.0, StatusCode::FORBIDDEN);
        let c = app.ok(&m, "/api/v1/contracts", body.clone(), StatusCode::CREATED).await;
        let id = c["id"].as_i64().unwrap();
        // The default bill: 1,406,000.00 yuan, one year less a day, 30 % final payment.
        assert_eq!(c["total_amount"], 140_600_000);
        assert_eq!(c["end"], "2027-03-31");
        assert_eq!(c["lines"].as_array().unwrap().len(), 13);

        // Overlapping term, end before start, a wrong total: refused, naming the problem.
        let (status, e) = app.post(&m, "/api/v1/contracts", json!({ "buyer": "b", "operator": "o", "start": "2027-01-01" })).await;
        assert_eq!((status, error_code(&e)), (StatusCode::CONFLICT, "conflict"), "{e}");
        let (status, e) = app
            .post(&m, "/api/v1/contracts", json!({ "buyer": "b", "operator": "o", "start": "2028-01-01", "end": "2027-12-31" }))
            .await;
        assert_eq!((status, error_code(&e)), (StatusCode::UNPROCESSABLE_ENTITY, "end_before_start"), "{e}");
        let (status, e) = app
            .post(&m, "/api/v1/contracts", json!({ "buyer": "b", "operator": "o", "start": "2028-01-01", "total_amount": 1 }))
            .await;
        assert_eq!((status, e["error"]["field"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("total_amount")), "{e}");
        let (_, list) = app.get(&county, "/api/v1/contracts").await;
        assert_eq!(list.as_array().unwrap().len(), 1);

        // Settlement: 140,600,000 fen × 30 % × 0.95 = 40,071,000 fen due, 2,109,000 withheld.
        let (status, s) = app.get(&county, "/api/v1/contract/settlement?ratio=0.95").await;
        assert_eq!(status, StatusCode::OK, "{s}");
        assert_eq!(s["final_payment_base"], 42_180_000);
        assert_eq!(s["final_payment_due"], 40_071_000);
        assert_eq!(s["withheld"], 2_109_000);
        let (status, e) = app.get(&county, "/api/v1/contract/settlement?ratio=1.2").await;
        assert_eq!((status, e["error"]["field"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("ratio")));
        assert_eq!(app.get(&agent, "/api/v1/contract/settlement?ratio=0.95").await.0, StatusCode::FORBIDDEN);

        // Costs and budget vs actual: April's telephone rent 300.00 yuan against a budget of
        // 3,600.00 × 30/365 days = 295.89 yuan to date.
        let path = format!("/api/v1/contracts/{id}/costs");
        app.ok(&m, &path, json!({ "line_code": "telephone_rent", "month": "2026-04", "amount": 30_000, "quantity": 10 }), StatusCode::CREATED).await;
        let (status, e) = app.post(&m, &path, json!({ "line_code": "coffee", "month": "2026-04", "amount": 1 })).await;
        assert_eq!((status, e["error"]["field"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("line_code")), "{e}");
        let (status, e) = app.post(&m, &path, json!({ "line_code": "telephone_rent", "month": "2025-04", "amount": 1 })).await;
        assert_eq!((status, e["error"]["field"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("month")), "{e}");
        assert_eq!(app.post(&county, &path, json!({ "line_code": "telephone_rent", "month": "2026-04", "amount": 1 })).await.0, StatusCode::FORBIDDEN);
        let (_, costs) = app.get(&county, &path).await;
        assert_eq!(costs.as_array().unwrap().len(), 1, "refused costs stored nothing");
        let (status, b) = app.get(&county, &format!("/api/v1/contracts/{id}/budget?through=2026-04")).await;
        assert_eq!(status, StatusCode::OK, "{b}");
        assert_eq!((b["days_elapsed"].as_i64(), b["days_total"].as_i64()), (Some(30), Some(365)));
        let line = b["lines"].as_array().unwrap().iter().find(|l| l["code"] == "telephone_rent").unwrap();
        assert_eq!((line["budget_to_date"].as_i64(), line["actual"].as_i64(), line["variance_to_date"].as_i64()), (Some(29_589), Some(30_000), Some(411)));
        assert_eq!(b["total"]["actual"], 30_000);

        // Trainings count over the contract year by default.
        let (_, tc) = app.get(&m, "/api/v1/trainings/count").await;
        assert_eq!(tc["year"]["from"], "2026-04-01");

        // Another sub-platform sees none of it.
        let m2 = app.login("manager2").await;
        assert_eq!(app.get(&m2, &format!("/api/v1/contracts/{id}")).await.0, StatusCode::NOT_FOUND);
        assert_eq!(app.post(&m2, &path, json!({ "line_code": "telephone_rent", "month": "2026-04", "amount": 1 })).await.0, StatusCode::NOT_FOUND);
        assert_eq!(app.get(&m2, "/api/v1/contract/settlement?ratio=0.95").await.0, StatusCode::NOT_FOUND);
    })
    .await;
}

async fn post_csv(app: &App, token: &str, path: &str, body: &str) -> (StatusCode, Value) {
    let resp = app
        .http
        .post(app.url(path))
        .bearer_auth(token)
        .header("content-type", "text/csv")
        .body(body.to_owned())
        .send()
        .await
        .unwrap();
    let status = resp.status();
    (status, resp.json().await.unwrap_or(Value::Null))
}

async fn get_text(app: &App, token: &str, path: &str) -> (StatusCode, String, String) {
    let resp = app
        .http
        .get(app.url(path))
        .bearer_auth(token)
        .send()
        .await
        .unwrap();
    let status = resp.status();
    let ct = resp
        .headers()
        .get("content-type")
        .map(|v| v.to_str().unwrap().to_owned())
        .unwrap_or_default();
    (status, ct, resp.text().await.unwrap())
}

#[tokio::test]
async fn staff_and_roster_csv_round_trip_with_bom_all_or_nothing() {
    each_backend(bj(2026, 10, 20, 10, 0), |app| async move {
        let m = app.login("manager").await;
        let agent = app.login("agent").await;
        // As Excel on Chinese Windows saves it: BOM, Chinese headers, 2026/3/1 dates.
        let good = "\u{feff}工号,姓名,岗位,入职日期,独立上机日期,离职日期,离职原因,语言,技能,身份证号,手机号\n\
                    C01,王芳,客服代表,2026/3/1,2026/4/1,,,普通话;黎语,政策咨询,11010519491231002X,13812345678\n\
                    C02,李明,agent,2026-01-05,2026-02-01,2026-08-31,辞职,mandarin,,,\n";
        // One bad ID card in row 3: nothing is stored, and the error names row and column.
        let bad = good.replace(",2026-08-31,辞职,mandarin,,,", ",2026-08-31,辞职,mandarin,,110105194912310021,");
        let (status, e) = post_csv(&app, &m, "/api/v1/staff/import", &bad).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{e}");
        assert_eq!(e["error"]["field"], "row 3: id_card", "{e}");
        assert_eq!(app.get(&m, "/api/v1/staff").await.1.as_array().unwrap().len(), 0);
        // A domain refusal in a later row rolls back the earlier rows too.
        let late = good.replace("2026-02-01,2026-08-31", "2026-02-01,2025-12-31");
        let (status, e) = post_csv(&app, &m, "/api/v1/staff/import", &late).await;
        assert_eq!((status, error_code(&e)), (StatusCode::UNPROCESSABLE_ENTITY, "end_before_start"), "{e}");
        assert!(e["error"]["message"].as_str().unwrap().starts_with("row 3"), "{e}");
        assert_eq!(app.get(&m, "/api/v1/staff").await.1.as_array().unwrap().len(), 0);
        assert_eq!(post_csv(&app, &agent, "/api/v1/staff/import", good).await.0, StatusCode::FORBIDDEN);

        let (status, r) = post_csv(&app, &m, "/api/v1/staff/import", good).await;
        assert_eq!((status, r["imported"].as_i64()), (StatusCode::CREATED, Some(2)), "{r}");
        let (_, list) = app.get(&m, "/api/v1/staff").await;
        let li = list.as_array().unwrap().iter().find(|s| s["code"] == "C02").unwrap();
        assert_eq!((li["on_staff"].as_bool(), li["employment"][0]["end"]["reason"].as_str()), (Some(false), Some("resigned")));

        // Export: BOM, Chinese header, full numbers only for managers.
        let (status, ct, text) = get_text(&app, &m, "/api/v1/staff/export.csv").await;
        assert_eq!(status, StatusCode::OK);
        assert!(ct.starts_with("text/csv"), "{ct}");
        assert!(text.starts_with("\u{feff}工号,姓名,岗位"), "{text}");
        assert!(text.contains("C01,王芳,客服代表,2026-03-01,2026-04-01,,,普通话;黎语,政策咨询,11010519491231002X,13812345678"), "{text}");
        let (_, _, masked) = get_text(&app, &agent, "/api/v1/staff/export.csv").await;
        assert!(masked.contains("138****5678") && !masked.contains("13812345678"), "{masked}");

        // Roster: import by staff code and shift name, export back.
        let roster = "\u{feff}日期,班次,工号,姓名\n2026-11-01,夜班,C01,王芳\n2026-11-02,night,C01,\n2026-11-02,白班,C01,\n";
        let (status, r) = post_csv(&app, &m, "/api/v1/roster/import", roster).await;
        assert_eq!((status, r["imported"].as_i64()), (StatusCode::CREATED, Some(3)), "{r}");
        let (_, _, text) = get_text(&app, &agent, "/api/v1/roster/export.csv?month=2026-11").await;
        assert_eq!(text, "\u{feff}日期,班次,工号,姓名\n2026-11-01,night,C01,王芳\n2026-11-02,day,C01,王芳\n2026-11-02,night,C01,王芳\n");
        // Unknown code names the row; an overlap refuses the whole file.
        let (status, e) = post_csv(&app, &m, "/api/v1/roster/import", "日期,班次,工号\n2026-11-05,夜班,ZZ9\n").await;
        assert_eq!((status, e["error"]["field"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("row 2: code")), "{e}");
        let (status, _) = post_csv(&app, &m, "/api/v1/roster/import", "日期,班次,工号\n2026-11-06,夜班,C01\n2026-11-01,夜班,C01\n").await;
        assert_eq!(status, StatusCode::CONFLICT);
        let (_, r) = app.get(&m, "/api/v1/roster?month=2026-11").await;
        assert_eq!(r["entries"].as_array().unwrap().len(), 3);
        // Not CSV, not UTF-8, unknown column.
        let (status, _) = app.post(&m, "/api/v1/roster/import", json!({})).await;
        assert_eq!(status, StatusCode::UNSUPPORTED_MEDIA_TYPE);
        let resp = app.http.post(app.url("/api/v1/roster/import")).bearer_auth(&m)
            .header("content-type", "text/csv").body(vec![0xC8u8, 0xD5, 0xC6, 0xDA, b'\n']).send().await.unwrap();
        assert_eq!(resp.status(), StatusCode::UNPROCESSABLE_ENTITY);
        let (status, e) = post_csv(&app, &m, "/api/v1/roster/import", "日期,班次,员工\n2026-11-05,夜班,C01\n").await;
        assert_eq!((status, e["error"]["field"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("file")), "{e}");
    })
    .await;
}

/// Every operations endpoint in the OpenAPI document: 401 without a session, 403 for a
/// department handler (county bodies see nothing of operations).
#[tokio::test]
async fn every_operations_endpoint_refuses_department_handlers() {
    let db = testing::sqlite().await;
    let app = App::start(db, bj(2026, 10, 20, 10, 0)).await;
    let dept = app.login("dept").await;
    let (_, doc) = app
        .send(reqwest::Method::GET, None, "/api/openapi.json", None)
        .await;
    let mut checked = 0;
    for (path, item) in doc["paths"].as_object().unwrap() {
        for (method, op) in item.as_object().unwrap() {
            if op["tags"][0] != "operations" {
                continue;
            }
            let url = path.replace("{id}", "1");
            let m = reqwest::Method::from_bytes(method.to_uppercase().as_bytes()).unwrap();
            let body =
                (m != reqwest::Method::GET && m != reqwest::Method::DELETE).then(|| json!({}));
            let (status, _) = app.send(m.clone(), None, &url, body.clone()).await;
            assert_eq!(status, StatusCode::UNAUTHORIZED, "{method} {path}");
            let (status, e) = app.send(m, Some(&dept), &url, body).await;
            assert_eq!(
                (status, error_code(&e)),
                (StatusCode::FORBIDDEN, "forbidden"),
                "{method} {path}"
            );
            checked += 1;
        }
    }
    assert!(checked >= 60, "only {checked} operations endpoints found");
}

#[tokio::test]
async fn baisha_default_assets_once_then_lines_filled_in() {
    each_backend(bj(2026, 10, 20, 10, 0), |app| async move {
        let m = app.login("manager").await;
        let leader = app.login("leader").await;
        assert_eq!(
            app.post(&leader, "/api/v1/assets/defaults", json!({}))
                .await
                .0,
            StatusCode::FORBIDDEN
        );
        let list = app
            .ok(
                &m,
                "/api/v1/assets/defaults",
                json!({ "commissioned_on": "2026-10-01" }),
                StatusCode::CREATED,
            )
            .await;
        let list = list.as_array().unwrap();
        assert_eq!(list.len(), 23, "3 lines, 10 telephones, 10 seats");
        assert_eq!(
            app.post(&m, "/api/v1/assets/defaults", json!({})).await.0,
            StatusCode::CONFLICT
        );
        let line = list[0]["id"].as_i64().unwrap();
        let (status, a) = app
            .patch(
                &m,
                &format!("/api/v1/assets/{line}"),
                json!({ "kind": { "type": "leased_line", "purpose": "provincial_call_centre",
                                     "bandwidth_mbps": 10, "provider": "中国电信白沙分公司",
                                     "circuit_id": "HN-BS-0001" }, "location": "机房" }),
            )
            .await;
        assert_eq!(
            (status, a["kind"]["circuit_id"].as_str()),
            (StatusCode::OK, Some("HN-BS-0001")),
            "{a}"
        );
        let (status, e) = app
            .patch(
                &m,
                &format!("/api/v1/assets/{line}"),
                json!({ "kind": { "type": "seat", "seat_number": 3 } }),
            )
            .await;
        assert_eq!(
            (status, e["error"]["field"].as_str()),
            (StatusCode::UNPROCESSABLE_ENTITY, Some("kind")),
            "{e}"
        );
        // Nobody inspected anything yet: every asset is missed on each day so far.
        let (_, missed) = app
            .get(
                &m,
                "/api/v1/inspections/missed?from=2026-10-19&to=2026-10-20",
            )
            .await;
        assert_eq!(missed["missed"].as_array().unwrap().len(), 46);
    })
    .await;
}

#[tokio::test]
async fn call_reviews_on_the_sheet_give_scores_per_agent_per_month() {
    each_backend(bj(2026, 10, 20, 10, 0), |app| async move {
        let m = app.login("manager").await;
        let agent = app.login("agent").await;
        let a = hire(&app, &m, "A1", "2026-01-01", Some("2026-02-01")).await;
        app.ok(
            &m,
            "/api/v1/staff",
            json!({ "code": "SL01", "name": "班长王", "position": "shift_leader",
                       "start": "2026-01-01", "user_id": app.users["leader"] }),
            StatusCode::CREATED,
        )
        .await;
        let leader = app.login("leader").await;
        let full = json!({ "greeting": 10, "listening": 20, "accuracy": 30, "order_quality": 20,
                           "attitude": 10, "efficiency": 10 });
        let half = json!({ "greeting": 5, "listening": 10, "accuracy": 15, "order_quality": 10,
                           "attitude": 5, "efficiency": 5 });
        let body = |scores: &Value| {
            json!({ "agent_staff_id": a, "subject_at": bj(2026, 10, 19, 15, 0),
                                            "call_id": "C-1", "scores": scores })
        };
        assert_eq!(
            app.post(&agent, "/api/v1/call-reviews", body(&full))
                .await
                .0,
            StatusCode::FORBIDDEN
        );
        app.ok(
            &leader,
            "/api/v1/call-reviews",
            body(&full),
            StatusCode::CREATED,
        )
        .await;
        let r = app
            .ok(
                &leader,
                "/api/v1/call-reviews",
                body(&half),
                StatusCode::CREATED,
            )
            .await;
        assert_eq!(r["scores"].as_array().unwrap().len(), 6);
        // A missing item, a score above its maximum: 422 naming them; nothing stored.
        let mut missing = half.clone();
        missing.as_object_mut().unwrap().remove("attitude");
        let (status, e) = app
            .post(&leader, "/api/v1/call-reviews", body(&missing))
            .await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(
            e["error"]["message"].as_str().unwrap().contains("attitude"),
            "{e}"
        );
        let mut over = half.clone();
        over["greeting"] = json!(11);
        let (status, e) = app.post(&leader, "/api/v1/call-reviews", body(&over)).await;
        assert_eq!(
            (status, e["error"]["field"].as_str()),
            (StatusCode::UNPROCESSABLE_ENTITY, Some("scores")),
            "{e}"
        );
        // The manager has no linked staff record: 422 naming the reviewer.
        let (status, e) = app.post(&m, "/api/v1/call-reviews", body(&half)).await;
        assert_eq!(
            (status, e["error"]["field"].as_str()),
            (StatusCode::UNPROCESSABLE_ENTITY, Some("reviewer")),
            "{e}"
        );

        let (_, s) = app
            .get(&m, "/api/v1/call-reviews/scores?month=2026-10")
            .await;
        assert_eq!(s.as_array().unwrap().len(), 1, "{s}");
        assert_eq!(
            (s[0]["agent"].as_i64(), s[0]["reviews"].as_i64()),
            (Some(a), Some(2))
        );
        assert_eq!(s[0]["average_percent"], 75.0);
        assert_eq!(s[0]["item_percent"]["greeting"], 75.0);
        let (_, list) = app.get(&agent, "/api/v1/call-reviews?month=2026-10").await;
        assert_eq!(list.as_array().unwrap().len(), 2);
    })
    .await;
}

const XLSX: &str = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";

async fn get_bytes(app: &App, token: &str, path: &str) -> (StatusCode, String, Vec<u8>) {
    let resp = app
        .http
        .get(app.url(path))
        .bearer_auth(token)
        .send()
        .await
        .unwrap();
    let status = resp.status();
    let ct = resp
        .headers()
        .get("content-type")
        .map(|v| v.to_str().unwrap().to_owned())
        .unwrap_or_default();
    (status, ct, resp.bytes().await.unwrap().to_vec())
}

async fn post_xlsx(app: &App, token: &str, path: &str, body: Vec<u8>) -> (StatusCode, Value) {
    let resp = app
        .http
        .post(app.url(path))
        .bearer_auth(token)
        .header("content-type", XLSX)
        .body(body)
        .send()
        .await
        .unwrap();
    let status = resp.status();
    (status, resp.json().await.unwrap_or(Value::Null))
}

#[tokio::test]
async fn staff_and_roster_excel_round_trip_into_another_platform() {
    use calamine::{Data, Reader};
    each_backend(bj(2026, 10, 20, 10, 0), |app| async move {
        let m = app.login("manager").await;
        let m2 = app.login("manager2").await;
        let staff = "工号,姓名,岗位,入职日期,独立上机日期,离职日期,离职原因,语言,技能,身份证号,手机号\n\
                     C01,王芳,客服代表,2026-03-01,2026-04-01,,,普通话;黎语,政策咨询,11010519491231002X,13812345678\n\
                     C02,李明,agent,2026-01-05,2026-02-01,2026-08-31,辞职,mandarin,,,\n";
        assert_eq!(post_csv(&app, &m, "/api/v1/staff/import", staff).await.0, StatusCode::CREATED);
        let roster = "日期,班次,工号\n2026-11-01,夜班,C01\n2026-11-02,白班,C01\n2026-11-30,night,C01\n";
        assert_eq!(post_csv(&app, &m, "/api/v1/roster/import", roster).await.0, StatusCode::CREATED);

        // The staff workbook: Chinese headers, dates as real Excel dates, codes as text.
        let (status, ct, book) = get_bytes(&app, &m, "/api/v1/staff/export.xlsx").await;
        assert_eq!((status, ct.as_str()), (StatusCode::OK, XLSX));
        let mut wb = calamine::Xlsx::new(std::io::Cursor::new(book.clone())).unwrap();
        let sheet = wb.worksheet_range_at(0).unwrap().unwrap();
        assert_eq!(sheet.get_value((0, 0)), Some(&Data::String("工号".into())));
        assert_eq!(sheet.get_value((1, 0)), Some(&Data::String("C01".into())));
        match sheet.get_value((1, 3)) {
            Some(Data::DateTime(d)) => assert_eq!(d.as_f64(), 46_082.0), // 2026-03-01
            other => panic!("start is not an Excel date: {other:?}"),
        }

        // Imported into the other sub-platform, it exports the same CSV.
        let (status, r) = post_xlsx(&app, &m2, "/api/v1/staff/import", book).await;
        assert_eq!((status, r["imported"].as_i64()), (StatusCode::CREATED, Some(2)), "{r}");
        let (_, _, here) = get_text(&app, &m, "/api/v1/staff/export.csv").await;
        let (_, _, there) = get_text(&app, &m2, "/api/v1/staff/export.csv").await;
        assert_eq!(here, there);
        assert!(here.contains("C02,李明,客服代表,2026-01-05,2026-02-01,2026-08-31,辞职"), "{here}");

        // The roster month, likewise.
        let (status, ct, book) = get_bytes(&app, &m, "/api/v1/roster/export.xlsx?month=2026-11").await;
        assert_eq!((status, ct.as_str()), (StatusCode::OK, XLSX));
        let (status, r) = post_xlsx(&app, &m2, "/api/v1/roster/import", book).await;
        assert_eq!((status, r["imported"].as_i64()), (StatusCode::CREATED, Some(3)), "{r}");
        let (_, _, here) = get_text(&app, &m, "/api/v1/roster/export.csv?month=2026-11").await;
        let (_, _, there) = get_text(&app, &m2, "/api/v1/roster/export.csv?month=2026-11").await;
        assert_eq!(here, there);
        assert!(here.ends_with("2026-11-30,night,C01,王芳\n"), "{here}");
        // Agents may read but not import.
        let agent = app.login("agent").await;
        let (status, _, book) = get_bytes(&app, &agent, "/api/v1/roster/export.xlsx?month=2026-11").await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(post_xlsx(&app, &agent, "/api/v1/roster/import", book).await.0, StatusCode::FORBIDDEN);
    })
    .await;
}

#[tokio::test]
async fn a_bad_excel_cell_is_reported_by_row_and_column_and_nothing_is_stored() {
    each_backend(bj(2026, 10, 20, 10, 0), |app| async move {
        let m = app.login("manager").await;
        let mut wb = rust_xlsxwriter::Workbook::new();
        let ws = wb.add_worksheet();
        let date = rust_xlsxwriter::Format::new().set_num_format("yyyy/m/d");
        for (c, h) in ["工号", "姓名", "岗位", "入职日期"].iter().enumerate() {
            ws.write_string(0, c as u16, *h).unwrap();
        }
        ws.write_string(1, 0, "C01").unwrap();
        ws.write_string(1, 1, "王芳").unwrap();
        ws.write_string(1, 2, "客服代表").unwrap();
        let d = rust_xlsxwriter::ExcelDateTime::from_ymd(2026, 3, 1).unwrap();
        ws.write_datetime_with_format(1, 3, &d, &date).unwrap();
        // Row 3: a number typed as the code is fine; the start date is not a date.
        ws.write_number(2, 0, 17.0).unwrap();
        ws.write_string(2, 1, "李明").unwrap();
        ws.write_string(2, 2, "agent").unwrap();
        ws.write_string(2, 3, "下个月").unwrap();
        let book = wb.save_to_buffer().unwrap();
        let (status, e) = post_xlsx(&app, &m, "/api/v1/staff/import", book).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{e}");
        assert_eq!(e["error"]["field"], "row 3: start", "{e}");
        assert_eq!(
            app.get(&m, "/api/v1/staff")
                .await
                .1
                .as_array()
                .unwrap()
                .len(),
            0
        );

        // Fixed, both rows go in; the Excel date and the numeric code read as text.
        ws_fix_and_import(&app, &m).await;
        let (_, list) = app.get(&m, "/api/v1/staff").await;
        let codes: Vec<&str> = list
            .as_array()
            .unwrap()
            .iter()
            .map(|s| s["code"].as_str().unwrap())
            .collect();
        assert_eq!(codes.len(), 2);
        assert!(codes.contains(&"17"), "{list}");
        // Not a workbook at all.
        let (status, e) =
            post_xlsx(&app, &m, "/api/v1/staff/import", b"PK nonsense".to_vec()).await;
        assert_eq!(
            (status, e["error"]["field"].as_str()),
            (StatusCode::UNPROCESSABLE_ENTITY, Some("file")),
            "{e}"
        );
    })
    .await;
}

async fn ws_fix_and_import(app: &App, m: &str) {
    let mut wb = rust_xlsxwriter::Workbook::new();
    let ws = wb.add_worksheet();
    let date = rust_xlsxwriter::Format::new().set_num_format("yyyy/m/d");
    for (c, h) in ["工号", "姓名", "岗位", "入职日期"].iter().enumerate() {
        ws.write_string(0, c as u16, *h).unwrap();
    }
    let d = rust_xlsxwriter::ExcelDateTime::from_ymd(2026, 3, 1).unwrap();
    for (r, code) in [(1u32, "C01"), (2, "")] {
        if code.is_empty() {
            ws.write_number(r, 0, 17.0).unwrap();
        } else {
            ws.write_string(r, 0, code).unwrap();
        }
        ws.write_string(r, 1, "某人").unwrap();
        ws.write_string(r, 2, "客服代表").unwrap();
        ws.write_datetime_with_format(r, 3, &d, &date).unwrap();
    }
    let (status, r) = post_xlsx(app, m, "/api/v1/staff/import", wb.save_to_buffer().unwrap()).await;
    assert_eq!(
        (status, r["imported"].as_i64()),
        (StatusCode::CREATED, Some(2)),
        "{r}"
    );
}

/// An ACD state change as crates/web/src/acd.rs logs it.
async fn agent_state(app: &App, agent: &str, at: DateTime<Utc>, from: &str, to: &str) {
    let platforms = app._db.store.list_platforms().await.unwrap();
    let baisha = platforms.iter().find(|p| p.code != "other").unwrap().id;
    app._db
        .store
        .log_acd_event(
            baisha,
            &rexian_domain::AggregateRef::new("agent", agent),
            "agent.state_changed",
            json!({ "at": at, "from": { "state": from }, "to": { "state": to }, "forced_by": null }),
            None,
            &Actor::System { component: "acd".into() },
            at,
        )
        .await
        .unwrap();
}

#[tokio::test]
async fn night_duty_counts_a_rostered_night_only_when_signed_in_for_most_of_it() {
    each_backend(bj(2026, 12, 2, 10, 0), |app| async move {
        let m = app.login("manager").await;
        let mut ids = Vec::new();
        for (code, login) in [("N1", Some("agent")), ("N2", Some("leader")), ("N3", None)] {
            let s = app
                .ok(
                    &m,
                    "/api/v1/staff",
                    json!({ "code": code, "name": format!("员工{code}"), "position": "agent",
                            "start": "2026-01-01", "certified_on": "2026-02-01",
                            "user_id": login.map(|l| app.users[l]) }),
                    StatusCode::CREATED,
                )
                .await;
            ids.push(s["id"].as_i64().unwrap());
        }
        let entries: Vec<Value> = [
            (ids[0], "2026-11-03"),
            (ids[1], "2026-11-04"),
            (ids[2], "2026-11-05"),
            (ids[0], "2026-11-06"),
        ]
        .iter()
        .map(|(id, d)| json!({ "staff_id": id, "date": d, "shift": "night" }))
        .collect();
        app.ok(
            &m,
            "/api/v1/roster/entries",
            json!({ "entries": entries }),
            StatusCode::CREATED,
        )
        .await;
        // N1 (login `agent`): signed in 00:05, a break, signed out 07:50: counts.
        agent_state(&app, "agent", bj(2026, 11, 3, 0, 5), "signed_out", "ready").await;
        agent_state(&app, "agent", bj(2026, 11, 3, 3, 0), "ready", "on_break").await;
        agent_state(&app, "agent", bj(2026, 11, 3, 3, 15), "on_break", "ready").await;
        agent_state(&app, "agent", bj(2026, 11, 3, 7, 50), "ready", "signed_out").await;
        // N2 (login `leader`): only 02:00–05:00: does not count.
        agent_state(&app, "leader", bj(2026, 11, 4, 2, 0), "signed_out", "ready").await;
        agent_state(&app, "leader", bj(2026, 11, 4, 5, 0), "ready", "signed_out").await;
        // N1 on the 6th: signed in the evening before and never signed out: counts.
        agent_state(
            &app,
            "agent",
            bj(2026, 11, 5, 23, 0),
            "signed_out",
            "not_ready",
        )
        .await;

        let (status, nd) = app.get(&m, "/api/v1/roster/night-duty?month=2026-11").await;
        assert_eq!(status, StatusCode::OK, "{nd}");
        let by = |id: i64| {
            nd["allowances"]
                .as_array()
                .unwrap()
                .iter()
                .find(|a| a["staff_id"] == id)
                .cloned()
                .unwrap()
        };
        let n1 = by(ids[0]);
        assert_eq!(
            (n1["rostered_nights"].as_i64(), n1["worked_nights"].as_i64()),
            (Some(2), Some(2)),
            "{n1}"
        );
        assert_eq!(n1["nights"][0]["signed_in_minutes"], 465, "{n1}");
        let n2 = by(ids[1]);
        assert_eq!(
            (n2["rostered_nights"].as_i64(), n2["worked_nights"].as_i64()),
            (Some(1), Some(0)),
            "{n2}"
        );
        assert_eq!(n2["nights"][0]["signed_in_minutes"], 180, "{n2}");
        // N3 has no login: rostered, never confirmed.
        let n3 = by(ids[2]);
        assert_eq!(
            (n3["rostered_nights"].as_i64(), n3["worked_nights"].as_i64()),
            (Some(1), Some(0)),
            "{n3}"
        );
        // The other sub-platform sees none of it.
        let (_, other) = app
            .get(
                &app.login("manager2").await,
                "/api/v1/roster/night-duty?month=2026-11",
            )
            .await;
        assert_eq!(other["allowances"], json!([]), "{other}");
    })
    .await;
}
