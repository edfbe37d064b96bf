//! `rexian report calls` and `rexian import asterisk-queue-log|asterisk-cdr|freeswitch-cdr`.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use anyhow::Context;
use clap::{Subcommand, ValueEnum};
use rexian_acd::{
    AgentId, CallId, CallOutcome as AcdOutcome, CallRecord, FigureFilter, FigureOptions,
    HangupSide as AcdHangup, OfferAttempt, OfferResult, OverflowReason, Priority, QueueId,
    TransferStep, TransferTarget,
};
use rexian_calllog::{
    CallOutcome, HangupSide, ImportItem, ImportOptions, ImportedCall, Importer, RingResult,
    SourceKind, UnmappedPolicy,
};
use rexian_domain::Actor;
use rexian_store::{NewCall, Store};
use serde::Serialize;
use serde_json::json;
use serde_json::value::RawValue;

/// Exit status of an import that skipped lines (the rest was imported).
pub const EXIT_LINES_SKIPPED: u8 = 2;

/// An error that asks for a given exit status, after its message was printed.
#[derive(Debug)]
pub struct ExitWith(pub u8);

impl std::fmt::Display for ExitWith {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "some lines were skipped (exit status {})", self.0)
    }
}

impl std::error::Error for ExitWith {}

#[derive(Clone, Copy, ValueEnum)]
pub enum Format {
    Json,
    Table,
}

#[derive(Subcommand)]
pub enum ReportCommand {
    /// Call figures (话务指标) for a period, each with its definition.
    Calls {
        /// First day (Beijing), e.g. 2026-10-01, or an RFC 3339 instant
        #[arg(long)]
        from: String,
        /// Last day (Beijing, included), e.g. 2026-10-31, or an RFC 3339 instant (excluded)
        #[arg(long)]
        to: String,
        /// The sub-platform's code [default: the only one]
        #[arg(long)]
        platform: Option<String>,
        #[arg(long)]
        queue: Option<String>,
        #[arg(long)]
        agent: Option<String>,
        #[arg(long, value_enum, default_value = "table")]
        format: Format,
    },
}

#[derive(Subcommand)]
pub enum ImportCommand {
    /// An Asterisk queue_log (`epoch|callid|queue|agent|event|data...`).
    AsteriskQueueLog(ImportArgs),
    /// An Asterisk Master.csv (cdr_csv, 16 to 19 columns).
    AsteriskCdr(ImportArgs),
    /// A FreeSWITCH mod_cdr_csv file (default template).
    FreeswitchCdr(ImportArgs),
}

#[derive(clap::Args)]
pub struct ImportArgs {
    /// The log file
    file: PathBuf,
    /// A TOML file mapping the log's queues and agents to the sub-platform's codes
    /// [default: import under the log's own names]
    #[arg(long)]
    mapping: Option<PathBuf>,
    /// The sub-platform's code [default: the only one]
    #[arg(long)]
    platform: Option<String>,
    /// Print progress on stderr every this many lines
    #[arg(long, default_value_t = 100_000)]
    progress_every: u64,
}

pub async fn report(store: &dyn Store, command: ReportCommand) -> anyhow::Result<()> {
    let ReportCommand::Calls {
        from,
        to,
        platform,
        queue,
        agent,
        format,
    } = command;
    let platform = crate::pick_platform(store, platform.as_deref()).await?;
    let bound = |field: &str, text: &str, end: bool| {
        rexian_web::api::calls::parse_bound(field, text, end)
            .map_err(|e| anyhow::anyhow!("--{field}: {}", e.message))
    };
    let filter = FigureFilter {
        from: Some(bound("from", &from, false)?),
        to: Some(bound("to", &to, true)?),
        queue: queue.map(QueueId::new),
        agent: agent.map(AgentId::new),
    };
    let (figures, not_counted) =
        rexian_web::api::calls::call_figures(store, platform.id, &filter, chrono::Utc::now())
            .await?;
    let mut out = String::new();
    match format {
        Format::Json => {
            let mut v = serde_json::to_value(&figures)?;
            if let Some(obj) = v.as_object_mut() {
                obj.insert("platform".into(), json!(platform.code));
                obj.insert("from".into(), json!(filter.from));
                obj.insert("to".into(), json!(filter.to));
                obj.insert("not_counted".into(), json!(not_counted));
            }
            out.push_str(&serde_json::to_string_pretty(&v)?);
            out.push('\n');
        }
        Format::Table => {
            let local = |t: Option<chrono::DateTime<chrono::Utc>>| {
                t.map(rexian_domain::time::format_local).unwrap_or_default()
            };
            let _ = writeln!(
                out,
                "{} 话务指标 Call figures: {} — {} (北京时间, end excluded)",
                platform.name,
                local(filter.from),
                local(filter.to)
            );
            for row in figures.rows(&FigureOptions::default()) {
                let _ = writeln!(
                    out,
                    "{} {}: {}\n    定义 {}\n    Definition: {}",
                    row.label_zh, row.label_en, row.display, row.definition_zh, row.definition_en
                );
            }
            if not_counted > 0 {
                let _ = writeln!(
                    out,
                    "未计入 not counted: {not_counted} imported calls that never reached a queue (busy, failed)"
                );
            }
        }
    }
    // A closed pipe (`| head`) is not an error of the report.
    match std::io::Write::write_all(&mut std::io::stdout().lock(), out.as_bytes()) {
        Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => Err(e.into()),
        _ => Ok(()),
    }
}

fn outcome_of(c: &ImportedCall) -> Option<(AcdOutcome, Option<OverflowReason>)> {
    Some(match c.outcome {
        CallOutcome::Answered => (AcdOutcome::Completed, None),
        CallOutcome::Transferred => (AcdOutcome::Transferred, None),
        CallOutcome::Abandoned | CallOutcome::ExitWithKey | CallOutcome::NotAnswered => {
            (AcdOutcome::Abandoned, None)
        }
        CallOutcome::ShortAbandoned => (AcdOutcome::ShortAbandoned, None),
        CallOutcome::Overflowed => (AcdOutcome::Overflowed, Some(OverflowReason::WaitTooLong)),
        CallOutcome::ExitEmpty => (AcdOutcome::Overflowed, Some(OverflowReason::NoAgents)),
        CallOutcome::Busy | CallOutcome::Failed => return None,
    })
}

/// Where an imported call came from, kept in its stored record.
#[derive(Serialize)]
struct Origin<'a> {
    source: &'static str,
    source_call_id: &'a str,
    first_line: u64,
    last_line: u64,
    pbx_outcome: &'static str,
    disposition: Option<&'a str>,
}

/// An ACD record with its origin, serialized in one pass (no JSON tree per call).
#[derive(Serialize)]
struct Stored<'a> {
    #[serde(flatten)]
    record: &'a CallRecord,
    import: Origin<'a>,
}

#[derive(Serialize)]
struct Unqueued<'a> {
    import: Origin<'a>,
}

fn raw<T: Serialize>(value: &T) -> Box<RawValue> {
    serde_json::value::to_raw_value(value).unwrap_or_else(|_| RawValue::NULL.to_owned())
}

/// The stored form of an imported call: an ACD record (so the figures treat live and
/// imported calls alike) with where it came from in the file. Busy and failed calls never
/// reached a queue: stored with their own outcome and left out of the figures.
pub fn new_call_from_import(c: &ImportedCall) -> NewCall {
    let queue = c
        .queue_code
        .clone()
        .or_else(|| c.queue_name.clone())
        .unwrap_or_else(|| "unknown".into());
    let agent = c.agent_code.clone().or_else(|| c.agent_interface.clone());
    let origin = Origin {
        source: c.source.code(),
        source_call_id: &c.source_call_id,
        first_line: c.first_line_number,
        last_line: c.last_line_number,
        pbx_outcome: c.outcome.code(),
        disposition: c.disposition.as_deref(),
    };
    let mapped = outcome_of(c);
    let (outcome, overflow_reason, record) = match mapped {
        Some((outcome, overflow)) => {
            let answered = outcome.answered();
            let record = CallRecord {
                call_id: CallId(0),
                provincial_call_id: c.source_call_id.clone(),
                caller: c.caller_number.clone().unwrap_or_default(),
                called: c.called_number.clone().unwrap_or_default(),
                queue: QueueId::new(queue.clone()),
                priority: Priority::Normal,
                required_skill: None,
                arrived_at: c.arrived_at,
                widened_at: None,
                offers: c
                    .ring_attempts
                    .iter()
                    .map(|r| {
                        let ring =
                            chrono::Duration::milliseconds(i64::from(r.ring_ms.unwrap_or(0)));
                        OfferAttempt {
                            agent: AgentId::new(
                                r.agent_code
                                    .clone()
                                    .unwrap_or_else(|| r.agent_interface.clone()),
                            ),
                            offered_at: r.at - ring,
                            ended_at: r.at,
                            result: match r.result {
                                RingResult::Answered => OfferResult::Answered,
                                RingResult::Canceled => OfferResult::CallerAbandoned,
                                _ => OfferResult::NoAnswer,
                            },
                        }
                    })
                    .collect(),
                answered_at: c.answered_at.filter(|_| answered),
                agent: agent.clone().filter(|_| answered).map(AgentId::new),
                transfers: match (&c.transfer_target, outcome) {
                    (Some(t), AcdOutcome::Transferred) => vec![TransferStep {
                        at: c.ended_at,
                        target: TransferTarget::Department { number: t.clone() },
                    }],
                    _ => vec![],
                },
                ended_at: c.ended_at,
                ended_by: match c.hangup_side {
                    Some(HangupSide::Caller) => Some(AcdHangup::Caller),
                    Some(HangupSide::Agent) => Some(AcdHangup::Agent),
                    _ => None,
                },
                wrap_up_ended_at: None,
                outcome,
                overflow_reason: overflow,
                wait_seconds: f64::from(c.wait_seconds),
                talk_seconds: f64::from(c.talk_seconds),
                wrap_up_seconds: 0.0,
                satisfaction: None,
            };
            let stored = Stored {
                record: &record,
                import: origin,
            };
            (
                outcome.code().to_owned(),
                overflow.map(|o| o.code().to_owned()),
                raw(&stored),
            )
        }
        None => (
            c.outcome.code().to_owned(),
            None,
            raw(&Unqueued { import: origin }),
        ),
    };
    let answered = matches!(outcome.as_str(), "completed" | "transferred");
    NewCall {
        source: c.source.code().to_owned(),
        dedup_key: c.dedup_key.clone(),
        caller: c.caller_number.clone().unwrap_or_default(),
        called: c.called_number.clone().unwrap_or_default(),
        queue,
        agent: agent.filter(|_| answered),
        arrived_at: c.arrived_at,
        answered_at: c.answered_at.filter(|_| answered),
        ended_at: c.ended_at,
        wait_seconds: f64::from(c.wait_seconds),
        talk_seconds: f64::from(c.talk_seconds),
        wrap_up_seconds: 0.0,
        outcome,
        overflow_reason,
        satisfaction: None,
        record,
    }
}

const BATCH: usize = 5000;
const LISTED_LINES: usize = 5;

pub async fn import(
    store: Arc<dyn Store>,
    command: ImportCommand,
    actor: &Actor,
) -> anyhow::Result<()> {
    let (source, args) = match command {
        ImportCommand::AsteriskQueueLog(a) => (SourceKind::AsteriskQueueLog, a),
        ImportCommand::AsteriskCdr(a) => (SourceKind::AsteriskCdr, a),
        ImportCommand::FreeswitchCdr(a) => (SourceKind::FreeswitchCdr, a),
    };
    let options = match &args.mapping {
        Some(path) => {
            let text = std::fs::read_to_string(path)
                .with_context(|| format!("reading the mapping file {}", path.display()))?;
            ImportOptions::from_toml(&text)
                .map_err(|e| anyhow::anyhow!("mapping file {}: {e}", path.display()))?
        }
        None => ImportOptions {
            unmapped: UnmappedPolicy::KeepRaw,
            ..ImportOptions::default()
        },
    };
    let platform = crate::pick_platform(store.as_ref(), args.platform.as_deref()).await?;
    let file = std::fs::File::open(&args.file)
        .with_context(|| format!("opening {}", args.file.display()))?;
    let started = std::time::Instant::now();
    let mut reader = BufReader::with_capacity(1 << 20, file);
    let mut importer = Importer::new(source, options);
    let mut items = Vec::with_capacity(16);
    let mut batch: Vec<NewCall> = Vec::with_capacity(BATCH);
    let mut new_calls = 0u64;
    let mut in_flight: Option<tokio::task::JoinHandle<rexian_store::StoreResult<u64>>> = None;
    let mut stored_calls = 0u64;
    let mut first_lines: BTreeMap<&'static str, (u64, Vec<String>)> = BTreeMap::new();
    let mut buffer = Vec::with_capacity(256);
    let mut line_number = 0u64;
    loop {
        buffer.clear();
        let read = (&mut reader)
            .take(rexian_calllog::MAX_LINE_BYTES as u64 * 2)
            .read_until(b'\n', &mut buffer)
            .with_context(|| format!("reading {}", args.file.display()))?;
        if read == 0 {
            break;
        }
        line_number += 1;
        importer.push_line(line_number, &String::from_utf8_lossy(&buffer), &mut items);
        if buffer.len() >= rexian_calllog::MAX_LINE_BYTES * 2 && buffer.last() != Some(&b'\n') {
            skip_line(&mut reader)?;
        }
        for item in items.drain(..) {
            take_item(item, &mut batch, &mut first_lines);
        }
        if batch.len() >= BATCH {
            stored_calls += batch.len() as u64;
            // Store this batch while the next one is parsed; one batch in flight at most.
            if let Some(previous) = in_flight.take() {
                new_calls += previous.await??;
            }
            let full = std::mem::replace(&mut batch, Vec::with_capacity(BATCH));
            let (store, actor, platform_id) = (store.clone(), actor.clone(), platform.id);
            in_flight = Some(tokio::spawn(async move {
                store
                    .insert_calls(platform_id, &full, &actor, chrono::Utc::now())
                    .await
            }));
        }
        if args.progress_every > 0 && line_number.is_multiple_of(args.progress_every) {
            eprintln!(
                "… {line_number} lines read, {} calls so far ({:.1} s)",
                importer.summary().calls,
                started.elapsed().as_secs_f64()
            );
        }
    }
    if let Some(previous) = in_flight.take() {
        new_calls += previous.await??;
    }
    let summary = importer.finish(&mut items);
    for item in items.drain(..) {
        take_item(item, &mut batch, &mut first_lines);
    }
    if !batch.is_empty() {
        stored_calls += batch.len() as u64;
        new_calls += store
            .insert_calls(platform.id, &batch, actor, chrono::Utc::now())
            .await?;
    }
    print_summary(
        &args.file,
        &platform.code,
        &summary,
        new_calls,
        stored_calls,
        &first_lines,
        started.elapsed(),
    );
    if summary.has_problems() {
        return Err(ExitWith(EXIT_LINES_SKIPPED).into());
    }
    Ok(())
}

fn skip_line<R: BufRead>(reader: &mut R) -> anyhow::Result<()> {
    loop {
        let available = reader.fill_buf()?;
        if available.is_empty() {
            return Ok(());
        }
        if let Some(i) = available.iter().position(|&b| b == b'\n') {
            reader.consume(i + 1);
            return Ok(());
        }
        let n = available.len();
        reader.consume(n);
    }
}

fn take_item(
    item: ImportItem,
    batch: &mut Vec<NewCall>,
    first_lines: &mut BTreeMap<&'static str, (u64, Vec<String>)>,
) {
    match item {
        ImportItem::Call(c) => batch.push(new_call_from_import(&c)),
        ImportItem::LineError(e) => {
            let entry = first_lines
                .entry(e.reason.skip_reason().code())
                .or_insert((0, Vec::new()));
            entry.0 += 1;
            if entry.1.len() < LISTED_LINES {
                entry.1.push(e.to_string());
            }
        }
        // Agent events and incomplete calls are counted in the summary; agent events are
        // not stored yet.
        _ => {}
    }
}

fn print_summary(
    file: &Path,
    platform: &str,
    s: &rexian_calllog::ImportSummary,
    new_calls: u64,
    stored_calls: u64,
    first_lines: &BTreeMap<&'static str, (u64, Vec<String>)>,
    elapsed: std::time::Duration,
) {
    println!(
        "导入 import of {} ({}) into {platform}, {:.1} s",
        file.display(),
        s.source.label_zh(),
        elapsed.as_secs_f64()
    );
    println!("  读取行数 lines read:              {}", s.lines_read);
    println!("  导入话务 calls imported:          {new_calls}");
    println!(
        "  重复跳过 duplicates skipped:      {}",
        stored_calls - new_calls
    );
    println!("  坐席事件 agent events (not stored): {}", s.agent_events);
    println!("  未完成话务 incomplete calls:      {}", s.incomplete_calls);
    println!("  忽略行 lines ignored:             {}", s.lines_ignored);
    println!("  跳过行 lines skipped:             {}", s.lines_skipped);
    println!("  跳过话务 calls skipped:           {}", s.calls_skipped);
    for (reason, (count, lines)) in first_lines {
        println!("    {reason}: {count}");
        for l in lines {
            println!("      {l}");
        }
    }
    if !s.unmapped_queues.is_empty() {
        let names: Vec<_> = s.unmapped_queues.iter().map(String::as_str).collect();
        println!("  未映射队列 unmapped queues: {}", names.join(", "));
    }
    if !s.unmapped_agents.is_empty() {
        let names: Vec<_> = s.unmapped_agents.iter().map(String::as_str).collect();
        println!("  未映射坐席 unmapped agents: {}", names.join(", "));
    }
}
