//! `rexian ops ...`: operations from the command line (issue 5): live attrition, the roster
//! check, CSV and Excel import and export of staff and rosters, night duty, the settlement for
//! a payment ratio or an assessment score.
//! The same rules and the same store methods as the API; changes are recorded with the
//! command-line actor.

use std::path::PathBuf;

use anyhow::{Context, anyhow, bail};
use clap::Subcommand;
use rexian_assessment::{Period, RuleSet};
use rexian_domain::Actor;
use rexian_operations::attrition::{attrition, attrition_live};
use rexian_operations::contract::settlement;
use rexian_operations::ids::UserId;
use rexian_operations::roster::{RosterRule, check};
use rexian_operations::time::{HalfYear, YearMonth, local_date};
use rexian_store::Store;
use rexian_store::operations::OpsCtx;
use rexian_web::api::ops::roster::night_duty_of;
use rexian_web::api::ops::{RULES, csv_io, csv_io::FileFormat, staff::parse_half};
use rexian_web::error::ApiError;

#[derive(Subcommand)]
pub enum OpsCommand {
    /// Half-year staff attrition (indicator 6), live while the half year runs.
    Attrition {
        /// `2026H1` or `2026H2` [default: the current half year]
        #[arg(long)]
        half: Option<String>,
        #[arg(long)]
        platform: Option<String>,
    },
    /// Check a month's roster: uncovered nights and broken rules.
    RosterCheck {
        /// `YYYY-MM` [default: this month]
        #[arg(long)]
        month: Option<String>,
        #[arg(long)]
        platform: Option<String>,
    },
    /// Night-duty allowance counts per person for a month: rostered nights, and those
    /// worked (signed in on a seat for the configured share of the night).
    NightDuty {
        /// `YYYY-MM` [default: this month]
        #[arg(long)]
        month: Option<String>,
        #[arg(long)]
        platform: Option<String>,
    },
    /// Import staff records from a CSV or Excel (.xlsx) file (all rows or none).
    ImportStaff {
        file: PathBuf,
        /// `csv` or `xlsx` [default: by the file's extension, else csv]
        #[arg(long)]
        format: Option<String>,
        #[arg(long)]
        platform: Option<String>,
    },
    /// Import roster entries from a CSV or Excel (.xlsx) file (all rows or none).
    ImportRoster {
        file: PathBuf,
        /// `csv` or `xlsx` [default: by the file's extension, else csv]
        #[arg(long)]
        format: Option<String>,
        #[arg(long)]
        platform: Option<String>,
    },
    /// Export staff records as CSV (UTF-8 with BOM) or Excel; ID card and mobile masked
    /// unless asked.
    ExportStaff {
        /// Write here instead of standard output.
        #[arg(long)]
        out: Option<PathBuf>,
        /// `csv` or `xlsx` [default: by the file's extension, else csv]
        #[arg(long)]
        format: Option<String>,
        /// Include full ID card and mobile numbers.
        #[arg(long)]
        with_personal_data: bool,
        #[arg(long)]
        platform: Option<String>,
    },
    /// Export a month's roster as CSV (UTF-8 with BOM) or Excel.
    ExportRoster {
        /// `YYYY-MM` [default: this month]
        #[arg(long)]
        month: Option<String>,
        #[arg(long)]
        out: Option<PathBuf>,
        /// `csv` or `xlsx` [default: by the file's extension, else csv]
        #[arg(long)]
        format: Option<String>,
        #[arg(long)]
        platform: Option<String>,
    },
    /// The final payment due, under the contract in force: for a payment ratio, for an
    /// assessment total score mapped through the assessment's payment table, or (with only
    /// --period) for the period's assessment computed from the stored records.
    Settlement {
        /// 0 to 1, e.g. 0.95
        #[arg(long, required_unless_present_any = ["score", "period"], conflicts_with = "score")]
        ratio: Option<f64>,
        /// The assessment's total score, e.g. 91.5: the ratio is its payment-table band.
        #[arg(long)]
        score: Option<f64>,
        /// The assessed period (`2026-10`, `2026H2`, `contract:2026-03-15`...): the contract
        /// in force at its end [default: today's contract].
        #[arg(long)]
        period: Option<String>,
        /// An assessment rules file (the config/assessment.toml format) [default: the
        /// built-in Baisha rules].
        #[arg(long)]
        assessment_rules: Option<PathBuf>,
        #[arg(long)]
        platform: Option<String>,
    },
}

/// Loads the configured operations rules file, if any, for the server and the `ops` commands.
pub fn load_rules(path: &str) -> anyhow::Result<()> {
    if path.trim().is_empty() {
        return Ok(());
    }
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("reading the operations rules file {path}"))?;
    let rules = rexian_operations::OperationsConfig::from_toml_str(&text)
        .map_err(|e| anyhow!("operations rules file {path}: {e}"))?;
    if !rexian_web::api::ops::set_rules(rules) {
        bail!("the operations rules were set twice");
    }
    Ok(())
}

fn api(e: ApiError) -> anyhow::Error {
    match e.field {
        Some(f) => anyhow!("{f}: {}", e.message),
        None => anyhow!("{}", e.message),
    }
}

fn today() -> chrono::NaiveDate {
    let now = chrono::Utc::now();
    local_date(now).unwrap_or_else(|| now.date_naive())
}

fn month_or_now(month: Option<&str>) -> anyhow::Result<YearMonth> {
    match month {
        Some(m) => m.parse().map_err(|e| anyhow!("--month: {e}")),
        None => Ok(YearMonth::containing(today())),
    }
}

/// The payment ratio of an assessment total score, and the band's label, from the payment
/// table of the assessment rules (a file, or the built-in Baisha rules) in force for `period`.
fn payment_ratio(
    score: f64,
    rules_file: Option<&PathBuf>,
    period: Option<&Period>,
) -> anyhow::Result<(f64, String)> {
    if !score.is_finite() || score < 0.0 {
        bail!("--score: {score} is not a total score (0 or more)");
    }
    let rules = match rules_file {
        Some(path) => {
            let text = std::fs::read_to_string(path)
                .with_context(|| format!("reading {}", path.display()))?;
            RuleSet::from_toml_str(&text).map_err(|e| anyhow!("{}: {e}", path.display()))?
        }
        None => RuleSet::baisha_default(),
    };
    if let Some(period) = period
        && period.last_day() < rules.effective_from()
    {
        bail!(
            "the assessment rules {} apply from {}, after the period {}",
            rules.version(),
            rules.effective_from(),
            period.label()
        );
    }
    let band = rules
        .payment_table()
        .band_for(score)
        .with_context(|| format!("no payment band covers the score {score}"))?;
    Ok((band.share, band.label_zh()))
}

/// The file format: `--format`, else the file's extension, else CSV.
fn file_format(flag: Option<&str>, path: Option<&PathBuf>) -> anyhow::Result<FileFormat> {
    match flag {
        Some(f) => {
            FileFormat::from_name(f).ok_or_else(|| anyhow!("--format: `{f}` is not csv or xlsx"))
        }
        None => Ok(path
            .and_then(|p| FileFormat::from_path(p))
            .unwrap_or(FileFormat::Csv)),
    }
}

fn write_out(out: Option<PathBuf>, body: &[u8]) -> anyhow::Result<()> {
    match out {
        Some(path) => {
            std::fs::write(&path, body).with_context(|| format!("writing {}", path.display()))
        }
        None => {
            use std::io::Write;
            std::io::stdout().write_all(body)?;
            Ok(())
        }
    }
}

fn read_table(path: &PathBuf, format: FileFormat) -> anyhow::Result<csv_io::Table> {
    let bytes = std::fs::read(path).with_context(|| format!("reading {}", path.display()))?;
    csv_io::read_table(format, &bytes).map_err(|e| anyhow!("{}: {}", path.display(), api(e)))
}

pub async fn run(store: &dyn Store, actor: Actor, cmd: OpsCommand) -> anyhow::Result<()> {
    let platform = |code: &Option<String>| {
        let code = code.clone();
        async move { crate::pick_platform(store, code.as_deref()).await }
    };
    let ctx = |platform_id: i64| OpsCtx {
        platform_id,
        actor: actor.clone(),
        // 0: no login; the event's actor names the command-line user.
        user: UserId(0),
        now: chrono::Utc::now(),
    };
    match cmd {
        OpsCommand::Attrition { half, platform: p } => {
            let p = platform(&p).await?;
            let day = today();
            let half = match half {
                Some(h) => parse_half(&h).map_err(api)?,
                None => HalfYear::containing(day),
            };
            let period = half.range()?;
            if day < period.from {
                bail!("the half year starts on {}, after today", period.from);
            }
            let staff: Vec<_> = store
                .staff_records(p.id)
                .await?
                .into_iter()
                .map(|r| r.staff)
                .collect();
            let r = if period.contains(day) {
                attrition_live(&staff, period, day, &RULES.attrition)?
            } else {
                attrition(&staff, period, &RULES.attrition)?
            };
            println!(
                "{} attrition {}: {} leavers / headcount {} (start {}, end {}) = {}{}",
                p.name,
                r.period,
                r.leavers,
                r.headcount,
                r.headcount_start,
                r.headcount_end,
                r.rate_percent()
                    .map_or("no headcount".to_owned(), |x| format!("{x:.1} %")),
                r.as_of
                    .map_or(String::new(), |d| format!(" (live, as of {d})")),
            );
            for d in &r.departures {
                println!(
                    "  {} {} {} {} {}",
                    d.last_day,
                    d.name,
                    d.position.label_zh(),
                    d.reason.label_zh(),
                    d.status.label_zh()
                );
            }
            Ok(())
        }
        OpsCommand::RosterCheck { month, platform: p } => {
            let p = platform(&p).await?;
            let period = month_or_now(month.as_deref())?.range()?;
            let last = period.last_day().unwrap_or(period.from);
            let from = period
                .from
                .checked_sub_days(chrono::Days::new(7))
                .unwrap_or(period.from);
            let w = store
                .roster(p.id, from, last.succ_opt().unwrap_or(last))
                .await?;
            let staff: Vec<_> = store
                .staff_records(p.id)
                .await?
                .into_iter()
                .map(|r| r.staff)
                .collect();
            let findings = check(
                &w.roster,
                &RULES.roster.shifts,
                &RULES.roster.rules,
                &staff,
                period,
            )?;
            let uncovered = findings
                .iter()
                .filter(|f| f.rule == RosterRule::NightUncovered)
                .count();
            println!(
                "{} roster {period}: {} findings, {uncovered} nights uncovered",
                p.name,
                findings.len()
            );
            for f in &findings {
                println!(
                    "  {} {} {} {}{}",
                    f.date,
                    f.severity.label_zh(),
                    f.rule.label_zh(),
                    f.detail,
                    f.staff_id
                        .map_or(String::new(), |s| format!(" (staff {s})"))
                );
            }
            Ok(())
        }
        OpsCommand::NightDuty { month, platform: p } => {
            let p = platform(&p).await?;
            let month = month_or_now(month.as_deref())?;
            let view = night_duty_of(store, p.id, month, chrono::Utc::now())
                .await
                .map_err(api)?;
            let people = store.staff_records(p.id).await?;
            let total: u32 = view.allowances.iter().map(|a| a.worked_nights).sum();
            println!(
                "{} night duty {}: {total} allowance nights",
                p.name, view.month
            );
            for a in &view.allowances {
                let person = people.iter().find(|r| r.staff.id == a.staff_id);
                let missed: String = a
                    .nights
                    .iter()
                    .filter(|n| !n.worked)
                    .map(|n| format!(" {} ({} min signed in)", n.date, n.signed_in_minutes))
                    .collect();
                println!(
                    "  {} {}: {} worked of {} rostered{}",
                    person.map_or("?", |r| r.code.as_str()),
                    person.map_or("?", |r| r.staff.name.as_str()),
                    a.worked_nights,
                    a.rostered_nights,
                    if missed.is_empty() {
                        String::new()
                    } else {
                        format!("; not worked:{missed}")
                    }
                );
            }
            Ok(())
        }
        OpsCommand::ImportStaff {
            file,
            format,
            platform: p,
        } => {
            let p = platform(&p).await?;
            let table = read_table(&file, file_format(format.as_deref(), Some(&file))?)?;
            let (rows, lines) = csv_io::parse_staff(&table).map_err(api)?;
            let stored = store
                .import_staff(&ctx(p.id), &rows)
                .await
                .map_err(|(i, e)| anyhow!("row {}: {e}", lines.get(i).copied().unwrap_or(0)))?;
            println!("imported {} staff records into {}", stored.len(), p.name);
            Ok(())
        }
        OpsCommand::ImportRoster {
            file,
            format,
            platform: p,
        } => {
            let p = platform(&p).await?;
            let table = read_table(&file, file_format(format.as_deref(), Some(&file))?)?;
            let people = store.staff_records(p.id).await?;
            let entries = csv_io::parse_roster(&table, &people).map_err(api)?;
            let added = store
                .add_roster_entries(&ctx(p.id), &entries, &RULES.roster.shifts)
                .await?;
            println!("imported {} roster entries into {}", added.len(), p.name);
            Ok(())
        }
        OpsCommand::ExportStaff {
            out,
            with_personal_data,
            format,
            platform: p,
        } => {
            let p = platform(&p).await?;
            let format = file_format(format.as_deref(), out.as_ref())?;
            let records = store.staff_records(p.id).await?;
            let body = csv_io::staff_file(&records, with_personal_data, format).map_err(api)?;
            write_out(out, &body)
        }
        OpsCommand::ExportRoster {
            month,
            out,
            format,
            platform: p,
        } => {
            let p = platform(&p).await?;
            let format = file_format(format.as_deref(), out.as_ref())?;
            let period = month_or_now(month.as_deref())?.range()?;
            let last = period.last_day().unwrap_or(period.from);
            let w = store.roster(p.id, period.from, last).await?;
            let people = store.staff_records(p.id).await?;
            let body = csv_io::roster_file(&w.entries, &people, period, format).map_err(api)?;
            write_out(out, &body)
        }
        OpsCommand::Settlement {
            ratio,
            score,
            period,
            assessment_rules,
            platform: p,
        } => {
            let p = platform(&p).await?;
            let period = period
                .map(|x| Period::parse(&x).map_err(|e| anyhow!("--period: {e}")))
                .transpose()?;
            let (ratio, band) = match (ratio, score) {
                (Some(r), _) => (r, None),
                (None, Some(score)) => {
                    let (ratio, label) =
                        payment_ratio(score, assessment_rules.as_ref(), period.as_ref())?;
                    (ratio, Some(format!("score {score} in band {label}")))
                }
                (None, None) => {
                    let Some(period) = period.as_ref() else {
                        bail!("give --ratio, --score or --period");
                    };
                    let book = match assessment_rules.as_ref() {
                        Some(path) => {
                            let text = std::fs::read_to_string(path)
                                .with_context(|| format!("reading {}", path.display()))?;
                            let rules = RuleSet::from_toml_str(&text)
                                .map_err(|e| anyhow!("{}: {e}", path.display()))?;
                            rexian_assessment::RuleBook::new(vec![rules])
                                .map_err(|e| anyhow!("{}: {e}", path.display()))?
                        }
                        None => rexian_assessment::RuleBook::baisha_default(),
                    };
                    let assessed = rexian_report::assess_period(
                        store,
                        p.id,
                        &book,
                        period,
                        chrono::Utc::now(),
                    )
                    .await
                    .map_err(|e| anyhow!("assessing {}: {e}", period.label()))?;
                    (
                        assessed.payment_ratio,
                        Some(format!(
                            "assessment of {} from the stored records: total {}",
                            period.label(),
                            assessed.total
                        )),
                    )
                }
            };
            let day = period.as_ref().map_or_else(today, Period::last_day);
            let contracts = store.contracts(p.id).await?;
            let c = contracts
                .iter()
                .find(|c| c.record.start <= day && day <= c.record.end)
                .or(contracts.last())
                .with_context(|| format!("{} has no contract recorded", p.name))?;
            if let Some(b) = &band {
                println!("{b} → payment ratio {ratio}");
            }
            let s = settlement(&c.record, ratio)?;
            println!(
                "contract {} ({}–{}): total {} yuan, final payment {} yuan ({} bp); ratio {} → due {} yuan, withheld {} yuan",
                c.id,
                c.record.start,
                c.record.end,
                s.total_amount,
                s.final_payment_base,
                s.final_payment_share_bp,
                s.payment_ratio,
                s.final_payment_due,
                s.withheld
            );
            Ok(())
        }
    }
}
