//! `rexian calendar …`: the working-day calendar (State Council holidays and 调休 make-up
//! days, Asia/Shanghai) and deadlines, from the bundled `config/holidays.toml`.

use anyhow::{Context, bail};
use chrono::{DateTime, Datelike, NaiveDate, Utc};
use clap::Subcommand;
use rexian_orders::calendar::to_local_rfc3339;
use rexian_orders::{Calendar, TimeLimit};

#[derive(Subcommand)]
pub enum CalendarCommand {
    /// Print `true` if the date is a working day, else `false`.
    IsWorkingDay {
        /// yyyy-mm-dd
        date: NaiveDate,
    },
    /// Print when a time limit that starts at --from runs out, as RFC 3339 (+08:00). N
    /// working days end at 23:59:59.999 of the Nth working day after the start day.
    Deadline {
        /// The start, RFC 3339, e.g. 2026-09-30T10:00:00+08:00
        #[arg(long)]
        from: String,
        #[arg(long, conflicts_with = "hours", required_unless_present = "hours")]
        working_days: Option<u32>,
        /// A limit in hours instead (counted on the clock, holidays included).
        #[arg(long)]
        hours: Option<u32>,
    },
}

pub fn run(command: &CalendarCommand) -> anyhow::Result<()> {
    let calendar = Calendar::bundled();
    match command {
        CalendarCommand::IsWorkingDay { date } => {
            println!("{}", calendar.is_working_day(*date));
            if !calendar.has_schedule(date.year()) {
                eprintln!(
                    "note: no holiday schedule for {}; weekends only (provisional)",
                    date.format("%Y")
                );
            }
        }
        CalendarCommand::Deadline {
            from,
            working_days,
            hours,
        } => {
            let start: DateTime<Utc> = DateTime::parse_from_rfc3339(from)
                .with_context(|| format!("--from {from:?} is not RFC 3339"))?
                .with_timezone(&Utc);
            let limit = match (working_days, hours) {
                (Some(d), None) => TimeLimit::WorkingDays(*d),
                (None, Some(h)) => TimeLimit::Hours(*h),
                _ => bail!("give --working-days or --hours"),
            };
            let d = calendar.deadline(start, limit)?;
            println!("{}", to_local_rfc3339(d.at));
            if d.provisional {
                println!("provisional: a year counted has no holiday schedule; weekends only");
            }
        }
    }
    Ok(())
}

/// Reads `orders.time_limits_file` (if set) and installs it for the server; an invalid file
/// stops the start with the field named.
pub fn load_time_limits(path: &str) -> anyhow::Result<()> {
    if path.trim().is_empty() {
        return Ok(());
    }
    let text = std::fs::read_to_string(path)
        .map_err(|e| anyhow::anyhow!("reading the time limits file {path}: {e}"))?;
    let limits = rexian_orders::TimeLimits::from_toml_str(&text)
        .map_err(|e| anyhow::anyhow!("time limits file {path}: {e}"))?;
    if !rexian_web::api::orders::set_time_limits(limits) {
        anyhow::bail!("the time limits were set twice");
    }
    Ok(())
}
