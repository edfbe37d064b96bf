//! Work-order vocabulary: request kinds, lifecycle states, sources, supervision levels,
//! callback outcomes and the identifiers an order carries (order number, matter category,
//! department code). Every enum has a stable snake_case `code()` that is also its serde name,
//! so what the store writes and what the API sends are the same strings.

use std::fmt;
use std::str::FromStr;

use chrono::{Datelike, NaiveDate};
use serde::{Deserialize, Serialize};

/// 诉求类型: what the citizen asks for. Decides the handling time limit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RequestKind {
    Consultation,
    Help,
    Complaint,
    Report,
    Suggestion,
    Praise,
    Other,
}

coded_enum!(RequestKind {
    Consultation => ("consultation", "咨询", "Consultation"),
    Help => ("help", "求助", "Request for help"),
    Complaint => ("complaint", "投诉", "Complaint"),
    Report => ("report", "举报", "Report"),
    Suggestion => ("suggestion", "建议", "Suggestion"),
    Praise => ("praise", "表扬", "Praise"),
    Other => ("other", "其他", "Other"),
});

/// 工单状态: where an order is in its lifecycle. Flags (urgent, confidential, leader-flagged,
/// supervision level) are deliberately not states.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OrderState {
    /// 已受理: registered by an agent (or received from the provincial platform).
    Registered,
    /// 直接办结: answered at the front desk; counts for first-contact resolution.
    DirectlyResolved,
    /// 待派单: waiting for the shift leader to choose a department.
    PendingDispatch,
    /// 已派单: sent to a lead department, not yet signed for.
    Dispatched,
    /// 已签收: the department acknowledged receipt.
    Signed,
    /// 办理中.
    InProgress,
    /// 退单审核中: the department says the order is not theirs.
    ReturnRequested,
    /// 延期审核中: the department asked for more time.
    ExtensionRequested,
    /// 已答复(待审核): the department's result waits for the platform's review.
    Replied,
    /// 待回访.
    PendingCallback,
    /// 已回访: the citizen was called back (or could not be reached).
    CallbackDone,
    /// 重办: dissatisfaction judged justified; back to the department, same order.
    Reopened,
    /// 办结归档.
    Closed,
    /// 已并单: folded into an existing order.
    Merged,
    /// 无效工单: harassment, test call, out of remit.
    Invalid,
    /// 已转应急: handed to 110/119/120/122.
    TransferredToEmergency,
}

coded_enum!(OrderState {
    Registered => ("registered", "已受理", "Registered"),
    DirectlyResolved => ("directly_resolved", "直接办结", "Resolved directly"),
    PendingDispatch => ("pending_dispatch", "待派单", "Pending dispatch"),
    Dispatched => ("dispatched", "已派单", "Dispatched"),
    Signed => ("signed", "已签收", "Signed for"),
    InProgress => ("in_progress", "办理中", "In progress"),
    ReturnRequested => ("return_requested", "退单审核中", "Return requested"),
    ExtensionRequested => ("extension_requested", "延期审核中", "Extension requested"),
    Replied => ("replied", "已答复待审核", "Replied"),
    PendingCallback => ("pending_callback", "待回访", "Pending callback"),
    CallbackDone => ("callback_done", "已回访", "Called back"),
    Reopened => ("reopened", "重办", "Reopened"),
    Closed => ("closed", "办结归档", "Closed"),
    Merged => ("merged", "已并单", "Merged"),
    Invalid => ("invalid", "无效工单", "Invalid"),
    TransferredToEmergency => ("transferred_to_emergency", "已转应急", "Transferred to emergency services"),
});

impl OrderState {
    /// A terminal state accepts no further action.
    pub fn is_terminal(self) -> bool {
        matches!(
            self,
            OrderState::DirectlyResolved
                | OrderState::Closed
                | OrderState::Merged
                | OrderState::Invalid
                | OrderState::TransferredToEmergency
        )
    }

    /// States in which a county department holds the order (its inbox).
    pub fn is_with_department(self) -> bool {
        matches!(
            self,
            OrderState::Dispatched
                | OrderState::Signed
                | OrderState::InProgress
                | OrderState::ReturnRequested
                | OrderState::ExtensionRequested
                | OrderState::Reopened
        )
    }
}

/// 来源渠道: how the request reached the platform.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Source {
    PhoneCall,
    /// Sent down by the provincial 12345 business platform.
    ProvincialDispatch,
    Web,
    #[serde(rename = "wechat")]
    WeChat,
    Sms,
    Letter,
    WalkIn,
}

coded_enum!(Source {
    PhoneCall => ("phone_call", "电话", "Phone call"),
    ProvincialDispatch => ("provincial_dispatch", "省平台派发", "Provincial dispatch"),
    Web => ("web", "网站", "Web"),
    WeChat => ("wechat", "微信", "WeChat"),
    Sms => ("sms", "短信", "SMS"),
    Letter => ("letter", "来信", "Letter"),
    WalkIn => ("walk_in", "来访", "Walk-in"),
});

/// 督办等级: pressure on the department, only ever raised. Ordered by severity.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default, Serialize, Deserialize,
)]
#[serde(rename_all = "snake_case")]
pub enum SupervisionLevel {
    #[default]
    None,
    /// 催办: before (or at) the deadline.
    Reminder,
    /// 督办: after a missed deadline.
    Supervision,
    /// 黄牌督办.
    YellowCard,
    /// 红牌督办.
    RedCard,
}

coded_enum!(SupervisionLevel {
    None => ("none", "无", "None"),
    Reminder => ("reminder", "催办", "Reminder"),
    Supervision => ("supervision", "督办", "Supervision"),
    YellowCard => ("yellow_card", "黄牌督办", "Yellow card"),
    RedCard => ("red_card", "红牌督办", "Red card"),
});

/// 满意度, as recorded at the callback.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Satisfaction {
    Satisfied,
    BasicallySatisfied,
    Dissatisfied,
}

coded_enum!(Satisfaction {
    Satisfied => ("satisfied", "满意", "Satisfied"),
    BasicallySatisfied => ("basically_satisfied", "基本满意", "Basically satisfied"),
    Dissatisfied => ("dissatisfied", "不满意", "Dissatisfied"),
});

impl Satisfaction {
    /// Whether the assessment counts this rating as satisfied ("satisfied or basically").
    pub fn counts_as_satisfied(self) -> bool {
        !matches!(self, Satisfaction::Dissatisfied)
    }
}

/// 回访结果.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(tag = "status", rename_all = "snake_case")]
pub enum CallbackOutcome {
    /// The citizen answered: was the matter resolved, and how satisfied are they.
    Reached {
        resolved: bool,
        satisfaction: Satisfaction,
    },
    /// Nobody answered after this many attempts (the minimum is configured).
    Unreachable { attempts: u32 },
}

impl CallbackOutcome {
    /// Whether the outcome can justify a reopen (重办): unresolved or dissatisfied.
    pub fn allows_reopen(self) -> bool {
        match self {
            CallbackOutcome::Reached {
                resolved,
                satisfaction,
            } => !resolved || satisfaction == Satisfaction::Dissatisfied,
            CallbackOutcome::Unreachable { .. } => false,
        }
    }
}

/// 应急联动: where an emergency is handed over.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum EmergencyService {
    #[serde(rename = "110")]
    Police,
    #[serde(rename = "119")]
    Fire,
    #[serde(rename = "120")]
    Ambulance,
    #[serde(rename = "122")]
    TrafficPolice,
}

coded_enum!(EmergencyService {
    Police => ("110", "110 报警", "Police (110)"),
    Fire => ("119", "119 火警", "Fire (119)"),
    Ambulance => ("120", "120 急救", "Ambulance (120)"),
    TrafficPolice => ("122", "122 交通事故", "Traffic police (122)"),
});

/// 无效原因: why an order is not a real request.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum InvalidCategory {
    Harassment,
    TestCall,
    OutOfRemit,
    Other,
}

coded_enum!(InvalidCategory {
    Harassment => ("harassment", "骚扰电话", "Harassment"),
    TestCall => ("test_call", "测试电话", "Test call"),
    OutOfRemit => ("out_of_remit", "非受理范围", "Out of remit"),
    Other => ("other", "其他", "Other"),
});

/// Why an order number did not parse.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum OrderNumberError {
    #[error("order number is empty")]
    Empty,
    #[error("order number must start with 1 to 6 letters naming the sub-platform (e.g. BS)")]
    BadPrefix,
    #[error(
        "order number must be the prefix, a date as yyyymmdd and a 4-digit sequence (e.g. BS202611270001)"
    )]
    BadShape,
    #[error("order number has no valid date: {0} is not a calendar date")]
    BadDate(String),
    #[error("order number sequence must be 0001 to 9999")]
    BadSequence,
}

/// 工单编号: sub-platform prefix letters + yyyymmdd (registration day, local time) + a
/// 4-digit daily sequence, e.g. `BS202611270001`. Human-readable and unique per sub-platform
/// as long as the store hands out sequences per (prefix, day). Letters are kept uppercase;
/// lowercase input (a citizen typing `bs…`) is accepted and normalised.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct OrderNumber(String);

impl OrderNumber {
    pub const MAX_PREFIX_LEN: usize = 6;

    /// Builds a number from its parts (the store's sequence generator calls this).
    pub fn new(
        prefix: &str,
        date: NaiveDate,
        sequence: u16,
    ) -> Result<OrderNumber, OrderNumberError> {
        if prefix.is_empty()
            || prefix.len() > Self::MAX_PREFIX_LEN
            || !prefix.bytes().all(|b| b.is_ascii_alphabetic())
        {
            return Err(OrderNumberError::BadPrefix);
        }
        if !(1..=9999).contains(&sequence) {
            return Err(OrderNumberError::BadSequence);
        }
        if !(0..=9999).contains(&date.year()) {
            return Err(OrderNumberError::BadDate(date.to_string()));
        }
        Ok(OrderNumber(format!(
            "{}{}{sequence:04}",
            prefix.to_ascii_uppercase(),
            date.format("%Y%m%d")
        )))
    }

    pub fn parse(text: &str) -> Result<OrderNumber, OrderNumberError> {
        if text.is_empty() {
            return Err(OrderNumberError::Empty);
        }
        let prefix_len = text.bytes().take_while(u8::is_ascii_alphabetic).count();
        if prefix_len == 0 || prefix_len > Self::MAX_PREFIX_LEN {
            return Err(OrderNumberError::BadPrefix);
        }
        let rest = &text[prefix_len..];
        if rest.len() != 12 || !rest.bytes().all(|b| b.is_ascii_digit()) {
            return Err(OrderNumberError::BadShape);
        }
        let (date_text, sequence_text) = rest.split_at(8);
        let date = NaiveDate::parse_from_str(date_text, "%Y%m%d")
            .map_err(|_| OrderNumberError::BadDate(date_text.to_string()))?;
        let sequence: u16 = sequence_text
            .parse()
            .map_err(|_| OrderNumberError::BadSequence)?;
        OrderNumber::new(&text[..prefix_len], date, sequence)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    fn prefix_len(&self) -> usize {
        self.0.len().saturating_sub(12)
    }

    /// The sub-platform letters, e.g. `BS`.
    pub fn prefix(&self) -> &str {
        &self.0[..self.prefix_len()]
    }

    /// The registration day encoded in the number.
    pub fn date(&self) -> Option<NaiveDate> {
        let start = self.prefix_len();
        NaiveDate::parse_from_str(self.0.get(start..start + 8)?, "%Y%m%d").ok()
    }

    pub fn sequence(&self) -> u16 {
        self.0
            .get(self.prefix_len() + 8..)
            .and_then(|s| s.parse().ok())
            .unwrap_or(0)
    }
}

impl fmt::Display for OrderNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl FromStr for OrderNumber {
    type Err = OrderNumberError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        OrderNumber::parse(s)
    }
}

impl TryFrom<String> for OrderNumber {
    type Error = OrderNumberError;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        OrderNumber::parse(&s)
    }
}

impl From<OrderNumber> for String {
    fn from(n: OrderNumber) -> String {
        n.0
    }
}

/// Why a code (matter category or department) did not parse.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct CodeError(pub &'static str);

/// 事项分类编码: a node in the configurable matter taxonomy, written as dot-separated
/// segments (`03.02.11`) or as one numeric string (`030211`). The taxonomy itself is data;
/// this only guarantees the shape: 1–8 segments of 1–6 digits or uppercase letters
/// (lowercase is normalised), at most 64 characters.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct MatterCategoryCode(String);

impl MatterCategoryCode {
    pub fn parse(text: &str) -> Result<MatterCategoryCode, CodeError> {
        if text.is_empty() {
            return Err(CodeError("matter category code is empty"));
        }
        if text.len() > 64 {
            return Err(CodeError(
                "matter category code is longer than 64 characters",
            ));
        }
        let segments: Vec<&str> = text.split('.').collect();
        if segments.len() > 8 {
            return Err(CodeError("matter category code has more than 8 levels"));
        }
        for segment in &segments {
            if segment.is_empty() {
                return Err(CodeError(
                    "matter category code has an empty level (two dots, or a dot at an end)",
                ));
            }
            if segment.len() > 6 {
                return Err(CodeError(
                    "each level of a matter category code has at most 6 characters",
                ));
            }
            if !segment.bytes().all(|b| b.is_ascii_alphanumeric()) {
                return Err(CodeError(
                    "a matter category code has only digits, letters and dots",
                ));
            }
        }
        Ok(MatterCategoryCode(text.to_ascii_uppercase()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The levels from the root down, e.g. `["03", "02", "11"]`.
    pub fn levels(&self) -> impl Iterator<Item = &str> {
        self.0.split('.')
    }

    /// The category one level up, if this is not a root.
    pub fn parent(&self) -> Option<MatterCategoryCode> {
        self.0
            .rsplit_once('.')
            .map(|(parent, _)| MatterCategoryCode(parent.to_string()))
    }

    /// Whether this code is `ancestor` or lies below it (for filtering by a subtree).
    pub fn is_within(&self, ancestor: &MatterCategoryCode) -> bool {
        self.0 == ancestor.0
            || (self.0.starts_with(&ancestor.0)
                && self.0.as_bytes().get(ancestor.0.len()) == Some(&b'.'))
    }
}

impl fmt::Display for MatterCategoryCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl FromStr for MatterCategoryCode {
    type Err = CodeError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        MatterCategoryCode::parse(s)
    }
}

impl TryFrom<String> for MatterCategoryCode {
    type Error = CodeError;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        MatterCategoryCode::parse(&s)
    }
}

impl From<MatterCategoryCode> for String {
    fn from(c: MatterCategoryCode) -> String {
        c.0
    }
}

/// 承办单位编码: identifies a county department. Whether the department exists is the
/// store's question; this only guarantees a safe shape: 1–32 ASCII letters, digits, `-`, `_`
/// or `.`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct DepartmentCode(String);

impl DepartmentCode {
    pub fn parse(text: &str) -> Result<DepartmentCode, CodeError> {
        if text.is_empty() {
            return Err(CodeError("department code is empty"));
        }
        if text.len() > 32 {
            return Err(CodeError("department code is longer than 32 characters"));
        }
        if !text
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'))
        {
            return Err(CodeError(
                "department code has only letters, digits, '-', '_' and '.'",
            ));
        }
        Ok(DepartmentCode(text.to_string()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for DepartmentCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl FromStr for DepartmentCode {
    type Err = CodeError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        DepartmentCode::parse(s)
    }
}

impl TryFrom<String> for DepartmentCode {
    type Error = CodeError;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        DepartmentCode::parse(&s)
    }
}

impl From<DepartmentCode> for String {
    fn from(c: DepartmentCode) -> String {
        c.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn serde_name<T: Serialize>(value: T) -> String {
        match serde_json::to_value(value) {
            Ok(serde_json::Value::String(s)) => s,
            other => panic!("not a string: {other:?}"),
        }
    }

    #[test]
    fn codes_equal_serde_names_and_round_trip() {
        for &k in RequestKind::ALL {
            assert_eq!(serde_name(k), k.code());
            assert_eq!(RequestKind::from_code(k.code()), Some(k));
        }
        for &s in OrderState::ALL {
            assert_eq!(serde_name(s), s.code());
            assert_eq!(OrderState::from_code(s.code()), Some(s));
        }
        for &s in Source::ALL {
            assert_eq!(serde_name(s), s.code());
            assert_eq!(Source::from_code(s.code()), Some(s));
        }
        for &l in SupervisionLevel::ALL {
            assert_eq!(serde_name(l), l.code());
        }
        for &s in Satisfaction::ALL {
            assert_eq!(serde_name(s), s.code());
        }
        for &e in EmergencyService::ALL {
            assert_eq!(serde_name(e), e.code());
        }
        for &c in InvalidCategory::ALL {
            assert_eq!(serde_name(c), c.code());
        }
        assert_eq!(OrderState::ALL.len(), 16);
        assert_eq!(RequestKind::ALL.len(), 7);
    }

    #[test]
    fn terminal_states_are_exactly_the_five_ends() {
        let terminal: Vec<_> = OrderState::ALL.iter().filter(|s| s.is_terminal()).collect();
        assert_eq!(
            terminal,
            [
                &OrderState::DirectlyResolved,
                &OrderState::Closed,
                &OrderState::Merged,
                &OrderState::Invalid,
                &OrderState::TransferredToEmergency
            ]
        );
    }

    #[test]
    fn supervision_levels_are_ordered_by_severity() {
        let levels = SupervisionLevel::ALL;
        assert!(levels.windows(2).all(|w| w[0] < w[1]));
    }

    #[test]
    fn order_number_parses_formats_and_exposes_parts() {
        let n = OrderNumber::parse("BS202611270001").unwrap();
        assert_eq!(n.to_string(), "BS202611270001");
        assert_eq!(n.prefix(), "BS");
        assert_eq!(n.date(), NaiveDate::from_ymd_opt(2026, 11, 27));
        assert_eq!(n.sequence(), 1);
        assert_eq!(OrderNumber::parse("bs202611270001").unwrap(), n);
        let built =
            OrderNumber::new("BS", NaiveDate::from_ymd_opt(2026, 11, 27).unwrap(), 1).unwrap();
        assert_eq!(built, n);
        assert_eq!(serde_json::to_string(&n).unwrap(), "\"BS202611270001\"");
        let back: OrderNumber = serde_json::from_str("\"HK202501010123\"").unwrap();
        assert_eq!(back.sequence(), 123);
    }

    #[test]
    fn order_number_rejects_everything_else_with_a_reason() {
        use OrderNumberError as E;
        let cases: &[(&str, OrderNumberError)] = &[
            ("", E::Empty),
            ("202611270001", E::BadPrefix),
            ("BSXYZWQ202611270001", E::BadPrefix),
            ("BS20261127001", E::BadShape),
            ("BS2026112700011", E::BadShape),
            ("BS 202611270001", E::BadShape),
            ("BS20261127000１", E::BadShape),
            ("BS202613270001", E::BadDate("20261327".into())),
            ("BS202602300001", E::BadDate("20260230".into())),
            ("BS202611270000", E::BadSequence),
            ("白沙202611270001", E::BadPrefix),
        ];
        for (text, expected) in cases {
            assert_eq!(OrderNumber::parse(text).as_ref(), Err(expected), "{text}");
        }
        assert!(serde_json::from_str::<OrderNumber>("\"BS2026\"").is_err());
        assert_eq!(
            OrderNumber::new("BS", NaiveDate::from_ymd_opt(2026, 1, 1).unwrap(), 0),
            Err(E::BadSequence)
        );
    }

    #[test]
    fn matter_category_codes_validate_shape_and_know_their_tree() {
        let code = MatterCategoryCode::parse("03.02.11").unwrap();
        assert_eq!(code.levels().collect::<Vec<_>>(), ["03", "02", "11"]);
        let parent = code.parent().unwrap();
        assert_eq!(parent.as_str(), "03.02");
        assert!(code.is_within(&parent));
        assert!(code.is_within(&code));
        assert!(!parent.is_within(&code));
        assert!(
            !MatterCategoryCode::parse("03.021")
                .unwrap()
                .is_within(&parent)
        );
        assert_eq!(MatterCategoryCode::parse("030211").unwrap().parent(), None);
        assert_eq!(
            MatterCategoryCode::parse("a1.b2").unwrap().as_str(),
            "A1.B2"
        );
        for bad in [
            "",
            ".",
            "03..02",
            "03.",
            "03 02",
            "1234567",
            "1.2.3.4.5.6.7.8.9",
            "交通",
        ] {
            assert!(MatterCategoryCode::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn department_codes_validate_shape() {
        assert!(DepartmentCode::parse("bs-zhujian_01").is_ok());
        for bad in ["", "a b", "住建局", &"x".repeat(33)] {
            assert!(DepartmentCode::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn callback_outcomes_serialize_with_a_status_tag_and_know_when_reopen_is_possible() {
        let reached = CallbackOutcome::Reached {
            resolved: true,
            satisfaction: Satisfaction::BasicallySatisfied,
        };
        assert_eq!(
            serde_json::to_value(reached).unwrap(),
            serde_json::json!({"status": "reached", "resolved": true, "satisfaction": "basically_satisfied"})
        );
        assert!(!reached.allows_reopen());
        assert!(
            CallbackOutcome::Reached {
                resolved: true,
                satisfaction: Satisfaction::Dissatisfied
            }
            .allows_reopen()
        );
        assert!(
            CallbackOutcome::Reached {
                resolved: false,
                satisfaction: Satisfaction::Satisfied
            }
            .allows_reopen()
        );
        assert!(!CallbackOutcome::Unreachable { attempts: 3 }.allows_reopen());
        assert!(Satisfaction::BasicallySatisfied.counts_as_satisfied());
        assert!(!Satisfaction::Dissatisfied.counts_as_satisfied());
    }
}
