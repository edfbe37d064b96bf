//! The assessment API (issue 6): the real server on port 0 with a fixed clock, on a fresh
//! database of each backend; calls stored through the store, orders through the API.

use std::sync::Arc;

use chrono::{DateTime, Duration, TimeZone, Utc};
use reqwest::StatusCode;
use rexian_domain::time::Clock;
use rexian_domain::{Actor, Role};
use rexian_store::testing::{self, TestDb};
use rexian_store::{NewCall, NewPlatform, NewUser, PlatformSeed};
use rexian_web::{AppState, WebSettings, hash_password_blocking, spawn_for_test};
use serde_json::{Value, json};

mod common;
use common::PASSWORD;

/// 2026-10-20 10:00 Beijing.
fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 10, 20, 2, 0, 0).unwrap()
}

struct Fixed;

impl Clock for Fixed {
    fn now(&self) -> DateTime<Utc> {
        now()
    }
}

struct App {
    client: common::Client,
    _db: TestDb,
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
        let t = Utc.with_ymd_and_hms(2026, 9, 1, 0, 0, 0).unwrap();
        let cli = Actor::Cli {
            os_user: "test".into(),
        };
        let baisha = store
            .seed_platform(&PlatformSeed::baisha(), &cli, t)
            .await
            .unwrap()
            .id;
        let mut seed = PlatformSeed::baisha();
        seed.platform = NewPlatform {
            code: "other".into(),
            name: "另一县".into(),
            order_prefix: "OT".into(),
        };
        let other = store.seed_platform(&seed, &cli, t).await.unwrap().id;
        let hash = hash_password_blocking(PASSWORD).unwrap();
        for (platform, name, role) in [
            (baisha, "office", Role::CountyOffice),
            (baisha, "leader", Role::ShiftLeader),
            (baisha, "agent1", Role::Agent),
            (other, "office2", Role::CountyOffice),
        ] {
            let new = NewUser {
                username: name.into(),
                display_name: name.into(),
                role,
                department_id: None,
                password_hash: hash.clone(),
            };
            store.create_user(platform, &new, &cli, t).await.unwrap();
        }
        // October 8: 20 offered calls, 19 answered; the caller's number is 13800001111.
        let day = Utc.with_ymd_and_hms(2026, 10, 8, 1, 0, 0).unwrap();
        for i in 0..20i64 {
            let answered = i != 0;
            let at = day + Duration::minutes(10 * i);
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
                talk_seconds: 100.0,
                wrap_up_seconds: 0.0,
                outcome: if answered { "completed" } else { "abandoned" }.into(),
                overflow_reason: None,
                satisfaction: None,
                record: serde_json::value::RawValue::from_string("{}".to_owned()).unwrap(),
            };
            store
                .insert_call(baisha, &call, false, &cli, at + Duration::seconds(120))
                .await
                .unwrap();
        }
        let state = AppState::new(store, Arc::new(Fixed), WebSettings::default());
        let addr = spawn_for_test(state).await;
        App {
            client: common::Client::new(addr),
            _db: db,
        }
    }

    /// A file: status, headers, body.
    async fn download(
        &self,
        token: &str,
        path: &str,
    ) -> (StatusCode, reqwest::header::HeaderMap, Vec<u8>) {
        let r = self
            .http
            .get(self.url(path))
            .bearer_auth(token)
            .send()
            .await
            .unwrap();
        let (status, headers) = (r.status(), r.headers().clone());
        (status, headers, r.bytes().await.unwrap().to_vec())
    }
}

fn consultation() -> Value {
    json!({
        "kind": "consultation",
        "title": "社保卡怎么补办",
        "content": "社保卡丢了，问怎么补办。",
        "caller_name": "王先生",
        "caller_phone": "13812345678",
    })
}

#[tokio::test]
async fn the_office_reads_the_score_opens_an_indicator_and_sees_the_month_live() {
    for db in testing::all_backends().await {
        let app = App::start(db).await;
        let agent = app.login("agent1").await;
        // Two consultations registered through the API (at the fixed clock, October 20),
        // one answered at the desk.
        let mut ids = Vec::new();
        for _ in 0..2 {
            let (status, o) = app.post(&agent, "/api/v1/orders", consultation()).await;
            assert_eq!(status, StatusCode::CREATED, "{o}");
            ids.push(o["id"].as_i64().unwrap());
        }
        let (status, o) = app
            .post(
                &agent,
                &format!("/api/v1/orders/{}/resolve", ids[0]),
                json!({ "answer": "到社保窗口补办" }),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{o}");

        let office = app.login("office").await;
        let (status, a) = app.get(&office, "/api/v1/assessment?period=2026-10").await;
        assert_eq!(status, StatusCode::OK, "{a}");
        assert_eq!(a["rules_version"], "baisha-2026.1");
        let ind = a["indicators"].as_array().unwrap();
        assert_eq!(ind.len(), 9);
        assert_eq!(
            (ind[0]["numerator"].as_f64(), ind[0]["denominator"].as_f64()),
            (Some(19.0), Some(20.0))
        );
        assert_eq!(ind[0]["score"].as_f64(), Some(20.0), "95% is the target");
        assert_eq!(
            (ind[1]["numerator"].as_f64(), ind[1]["denominator"].as_f64()),
            (Some(1.0), Some(2.0))
        );
        // The same by explicit dates.
        let (status, b) = app
            .get(&office, "/api/v1/assessment?from=2026-10-01&to=2026-10-31")
            .await;
        assert_eq!(status, StatusCode::OK, "{b}");
        assert_eq!(b["indicators"], a["indicators"]);

        // Drill-down: the lists match the counts; callers are masked.
        let (status, d) = app
            .get(&office, "/api/v1/assessment/indicators/1?period=2026-10")
            .await;
        assert_eq!(status, StatusCode::OK, "{d}");
        assert_eq!(d["numerator"].as_array().unwrap().len(), 19);
        assert_eq!(d["denominator"].as_array().unwrap().len(), 20);
        let text = d.to_string();
        assert!(text.contains("138****1111"), "{text}");
        assert!(!text.contains("13800001111"));
        let (status, d) = app
            .get(&office, "/api/v1/assessment/indicators/2?period=2026-10")
            .await;
        assert_eq!(status, StatusCode::OK, "{d}");
        assert_eq!(d["numerator"].as_array().unwrap().len(), 1);
        assert_eq!(d["denominator"].as_array().unwrap().len(), 2);
        assert!(
            d["numerator"][0]["description"]
                .as_str()
                .unwrap()
                .contains("直接办结")
        );

        // Live: October so far, projected, with the headroom.
        let leader = app.login("leader").await;
        let (status, l) = app.get(&leader, "/api/v1/assessment/live").await;
        assert_eq!(status, StatusCode::OK, "{l}");
        assert_eq!(l["so_far"]["period"]["label"], "2026-10");
        assert_eq!(
            l["so_far"]["indicators"][0]["denominator"].as_f64(),
            Some(20.0)
        );
        assert!(
            l["projection"]["indicators"][0]["headroom"].is_object(),
            "{l}"
        );

        // Bad input and roles.
        for q in ["period=2026-13", "period=soon", "from=2026-10-01", ""] {
            let (status, e) = app.get(&office, &format!("/api/v1/assessment?{q}")).await;
            assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{q}: {e}");
            assert!(e["error"]["field"].is_string(), "{q}: {e}");
        }
        let (status, _) = app
            .get(&office, "/api/v1/assessment/indicators/10?period=2026-10")
            .await;
        assert_eq!(status, StatusCode::NOT_FOUND);
        let (status, _) = app.get(&agent, "/api/v1/assessment?period=2026-10").await;
        assert_eq!(status, StatusCode::FORBIDDEN);

        // The monthly report files, with the figures of the JSON.
        let (status, headers, bytes) = app
            .download(
                &office,
                "/api/v1/assessment/report?period=2026-10&format=xlsx",
            )
            .await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(
            headers["content-type"],
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
        );
        assert_eq!(
            headers["content-disposition"],
            "attachment; filename=\"assessment-BS-2026-10.xlsx\""
        );
        {
            use calamine::{Data, Reader};
            let mut wb = calamine::Xlsx::new(std::io::Cursor::new(bytes)).unwrap();
            let scores = wb.worksheet_range("得分 Scores").unwrap();
            for (i, ind) in ind.iter().enumerate() {
                let row = 3 + i as u32;
                for (col, key) in [(4, "numerator"), (5, "denominator"), (9, "score")] {
                    assert_eq!(
                        scores.get_value((row, col)),
                        Some(&Data::Float(ind[key].as_f64().unwrap())),
                        "indicator {} {key}",
                        i + 1
                    );
                }
            }
        }
        let (status, headers, bytes) = app
            .download(
                &office,
                "/api/v1/assessment/report?period=2026-10&format=pdf",
            )
            .await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(headers["content-type"], "application/pdf");
        assert_eq!(
            headers["content-disposition"],
            "attachment; filename=\"assessment-BS-2026-10.pdf\""
        );
        assert!(bytes.starts_with(b"%PDF-"));
        // A format other than xlsx or pdf, or none, is a bad query naming `format`; no
        // period is the usual 422.
        for (q, want) in [
            ("period=2026-10&format=doc", StatusCode::BAD_REQUEST),
            ("period=2026-10", StatusCode::BAD_REQUEST),
            ("format=pdf", StatusCode::UNPROCESSABLE_ENTITY),
        ] {
            let (status, e) = app
                .get(&office, &format!("/api/v1/assessment/report?{q}"))
                .await;
            assert_eq!(status, want, "{q}: {e}");
            let text = e.to_string();
            assert!(
                text.contains(if want == StatusCode::BAD_REQUEST {
                    "format"
                } else {
                    "period"
                }),
                "{q}: {e}"
            );
        }
        let (status, _) = app
            .get(
                &agent,
                "/api/v1/assessment/report?period=2026-10&format=pdf",
            )
            .await;
        assert_eq!(status, StatusCode::FORBIDDEN);
        let doc: Value = app
            .http
            .get(app.url("/api/openapi.json"))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert!(
            doc["paths"]["/api/v1/assessment/report"]["get"].is_object(),
            "the report is in the OpenAPI document"
        );

        // Another sub-platform's office sees only its own (empty) records.
        let other = app.login("office2").await;
        let (status, o) = app.get(&other, "/api/v1/assessment?period=2026-10").await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(o["indicators"][0]["denominator"].as_f64(), Some(0.0));
    }
}
