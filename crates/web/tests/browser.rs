//! Pages in a real browser: headless Chromium driven over the W3C WebDriver protocol by
//! chromedriver (Debian's `chromium` and `chromium-driver`; .ci/run installs them). Without
//! chromedriver on the PATH the test says so and passes only when REXIAN_TEST_REQUIRE_BROWSER is
//! unset; CI sets it, so there it must run.

use std::net::TcpListener as StdListener;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use rexian_domain::{Actor, Role, time::SystemClock};
use rexian_store::testing;
use rexian_store::{NewUser, PlatformSeed};
use rexian_web::{AppState, WebSettings, hash_password_blocking, spawn_for_test};
use serde_json::{Value, json};

const PASSWORD: &str = "browser test password";

struct Driver {
    child: Child,
    base: String,
    http: reqwest::Client,
    session: String,
}

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Driver {
    async fn start() -> Option<Driver> {
        let exe = ["chromedriver", "/usr/bin/chromedriver"]
            .into_iter()
            .find(|c| {
                Command::new(c)
                    .arg("--version")
                    .output()
                    .is_ok_and(|o| o.status.success())
            })?;
        let port = StdListener::bind("127.0.0.1:0")
            .ok()?
            .local_addr()
            .ok()?
            .port();
        let child = Command::new(exe)
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .ok()?;
        let base = format!("http://127.0.0.1:{port}");
        let http = reqwest::Client::new();
        let mut driver = Driver {
            child,
            base,
            http,
            session: String::new(),
        };
        let deadline = Instant::now() + Duration::from_secs(10);
        while driver
            .http
            .get(format!("{}/status", driver.base))
            .send()
            .await
            .is_err()
        {
            assert!(Instant::now() < deadline, "chromedriver did not start");
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        let profile = tempfile_dir();
        let caps = json!({"capabilities": {"alwaysMatch": {
            "browserName": "chrome",
            "goog:chromeOptions": {
                "binary": "/usr/bin/chromium",
                "args": ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
                         "--no-first-run", "--disable-background-networking",
                         "--disable-component-update", "--disable-sync",
                         "--window-size=1200,900", format!("--user-data-dir={profile}")]
            }
        }}});
        let resp: Value = driver.post("/session", caps).await;
        driver.session = resp["value"]["sessionId"]
            .as_str()
            .unwrap_or_else(|| panic!("no session: {resp}"))
            .to_owned();
        Some(driver)
    }

    async fn post(&self, path: &str, body: Value) -> Value {
        self.http
            .post(format!("{}{path}", self.base))
            .json(&body)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap()
    }

    async fn get(&self, path: &str) -> Value {
        self.http
            .get(format!("{}{path}", self.base))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap()
    }

    async fn quit(&self) {
        let _ = self
            .http
            .delete(format!("{}{}", self.base, self.s("")))
            .send()
            .await;
    }

    fn s(&self, rest: &str) -> String {
        format!("/session/{}{rest}", self.session)
    }

    async fn goto(&self, url: &str) {
        self.post(&self.s("/url"), json!({ "url": url })).await;
    }

    /// The element matching `css`, waiting up to 5 s for it to appear.
    async fn element(&self, css: &str) -> String {
        let deadline = Instant::now() + Duration::from_secs(5);
        loop {
            let v = self
                .post(
                    &self.s("/element"),
                    json!({"using": "css selector", "value": css}),
                )
                .await;
            if let Some(id) = v["value"]
                .as_object()
                .and_then(|o| o.values().next())
                .and_then(Value::as_str)
            {
                return id.to_owned();
            }
            assert!(Instant::now() < deadline, "no element {css}: {v}");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    async fn type_into(&self, css: &str, text: &str) {
        let el = self.element(css).await;
        self.post(
            &self.s(&format!("/element/{el}/value")),
            json!({ "text": text }),
        )
        .await;
    }

    async fn click(&self, css: &str) {
        let el = self.element(css).await;
        self.post(&self.s(&format!("/element/{el}/click")), json!({}))
            .await;
    }

    async fn text(&self, css: &str) -> String {
        let el = self.element(css).await;
        self.get(&self.s(&format!("/element/{el}/text"))).await["value"]
            .as_str()
            .unwrap_or_default()
            .to_owned()
    }

    /// Waits until the browser shows `path` (a form submission navigates after the click
    /// returns), up to 5 s, then returns what it shows.
    async fn path_after_navigation(&self, path: &str) -> String {
        let deadline = Instant::now() + Duration::from_secs(5);
        loop {
            let now = self.current_path().await;
            if now == path || Instant::now() > deadline {
                return now;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    async fn current_path(&self) -> String {
        let url = self.get(&self.s("/url")).await["value"]
            .as_str()
            .unwrap_or_default()
            .to_owned();
        url.splitn(4, '/')
            .nth(3)
            .map(|p| format!("/{p}"))
            .unwrap_or_default()
    }
}

fn tempfile_dir() -> String {
    let dir = std::env::temp_dir().join(format!(
        "rexian-chromium-{}-{}",
        std::process::id(),
        chrono::Utc::now().timestamp_micros()
    ));
    std::fs::create_dir_all(&dir).unwrap();
    dir.display().to_string()
}

#[tokio::test]
async fn an_agent_signs_in_in_a_browser_and_sees_the_agent_home() {
    let Some(driver) = Driver::start().await else {
        assert!(
            std::env::var_os("REXIAN_TEST_REQUIRE_BROWSER").is_none(),
            "REXIAN_TEST_REQUIRE_BROWSER is set but chromedriver is not installed"
        );
        eprintln!(
            "chromedriver not found: browser test skipped (apt-get install chromium chromium-driver)"
        );
        return;
    };
    let db = testing::sqlite().await;
    let now = chrono::Utc::now();
    let cli = Actor::Cli {
        os_user: "test".into(),
    };
    let platform = db
        .store
        .seed_platform(&PlatformSeed::baisha(), &cli, now)
        .await
        .unwrap();
    let new = NewUser {
        username: "agent1".into(),
        display_name: "李客服".into(),
        role: Role::Agent,
        department_id: None,
        password_hash: hash_password_blocking(PASSWORD).unwrap(),
    };
    db.store
        .create_user(platform.id, &new, &cli, now)
        .await
        .unwrap();
    let addr = spawn_for_test(AppState::new(
        db.store.clone(),
        Arc::new(SystemClock),
        WebSettings::default(),
    ))
    .await;
    let base = format!("http://{addr}");

    // Not signed in: the home page sends the browser to the sign-in page.
    driver.goto(&format!("{base}/")).await;
    assert_eq!(driver.path_after_navigation("/login").await, "/login");

    // A wrong password shows the error in Chinese, and keeps the username typed.
    driver.type_into("#username", "agent1").await;
    driver.type_into("#password", "not the password").await;
    driver.click("button[type=submit]").await;
    assert!(driver.text(".error").await.contains("用户名或密码错误"));

    driver.type_into("#password", PASSWORD).await;
    driver.click("button[type=submit]").await;
    assert_eq!(driver.path_after_navigation("/").await, "/");
    let heading = driver.text("h1").await;
    assert!(
        heading.contains("客服代表工作台") && heading.contains("Agent home"),
        "{heading}"
    );
    assert!(driver.text("header").await.contains("李客服"));

    // The wall board shows the agent once signed in to a seat, and follows a break live.
    let http = reqwest::Client::new();
    let token = http
        .post(format!("{base}/api/v1/auth/login"))
        .json(&json!({"username": "agent1", "password": PASSWORD}))
        .send()
        .await
        .unwrap()
        .json::<Value>()
        .await
        .unwrap()["token"]
        .as_str()
        .unwrap()
        .to_owned();
    let cti = |path: &'static str, body: Value| {
        let (http, token, base) = (http.clone(), token.clone(), base.clone());
        async move {
            let r = http
                .post(format!("{base}/api/v1/cti/agents/me/{path}"))
                .bearer_auth(&token)
                .json(&body)
                .send()
                .await
                .unwrap();
            assert!(
                r.status().is_success(),
                "{path}: {}",
                r.text().await.unwrap()
            );
        }
    };
    cti("sign-in", json!({})).await;
    cti("state", json!({"state": "ready"})).await;
    driver.goto(&format!("{base}/wallboard")).await;
    assert!(driver.text("h2").await.contains("队列"));
    driver
        .element(r#"#agents tr[data-agent="agent1"][data-state="ready"]"#)
        .await;
    assert!(driver.text("#queues tbody tr").await.contains("1 / 1"));
    cti("state", json!({"state": "break", "reason": "meal"})).await;
    driver
        .element(r#"#agents tr[data-agent="agent1"][data-state="on_break"]"#)
        .await;
    driver.goto(&format!("{base}/")).await;

    // Signing out returns to the sign-in page, and home is closed again.
    driver.click("header button").await;
    assert_eq!(driver.path_after_navigation("/login").await, "/login");
    driver.goto(&format!("{base}/")).await;
    assert_eq!(driver.path_after_navigation("/login").await, "/login");
    driver.quit().await;
}
