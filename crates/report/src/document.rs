//! The monthly assessment report (月度考核报告) as a county office files it: a pure model
//! built from the stored records ([`monthly_report`]) that the renderers
//! ([`crate::xlsx::to_xlsx`], [`crate::pdf::to_pdf`]) turn into files.
//!
//! Contents: the cover (sub-platform, period, rules version, generated at, total, payment
//! ratio), the nine indicators' score table with their definitions, the trend of the 12
//! months ending with the period's month (each scored from the stored records, months with
//! no records or no rules in force shown as such), and the lists of records behind the
//! complaints (5), emergencies (7), faults (8) and praise (9) indicators.

use chrono::{DateTime, Datelike, Duration, NaiveDateTime, Utc};
use rexian_assessment::{AssessError, Assessment, Indicator, IndicatorResult, Period, RuleBook};
use rexian_store::Store;
use serde::Serialize;

use crate::{RecordTime, ReportError, assess_gathered, assess_period, rules_for};

/// Indicators whose records are listed, with the list's title (Chinese, English).
pub const LISTED: [(u8, &str, &str); 4] = [
    (5, "投诉", "Complaints"),
    (7, "应急", "Emergencies"),
    (8, "故障", "Faults"),
    (9, "表扬", "Praise"),
];

/// How many months the trend shows.
pub const TREND_MONTHS: usize = 12;

/// The whole report.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct MonthlyReport {
    pub platform_code: String,
    pub platform_name: String,
    pub generated_at: DateTime<Utc>,
    pub assessment: Assessment,
    /// Each indicator's definition from the rules (Chinese), in the order of `indicators`.
    pub definitions: Vec<String>,
    /// Oldest month first; the last is the period's month.
    pub trend: Vec<TrendMonth>,
    pub lists: Vec<RecordList>,
}

impl MonthlyReport {
    /// Beijing time of `generated_at`.
    pub fn generated_local(&self) -> NaiveDateTime {
        (self.generated_at + Duration::hours(8)).naive_utc()
    }

    /// The report's file name without extension, e.g. `assessment-BS-2026-10`.
    pub fn file_stem(&self, order_prefix: &str) -> String {
        let label: String = self
            .assessment
            .period
            .label()
            .replace("..", "_")
            .chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
                    c
                } else {
                    '-'
                }
            })
            .collect();
        format!("assessment-{order_prefix}-{label}")
    }
}

/// One month of the trend.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TrendMonth {
    pub period: Period,
    /// `None` when the month has no records, has not started or has no rules in force.
    pub scored: Option<TrendScores>,
    /// Why a month is not scored (Chinese with English), empty when it is.
    pub note: String,
}

/// A scored month.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TrendScores {
    /// The nine indicators' scores, ids 1–9.
    pub scores: Vec<f64>,
    pub total: f64,
    /// Indicator 1's rate, `None` when no call asked for an agent.
    pub answer_rate: Option<f64>,
}

/// The records behind one indicator.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RecordList {
    pub indicator: u8,
    pub title_zh: &'static str,
    pub title_en: &'static str,
    pub rows: Vec<ListRow>,
}

/// One record: counted means it is in the indicator's numerator (a deduction for 5, 7
/// and 8, a verified item for 9).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ListRow {
    pub id: String,
    pub time: Option<RecordTime>,
    pub counted: bool,
    pub description: String,
}

/// Whether a month's assessment rests on any record (attrition aside: staff records span
/// every month, so they do not make a month "have data").
fn has_records(a: &Assessment) -> bool {
    a.indicators
        .iter()
        .any(|i| i.code != Indicator::StaffAttrition && !i.records.denominator.is_empty())
}

fn scores(a: &Assessment) -> TrendScores {
    TrendScores {
        scores: a.indicators.iter().map(|i| i.score).collect(),
        total: a.total,
        answer_rate: a
            .indicators
            .iter()
            .find(|i| i.code == Indicator::AnswerRate)
            .and_then(|i| i.value),
    }
}

/// The `TREND_MONTHS` months ending with the one containing `last_day`.
pub fn trend_months(period: &Period) -> Result<Vec<Period>, ReportError> {
    let last = period.last_day();
    let index = last.year() * 12 + last.month0() as i32;
    (0..TREND_MONTHS as i32)
        .rev()
        .map(|back| {
            let i = index - back;
            Period::month(i.div_euclid(12), i.rem_euclid(12) as u32 + 1)
                .map_err(|e| ReportError::Invalid(format!("period: {e}")))
        })
        .collect()
}

fn listed_rows(
    result: &IndicatorResult,
    described: &crate::Described,
) -> Result<Vec<ListRow>, ReportError> {
    result
        .records
        .denominator
        .iter()
        .map(|id| {
            let description = described.descriptions.get(id).cloned().ok_or_else(|| {
                ReportError::Invalid(format!(
                    "indicator {}: record {id} has no description",
                    result.id
                ))
            })?;
            Ok(ListRow {
                id: id.to_string(),
                time: described.times.get(id).copied(),
                counted: result.records.numerator.contains(id),
                description,
            })
        })
        .collect()
}

/// Builds the report of `period` for one sub-platform from the stored records, scored
/// with the rules in force; the trend's months are each scored with their own rules.
pub async fn monthly_report(
    store: &dyn Store,
    platform: &rexian_store::Platform,
    book: &RuleBook,
    period: &Period,
    now: DateTime<Utc>,
) -> Result<MonthlyReport, ReportError> {
    let (assessment, described) =
        assess_gathered(store, platform.id, book, period, now, false).await?;
    let rules = rules_for(book, period)?;
    let definitions = assessment
        .indicators
        .iter()
        .map(|i| {
            rules
                .indicator(i.code)
                .map(|r| r.definition.clone())
                .unwrap_or_default()
        })
        .collect();

    let mut trend = Vec::with_capacity(TREND_MONTHS);
    for month in trend_months(period)? {
        let scored = if month == *period {
            Ok(assessment.clone())
        } else if month.start_utc() > now {
            trend.push(TrendMonth {
                period: month,
                scored: None,
                note: "未开始 not started".into(),
            });
            continue;
        } else {
            assess_period(store, platform.id, book, &month, now).await
        };
        let (scored, note) = match scored {
            Ok(a) if has_records(&a) => (Some(scores(&a)), String::new()),
            Ok(_) => (None, "无数据 no data".into()),
            Err(ReportError::Assess(AssessError::NoRulesInForce { .. })) => {
                (None, "无适用规则 no rules in force".into())
            }
            Err(e) => return Err(e),
        };
        trend.push(TrendMonth {
            period: month,
            scored,
            note,
        });
    }

    let mut lists = Vec::with_capacity(LISTED.len());
    for (id, title_zh, title_en) in LISTED {
        let result = assessment
            .indicators
            .iter()
            .find(|i| i.id == id)
            .ok_or(AssessError::MissingRule(id))?;
        lists.push(RecordList {
            indicator: id,
            title_zh,
            title_en,
            rows: listed_rows(result, &described)?,
        });
    }

    Ok(MonthlyReport {
        platform_code: platform.code.clone(),
        platform_name: platform.name.clone(),
        generated_at: now,
        assessment,
        definitions,
        trend,
        lists,
    })
}

/// A figure as the report prints it: whole numbers without decimals, else two.
pub fn figure(x: f64) -> String {
    if x.fract() == 0.0 {
        format!("{x:.0}")
    } else {
        format!("{x:.2}")
    }
}

/// A fraction as a percentage with two decimals.
pub fn percent(x: f64) -> String {
    format!("{:.2}%", x * 100.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_trend_is_twelve_months_ending_with_the_period_across_a_year_end() {
        let months = trend_months(&Period::parse("2026-02").unwrap()).unwrap();
        assert_eq!(months.len(), 12);
        assert_eq!(months[0].label(), "2025-03");
        assert_eq!(months[10].label(), "2026-01");
        assert_eq!(months[11], Period::parse("2026-02").unwrap());
        // A quarter ends in its last month.
        let q = trend_months(&Period::parse("2026Q4").unwrap()).unwrap();
        assert_eq!(q[11].label(), "2026-12");
    }
}
