//! The work-order pages over plain HTTP (no browser), on each backend: who gets the page,
//! who is sent to sign in, who is refused with a 403 page, and what the home page links to.

use std::sync::Arc;

use reqwest::StatusCode;
use rexian_domain::{Actor, Role};
use rexian_store::testing;
use rexian_store::{NewUser, PlatformSeed, Store};
use rexian_web::{AppState, WebSettings, hash_password_blocking, spawn_for_test};
use serde_json::json;

mod common;
use common::{Client, PASSWORD, TestClock};

struct App {
    client: Client,
    dept_a: i64,
    dept_b: i64,
}

async fn start(store: Arc<dyn Store>) -> App {
    let now = chrono::Utc::now();
    let cli = Actor::Cli {
        os_user: "test".into(),
    };
    let baisha = store
        .seed_platform(&PlatformSeed::baisha(), &cli, now)
        .await
        .unwrap()
        .id;
    let depts = store.list_departments(baisha).await.unwrap();
    let (a, b) = (depts[0].id, depts[1].id);
    let hash = hash_password_blocking(PASSWORD).unwrap();
    for (name, role, dept) in [
        ("admin", Role::PlatformAdmin, None),
        ("agent1", Role::Agent, None),
        ("leader1", Role::ShiftLeader, None),
        ("manager1", Role::Manager, None),
        ("county1", Role::CountyOffice, None),
        ("dept1", Role::DepartmentHandler, Some(a)),
        ("dept2", Role::DepartmentHandler, Some(b)),
    ] {
        let new = NewUser {
            username: name.into(),
            display_name: format!("{name} 名"),
            role,
            department_id: dept,
            password_hash: hash.clone(),
        };
        store.create_user(baisha, &new, &cli, now).await.unwrap();
    }
    let state = AppState::new(store, TestClock::at(now), WebSettings::default());
    App {
        client: Client::new(spawn_for_test(state).await),
        dept_a: a,
        dept_b: b,
    }
}

/// The status and the body of a page, signed in with `token` (or not).
async fn page(client: &Client, token: Option<&str>, path: &str) -> (StatusCode, String, String) {
    let mut req = client.http.get(client.url(path));
    if let Some(t) = token {
        req = req.header("Cookie", format!("rexian_session={t}"));
    }
    let resp = req.send().await.unwrap();
    let status = resp.status();
    let location = resp
        .headers()
        .get("location")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    (status, location, resp.text().await.unwrap())
}

#[tokio::test]
async fn order_pages_answer_by_role_and_send_strangers_to_sign_in() {
    for db in testing::all_backends().await {
        let app = start(db.store.clone()).await;
        let c = &app.client;
        let agent = c.login("agent1").await;
        let leader = c.login("leader1").await;
        let manager = c.login("manager1").await;
        let county = c.login("county1").await;
        let admin = c.login("admin").await;
        let dept1 = c.login("dept1").await;

        let (status, order) = c
            .send(
                reqwest::Method::POST,
                Some(&agent),
                "/api/v1/orders",
                Some(json!({
                    "kind": "complaint", "title": "路灯不亮", "content": "村口路灯坏了一周。",
                    "caller_name": "王先生", "caller_phone": "13812345678",
                })),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{order}");
        let id = order["id"].as_i64().unwrap();
        let detail = format!("/orders/{id}");

        // Signed out: every page sends the browser to the sign-in page, which returns to it.
        for path in ["/orders", detail.as_str(), "/inbox", "/callbacks"] {
            let (status, location, _) = page(c, None, path).await;
            assert_eq!(status, StatusCode::SEE_OTHER, "{path}");
            let next = path.replace('/', "%2F");
            assert_eq!(location, format!("/login?next={next}"), "{path}");
        }
        let (_, _, form) = page(c, None, &format!("/login?next=%2Forders%2F{id}")).await;
        assert!(
            form.contains(&format!(r#"name="next" value="/orders/{id}""#)),
            "{form}"
        );
        // After signing in: back to the page, but never to another site.
        for (next, expected) in [
            (detail.as_str(), detail.as_str()),
            ("//elsewhere.example/x", "/"),
            ("https://elsewhere.example/", "/"),
            ("", "/"),
        ] {
            let resp = c
                .http
                .post(c.url("/login"))
                .form(&[
                    ("username", "agent1"),
                    ("password", PASSWORD),
                    ("next", next),
                ])
                .send()
                .await
                .unwrap();
            assert_eq!(resp.status(), StatusCode::SEE_OTHER, "{next}");
            let location = resp.headers()["location"].to_str().unwrap().to_owned();
            assert_eq!(location, expected, "{next}");
        }

        // The list: every role; the registration form only for those who may register.
        for (token, registers) in [
            (&agent, true),
            (&leader, true),
            (&manager, false),
            (&county, false),
            (&admin, false),
            (&dept1, false),
        ] {
            let (status, _, body) = page(c, Some(token), "/orders").await;
            assert_eq!(status, StatusCode::OK);
            assert!(body.contains("工单列表") && body.contains("Work orders"));
            assert_eq!(body.contains("id=\"register-form\""), registers, "{body}");
        }
        // The form carries categories and towns of the sub-platform and a fresh key per view.
        let (_, _, first) = page(c, Some(&agent), "/orders").await;
        let (_, _, second) = page(c, Some(&agent), "/orders").await;
        assert!(first.contains("牙叉镇") && first.contains("value=\"03.01\""));
        let key = |b: &str| {
            let at = b.find("name=\"key\" value=\"").unwrap() + 18;
            b[at..at + 32].to_owned()
        };
        assert_ne!(key(&first), key(&second));
        // Sent twice (a double click), the form's key registers one order.
        let mut ids = Vec::new();
        for expected in [StatusCode::CREATED, StatusCode::OK] {
            let resp = c
                .http
                .post(c.url("/api/v1/orders"))
                .header("Cookie", format!("rexian_session={agent}"))
                .header("Idempotency-Key", key(&first))
                .json(&json!({
                    "kind": "help", "title": "求助", "content": "老人走失。",
                    "caller_name": "李女士", "caller_phone": "13912345678",
                }))
                .send()
                .await
                .unwrap();
            assert_eq!(resp.status(), expected);
            ids.push(resp.json::<serde_json::Value>().await.unwrap()["id"].as_i64());
        }
        assert_eq!(ids[0], ids[1]);

        // The detail: roles that see the order; a department it was not sent to gets 404,
        // as from the API.
        for token in [&agent, &leader, &manager, &county, &admin] {
            let (status, _, body) = page(c, Some(token), &detail).await;
            assert_eq!(status, StatusCode::OK);
            assert!(body.contains(&format!("Rexian.detail({id})")));
        }
        let (status, _, _) = page(c, Some(&dept1), &detail).await;
        assert_eq!(status, StatusCode::NOT_FOUND);
        let (status, _, _) = page(c, Some(&agent), "/orders/999999").await;
        assert_eq!(status, StatusCode::NOT_FOUND);
        let (status, _, _) = page(c, Some(&agent), "/orders/abc").await;
        assert_eq!(status, StatusCode::NOT_FOUND);

        // The inbox: a department handler sees its own department's, named.
        let (status, _, body) = page(c, Some(&dept1), "/inbox").await;
        assert_eq!(status, StatusCode::OK);
        assert!(body.contains(&format!("Rexian.inbox({})", app.dept_a)));
        // ... even when it asks for another department's.
        let (_, _, body) = page(
            c,
            Some(&dept1),
            &format!("/inbox?department={}", app.dept_b),
        )
        .await;
        assert!(body.contains(&format!("Rexian.inbox({})", app.dept_a)));
        // A shift leader chooses among the departments (the API lets it read any inbox).
        let (status, _, body) = page(
            c,
            Some(&leader),
            &format!("/inbox?department={}", app.dept_b),
        )
        .await;
        assert_eq!(status, StatusCode::OK);
        assert!(body.contains(&format!("Rexian.inbox({})", app.dept_b)));
        assert!(body.contains("id=\"department\""));

        // The callback list: the platform's roles; a department handler gets a 403 page in
        // Chinese and English, as the API answers it 403.
        for token in [&agent, &leader, &manager, &county] {
            let (status, _, body) = page(c, Some(token), "/callbacks").await;
            assert_eq!(status, StatusCode::OK);
            assert!(body.contains("回访清单"));
        }
        let (status, _, body) = page(c, Some(&dept1), "/callbacks").await;
        assert_eq!(status, StatusCode::FORBIDDEN);
        assert!(
            body.contains("无权访问") && body.contains("Forbidden"),
            "{body}"
        );
        let (status, _) = c.get(&dept1, "/api/v1/callbacks").await;
        assert_eq!(status, StatusCode::FORBIDDEN);

        // The script the pages load.
        let resp = c.http.get(c.url("/assets/orders.js")).send().await.unwrap();
        assert_eq!(resp.status(), StatusCode::OK);
        assert!(
            resp.headers()["content-type"]
                .to_str()
                .unwrap()
                .starts_with("text/javascript")
        );
    }
}

#[tokio::test]
async fn the_home_page_links_each_role_to_the_order_pages_it_may_use() {
    let db = testing::sqlite().await;
    let app = start(db.store.clone()).await;
    let c = &app.client;
    for (user, present, absent) in [
        (
            "agent1",
            &[
                "href=\"/orders#register\"",
                "href=\"/callbacks\"",
                "href=\"/orders\"",
            ][..],
            &["href=\"/inbox\"", "Order review"][..],
        ),
        (
            "leader1",
            &[
                "href=\"/orders?state=pending_dispatch\"",
                "href=\"/callbacks\"",
                "href=\"/orders#register\"",
            ][..],
            &["href=\"/inbox\""][..],
        ),
        (
            "dept1",
            &["href=\"/inbox\"", "href=\"/orders\""][..],
            &[
                "href=\"/callbacks\"",
                "href=\"/orders#register\"",
                "即将上线",
            ][..],
        ),
        (
            "county1",
            &["href=\"/orders\""][..],
            &["href=\"/orders#register\"", "href=\"/inbox\""][..],
        ),
    ] {
        let token = c.login(user).await;
        let (status, _, body) = page(c, Some(&token), "/").await;
        assert_eq!(status, StatusCode::OK);
        let menu = &body[body.find("可用功能").unwrap()..];
        let menu = &menu[..menu.find("</ul>").unwrap()];
        for p in present {
            assert!(menu.contains(p), "{user} misses {p}: {menu}");
        }
        for a in absent {
            assert!(!body.contains(a), "{user} shows {a}");
        }
    }
}
