//! rexian's assessment core (平台考核): the provincial 12345 standard's nine indicators,
//! scored exactly for any period from counts and record ids the aggregator hands over,
//! with the total, the payment ratio and a live projection. Pure: no I/O, no clock.
//!
//! - [`rules`]: the rules as versioned data (`config/assessment.toml`), validated on read.
//! - [`period`]: months, quarters, half years, years, contract years, explicit dates.
//! - [`score`]: [`assess`] turns a period's records into the report (the JSON).
//! - [`projection`]: [`project`] the month so far, with how far each rate is from points.
//! - [`RecordId`]: the id of a record behind a figure (`call:123`), compact and serialized
//!   as its text.

mod fixed;
pub mod indicator;
pub mod period;
pub mod projection;
mod record_id;
pub mod rules;
pub mod score;

pub use indicator::{Indicator, IndicatorKind};
pub use period::{Period, PeriodError, PeriodKind, SHANGHAI};
pub use projection::{Headroom, ProjectedIndicator, Projection, project};
pub use record_id::RecordId;
pub use rules::{
    BAISHA_DEFAULT_TOML, BonusRule, FieldError, HeadcountBasis, IndicatorRule, NoDataScoring,
    PartialPoints, PaymentBand, PaymentTable, PerCaseRule, RateRule, RuleBook, RuleSelection,
    RuleSet, RulesError, Scoring, ScoringOptions,
};
pub use score::{
    AnswerRateInput, AssessError, Assessment, AssessmentInput, AttritionInput, Case, CaseLevel,
    IndicatorResult, PraiseItem, PraiseKind, RateInput, Records, RulesVersionRef, assess,
    assess_with,
};
