//! The nine indicators of the provincial 12345 platform standard (平台考核标准), in the
//! standard's order. Their meaning is fixed by the standard; their targets and points are
//! rules (see [`crate::rules`]).

use serde::{Deserialize, Serialize};

/// One of the nine assessment indicators. `id()` is the number in the standard (1–9).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Indicator {
    /// 1 接通率: calls answered by an agent ÷ calls that asked for an agent.
    AnswerRate,
    /// 2 咨询类诉求一次性解决率: consultations closed at the front desk ÷ all consultations.
    FirstContactResolution,
    /// 3 转派单24小时回访及时率: completed dispatched orders called back within 24 h ÷ all.
    CallbackTimeliness,
    /// 4 前台服务满意率: callers rating "satisfied" or "basically satisfied" ÷ callers rating.
    FrontDeskSatisfaction,
    /// 5 有理由投诉: justified complaints against an agent, per case.
    JustifiedComplaints,
    /// 6 人员半年流失率: certified staff who left in the half year ÷ headcount.
    StaffAttrition,
    /// 7 突发事件响应处置及时率: late emergency responses with consequences, per case.
    EmergencyResponse,
    /// 8 运行维护指标: fault responses that broke the maintenance clause, per case.
    Maintenance,
    /// 9 群众表扬: verified praise by call, letter or banner (锦旗); a bonus.
    CitizenPraise,
}

/// How an indicator is scored.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum IndicatorKind {
    /// A share of a count compared with a target, points per percentage point off target.
    Rate,
    /// Full points minus a deduction per case.
    PerCase,
    /// Points added per item, up to a cap.
    Bonus,
}

impl IndicatorKind {
    /// Stable code used in the rules file.
    pub fn code(self) -> &'static str {
        match self {
            IndicatorKind::Rate => "rate",
            IndicatorKind::PerCase => "per_case",
            IndicatorKind::Bonus => "bonus",
        }
    }

    pub(crate) fn from_code(code: &str) -> Option<Self> {
        match code {
            "rate" => Some(IndicatorKind::Rate),
            "per_case" => Some(IndicatorKind::PerCase),
            "bonus" => Some(IndicatorKind::Bonus),
            _ => None,
        }
    }
}

impl Indicator {
    /// All nine, in the standard's order (ids 1–9).
    pub const ALL: [Indicator; 9] = [
        Indicator::AnswerRate,
        Indicator::FirstContactResolution,
        Indicator::CallbackTimeliness,
        Indicator::FrontDeskSatisfaction,
        Indicator::JustifiedComplaints,
        Indicator::StaffAttrition,
        Indicator::EmergencyResponse,
        Indicator::Maintenance,
        Indicator::CitizenPraise,
    ];

    /// The indicator's number in the standard, 1–9.
    pub fn id(self) -> u8 {
        match self {
            Indicator::AnswerRate => 1,
            Indicator::FirstContactResolution => 2,
            Indicator::CallbackTimeliness => 3,
            Indicator::FrontDeskSatisfaction => 4,
            Indicator::JustifiedComplaints => 5,
            Indicator::StaffAttrition => 6,
            Indicator::EmergencyResponse => 7,
            Indicator::Maintenance => 8,
            Indicator::CitizenPraise => 9,
        }
    }

    /// The indicator with this number, if it is 1–9.
    pub fn from_id(id: u8) -> Option<Self> {
        Self::ALL.get(usize::from(id).checked_sub(1)?).copied()
    }

    /// Stable snake_case code (the serde name).
    pub fn code(self) -> &'static str {
        match self {
            Indicator::AnswerRate => "answer_rate",
            Indicator::FirstContactResolution => "first_contact_resolution",
            Indicator::CallbackTimeliness => "callback_timeliness",
            Indicator::FrontDeskSatisfaction => "front_desk_satisfaction",
            Indicator::JustifiedComplaints => "justified_complaints",
            Indicator::StaffAttrition => "staff_attrition",
            Indicator::EmergencyResponse => "emergency_response",
            Indicator::Maintenance => "maintenance",
            Indicator::CitizenPraise => "citizen_praise",
        }
    }

    /// The name in the standard, as the county office reads it.
    pub fn label_zh(self) -> &'static str {
        match self {
            Indicator::AnswerRate => "接通率",
            Indicator::FirstContactResolution => "咨询类诉求一次性解决率",
            Indicator::CallbackTimeliness => "转派单24小时回访及时率",
            Indicator::FrontDeskSatisfaction => "前台服务满意率",
            Indicator::JustifiedComplaints => "有理由投诉",
            Indicator::StaffAttrition => "人员半年流失率",
            Indicator::EmergencyResponse => "突发事件响应处置及时率",
            Indicator::Maintenance => "运行维护指标",
            Indicator::CitizenPraise => "群众表扬",
        }
    }

    /// English name.
    pub fn label_en(self) -> &'static str {
        match self {
            Indicator::AnswerRate => "Answer rate",
            Indicator::FirstContactResolution => "First-contact resolution of consultations",
            Indicator::CallbackTimeliness => "24-hour callback timeliness",
            Indicator::FrontDeskSatisfaction => "Front-desk satisfaction",
            Indicator::JustifiedComplaints => "Justified complaints",
            Indicator::StaffAttrition => "Half-year staff attrition",
            Indicator::EmergencyResponse => "Emergency response timeliness",
            Indicator::Maintenance => "Operation and maintenance",
            Indicator::CitizenPraise => "Citizen praise",
        }
    }

    /// How the standard scores this indicator; the rules file must agree.
    pub fn kind(self) -> IndicatorKind {
        match self {
            Indicator::AnswerRate
            | Indicator::FirstContactResolution
            | Indicator::CallbackTimeliness
            | Indicator::FrontDeskSatisfaction
            | Indicator::StaffAttrition => IndicatorKind::Rate,
            Indicator::JustifiedComplaints
            | Indicator::EmergencyResponse
            | Indicator::Maintenance => IndicatorKind::PerCase,
            Indicator::CitizenPraise => IndicatorKind::Bonus,
        }
    }

    /// For rates: whether a higher share is better (all but attrition).
    pub fn higher_is_better(self) -> bool {
        !matches!(self, Indicator::StaffAttrition)
    }

    /// What one counted success is called, (Chinese, English), for live-view hints.
    pub fn success_words(self) -> (&'static str, &'static str) {
        match self {
            Indicator::AnswerRate => ("接通电话", "answered calls"),
            Indicator::FirstContactResolution => {
                ("一次性解决的咨询", "consultations closed at the desk")
            }
            Indicator::CallbackTimeliness => ("24小时内回访", "callbacks within 24 h"),
            Indicator::FrontDeskSatisfaction => ("满意评价", "satisfied ratings"),
            Indicator::StaffAttrition => ("留任人员", "staff staying"),
            Indicator::JustifiedComplaints => ("投诉", "complaints"),
            Indicator::EmergencyResponse => ("突发事件", "emergencies"),
            Indicator::Maintenance => ("故障", "faults"),
            Indicator::CitizenPraise => ("表扬", "praise"),
        }
    }

    /// What one failure is called, (Chinese, English), for live-view hints.
    pub fn failure_words(self) -> (&'static str, &'static str) {
        match self {
            Indicator::AnswerRate => ("漏接电话", "missed calls"),
            Indicator::FirstContactResolution => {
                ("未一次性解决的咨询", "consultations not closed at the desk")
            }
            Indicator::CallbackTimeliness => ("超时回访", "late callbacks"),
            Indicator::FrontDeskSatisfaction => ("不满意评价", "dissatisfied ratings"),
            Indicator::StaffAttrition => ("离职人员", "leavers"),
            Indicator::JustifiedComplaints => ("有理由投诉", "justified complaints"),
            Indicator::EmergencyResponse => ("迟响应", "late responses"),
            Indicator::Maintenance => ("超时响应", "late fault responses"),
            Indicator::CitizenPraise => ("未核实表扬", "unverified praise"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_round_trip_and_follow_the_standard_order() {
        for (i, ind) in Indicator::ALL.iter().enumerate() {
            assert_eq!(usize::from(ind.id()), i + 1);
            assert_eq!(Indicator::from_id(ind.id()), Some(*ind));
            assert_eq!(
                serde_json::to_value(ind).ok(),
                Some(serde_json::json!(ind.code()))
            );
        }
        assert_eq!(Indicator::from_id(0), None);
        assert_eq!(Indicator::from_id(10), None);
    }
}
