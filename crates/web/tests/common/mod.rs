//! What the HTTP tests of this crate share: a client of the server under test on port 0,
//! and a clock the test sets. Each test file seeds its own data and keeps its own `App`,
//! which dereferences to the [`Client`].
// Each test file is its own crate and uses only some of these.
#![allow(dead_code)]

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use chrono::{DateTime, Utc};
use reqwest::{Method, StatusCode};
use rexian_domain::Clock;
use serde_json::{Value, json};

/// The password of every user the HTTP tests create.
pub const PASSWORD: &str = "correct horse battery";

/// JSON over HTTP to the server under test, with bearer tokens; redirects are not followed
/// (the page tests look at them).
pub struct Client {
    pub addr: SocketAddr,
    pub http: reqwest::Client,
}

impl Client {
    pub fn new(addr: SocketAddr) -> Client {
        let http = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap();
        Client { addr, http }
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    /// Signs in with [`PASSWORD`]; the session token.
    pub async fn login(&self, username: &str) -> String {
        let (status, body) = self
            .send(
                Method::POST,
                None,
                "/api/v1/auth/login",
                Some(json!({ "username": username, "password": PASSWORD })),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "login {username}: {body}");
        body["token"].as_str().unwrap().to_owned()
    }

    /// The status and the JSON body (`Null` when the body is not JSON).
    pub async fn send(
        &self,
        method: Method,
        token: Option<&str>,
        path: &str,
        body: Option<Value>,
    ) -> (StatusCode, Value) {
        let mut req = self.http.request(method, self.url(path));
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        if let Some(b) = body {
            req = req.json(&b);
        }
        let resp = req.send().await.unwrap();
        let status = resp.status();
        (status, resp.json().await.unwrap_or(Value::Null))
    }

    pub async fn get(&self, token: &str, path: &str) -> (StatusCode, Value) {
        self.send(Method::GET, Some(token), path, None).await
    }

    pub async fn post(&self, token: &str, path: &str, body: Value) -> (StatusCode, Value) {
        self.send(Method::POST, Some(token), path, Some(body)).await
    }

    pub async fn patch(&self, token: &str, path: &str, body: Value) -> (StatusCode, Value) {
        self.send(Method::PATCH, Some(token), path, Some(body))
            .await
    }
}

/// A clock the test sets.
pub struct TestClock(Mutex<DateTime<Utc>>);

impl TestClock {
    pub fn at(t: DateTime<Utc>) -> Arc<TestClock> {
        Arc::new(TestClock(Mutex::new(t)))
    }

    pub fn set(&self, t: DateTime<Utc>) {
        *self.0.lock().unwrap() = t;
    }
}

impl Clock for TestClock {
    fn now(&self) -> DateTime<Utc> {
        *self.0.lock().unwrap()
    }
}
