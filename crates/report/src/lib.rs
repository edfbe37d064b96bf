//! The assessment (平台考核) read from storage: stored calls, work orders and operations
//! records turned into the nine indicators' inputs ([`assessment_input`]), scored with the
//! rules in force ([`assess_period`]), opened record by record ([`drill_down`]) and
//! projected to the end of the current month ([`live`]).
//!
//! Record ids are `kind:id` strings ([`RecordId`], which keeps them compact and serializes
//! them as the text): `call:123`, `order:BS202610010001`, `complaint:7`, `staff:3`,
//! `fault:2`, `emergency:1`, `praise:4`. Every id an indicator counts can be
//! opened with [`drill_down`], which describes each record in one line (callers masked).
//!
//! Invariant: the input depends only on stored records, the period and `now`, never on the
//! backend, so SQLite and PostgreSQL give the same JSON for the same records.

use std::collections::{BTreeMap, HashMap};

use chrono::{DateTime, Duration, NaiveDate, NaiveDateTime, Utc};
use rexian_assessment::{
    AnswerRateInput, AssessError, Assessment, AssessmentInput, AttritionInput, Case, CaseLevel,
    Indicator, IndicatorResult, Period, PraiseItem, PraiseKind, Projection, RateInput, RecordId,
    RuleBook, RuleSet,
};
use rexian_domain::Phone;
use rexian_operations::OperationsConfig;
use rexian_operations::attrition::{DepartureStatus, attrition_live};
use rexian_operations::emergency::indicator7;
use rexian_operations::faults::indicator8;
use rexian_operations::quality::{self, ComplaintSource, PraiseDecision};
use rexian_operations::time::DateRange;
use rexian_orders::{OrderState, RequestKind};
use rexian_store::{OpsStoreError, Store, StoreError};
use serde::Serialize;

pub mod document;
pub mod pdf;
pub mod xlsx;

pub use document::{MonthlyReport, monthly_report};

#[derive(Debug, thiserror::Error)]
pub enum ReportError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Ops(#[from] OpsStoreError),
    #[error(transparent)]
    Assess(#[from] AssessError),
    #[error("{0}")]
    Invalid(String),
    /// Writing a report file (xlsx, pdf) failed.
    #[error("rendering the {format} report: {message}")]
    Render {
        format: &'static str,
        message: String,
    },
}

/// When a record happened (Beijing time): a moment, or a day for records kept by date.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(untagged)]
pub enum RecordTime {
    At(NaiveDateTime),
    On(NaiveDate),
}

/// Outcomes of a call that asked for an agent (busy/failed never reached a queue).
const OFFERED: [&str; 5] = [
    "completed",
    "transferred",
    "abandoned",
    "short_abandoned",
    "overflowed",
];
const ANSWERED: [&str; 2] = ["completed", "transferred"];
const GOOD_RATINGS: [&str; 2] = ["satisfied", "basically_satisfied"];

/// The inputs with a one-line description of every record named in them and notes on what
/// was left out.
#[derive(Debug, Clone, Default)]
pub struct Gathered {
    pub input: AssessmentInput,
    pub descriptions: HashMap<RecordId, String>,
    /// Indicator id → notes appended to that indicator's note.
    pub notes: BTreeMap<u8, Vec<String>>,
    /// When each complaint, emergency, fault and praise happened (Beijing time).
    pub times: HashMap<RecordId, RecordTime>,
    /// Whether to describe calls and orders (only the drill-down needs it).
    pub describe: bool,
}

fn ops_rules() -> OperationsConfig {
    OperationsConfig::baisha_default().expect("the embedded operations.toml is valid")
}

fn local(t: DateTime<Utc>) -> String {
    (t + Duration::hours(8))
        .format("%Y-%m-%d %H:%M:%S")
        .to_string()
}

fn beijing(t: DateTime<Utc>) -> RecordTime {
    RecordTime::At((t + Duration::hours(8)).naive_utc())
}

fn masked(caller: &str) -> String {
    Phone::parse(caller).map_or_else(|_| "***".to_owned(), |p| p.masked())
}

/// The nine indicators' inputs for `period` of one sub-platform, from stored records.
pub async fn assessment_input(
    store: &dyn Store,
    platform_id: i64,
    period: &Period,
    rules: &RuleSet,
    now: DateTime<Utc>,
) -> Result<AssessmentInput, ReportError> {
    Ok(gather(store, platform_id, period, rules, now, false)
        .await?
        .input)
}

/// [`assessment_input`] with the notes, and with `describe` a one-line description of
/// every record.
pub async fn gather(
    store: &dyn Store,
    platform_id: i64,
    period: &Period,
    rules: &RuleSet,
    now: DateTime<Utc>,
    describe: bool,
) -> Result<Gathered, ReportError> {
    let mut g = Gathered {
        describe,
        ..Gathered::default()
    };
    calls(store, platform_id, period, rules, &mut g).await?;
    consultations(store, platform_id, period, &mut g).await?;
    callbacks(store, platform_id, period, now, &mut g).await?;
    operations(store, platform_id, period, now, &mut g).await?;
    Ok(g)
}

/// Indicators 1 and 4. Without descriptions the calls come grouped from the database (a
/// month in a few milliseconds); with them, one row per call.
async fn calls(
    store: &dyn Store,
    platform_id: i64,
    period: &Period,
    rules: &RuleSet,
    g: &mut Gathered,
) -> Result<(), ReportError> {
    let short_limit = f64::from(rules.options().short_abandon_seconds);
    let (from, to) = (period.start_utc(), period.end_utc());
    // What the assessment counts of a call, one entry per distinct combination, and the
    // calls as (id, index of their entry): no string is copied per call.
    let mut kinds: Vec<(String, Option<String>, bool)> = Vec::new();
    let mut rows: Vec<(i64, u32)> = Vec::new();
    if g.describe {
        let mut index: HashMap<(String, Option<String>, bool), u32> = HashMap::new();
        for c in store.call_facts(platform_id, from, to).await? {
            g.descriptions.insert(
                RecordId::call(c.id),
                format!(
                    "来电 call {} 队列 queue {} 坐席 agent {} 结果 outcome {} 等待 wait {:.0}s 来电号码 caller {}{}",
                    local(c.arrived_at),
                    c.queue,
                    c.agent.as_deref().unwrap_or("-"),
                    c.outcome,
                    c.wait_seconds,
                    masked(&c.caller),
                    c.satisfaction
                        .as_ref()
                        .map(|s| format!(" 评价 rating {s}"))
                        .unwrap_or_default(),
                ),
            );
            let key = (c.outcome, c.satisfaction, c.wait_seconds < short_limit);
            let k = *index.entry(key.clone()).or_insert_with(|| {
                kinds.push(key);
                (kinds.len() - 1) as u32
            });
            rows.push((c.id, k));
        }
    } else {
        for grp in store
            .call_groups(platform_id, from, to, short_limit)
            .await?
        {
            let k = kinds.len() as u32;
            rows.extend(grp.ids.iter().map(|id| (*id, k)));
            kinds.push((grp.outcome, grp.satisfaction, grp.quick));
        }
    }
    rows.sort_unstable_by_key(|r| r.0);
    // Per entry: (offered, answered, short abandon, rated, rated good).
    let flags: Vec<(bool, bool, bool, bool, bool)> = kinds
        .iter()
        .map(|(outcome, rating, quick)| {
            let offered = OFFERED.contains(&outcome.as_str());
            (
                offered,
                offered && ANSWERED.contains(&outcome.as_str()),
                offered && *quick && matches!(outcome.as_str(), "abandoned" | "short_abandoned"),
                rating.is_some(),
                rating.as_deref().is_some_and(|r| GOOD_RATINGS.contains(&r)),
            )
        })
        .collect();
    // Each list at its final size at once: no growth copies of millions of ids.
    let mut sizes = [0usize; 5];
    for (_, k) in &rows {
        let (offered, answered, short, rated, good) = flags[*k as usize];
        for (size, counts) in sizes.iter_mut().zip([
            offered,
            offered && answered,
            offered && !answered && short,
            rated,
            rated && good,
        ]) {
            *size += usize::from(counts);
        }
    }
    let mut answer = AnswerRateInput {
        offered: Vec::with_capacity(sizes[0]),
        answered: Vec::with_capacity(sizes[1]),
        short_abandons: Vec::with_capacity(sizes[2]),
    };
    let mut satisfaction = RateInput {
        denominator: Vec::with_capacity(sizes[3]),
        numerator: Vec::with_capacity(sizes[4]),
    };
    for (id, k) in rows {
        let (offered, answered, short, rated, good) = flags[k as usize];
        if !offered && !rated {
            continue;
        }
        let id = RecordId::call(id);
        if offered {
            if answered {
                answer.answered.push(id.clone());
            } else if short {
                answer.short_abandons.push(id.clone());
            }
            answer.offered.push(id.clone());
        }
        if rated {
            if good {
                satisfaction.numerator.push(id.clone());
            }
            satisfaction.denominator.push(id);
        }
    }
    g.input.answer_rate = answer;
    g.input.front_desk_satisfaction = satisfaction;
    Ok(())
}

/// Indicator 2: consultations registered in the period.
async fn consultations(
    store: &dyn Store,
    platform_id: i64,
    period: &Period,
    g: &mut Gathered,
) -> Result<(), ReportError> {
    let orders = store
        .order_facts(
            platform_id,
            RequestKind::Consultation.code(),
            period.start_utc(),
            period.end_utc(),
        )
        .await?;
    let mut rate = RateInput::default();
    let (mut invalid, mut merged) = (0u32, 0u32);
    for o in orders {
        let state = OrderState::from_code(&o.state).ok_or_else(|| {
            ReportError::Store(StoreError::Corrupt(format!(
                "order {} has state {:?}",
                o.number, o.state
            )))
        })?;
        match state {
            OrderState::Invalid => invalid += 1,
            OrderState::Merged => merged += 1,
            _ => {
                let id = RecordId::from_fmt(format_args!("order:{}", o.number));
                if state == OrderState::DirectlyResolved {
                    rate.numerator.push(id.clone());
                }
                if g.describe {
                    g.descriptions.insert(
                        id.clone(),
                        describe_order(&o.number, RequestKind::Consultation, state),
                    );
                }
                rate.denominator.push(id);
            }
        }
    }
    if invalid + merged > 0 {
        g.notes.entry(2).or_default().push(format!(
            "未计无效工单{invalid}件、已并单{merged}件 ({invalid} invalid and {merged} merged \
             consultations left out)"
        ));
    }
    g.input.first_contact_resolution = rate;
    Ok(())
}

fn describe_order(number: &str, kind: RequestKind, state: OrderState) -> String {
    format!(
        "工单 order {number} {}/{} 状态 state {}/{}",
        kind.label_zh(),
        kind.code(),
        state.label_zh(),
        state.code()
    )
}

/// Indicator 3: callback deadlines falling in the period and due by `now`.
async fn callbacks(
    store: &dyn Store,
    platform_id: i64,
    period: &Period,
    now: DateTime<Utc>,
    g: &mut Gathered,
) -> Result<(), ReportError> {
    // An on-time callback happens before its deadline (at most a day or so after the
    // reply); a late one or the overdue timer after it. Read from a few days before.
    let from = period.start_utc() - Duration::days(3);
    let to = now.max(period.end_utc()) + Duration::days(1);
    // (order aggregate id, due_at) → (number, met on time)
    let mut deadlines: BTreeMap<(DateTime<Utc>, String), (String, bool)> = BTreeMap::new();
    // The payload's due_at read as the JSON deserializer would (RFC 3339).
    let due = |text: Option<&str>| -> Option<DateTime<Utc>> {
        text.and_then(|t| t.parse::<DateTime<Utc>>().ok())
            .filter(|d| period.contains(*d) && *d <= now)
    };
    // Called-back events first (a deadline met if any of them says so), then the overdue
    // timers of deadlines not seen yet; the database reads the fields out of the payloads.
    for e in store
        .callback_deadline_events(platform_id, from, to)
        .await?
    {
        let Some(due_at) = due(e.due_at.as_deref()) else {
            continue;
        };
        let slot = deadlines
            .entry((due_at, e.aggregate_id))
            .or_insert((e.number.unwrap_or_default(), false));
        if !e.overdue {
            slot.1 |= e.on_time;
        }
    }
    // Passed deadlines whose overdue timer has not run yet.
    for (id, number, due_at) in store
        .pending_callbacks_due(platform_id, period.start_utc(), period.end_utc())
        .await?
    {
        if period.contains(due_at) && due_at <= now {
            deadlines
                .entry((due_at, id.to_string()))
                .or_insert((number, false));
        }
    }
    let mut rate = RateInput::default();
    let mut seen: HashMap<&str, u32> = HashMap::with_capacity(deadlines.len());
    for ((due_at, _), (number, on_time)) in &deadlines {
        let (due_at, on_time) = (*due_at, *on_time);
        let n = seen.entry(number.as_str()).or_default();
        *n += 1;
        let id = if *n == 1 {
            RecordId::from_fmt(format_args!("order:{number}"))
        } else {
            RecordId::from_fmt(format_args!("order:{number}#{n}"))
        };
        rate.denominator.push(id.clone());
        if on_time {
            rate.numerator.push(id.clone());
        }
        if g.describe {
            g.descriptions.insert(
                id,
                format!(
                    "工单 order {number} 回访时限 callback due {} {}",
                    local(due_at),
                    if on_time {
                        "按时回访 called back on time"
                    } else {
                        "超时或未回访 late or not called back"
                    }
                ),
            );
        }
    }
    g.input.callback_timeliness = rate;
    Ok(())
}

fn range(period: &Period) -> Result<DateRange, ReportError> {
    DateRange::new(period.start(), period.end()).map_err(|e| ReportError::Invalid(e.to_string()))
}

/// Indicators 5–9.
async fn operations(
    store: &dyn Store,
    platform_id: i64,
    period: &Period,
    now: DateTime<Utc>,
    g: &mut Gathered,
) -> Result<(), ReportError> {
    let ops = ops_rules();
    let dr = range(period)?;

    // 5: complaints received in the period.
    let mut complaints = store.complaints(platform_id).await?;
    complaints.retain(|c| period.contains(c.received_at));
    complaints.sort_by_key(|c| (c.received_at, c.id.0));
    for c in &complaints {
        let level = if !c.counts() {
            CaseLevel::NotCounted
        } else if c.severity() == quality::ComplaintSeverity::Ordinary {
            CaseLevel::Ordinary
        } else {
            match c.source {
                ComplaintSource::Leader => CaseLevel::LeaderRaised,
                ComplaintSource::Media => CaseLevel::MediaExposed,
                _ => CaseLevel::BadSocialImpact,
            }
        };
        let id = RecordId::from_fmt(format_args!("complaint:{}", c.id.0));
        g.times.insert(id.clone(), beijing(c.received_at));
        g.descriptions.insert(
            id.clone(),
            format!(
                "投诉 complaint {} {} 坐席 staff:{} 核定 verdict {}{} → {}/{}",
                local(c.received_at),
                c.source.label_zh(),
                c.agent.0,
                c.verdict.code(),
                if c.verdict_final { " (final)" } else { "" },
                level.label_zh(),
                level.label_en()
            ),
        );
        g.input.complaints.push(Case { id, level });
    }
    let undecided = complaints.iter().filter(|c| !c.verdict_final).count();
    if undecided > 0 {
        g.notes.entry(5).or_default().push(format!(
            "{undecided}件投诉尚未终审 ({undecided} complaints without a final verdict yet)"
        ));
    }

    // 6: attrition over the half year containing the period's last day, measured to
    // min(period end, now).
    let half = Period::half_year_containing(period.last_day())
        .map_err(|e| ReportError::Invalid(e.to_string()))?;
    let half_range = range(&half)?;
    let staff: Vec<_> = store
        .staff_records(platform_id)
        .await?
        .into_iter()
        .map(|r| r.staff)
        .collect();
    let today = (now + Duration::hours(8)).date_naive();
    let as_of = period.last_day().min(today).max(half.start());
    let report = attrition_live(&staff, half_range, as_of, &ops.attrition)
        .map_err(|e| ReportError::Invalid(e.to_string()))?;
    let last = report.measured.last_day().unwrap_or(half.start());
    let mut att = AttritionInput::default();
    for s in &staff {
        let id = RecordId::from_fmt(format_args!("staff:{}", s.id.0));
        let mut described = false;
        if s.is_certified_on(report.measured.from) {
            att.staff_at_start.push(id.clone());
            described = true;
        }
        if s.employment
            .iter()
            .any(|sp| sp.certified_at(last) && sp.last_day().is_none_or(|l| l > last))
        {
            att.staff_at_end.push(id.clone());
            described = true;
        }
        if described {
            g.descriptions.insert(
                id.clone(),
                format!("人员 staff {} {}", s.name, s.position.label_zh()),
            );
        }
    }
    for d in &report.departures {
        let id = RecordId::from_fmt(format_args!("staff:{}", d.staff_id.0));
        if d.status == DepartureStatus::Counted {
            att.leavers.push(id.clone());
        }
        g.descriptions.insert(
            id,
            format!(
                "人员 staff {} {} 离职 left {} ({}) {}",
                d.name,
                d.position.label_zh(),
                d.last_day,
                d.reason.label_zh(),
                d.status.label_zh()
            ),
        );
    }
    g.notes.entry(6).or_default().push(format!(
        "统计区间 measured {} – {}",
        report.measured.from, last
    ));
    g.input.attrition = att;

    // 7: emergencies known in the period.
    let emergencies = store.emergencies(platform_id).await?;
    let r7 = indicator7(&emergencies, dr, now);
    for (eid, status) in &r7.statuses {
        let id = RecordId::from_fmt(format_args!("emergency:{}", eid.0));
        let level = if r7.counted.contains(eid) {
            CaseLevel::Ordinary
        } else {
            CaseLevel::NotCounted
        };
        if let Some(e) = emergencies.iter().find(|e| e.id == *eid) {
            g.times.insert(id.clone(), beijing(e.known_at));
            g.descriptions.insert(
                id.clone(),
                format!(
                    "应急 emergency {} {} {}",
                    local(e.known_at),
                    e.kind.label_zh(),
                    status.label_zh()
                ),
            );
        }
        g.input.emergencies.push(Case { id, level });
    }
    if !r7.awaiting_judgement.is_empty() {
        g.notes.entry(7).or_default().push(format!(
            "{}起迟报应急待判定后果 ({} late emergencies await judgement)",
            r7.awaiting_judgement.len(),
            r7.awaiting_judgement.len()
        ));
    }

    // 8: faults: breaches whose deadline fell in the period, and faults reported in it.
    let faults = store.faults(platform_id).await?;
    let r8 = indicator8(&faults, dr, now, &ops.faults);
    let mut fault_cases: BTreeMap<i64, CaseLevel> = BTreeMap::new();
    for f in faults.iter().filter(|f| period.contains(f.reported_at)) {
        fault_cases.insert(f.id.0, CaseLevel::NotCounted);
    }
    for b in &r8.waived {
        fault_cases
            .entry(b.fault_id.0)
            .or_insert(CaseLevel::NotCounted);
    }
    for b in &r8.counted {
        fault_cases.insert(b.fault_id.0, CaseLevel::Ordinary);
    }
    for (fid, level) in fault_cases {
        let id = RecordId::from_fmt(format_args!("fault:{fid}"));
        if let Some(f) = faults.iter().find(|f| f.id.0 == fid) {
            g.times.insert(id.clone(), beijing(f.reported_at));
            let waived = r8.waived.iter().any(|b| b.fault_id.0 == fid);
            g.descriptions.insert(
                id.clone(),
                format!(
                    "故障 fault {} {} {}{}",
                    local(f.reported_at),
                    f.severity.label_zh(),
                    f.description,
                    match (level, waived) {
                        (CaseLevel::Ordinary, _) => " 响应超时 late response",
                        (_, true) => " 超时已豁免 late, waived",
                        _ => "",
                    }
                ),
            );
        }
        g.input.faults.push(Case { id, level });
    }

    // 9: praise received in the period.
    let mut praise = store.praise_list(platform_id).await?;
    praise.retain(|p| period.contains_date(p.received_on));
    praise.sort_by_key(|p| (p.received_on, p.id.0));
    for p in praise {
        let id = RecordId::from_fmt(format_args!("praise:{}", p.id.0));
        let kind = match p.kind {
            quality::PraiseKind::Call => PraiseKind::Call,
            quality::PraiseKind::Letter => PraiseKind::Letter,
            quality::PraiseKind::Banner => PraiseKind::Banner,
        };
        let verified = matches!(p.decision, PraiseDecision::Verified { .. });
        g.times.insert(id.clone(), RecordTime::On(p.received_on));
        g.descriptions.insert(
            id.clone(),
            format!(
                "表扬 praise {} {} {}",
                p.received_on,
                p.kind.label_zh(),
                if verified {
                    "已核实 verified"
                } else {
                    "未核实 not verified"
                }
            ),
        );
        g.input.praise.push(PraiseItem { id, kind, verified });
    }
    Ok(())
}

fn append_notes(assessment: &mut Assessment, notes: &BTreeMap<u8, Vec<String>>) {
    for ind in &mut assessment.indicators {
        for n in notes.get(&ind.id).into_iter().flatten() {
            if !ind.note.is_empty() {
                ind.note.push('；');
            }
            ind.note.push_str(n);
        }
    }
}

pub(crate) fn rules_for<'a>(
    book: &'a RuleBook,
    period: &Period,
) -> Result<&'a RuleSet, ReportError> {
    book.select(period).map(|s| s.applied).ok_or_else(|| {
        ReportError::Assess(AssessError::NoRulesInForce {
            date: period.start(),
            first: book
                .versions()
                .first()
                .map_or_else(String::new, |v| v.effective_from().to_string()),
        })
    })
}

/// Scores `period` of one sub-platform with the rules in force on its first day.
pub async fn assess_period(
    store: &dyn Store,
    platform_id: i64,
    book: &RuleBook,
    period: &Period,
    now: DateTime<Utc>,
) -> Result<Assessment, ReportError> {
    Ok(
        assess_gathered(store, platform_id, book, period, now, false)
            .await?
            .0,
    )
}

/// The descriptions and times of the records an assessment names.
#[derive(Debug, Clone, Default)]
pub(crate) struct Described {
    pub descriptions: HashMap<RecordId, String>,
    pub times: HashMap<RecordId, RecordTime>,
}

pub(crate) async fn assess_gathered(
    store: &dyn Store,
    platform_id: i64,
    book: &RuleBook,
    period: &Period,
    now: DateTime<Utc>,
    describe: bool,
) -> Result<(Assessment, Described), ReportError> {
    let rules = rules_for(book, period)?;
    let g = gather(store, platform_id, period, rules, now, describe).await?;
    let mut a = rexian_assessment::assess(book, period, g.input)?;
    append_notes(&mut a, &g.notes);
    Ok((
        a,
        Described {
            descriptions: g.descriptions,
            times: g.times,
        },
    ))
}

/// One record behind an indicator.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RecordLine {
    pub id: RecordId,
    pub description: String,
}

/// An indicator with the records behind its numerator and denominator.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DrillDown {
    pub period: Period,
    pub rules_version: String,
    pub indicator: IndicatorResult,
    pub numerator: Vec<RecordLine>,
    pub denominator: Vec<RecordLine>,
    pub excluded: Vec<RecordLine>,
}

/// The records behind indicator `id` (1–9) for `period`.
pub async fn drill_down(
    store: &dyn Store,
    platform_id: i64,
    book: &RuleBook,
    period: &Period,
    id: u8,
    now: DateTime<Utc>,
) -> Result<DrillDown, ReportError> {
    let Some(ind) = Indicator::from_id(id) else {
        return Err(ReportError::Invalid(format!(
            "id: indicator {id} does not exist (1–9)"
        )));
    };
    let (a, described) = assess_gathered(store, platform_id, book, period, now, true).await?;
    let descriptions = described.descriptions;
    let result = a
        .indicators
        .into_iter()
        .find(|r| r.code == ind)
        .ok_or(AssessError::MissingRule(id))?;
    let lines = |ids: &[RecordId]| -> Vec<RecordLine> {
        ids.iter()
            .map(|i| RecordLine {
                id: i.clone(),
                description: descriptions.get(i).cloned().unwrap_or_default(),
            })
            .collect()
    };
    Ok(DrillDown {
        period: a.period,
        rules_version: a.rules_version,
        numerator: lines(&result.records.numerator),
        denominator: lines(&result.records.denominator),
        excluded: lines(&result.records.excluded),
        indicator: result,
    })
}

/// The current month so far (Beijing time), scored, with the projection to its end.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Live {
    pub so_far: Assessment,
    pub projection: Projection,
}

pub async fn live(
    store: &dyn Store,
    platform_id: i64,
    book: &RuleBook,
    now: DateTime<Utc>,
) -> Result<Live, ReportError> {
    let period = Period::month_containing(now).map_err(|e| ReportError::Invalid(e.to_string()))?;
    let rules = rules_for(book, &period)?;
    let g = gather(store, platform_id, &period, rules, now, false).await?;
    let fraction = period.elapsed_fraction(now).max(1e-6);
    let projection = rexian_assessment::project(rules, &period, &g.input, fraction)?;
    let mut so_far = rexian_assessment::assess(book, &period, g.input)?;
    append_notes(&mut so_far, &g.notes);
    Ok(Live { so_far, projection })
}
