//! The operations rules as data: shifts and roster limits, attrition settings, training
//! range, fault deadlines, inspection checklists, quality points and review sheet, and a
//! default bill of quantities. The Baisha defaults live in `config/operations.toml` and are
//! compiled in, so the binary always has them; any TOML string with the same shape can
//! replace them.

use serde::{Deserialize, Serialize};

use crate::assets::Checklists;
use crate::attrition::AttritionSettings;
use crate::contract::{BillLine, bill_total};
use crate::error::{OpsError, Result};
use crate::faults::FaultRules;
use crate::quality::{QualityPoints, ReviewSheet};
use crate::roster::{RosterRules, ShiftSet};
use crate::training::TrainingRules;

/// The annotated default configuration (Baisha County), as shipped.
pub const DEFAULT_CONFIG_TOML: &str = include_str!("../../../config/operations.toml");

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RosterConfig {
    pub rules: RosterRules,
    pub shifts: ShiftSet,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StaffRules {
    /// People the contract insures against accidents (13).
    pub insured_people_required: u32,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct InspectionConfig {
    pub checklists: Checklists,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct QualityConfig {
    pub points: QualityPoints,
    pub review_sheet: ReviewSheet,
}

/// Defaults for a new contract: the final-payment share and an example bill.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ContractDefaults {
    pub final_payment_share_bp: u32,
    pub bill: Vec<BillLine>,
}

/// Everything configurable in this crate.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OperationsConfig {
    pub roster: RosterConfig,
    pub staff: StaffRules,
    pub attrition: AttritionSettings,
    pub training: TrainingRules,
    pub faults: FaultRules,
    pub inspections: InspectionConfig,
    pub quality: QualityConfig,
    pub contract: ContractDefaults,
}

impl OperationsConfig {
    /// The shipped Baisha defaults.
    pub fn baisha_default() -> Result<Self> {
        Self::from_toml_str(DEFAULT_CONFIG_TOML)
    }

    /// Parses and validates a configuration.
    pub fn from_toml_str(text: &str) -> Result<Self> {
        let config: OperationsConfig =
            toml::from_str(text).map_err(|e| OpsError::Config(e.to_string()))?;
        config.validate()?;
        Ok(config)
    }

    /// Serializes back to TOML (without the comments of the shipped file).
    pub fn to_toml_string(&self) -> Result<String> {
        toml::to_string(self).map_err(|e| OpsError::Config(e.to_string()))
    }

    pub fn validate(&self) -> Result<()> {
        let wrap = |e: OpsError| OpsError::Config(e.to_string());
        self.roster.shifts.validate().map_err(wrap)?;
        self.roster.rules.validate().map_err(wrap)?;
        self.training.validate().map_err(wrap)?;
        self.faults.validate().map_err(wrap)?;
        self.inspections.checklists.validate().map_err(wrap)?;
        self.quality.points.validate().map_err(wrap)?;
        self.quality.review_sheet.validate().map_err(wrap)?;
        if self.contract.final_payment_share_bp > 10_000 {
            return Err(OpsError::Config(format!(
                "final_payment_share_bp {} is more than 100 %",
                self.contract.final_payment_share_bp
            )));
        }
        for line in &self.contract.bill {
            line.validate().map_err(wrap)?;
        }
        bill_total(&self.contract.bill).map_err(wrap)?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::assets::AssetType;

    #[test]
    fn shipped_defaults_parse_and_match_the_issue() {
        let c = OperationsConfig::baisha_default().unwrap();
        assert_eq!(c.roster.rules, RosterRules::default());
        assert_eq!(c.faults, FaultRules::default());
        assert_eq!(c.training, TrainingRules::default());
        assert_eq!(c.attrition, AttritionSettings::default());
        assert_eq!(c.quality.points, QualityPoints::default());
        assert_eq!(c.staff.insured_people_required, 13);
        for t in AssetType::ALL {
            assert!(c.inspections.checklists.get(*t).is_some(), "{t}");
        }
    }

    #[test]
    fn round_trips_through_toml() {
        let c = OperationsConfig::baisha_default().unwrap();
        let text = c.to_toml_string().unwrap();
        assert_eq!(OperationsConfig::from_toml_str(&text).unwrap(), c);
    }

    #[test]
    fn bad_configuration_is_refused_with_the_reason() {
        let cases = [
            (
                "min_rest_hours = 11",
                "min_rest_hours = 11\nmin_rest = 3",
                "unknown field",
            ),
            ("\nnight = true\n", "\nnight = false\n", "night duty"),
            (
                "response_minutes = 30",
                "response_minutes = 300",
                "response",
            ),
            (
                "headcount = \"average\"",
                "headcount = \"median\"",
                "median",
            ),
            ("start = \"08:00\"", "start = \"8h\"", "HH:MM"),
        ];
        for (from, to, needle) in cases {
            let text = DEFAULT_CONFIG_TOML.replacen(from, to, 1);
            let err = OperationsConfig::from_toml_str(&text).unwrap_err();
            assert_eq!(err.code(), "invalid_config");
            assert!(err.to_string().contains(needle), "{from} → {err}");
        }
    }
}
