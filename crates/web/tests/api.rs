//! The real server on port 0, on a fresh database of each backend, spoken to over HTTP.

use std::sync::Arc;

use reqwest::StatusCode;
use rexian_domain::{Actor, Role, time::SystemClock};
use rexian_store::testing::{self, TestDb};
use rexian_store::{NewPlatform, NewUser, PlatformSeed};
use rexian_web::{AppState, WebSettings, hash_password_blocking, spawn_for_test};
use serde_json::{Value, json};

mod common;
use common::PASSWORD;

struct App {
    client: common::Client,
    baisha: i64,
    other: i64,
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
        let now = chrono::Utc::now();
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
        for (platform, name, role, dept) in [
            (baisha, "admin", Role::PlatformAdmin, None),
            (baisha, "agent1", Role::Agent, None),
            (baisha, "dept1", Role::DepartmentHandler, Some(dept)),
            (other, "admin2", Role::PlatformAdmin, None),
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
        let state = AppState::new(store, Arc::new(SystemClock), WebSettings::default());
        let addr = spawn_for_test(state).await;
        App {
            client: common::Client::new(addr),
            baisha,
            other,
            _db: db,
        }
    }
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

fn new_user_body(username: &str) -> Value {
    json!({ "username": username, "display_name": "王小明", "role": "agent", "password": PASSWORD })
}

#[tokio::test]
async fn sign_in_create_a_user_and_find_its_event_with_the_actor() {
    each_backend(|app| async move {
        let admin = app.login("admin").await;
        let (status, me) = app.get(&admin, "/api/v1/me").await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(me["role"], "platform_admin");
        assert_eq!(me["platform_id"], app.baisha);

        let (status, user) = app
            .post(&admin, "/api/v1/users", new_user_body("wang.xm"))
            .await;
        assert_eq!(status, StatusCode::CREATED, "{user}");
        assert!(user.get("password_hash").is_none() && user.get("password").is_none());
        let id = user["id"].as_i64().unwrap();

        let (status, events) = app
            .get(&admin, &format!("/api/v1/events?aggregate=user:{id}"))
            .await;
        assert_eq!(status, StatusCode::OK);
        let events = events.as_array().unwrap();
        assert_eq!(events.len(), 1);
        assert_eq!(events[0]["event_type"], "user.created");
        let admin_id = me["id"].as_i64().unwrap();
        assert_eq!(events[0]["actor"], format!("user:{admin_id}:admin"));

        // The new user can sign in, and the sign-in is in the log too.
        let token = app.login("wang.xm").await;
        let (_, events) = app
            .get(&admin, &format!("/api/v1/events?aggregate=user:{id}"))
            .await;
        assert_eq!(events[1]["event_type"], "user.signed_in");
        // Signing out ends the token.
        let resp = app
            .http
            .post(app.url("/api/v1/auth/logout"))
            .bearer_auth(&token)
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), StatusCode::NO_CONTENT);
        assert_eq!(
            app.get(&token, "/api/v1/me").await.0,
            StatusCode::UNAUTHORIZED
        );
    })
    .await;
}

#[tokio::test]
async fn a_role_without_the_permission_gets_403() {
    each_backend(|app| async move {
        let agent = app.login("agent1").await;
        let (status, body) = app
            .post(&agent, "/api/v1/users", new_user_body("sneaky"))
            .await;
        assert_eq!(status, StatusCode::FORBIDDEN);
        assert_eq!(body["error"]["code"], "forbidden");
        let dept = app.login("dept1").await;
        assert_eq!(
            app.get(&dept, "/api/v1/users").await.0,
            StatusCode::FORBIDDEN
        );
        assert_eq!(
            app.get(&dept, "/api/v1/events?aggregate=user:1").await.0,
            StatusCode::FORBIDDEN
        );
        // The platform view hides staff (personal data) from an agent.
        let (status, p) = app.get(&agent, "/api/v1/platform").await;
        assert_eq!(status, StatusCode::OK);
        assert!(p.get("staff").is_none());
        assert_eq!(p["towns"].as_array().unwrap().len(), 11);
        let admin = app.login("admin").await;
        assert_eq!(
            app.get(&admin, "/api/v1/platform").await.1["staff"]
                .as_array()
                .unwrap()
                .len(),
            13
        );
        // No token at all: 401.
        let resp = app.http.get(app.url("/api/v1/users")).send().await.unwrap();
        assert_eq!(resp.status(), StatusCode::UNAUTHORIZED);
    })
    .await;
}

#[tokio::test]
async fn another_sub_platforms_records_are_404() {
    each_backend(|app| async move {
        let admin = app.login("admin").await;
        let admin2 = app.login("admin2").await;
        let (_, me2) = app.get(&admin2, "/api/v1/me").await;
        assert_eq!(me2["platform_id"], app.other);
        let (_, user) = app
            .post(&admin, "/api/v1/users", new_user_body("only.baisha"))
            .await;
        let id = user["id"].as_i64().unwrap();
        assert_eq!(
            app.get(&admin2, &format!("/api/v1/users/{id}")).await.0,
            StatusCode::NOT_FOUND
        );
        let (status, _) = app
            .post(
                &admin2,
                &format!("/api/v1/users/{id}/deactivate"),
                json!({}),
            )
            .await;
        assert_eq!(status, StatusCode::NOT_FOUND);
        let (_, events) = app
            .get(&admin2, &format!("/api/v1/events?aggregate=user:{id}"))
            .await;
        assert_eq!(events, json!([]));
        let (_, depts) = app.get(&admin, "/api/v1/departments").await;
        let dept_id = depts[0]["id"].as_i64().unwrap();
        assert_eq!(
            app.get(&admin2, &format!("/api/v1/departments/{dept_id}"))
                .await
                .0,
            StatusCode::NOT_FOUND
        );
        // Binding a user to another sub-platform's department is refused, naming the field.
        let mut body = new_user_body("cross");
        body["role"] = json!("department_handler");
        body["department_id"] = json!(dept_id);
        let (status, err) = app.post(&admin2, "/api/v1/users", body).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(err["error"]["field"], "department_id");
        // And the user still works on its own sub-platform.
        assert_eq!(
            app.get(&admin, &format!("/api/v1/users/{id}")).await.0,
            StatusCode::OK
        );
    })
    .await;
}

#[tokio::test]
async fn bad_input_gets_4xx_json_naming_the_field() {
    each_backend(|app| async move {
        let admin = app.login("admin").await;
        let send_raw = |body: &'static str| {
            app.http
                .post(app.url("/api/v1/users"))
                .bearer_auth(&admin)
                .header("content-type", "application/json")
                .body(body)
                .send()
        };
        let resp = send_raw("{\"username\": ").await.unwrap();
        assert_eq!(resp.status(), StatusCode::BAD_REQUEST);
        let body: Value = resp.json().await.unwrap();
        assert_eq!(body["error"]["code"], "invalid_json");

        let resp = send_raw(r#"{"username":"a.b","display_name":"x","role":"agent"}"#).await.unwrap();
        assert_eq!(resp.status(), StatusCode::BAD_REQUEST);
        let body: Value = resp.json().await.unwrap();
        assert_eq!(body["error"]["code"], "invalid_field");
        assert_eq!(body["error"]["field"], "password");

        let resp = send_raw(r#"{"username":"a.b","display_name":"x","role":"boss","password":"0123456789"}"#)
            .await
            .unwrap();
        assert_eq!(resp.status(), StatusCode::BAD_REQUEST);
        let body: Value = resp.json().await.unwrap();
        assert_eq!(body["error"]["field"], "role");

        let resp = send_raw(r#"{"username":7}"#).await.unwrap();
        let body: Value = resp.json().await.unwrap();
        assert_eq!(body["error"]["field"], "username", "{body}");

        for (body, field) in [
            (json!({"username": "A", "display_name": "x", "role": "agent", "password": PASSWORD}), "username"),
            (json!({"username": "abc", "display_name": "", "role": "agent", "password": PASSWORD}), "display_name"),
            (json!({"username": "abc", "display_name": "x", "role": "agent", "password": "short"}), "password"),
            (json!({"username": "abc", "display_name": "x", "role": "department_handler", "password": PASSWORD}), "department_id"),
        ] {
            let (status, err) = app.post(&admin, "/api/v1/users", body).await;
            assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
            assert_eq!(err["error"]["field"], field);
        }
        // A duplicate is a conflict, and nothing was half-written: still one user of that name.
        assert_eq!(app.post(&admin, "/api/v1/users", new_user_body("dup")).await.0, StatusCode::CREATED);
        let (status, err) = app.post(&admin, "/api/v1/users", new_user_body("dup")).await;
        assert_eq!(status, StatusCode::CONFLICT);
        assert_eq!(err["error"]["code"], "conflict");
        let (_, users) = app.get(&admin, "/api/v1/users").await;
        assert_eq!(users.as_array().unwrap().iter().filter(|u| u["username"] == "dup").count(), 1);

        let resp = app.http.post(app.url("/api/v1/users")).bearer_auth(&admin).body("x").send().await.unwrap();
        assert_eq!(resp.status(), StatusCode::UNSUPPORTED_MEDIA_TYPE);
        assert_eq!(app.get(&admin, "/api/v1/users/abc").await.1["error"]["code"], "invalid_path");
        assert_eq!(app.get(&admin, "/api/v1/events?aggregate=nonsense").await.1["error"]["field"], "aggregate");
        assert_eq!(app.get(&admin, "/api/v1/events").await.0, StatusCode::BAD_REQUEST);
        let (status, body) = app.get(&admin, "/api/v1/nothing-here").await;
        assert_eq!(status, StatusCode::NOT_FOUND);
        assert_eq!(body["error"]["code"], "not_found");
        let resp = app.http.delete(app.url("/api/v1/health")).send().await.unwrap();
        assert_eq!(resp.status(), StatusCode::METHOD_NOT_ALLOWED);
    })
    .await;
}

#[tokio::test]
async fn failed_sign_ins_are_throttled() {
    let app = App::start(testing::sqlite().await).await;
    for _ in 0..5 {
        let resp = app
            .http
            .post(app.url("/api/v1/auth/login"))
            .json(&json!({"username": "admin", "password": "wrong password"}))
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), StatusCode::UNAUTHORIZED);
    }
    let resp = app
        .http
        .post(app.url("/api/v1/auth/login"))
        .json(&json!({"username": "admin", "password": PASSWORD}))
        .send()
        .await
        .unwrap();
    assert_eq!(
        resp.status(),
        StatusCode::TOO_MANY_REQUESTS,
        "even the right password waits"
    );
    assert!(resp.headers().get("retry-after").is_some());
    // Another user is not affected.
    app.login("agent1").await;
}

#[tokio::test]
async fn pages_sign_in_with_a_cookie_and_show_the_role_home() {
    let app = App::start(testing::sqlite().await).await;
    let resp = app.http.get(app.url("/")).send().await.unwrap();
    assert_eq!(resp.status(), StatusCode::SEE_OTHER);
    assert_eq!(resp.headers()["location"], "/login");
    let page = app
        .http
        .get(app.url("/login"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(page.contains("登录") && page.contains("Sign in"));

    let resp = app
        .http
        .post(app.url("/login"))
        .form(&[("username", "agent1"), ("password", "nope nope nope")])
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::UNAUTHORIZED);
    assert!(resp.text().await.unwrap().contains("用户名或密码错误"));

    let resp = app
        .http
        .post(app.url("/login"))
        .form(&[("username", "agent1"), ("password", PASSWORD)])
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::SEE_OTHER);
    let cookie = resp.headers()["set-cookie"].to_str().unwrap().to_owned();
    assert!(cookie.contains("HttpOnly") && cookie.contains("SameSite=Lax"));
    let pair = cookie.split(';').next().unwrap().to_owned();
    let home = app
        .http
        .get(app.url("/"))
        .header("cookie", &pair)
        .send()
        .await
        .unwrap();
    assert_eq!(home.status(), StatusCode::OK);
    let html = home.text().await.unwrap();
    assert!(
        html.contains("客服代表工作台") && html.contains("Agent home"),
        "{html}"
    );
    assert!(html.contains("白沙县12345分平台"));
    // The cookie works for the API too, and signing out ends it.
    let me = app
        .http
        .get(app.url("/api/v1/me"))
        .header("cookie", &pair)
        .send()
        .await
        .unwrap();
    assert_eq!(me.status(), StatusCode::OK);
    let out = app
        .http
        .post(app.url("/logout"))
        .header("cookie", &pair)
        .send()
        .await
        .unwrap();
    assert_eq!(out.status(), StatusCode::SEE_OTHER);
    let me = app
        .http
        .get(app.url("/api/v1/me"))
        .header("cookie", &pair)
        .send()
        .await
        .unwrap();
    assert_eq!(me.status(), StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn health_metrics_and_openapi() {
    let app = App::start(testing::sqlite().await).await;
    let resp = app
        .http
        .get(app.url("/api/v1/health"))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    let h: Value = resp.json().await.unwrap();
    assert_eq!(h["status"], "ok");
    assert_eq!(h["backend"], "sqlite");
    let admin = app.login("admin").await;
    app.get(&admin, "/api/v1/users/99999").await;
    let metrics = app
        .http
        .get(app.url("/metrics"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(metrics.contains(r#"route="/api/v1/health""#), "{metrics}");
    assert!(
        metrics.contains(r#"route="/api/v1/users/{id}""#),
        "labelled by pattern: {metrics}"
    );
    assert!(!metrics.contains("/api/v1/users/99999"));
    let doc: Value = app
        .http
        .get(app.url("/api/openapi.json"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    for path in [
        "/api/v1/health",
        "/api/v1/auth/login",
        "/api/v1/users",
        "/api/v1/users/{id}",
        "/api/v1/events",
        "/api/v1/departments",
    ] {
        assert!(
            doc["paths"].get(path).is_some(),
            "{path} missing from OpenAPI"
        );
    }
    assert!(doc["paths"]["/api/v1/users"].get("post").is_some());
}
