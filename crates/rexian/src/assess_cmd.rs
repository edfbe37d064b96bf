//! `rexian assess`: the assessment (平台考核) of a period from the stored records, as a
//! table (Chinese with English beside), as the JSON, or as the monthly report
//! file (Excel or PDF, see `rexian_report::document`).

use std::path::{Path, PathBuf};

use anyhow::{Context, bail};
use chrono::{NaiveDate, Utc};
use clap::{Args, ValueEnum};
use rexian_assessment::{Assessment, IndicatorKind, Period, RuleBook, RuleSet};
use rexian_store::Store;

#[derive(Args)]
pub struct AssessArgs {
    /// 2026-10, 2026Q4, 2026H2, 2026, or contract:2026-03-15 (the contract year signed then)
    #[arg(long, conflicts_with_all = ["from", "to"], required_unless_present_all = ["from", "to"])]
    period: Option<String>,
    /// First day (yyyy-mm-dd), with --to
    #[arg(long, requires = "to")]
    from: Option<NaiveDate>,
    /// Last day, inclusive (yyyy-mm-dd), with --from
    #[arg(long, requires = "from")]
    to: Option<NaiveDate>,
    /// The sub-platform's code [default: the only one]
    #[arg(long)]
    platform: Option<String>,
    /// A rules file (config/assessment.toml format), one per version; repeat for several
    /// versions [default: the embedded Baisha rules]
    #[arg(long)]
    rules: Vec<PathBuf>,
    #[arg(long, value_enum, default_value_t = Format::Table)]
    format: Format,
    /// With --format xlsx|pdf: the file to write, `-` for stdout (not a terminal)
    /// [default: assessment-<order prefix>-<period>.xlsx|pdf in the current directory]
    #[arg(long)]
    out: Option<PathBuf>,
}

#[derive(Clone, Copy, ValueEnum)]
enum Format {
    Table,
    Json,
    /// The monthly report as an Excel workbook
    Xlsx,
    /// The monthly report as an A4 PDF
    Pdf,
}

/// Reads rule files into a book; an invalid file is an error naming the file and fields.
pub fn load_rules(files: &[PathBuf]) -> anyhow::Result<RuleBook> {
    if files.is_empty() {
        return Ok(RuleBook::baisha_default());
    }
    let mut versions = Vec::new();
    for f in files {
        versions.push(read_rules(f)?);
    }
    RuleBook::new(versions).map_err(|e| anyhow::anyhow!("assessment rules: {e}"))
}

/// The server's rules, from the configuration; an invalid file stops the start.
pub fn install_server_rules(files: &[PathBuf]) -> anyhow::Result<()> {
    let book = load_rules(files).context("configuration: assessment_rules")?;
    rexian_web::api::assessment::set_rules(book);
    Ok(())
}

/// On SIGHUP the server reads its rule files again. Rules that do not load (a missing or
/// contradictory field, a gap in the payment table) are reported with the file and field,
/// and the last good rules stay in force.
#[cfg(unix)]
pub fn reload_rules_on_sighup(files: Vec<PathBuf>) {
    use tokio::signal::unix::{SignalKind, signal};
    let mut hangups = match signal(SignalKind::hangup()) {
        Ok(s) => s,
        Err(e) => {
            tracing::warn!(error = %e, "no SIGHUP handler: assessment rules reload only at start");
            return;
        }
    };
    tokio::spawn(async move {
        while hangups.recv().await.is_some() {
            match load_rules(&files) {
                Ok(book) => {
                    let versions: Vec<&str> = book.versions().iter().map(|v| v.version()).collect();
                    tracing::warn!(?versions, "SIGHUP: assessment rules reloaded");
                    rexian_web::api::assessment::set_rules(book);
                }
                Err(e) => tracing::error!(
                    "SIGHUP: assessment rules NOT reloaded, the last good rules stay in force: {e:#}"
                ),
            }
        }
    });
}

fn read_rules(path: &Path) -> anyhow::Result<RuleSet> {
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("reading the assessment rules {}", path.display()))?;
    RuleSet::from_toml_str(&text)
        .map_err(|e| anyhow::anyhow!("assessment rules {}:\n{e}", path.display()))
}

fn period(args: &AssessArgs) -> anyhow::Result<Period> {
    match (&args.period, args.from, args.to) {
        (Some(p), _, _) => Period::parse(p).map_err(|e| anyhow::anyhow!("--period: {e}")),
        (None, Some(from), Some(to)) => {
            Period::between(from, to).map_err(|e| anyhow::anyhow!("--from/--to: {e}"))
        }
        _ => bail!("give --period, or --from and --to"),
    }
}

pub async fn run(store: &dyn Store, args: AssessArgs) -> anyhow::Result<()> {
    let book = load_rules(&args.rules)?;
    let period = period(&args)?;
    let platform = super::pick_platform(store, args.platform.as_deref()).await?;
    let json = match args.format {
        Format::Xlsx | Format::Pdf => {
            return report_file(store, &platform, &book, &period, &args).await;
        }
        Format::Json => true,
        Format::Table => false,
    };
    if args.out.is_some() {
        bail!("--out goes with --format xlsx or pdf; the table and JSON go to stdout");
    }
    let a = rexian_report::assess_period(store, platform.id, &book, &period, Utc::now())
        .await
        .context("scoring the period")?;
    let text = if json {
        format!("{}\n", serde_json::to_string_pretty(&a)?)
    } else {
        table(&platform.name, &a)
    };
    match std::io::Write::write_all(&mut std::io::stdout().lock(), text.as_bytes()) {
        Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => Err(e.into()),
        _ => Ok(()),
    }
}

/// Writes the monthly report file; progress and the summary go to stderr.
async fn report_file(
    store: &dyn Store,
    platform: &rexian_store::Platform,
    book: &RuleBook,
    period: &Period,
    args: &AssessArgs,
) -> anyhow::Result<()> {
    use std::io::IsTerminal;
    let ext = if matches!(args.format, Format::Xlsx) {
        "xlsx"
    } else {
        "pdf"
    };
    let to_stdout = args.out.as_deref() == Some(Path::new("-"));
    if to_stdout && std::io::stdout().is_terminal() {
        bail!(
            "--out -: refusing to write a binary {ext} file to a terminal; redirect stdout or give a file name"
        );
    }
    let started = std::time::Instant::now();
    eprintln!(
        "scoring {} and the 11 months before it for the trend …",
        period.label()
    );
    let report = rexian_report::monthly_report(store, platform, book, period, Utc::now())
        .await
        .context("building the monthly report")?;
    eprintln!("rendering {ext} …");
    let bytes = match args.format {
        Format::Xlsx => rexian_report::xlsx::to_xlsx(&report)?,
        _ => rexian_report::pdf::to_pdf(&report)?,
    };
    let target = if to_stdout {
        match std::io::Write::write_all(&mut std::io::stdout().lock(), &bytes) {
            Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => return Err(e.into()),
            _ => "stdout".to_owned(),
        }
    } else {
        let path = args.out.clone().unwrap_or_else(|| {
            PathBuf::from(format!(
                "{}.{ext}",
                report.file_stem(&platform.order_prefix)
            ))
        });
        std::fs::write(&path, &bytes).with_context(|| format!("writing {}", path.display()))?;
        path.display().to_string()
    };
    let scored = report.trend.iter().filter(|m| m.scored.is_some()).count();
    let rows: usize = report.lists.iter().map(|l| l.rows.len()).sum();
    eprintln!(
        "wrote {target} ({} bytes) in {:.1?}: {} {} 总分 total {:.2}, 付款比例 payment ratio \
         {:.0}%; trend {scored}/12 months scored; {rows} listed records",
        bytes.len(),
        started.elapsed(),
        platform.name,
        period.label_zh(),
        report.assessment.total,
        report.assessment.payment_ratio * 100.0
    );
    Ok(())
}

/// Display width: CJK characters take two columns.
fn width(s: &str) -> usize {
    s.chars()
        .map(|c| if (c as u32) >= 0x1100 { 2 } else { 1 })
        .sum()
}

fn pad(s: &str, w: usize) -> String {
    format!("{s}{}", " ".repeat(w.saturating_sub(width(s))))
}

fn figure(x: f64) -> String {
    if x.fract() == 0.0 {
        format!("{x:.0}")
    } else {
        format!("{x:.2}")
    }
}

/// The score table: one line per indicator, then the total and the payment ratio.
pub fn table(platform: &str, a: &Assessment) -> String {
    let mut rows: Vec<[String; 7]> = vec![[
        "指标 Indicator".into(),
        "分子/分母 N/D".into(),
        "值 Value".into(),
        "目标 Target".into(),
        "分值 Points".into(),
        "得分 Score".into(),
        "说明 Note".into(),
    ]];
    for i in &a.indicators {
        let rate = matches!(i.kind, IndicatorKind::Rate);
        let pct = |v: f64| format!("{:.2}%", v * 100.0);
        rows.push([
            format!("{}. {} {}", i.id, i.name, i.name_en),
            format!("{}/{}", figure(i.numerator), figure(i.denominator)),
            // Per-case and bonus indicators have no rate: "no data" only when nothing was
            // examined, as in the Excel and PDF reports.
            match i.value {
                Some(v) if rate => pct(v),
                Some(v) => figure(v),
                None if i.no_data => "无数据 no data".into(),
                None => "-".into(),
            },
            i.target.map_or_else(|| "-".into(), pct),
            figure(i.points),
            format!("{:.2}", i.score),
            i.note.clone(),
        ]);
    }
    let widths: Vec<usize> = (0..6)
        .map(|c| rows.iter().map(|r| width(&r[c])).max().unwrap_or(0))
        .collect();
    let mut out = format!(
        "{platform} 考核 assessment {} ({}, {} – {})\n规则版本 rules {} (自 from {})\n\n",
        a.period.label_zh(),
        a.period.label(),
        a.period.start(),
        a.period.last_day(),
        a.rules_version,
        a.rules_effective_from
    );
    for r in &rows {
        let cells: Vec<String> = (0..6).map(|c| pad(&r[c], widths[c])).collect();
        out.push_str(&format!("{}  {}\n", cells.join("  "), r[6]));
    }
    out.push_str(&format!(
        "\n总分 Total: {:.2}\n付款比例 Payment ratio: {:.0}% ({})\n",
        a.total,
        a.payment_ratio * 100.0,
        a.payment_band
    ));
    for n in &a.notes {
        out.push_str(&format!("注 Note: {n}\n"));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use rexian_assessment::{AssessmentInput, Case, CaseLevel, RecordId, assess};

    /// The value column says "no data" only for an indicator with nothing in it, not for a
    /// per-case indicator with cases (which has no rate).
    #[test]
    fn the_table_says_no_data_only_where_there_is_none() {
        let input = AssessmentInput {
            complaints: vec![Case {
                id: RecordId::from("complaint:1"),
                level: CaseLevel::Ordinary,
            }],
            ..AssessmentInput::default()
        };
        let period = Period::parse("2026-10").unwrap();
        let a = assess(&RuleBook::baisha_default(), &period, input).unwrap();
        let out = table("白沙", &a);
        let line = |prefix: &str| {
            out.lines()
                .find(|l| l.starts_with(prefix))
                .unwrap_or_else(|| panic!("no line {prefix} in\n{out}"))
                .to_owned()
        };
        let complaints = line("5. ");
        assert!(complaints.contains("1/1"), "{complaints}");
        assert!(!complaints.contains("无数据"), "{complaints}");
        // No consultations at all: "no data" (and full points by the default rules).
        let consultations = line("2. ");
        assert!(consultations.contains("无数据 no data"), "{consultations}");
    }
}
