//! `rexian demo --month 2026-10`: fills an empty database with a realistic simulated month of
//! a county sub-platform (Baisha by default), so a newcomer sees a full report at once.
//!
//! Two halves:
//! - [`plan`] is pure: from the seed, the month, the working-day calendar, the time limits and
//!   the ACD settings it computes everything that happens — the calls (the ACD simulator of
//!   `rexian_acd::sim` driving the real engine, day by day with a daily profile), the work
//!   orders with every lifecycle action (checked with `rexian_orders::apply` while planning),
//!   staff, complaints, emergencies, faults and praise. Same inputs, same plan.
//! - [`write`] stores the plan through the `Store` trait, day by day in time order, with the
//!   records and events the real flows write: calls as the ACD's call records in one
//!   transaction per day, each order action through the same `transition_record` the HTTP
//!   endpoints use (one transaction each, its event with it), the deadline timers as the
//!   server's timer loop fires them, operations records through `OpsStore`.
//!
//! A kill leaves a consistent database (every write is a whole transaction), but a partial
//! month; run the demo again on a fresh database.

use std::collections::BTreeMap;

use anyhow::{Context, bail};
use chrono::{DateTime, Datelike, Duration, NaiveDate, NaiveTime, TimeZone, Utc};
use rexian_acd::model::{AgentId, CallOutcome, Satisfaction as CallSatisfaction};
use rexian_acd::sim::{SimConfig, TimeDistribution, simulate};
use rexian_acd::{AcdConfig, CallRecord};
use rexian_assessment::{Assessment, Period, RuleBook};
use rexian_domain::{Actor, Role};
use rexian_operations::UserId;
use rexian_operations::assets::{AssetKind, LinePurpose};
use rexian_operations::emergency::{Consequences, EmergencyKind};
use rexian_operations::faults::FaultSeverity;
use rexian_operations::quality::{ComplaintSource, PraiseKind, Verdict};
use rexian_operations::staff::{LeaveReason, Position};
use rexian_orders::{
    Action, Actor as OrderActor, Calendar, CallbackOutcome, DepartmentCode, OrderNumber,
    OrderSnapshot, RequestKind, Satisfaction, Source, TimeLimits, apply, register,
};
use rexian_store::operations::{
    ComplaintChange, EmergencyChange, FaultChange, NewAssetRecord, NewComplaint, NewEmergency,
    NewFault, NewPraise, NewStaff, OpsCtx, PraiseChange, StaffChange, StaffDetails,
};
use rexian_store::{NewOrder, NewUser, OrderFilter, PlatformSeed, Store, WorkOrder};

const BEIJING: i64 = 8 * 3600;
/// A password hash no password matches: demo users exist so events name who acted; they
/// cannot sign in.
const NO_SIGN_IN: &str = "!demo-user-no-sign-in";

// ---------------------------------------------------------------------------------------
// A small deterministic generator (SplitMix64), so the plan does not depend on a crate's
// version of its algorithms.

#[derive(Debug, Clone)]
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64, stream: u64) -> Rng {
        let mut r = Rng(seed ^ stream.wrapping_mul(0x9E37_79B9_7F4A_7C15));
        r.next_u64();
        r
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in [0, 1).
    pub fn f(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }

    pub fn chance(&mut self, p: f64) -> bool {
        self.f() < p
    }

    pub fn range(&mut self, lo: f64, hi: f64) -> f64 {
        lo + (hi - lo) * self.f()
    }

    pub fn below(&mut self, n: usize) -> usize {
        (self.next_u64() % n.max(1) as u64) as usize
    }

    pub fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }

    pub fn weighted(&mut self, weights: &[f64]) -> usize {
        let total: f64 = weights.iter().sum();
        let mut x = self.f() * total;
        for (i, w) in weights.iter().enumerate() {
            if x < *w {
                return i;
            }
            x -= w;
        }
        weights.len() - 1
    }

    fn minutes(&mut self, lo: f64, hi: f64) -> Duration {
        Duration::seconds((self.range(lo, hi) * 60.0).round() as i64)
    }
}

// ---------------------------------------------------------------------------------------
// Time helpers (Beijing time).

fn at_local(date: NaiveDate, h: u32, m: u32) -> DateTime<Utc> {
    let naive = date.and_time(NaiveTime::from_hms_opt(h, m, 0).unwrap_or_default());
    Utc.from_utc_datetime(&naive) - Duration::seconds(BEIJING)
}

fn local_date(t: DateTime<Utc>) -> NaiveDate {
    (t + Duration::seconds(BEIJING)).date_naive()
}

fn local_minute(t: DateTime<Utc>) -> u32 {
    let l = (t + Duration::seconds(BEIJING)).time();
    chrono::Timelike::hour(&l) * 60 + chrono::Timelike::minute(&l)
}

/// `t` if a county department works then (working days 08:30–12:00 and 14:30–17:30),
/// else a little after the next opening.
fn office(t: DateTime<Utc>, cal: &Calendar, rng: &mut Rng) -> DateTime<Utc> {
    let m = local_minute(t);
    let d = local_date(t);
    if cal.is_working_day(d) && ((510..720).contains(&m) || (870..1050).contains(&m)) {
        return t;
    }
    let mut day = d;
    let opening = if cal.is_working_day(d) && m < 510 {
        at_local(d, 8, 30)
    } else if cal.is_working_day(d) && (720..870).contains(&m) {
        at_local(d, 14, 30)
    } else {
        loop {
            day = day.succ_opt().unwrap_or(day);
            if cal.is_working_day(day) {
                break at_local(day, 8, 30);
            }
        }
    };
    opening + rng.minutes(2.0, 75.0)
}

/// `t` if the platform's day staff work then (08:00–21:30 every day), else soon after 08:00.
fn platform_day(t: DateTime<Utc>, rng: &mut Rng) -> DateTime<Utc> {
    let m = local_minute(t);
    if (480..1290).contains(&m) {
        return t;
    }
    let d = local_date(t);
    let day = if m >= 1290 {
        d.succ_opt().unwrap_or(d)
    } else {
        d
    };
    at_local(day, 8, 0) + rng.minutes(3.0, 90.0)
}

// ---------------------------------------------------------------------------------------
// The plan.

/// Who does a planned action.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Who {
    /// An agent, by staff code (AG01…).
    Agent(String),
    ShiftLeader,
    /// The handler of a county department, by department code.
    Department(String),
}

impl Who {
    fn order_actor(&self) -> anyhow::Result<OrderActor> {
        Ok(match self {
            Who::Agent(_) => OrderActor::user(Role::Agent),
            Who::ShiftLeader => OrderActor::user(Role::ShiftLeader),
            Who::Department(code) => OrderActor::department_handler(
                DepartmentCode::parse(code)
                    .map_err(|e| anyhow::anyhow!("department code {code:?}: {e}"))?,
            ),
        })
    }
}

/// One lifecycle action of a planned order.
#[derive(Debug, Clone)]
pub struct Step {
    pub at: DateTime<Utc>,
    pub by: Who,
    pub action: Action,
}

/// A work order and everything that happens to it within the month.
#[derive(Debug, Clone)]
pub struct OrderPlan {
    pub registered_at: DateTime<Utc>,
    pub registered_by: String,
    pub kind: RequestKind,
    pub urgent: bool,
    pub source: Source,
    pub title: String,
    pub content: String,
    pub caller_name: String,
    pub caller_phone: String,
    pub town: Option<String>,
    pub call_id: Option<String>,
    pub steps: Vec<Step>,
}

/// A staff member to file (the seeded positions get names and dates).
#[derive(Debug, Clone)]
pub struct StaffPlan {
    pub code: String,
    pub name: String,
    pub position: Position,
    pub start: NaiveDate,
    pub certified_on: Option<NaiveDate>,
}

/// An operations record or change, in time order.
#[derive(Debug, Clone)]
pub enum OpsAction {
    /// An agent leaves (attrition).
    StaffLeaves {
        code: String,
        reason: LeaveReason,
    },
    /// A new agent starts (not yet certified).
    StaffJoins(StaffPlan),
    Complaint {
        key: &'static str,
        agent: String,
        source: ComplaintSource,
        summary: String,
    },
    ComplaintReviewed {
        key: &'static str,
        verdict: Verdict,
        note: String,
    },
    ComplaintFinal {
        key: &'static str,
        note: String,
    },
    Praise {
        key: &'static str,
        kind: PraiseKind,
        agent: Option<String>,
        description: String,
    },
    PraiseVerified {
        key: &'static str,
    },
    PraiseRejected {
        key: &'static str,
        reason: String,
    },
    Emergency {
        key: &'static str,
        kind: EmergencyKind,
        description: String,
        required_change: String,
        due_minutes: i64,
    },
    EmergencyStaffed {
        key: &'static str,
        note: String,
    },
    EmergencyJudged {
        key: &'static str,
        consequences: Consequences,
        note: String,
    },
    Fault {
        key: &'static str,
        severity: FaultSeverity,
        description: String,
    },
    FaultAcknowledged {
        key: &'static str,
    },
    FaultRestored {
        key: &'static str,
    },
}

#[derive(Debug, Clone)]
pub struct OpsItem {
    pub at: DateTime<Utc>,
    pub action: OpsAction,
}

/// Everything the demo writes.
#[derive(Debug, Clone)]
pub struct Plan {
    pub month: Period,
    /// The month's days; calls of each day, ordered by arrival.
    pub days: Vec<(NaiveDate, Vec<CallRecord>)>,
    pub orders: Vec<OrderPlan>,
    pub staff: Vec<StaffPlan>,
    pub ops: Vec<OpsItem>,
}

/// How busy a day is against an ordinary working day: weekends are quieter, a public holiday
/// (a run of three or more days off, e.g. National Day week) quieter still.
pub fn day_factor(cal: &Calendar, date: NaiveDate) -> f64 {
    if cal.is_working_day(date) {
        return 1.0;
    }
    let mut run = 1;
    let mut d = date;
    while let Some(p) = d.pred_opt().filter(|p| !cal.is_working_day(*p)) {
        run += 1;
        d = p;
        if run > 10 {
            break;
        }
    }
    let mut d = date;
    while let Some(n) = d.succ_opt().filter(|n| !cal.is_working_day(*n)) {
        run += 1;
        d = n;
        if run > 20 {
            break;
        }
    }
    if run >= 3 { 0.55 } else { 0.62 }
}

/// Relative arrivals per local hour: busy 08:00–12:00 and 14:30–18:00, quiet at night.
pub const HOURLY_PROFILE: [f64; 24] = [
    2.0, 1.5, 1.0, 1.0, 1.0, 2.0, 4.0, 9.0, 24.0, 30.0, 30.0, 26.0, 14.0, 10.0, 17.0, 27.0, 29.0,
    26.0, 14.0, 9.0, 7.0, 5.0, 4.0, 3.0,
];
/// Offered calls on an ordinary working day (about 9,000 a month with weekends and holidays).
pub const WORKING_DAY_CALLS: f64 = 340.0;
/// Share of answered calls that become a work order.
const ORDER_SHARE: f64 = 0.35;

const SURNAMES: [&str; 12] = [
    "符", "王", "吉", "羊", "黄", "陈", "林", "李", "钟", "邢", "郑", "高",
];
const GIVEN: [&str; 16] = [
    "海燕", "春花", "志强", "文杰", "丽娟", "永康", "美玲", "晓梅", "亚妹", "建国", "小红", "明辉",
    "秀英", "国平", "玉兰", "德胜",
];
const MOBILE_PREFIXES: [&str; 16] = [
    "138", "139", "135", "136", "137", "150", "151", "152", "157", "158", "159", "182", "183",
    "187", "188", "199",
];

fn person_name(rng: &mut Rng) -> String {
    format!("{}{}", rng.pick(&SURNAMES), rng.pick(&GIVEN))
}

fn mobile(rng: &mut Rng) -> String {
    format!(
        "{}{:08}",
        rng.pick(&MOBILE_PREFIXES),
        rng.below(100_000_000)
    )
}

/// What citizens ask about, by kind: (title, content, departments that handle it).
fn matter(
    kind: RequestKind,
    rng: &mut Rng,
) -> (&'static str, &'static str, &'static [&'static str]) {
    const CONSULT: [(&str, &str, &[&str]); 6] = [
        (
            "咨询社保缴费",
            "来电咨询城乡居民养老保险缴费标准和缴费时间。",
            &["renshe"],
        ),
        (
            "咨询医保报销",
            "来电咨询异地就医备案和医保报销比例。",
            &["yibao"],
        ),
        (
            "咨询入学政策",
            "来电咨询子女就近入学需要准备的材料。",
            &["jiaoyu"],
        ),
        (
            "咨询户籍办理",
            "来电咨询户口迁移需要的证明和办理地点。",
            &["gongan"],
        ),
        (
            "咨询农业补贴",
            "来电咨询橡胶种植补贴的申请条件。",
            &["nongye"],
        ),
        (
            "咨询公交线路",
            "来电咨询县城至邦溪镇的班车时间。",
            &["jiaotong"],
        ),
    ];
    const HELP: [(&str, &str, &[&str]); 5] = [
        (
            "小区停水求助",
            "来电反映小区已停水一天，请尽快恢复供水。",
            &["gongshui", "shuiwu"],
        ),
        (
            "村里停电求助",
            "来电反映村里停电，请供电部门尽快抢修。",
            &["gongdian"],
        ),
        (
            "道路积水求助",
            "来电反映雨后道路积水严重，影响出行。",
            &["zhujian", "gov-yacha"],
        ),
        (
            "路灯损坏",
            "来电反映村道路灯损坏多日，夜间出行不便。",
            &["gov-qifang", "gov-bangxi", "zhujian"],
        ),
        (
            "困难救助求助",
            "来电反映家庭生活困难，请求了解临时救助。",
            &["minzheng"],
        ),
    ];
    const COMPLAINT: [(&str, &str, &[&str]); 5] = [
        (
            "工地夜间施工噪音",
            "来电投诉工地夜间施工噪音扰民。",
            &["zhifa", "shengtai"],
        ),
        ("拖欠工资", "来电投诉用人单位拖欠工资三个月。", &["renshe"]),
        (
            "商家缺斤短两",
            "来电投诉农贸市场商家缺斤短两。",
            &["shichang"],
        ),
        (
            "垃圾未及时清运",
            "来电投诉村口垃圾多日未清运。",
            &["zhifa", "gov-daan", "gov-fulong"],
        ),
        ("出租车拒载", "来电投诉出租车拒载并乱收费。", &["jiaotong"]),
    ];
    const REPORT: [(&str, &str, &[&str]); 3] = [
        (
            "举报违法占地建房",
            "来电举报有人在耕地上违法建房。",
            &["ziranziyuan"],
        ),
        (
            "举报销售过期食品",
            "来电举报小卖部销售过期食品。",
            &["shichang"],
        ),
        (
            "举报非法采砂",
            "来电举报河道非法采砂。",
            &["shuiwu", "ziranziyuan"],
        ),
    ];
    const SUGGESTION: [(&str, &str, &[&str]); 3] = [
        (
            "建议增设公交站点",
            "来电建议在县医院附近增设公交站点。",
            &["jiaotong"],
        ),
        (
            "建议增加篮球场",
            "来电建议在乡镇增设公共篮球场。",
            &["gov-yuanmen", "gov-nankai"],
        ),
        (
            "建议延长办事时间",
            "来电建议政务中心周末提供预约服务。",
            &["renshe"],
        ),
    ];
    const PRAISE: [(&str, &str, &[&str]); 2] = [
        (
            "表扬供电抢修及时",
            "来电表扬供电局抢修人员冒雨及时恢复供电。",
            &["gongdian"],
        ),
        (
            "表扬派出所民警",
            "来电表扬派出所民警热心帮助找回走失老人。",
            &["gongan"],
        ),
    ];
    const OTHER: [(&str, &str, &[&str]); 2] = [
        (
            "流浪犬扰民",
            "来电反映村里流浪犬较多，存在安全隐患。",
            &["gov-jinbo", "gov-rongbang", "nongye"],
        ),
        ("反映物业问题", "来电反映小区物业服务不到位。", &["zhujian"]),
    ];
    let list: &[(&str, &str, &[&str])] = match kind {
        RequestKind::Consultation => &CONSULT,
        RequestKind::Help => &HELP,
        RequestKind::Complaint => &COMPLAINT,
        RequestKind::Report => &REPORT,
        RequestKind::Suggestion => &SUGGESTION,
        RequestKind::Praise => &PRAISE,
        _ => &OTHER,
    };
    *rng.pick(list)
}

const TOWNS: [&str; 11] = [
    "yacha", "qifang", "bangxi", "daan", "yuanmen", "nankai", "fulong", "qingsong", "jinbo",
    "rongbang", "xishui",
];

/// The inputs of a plan besides the seed and the month.
pub struct PlanInputs<'a> {
    pub calendar: &'a Calendar,
    pub limits: &'a TimeLimits,
    pub acd: &'a AcdConfig,
    pub seed_staff: &'a [rexian_store::StaffMember],
}

/// Computes the month: pure, no I/O.
pub fn plan(seed: u64, month: &Period, inputs: &PlanInputs<'_>) -> anyhow::Result<Plan> {
    let first = month.start();
    let last = month.last_day();
    let end = month.end_utc();
    let cal = inputs.calendar;

    // Staff: the seeded positions with names, all certified before the half year; one
    // agent leaves mid-month and a new one joins.
    let mut rng = Rng::new(seed, 1);
    let half_start =
        NaiveDate::from_ymd_opt(first.year(), if first.month() > 6 { 7 } else { 1 }, 1)
            .unwrap_or(first);
    let mut staff = Vec::new();
    for (i, s) in inputs.seed_staff.iter().enumerate() {
        let position = Position::from_code(&s.position)
            .with_context(|| format!("seed staff {}: unknown position {:?}", s.code, s.position))?;
        let start = half_start - Duration::days(200 + (i as i64) * 37 + rng.below(60) as i64);
        staff.push(StaffPlan {
            code: s.code.clone(),
            name: person_name(&mut rng),
            position,
            start,
            certified_on: Some(start + Duration::days(30)),
        });
    }
    let agents: Vec<String> = staff
        .iter()
        .filter(|s| s.position == Position::Agent)
        .map(|s| s.code.clone())
        .collect();
    if agents.len() < 4 {
        bail!(
            "the sub-platform's seed has {} agents; the demo needs at least 4",
            agents.len()
        );
    }
    let leaver = agents[agents.len() - 1].clone();
    let leave_day = first + Duration::days(14);

    // Calls, day by day: the ACD simulator with a day team and a night team.
    let mut days = Vec::new();
    let mut orders = Vec::new();
    let mut day = first;
    let mut day_index = 0u64;
    while day <= last {
        let mut drng = Rng::new(seed, 1000 + day_index);
        let factor = day_factor(cal, day) * drng.range(0.92, 1.08);
        let present: Vec<&String> = agents
            .iter()
            .filter(|a| **a != leaver || day <= leave_day)
            .collect();
        // Rotate who works the day and who the night.
        let rot = day_index as usize % present.len();
        let team: Vec<String> = (0..present.len())
            .map(|i| present[(i + rot) % present.len()].clone())
            .collect();
        let day_team = &team[..if factor >= 0.9 { 4 } else { 3 }];
        let night_team = &team[team.len() - 2..];
        let scale = WORKING_DAY_CALLS * factor / HOURLY_PROFILE.iter().sum::<f64>();
        let hourly: [f64; 24] = std::array::from_fn(|h| HOURLY_PROFILE[h] * scale);
        let mut records = Vec::new();
        for (block, (h0, hours, team)) in [
            (0u32, 8u32, night_team),
            (8, 10, day_team),
            (18, 6, night_team),
        ]
        .into_iter()
        .enumerate()
        {
            let cfg = SimConfig {
                seed: seed
                    .wrapping_mul(1_000_003)
                    .wrapping_add(day_index * 3 + block as u64),
                start: at_local(day, h0, 0),
                hours,
                hourly_arrivals: hourly,
                agents: team.len() as u32,
                agent_skills: Vec::new(),
                talk: TimeDistribution::LogNormal {
                    mean_seconds: 170.0,
                    sd_seconds: 110.0,
                },
                patience: Some(TimeDistribution::Exponential { mean_seconds: 65.0 }),
                answer_delay_seconds: 4.0,
                acd: inputs.acd.clone(),
            };
            let out = simulate(&cfg).map_err(|e| anyhow::anyhow!("simulating {day}: {e}"))?;
            for mut r in out.records {
                if let Some(a) = &r.agent {
                    // sim-0001 → the team's first agent, ...
                    let n: usize = a.as_str().trim_start_matches("sim-").parse().unwrap_or(1);
                    r.agent = Some(AgentId::new(team[(n.max(1) - 1) % team.len()].clone()));
                }
                records.push(r);
            }
        }
        records.sort_by_key(|a| (a.arrived_at, a.call_id.0));
        let mut callers: Vec<String> = Vec::with_capacity(records.len());
        for (n, r) in records.iter_mut().enumerate() {
            r.provincial_call_id = format!("DEMO-{}-{:04}", day.format("%Y%m%d"), n + 1);
            // A few callers call again the same day.
            r.caller = if n > 10 && drng.chance(0.04) {
                callers[n - 1 - drng.below(10)].clone()
            } else {
                mobile(&mut drng)
            };
            callers.push(r.caller.clone());
            if r.outcome.answered() && drng.chance(0.62) {
                let x = drng.f();
                r.satisfaction = Some(if x < 0.875 {
                    CallSatisfaction::Satisfied
                } else if x < 0.975 {
                    CallSatisfaction::BasicallySatisfied
                } else {
                    CallSatisfaction::Dissatisfied
                });
            }
        }
        // Orders registered during answered calls.
        let mut orng = Rng::new(seed, 5000 + day_index);
        for r in &records {
            if !r.outcome.answered() || !orng.chance(ORDER_SHARE) {
                continue;
            }
            let agent = r
                .agent
                .as_ref()
                .map_or_else(|| team[0].clone(), |a| a.as_str().to_owned());
            let at = r
                .ended_at
                .max(r.answered_at.unwrap_or(r.ended_at) + Duration::seconds(30));
            orders.push(plan_order(
                &mut orng,
                cal,
                inputs.limits,
                at,
                agent,
                Source::PhoneCall,
                Some(r.caller.clone()),
                Some(r.provincial_call_id.clone()),
            )?);
        }
        // A few from the web and WeChat, registered in the day.
        for _ in 0..(6.0 * factor).round() as usize {
            let at = at_local(day, 8, 30) + orng.minutes(0.0, 600.0);
            let agent = day_team[orng.below(day_team.len())].clone();
            let source = if orng.chance(0.5) {
                Source::Web
            } else {
                Source::WeChat
            };
            orders.push(plan_order(
                &mut orng,
                cal,
                inputs.limits,
                at,
                agent,
                source,
                None,
                None,
            )?);
        }
        days.push((day, records));
        day = day.succ_opt().context("date out of range")?;
        day_index += 1;
    }
    orders.sort_by_key(|o| o.registered_at);
    for o in &mut orders {
        o.steps.retain(|s| s.at < end);
    }

    // Operations of the month.
    let mut ops = Vec::new();
    let mut org = Rng::new(seed, 9);
    let d = |n: i64| first + Duration::days(n);
    let some_agent = |r: &mut Rng| agents[r.below(agents.len() - 1)].clone();
    ops.push(OpsItem {
        at: at_local(leave_day, 17, 30),
        action: OpsAction::StaffLeaves {
            code: leaver.clone(),
            reason: LeaveReason::Resigned,
        },
    });
    ops.push(OpsItem {
        at: at_local(d(18), 9, 0),
        action: OpsAction::StaffJoins(StaffPlan {
            code: "AG11".into(),
            name: person_name(&mut org),
            position: Position::Agent,
            start: d(18),
            certified_on: None,
        }),
    });
    // Complaints: one upheld (bad attitude), one not.
    let c1 = at_local(d(12), 10, 20) + org.minutes(0.0, 60.0);
    ops.push(OpsItem {
        at: c1,
        action: OpsAction::Complaint {
            key: "c1",
            agent: some_agent(&mut org),
            source: ComplaintSource::Caller,
            summary: "市民来电投诉坐席态度生硬、未耐心解答 (caller: the agent was curt)".into(),
        },
    });
    ops.push(OpsItem {
        at: at_local(d(13), 15, 0),
        action: OpsAction::ComplaintReviewed {
            key: "c1",
            verdict: Verdict::Justified,
            note: "调听录音，坐席服务态度不当，投诉成立 (recording confirms it)".into(),
        },
    });
    ops.push(OpsItem {
        at: at_local(d(16), 10, 0),
        action: OpsAction::ComplaintFinal {
            key: "c1",
            note: "县12345办公室核定：有理由投诉 (upheld)".into(),
        },
    });
    ops.push(OpsItem {
        at: at_local(d(21), 16, 5),
        action: OpsAction::Complaint {
            key: "c2",
            agent: some_agent(&mut org),
            source: ComplaintSource::Caller,
            summary: "市民认为工单办理慢，投诉受理坐席 (caller blames the agent for a slow order)"
                .into(),
        },
    });
    ops.push(OpsItem {
        at: at_local(d(22), 11, 0),
        action: OpsAction::ComplaintReviewed {
            key: "c2",
            verdict: Verdict::Unjustified,
            note: "坐席按规范受理，办理进度属承办单位 (the agent followed the rules)".into(),
        },
    });
    ops.push(OpsItem {
        at: at_local(d(24), 9, 40),
        action: OpsAction::ComplaintFinal {
            key: "c2",
            note: "核定：无理由投诉 (not upheld)".into(),
        },
    });
    // Emergencies: the post-holiday surge handled in time, a typhoon handled late.
    ops.push(OpsItem {
        at: at_local(d(8), 8, 5),
        action: OpsAction::Emergency {
            key: "e1",
            kind: EmergencyKind::CallSurge,
            description: "节后首日话务激增 (call surge after the holiday)".into(),
            required_change: "增开2个坐席 (open 2 more seats)".into(),
            due_minutes: 60,
        },
    });
    ops.push(OpsItem {
        at: at_local(d(8), 8, 45),
        action: OpsAction::EmergencyStaffed {
            key: "e1",
            note: "已增开2个坐席 (2 seats opened)".into(),
        },
    });
    ops.push(OpsItem {
        at: at_local(d(19), 6, 30),
        action: OpsAction::Emergency {
            key: "e2",
            kind: EmergencyKind::Typhoon,
            description: "台风红色预警，话务量预计翻倍 (typhoon red alert)".into(),
            required_change: "夜班增至4人并启用应急话术 (4 on the night shift)".into(),
            due_minutes: 120,
        },
    });
    ops.push(OpsItem {
        at: at_local(d(19), 10, 20),
        action: OpsAction::EmergencyStaffed {
            key: "e2",
            note: "人员到岗晚，10:20完成调整 (staff arrived late)".into(),
        },
    });
    ops.push(OpsItem {
        at: at_local(d(20), 15, 0),
        action: OpsAction::EmergencyJudged {
            key: "e2",
            consequences: Consequences::Yes,
            note: "调整不及时，早高峰放弃率升高 (abandons rose in the morning peak)".into(),
        },
    });
    // Faults: a line outage answered in time, a minor fault answered late. Each: when it
    // was reported, then acknowledged and restored so many minutes later.
    let faults = [
        (
            "f1",
            at_local(d(22), 10, 12),
            FaultSeverity::Critical,
            "省12345呼叫中心专线中断 (line to the provincial centre down)",
            18,
            95,
        ),
        (
            "f2",
            at_local(d(26), 19, 40),
            FaultSeverity::Minor,
            "3号坐席耳麦无声 (headset of seat 3 silent)",
            150,
            170,
        ),
    ];
    for (key, at, severity, description, acknowledged, restored) in faults {
        ops.push(OpsItem {
            at,
            action: OpsAction::Fault {
                key,
                severity,
                description: description.into(),
            },
        });
        ops.push(OpsItem {
            at: at + Duration::minutes(acknowledged),
            action: OpsAction::FaultAcknowledged { key },
        });
        ops.push(OpsItem {
            at: at + Duration::minutes(restored),
            action: OpsAction::FaultRestored { key },
        });
    }
    // Praise: calls, a letter, a banner; one not verified.
    let praise: [(&'static str, PraiseKind, i64, bool); 6] = [
        ("p1", PraiseKind::Call, 3, true),
        ("p2", PraiseKind::Call, 9, true),
        ("p3", PraiseKind::Letter, 14, true),
        ("p4", PraiseKind::Call, 20, false),
        ("p5", PraiseKind::Banner, 25, true),
        ("p6", PraiseKind::Call, 28, true),
    ];
    for (key, kind, n, verified) in praise {
        let at = at_local(d(n), 9, 0) + org.minutes(0.0, 480.0);
        ops.push(OpsItem {
            at,
            action: OpsAction::Praise {
                key,
                kind,
                agent: Some(some_agent(&mut org)),
                description: match kind {
                    PraiseKind::Banner => "市民送来锦旗“热心服务 为民解忧” (a banner)".into(),
                    PraiseKind::Letter => "市民来信感谢坐席耐心解答 (a thank-you letter)".into(),
                    _ => "市民来电表扬坐席解答清楚、态度热情 (praise by phone)".into(),
                },
            },
        });
        ops.push(OpsItem {
            at: at + Duration::hours(20),
            action: if verified {
                OpsAction::PraiseVerified { key }
            } else {
                OpsAction::PraiseRejected {
                    key,
                    reason: "无法联系到表扬人核实 (could not reach the caller)".into(),
                }
            },
        });
    }
    ops.retain(|o| o.at < end);
    ops.sort_by_key(|o| o.at);

    Ok(Plan {
        month: month.clone(),
        days,
        orders,
        staff,
        ops,
    })
}

struct Planner<'a> {
    snap: OrderSnapshot,
    steps: Vec<Step>,
    cal: &'a Calendar,
    limits: &'a TimeLimits,
    last: DateTime<Utc>,
}

impl Planner<'_> {
    fn go(&mut self, at: DateTime<Utc>, by: Who, action: Action) -> anyhow::Result<DateTime<Utc>> {
        let at = at.max(self.last + Duration::seconds(1));
        let t = apply(
            &self.snap,
            &action,
            &by.order_actor()?,
            at,
            self.cal,
            self.limits,
        )
        .map_err(|e| anyhow::anyhow!("planning {:?} at {at}: {e}", action.kind()))?;
        self.snap = t.order;
        self.steps.push(Step { at, by, action });
        self.last = at;
        Ok(at)
    }

    fn handle_due(&self) -> Option<DateTime<Utc>> {
        self.snap.deadlines.handle.as_ref().map(|d| d.due_at)
    }
}

#[allow(clippy::too_many_arguments)]
fn plan_order(
    rng: &mut Rng,
    cal: &Calendar,
    limits: &TimeLimits,
    at: DateTime<Utc>,
    agent: String,
    source: Source,
    caller: Option<String>,
    call_id: Option<String>,
) -> anyhow::Result<OrderPlan> {
    let kind = [
        RequestKind::Consultation,
        RequestKind::Help,
        RequestKind::Complaint,
        RequestKind::Report,
        RequestKind::Suggestion,
        RequestKind::Praise,
        RequestKind::Other,
    ][rng.weighted(&[50.0, 20.0, 13.0, 4.0, 6.0, 3.0, 4.0])];
    let urgent = kind == RequestKind::Help && rng.chance(0.06);
    let (title, content, departments) = matter(kind, rng);
    let town = rng.chance(0.8).then(|| rng.pick(&TOWNS).to_string());
    let placeholder = OrderNumber::new("X", local_date(at), 1)
        .map_err(|e| anyhow::anyhow!("order number: {e}"))?;
    let registered = register(
        placeholder,
        kind,
        urgent,
        &OrderActor::user(Role::Agent),
        at,
    )
    .map_err(|e| anyhow::anyhow!("planning a registration: {e}"))?;
    let mut p = Planner {
        snap: registered.order,
        steps: Vec::new(),
        cal,
        limits,
        last: at,
    };
    let me = Who::Agent(agent.clone());
    if kind == RequestKind::Consultation && rng.chance(0.73) {
        p.go(
            at + Duration::seconds(rng.below(90) as i64 + 10),
            me,
            Action::ResolveDirectly {
                answer: "已按政策口径当场解答 (answered on the spot)".into(),
            },
        )?;
    } else {
        let t = p.go(
            at + rng.minutes(1.0, 5.0),
            me.clone(),
            Action::SubmitForDispatch,
        )?;
        let mut dept = rng.pick(departments).to_string();
        let t = p.go(
            platform_day(t + rng.minutes(5.0, 50.0), rng),
            Who::ShiftLeader,
            dispatch(&dept)?,
        )?;
        // Sign for it (a few late), or send it back as not theirs (退单).
        let wants_return = rng.chance(0.015);
        let ask = office(t + rng.minutes(20.0, 240.0), cal, rng);
        // Only within the return window (退单时限) after dispatch.
        let mut t = if wants_return && p.snap.return_until.is_some_and(|u| ask <= u) {
            let t = p.go(
                ask,
                Who::Department(dept.clone()),
                Action::RequestReturn {
                    reason: "不属于本单位职责 (not our responsibility)".into(),
                },
            )?;
            let t = p.go(
                platform_day(t + rng.minutes(20.0, 120.0), rng),
                Who::ShiftLeader,
                Action::ApproveReturn,
            )?;
            dept = ["zhifa", "zhujian", "gov-yacha", "minzheng"]
                .into_iter()
                .find(|d| **d != dept)
                .unwrap_or("zhifa")
                .to_string();
            p.go(
                t + rng.minutes(5.0, 30.0),
                Who::ShiftLeader,
                dispatch(&dept)?,
            )?
        } else {
            t
        };
        let sign_due = p
            .snap
            .deadlines
            .sign
            .as_ref()
            .map_or(t + Duration::hours(8), |d| d.due_at);
        let sign_at = if urgent {
            t + rng.minutes(10.0, 80.0)
        } else if rng.chance(0.03) {
            office(sign_due + rng.minutes(30.0, 300.0), cal, rng)
        } else {
            let a = office(t + rng.minutes(15.0, 300.0), cal, rng);
            if a > sign_due {
                sign_due - rng.minutes(5.0, 60.0)
            } else {
                a
            }
        };
        let me_dept = Who::Department(dept.clone());
        t = p.go(sign_at, me_dept.clone(), Action::Sign)?;
        t = p.go(
            if urgent {
                t + rng.minutes(5.0, 30.0)
            } else {
                office(t + rng.minutes(10.0, 180.0), cal, rng)
            },
            me_dept.clone(),
            Action::Start,
        )?;
        if !urgent && rng.chance(0.025) {
            let ask = office(t + Duration::hours(20) + rng.minutes(0.0, 600.0), cal, rng);
            if p.handle_due().is_some_and(|d| ask < d) {
                t = p.go(
                    ask,
                    me_dept.clone(),
                    Action::RequestExtension {
                        working_days: 5,
                        reason: "需现场勘查并协调多部门 (needs a site visit)".into(),
                    },
                )?;
                t = p.go(
                    platform_day(t + rng.minutes(30.0, 240.0), rng),
                    Who::ShiftLeader,
                    Action::ApproveExtension { working_days: None },
                )?;
            }
        }
        let due = p.handle_due().unwrap_or(t + Duration::days(3));
        let reply_at = if urgent {
            t + rng.minutes(60.0, 600.0)
        } else if rng.chance(0.03) {
            office(due + rng.minutes(60.0, 1800.0), cal, rng)
        } else {
            let span = (due - t).num_seconds().max(3600) as f64;
            let a = office(
                t + Duration::seconds((span * rng.range(0.1, 0.75)) as i64),
                cal,
                rng,
            );
            if a > due {
                due - rng.minutes(10.0, 120.0)
            } else {
                a
            }
        };
        t = p.go(
            reply_at,
            me_dept.clone(),
            Action::Reply {
                content: "已核实处理，情况已向市民说明 (handled and explained)".into(),
            },
        )?;
        let mut round = 0;
        loop {
            round += 1;
            t = p.go(
                platform_day(t + rng.minutes(10.0, 150.0), rng),
                Who::ShiftLeader,
                Action::ApproveReply,
            )?;
            let cb_due = p
                .snap
                .deadlines
                .callback
                .as_ref()
                .map_or(t + Duration::hours(24), |d| d.due_at);
            let cb_at = if rng.chance(0.035) {
                platform_day(cb_due + rng.minutes(30.0, 1200.0), rng)
            } else {
                let a = platform_day(t + rng.minutes(20.0, 900.0), rng);
                if a > cb_due {
                    cb_due - rng.minutes(5.0, 90.0)
                } else {
                    a
                }
            };
            let outcome = if rng.chance(0.02) {
                CallbackOutcome::Unreachable { attempts: 3 }
            } else {
                let x = rng.f();
                let satisfaction = if round > 1 || x < 0.82 {
                    Satisfaction::Satisfied
                } else if x < 0.94 {
                    Satisfaction::BasicallySatisfied
                } else {
                    Satisfaction::Dissatisfied
                };
                CallbackOutcome::Reached {
                    resolved: round > 1 || rng.chance(0.95),
                    satisfaction,
                }
            };
            let caller_agent = Who::Agent(agent.clone());
            t = p.go(cb_at, caller_agent.clone(), Action::Callback { outcome })?;
            if round == 1 && outcome.allows_reopen() && rng.chance(0.4) {
                t = p.go(
                    platform_day(t + rng.minutes(20.0, 180.0), rng),
                    Who::ShiftLeader,
                    Action::Reopen {
                        reason: "市民回访不满意，重新办理 (the caller is not satisfied)".into(),
                    },
                )?;
                t = p.go(
                    office(t + rng.minutes(30.0, 600.0), cal, rng),
                    me_dept.clone(),
                    Action::Start,
                )?;
                let due = p.handle_due().unwrap_or(t + Duration::days(3));
                let span = (due - t).num_seconds().max(3600) as f64;
                let a = office(
                    t + Duration::seconds((span * rng.range(0.1, 0.6)) as i64),
                    cal,
                    rng,
                );
                t = p.go(
                    if a > due {
                        due - Duration::minutes(30)
                    } else {
                        a
                    },
                    me_dept.clone(),
                    Action::Reply {
                        content: "重新核查并落实整改 (checked again and fixed)".into(),
                    },
                )?;
                continue;
            }
            p.go(t + rng.minutes(1.0, 10.0), caller_agent, Action::Close)?;
            break;
        }
    }
    Ok(OrderPlan {
        registered_at: at,
        registered_by: agent,
        kind,
        urgent,
        source,
        title: title.into(),
        content: content.into(),
        caller_name: person_name(rng),
        caller_phone: caller.unwrap_or_else(|| mobile(rng)),
        town,
        call_id,
        steps: p.steps,
    })
}

fn dispatch(dept: &str) -> anyhow::Result<Action> {
    Ok(Action::Dispatch {
        lead_department: DepartmentCode::parse(dept)
            .map_err(|e| anyhow::anyhow!("department code {dept:?}: {e}"))?,
        assisting_departments: Vec::new(),
    })
}

// ---------------------------------------------------------------------------------------
// Writing the plan through the store.

/// `rexian demo`.
#[derive(clap::Args)]
pub struct DemoArgs {
    /// The month to simulate, yyyy-mm (it must have ended)
    #[arg(long)]
    month: String,
    /// The same seed and month give the same records
    #[arg(long, default_value_t = 42)]
    seed: u64,
    /// The sub-platform to fill; `baisha` is seeded first when missing
    #[arg(long, default_value = "baisha")]
    platform_code: String,
}

/// What the demo wrote.
#[derive(Debug, Clone, Default)]
pub struct Summary {
    pub offered: u64,
    pub answered: u64,
    pub abandoned: u64,
    pub short_abandoned: u64,
    pub overflowed: u64,
    pub rated: u64,
    pub orders_by_kind: BTreeMap<&'static str, u64>,
    pub directly_resolved: u64,
    pub dispatched: u64,
    pub callbacks: u64,
    pub reopened: u64,
    pub extensions: u64,
    pub returns: u64,
    pub order_events: u64,
    pub timer_events: u64,
    pub open_at_month_end: u64,
    pub staff: u64,
    pub leavers: u64,
    pub complaints: u64,
    pub emergencies: u64,
    pub faults: u64,
    pub praise: u64,
}

fn parse_month(text: &str) -> anyhow::Result<Period> {
    let bad = || anyhow::anyhow!("--month: {text:?} is not a month like 2026-10");
    let (y, m) = text.split_once('-').ok_or_else(bad)?;
    if y.len() != 4 || m.len() != 2 {
        return Err(bad());
    }
    let (y, m): (i32, u32) = (y.parse().map_err(|_| bad())?, m.parse().map_err(|_| bad())?);
    Period::month(y, m).map_err(|e| anyhow::anyhow!("--month: {e}"))
}

/// The command: plan, write, summarize, score.
pub async fn run(store: &dyn Store, args: DemoArgs, acd: &AcdConfig) -> anyhow::Result<()> {
    let month = parse_month(&args.month)?;
    let now = Utc::now();
    let (platform_id, summary) = fill(
        store,
        &args.platform_code,
        &month,
        args.seed,
        acd,
        now,
        true,
    )
    .await?;
    let a =
        rexian_report::assess_period(store, platform_id, &RuleBook::baisha_default(), &month, now)
            .await
            .context("scoring the month")?;
    print!(
        "{}",
        summary_text(&summary, &a, &args.platform_code, args.seed)
    );
    Ok(())
}

fn summary_text(s: &Summary, a: &Assessment, platform: &str, seed: u64) -> String {
    let mut out = format!(
        "演示数据已生成 demo month {} for {platform} (seed {seed})\n\
         话务 calls: {} offered, {} answered, {} abandoned, {} short abandons, {} overflowed to the province, {} rated\n",
        a.period.label(),
        s.offered,
        s.answered,
        s.abandoned,
        s.short_abandoned,
        s.overflowed,
        s.rated
    );
    let kinds: Vec<String> = s
        .orders_by_kind
        .iter()
        .map(|(k, n)| {
            let label = RequestKind::from_code(k).map_or("", |k| k.label_zh());
            format!("{label} {k} {n}")
        })
        .collect();
    out.push_str(&format!(
        "工单 orders: {} ({})\n  {} resolved at the desk, {} dispatched, {} callbacks, {} reopened, {} extensions, {} returns, {} still open at month end\n  {} order events, {} deadline timer events\n",
        s.orders_by_kind.values().sum::<u64>(),
        kinds.join(", "),
        s.directly_resolved,
        s.dispatched,
        s.callbacks,
        s.reopened,
        s.extensions,
        s.returns,
        s.open_at_month_end,
        s.order_events,
        s.timer_events,
    ));
    out.push_str(&format!(
        "运营 operations: {} staff filed, {} left, {} complaints, {} emergencies, {} faults, {} praise\n",
        s.staff, s.leavers, s.complaints, s.emergencies, s.faults, s.praise
    ));
    out.push_str(&format!(
        "考核 assessment {}: total 总分 {:.2}, payment ratio 付款比例 {:.0}% ({})\n",
        a.period.label(),
        a.total,
        a.payment_ratio * 100.0,
        a.payment_band
    ));
    for i in &a.indicators {
        let value = i
            .value
            .map_or_else(|| "no data".to_owned(), |v| format!("{v:.4}"));
        out.push_str(&format!(
            "  {}. {} {}: {} ({}/{}) score {:.2}\n",
            i.id, i.name, i.name_en, value, i.numerator, i.denominator, i.score
        ));
    }
    out.push_str(&format!(
        "See it: rexian assess --period {} ; rexian serve\n",
        a.period.label()
    ));
    out
}

fn user_actor(u: &rexian_store::User) -> Actor {
    Actor::User {
        id: u.id,
        username: u.username.clone(),
    }
}

/// Plans and writes the month on one sub-platform. Refuses (writing nothing) when the
/// sub-platform has calls or orders already. Returns the platform id.
pub async fn fill(
    store: &dyn Store,
    platform_code: &str,
    month: &Period,
    seed: u64,
    acd: &AcdConfig,
    now: DateTime<Utc>,
    progress: bool,
) -> anyhow::Result<(i64, Summary)> {
    if month.end_utc() > now {
        bail!(
            "--month {}: the month has not ended yet; the demo simulates a past month",
            month.label()
        );
    }
    let setup_at = month.start_utc() - Duration::days(1);
    let cli = Actor::Cli {
        os_user: std::env::var("USER").unwrap_or_else(|_| "unknown".into()),
    };
    let platform = match store.platform_by_code(platform_code).await? {
        Some(p) => p,
        None if platform_code == "baisha" => {
            let p = store
                .seed_platform(&PlatformSeed::baisha(), &cli, setup_at)
                .await?;
            if progress {
                eprintln!("seeded {} ({})", p.name, p.code);
            }
            p
        }
        None => bail!(
            "no sub-platform {platform_code:?}; only baisha is seeded by the demo (rexian seed baisha)"
        ),
    };
    let pid = platform.id;
    let calls = store
        .list_calls(
            pid,
            &rexian_store::CallQuery {
                limit: Some(1),
                ..Default::default()
            },
        )
        .await?;
    let orders = store
        .list_orders(pid, &OrderFilter::default(), now, 1)
        .await?;
    if !calls.is_empty() || !orders.is_empty() {
        bail!(
            "{} ({}) already has {}; the demo fills an empty sub-platform only. Nothing was written. \
             Use a fresh database, e.g. --data-dir /tmp/rexian-demo",
            platform.name,
            platform.code,
            if calls.is_empty() {
                "work orders"
            } else {
                "calls"
            }
        );
    }

    // The plan, from the same calendar and limits the server uses.
    let mut calendar = Calendar::bundled();
    for s in store.list_holiday_schedules(pid).await? {
        let year = s.year;
        calendar = calendar
            .with_schedule(s)
            .map_err(|e| anyhow::anyhow!("the stored holiday schedule of {year}: {e}"))?;
    }
    let limits = rexian_web::api::orders::time_limits();
    let seed_staff = store.list_staff(pid).await?;
    let started = std::time::Instant::now();
    let plan = plan(
        seed,
        month,
        &PlanInputs {
            calendar: &calendar,
            limits,
            acd,
            seed_staff: &seed_staff,
        },
    )?;
    if progress {
        eprintln!(
            "planned {}: {} calls, {} orders in {:.1}s; writing...",
            month.label(),
            plan.days.iter().map(|d| d.1.len()).sum::<usize>(),
            plan.orders.len(),
            started.elapsed().as_secs_f64()
        );
    }
    let summary = write(store, pid, &plan, &calendar, limits, setup_at, progress).await?;
    Ok((pid, summary))
}

struct People {
    users: BTreeMap<String, rexian_store::User>,
    staff_ids: BTreeMap<String, i64>,
    departments: BTreeMap<String, i64>,
}

impl People {
    fn user(&self, key: &str) -> anyhow::Result<&rexian_store::User> {
        self.users
            .get(key)
            .with_context(|| format!("demo user {key} missing"))
    }

    fn who(&self, who: &Who) -> anyhow::Result<&rexian_store::User> {
        match who {
            Who::Agent(code) => self.user(code),
            Who::ShiftLeader => self.user("SL01"),
            Who::Department(code) => self.user(&format!("dept:{code}")),
        }
    }

    fn staff(&self, code: &str) -> anyhow::Result<rexian_operations::StaffId> {
        self.staff_ids
            .get(code)
            .map(|id| rexian_operations::StaffId(*id))
            .with_context(|| format!("staff {code} missing"))
    }

    fn ctx(&self, pid: i64, key: &str, now: DateTime<Utc>) -> anyhow::Result<OpsCtx> {
        let u = self.user(key)?;
        Ok(OpsCtx {
            platform_id: pid,
            actor: user_actor(u),
            user: UserId(u.id),
            now,
        })
    }
}

/// A demo user (no password works), or the one made by an earlier run on this platform.
async fn demo_user(
    store: &dyn Store,
    pid: i64,
    new: NewUser,
    at: DateTime<Utc>,
    cli: &Actor,
) -> anyhow::Result<rexian_store::User> {
    if let Some((u, _)) = store.credentials(&new.username).await? {
        if u.platform_id == pid && u.role == new.role {
            return Ok(u);
        }
        bail!("the username {} is taken by another user", new.username);
    }
    Ok(store.create_user(pid, &new, cli, at).await?)
}

fn demo_account(
    username: String,
    display_name: String,
    role: Role,
    department_id: Option<i64>,
) -> NewUser {
    NewUser {
        username,
        display_name,
        role,
        department_id,
        password_hash: NO_SIGN_IN.into(),
    }
}

async fn people(
    store: &dyn Store,
    pid: i64,
    plan: &Plan,
    setup_at: DateTime<Utc>,
    summary: &mut Summary,
) -> anyhow::Result<People> {
    let cli = Actor::Cli {
        os_user: std::env::var("USER").unwrap_or_else(|_| "unknown".into()),
    };
    let mut p = People {
        users: BTreeMap::new(),
        staff_ids: BTreeMap::new(),
        departments: store
            .list_departments(pid)
            .await?
            .into_iter()
            .map(|d| (d.code, d.id))
            .collect(),
    };
    let mut all_staff = plan.staff.clone();
    for o in &plan.ops {
        if let OpsAction::StaffJoins(s) = &o.action {
            all_staff.push(s.clone());
        }
    }
    for s in &all_staff {
        let u = demo_user(
            store,
            pid,
            demo_account(
                format!("demo.{}", s.code.to_ascii_lowercase()),
                format!("{}（演示）", s.name),
                s.position.role(),
                None,
            ),
            setup_at,
            &cli,
        )
        .await?;
        p.users.insert(s.code.clone(), u);
    }
    let county = demo_user(
        store,
        pid,
        demo_account(
            "demo.county".into(),
            "县12345办公室（演示）".into(),
            Role::CountyOffice,
            None,
        ),
        setup_at,
        &cli,
    )
    .await?;
    p.users.insert("county".into(), county);
    let mut used: std::collections::BTreeSet<String> = std::collections::BTreeSet::new();
    for o in &plan.orders {
        for s in &o.steps {
            if let Who::Department(c) = &s.by {
                used.insert(c.clone());
            }
            if let Action::Dispatch {
                lead_department, ..
            } = &s.action
            {
                used.insert(lead_department.as_str().to_owned());
            }
        }
    }
    for code in used {
        let id = *p
            .departments
            .get(&code)
            .with_context(|| format!("the sub-platform has no department {code:?}"))?;
        let u = demo_user(
            store,
            pid,
            demo_account(
                format!("demo.{code}"),
                format!("{code} 承办人（演示）"),
                Role::DepartmentHandler,
                Some(id),
            ),
            setup_at,
            &cli,
        )
        .await?;
        p.users.insert(format!("dept:{code}"), u);
    }
    // Staff records: the seeded positions, unless filed already.
    for r in store.staff_records(pid).await? {
        p.staff_ids.insert(r.code, r.staff.id.0);
    }
    let ctx = p.ctx(pid, "MG01", setup_at)?;
    for s in &plan.staff {
        if p.staff_ids.contains_key(&s.code) {
            continue;
        }
        let r = store
            .create_staff(&ctx, &new_staff(s, p.user(&s.code)?.id))
            .await
            .with_context(|| format!("filing staff {}", s.code))?;
        p.staff_ids.insert(r.code, r.staff.id.0);
        summary.staff += 1;
    }
    Ok(p)
}

fn new_staff(s: &StaffPlan, user_id: i64) -> NewStaff {
    NewStaff {
        code: s.code.clone(),
        name: s.name.clone(),
        position: s.position,
        start: s.start,
        certified_on: s.certified_on,
        left: None,
        details: StaffDetails {
            user_id: Some(Some(user_id)),
            ..StaffDetails::default()
        },
    }
}

/// One order as written so far.
struct Live {
    order: WorkOrder,
}

/// Fires the order's deadline timers due by `until`, each at its own time, as the server's
/// timer loop does.
async fn fire_timers(
    store: &dyn Store,
    live: &mut Live,
    until: DateTime<Utc>,
    summary: &mut Summary,
) -> anyhow::Result<()> {
    while let Some(at) = live.order.next_timer_at {
        if at > until {
            break;
        }
        let (update, events) = rexian_web::order_timers::timer_record(&live.order, at);
        if events.is_empty() && update.next_timer_at == live.order.next_timer_at {
            break;
        }
        summary.timer_events += events.len() as u64;
        live.order = store
            .update_order(&live.order, &update, &events, at)
            .await?;
    }
    Ok(())
}

async fn write(
    store: &dyn Store,
    pid: i64,
    plan: &Plan,
    cal: &Calendar,
    limits: &TimeLimits,
    setup_at: DateTime<Utc>,
    progress: bool,
) -> anyhow::Result<Summary> {
    let mut summary = Summary::default();
    let people = people(store, pid, plan, setup_at, &mut summary).await?;
    let asset = store
        .create_asset(
            &people.ctx(pid, "MG01", setup_at)?,
            &NewAssetRecord {
                name: "省12345呼叫中心专线 (line to the provincial call centre)".into(),
                kind: AssetKind::LeasedLine {
                    purpose: LinePurpose::ProvincialCallCentre,
                    bandwidth_mbps: 10,
                    provider: "中国电信白沙分公司".into(),
                    circuit_id: "HN-BS-12345-001".into(),
                },
                commissioned_on: NaiveDate::from_ymd_opt(2025, 6, 1).unwrap_or(plan.month.start()),
                location: Some("白沙县政务服务中心机房".into()),
            },
        )
        .await?;

    // Everything that happens to orders, in time order.
    let mut moves: Vec<(DateTime<Utc>, usize, usize)> = Vec::new();
    for (i, o) in plan.orders.iter().enumerate() {
        moves.push((o.registered_at, i, 0));
        for (j, s) in o.steps.iter().enumerate() {
            moves.push((s.at, i, j + 1));
        }
    }
    moves.sort();
    let mut live: Vec<Option<Live>> = (0..plan.orders.len()).map(|_| None).collect();
    let mut ops_ids: BTreeMap<&'static str, i64> = BTreeMap::new();
    let (mut next_move, mut next_op) = (0usize, 0usize);
    let acd_actor = Actor::system("acd");
    let started = std::time::Instant::now();
    for (n, (date, records)) in plan.days.iter().enumerate() {
        let day_end = at_local(*date, 0, 0) + Duration::days(1);
        // The day's finished calls as the ACD recorded them: the ones that got through or
        // were short abandons in one transaction, then each abandoned or overflowed call as
        // the live ACD stores it, feeding the missed-call callback list (漏接回拨; a number
        // that got through later that day needs no callback).
        let (missed, calls): (Vec<rexian_store::NewCall>, Vec<rexian_store::NewCall>) = records
            .iter()
            .map(rexian_web::acd::new_call_from_record)
            .partition(|c| matches!(c.outcome.as_str(), "abandoned" | "overflowed"));
        if !calls.is_empty() {
            store
                .insert_calls(pid, &calls, &acd_actor, day_end - Duration::seconds(1))
                .await
                .with_context(|| format!("storing the calls of {date}"))?;
        }
        for c in &missed {
            store
                .insert_call(pid, c, true, &acd_actor, c.ended_at)
                .await
                .with_context(|| format!("storing a missed call of {date}"))?;
        }
        for r in records {
            match r.outcome {
                CallOutcome::Completed | CallOutcome::Transferred => summary.answered += 1,
                CallOutcome::Abandoned => summary.abandoned += 1,
                CallOutcome::ShortAbandoned => summary.short_abandoned += 1,
                CallOutcome::Overflowed => summary.overflowed += 1,
            }
            summary.offered += 1;
            summary.rated += u64::from(r.satisfaction.is_some());
        }
        // The day's order actions, each in its own transaction with its event.
        while next_move < moves.len() && moves[next_move].0 < day_end {
            let (at, i, j) = moves[next_move];
            next_move += 1;
            let o = &plan.orders[i];
            if j == 0 {
                let user = people.user(&o.registered_by)?;
                let placeholder = OrderNumber::new("X", at.date_naive(), 1)
                    .map_err(|e| anyhow::anyhow!("order number: {e}"))?;
                let registered = register(
                    placeholder,
                    o.kind,
                    o.urgent,
                    &OrderActor::user(Role::Agent),
                    at,
                )
                .map_err(|e| anyhow::anyhow!("registering an order: {e}"))?;
                let new = NewOrder {
                    snapshot: registered.order,
                    confidential: false,
                    leader_flagged: false,
                    source: o.source,
                    category_code: None,
                    title: o.title.clone(),
                    content: o.content.clone(),
                    caller_name: o.caller_name.clone(),
                    caller_phone: o.caller_phone.clone(),
                    town: o.town.clone(),
                    address: None,
                    lat: None,
                    lng: None,
                    call_id: o.call_id.clone(),
                    idempotency_key: None,
                };
                let (order, _) = store.create_order(pid, &new, &user_actor(user), at).await?;
                *summary.orders_by_kind.entry(o.kind.code()).or_default() += 1;
                summary.order_events += 1;
                live[i] = Some(Live { order });
                continue;
            }
            let step = &o.steps[j - 1];
            let Some(l) = live[i].as_mut() else {
                bail!("order {i} acted on before it was registered");
            };
            fire_timers(store, l, at, &mut summary).await?;
            let user = people.who(&step.by)?;
            let lead = match &step.action {
                Action::Dispatch {
                    lead_department, ..
                } => Some(
                    *people
                        .departments
                        .get(lead_department.as_str())
                        .with_context(|| format!("no department {lead_department}"))?,
                ),
                _ => l.order.lead_department_id,
            };
            let t = apply(
                &l.order.snapshot,
                &step.action,
                &step.by.order_actor()?,
                at,
                cal,
                limits,
            )
            .map_err(|e| {
                anyhow::anyhow!(
                    "order {}: {:?} at {at}: {e}",
                    l.order.number,
                    step.action.kind()
                )
            })?;
            let (update, event) = rexian_web::api::orders::transition_record(
                &l.order,
                &step.action,
                t,
                user_actor(user),
                lead,
                at,
            );
            l.order = store.update_order(&l.order, &update, &[event], at).await?;
            summary.order_events += 1;
            match &step.action {
                Action::ResolveDirectly { .. } => summary.directly_resolved += 1,
                Action::Dispatch { .. } => summary.dispatched += 1,
                Action::Callback { .. } => summary.callbacks += 1,
                Action::Reopen { .. } => summary.reopened += 1,
                Action::ApproveExtension { .. } => summary.extensions += 1,
                Action::ApproveReturn => summary.returns += 1,
                _ => {}
            }
        }
        // Deadline timers that came due during the day.
        for l in live.iter_mut().flatten() {
            fire_timers(store, l, day_end, &mut summary).await?;
        }
        // Operations records of the day.
        while next_op < plan.ops.len() && plan.ops[next_op].at < day_end {
            let item = &plan.ops[next_op];
            next_op += 1;
            write_ops(
                store,
                pid,
                &people,
                item,
                asset.id.0,
                &mut ops_ids,
                &mut summary,
            )
            .await?;
        }
        if progress {
            eprintln!(
                "  day {}/{} {date} ({}): {} calls, {} order events so far ({:.1}s)",
                n + 1,
                plan.days.len(),
                date.weekday(),
                records.len(),
                summary.order_events,
                started.elapsed().as_secs_f64()
            );
        }
    }
    summary.open_at_month_end = live
        .iter()
        .flatten()
        .filter(|l| !l.order.state.is_terminal())
        .count() as u64;
    Ok(summary)
}

async fn write_ops(
    store: &dyn Store,
    pid: i64,
    people: &People,
    item: &OpsItem,
    asset_id: i64,
    ids: &mut BTreeMap<&'static str, i64>,
    summary: &mut Summary,
) -> anyhow::Result<()> {
    let at = item.at;
    let id = |ids: &BTreeMap<&'static str, i64>, key: &str| {
        ids.get(key)
            .copied()
            .with_context(|| format!("demo record {key} missing"))
    };
    match &item.action {
        OpsAction::StaffLeaves { code, reason } => {
            let staff = people.staff(code)?;
            store
                .change_staff(
                    &people.ctx(pid, "MG01", at)?,
                    staff.0,
                    &StaffChange::Leave {
                        last_day: local_date(at),
                        reason: *reason,
                        note: Some("个人原因辞职 (left for personal reasons)".into()),
                    },
                )
                .await?;
            summary.leavers += 1;
        }
        OpsAction::StaffJoins(s) => {
            store
                .create_staff(
                    &people.ctx(pid, "MG01", at)?,
                    &new_staff(s, people.user(&s.code)?.id),
                )
                .await?;
            summary.staff += 1;
        }
        OpsAction::Complaint {
            key,
            agent,
            source,
            summary: text,
        } => {
            let c = store
                .receive_complaint(
                    &people.ctx(pid, "SL01", at)?,
                    &NewComplaint {
                        source: *source,
                        received_at: at,
                        agent: people.staff(agent)?,
                        call_id: None,
                        order_id: None,
                        summary: text.clone(),
                        bad_social_impact: false,
                    },
                )
                .await?;
            ids.insert(key, c.id.0);
            summary.complaints += 1;
        }
        OpsAction::ComplaintReviewed { key, verdict, note } => {
            store
                .change_complaint(
                    &people.ctx(pid, "SL01", at)?,
                    id(ids, key)?,
                    &ComplaintChange::Review {
                        verdict: *verdict,
                        bad_social_impact: false,
                        note: note.clone(),
                    },
                )
                .await?;
        }
        OpsAction::ComplaintFinal { key, note } => {
            store
                .change_complaint(
                    &people.ctx(pid, "county", at)?,
                    id(ids, key)?,
                    &ComplaintChange::Finalize {
                        verdict: None,
                        note: note.clone(),
                    },
                )
                .await?;
        }
        OpsAction::Praise {
            key,
            kind,
            agent,
            description,
        } => {
            let agent = match agent {
                Some(a) => Some(people.staff(a)?),
                None => None,
            };
            let p = store
                .receive_praise(
                    &people.ctx(pid, "SL01", at)?,
                    &NewPraise {
                        kind: *kind,
                        received_on: local_date(at),
                        agent,
                        order_id: None,
                        description: description.clone(),
                    },
                )
                .await?;
            ids.insert(key, p.id.0);
            summary.praise += 1;
        }
        OpsAction::PraiseVerified { key } => {
            store
                .change_praise(
                    &people.ctx(pid, "MG01", at)?,
                    id(ids, key)?,
                    &PraiseChange::Verify,
                )
                .await?;
        }
        OpsAction::PraiseRejected { key, reason } => {
            store
                .change_praise(
                    &people.ctx(pid, "MG01", at)?,
                    id(ids, key)?,
                    &PraiseChange::Reject {
                        reason: reason.clone(),
                    },
                )
                .await?;
        }
        OpsAction::Emergency {
            key,
            kind,
            description,
            required_change,
            due_minutes,
        } => {
            let e = store
                .open_emergency(
                    &people.ctx(pid, "SL01", at)?,
                    &NewEmergency {
                        kind: *kind,
                        description: description.clone(),
                        known_at: at,
                        required_change: required_change.clone(),
                        staffing_due_by: at + Duration::minutes(*due_minutes),
                    },
                )
                .await?;
            ids.insert(key, e.id.0);
            summary.emergencies += 1;
        }
        OpsAction::EmergencyStaffed { key, note } => {
            store
                .change_emergency(
                    &people.ctx(pid, "SL01", at)?,
                    id(ids, key)?,
                    &EmergencyChange::StaffingChanged { note: note.clone() },
                )
                .await?;
        }
        OpsAction::EmergencyJudged {
            key,
            consequences,
            note,
        } => {
            store
                .change_emergency(
                    &people.ctx(pid, "county", at)?,
                    id(ids, key)?,
                    &EmergencyChange::Judge {
                        consequences: *consequences,
                        note: note.clone(),
                    },
                )
                .await?;
        }
        OpsAction::Fault {
            key,
            severity,
            description,
        } => {
            let f = store
                .report_fault(
                    &people.ctx(pid, "SL01", at)?,
                    &NewFault {
                        asset_id,
                        severity: *severity,
                        description: description.clone(),
                        reported_at: at,
                    },
                )
                .await?;
            ids.insert(key, f.id.0);
            summary.faults += 1;
        }
        OpsAction::FaultAcknowledged { key } => {
            store
                .change_fault(
                    &people.ctx(pid, "MG01", at)?,
                    id(ids, key)?,
                    &FaultChange::Acknowledge,
                )
                .await?;
        }
        OpsAction::FaultRestored { key } => {
            store
                .change_fault(
                    &people.ctx(pid, "MG01", at)?,
                    id(ids, key)?,
                    &FaultChange::Restore,
                )
                .await?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use rexian_store::testing;

    fn oct() -> Period {
        parse_month("2026-10").unwrap()
    }

    /// Scoring time fixed well after the month, so every deadline of October is due.
    fn now() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 11, 27, 12, 0, 0).unwrap()
    }

    async fn demo_json(store: &dyn Store, seed: u64) -> (String, Summary, Assessment) {
        let (pid, summary) = fill(
            store,
            "baisha",
            &oct(),
            seed,
            &AcdConfig::default(),
            now(),
            false,
        )
        .await
        .unwrap();
        let a =
            rexian_report::assess_period(store, pid, &RuleBook::baisha_default(), &oct(), now())
                .await
                .unwrap();
        (serde_json::to_string_pretty(&a).unwrap(), summary, a)
    }

    fn plan_of(seed: u64) -> Plan {
        let cal = Calendar::bundled();
        let staff = PlatformSeed::baisha().staff;
        plan(
            seed,
            &oct(),
            &PlanInputs {
                calendar: &cal,
                limits: &TimeLimits::bundled(),
                acd: &AcdConfig::default(),
                seed_staff: &staff,
            },
        )
        .unwrap()
    }

    #[test]
    fn month_arguments_are_checked() {
        assert!(parse_month("2026-10").is_ok());
        for bad in ["2026-13", "2026/10", "26-10", "2026-1", "october"] {
            let e = parse_month(bad).unwrap_err().to_string();
            assert!(e.contains("--month"), "{bad}: {e}");
        }
    }

    #[test]
    fn the_plan_is_pure_and_the_seed_matters() {
        let (a, b, c) = (plan_of(42), plan_of(42), plan_of(7));
        let calls = |p: &Plan| -> Vec<String> {
            p.days
                .iter()
                .flat_map(|d| d.1.iter().map(|r| serde_json::to_string(r).unwrap()))
                .collect()
        };
        assert_eq!(calls(&a), calls(&b));
        assert_eq!(format!("{:?}", a.orders), format!("{:?}", b.orders));
        assert_ne!(calls(&a), calls(&c));
        // National Day week is quieter than the working days after it.
        let day = |p: &Plan, d: u32| p.days[d as usize - 1].1.len();
        let holiday: usize = (2..=6).map(|d| day(&a, d)).sum();
        let working: usize = (12..=16).map(|d| day(&a, d)).sum();
        assert!(
            holiday * 10 < working * 8,
            "holiday {holiday} working {working}"
        );
        // Mornings are busier than nights.
        let by_hour = |h0: u32, h1: u32| {
            a.days
                .iter()
                .flat_map(|d| d.1.iter())
                .filter(|r| (h0..h1).contains(&(local_minute(r.arrived_at) / 60)))
                .count()
        };
        assert!(by_hour(9, 11) > 5 * by_hour(1, 3));
    }

    /// The whole command on SQLite: realistic figures, every indicator with data, the same
    /// seed twice gives the same assessment, another seed another one, and a second run on the
    /// same database is refused without writing anything. With REXIAN_TEST_POSTGRES_URL, the
    /// same seed on PostgreSQL gives the same assessment JSON.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_demo_month_is_realistic_reproducible_and_written_once() {
        let db1 = testing::sqlite().await;
        let (json1, s, a) = demo_json(db1.store.as_ref(), 42).await;

        let rate = a.indicators[0].value.unwrap();
        assert!((0.85..=1.0).contains(&rate), "answer rate {rate}");
        let orders: u64 = s.orders_by_kind.values().sum();
        assert!((2400..=3600).contains(&orders), "{orders} orders");
        assert_eq!(s.orders_by_kind.len(), 7, "{:?}", s.orders_by_kind);
        assert!((7000..=11_000).contains(&s.offered), "{} calls", s.offered);
        assert!(s.reopened > 0 && s.extensions > 0 && s.returns > 0, "{s:?}");
        for i in &a.indicators {
            assert!(i.denominator > 0.0, "indicator {} has no data: {i:?}", i.id);
        }
        // At least one justified complaint, one late emergency, one fault breach, praise.
        assert!(a.indicators[4].score < a.indicators[4].points);
        assert!(a.indicators[6].score < a.indicators[6].points);
        assert!(a.indicators[7].score < a.indicators[7].points);
        assert!(a.indicators[8].score > 0.0);
        assert!(a.indicators[5].numerator >= 1.0, "a leaver");

        // Missed calls fed the callback list, except numbers that got through later.
        let p1 = a_platform(db1.store.as_ref()).await;
        let callbacks = db1.store.list_callbacks(p1, false).await.unwrap();
        let missed = s.abandoned + s.overflowed;
        assert!(
            !callbacks.is_empty() && (callbacks.len() as u64) <= missed,
            "{} callbacks for {missed} missed calls",
            callbacks.len()
        );

        let db2 = testing::sqlite().await;
        let (json2, ..) = demo_json(db2.store.as_ref(), 42).await;
        assert_eq!(json1, json2, "same seed, same assessment");

        let err = fill(
            db1.store.as_ref(),
            "baisha",
            &oct(),
            42,
            &AcdConfig::default(),
            now(),
            false,
        )
        .await
        .unwrap_err()
        .to_string();
        assert!(
            err.contains("already has calls") && err.contains("Nothing was written"),
            "{err}"
        );
        let again = rexian_report::assess_period(
            db1.store.as_ref(),
            a_platform(db1.store.as_ref()).await,
            &RuleBook::baisha_default(),
            &oct(),
            now(),
        )
        .await
        .unwrap();
        assert_eq!(serde_json::to_string_pretty(&again).unwrap(), json1);

        let db3 = testing::sqlite().await;
        let (json3, ..) = demo_json(db3.store.as_ref(), 7).await;
        assert_ne!(json1, json3, "another seed, another month");

        if let Some(pg) = testing::postgres().await {
            let (json_pg, ..) = demo_json(pg.store.as_ref(), 42).await;
            assert_eq!(json_pg, json1, "PostgreSQL and SQLite agree");
        }
    }

    async fn a_platform(store: &dyn Store) -> i64 {
        store.platform_by_code("baisha").await.unwrap().unwrap().id
    }

    #[tokio::test]
    async fn a_month_not_over_and_an_unknown_platform_are_refused() {
        let db = testing::sqlite().await;
        let s = db.store.as_ref();
        let early = Utc.with_ymd_and_hms(2026, 10, 20, 0, 0, 0).unwrap();
        let e = fill(s, "baisha", &oct(), 1, &AcdConfig::default(), early, false)
            .await
            .unwrap_err()
            .to_string();
        assert!(e.contains("not ended"), "{e}");
        let e = fill(s, "danzhou", &oct(), 1, &AcdConfig::default(), now(), false)
            .await
            .unwrap_err()
            .to_string();
        assert!(e.contains("danzhou"), "{e}");
        assert!(
            s.list_platforms().await.unwrap().is_empty(),
            "nothing written"
        );
    }
}
