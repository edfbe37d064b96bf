//! A province year (issue 6): 19 sub-platforms (the cities and counties of Hainan), their
//! calls and work orders of 2026 with the events the assessment reads, and some complaints,
//! faults, emergencies, praise and staff; then the year 2026 scored for each sub-platform end
//! to end from storage, `--jobs` sub-platforms at a time (2, one per core of the reference
//! machine), with the wall time and the peak memory (VmHWM).
//!
//! ```text
//! # fill a database (SQLite file or PostgreSQL database; keep it outside the repository)
//! cargo run --release -p rexian-report --example bench_province -- \
//!     --database-url sqlite:/work/bench-data/province.db --generate \
//!     --platforms 19 --calls 5000000 --orders 1000000
//! # score it (a separate run, so the peak memory is the scoring's)
//! cargo run --release -p rexian-report --example bench_province -- \
//!     --database-url sqlite:/work/bench-data/province.db
//! ```
//!
//! The generated data is deterministic (a fixed-seed generator). Orders go through the real
//! lifecycle (`rexian_orders::apply`), so their snapshots, deadlines and the timeliness in
//! their events are the ones the server would write; they are stored with
//! `BulkStore::import_orders` in batches of 5,000 and the calls with `insert_calls` in
//! batches of 20,000.

use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Instant;

use chrono::{DateTime, Datelike, Duration, NaiveDate, TimeZone, Utc};
use rexian_assessment::{Period, RuleBook};
use rexian_domain::{Actor, AggregateRef, NewEvent, Role};
use rexian_operations::assets::AssetKind;
use rexian_operations::emergency::EmergencyKind;
use rexian_operations::faults::FaultSeverity;
use rexian_operations::ids::UserId;
use rexian_operations::quality::{ComplaintSource, PraiseKind, Verdict};
use rexian_operations::staff::{LeaveReason, Position};
use rexian_orders::{
    Action, Actor as OrderActor, Calendar, CallbackOutcome, DepartmentCode, InvalidCategory,
    OrderNumber, OrderSnapshot, RequestKind, Satisfaction, Source, TimeLimits, Transition, apply,
    register,
};
use rexian_store::operations::*;
use rexian_store::{
    DatabaseLocation, ImportedOrder, NewCall, NewOrder, NewPlatform, PlatformSeed,
    SqliteDurability, Store,
};
use serde_json::json;

/// The 19 cities and counties of Hainan with a 12345 sub-platform: code, name, order
/// prefix and a weight (rough share of the province's traffic).
const PLATFORMS: [(&str, &str, &str, u32); 19] = [
    ("haikou", "海口市12345分平台", "HK", 30),
    ("sanya", "三亚市12345分平台", "SY", 14),
    ("danzhou", "儋州市12345分平台", "DZ", 8),
    ("qionghai", "琼海市12345分平台", "QH", 5),
    ("wenchang", "文昌市12345分平台", "WC", 5),
    ("wanning", "万宁市12345分平台", "WN", 5),
    ("dongfang", "东方市12345分平台", "DF", 4),
    ("wuzhishan", "五指山市12345分平台", "WZS", 2),
    ("sansha", "三沙市12345分平台", "SS", 1),
    ("dingan", "定安县12345分平台", "DA", 3),
    ("tunchang", "屯昌县12345分平台", "TC", 3),
    ("chengmai", "澄迈县12345分平台", "CM", 4),
    ("lingao", "临高县12345分平台", "LG", 4),
    ("baisha", "白沙县12345分平台", "BS", 2),
    ("changjiang", "昌江县12345分平台", "CJ", 2),
    ("ledong", "乐东县12345分平台", "LD", 4),
    ("lingshui", "陵水县12345分平台", "LS", 3),
    ("baoting", "保亭县12345分平台", "BT", 2),
    ("qiongzhong", "琼中县12345分平台", "QZ", 2),
];

struct Args {
    database_url: String,
    generate: bool,
    platforms: usize,
    calls: u64,
    orders: u64,
    runs: usize,
    steps: bool,
    digest: bool,
    jobs: usize,
}

fn usage(problem: &str) -> ! {
    eprintln!(
        "{problem}\nusage: bench_province --database-url URL [--generate] [--platforms 19] \
         [--calls 5000000] [--orders 1000000] [--runs 1] [--jobs 2] [--steps] [--digest]"
    );
    std::process::exit(2)
}

fn args() -> Args {
    let mut a = Args {
        database_url: String::new(),
        generate: false,
        platforms: 19,
        calls: 5_000_000,
        orders: 1_000_000,
        runs: 1,
        steps: false,
        digest: false,
        jobs: 2,
    };
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        let mut value = |name: &str| {
            it.next()
                .unwrap_or_else(|| usage(&format!("{name} needs a value")))
        };
        let number = |name: &str, v: String| -> u64 {
            v.replace('_', "")
                .parse()
                .unwrap_or_else(|_| usage(&format!("{name}: {v:?} is not a whole number")))
        };
        match flag.as_str() {
            "--database-url" => a.database_url = value("--database-url"),
            "--generate" => a.generate = true,
            "--steps" => a.steps = true,
            "--digest" => a.digest = true,
            "--platforms" => a.platforms = number("--platforms", value("--platforms")) as usize,
            "--calls" => a.calls = number("--calls", value("--calls")),
            "--orders" => a.orders = number("--orders", value("--orders")),
            "--runs" => a.runs = number("--runs", value("--runs")).max(1) as usize,
            "--jobs" => a.jobs = number("--jobs", value("--jobs")).max(1) as usize,
            other => usage(&format!("unknown argument {other:?}")),
        }
    }
    if a.database_url.is_empty() {
        usage("--database-url is required (sqlite:/path/file.db or postgres://…)");
    }
    if !(1..=PLATFORMS.len()).contains(&a.platforms) {
        usage(&format!("--platforms: 1 to {}", PLATFORMS.len()));
    }
    a
}

/// splitmix64: a small deterministic generator (no dependency needed).
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    /// Uniform in [0, 1).
    fn f(&mut self) -> f64 {
        (self.next() >> 11) as f64 / (1u64 << 53) as f64
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }
}

/// 2026-01-01 00:00 Beijing time.
fn year_start() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2025, 12, 31, 16, 0, 0).unwrap()
}

const YEAR_SECONDS: i64 = 365 * 24 * 3600;

/// A moment of 2026, mostly in working hours (Beijing time).
fn moment(rng: &mut Rng) -> DateTime<Utc> {
    let day = rng.below(365) as i64;
    // 85% between 08:00 and 20:00 local, the rest at any time.
    let second = if rng.f() < 0.85 {
        8 * 3600 + rng.below(12 * 3600) as i64
    } else {
        rng.below(24 * 3600) as i64
    };
    year_start() + Duration::seconds(day * 86_400 + second)
}

fn local_day(t: DateTime<Utc>) -> NaiveDate {
    (t + Duration::hours(8)).date_naive()
}

fn cli() -> Actor {
    Actor::Cli {
        os_user: "bench".into(),
    }
}

/// Shares of `total` by weight, summing exactly to `total`.
fn shares(total: u64, weights: &[u32]) -> Vec<u64> {
    let sum: u64 = weights.iter().map(|w| u64::from(*w)).sum();
    let mut out: Vec<u64> = weights
        .iter()
        .map(|w| total * u64::from(*w) / sum)
        .collect();
    let rest = total - out.iter().sum::<u64>();
    out[0] += rest;
    out
}

/// CPU time of this process (all threads) so far, from /proc (Linux), in seconds.
fn cpu_seconds() -> f64 {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    let after = stat.rsplit(')').next().unwrap_or("");
    let f: Vec<&str> = after.split_whitespace().collect();
    let ticks: f64 = f.get(11).and_then(|x| x.parse().ok()).unwrap_or(0.0)
        + f.get(12).and_then(|x| x.parse().ok()).unwrap_or(0.0);
    ticks / 100.0
}

fn max_rss_mib() -> f64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<f64>().ok())
        .map_or(0.0, |kb| kb / 1024.0)
}

async fn open(url: &str, create: bool) -> std::sync::Arc<dyn Store> {
    let location = if let Some(path) = url.strip_prefix("sqlite:") {
        let path = PathBuf::from(path.strip_prefix("//").unwrap_or(path));
        if create && let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir).expect("create the database directory");
        }
        DatabaseLocation::Sqlite {
            path,
            create,
            durability: SqliteDurability::Normal,
        }
    } else {
        DatabaseLocation::resolve(
            Some(url),
            std::path::Path::new("."),
            SqliteDurability::Normal,
        )
        .unwrap_or_else(|e| usage(&format!("--database-url: {e}")))
    };
    rexian_store::open(&location)
        .await
        .unwrap_or_else(|e| usage(&format!("cannot open {}: {e}", location.describe())))
}

#[tokio::main]
async fn main() {
    let a = args();
    if a.generate {
        generate(&a).await;
    } else {
        score(&a).await;
    }
}

// ---------------------------------------------------------------------------------------
// Generation.

async fn generate(a: &Args) {
    let store = open(&a.database_url, true).await;
    let s = store.as_ref();
    if !s.list_platforms().await.unwrap().is_empty() {
        usage("the database has sub-platforms already; generate into an empty database");
    }
    let started = Instant::now();
    let chosen = &PLATFORMS[..a.platforms];
    let weights: Vec<u32> = chosen.iter().map(|p| p.3).collect();
    let calls = shares(a.calls, &weights);
    let orders = shares(a.orders, &weights);
    let mut rng = Rng(20_260_101);
    let (mut calls_done, mut orders_done) = (0u64, 0u64);
    for (i, &(code, name, prefix, _)) in chosen.iter().enumerate() {
        let mut seed = PlatformSeed::baisha();
        seed.platform = NewPlatform {
            code: code.into(),
            name: name.into(),
            order_prefix: prefix.into(),
        };
        let p = s
            .seed_platform(&seed, &cli(), year_start() - Duration::days(30))
            .await
            .unwrap()
            .id;
        let t = Instant::now();
        gen_calls(s, p, calls[i], &mut rng, |n| {
            print_progress(code, "calls", calls_done + n, a.calls, started)
        })
        .await;
        calls_done += calls[i];
        let t_calls = t.elapsed();
        let t = Instant::now();
        gen_orders(s, p, prefix, orders[i], &mut rng, |n| {
            print_progress(code, "orders", orders_done + n, a.orders, started)
        })
        .await;
        orders_done += orders[i];
        let t_orders = t.elapsed();
        let ops = gen_operations(s, p, calls[i], &mut rng).await;
        println!(
            "{code}: {} calls in {:.1}s, {} orders in {:.1}s, {ops}; {:.0}s so far",
            calls[i],
            t_calls.as_secs_f64(),
            orders[i],
            t_orders.as_secs_f64(),
            started.elapsed().as_secs_f64()
        );
    }
    println!(
        "generated {} sub-platforms, {} calls and {} orders in {:.1}s ({:?})",
        a.platforms,
        a.calls,
        a.orders,
        started.elapsed().as_secs_f64(),
        store.backend()
    );
}

fn print_progress(code: &str, what: &str, done: u64, total: u64, started: Instant) {
    eprintln!(
        "  {code}: {what} {done}/{total} ({:.0}%), {:.0}s",
        done as f64 * 100.0 / total.max(1) as f64,
        started.elapsed().as_secs_f64()
    );
}

async fn gen_calls(s: &dyn Store, p: i64, n: u64, rng: &mut Rng, progress: impl Fn(u64)) {
    const BATCH: u64 = 20_000;
    let mut times: Vec<DateTime<Utc>> = (0..n).map(|_| moment(rng)).collect();
    times.sort_unstable();
    let record = serde_json::value::RawValue::from_string("{\"source\":\"bench\"}".into()).unwrap();
    let mut done = 0u64;
    for chunk in times.chunks(BATCH as usize) {
        let batch: Vec<NewCall> = chunk
            .iter()
            .enumerate()
            .map(|(k, &at)| {
                let i = done + k as u64;
                let r = rng.f();
                let outcome = match r {
                    r if r < 0.86 => "completed",
                    r if r < 0.89 => "transferred",
                    r if r < 0.945 => "abandoned",
                    r if r < 0.97 => "short_abandoned",
                    r if r < 0.98 => "overflowed",
                    r if r < 0.99 => "busy",
                    _ => "failed",
                };
                let answered = matches!(outcome, "completed" | "transferred");
                let wait = match outcome {
                    "short_abandoned" => 1.0 + rng.below(9) as f64,
                    "abandoned" => 10.0 + rng.below(110) as f64,
                    "busy" | "failed" => 0.0,
                    _ => 2.0 + rng.below(40) as f64,
                };
                let talk = if answered {
                    60.0 + rng.below(400) as f64
                } else {
                    0.0
                };
                let satisfaction = if answered && rng.f() < 0.6 {
                    let x = rng.f();
                    Some(if x < 0.86 {
                        "satisfied"
                    } else if x < 0.97 {
                        "basically_satisfied"
                    } else {
                        "dissatisfied"
                    })
                } else {
                    None
                };
                NewCall {
                    source: "cti".into(),
                    dedup_key: format!("bench-{i}"),
                    caller: format!("13{:09}", rng.below(1_000_000_000)),
                    called: "12345".into(),
                    queue: if rng.f() < 0.05 { "li" } else { "general" }.into(),
                    agent: answered.then(|| format!("A{:02}", 1 + rng.below(10))),
                    arrived_at: at,
                    answered_at: answered.then(|| at + Duration::seconds(wait as i64)),
                    ended_at: at + Duration::seconds((wait + talk) as i64),
                    wait_seconds: wait,
                    talk_seconds: talk,
                    wrap_up_seconds: if answered { 20.0 } else { 0.0 },
                    outcome: outcome.into(),
                    overflow_reason: (outcome == "overflowed").then(|| "queue_full".into()),
                    satisfaction: satisfaction.map(str::to_owned),
                    record: record.clone(),
                }
            })
            .collect();
        let last = batch.last().map_or(year_start(), |c| c.ended_at);
        s.insert_calls(p, &batch, &cli(), last).await.unwrap();
        done += chunk.len() as u64;
        progress(done);
    }
}

/// The events the web API writes for a transition (see `api/orders.rs`), for the kinds the
/// benchmark keeps: registration, direct resolution, reply, callback and close.
fn transition_event(
    t: &Transition,
    action: Option<&Action>,
    actor: &Actor,
    at: DateTime<Utc>,
) -> NewEvent {
    NewEvent {
        aggregate: AggregateRef::new("order", 0),
        event_type: t.event_type.to_owned(),
        actor: actor.clone(),
        occurred_at: at,
        payload: json!({
            "number": t.order.number,
            "action": action,
            "from": t.from,
            "to": t.to,
            "changes": t.changes,
            "timeliness": t.timeliness,
        }),
        reason: None,
    }
}

struct Lifecycle {
    calendar: Calendar,
    limits: TimeLimits,
    agent: OrderActor,
    leader: OrderActor,
}

impl Lifecycle {
    fn step(
        &self,
        o: &OrderSnapshot,
        action: Action,
        actor: &OrderActor,
        at: DateTime<Utc>,
    ) -> (Transition, Action) {
        let t = apply(o, &action, actor, at, &self.calendar, &self.limits)
            .unwrap_or_else(|e| panic!("{:?} on {}: {e}", action, o.number.as_str()));
        (t, action)
    }
}

async fn gen_orders(
    s: &dyn Store,
    p: i64,
    prefix: &str,
    n: u64,
    rng: &mut Rng,
    progress: impl Fn(u64),
) {
    const BATCH: usize = 5_000;
    let departments = s.list_departments(p).await.unwrap();
    let lc = Lifecycle {
        calendar: Calendar::bundled(),
        limits: TimeLimits::bundled(),
        agent: OrderActor::user(Role::Agent),
        leader: OrderActor::user(Role::ShiftLeader),
    };
    let actor = cli();
    let mut times: Vec<DateTime<Utc>> = (0..n).map(|_| moment(rng)).collect();
    times.sort_unstable();
    let (mut day, mut seq) = (NaiveDate::MIN, 0u16);
    let mut batch: Vec<ImportedOrder> = Vec::with_capacity(BATCH);
    let mut done = 0u64;
    for at in times {
        let d = local_day(at);
        if d != day {
            (day, seq) = (d, 0);
        }
        seq += 1;
        let number = OrderNumber::new(prefix, d, seq).expect("at most 9,999 orders a day");
        let r = rng.f();
        let kind = match r {
            r if r < 0.38 => RequestKind::Consultation,
            r if r < 0.60 => RequestKind::Help,
            r if r < 0.82 => RequestKind::Complaint,
            r if r < 0.90 => RequestKind::Report,
            r if r < 0.96 => RequestKind::Suggestion,
            r if r < 0.97 => RequestKind::Praise,
            _ => RequestKind::Other,
        };
        let reg = register(number, kind, rng.f() < 0.03, &lc.agent, at).unwrap();
        let mut events = vec![transition_event(&reg, None, &actor, at)];
        let mut o = reg.order;
        let mut now = at;
        let mut lead_department_id = None;
        let (mut reply_content, mut public_reply) = (None, None);
        let x = rng.f();
        if x < 0.01 {
            let (t, action) = lc.step(
                &o,
                Action::Invalidate {
                    category: InvalidCategory::TestCall,
                    reason: "测试来电".into(),
                },
                &lc.leader,
                now + Duration::minutes(5),
            );
            now += Duration::minutes(5);
            events.push(transition_event(&t, Some(&action), &actor, now));
            o = t.order;
        } else if kind == RequestKind::Consultation && x < 0.70 {
            now += Duration::minutes(3);
            let (t, action) = lc.step(
                &o,
                Action::ResolveDirectly {
                    answer: "已当场答复".into(),
                },
                &lc.agent,
                now,
            );
            events.push(transition_event(&t, Some(&action), &actor, now));
            reply_content = Some("已当场答复".to_owned());
            public_reply = reply_content.clone();
            o = t.order;
        } else {
            let dep = &departments[rng.below(departments.len() as u64) as usize];
            lead_department_id = Some(dep.id);
            let code = DepartmentCode::parse(&dep.code).unwrap();
            let handler = OrderActor::department_handler(code.clone());
            let go = |o: &mut OrderSnapshot,
                      (now, events): (&mut DateTime<Utc>, &mut Vec<NewEvent>),
                      action: Action,
                      who: &OrderActor,
                      after: Duration,
                      keep: bool| {
                *now += after;
                let (t, action) = lc.step(o, action, who, *now);
                if keep {
                    events.push(transition_event(&t, Some(&action), &actor, *now));
                }
                *o = t.order;
            };
            go(
                &mut o,
                (&mut now, &mut events),
                Action::SubmitForDispatch,
                &lc.agent,
                Duration::minutes(4),
                false,
            );
            go(
                &mut o,
                (&mut now, &mut events),
                Action::Dispatch {
                    lead_department: code,
                    assisting_departments: Vec::new(),
                },
                &lc.leader,
                Duration::minutes(20 + rng.below(60) as i64),
                false,
            );
            go(
                &mut o,
                (&mut now, &mut events),
                Action::Sign,
                &handler,
                Duration::minutes(30 + rng.below(600) as i64),
                false,
            );
            go(
                &mut o,
                (&mut now, &mut events),
                Action::Start,
                &handler,
                Duration::minutes(10),
                false,
            );
            // Replies within 1–7 days; orders registered in the last days of December
            // are still being handled at the year's end.
            let handling = Duration::hours(20 + rng.below(150) as i64);
            if now + handling < year_start() + Duration::seconds(YEAR_SECONDS) - Duration::days(3) {
                go(
                    &mut o,
                    (&mut now, &mut events),
                    Action::Reply {
                        content: "已办理并答复".into(),
                    },
                    &handler,
                    handling,
                    true,
                );
                reply_content = Some("已办理并答复".to_owned());
                go(
                    &mut o,
                    (&mut now, &mut events),
                    Action::ApproveReply,
                    &lc.leader,
                    Duration::hours(2),
                    false,
                );
                public_reply = reply_content.clone();
                // Callbacks: most within hours, 3% late (after the 24-hour limit).
                let after = if rng.f() < 0.97 {
                    Duration::minutes(30 + rng.below(20 * 60) as i64)
                } else {
                    Duration::hours(26 + rng.below(48) as i64)
                };
                let y = rng.f();
                let outcome = CallbackOutcome::Reached {
                    resolved: y < 0.9,
                    satisfaction: if y < 0.8 {
                        Satisfaction::Satisfied
                    } else if y < 0.95 {
                        Satisfaction::BasicallySatisfied
                    } else {
                        Satisfaction::Dissatisfied
                    },
                };
                go(
                    &mut o,
                    (&mut now, &mut events),
                    Action::Callback { outcome },
                    &lc.agent,
                    after,
                    true,
                );
                go(
                    &mut o,
                    (&mut now, &mut events),
                    Action::Close,
                    &lc.agent,
                    Duration::minutes(5),
                    true,
                );
            }
        }
        let new = NewOrder {
            snapshot: o,
            confidential: false,
            leader_flagged: false,
            source: Source::PhoneCall,
            category_code: None,
            title: format!("{}诉求", kind.label_zh()),
            content: "合成工单（省级年度考核基准）".into(),
            caller_name: "市民".into(),
            caller_phone: format!("13{:09}", rng.below(1_000_000_000)),
            town: None,
            address: None,
            lat: None,
            lng: None,
            call_id: None,
            idempotency_key: None,
        };
        batch.push(ImportedOrder {
            new,
            lead_department_id,
            reply_content,
            public_reply,
            next_timer_at: None,
            created_at: at,
            updated_at: now,
            events,
        });
        if batch.len() == BATCH {
            s.import_orders(p, &batch).await.unwrap();
            done += batch.len() as u64;
            batch.clear();
            progress(done);
        }
    }
    if !batch.is_empty() {
        s.import_orders(p, &batch).await.unwrap();
        done += batch.len() as u64;
        progress(done);
    }
}

/// Staff (about one certified agent per 12,000 calls a year, some leaving), complaints,
/// faults, emergencies and praise, through the operations store as the office enters them.
async fn gen_operations(s: &dyn Store, p: i64, calls: u64, rng: &mut Rng) -> String {
    let d = |m: u32, day: u32| NaiveDate::from_ymd_opt(2026, m, day).unwrap();
    let ctx = |at: DateTime<Utc>| OpsCtx {
        platform_id: p,
        actor: cli(),
        user: UserId(1),
        now: at,
    };
    let jan1 = year_start();
    let headcount = (calls / 12_000).clamp(8, 60);
    let mut staff = Vec::new();
    let mut leavers = 0;
    for k in 0..headcount {
        let left = (rng.f() < 0.12).then(|| {
            leavers += 1;
            (
                d(1 + rng.below(11) as u32, 1 + rng.below(28) as u32),
                LeaveReason::Resigned,
            )
        });
        let rec = s
            .create_staff(
                &ctx(jan1),
                &NewStaff {
                    code: format!("A{:02}", k + 1),
                    name: format!("坐席{:02}", k + 1),
                    position: Position::Agent,
                    start: d(1, 1) - Duration::days(200),
                    certified_on: Some(d(1, 1) - Duration::days(150)),
                    left,
                    details: StaffDetails::default(),
                },
            )
            .await
            .unwrap();
        staff.push(rec.staff.id);
    }
    let complaints = 4 + rng.below(10);
    for _ in 0..complaints {
        let at = moment(rng);
        let c = s
            .receive_complaint(
                &ctx(at),
                &NewComplaint {
                    source: if rng.f() < 0.1 {
                        ComplaintSource::Leader
                    } else {
                        ComplaintSource::Caller
                    },
                    received_at: at,
                    agent: staff[rng.below(staff.len() as u64) as usize],
                    call_id: None,
                    order_id: None,
                    summary: "服务态度差".into(),
                    bad_social_impact: false,
                },
            )
            .await
            .unwrap();
        if rng.f() < 0.8 {
            let verdict = if rng.f() < 0.4 {
                Verdict::Justified
            } else {
                Verdict::Unjustified
            };
            s.change_complaint(
                &ctx(at + Duration::days(3)),
                c.id.0,
                &ComplaintChange::Finalize {
                    verdict: Some(verdict),
                    note: "质检核定".into(),
                },
            )
            .await
            .unwrap();
        }
    }
    let asset = s
        .create_asset(
            &ctx(jan1),
            &NewAssetRecord {
                name: "UPS".into(),
                kind: AssetKind::Other {
                    description: "UPS".into(),
                },
                commissioned_on: d(1, 1) - Duration::days(400),
                location: None,
            },
        )
        .await
        .unwrap();
    let faults = 3 + rng.below(6);
    for _ in 0..faults {
        let at = moment(rng);
        let f = s
            .report_fault(
                &ctx(at),
                &NewFault {
                    asset_id: asset.id.0,
                    severity: if rng.f() < 0.3 {
                        FaultSeverity::Critical
                    } else {
                        FaultSeverity::Minor
                    },
                    description: "线路故障".into(),
                    reported_at: at,
                },
            )
            .await
            .unwrap();
        if rng.f() < 0.8 {
            s.change_fault(
                &ctx(at + Duration::minutes(10)),
                f.id.0,
                &FaultChange::Acknowledge,
            )
            .await
            .unwrap();
        }
    }
    let emergencies = rng.below(4);
    for _ in 0..emergencies {
        let at = moment(rng);
        let e = s
            .open_emergency(
                &ctx(at),
                &NewEmergency {
                    kind: EmergencyKind::Typhoon,
                    description: "台风预警".into(),
                    known_at: at,
                    required_change: "增加坐席".into(),
                    staffing_due_by: at + Duration::hours(2),
                },
            )
            .await
            .unwrap();
        s.change_emergency(
            &ctx(at + Duration::hours(1)),
            e.id.0,
            &EmergencyChange::StaffingChanged {
                note: "已增加坐席".into(),
            },
        )
        .await
        .unwrap();
    }
    let praise = 5 + rng.below(20);
    for _ in 0..praise {
        let on = local_day(moment(rng));
        let kind = match rng.below(10) {
            0 => PraiseKind::Banner,
            1..=3 => PraiseKind::Letter,
            _ => PraiseKind::Call,
        };
        let pr = s
            .receive_praise(
                &ctx(year_start() + Duration::days(i64::from(on.ordinal0()))),
                &NewPraise {
                    kind,
                    received_on: on,
                    agent: Some(staff[rng.below(staff.len() as u64) as usize]),
                    order_id: None,
                    description: "表扬".into(),
                },
            )
            .await
            .unwrap();
        if rng.f() < 0.7 {
            s.change_praise(
                &ctx(year_start() + Duration::days(i64::from(on.ordinal0()) + 2)),
                pr.id.0,
                &PraiseChange::Verify,
            )
            .await
            .unwrap();
        }
    }
    format!(
        "{headcount} staff ({leavers} left), {complaints} complaints, {faults} faults, \
         {emergencies} emergencies, {praise} praise"
    )
}

// ---------------------------------------------------------------------------------------
// The measured operation.

async fn score(a: &Args) {
    let store = open(&a.database_url, false).await;
    let s = store.as_ref();
    let platforms = s.list_platforms().await.unwrap();
    if platforms.is_empty() {
        usage("the database has no sub-platforms; run with --generate first");
    }
    let book = RuleBook::baisha_default();
    let period = Period::parse("2026").unwrap();
    let now = Utc.with_ymd_and_hms(2027, 1, 10, 2, 0, 0).unwrap();
    if a.steps {
        steps(s, platforms[0].id, &period, now).await;
        let t = Instant::now();
        let cpu = cpu_seconds();
        let r = rexian_report::assess_period(s, platforms[0].id, &book, &period, now)
            .await
            .unwrap();
        println!(
            "assess_period of {}: total {:.2} in {:?}, CPU {:.2} s, peak {:.0} MiB",
            platforms[0].code,
            r.total,
            t.elapsed(),
            cpu_seconds() - cpu,
            max_rss_mib()
        );
        return;
    }
    let mut times = Vec::new();
    for run in 1..=a.runs {
        let started = Instant::now();
        // The sub-platforms scored `--jobs` at a time (each its own task, so on its own
        // core), the biggest first; printed in their order.
        let next = Arc::new(AtomicUsize::new(0));
        let platforms = Arc::new(platforms.clone());
        let mut workers = tokio::task::JoinSet::new();
        for _ in 0..a.jobs {
            let (store, platforms, next) = (store.clone(), platforms.clone(), next.clone());
            let (book, period, digest) = (book.clone(), period.clone(), a.digest && run == 1);
            workers.spawn(async move {
                let mut done = Vec::new();
                loop {
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    let Some(pl) = platforms.get(i) else {
                        return done;
                    };
                    let t = Instant::now();
                    let result =
                        rexian_report::assess_period(store.as_ref(), pl.id, &book, &period, now)
                            .await
                            .unwrap();
                    let elapsed = t.elapsed();
                    let digest = digest.then(|| json_digest(&result));
                    // Only the figures printed are kept: a big city's assessment holds
                    // millions of record ids.
                    let figures: [(f64, f64); 4] = std::array::from_fn(|k| {
                        let ind = &result.indicators[k];
                        (ind.numerator, ind.denominator)
                    });
                    done.push((i, result.total, figures, elapsed, digest));
                }
            });
        }
        let mut results = Vec::new();
        while let Some(done) = workers.join_next().await {
            results.extend(done.unwrap());
        }
        results.sort_by_key(|r| r.0);
        // Pooled over the province: (numerator, denominator) of indicators 1–4.
        let mut pooled = [(0.0f64, 0.0f64); 4];
        let mut lines = Vec::new();
        let mut digests = Vec::new();
        for (i, total, figures, elapsed, digest) in &results {
            let pl = &platforms[*i];
            for (slot, (n, d)) in pooled.iter_mut().zip(figures) {
                slot.0 += n;
                slot.1 += d;
            }
            lines.push(format!(
                "  {:<11} total {:>6.2}  answer {}/{}  consult {}/{}  callback {}/{}  \
                 rating {}/{}  ({:.0} ms)",
                pl.code,
                total,
                figures[0].0,
                figures[0].1,
                figures[1].0,
                figures[1].1,
                figures[2].0,
                figures[2].1,
                figures[3].0,
                figures[3].1,
                elapsed.as_secs_f64() * 1e3
            ));
            if let Some(d) = digest {
                digests.push(format!("  {:<11} json {d}", pl.code));
            }
        }
        let elapsed = started.elapsed();
        times.push(elapsed);
        if run == 1 {
            for l in lines.iter().chain(&digests) {
                println!("{l}");
            }
            let pct = |(n, d): (f64, f64)| if d > 0.0 { n * 100.0 / d } else { 0.0 };
            println!(
                "province 全省: answer rate 接通率 {:.2}%, first-contact resolution 一次性解决率 \
                 {:.2}%, callback timeliness 回访及时率 {:.2}%, satisfaction 满意率 {:.2}%",
                pct(pooled[0]),
                pct(pooled[1]),
                pct(pooled[2]),
                pct(pooled[3])
            );
        }
        println!(
            "run {run}: scored 2026 for {} sub-platforms, {} at a time, in {:.2} s; \
             peak memory (VmHWM) {:.0} MiB",
            platforms.len(),
            a.jobs,
            elapsed.as_secs_f64(),
            max_rss_mib()
        );
    }
    times.sort();
    println!(
        "province year on {:?}: best {:.2} s, median {:.2} s over {} run(s); peak memory {:.0} MiB",
        store.backend(),
        times[0].as_secs_f64(),
        times[times.len() / 2].as_secs_f64(),
        times.len(),
        max_rss_mib()
    );
}

/// `--digest`: the FNV-1a hash of an assessment's whole JSON (every record id included)
/// and its length, to check that a change leaves the output identical.
fn json_digest(a: &rexian_assessment::Assessment) -> String {
    struct Fnv(u64, u64);
    impl std::io::Write for Fnv {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            for b in buf {
                self.0 = (self.0 ^ u64::from(*b)).wrapping_mul(0x0100_0000_01b3);
            }
            self.1 += buf.len() as u64;
            Ok(buf.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }
    let mut h = Fnv(0xcbf2_9ce4_8422_2325, 0);
    serde_json::to_writer(&mut h, a).expect("an assessment serializes");
    format!("{:016x} ({} bytes)", h.0, h.1)
}

/// `--steps`: the time of each read the assessment makes, for the first sub-platform.
async fn steps(s: &dyn Store, p: i64, period: &Period, now: DateTime<Utc>) {
    let (from, to) = (period.start_utc(), period.end_utc());
    let c0 = cpu_seconds();
    let t = Instant::now();
    let groups = s.call_groups(p, from, to, 10.0).await.unwrap();
    let ids: usize = groups.iter().map(|g| g.ids.len()).sum();
    println!(
        "call_groups: {} groups, {ids} ids in {:?}, CPU {:.2} s",
        groups.len(),
        t.elapsed(),
        cpu_seconds() - c0
    );
    drop(groups);
    let c0 = cpu_seconds();
    let t = Instant::now();
    let o = s.order_facts(p, "consultation", from, to).await.unwrap();
    println!(
        "order_facts: {} in {:?}, CPU {:.2} s",
        o.len(),
        t.elapsed(),
        cpu_seconds() - c0
    );
    let c0 = cpu_seconds();
    let t = Instant::now();
    let d = s
        .callback_deadline_events(p, from - Duration::days(3), now + Duration::days(1))
        .await
        .unwrap();
    println!(
        "callback_deadline_events: {} in {:?}, CPU {:.2} s",
        d.len(),
        t.elapsed(),
        cpu_seconds() - c0
    );
    let t = Instant::now();
    let c = s.callback_list(p, None, 100_000).await.unwrap();
    println!("callback_list: {} in {:?}", c.len(), t.elapsed());
    let t = Instant::now();
    let st = s.staff_records(p).await.unwrap();
    let cm = s.complaints(p).await.unwrap();
    let f = s.faults(p).await.unwrap();
    let e = s.emergencies(p).await.unwrap();
    let pr = s.praise_list(p).await.unwrap();
    println!(
        "operations: {} staff, {} complaints, {} faults, {} emergencies, {} praise in {:?}",
        st.len(),
        cm.len(),
        f.len(),
        e.len(),
        pr.len(),
        t.elapsed()
    );
}
