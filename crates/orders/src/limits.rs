//! Time limits (时限) as configuration: per request kind and urgency, in working days or
//! natural hours. `TimeLimitsConfig` is the editable data (TOML or JSON); `TimeLimits` is the
//! validated form the lifecycle uses, so a bad value is refused when an administrator saves
//! it, naming the field, instead of surfacing later as a strange deadline.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::order::RequestKind;

/// The bundled defaults (config/time_limits.toml), taken from the issue.
pub const BUNDLED_TIME_LIMITS_TOML: &str = include_str!("../../../config/time_limits.toml");

/// Bounds that catch typos without restricting any real policy.
const MAX_LIMIT_WORKING_DAYS: u32 = 120;
const MAX_LIMIT_HOURS: u32 = 90 * 24;

/// A time limit. In TOML: `{ working_days = 3 }` or `{ hours = 24 }`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TimeLimit {
    /// Ends at the end of the Nth working day after the start day (see `calendar`).
    WorkingDays(u32),
    /// Natural hours from the start instant.
    Hours(u32),
}

impl TimeLimit {
    pub fn label_zh(self) -> String {
        match self {
            TimeLimit::WorkingDays(n) => format!("{n}个工作日"),
            TimeLimit::Hours(n) => format!("{n}小时"),
        }
    }

    pub fn label_en(self) -> String {
        match self {
            TimeLimit::WorkingDays(1) => "1 working day".to_string(),
            TimeLimit::WorkingDays(n) => format!("{n} working days"),
            TimeLimit::Hours(1) => "1 hour".to_string(),
            TimeLimit::Hours(n) => format!("{n} hours"),
        }
    }

    /// The larger of two limits of the same unit; `None` when the units differ.
    fn exceeds(self, other: TimeLimit) -> Option<bool> {
        match (self, other) {
            (TimeLimit::WorkingDays(a), TimeLimit::WorkingDays(b))
            | (TimeLimit::Hours(a), TimeLimit::Hours(b)) => Some(a > b),
            _ => None,
        }
    }
}

/// Limits of one stage (sign, handle) for normal and urgent orders, with per-kind overrides.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StageLimits {
    pub normal: TimeLimit,
    pub urgent: TimeLimit,
    /// Kinds that differ from `normal`/`urgent`; a kind not listed uses them.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub kinds: BTreeMap<RequestKind, KindLimits>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct KindLimits {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub normal: Option<TimeLimit>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub urgent: Option<TimeLimit>,
}

impl StageLimits {
    fn resolve(&self, kind: RequestKind, urgent: bool) -> TimeLimit {
        let overridden = self
            .kinds
            .get(&kind)
            .and_then(|k| if urgent { k.urgent } else { k.normal });
        overridden.unwrap_or(if urgent { self.urgent } else { self.normal })
    }

    /// The config path the effective value comes from, for error messages.
    fn field(&self, stage: &str, kind: RequestKind, urgent: bool) -> String {
        let level = if urgent { "urgent" } else { "normal" };
        match self
            .kinds
            .get(&kind)
            .and_then(|k| if urgent { k.urgent } else { k.normal })
        {
            Some(_) => format!("{stage}.kinds.{}.{level}", kind.code()),
            None => format!("{stage}.{level}"),
        }
    }
}

/// 退单: how long after dispatch a department may still send an order back.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReturnRule {
    pub within: TimeLimit,
}

/// 延期: how often and how much a department may extend its handling deadline.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ExtensionRule {
    /// Approved extensions per handling round (0 = no extensions).
    pub max_count: u32,
    pub max_working_days: u32,
}

/// 回访: how soon after the reply the citizen must be called back.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CallbackRule {
    pub within: TimeLimit,
    /// Attempts needed before an order may be recorded as "unreachable".
    pub unreachable_after_attempts: u32,
}

/// 催办 / 督办: when reminders and escalations fire around a deadline.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AlertRule {
    /// For deadlines counted in working days: remind at the start (00:00) of the working day
    /// that leaves this many working days; 1 = at the start of the deadline day. 0 = never.
    pub reminder_before_working_days: u32,
    /// For deadlines counted in hours: remind this many hours before. 0 = never.
    pub reminder_before_hours: u32,
    /// 督办: raised at the start of the Nth working day after a missed deadline's day (or
    /// this many hours after it). Department deadlines (sign, handle) only.
    pub supervision_after: TimeLimit,
    /// 黄牌 / 红牌: optional automatic escalation, same counting; absent = by hand only.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub yellow_card_after: Option<TimeLimit>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub red_card_after: Option<TimeLimit>,
}

/// The editable time-limit configuration (see config/time_limits.toml).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TimeLimitsConfig {
    /// 签收, counted from dispatch.
    pub sign: StageLimits,
    /// 办理, counted from dispatch (or from a reopen) to the department's reply.
    pub handle: StageLimits,
    pub returns: ReturnRule,
    pub extension: ExtensionRule,
    pub callback: CallbackRule,
    pub alerts: AlertRule,
}

/// Why a configuration was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LimitsError {
    #[error("time-limit configuration is not valid TOML: {0}")]
    Syntax(String),
    #[error("{field}: {reason}")]
    Invalid { field: String, reason: String },
}

fn invalid(field: impl Into<String>, reason: impl Into<String>) -> LimitsError {
    LimitsError::Invalid {
        field: field.into(),
        reason: reason.into(),
    }
}

/// Validated time limits.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "TimeLimitsConfig", into = "TimeLimitsConfig")]
pub struct TimeLimits {
    config: TimeLimitsConfig,
}

impl TryFrom<TimeLimitsConfig> for TimeLimits {
    type Error = LimitsError;
    fn try_from(config: TimeLimitsConfig) -> Result<Self, Self::Error> {
        TimeLimits::new(config)
    }
}

impl From<TimeLimits> for TimeLimitsConfig {
    fn from(limits: TimeLimits) -> Self {
        limits.config
    }
}

impl Default for TimeLimits {
    fn default() -> Self {
        TimeLimits::bundled()
    }
}

impl TimeLimits {
    /// The bundled defaults. The file is checked by a unit test; should it ever fail to
    /// parse, the same values are built in code.
    pub fn bundled() -> TimeLimits {
        TimeLimits::from_toml_str(BUNDLED_TIME_LIMITS_TOML).unwrap_or_else(|_| TimeLimits {
            config: issue_defaults(),
        })
    }

    pub fn from_toml_str(text: &str) -> Result<TimeLimits, LimitsError> {
        let config: TimeLimitsConfig =
            toml::from_str(text).map_err(|e| LimitsError::Syntax(e.to_string()))?;
        TimeLimits::new(config)
    }

    pub fn to_toml_string(&self) -> Result<String, LimitsError> {
        toml::to_string(&self.config).map_err(|e| LimitsError::Syntax(e.to_string()))
    }

    pub fn new(config: TimeLimitsConfig) -> Result<TimeLimits, LimitsError> {
        validate(&config)?;
        Ok(TimeLimits { config })
    }

    pub fn config(&self) -> &TimeLimitsConfig {
        &self.config
    }

    /// 签收时限.
    pub fn sign_limit(&self, kind: RequestKind, urgent: bool) -> TimeLimit {
        self.config.sign.resolve(kind, urgent)
    }

    /// 办理时限.
    pub fn handle_limit(&self, kind: RequestKind, urgent: bool) -> TimeLimit {
        self.config.handle.resolve(kind, urgent)
    }

    /// How long after dispatch a return (退单) may be asked.
    pub fn return_window(&self) -> TimeLimit {
        self.config.returns.within
    }

    /// 回访时限, counted from the reply.
    pub fn callback_limit(&self) -> TimeLimit {
        self.config.callback.within
    }

    pub fn callback_unreachable_after_attempts(&self) -> u32 {
        self.config.callback.unreachable_after_attempts
    }

    pub fn extension(&self) -> ExtensionRule {
        self.config.extension
    }

    pub fn alerts(&self) -> AlertRule {
        self.config.alerts
    }
}

fn check_limit(field: &str, limit: TimeLimit) -> Result<(), LimitsError> {
    match limit {
        TimeLimit::WorkingDays(n) if !(1..=MAX_LIMIT_WORKING_DAYS).contains(&n) => Err(invalid(
            field,
            format!("must be between 1 and {MAX_LIMIT_WORKING_DAYS} working days, not {n}"),
        )),
        TimeLimit::Hours(n) if !(1..=MAX_LIMIT_HOURS).contains(&n) => Err(invalid(
            field,
            format!("must be between 1 and {MAX_LIMIT_HOURS} hours, not {n}"),
        )),
        _ => Ok(()),
    }
}

fn check_stage(stage: &str, limits: &StageLimits) -> Result<(), LimitsError> {
    check_limit(&format!("{stage}.normal"), limits.normal)?;
    check_limit(&format!("{stage}.urgent"), limits.urgent)?;
    for (kind, k) in &limits.kinds {
        if let Some(l) = k.normal {
            check_limit(&format!("{stage}.kinds.{}.normal", kind.code()), l)?;
        }
        if let Some(l) = k.urgent {
            check_limit(&format!("{stage}.kinds.{}.urgent", kind.code()), l)?;
        }
    }
    Ok(())
}

fn check_range(
    field: &str,
    value: u32,
    range: std::ops::RangeInclusive<u32>,
) -> Result<(), LimitsError> {
    if range.contains(&value) {
        Ok(())
    } else {
        Err(invalid(
            field,
            format!(
                "must be between {} and {}, not {value}",
                range.start(),
                range.end()
            ),
        ))
    }
}

fn validate(c: &TimeLimitsConfig) -> Result<(), LimitsError> {
    check_stage("sign", &c.sign)?;
    check_stage("handle", &c.handle)?;
    for &kind in RequestKind::ALL {
        for urgent in [false, true] {
            let sign = c.sign.resolve(kind, urgent);
            let handle = c.handle.resolve(kind, urgent);
            if sign.exceeds(handle) == Some(true) {
                return Err(invalid(
                    c.sign.field("sign", kind, urgent),
                    format!(
                        "signing ({}) may not take longer than handling ({}, {})",
                        sign.label_en(),
                        handle.label_en(),
                        c.handle.field("handle", kind, urgent)
                    ),
                ));
            }
        }
    }
    check_limit("returns.within", c.returns.within)?;
    check_range("extension.max_count", c.extension.max_count, 0..=5)?;
    check_range(
        "extension.max_working_days",
        c.extension.max_working_days,
        1..=60,
    )?;
    check_limit("callback.within", c.callback.within)?;
    check_range(
        "callback.unreachable_after_attempts",
        c.callback.unreachable_after_attempts,
        1..=10,
    )?;
    let a = &c.alerts;
    check_range(
        "alerts.reminder_before_working_days",
        a.reminder_before_working_days,
        0..=10,
    )?;
    check_range(
        "alerts.reminder_before_hours",
        a.reminder_before_hours,
        0..=72,
    )?;
    check_limit("alerts.supervision_after", a.supervision_after)?;
    let mut previous = ("alerts.supervision_after", a.supervision_after);
    for (field, step) in [
        ("alerts.yellow_card_after", a.yellow_card_after),
        ("alerts.red_card_after", a.red_card_after),
    ] {
        if let Some(step) = step {
            check_limit(field, step)?;
            if step.exceeds(previous.1) == Some(false) {
                return Err(invalid(
                    field,
                    format!("must come after {} ({})", previous.0, previous.1.label_en()),
                ));
            }
            previous = (field, step);
        }
    }
    Ok(())
}

/// The issue's defaults, in code: the fallback should the bundled file ever be broken.
fn issue_defaults() -> TimeLimitsConfig {
    let days = TimeLimit::WorkingDays;
    let handle_kinds = [(RequestKind::Consultation, 3), (RequestKind::Help, 5)]
        .into_iter()
        .map(|(kind, n)| {
            (
                kind,
                KindLimits {
                    normal: Some(days(n)),
                    urgent: None,
                },
            )
        })
        .collect();
    TimeLimitsConfig {
        sign: StageLimits {
            normal: days(1),
            urgent: TimeLimit::Hours(2),
            kinds: BTreeMap::new(),
        },
        handle: StageLimits {
            normal: days(10),
            urgent: TimeLimit::Hours(24),
            kinds: handle_kinds,
        },
        returns: ReturnRule { within: days(2) },
        extension: ExtensionRule {
            max_count: 1,
            max_working_days: 10,
        },
        callback: CallbackRule {
            within: TimeLimit::Hours(24),
            unreachable_after_attempts: 3,
        },
        alerts: AlertRule {
            reminder_before_working_days: 1,
            reminder_before_hours: 1,
            supervision_after: days(1),
            yellow_card_after: None,
            red_card_after: None,
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bundled_file_matches_the_issue() {
        let limits = TimeLimits::from_toml_str(BUNDLED_TIME_LIMITS_TOML).unwrap();
        use RequestKind as K;
        use TimeLimit::{Hours, WorkingDays};
        for &kind in K::ALL {
            assert_eq!(limits.sign_limit(kind, false), WorkingDays(1));
            assert_eq!(limits.sign_limit(kind, true), Hours(2));
            assert_eq!(limits.handle_limit(kind, true), Hours(24));
        }
        assert_eq!(limits.handle_limit(K::Consultation, false), WorkingDays(3));
        assert_eq!(limits.handle_limit(K::Help, false), WorkingDays(5));
        for kind in [K::Complaint, K::Report, K::Suggestion] {
            assert_eq!(limits.handle_limit(kind, false), WorkingDays(10));
        }
        assert_eq!(limits.return_window(), WorkingDays(2));
        assert_eq!(
            limits.extension(),
            ExtensionRule {
                max_count: 1,
                max_working_days: 10
            }
        );
        assert_eq!(limits.callback_limit(), Hours(24));
        assert_eq!(limits.alerts().reminder_before_working_days, 1);
        assert_eq!(limits.alerts().supervision_after, WorkingDays(1));
    }

    #[test]
    fn code_defaults_equal_the_bundled_file() {
        // Compare resolved values: the file may spell a default as an explicit override.
        let file = TimeLimits::from_toml_str(BUNDLED_TIME_LIMITS_TOML).unwrap();
        let code = TimeLimits::new(issue_defaults()).unwrap();
        for &kind in RequestKind::ALL {
            for urgent in [false, true] {
                assert_eq!(file.sign_limit(kind, urgent), code.sign_limit(kind, urgent));
                assert_eq!(
                    file.handle_limit(kind, urgent),
                    code.handle_limit(kind, urgent)
                );
            }
        }
        assert_eq!(file.config.returns, code.config.returns);
        assert_eq!(file.config.extension, code.config.extension);
        assert_eq!(file.config.callback, code.config.callback);
        assert_eq!(file.config.alerts, code.config.alerts);
    }

    #[test]
    fn toml_and_json_round_trip() {
        let limits = TimeLimits::bundled();
        let text = limits.to_toml_string().unwrap();
        assert_eq!(TimeLimits::from_toml_str(&text).unwrap(), limits);
        let json = serde_json::to_string(&limits).unwrap();
        assert_eq!(serde_json::from_str::<TimeLimits>(&json).unwrap(), limits);
        assert!(
            json.contains(r#""sign":{"normal":{"working_days":1},"urgent":{"hours":2}}"#),
            "{json}"
        );
    }

    fn field_of(edit: impl FnOnce(&mut TimeLimitsConfig)) -> String {
        let mut config = TimeLimits::bundled().config().clone();
        edit(&mut config);
        match TimeLimits::new(config) {
            Err(LimitsError::Invalid { field, .. }) => field,
            other => panic!("expected a validation error, got {other:?}"),
        }
    }

    #[test]
    fn validation_names_the_field() {
        use TimeLimit::{Hours, WorkingDays};
        assert_eq!(field_of(|c| c.sign.normal = WorkingDays(0)), "sign.normal");
        assert_eq!(
            field_of(|c| c.handle.urgent = Hours(100_000)),
            "handle.urgent"
        );
        assert_eq!(
            field_of(|c| {
                c.handle.kinds.insert(
                    RequestKind::Help,
                    KindLimits {
                        normal: Some(WorkingDays(500)),
                        urgent: None,
                    },
                );
            }),
            "handle.kinds.help.normal"
        );
        assert_eq!(
            field_of(|c| c.sign.normal = WorkingDays(4)),
            "sign.normal",
            "longer than consultation's 3"
        );
        assert_eq!(
            field_of(|c| c.returns.within = WorkingDays(0)),
            "returns.within"
        );
        assert_eq!(
            field_of(|c| c.extension.max_count = 9),
            "extension.max_count"
        );
        assert_eq!(
            field_of(|c| c.extension.max_working_days = 0),
            "extension.max_working_days"
        );
        assert_eq!(
            field_of(|c| c.callback.within = Hours(0)),
            "callback.within"
        );
        assert_eq!(
            field_of(|c| c.callback.unreachable_after_attempts = 0),
            "callback.unreachable_after_attempts"
        );
        assert_eq!(
            field_of(|c| c.alerts.reminder_before_working_days = 11),
            "alerts.reminder_before_working_days"
        );
        assert_eq!(
            field_of(|c| c.alerts.yellow_card_after = Some(WorkingDays(1))),
            "alerts.yellow_card_after",
            "not after supervision"
        );
        assert_eq!(
            field_of(|c| {
                c.alerts.yellow_card_after = Some(WorkingDays(3));
                c.alerts.red_card_after = Some(WorkingDays(2));
            }),
            "alerts.red_card_after"
        );
    }

    #[test]
    fn syntax_errors_name_the_key() {
        let text = BUNDLED_TIME_LIMITS_TOML.replace("max_count", "max_cuont");
        match TimeLimits::from_toml_str(&text) {
            Err(LimitsError::Syntax(message)) => {
                assert!(message.contains("max_cuont"), "{message}")
            }
            other => panic!("{other:?}"),
        }
        let text = BUNDLED_TIME_LIMITS_TOML.replace("consultation", "consulting");
        assert!(matches!(
            TimeLimits::from_toml_str(&text),
            Err(LimitsError::Syntax(_))
        ));
        let text = BUNDLED_TIME_LIMITS_TOML.replace("{ hours = 2 }", "{ minutes = 2 }");
        assert!(matches!(
            TimeLimits::from_toml_str(&text),
            Err(LimitsError::Syntax(_))
        ));
    }

    #[test]
    fn labels_read_naturally() {
        assert_eq!(TimeLimit::WorkingDays(3).label_zh(), "3个工作日");
        assert_eq!(TimeLimit::Hours(24).label_zh(), "24小时");
        assert_eq!(TimeLimit::WorkingDays(1).label_en(), "1 working day");
    }
}
