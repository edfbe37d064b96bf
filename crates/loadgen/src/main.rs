//! rexian-loadgen: the work-order benchmark (BENCHMARKS.md).
//!
//! It makes a fresh database (SQLite in a temporary directory, or a new PostgreSQL database
//! on the server named by `REXIAN_TEST_POSTGRES_URL`), seeds Baisha and (`--platforms`)
//! other counties of the province, each with an agent, a shift leader and a department
//! handler, starts the real server on 127.0.0.1:0 in this process, and then:
//!
//! 1. transitions: N concurrent HTTP clients on loopback, each running orders through
//!    register → submit → dispatch → sign → start → reply → approve → callback → close
//!    (9 requests, each one state change with its event) for the given time, client `i` on
//!    sub-platform `i % platforms`; reports the throughput and the latency percentiles of
//!    all requests, and prints the first failures of each client;
//! 2. inbox (with `--inbox-orders N`): inserts N synthetic orders with SQL (5% open, spread
//!    over the departments), then times `GET /api/v1/departments/{id}/inbox` end to end.
//!
//! Client and server share the machine (and this process), so the figures are a floor.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use clap::Parser;
use rexian_domain::{Actor, Role, time::SystemClock};
use rexian_store::testing::{self, TestDb};
use rexian_store::{Backend, NewUser, PlatformSeed};
use rexian_web::{AppState, WebSettings, hash_password_blocking};
use serde_json::{Value, json};

#[derive(Parser)]
#[command(name = "rexian-loadgen", about = "work-order benchmark")]
struct Args {
    /// `sqlite` or `postgres` (needs REXIAN_TEST_POSTGRES_URL).
    #[arg(long, default_value = "sqlite")]
    backend: String,
    /// Concurrent HTTP clients.
    #[arg(long, default_value_t = 64)]
    clients: usize,
    /// Sub-platforms (counties) the clients share out, Baisha first. A sub-platform numbers
    /// at most 9,999 orders a day, which a few seconds at 10,000 transitions/s (one
    /// registration in nine) would use up on one alone.
    #[arg(long, default_value_t = 4, value_parser = clap::value_parser!(u8).range(1..=8))]
    platforms: u8,
    /// Seconds of measured load (after 2 s of warm-up).
    #[arg(long, default_value_t = 10)]
    seconds: u64,
    /// Synthetic orders to store before timing the inbox listing (0: skip).
    #[arg(long, default_value_t = 0)]
    inbox_orders: i64,
    /// Skip the transition load (only the inbox measurement).
    #[arg(long)]
    no_transitions: bool,
    /// Instead of transitions, time `GET /api/v1/me` (a signed-in request that touches no
    /// table): the floor of HTTP, routing and sign-in checks on this machine, to read the
    /// transition figures against.
    #[arg(long)]
    floor: bool,
}

// The allocator the `rexian` binary serves with, so the figures are the server's.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

const PASSWORD: &str = "loadgen password 1";

fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?
        .block_on(run(args))
}

struct Setup {
    base: String,
    /// The sub-platforms under load; client `i` works on `counties[i % len]`.
    counties: Vec<County>,
}

/// One seeded sub-platform: the tokens of its agent, shift leader and department handler.
struct County {
    agent: String,
    leader: String,
    dept: String,
    dept_id: i64,
}

/// Counties of the province, for `--platforms` beyond Baisha: code, name, order prefix.
/// Each gets Baisha's towns and departments (the load does not depend on them).
const COUNTIES: [(&str, &str, &str); 7] = [
    ("changjiang", "昌江黎族自治县12345分平台", "CJ"),
    ("ledong", "乐东黎族自治县12345分平台", "LD"),
    ("qiongzhong", "琼中黎族苗族自治县12345分平台", "QZ"),
    ("baoting", "保亭黎族苗族自治县12345分平台", "BT"),
    ("lingshui", "陵水黎族自治县12345分平台", "LS"),
    ("tunchang", "屯昌县12345分平台", "TC"),
    ("chengmai", "澄迈县12345分平台", "CM"),
];

async fn login(http: &reqwest::Client, base: &str, user: &str) -> anyhow::Result<String> {
    let body: Value = http
        .post(format!("{base}/api/v1/auth/login"))
        .json(&json!({ "username": user, "password": PASSWORD }))
        .send()
        .await?
        .error_for_status()?
        .json()
        .await?;
    Ok(body["token"].as_str().context("token")?.to_owned())
}

async fn setup(db: &TestDb, platforms: usize) -> anyhow::Result<Setup> {
    let store = db.store.clone();
    let now = chrono::Utc::now();
    let cli = Actor::Cli {
        os_user: "loadgen".into(),
    };
    let hash = hash_password_blocking(PASSWORD).map_err(|e| anyhow::anyhow!("{e}"))?;
    let mut seeded = Vec::new();
    for i in 0..platforms {
        let mut seed = PlatformSeed::baisha();
        if let Some((code, name, prefix)) = i.checked_sub(1).and_then(|j| COUNTIES.get(j)) {
            seed.platform.code = (*code).into();
            seed.platform.name = (*name).into();
            seed.platform.order_prefix = (*prefix).into();
        }
        let platform = store.seed_platform(&seed, &cli, now).await?.id;
        let dept_id = store.list_departments(platform).await?[0].id;
        for (name, role, dept) in [
            ("agent", Role::Agent, None),
            ("leader", Role::ShiftLeader, None),
            ("dept", Role::DepartmentHandler, Some(dept_id)),
        ] {
            let new = NewUser {
                username: format!("{name}{i}"),
                display_name: name.into(),
                role,
                department_id: dept,
                password_hash: hash.clone(),
            };
            store.create_user(platform, &new, &cli, now).await?;
        }
        seeded.push(dept_id);
    }
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let addr = listener.local_addr()?;
    let state = AppState::new(store, Arc::new(SystemClock), WebSettings::default());
    tokio::spawn(rexian_web::serve(listener, state, std::future::pending()));
    let base = format!("http://{addr}");
    let http = reqwest::Client::new();
    let mut counties = Vec::new();
    for (i, dept_id) in seeded.into_iter().enumerate() {
        counties.push(County {
            agent: login(&http, &base, &format!("agent{i}")).await?,
            leader: login(&http, &base, &format!("leader{i}")).await?,
            dept: login(&http, &base, &format!("dept{i}")).await?,
            dept_id,
        });
    }
    Ok(Setup { base, counties })
}

fn new_order() -> Value {
    json!({
        "kind": "help", "category_code": "03.01", "title": "路灯不亮",
        "content": "牙叉镇白沙大道路灯连续三晚不亮。", "caller_name": "王先生",
        "caller_phone": "13812345678", "town": "yacha",
    })
}

/// One client: orders through the whole lifecycle until `stop`; latencies in microseconds.
async fn client(
    s: Arc<Setup>,
    index: usize,
    stop: Arc<AtomicBool>,
    measure: Arc<AtomicBool>,
    floor: bool,
) -> (Vec<u32>, u64) {
    let http = reqwest::Client::new();
    let c = &s.counties[index % s.counties.len()];
    let mut lat = Vec::with_capacity(100_000);
    let mut errors = 0u64;
    if floor {
        let url = format!("{}/api/v1/me", s.base);
        while !stop.load(Ordering::Relaxed) {
            let t = Instant::now();
            let r = http.get(&url).bearer_auth(&c.agent).send().await;
            let ok = match r {
                Ok(r) if r.status().is_success() => r.bytes().await.is_ok(),
                _ => false,
            };
            if measure.load(Ordering::Relaxed) {
                lat.push(t.elapsed().as_micros() as u32);
            }
            errors += u64::from(!ok);
        }
        return (lat, errors);
    }
    let dept = json!({ "lead_department_id": c.dept_id });
    let reached = json!({ "outcome": { "status": "reached", "resolved": true, "satisfaction": "satisfied" } });
    let reply = json!({ "content": "已修复。" });
    while !stop.load(Ordering::Relaxed) {
        let t = Instant::now();
        let r = http
            .post(format!("{}/api/v1/orders", s.base))
            .bearer_auth(&c.agent)
            .json(&new_order())
            .send()
            .await;
        let id = match r {
            Ok(r) if r.status().is_success() => {
                let v: Value = r.json().await.unwrap_or_default();
                v["id"].as_i64().ok_or_else(|| format!("no id in {v}"))
            }
            Ok(r) => Err(format!(
                "{} {}",
                r.status(),
                r.text().await.unwrap_or_default()
            )),
            Err(e) => Err(e.to_string()),
        };
        if measure.load(Ordering::Relaxed) {
            lat.push(t.elapsed().as_micros() as u32);
        }
        let id = match id {
            Ok(id) => id,
            Err(failure) => {
                if errors < 2 {
                    eprintln!("register failed: {failure}");
                }
                errors += 1;
                continue;
            }
        };
        let steps: [(&str, &str, &Value); 8] = [
            ("submit", &c.agent, &Value::Null),
            ("dispatch", &c.leader, &dept),
            ("sign", &c.dept, &Value::Null),
            ("start", &c.dept, &Value::Null),
            ("reply", &c.dept, &reply),
            ("approve-reply", &c.leader, &Value::Null),
            ("callback", &c.agent, &reached),
            ("close", &c.agent, &Value::Null),
        ];
        for (action, token, body) in steps {
            let t = Instant::now();
            let mut req = http
                .post(format!("{}/api/v1/orders/{id}/{action}", s.base))
                .bearer_auth(token);
            if !body.is_null() {
                req = req.json(body);
            }
            let failure = match req.send().await {
                Ok(r) if r.status().is_success() => None,
                Ok(r) => Some(format!(
                    "{} {}",
                    r.status(),
                    r.text().await.unwrap_or_default()
                )),
                Err(e) => Some(e.to_string()),
            };
            if measure.load(Ordering::Relaxed) {
                lat.push(t.elapsed().as_micros() as u32);
            }
            if let Some(failure) = failure {
                // The first failures of each client, to tell what went wrong.
                if errors < 2 {
                    eprintln!("{action} failed: {failure}");
                }
                errors += 1;
                break;
            }
        }
    }
    (lat, errors)
}

fn pct(sorted: &[u32], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    f64::from(sorted[i]) / 1000.0
}

async fn transitions(s: Arc<Setup>, args: &Args) {
    let stop = Arc::new(AtomicBool::new(false));
    let measure = Arc::new(AtomicBool::new(false));
    let tasks: Vec<_> = (0..args.clients)
        .map(|i| {
            tokio::spawn(client(
                s.clone(),
                i,
                stop.clone(),
                measure.clone(),
                args.floor,
            ))
        })
        .collect();
    tokio::time::sleep(Duration::from_secs(2)).await;
    measure.store(true, Ordering::Relaxed);
    let start = Instant::now();
    let cpu_start = cpu_seconds();
    tokio::time::sleep(Duration::from_secs(args.seconds)).await;
    measure.store(false, Ordering::Relaxed);
    let elapsed = start.elapsed().as_secs_f64();
    let cpu = cpu_seconds() - cpu_start;
    stop.store(true, Ordering::Relaxed);
    let mut all = Vec::new();
    let mut errors = 0;
    for t in tasks {
        if let Ok((lat, e)) = t.await {
            all.extend(lat);
            errors += e;
        }
    }
    all.sort_unstable();
    println!(
        "{}: backend={} clients={} seconds={:.1} requests={} errors={} \
         throughput={:.0}/s p50={:.2}ms p90={:.2}ms p99={:.2}ms max={:.2}ms \
         cpu={:.0}us/request",
        if args.floor {
            "floor (GET /api/v1/me)"
        } else {
            "transitions"
        },
        args.backend,
        args.clients,
        elapsed,
        all.len(),
        errors,
        all.len() as f64 / elapsed,
        pct(&all, 0.50),
        pct(&all, 0.90),
        pct(&all, 0.99),
        pct(&all, 1.0),
        cpu * 1e6 / all.len().max(1) as f64,
    );
}

/// CPU time of this process (client and server, all threads) so far, in seconds, from
/// /proc (Linux; 0 elsewhere). Per request it is a figure other processes on the machine
/// barely move, unlike the throughput. PostgreSQL's own CPU is not in it.
fn cpu_seconds() -> f64 {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    let after = stat.rsplit(')').next().unwrap_or("");
    let fields: Vec<&str> = after.split_whitespace().collect();
    let ticks = |i: usize| -> f64 { fields.get(i).and_then(|x| x.parse().ok()).unwrap_or(0.0) };
    // utime and stime, in clock ticks (100 a second on Linux).
    (ticks(11) + ticks(12)) / 100.0
}

/// Inserts `n` synthetic orders of the first sub-platform with one SQL statement.
async fn bulk_insert(db: &TestDb, backend: Backend, n: i64) -> anyhow::Result<()> {
    let departments = db.store.list_departments(1).await?.len() as i64;
    let snapshot = json!({
        "number": "BS202612010001", "kind": "complaint", "urgent": false,
        "state": "in_progress", "registered_at": "2026-12-01T00:00:00Z",
        "lead_department": "zhujian",
    });
    let cols = "platform_id, number, kind, state, urgent, confidential, leader_flagged, source, \
                supervision_level, title, content, caller_name, caller_phone, lead_department_id, \
                snapshot, handle_due_at, version, created_at, updated_at";
    // 5% of the orders are open (in progress), the rest closed; departments in turn.
    let values = "1, 'LG' || i, 'complaint', \
                  CASE WHEN i % 20 = 0 THEN 'in_progress' ELSE 'closed' END, \
                  FALSE, FALSE, FALSE, 'phone_call', 'none', '合成工单', '负载测试用合成工单', \
                  '测试', '13800000000', (SELECT MIN(id) FROM departments) + (i % $3), $2";
    let t = Instant::now();
    match backend {
        Backend::Sqlite => {
            let pool = sqlx::SqlitePool::connect(&db.url).await?;
            sqlx::query(&format!(
                "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < $1) \
                 INSERT INTO work_orders ({cols}) SELECT {values}, \
                 strftime('%Y-%m-%dT%H:%M:%S+00:00', '2026-12-01', '+' || (i % 100000) || ' seconds'), \
                 1, '2026-11-01T00:00:00+00:00', '2026-11-01T00:00:00+00:00' FROM n"
            ))
            .bind(n)
            .bind(sqlx::types::Json(&snapshot))
            .bind(departments)
            .execute(&pool)
            .await?;
            sqlx::query("ANALYZE").execute(&pool).await?;
        }
        Backend::Postgres => {
            let pool = sqlx::PgPool::connect(&db.url).await?;
            sqlx::query(&format!(
                "INSERT INTO work_orders ({cols}) SELECT {values}, \
                 TIMESTAMPTZ '2026-12-01T00:00:00Z' + (i % 100000) * INTERVAL '1 second', \
                 1, TIMESTAMPTZ '2026-11-01T00:00:00Z', TIMESTAMPTZ '2026-11-01T00:00:00Z' \
                 FROM generate_series(1, $1::bigint) AS n(i)"
            ))
            .bind(n)
            .bind(sqlx::types::Json(&snapshot))
            .bind(departments)
            .execute(&pool)
            .await?;
            sqlx::query("ANALYZE work_orders").execute(&pool).await?;
        }
    }
    println!(
        "inserted {n} synthetic orders in {:.1}s",
        t.elapsed().as_secs_f64()
    );
    Ok(())
}

async fn inbox(s: &Setup, total: i64) -> anyhow::Result<()> {
    let http = reqwest::Client::new();
    let baisha = &s.counties[0];
    let url = format!(
        "{}/api/v1/departments/{}/inbox?limit=50",
        s.base, baisha.dept_id
    );
    let mut lat = Vec::new();
    for i in 0..300 {
        let t = Instant::now();
        let r = http.get(&url).bearer_auth(&baisha.dept).send().await?;
        if !r.status().is_success() {
            bail!("inbox answered {}", r.status());
        }
        let body: Value = r.json().await?;
        let us = t.elapsed().as_micros() as u32;
        if i == 0 && body["orders"].as_array().map_or(0, Vec::len) != 50 {
            bail!("the inbox should be full: {body}");
        }
        if i >= 50 {
            lat.push(us);
        }
    }
    lat.sort_unstable();
    println!(
        "inbox: stored_orders={total} requests={} p50={:.2}ms p99={:.2}ms max={:.2}ms \
         (GET /api/v1/departments/{{id}}/inbox?limit=50, end to end over HTTP)",
        lat.len(),
        pct(&lat, 0.5),
        pct(&lat, 0.99),
        pct(&lat, 1.0)
    );
    Ok(())
}

async fn run(args: Args) -> anyhow::Result<()> {
    let db = match args.backend.as_str() {
        "sqlite" => testing::sqlite().await,
        "postgres" => testing::postgres()
            .await
            .context("set REXIAN_TEST_POSTGRES_URL for --backend postgres")?,
        other => bail!("unknown backend {other}"),
    };
    let backend = db.store.backend();
    let s = Arc::new(setup(&db, usize::from(args.platforms)).await?);
    if !args.no_transitions {
        transitions(s.clone(), &args).await;
    }
    if args.inbox_orders > 0 {
        bulk_insert(&db, backend, args.inbox_orders).await?;
        inbox(&s, args.inbox_orders).await?;
    }
    Ok(())
}
