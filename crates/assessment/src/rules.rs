//! The assessment rules (平台考核标准) as data: one [`RuleSet`] per version, read from TOML
//! (the format of `config/assessment.toml`, where every field is explained) or JSON, and a
//! [`RuleBook`] of versions, each in force from its `effective_from` date.
//!
//! Reading always validates: a rule set that exists is complete and consistent (ids exactly
//! 1–9 with the kind the standard gives each, no negative points, floor ≤ cap, a payment
//! table covering every score once). Errors name the field path, e.g.
//! `indicators[3].floor: floor 25 is above cap 20`, and all problems are reported at once.

use std::fmt;

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use crate::fixed::{self, MAX_RULE_VALUE};
use crate::indicator::{Indicator, IndicatorKind};
use crate::period::Period;

/// The Baisha County defaults, as shipped in `config/assessment.toml`.
pub const BAISHA_DEFAULT_TOML: &str = include_str!("../../../config/assessment.toml");

/// How a share of a percentage point counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PartialPoints {
    /// 93.4% is 1.6 points below 95%: −0.8 at 0.5 a point (the default reading).
    Proportional,
    /// Only whole percentage points count: 93.4% is 1 point below: −0.5.
    Whole,
}

/// Which headcount divides the leavers for indicator 6 (half-year attrition).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum HeadcountBasis {
    /// (headcount at start + headcount at end) ÷ 2 (the default).
    Average,
    /// Headcount at the start of the half year.
    Start,
    /// Headcount at the end of the half year.
    End,
}

/// How an indicator with nothing to measure (denominator 0) scores.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum NoDataScoring {
    /// Full points, reported as "no data" (the default).
    FullPoints,
    /// Zero, reported as "no data".
    Zero,
}

/// The settings MISSION.md lists as "agreed at signing".
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct ScoringOptions {
    pub partial_points: PartialPoints,
    /// Cap rate indicators at their points (no reward above target). Default false.
    pub cap_rates_at_points: bool,
    /// Rate indicators never score below 0. Default true.
    pub rates_floor_at_zero: bool,
    pub attrition_headcount: HeadcountBasis,
    pub no_data: NoDataScoring,
    /// Leave short abandons out of the answer rate's denominator. Default true.
    pub exclude_short_abandons: bool,
    /// A call abandoned within this many seconds of queueing is a short abandon; read by
    /// the aggregator that counts calls. Default 10.
    pub short_abandon_seconds: u32,
}

impl Default for ScoringOptions {
    fn default() -> Self {
        ScoringOptions {
            partial_points: PartialPoints::Proportional,
            cap_rates_at_points: false,
            rates_floor_at_zero: true,
            attrition_headcount: HeadcountBasis::Average,
            no_data: NoDataScoring::FullPoints,
            exclude_short_abandons: true,
            short_abandon_seconds: 10,
        }
    }
}

/// A rate indicator's parameters. "Good side" is above the target for 1–4 and below it
/// for 6 (attrition).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RateRule {
    /// Target in percent, e.g. 95.
    pub target_percent: f64,
    /// Points gained per percentage point on the good side of the target.
    pub bonus_per_point: f64,
    /// Points lost per percentage point on the bad side of the target.
    pub penalty_per_point: f64,
}

/// A per-case indicator's deductions.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PerCaseRule {
    /// Points lost per ordinary case.
    pub per_case: f64,
    /// Points lost per severe case (raised by a leader, exposed by media, bad social impact).
    pub per_severe_case: f64,
}

/// The praise bonus values.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BonusRule {
    pub per_call: f64,
    pub per_letter: f64,
    pub per_banner: f64,
}

/// How one indicator is scored, by kind.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Scoring {
    Rate(RateRule),
    PerCase(PerCaseRule),
    Bonus(BonusRule),
}

/// One indicator's rule.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct IndicatorRule {
    pub indicator: Indicator,
    pub name: String,
    pub name_en: String,
    pub definition: String,
    pub definition_en: Option<String>,
    /// Points at target (rates), before deductions (per case) or the base (bonus, usually 0).
    pub points: f64,
    /// Lowest score, if any.
    pub floor: Option<f64>,
    /// Highest score, if any.
    pub cap: Option<f64>,
    pub scoring: Scoring,
}

impl IndicatorRule {
    pub fn id(&self) -> u8 {
        self.indicator.id()
    }

    /// Floor in hundredths after the options (rates floor at 0 when so set).
    pub(crate) fn floor_hundredths(&self, options: &ScoringOptions) -> Option<i64> {
        let own = self.floor.map(fixed::value_to_hundredths);
        let zero =
            (matches!(self.scoring, Scoring::Rate(_)) && options.rates_floor_at_zero).then_some(0);
        own.max(zero)
    }

    /// Cap in hundredths after the options (rates capped at points when so set).
    pub(crate) fn cap_hundredths(&self, options: &ScoringOptions) -> Option<i64> {
        let own = self.cap.map(fixed::value_to_hundredths);
        let at_points = (matches!(self.scoring, Scoring::Rate(_)) && options.cap_rates_at_points)
            .then(|| fixed::value_to_hundredths(self.points));
        match (own, at_points) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        }
    }
}

/// One band of the payment table: total scores in `[min, max)` earn `share` of the final
/// payment. `min` is absent only on the lowest band, `max` only on the highest.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PaymentBand {
    pub min: Option<f64>,
    pub max: Option<f64>,
    pub share: f64,
}

impl PaymentBand {
    /// Whether the total falls in this band.
    pub fn contains(&self, total: f64) -> bool {
        self.min.is_none_or(|m| total >= m) && self.max.is_none_or(|m| total < m)
    }

    /// The band as a county report prints it: `95分及以上`, `90分至95分以下`, `70分以下`.
    pub fn label_zh(&self) -> String {
        match (self.min, self.max) {
            (Some(lo), None) => format!("{}分及以上", fixed::fmt_value(lo)),
            (Some(lo), Some(hi)) => {
                format!("{}分至{}分以下", fixed::fmt_value(lo), fixed::fmt_value(hi))
            }
            (None, Some(hi)) => format!("{}分以下", fixed::fmt_value(hi)),
            (None, None) => "全部".to_owned(),
        }
    }
}

/// The payment table, validated to cover every total exactly once, ordered from the
/// lowest band up, with shares not falling as scores rise.
#[derive(Debug, Clone, PartialEq)]
pub struct PaymentTable {
    bands: Vec<PaymentBand>,
}

impl PaymentTable {
    pub fn bands(&self) -> &[PaymentBand] {
        &self.bands
    }

    /// The band a total falls in.
    pub fn band_for(&self, total: f64) -> Option<&PaymentBand> {
        self.bands.iter().find(|b| b.contains(total))
    }

    /// The share of the final payment a total earns (0 if, impossibly, no band covers it).
    pub fn share_for(&self, total: f64) -> f64 {
        self.band_for(total).map_or(0.0, |b| b.share)
    }
}

/// A validated version of the rules.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(try_from = "RawRuleSet", into = "RawRuleSet")]
pub struct RuleSet {
    version: String,
    effective_from: NaiveDate,
    title: Option<String>,
    options: ScoringOptions,
    indicators: Vec<IndicatorRule>,
    payment_table: PaymentTable,
}

impl RuleSet {
    /// Reads and validates a rule set from TOML (the `config/assessment.toml` format).
    pub fn from_toml_str(text: &str) -> Result<Self, RulesError> {
        let raw: RawRuleSet =
            toml::from_str(text).map_err(|e| RulesError::Syntax(e.to_string()))?;
        RuleSet::try_from(raw)
    }

    /// Writes the rule set as TOML (without the comments of the shipped file).
    pub fn to_toml_string(&self) -> Result<String, RulesError> {
        toml::to_string(&RawRuleSet::from(self.clone()))
            .map_err(|e| RulesError::Syntax(e.to_string()))
    }

    /// The Baisha County defaults. The embedded file is checked by a test.
    pub fn baisha_default() -> Self {
        match RuleSet::from_toml_str(BAISHA_DEFAULT_TOML) {
            Ok(rules) => rules,
            Err(e) => panic!("embedded config/assessment.toml is invalid: {e}"),
        }
    }

    /// The version name, reported with every score.
    pub fn version(&self) -> &str {
        &self.version
    }

    /// The first date this version applies to.
    pub fn effective_from(&self) -> NaiveDate {
        self.effective_from
    }

    pub fn title(&self) -> Option<&str> {
        self.title.as_deref()
    }

    pub fn options(&self) -> &ScoringOptions {
        &self.options
    }

    /// The nine indicator rules, in id order.
    pub fn indicators(&self) -> &[IndicatorRule] {
        &self.indicators
    }

    pub fn indicator(&self, indicator: Indicator) -> Option<&IndicatorRule> {
        self.indicators.iter().find(|r| r.indicator == indicator)
    }

    pub fn payment_table(&self) -> &PaymentTable {
        &self.payment_table
    }

    /// The same rules under another version and start date (for tests and for an
    /// administrator drafting the next version from the current one).
    pub fn with_version(mut self, version: &str, effective_from: NaiveDate) -> Self {
        version.clone_into(&mut self.version);
        self.effective_from = effective_from;
        self
    }

    /// The same rules with other options; fails if the options contradict the indicators
    /// (e.g. a floor above points once rates are capped at points).
    pub fn with_options(self, options: ScoringOptions) -> Result<Self, RulesError> {
        let mut raw = RawRuleSet::from(self);
        raw.options = Some(RawOptions::from(options));
        RuleSet::try_from(raw)
    }
}

/// A problem with one field of the rules.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldError {
    /// Where, e.g. `indicators[3].floor` or `payment_table[2].max`.
    pub path: String,
    pub message: String,
}

impl fmt::Display for FieldError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.path, self.message)
    }
}

/// Why rules could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RulesError {
    /// Not TOML, or a value of the wrong type or an unknown field (the message has the line).
    #[error("rules file: {0}")]
    Syntax(String),
    /// Read, but incomplete or contradictory; every problem found.
    #[error("{}", join_lines(.0))]
    Invalid(Vec<FieldError>),
}

impl RulesError {
    /// The field problems (empty for a syntax error).
    pub fn fields(&self) -> &[FieldError] {
        match self {
            RulesError::Invalid(list) => list,
            RulesError::Syntax(_) => &[],
        }
    }
}

fn join_lines(errors: &[FieldError]) -> String {
    errors
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join("\n")
}

/// Versions of the rules, each in force from its `effective_from` until the next one.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(try_from = "Vec<RuleSet>", into = "Vec<RuleSet>")]
pub struct RuleBook {
    /// Ordered by `effective_from`, no two on the same date or with the same name.
    versions: Vec<RuleSet>,
}

/// The rules that score a period: the version in force on its first day, plus any versions
/// that take effect later inside the period (reported, not applied).
#[derive(Debug, Clone, Copy)]
pub struct RuleSelection<'a> {
    pub applied: &'a RuleSet,
    pub later_in_period: &'a [RuleSet],
}

impl RuleBook {
    /// A book of one or more versions.
    pub fn new(mut versions: Vec<RuleSet>) -> Result<Self, RulesError> {
        if versions.is_empty() {
            return Err(RulesError::Invalid(vec![FieldError {
                path: "versions".to_owned(),
                message: "at least one rules version is needed".to_owned(),
            }]));
        }
        versions.sort_by_key(|v| v.effective_from);
        let mut errors = Vec::new();
        for (i, pair) in versions.windows(2).enumerate() {
            if let [a, b] = pair
                && a.effective_from == b.effective_from
            {
                errors.push(FieldError {
                    path: format!("versions[{}].effective_from", i + 1),
                    message: format!(
                        "versions {:?} and {:?} both take effect on {}",
                        a.version, b.version, a.effective_from
                    ),
                });
            }
        }
        for (i, v) in versions.iter().enumerate() {
            if versions[..i].iter().any(|w| w.version == v.version) {
                errors.push(FieldError {
                    path: format!("versions[{i}].version"),
                    message: format!("version name {:?} is used twice", v.version),
                });
            }
        }
        if errors.is_empty() {
            Ok(RuleBook { versions })
        } else {
            Err(RulesError::Invalid(errors))
        }
    }

    /// A book of just the Baisha defaults.
    pub fn baisha_default() -> Self {
        RuleBook {
            versions: vec![RuleSet::baisha_default()],
        }
    }

    /// All versions, oldest first.
    pub fn versions(&self) -> &[RuleSet] {
        &self.versions
    }

    /// The version in force on `date`: the latest one whose `effective_from` is on or
    /// before it. `None` before the first version.
    pub fn version_for(&self, date: NaiveDate) -> Option<&RuleSet> {
        let after = self.versions.partition_point(|v| v.effective_from <= date);
        after.checked_sub(1).and_then(|i| self.versions.get(i))
    }

    /// The rules for a period. A period is scored with the version in force on its first
    /// day, as government contracts usually settle a period under the terms it began
    /// with; versions that take effect inside the period are listed so the report can say
    /// so. (Rule changes normally take effect on the first of a month, so monthly scores
    /// are never affected; only longer periods can span a change.)
    pub fn select(&self, period: &Period) -> Option<RuleSelection<'_>> {
        let first = self
            .versions
            .partition_point(|v| v.effective_from <= period.start());
        let applied = self.versions.get(first.checked_sub(1)?)?;
        let later_count = self.versions[first..]
            .iter()
            .take_while(|v| period.strictly_contains(v.effective_from))
            .count();
        Some(RuleSelection {
            applied,
            later_in_period: &self.versions[first..first + later_count],
        })
    }
}

impl TryFrom<Vec<RuleSet>> for RuleBook {
    type Error = RulesError;
    fn try_from(v: Vec<RuleSet>) -> Result<Self, Self::Error> {
        RuleBook::new(v)
    }
}

impl From<RuleBook> for Vec<RuleSet> {
    fn from(b: RuleBook) -> Self {
        b.versions
    }
}

// ---------------------------------------------------------------------------------------
// The file format: every field optional at the serde level, so that validation can name
// each missing or wrong field by its path instead of stopping at the first.

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRuleSet {
    #[serde(skip_serializing_if = "Option::is_none")]
    version: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    effective_from: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    title: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    options: Option<RawOptions>,
    #[serde(skip_serializing_if = "Option::is_none")]
    indicators: Option<Vec<RawIndicator>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    payment_table: Option<Vec<RawBand>>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawOptions {
    #[serde(skip_serializing_if = "Option::is_none")]
    partial_points: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    cap_rates_at_points: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    rates_floor_at_zero: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    attrition_headcount: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    no_data: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    exclude_short_abandons: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    short_abandon_seconds: Option<u32>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawIndicator {
    #[serde(skip_serializing_if = "Option::is_none")]
    id: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    name_en: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    definition: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    definition_en: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    kind: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    points: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    target_percent: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    bonus_per_point: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    penalty_per_point: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    per_case: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    per_severe_case: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    per_call: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    per_letter: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    per_banner: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    floor: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    cap: Option<f64>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawBand {
    #[serde(skip_serializing_if = "Option::is_none")]
    min: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    max: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    share: Option<f64>,
}

impl From<ScoringOptions> for RawOptions {
    fn from(o: ScoringOptions) -> Self {
        RawOptions {
            partial_points: Some(
                match o.partial_points {
                    PartialPoints::Proportional => "proportional",
                    PartialPoints::Whole => "whole",
                }
                .to_owned(),
            ),
            cap_rates_at_points: Some(o.cap_rates_at_points),
            rates_floor_at_zero: Some(o.rates_floor_at_zero),
            attrition_headcount: Some(
                match o.attrition_headcount {
                    HeadcountBasis::Average => "average",
                    HeadcountBasis::Start => "start",
                    HeadcountBasis::End => "end",
                }
                .to_owned(),
            ),
            no_data: Some(
                match o.no_data {
                    NoDataScoring::FullPoints => "full_points",
                    NoDataScoring::Zero => "zero",
                }
                .to_owned(),
            ),
            exclude_short_abandons: Some(o.exclude_short_abandons),
            short_abandon_seconds: Some(o.short_abandon_seconds),
        }
    }
}

impl From<RuleSet> for RawRuleSet {
    fn from(r: RuleSet) -> Self {
        let indicators = r
            .indicators
            .into_iter()
            .map(|i| {
                let mut raw = RawIndicator {
                    id: Some(i64::from(i.indicator.id())),
                    name: Some(i.name),
                    name_en: Some(i.name_en),
                    definition: Some(i.definition),
                    definition_en: i.definition_en,
                    points: Some(i.points),
                    floor: i.floor,
                    cap: i.cap,
                    ..RawIndicator::default()
                };
                match i.scoring {
                    Scoring::Rate(rate) => {
                        raw.kind = Some("rate".to_owned());
                        raw.target_percent = Some(rate.target_percent);
                        raw.bonus_per_point = Some(rate.bonus_per_point);
                        raw.penalty_per_point = Some(rate.penalty_per_point);
                    }
                    Scoring::PerCase(pc) => {
                        raw.kind = Some("per_case".to_owned());
                        raw.per_case = Some(pc.per_case);
                        raw.per_severe_case = Some(pc.per_severe_case);
                    }
                    Scoring::Bonus(b) => {
                        raw.kind = Some("bonus".to_owned());
                        raw.per_call = Some(b.per_call);
                        raw.per_letter = Some(b.per_letter);
                        raw.per_banner = Some(b.per_banner);
                    }
                }
                raw
            })
            .collect();
        RawRuleSet {
            version: Some(r.version),
            effective_from: Some(r.effective_from.to_string()),
            title: r.title,
            options: Some(RawOptions::from(r.options)),
            indicators: Some(indicators),
            payment_table: Some(
                r.payment_table
                    .bands
                    .into_iter()
                    // Highest band first, as people write the table.
                    .rev()
                    .map(|b| RawBand {
                        min: b.min,
                        max: b.max,
                        share: Some(b.share),
                    })
                    .collect(),
            ),
        }
    }
}

/// Collects field errors while building the typed rules.
#[derive(Default)]
struct Check {
    errors: Vec<FieldError>,
}

impl Check {
    fn error(&mut self, path: impl Into<String>, message: impl Into<String>) {
        self.errors.push(FieldError {
            path: path.into(),
            message: message.into(),
        });
    }

    fn required<T>(&mut self, path: &str, value: Option<T>) -> Option<T> {
        if value.is_none() {
            self.error(path, "missing field");
        }
        value
    }

    fn text(&mut self, path: &str, value: Option<String>) -> Option<String> {
        let text = self.required(path, value)?;
        if text.trim().is_empty() {
            self.error(path, "must not be empty");
            return None;
        }
        Some(text)
    }

    /// A finite number within range; with `non_negative`, also ≥ 0.
    fn number(&mut self, path: &str, value: f64, what: &str, non_negative: bool) -> Option<f64> {
        if !value.is_finite() || value.abs() > MAX_RULE_VALUE {
            self.error(
                path,
                format!("{what} {value} is not a number within ±{MAX_RULE_VALUE}"),
            );
            None
        } else if non_negative && value < 0.0 {
            self.error(path, format!("negative {what} {value}"));
            None
        } else {
            Some(value)
        }
    }

    fn required_number(
        &mut self,
        path: &str,
        value: Option<f64>,
        what: &str,
        non_negative: bool,
    ) -> Option<f64> {
        let v = self.required(path, value)?;
        self.number(path, v, what, non_negative)
    }

    fn unused(&mut self, base: &str, kind: IndicatorKind, field: &str, value: Option<f64>) {
        if value.is_some() {
            self.error(
                format!("{base}.{field}"),
                format!("not used by a {} indicator; remove it", kind.code()),
            );
        }
    }
}

fn parse_choice<T: Copy>(
    check: &mut Check,
    path: &str,
    value: Option<String>,
    choices: &[(&str, T)],
    default: T,
) -> T {
    let Some(text) = value else { return default };
    if let Some((_, v)) = choices.iter().find(|(code, _)| *code == text) {
        return *v;
    }
    let expected: Vec<&str> = choices.iter().map(|(c, _)| *c).collect();
    check.error(
        path,
        format!("unknown value {text:?}; expected {}", expected.join(" or ")),
    );
    default
}

fn build_options(check: &mut Check, raw: Option<RawOptions>) -> ScoringOptions {
    let raw = raw.unwrap_or_default();
    let d = ScoringOptions::default();
    ScoringOptions {
        partial_points: parse_choice(
            check,
            "options.partial_points",
            raw.partial_points,
            &[
                ("proportional", PartialPoints::Proportional),
                ("whole", PartialPoints::Whole),
            ],
            d.partial_points,
        ),
        cap_rates_at_points: raw.cap_rates_at_points.unwrap_or(d.cap_rates_at_points),
        rates_floor_at_zero: raw.rates_floor_at_zero.unwrap_or(d.rates_floor_at_zero),
        attrition_headcount: parse_choice(
            check,
            "options.attrition_headcount",
            raw.attrition_headcount,
            &[
                ("average", HeadcountBasis::Average),
                ("start", HeadcountBasis::Start),
                ("end", HeadcountBasis::End),
            ],
            d.attrition_headcount,
        ),
        no_data: parse_choice(
            check,
            "options.no_data",
            raw.no_data,
            &[
                ("full_points", NoDataScoring::FullPoints),
                ("zero", NoDataScoring::Zero),
            ],
            d.no_data,
        ),
        exclude_short_abandons: raw
            .exclude_short_abandons
            .unwrap_or(d.exclude_short_abandons),
        short_abandon_seconds: raw.short_abandon_seconds.unwrap_or(d.short_abandon_seconds),
    }
}

fn build_indicator(check: &mut Check, index: usize, raw: RawIndicator) -> Option<IndicatorRule> {
    let base = format!("indicators[{index}]");
    let p = |field: &str| format!("{base}.{field}");

    let indicator = match check.required(&p("id"), raw.id) {
        Some(id) => {
            let found = u8::try_from(id).ok().and_then(Indicator::from_id);
            if found.is_none() {
                check.error(
                    p("id"),
                    format!("unknown indicator id {id}; the standard's ids are 1–9"),
                );
            }
            found
        }
        None => None,
    };
    let name = check.text(&p("name"), raw.name);
    let name_en = check.text(&p("name_en"), raw.name_en);
    let definition = check.text(&p("definition"), raw.definition);
    let points = check.required_number(&p("points"), raw.points, "points", true);
    let floor = raw
        .floor
        .and_then(|f| check.number(&p("floor"), f, "floor", false));
    let cap = raw
        .cap
        .and_then(|c| check.number(&p("cap"), c, "cap", false));
    let kind = match check.text(&p("kind"), raw.kind) {
        Some(code) => {
            let kind = IndicatorKind::from_code(&code);
            if kind.is_none() {
                check.error(
                    p("kind"),
                    format!("unknown kind {code:?}; expected rate, per_case or bonus"),
                );
            }
            kind
        }
        None => None,
    };
    if let (Some(ind), Some(kind)) = (indicator, kind)
        && ind.kind() != kind
    {
        check.error(
            p("kind"),
            format!(
                "indicator {} ({}) is scored {} in the standard, not {}",
                ind.id(),
                ind.label_zh(),
                ind.kind().code(),
                kind.code()
            ),
        );
    }

    let scoring = match kind? {
        IndicatorKind::Rate => {
            for (field, value) in [
                ("per_case", raw.per_case),
                ("per_severe_case", raw.per_severe_case),
                ("per_call", raw.per_call),
                ("per_letter", raw.per_letter),
                ("per_banner", raw.per_banner),
            ] {
                check.unused(&base, IndicatorKind::Rate, field, value);
            }
            let target =
                check.required_number(&p("target_percent"), raw.target_percent, "target", true);
            if let Some(t) = target
                && !(t > 0.0 && t <= 100.0)
            {
                check.error(
                    p("target_percent"),
                    format!("target {t}% is not above 0% and at most 100%"),
                );
            }
            let bonus = check.required_number(
                &p("bonus_per_point"),
                raw.bonus_per_point,
                "points per percentage point",
                true,
            );
            let penalty = check.required_number(
                &p("penalty_per_point"),
                raw.penalty_per_point,
                "points per percentage point",
                true,
            );
            Scoring::Rate(RateRule {
                target_percent: target?,
                bonus_per_point: bonus?,
                penalty_per_point: penalty?,
            })
        }
        IndicatorKind::PerCase => {
            for (field, value) in [
                ("target_percent", raw.target_percent),
                ("bonus_per_point", raw.bonus_per_point),
                ("penalty_per_point", raw.penalty_per_point),
                ("per_call", raw.per_call),
                ("per_letter", raw.per_letter),
                ("per_banner", raw.per_banner),
            ] {
                check.unused(&base, IndicatorKind::PerCase, field, value);
            }
            let per_case = check.required_number(&p("per_case"), raw.per_case, "deduction", true);
            let severe = match raw.per_severe_case {
                Some(v) => check.number(&p("per_severe_case"), v, "deduction", true),
                None => per_case,
            };
            if let (Some(o), Some(s)) = (per_case, severe)
                && s < o
            {
                check.error(
                    p("per_severe_case"),
                    format!("severe case deduction {s} is below the ordinary deduction {o}"),
                );
            }
            Scoring::PerCase(PerCaseRule {
                per_case: per_case?,
                per_severe_case: severe?,
            })
        }
        IndicatorKind::Bonus => {
            for (field, value) in [
                ("target_percent", raw.target_percent),
                ("bonus_per_point", raw.bonus_per_point),
                ("penalty_per_point", raw.penalty_per_point),
                ("per_case", raw.per_case),
                ("per_severe_case", raw.per_severe_case),
            ] {
                check.unused(&base, IndicatorKind::Bonus, field, value);
            }
            let call = check.required_number(&p("per_call"), raw.per_call, "bonus", true);
            let letter = check.required_number(&p("per_letter"), raw.per_letter, "bonus", true);
            let banner = check.required_number(&p("per_banner"), raw.per_banner, "bonus", true);
            Scoring::Bonus(BonusRule {
                per_call: call?,
                per_letter: letter?,
                per_banner: banner?,
            })
        }
    };

    // Contradictions between floor, cap and points.
    if let (Some(f), Some(c)) = (floor, cap)
        && f > c
    {
        check.error(p("floor"), format!("floor {f} is above cap {c}"));
    }
    if let Some(pts) = points {
        if let Some(f) = floor
            && f > pts
        {
            check.error(p("floor"), format!("floor {f} is above points {pts}"));
        }
        if let Some(c) = cap
            && c < pts
        {
            check.error(
                p("cap"),
                format!("cap {c} is below points {pts}: full points could never be scored"),
            );
        }
    }

    Some(IndicatorRule {
        indicator: indicator?,
        name: name?,
        name_en: name_en?,
        definition: definition?,
        definition_en: raw.definition_en,
        points: points?,
        floor,
        cap,
        scoring,
    })
}

fn build_payment_table(check: &mut Check, raw: Vec<RawBand>) -> Option<PaymentTable> {
    if raw.is_empty() {
        check.error("payment_table", "at least one band is needed");
        return None;
    }
    let before = check.errors.len();
    let mut bands: Vec<(usize, PaymentBand)> = Vec::with_capacity(raw.len());
    for (i, b) in raw.into_iter().enumerate() {
        let path = |field: &str| format!("payment_table[{i}].{field}");
        let share = check.required_number(&path("share"), b.share, "share", false);
        if let Some(s) = share
            && !(0.0..=1.0).contains(&s)
        {
            check.error(
                path("share"),
                format!("share {s} is outside 0 to 1 (1 = the whole final payment)"),
            );
        }
        let min = b
            .min
            .and_then(|m| check.number(&path("min"), m, "score", false));
        let max = b
            .max
            .and_then(|m| check.number(&path("max"), m, "score", false));
        if let (Some(lo), Some(hi)) = (min, max)
            && hi <= lo
        {
            check.error(path("max"), format!("max {hi} is not above min {lo}"));
        }
        if let Some(share) = share {
            bands.push((i, PaymentBand { min, max, share }));
        }
    }
    if check.errors.len() > before {
        return None;
    }
    // Lowest band first; a missing min means "from minus infinity".
    bands.sort_by(|(_, a), (_, b)| {
        let key = |x: &PaymentBand| x.min.unwrap_or(f64::NEG_INFINITY);
        key(a).total_cmp(&key(b))
    });
    if let Some((i, first)) = bands.first()
        && let Some(lo) = first.min
    {
        check.error(
            format!("payment_table[{i}].min"),
            format!(
                "gap: no band covers scores below {}; leave out `min` on the lowest band",
                fixed::fmt_value(lo)
            ),
        );
    }
    if let Some((i, last)) = bands.last()
        && let Some(hi) = last.max
    {
        check.error(
            format!("payment_table[{i}].max"),
            format!(
                "gap: no band covers scores of {} and above; leave out `max` on the highest band",
                fixed::fmt_value(hi)
            ),
        );
    }
    for pair in bands.windows(2) {
        let [(i, a), (j, b)] = pair else { continue };
        let next_min = b.min.unwrap_or(f64::NEG_INFINITY);
        match a.max {
            None => check.error(
                format!("payment_table[{i}].max"),
                format!(
                    "overlap: this band has no upper bound but payment_table[{j}] starts at {}",
                    fixed::fmt_value(next_min)
                ),
            ),
            Some(hi) if hi < next_min => check.error(
                format!("payment_table[{i}].max"),
                format!(
                    "gap: no band covers scores from {} up to {} (where payment_table[{j}] starts)",
                    fixed::fmt_value(hi),
                    fixed::fmt_value(next_min)
                ),
            ),
            Some(hi) if hi > next_min => check.error(
                format!("payment_table[{i}].max"),
                format!(
                    "overlap: this band runs to {} but payment_table[{j}] starts at {}",
                    fixed::fmt_value(hi),
                    fixed::fmt_value(next_min)
                ),
            ),
            Some(_) => {}
        }
        if b.share < a.share {
            check.error(
                format!("payment_table[{j}].share"),
                format!(
                    "share {} for higher scores is below share {} of payment_table[{i}]",
                    b.share, a.share
                ),
            );
        }
    }
    if check.errors.len() > before {
        return None;
    }
    Some(PaymentTable {
        bands: bands.into_iter().map(|(_, b)| b).collect(),
    })
}

impl TryFrom<RawRuleSet> for RuleSet {
    type Error = RulesError;

    fn try_from(raw: RawRuleSet) -> Result<Self, Self::Error> {
        let mut check = Check::default();
        let version = check.text("version", raw.version);
        let effective_from = match check.text("effective_from", raw.effective_from) {
            Some(text) => match NaiveDate::parse_from_str(text.trim(), "%Y-%m-%d") {
                Ok(d) => Some(d),
                Err(_) => {
                    check.error(
                        "effective_from",
                        format!("{text:?} is not a date like \"2026-01-01\""),
                    );
                    None
                }
            },
            None => None,
        };
        let options = build_options(&mut check, raw.options);

        let mut indicators = Vec::new();
        if let Some(list) = check.required("indicators", raw.indicators) {
            let mut seen: [Option<usize>; 9] = [None; 9];
            for (i, item) in list.into_iter().enumerate() {
                let Some(rule) = build_indicator(&mut check, i, item) else {
                    continue;
                };
                let slot = usize::from(rule.indicator.id() - 1);
                if let Some(first) = seen[slot] {
                    check.error(
                        format!("indicators[{i}].id"),
                        format!(
                            "duplicate id {} (also indicators[{first}])",
                            rule.indicator.id()
                        ),
                    );
                    continue;
                }
                seen[slot] = Some(i);
                indicators.push(rule);
            }
            // Only report missing ids once each entry itself is sound, or every typo in an
            // id would also show up as a "missing" line.
            if check.errors.is_empty() {
                for ind in Indicator::ALL {
                    if seen[usize::from(ind.id() - 1)].is_none() {
                        check.error(
                            "indicators",
                            format!(
                                "missing indicator {} ({}); ids must be exactly 1–9",
                                ind.id(),
                                ind.label_zh()
                            ),
                        );
                    }
                }
            }
            indicators.sort_by_key(|r| r.indicator);
        }
        let payment_table = check
            .required("payment_table", raw.payment_table)
            .and_then(|bands| build_payment_table(&mut check, bands));

        match (version, effective_from, payment_table) {
            (Some(version), Some(effective_from), Some(payment_table))
                if check.errors.is_empty() =>
            {
                Ok(RuleSet {
                    version,
                    effective_from,
                    title: raw.title,
                    options,
                    indicators,
                    payment_table,
                })
            }
            _ => Err(RulesError::Invalid(check.errors)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_shipped_baisha_rules_are_valid_and_match_the_standard() {
        let rules = RuleSet::baisha_default();
        let ids: Vec<u8> = rules.indicators().iter().map(IndicatorRule::id).collect();
        assert_eq!(ids, (1..=9).collect::<Vec<u8>>());
        let points: f64 = rules.indicators().iter().map(|r| r.points).sum();
        assert_eq!(points, 100.0);
        assert_eq!(rules.options(), &ScoringOptions::default());
        let answer = rules.indicator(Indicator::AnswerRate);
        assert_eq!(
            answer.map(|r| &r.scoring),
            Some(&Scoring::Rate(RateRule {
                target_percent: 95.0,
                bonus_per_point: 0.5,
                penalty_per_point: 0.5
            }))
        );
        let complaints = rules.indicator(Indicator::JustifiedComplaints);
        assert_eq!(
            complaints.map(|r| &r.scoring),
            Some(&Scoring::PerCase(PerCaseRule {
                per_case: 1.0,
                per_severe_case: 2.0
            }))
        );
        let praise = rules.indicator(Indicator::CitizenPraise);
        assert_eq!(praise.and_then(|r| r.cap), Some(5.0));
    }

    #[test]
    fn rules_round_trip_through_toml_and_json() {
        let rules = RuleSet::baisha_default();
        let toml_text = rules.to_toml_string().unwrap_or_default();
        assert_eq!(RuleSet::from_toml_str(&toml_text).ok(), Some(rules.clone()));
        let json = serde_json::to_string(&rules).unwrap_or_default();
        let back: Result<RuleSet, _> = serde_json::from_str(&json);
        assert_eq!(back.ok(), Some(rules));
    }

    #[test]
    fn version_for_picks_the_latest_version_in_force() {
        let d = |y, m, day| NaiveDate::from_ymd_opt(y, m, day).unwrap_or(NaiveDate::MIN);
        let v1 = RuleSet::baisha_default().with_version("v1", d(2026, 1, 1));
        let v2 = RuleSet::baisha_default().with_version("v2", d(2026, 11, 1));
        let book = RuleBook::new(vec![v2, v1]).unwrap_or_else(|e| panic!("{e}"));
        let name = |date| book.version_for(date).map(RuleSet::version);
        assert_eq!(name(d(2025, 12, 31)), None);
        assert_eq!(name(d(2026, 1, 1)), Some("v1"));
        assert_eq!(name(d(2026, 10, 31)), Some("v1"));
        assert_eq!(name(d(2026, 11, 1)), Some("v2"));
        assert_eq!(name(d(2030, 1, 1)), Some("v2"));
    }

    #[test]
    fn a_book_rejects_two_versions_on_one_date_or_one_name() {
        let d = NaiveDate::from_ymd_opt(2026, 1, 1).unwrap_or(NaiveDate::MIN);
        let e = NaiveDate::from_ymd_opt(2026, 7, 1).unwrap_or(NaiveDate::MIN);
        let a = RuleSet::baisha_default().with_version("a", d);
        let b = RuleSet::baisha_default().with_version("b", d);
        let err = RuleBook::new(vec![a.clone(), b])
            .err()
            .map(|e| e.to_string());
        assert!(err.is_some_and(|m| m.contains("both take effect on 2026-01-01")));
        let a2 = RuleSet::baisha_default().with_version("a", e);
        let err = RuleBook::new(vec![a, a2]).err().map(|e| e.to_string());
        assert!(err.is_some_and(|m| m.contains("used twice")));
        assert!(RuleBook::new(Vec::new()).is_err());
    }
}
