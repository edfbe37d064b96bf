//! Pages in a real browser: headless Chromium driven over the W3C WebDriver protocol by
//! chromedriver (Debian's `chromium` and `chromium-driver`; .ci/run installs them). Without
//! chromedriver on the PATH the test says so and passes only when REXIAN_TEST_REQUIRE_BROWSER is
//! unset; CI sets it, so there it must run.

use std::net::TcpListener as StdListener;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use rexian_domain::{Actor, Role, time::SystemClock};
use rexian_store::testing;
use rexian_store::{NewUser, PlatformSeed};
use rexian_web::{AppState, WebSettings, hash_password_blocking, spawn_for_test};
use serde_json::{Value, json};

const PASSWORD: &str = "browser test password";
/// How long a page may take to show what a step waits for: generous, because CI runs the
/// browser on two cores next to the server and the database (a pass takes far less).
const PATIENCE: Duration = Duration::from_secs(15);

/// One browser at a time in this test binary. CI once showed one test's page in the other
/// test's browser while both ran at once: a port picked by binding port 0 can be handed out
/// twice before chromedriver binds it, and then both tests drive one chromedriver. Taking
/// turns leaves nothing else in this binary binding ports in that moment.
static ONE_BROWSER: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

struct Driver {
    child: Child,
    base: String,
    http: reqwest::Client,
    session: String,
    profile: std::path::PathBuf,
    _turn: tokio::sync::MutexGuard<'static, ()>,
}

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.profile);
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
        let turn = ONE_BROWSER.lock().await;
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
            profile: profile_dir(),
            _turn: turn,
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
        // Best effort: a chromedriver that already exited could not bind its port, and the
        // answer came from something else listening there.
        if let Some(status) = driver.child.try_wait().ok().flatten() {
            panic!("chromedriver on port {port} exited ({status}): port taken?");
        }
        let profile = driver.profile.display().to_string();
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

    /// The element matching `css`, waiting up to `PATIENCE` for it to appear.
    async fn element(&self, css: &str) -> String {
        let deadline = Instant::now() + PATIENCE;
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
    /// returns), up to `PATIENCE`, then returns what it shows.
    async fn path_after_navigation(&self, path: &str) -> String {
        let deadline = Instant::now() + PATIENCE;
        loop {
            let now = self.current_path().await;
            if now == path || Instant::now() > deadline {
                return now;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// Waits up to `PATIENCE` for `css` to show text containing `want`; returns the text.
    async fn wait_text(&self, css: &str, want: &str) -> String {
        let deadline = Instant::now() + PATIENCE;
        loop {
            let text = self.text(css).await;
            if text.contains(want) {
                return text;
            }
            assert!(
                Instant::now() < deadline,
                "{css} shows {text:?}, not {want:?}"
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// The current `value` of a form field.
    async fn value(&self, css: &str) -> String {
        let el = self.element(css).await;
        self.get(&self.s(&format!("/element/{el}/property/value")))
            .await["value"]
            .as_str()
            .unwrap_or_default()
            .to_owned()
    }

    async fn clear(&self, css: &str) {
        let el = self.element(css).await;
        self.post(&self.s(&format!("/element/{el}/clear")), json!({}))
            .await;
    }

    /// Signs in through the sign-in page and waits for the home page.
    async fn sign_in(&self, base: &str, username: &str) {
        self.goto(&format!("{base}/login")).await;
        self.type_into("#username", username).await;
        self.type_into("#password", PASSWORD).await;
        self.click("button[type=submit]").await;
        assert_eq!(self.path_after_navigation("/").await, "/", "{username}");
    }

    async fn sign_out(&self) {
        self.click("header form button").await;
        assert_eq!(self.path_after_navigation("/login").await, "/login");
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

/// A new, empty Chromium profile directory: two browsers given one profile become one browser.
fn profile_dir() -> std::path::PathBuf {
    static NEXT: AtomicUsize = AtomicUsize::new(0);
    let dir = std::env::temp_dir().join(format!(
        "rexian-chromium-{}-{}",
        std::process::id(),
        NEXT.fetch_add(1, Ordering::Relaxed)
    ));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// The browser, or None (and the test passes) when chromedriver is missing and
/// REXIAN_TEST_REQUIRE_BROWSER is unset.
async fn browser() -> Option<Driver> {
    let driver = Driver::start().await;
    if driver.is_none() {
        assert!(
            std::env::var_os("REXIAN_TEST_REQUIRE_BROWSER").is_none(),
            "REXIAN_TEST_REQUIRE_BROWSER is set but chromedriver is not installed"
        );
        eprintln!(
            "chromedriver not found: browser test skipped (apt-get install chromium chromium-driver)"
        );
    }
    driver
}

#[tokio::test]
async fn an_agent_signs_in_in_a_browser_and_sees_the_agent_home() {
    let Some(driver) = browser().await else {
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
    driver.wait_text(".error", "用户名或密码错误").await;

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

/// One order through the pages, on each backend: the agent registers it (a wrong phone first,
/// answered next to the field) and submits it for dispatch, the shift leader dispatches it,
/// the department finds it in its inbox and signs for it.
#[tokio::test]
async fn an_order_goes_from_the_agent_to_the_department_through_the_pages() {
    let Some(driver) = browser().await else {
        return;
    };
    for db in testing::all_backends().await {
        let now = chrono::Utc::now();
        let cli = Actor::Cli {
            os_user: "test".into(),
        };
        let platform = db
            .store
            .seed_platform(&PlatformSeed::baisha(), &cli, now)
            .await
            .unwrap();
        let dept = db.store.list_departments(platform.id).await.unwrap()[2].clone();
        let hash = hash_password_blocking(PASSWORD).unwrap();
        for (username, role, department_id) in [
            ("agent1", Role::Agent, None),
            ("leader1", Role::ShiftLeader, None),
            ("dept1", Role::DepartmentHandler, Some(dept.id)),
        ] {
            let new = NewUser {
                username: username.into(),
                display_name: format!("{username} 名"),
                role,
                department_id,
                password_hash: hash.clone(),
            };
            db.store
                .create_user(platform.id, &new, &cli, now)
                .await
                .unwrap();
        }
        let addr = spawn_for_test(AppState::new(
            db.store.clone(),
            Arc::new(SystemClock),
            WebSettings::default(),
        ))
        .await;
        let base = format!("http://{addr}");

        // The agent registers the order; a wrong phone number is answered next to the field,
        // and what was typed stays.
        driver.sign_in(&base, "agent1").await;
        driver.goto(&format!("{base}/orders")).await;
        driver.click("#kind option[value=complaint]").await;
        driver.click("#category_code option[value='03.01']").await;
        driver.click("#town option[value=yacha]").await;
        driver.type_into("#title", "牙叉镇某小区停水三天").await;
        driver
            .type_into("#content", "小区从周五起停水，至今未恢复。")
            .await;
        driver.type_into("#caller_name", "王先生").await;
        // Seven digits: neither a mobile, a landline nor a service number.
        driver.type_into("#caller_phone", "1381234").await;
        driver.type_into("#address", "牙叉镇白沙大道 12 号").await;
        driver.click("#register-submit").await;
        driver.wait_text("#err-caller_phone", "电话号码").await;
        assert_eq!(driver.current_path().await, "/orders");
        assert_eq!(driver.value("#title").await, "牙叉镇某小区停水三天");
        assert_eq!(driver.value("#kind").await, "complaint");
        assert!(driver.text("#err-title").await.is_empty());
        driver.clear("#caller_phone").await;
        driver.type_into("#caller_phone", "13812345678").await;
        driver.click("#register-submit").await;

        // The detail page of the new order: registered, with what was typed.
        let deadline = Instant::now() + PATIENCE;
        let path = loop {
            let p = driver.current_path().await;
            if p.starts_with("/orders/") || Instant::now() > deadline {
                break p;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        };
        let id: i64 = path
            .strip_prefix("/orders/")
            .and_then(|s| s.parse().ok())
            .unwrap_or_else(|| panic!("not on an order's page: {path}"));
        let state = driver.wait_text("#state", "已受理").await;
        assert!(state.contains("Registered"), "{state}");
        assert_eq!(driver.text("#caller-phone").await, "13812345678");
        assert!(driver.text("#fields").await.contains("牙叉镇"));
        // The wrong phone created nothing: one order.
        let list = reqwest::Client::new()
            .post(format!("{base}/api/v1/auth/login"))
            .json(&json!({"username": "agent1", "password": PASSWORD}))
            .send()
            .await
            .unwrap()
            .json::<Value>()
            .await
            .unwrap();
        let token = list["token"].as_str().unwrap().to_owned();
        let orders: Value = reqwest::Client::new()
            .get(format!("{base}/api/v1/orders"))
            .bearer_auth(&token)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert_eq!(orders["orders"].as_array().unwrap().len(), 1, "{orders}");

        // Submitted meanwhile (say, from another tab): the button still shown is answered
        // with the API's 409, in Chinese, and the page shows the order as it now is.
        let submitted = reqwest::Client::new()
            .post(format!("{base}/api/v1/orders/{id}/submit"))
            .bearer_auth(&token)
            .send()
            .await
            .unwrap();
        assert_eq!(submitted.status(), reqwest::StatusCode::OK);
        driver
            .click("button[data-action=submit_for_dispatch]")
            .await;
        driver.wait_text("#action-error", "当前状态不允许").await;
        driver.wait_text("#state", "待派单").await;
        driver
            .element(r#"#history tr[data-event="order.submitted"]"#)
            .await;

        // The list shows the order with the caller's phone masked.
        driver.goto(&format!("{base}/orders")).await;
        let row = format!(r#"#orders tr[data-id="{id}"]"#);
        assert!(driver.text(&row).await.contains("待派单"));
        assert_eq!(driver.text(&format!("{row} .phone")).await, "138****5678");
        assert!(!driver.text("#orders").await.contains("13812345678"));
        driver.sign_out().await;

        // The shift leader dispatches it to the department.
        driver.sign_in(&base, "leader1").await;
        driver
            .goto(&format!("{base}/orders?state=pending_dispatch"))
            .await;
        driver.click(&format!("{row} a")).await;
        driver.wait_text("#state", "待派单").await;
        assert!(driver.text("#actions").await.contains("派单"));
        driver.click("button[data-action=dispatch]").await;
        driver
            .click(&format!(
                "#af-lead_department_id option[value='{}']",
                dept.id
            ))
            .await;
        driver.click("#action-submit").await;
        let state = driver.wait_text("#state", "已派单").await;
        assert!(state.contains("Dispatched"), "{state}");
        assert_eq!(driver.text("#lead-department").await, dept.name);
        driver.wait_text("#action-done", "派单").await;
        driver
            .element(r#"#history tr[data-event="order.dispatched"]"#)
            .await;
        driver.sign_out().await;

        // The department finds it in its inbox and signs for it.
        driver.sign_in(&base, "dept1").await;
        driver.goto(&format!("{base}/inbox")).await;
        assert!(driver.text("h1").await.contains(&dept.name));
        assert!(driver.text(&row).await.contains("已派单"));
        assert_eq!(driver.text(&format!("{row} .phone")).await, "138****5678");
        driver.click(&format!("{row} a")).await;
        driver.wait_text("#state", "已派单").await;
        driver.click("button[data-action=sign]").await;
        let state = driver.wait_text("#state", "已签收").await;
        assert!(state.contains("Signed for"), "{state}");
        driver.element("button[data-action=reply]").await;
        // The department sees its order's history (not the rest of the audit trail).
        driver
            .element(r#"#history tr[data-event="order.signed"]"#)
            .await;
        driver
            .element(r#"#history tr[data-event="order.dispatched"]"#)
            .await;
        driver.sign_out().await;
    }
    driver.quit().await;
}
