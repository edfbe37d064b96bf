//! Staff records: who works on the sub-platform, in what position, since when, whether they
//! are certified to work a seat alone (独立上机), the languages callers may need, and the
//! accident insurance the contract requires for 13 people.
//!
//! Employment is a list of spells so that a person who leaves and is re-hired keeps one
//! record: attrition (see [`crate::attrition`]) counts departures per spell and people once.

use chrono::NaiveDate;
use rexian_domain::Role;
use serde::{Deserialize, Serialize};

use crate::codes::coded_enum;
use crate::error::{OpsError, Result, require_text};
use crate::ids::{StaffId, UserId};
pub use crate::privacy::{IdCardNumber, MobileNumber};

coded_enum! {
    /// Position in the bill of quantities (1 shift leader, 2 managers, 10 agents).
    pub enum Position {
        ShiftLeader => ("shift_leader", "班长"),
        Manager => ("manager", "管理岗"),
        Agent => ("agent", "客服代表"),
    }
}

impl Position {
    /// The login role a person in this position normally gets.
    pub fn role(self) -> Role {
        match self {
            Position::ShiftLeader => Role::ShiftLeader,
            Position::Manager => Role::Manager,
            Position::Agent => Role::Agent,
        }
    }
}

coded_enum! {
    /// Why an employment spell ended.
    pub enum LeaveReason {
        Resigned => ("resigned", "辞职"),
        Dismissed => ("dismissed", "辞退"),
        Transferred => ("transferred", "调岗"),
        ContractEnded => ("contract_ended", "合同到期"),
    }
}

coded_enum! {
    /// Languages callers in Baisha (a Li autonomous county) may speak.
    pub enum Language {
        Mandarin => ("mandarin", "普通话"),
        Hainanese => ("hainanese", "海南话"),
        Li => ("li", "黎语"),
    }
}

/// How a spell ended. `last_day` is the last day the person was on staff (最后工作日),
/// inclusive: someone whose last day is 30 June left in the first half year.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EmploymentEnd {
    pub last_day: NaiveDate,
    pub reason: LeaveReason,
    #[serde(default)]
    pub note: Option<String>,
}

/// One continuous period of employment. A re-hire is a second spell.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EmploymentSpell {
    /// First day on staff.
    pub start: NaiveDate,
    /// Day certified to work a seat independently (独立上机) during this spell; a re-hired
    /// person is certified again for the new spell.
    #[serde(default)]
    pub certified_on: Option<NaiveDate>,
    #[serde(default)]
    pub end: Option<EmploymentEnd>,
}

impl EmploymentSpell {
    /// On staff on `day` (start and last day included).
    pub fn covers(&self, day: NaiveDate) -> bool {
        self.start <= day && self.end.as_ref().is_none_or(|e| day <= e.last_day)
    }

    /// On staff and certified on `day`.
    pub fn certified_at(&self, day: NaiveDate) -> bool {
        self.covers(day) && self.certified_on.is_some_and(|c| c <= day)
    }

    pub fn last_day(&self) -> Option<NaiveDate> {
        self.end.as_ref().map(|e| e.last_day)
    }

    fn validate(&self) -> Result<()> {
        if let Some(end) = &self.end
            && end.last_day < self.start
        {
            return Err(OpsError::end_before_start(
                "employment",
                self.start,
                end.last_day,
            ));
        }
        if let Some(c) = self.certified_on {
            if c < self.start {
                return Err(OpsError::invalid(
                    "certified_on",
                    format!(
                        "certified on {c}, before employment started on {}",
                        self.start
                    ),
                ));
            }
            if let Some(last) = self.last_day()
                && c > last
            {
                return Err(OpsError::invalid(
                    "certified_on",
                    format!("certified on {c}, after the last day {last}"),
                ));
            }
        }
        Ok(())
    }
}

/// An accident-insurance policy (意外险) covering one person for a period (both days included).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InsurancePolicy {
    pub insurer: String,
    pub policy_number: String,
    pub first_day: NaiveDate,
    pub last_day: NaiveDate,
}

impl InsurancePolicy {
    pub fn covers(&self, day: NaiveDate) -> bool {
        self.first_day <= day && day <= self.last_day
    }

    pub fn validate(&self) -> Result<()> {
        require_text("insurer", &self.insurer)?;
        require_text("policy_number", &self.policy_number)?;
        if self.last_day < self.first_day {
            return Err(OpsError::end_before_start(
                "insurance period",
                self.first_day,
                self.last_day,
            ));
        }
        Ok(())
    }
}

/// A person on the operator's staff.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Staff {
    pub id: StaffId,
    pub name: String,
    pub position: Position,
    /// Employment spells, oldest first, never overlapping; at most the last one is open.
    pub employment: Vec<EmploymentSpell>,
    #[serde(default)]
    pub languages: Vec<Language>,
    /// Free-text skills (e.g. "政策咨询", "英语").
    #[serde(default)]
    pub skills: Vec<String>,
    #[serde(default)]
    pub insurance: Vec<InsurancePolicy>,
    /// The person's login, if they have one.
    #[serde(default)]
    pub user_id: Option<UserId>,
    /// Personal data: kept only where needed, shown in full to managers only.
    #[serde(default)]
    pub id_card: Option<IdCardNumber>,
    #[serde(default)]
    pub mobile: Option<MobileNumber>,
}

impl Staff {
    /// A new hire with one open spell.
    pub fn hire(id: StaffId, name: &str, position: Position, start: NaiveDate) -> Result<Staff> {
        let staff = Staff {
            id,
            name: name.trim().to_string(),
            position,
            employment: vec![EmploymentSpell {
                start,
                certified_on: None,
                end: None,
            }],
            languages: vec![Language::Mandarin],
            skills: Vec::new(),
            insurance: Vec::new(),
            user_id: None,
            id_card: None,
            mobile: None,
        };
        staff.validate()?;
        Ok(staff)
    }

    /// Checks the whole record: name, spell order, each spell's dates, insurance periods.
    pub fn validate(&self) -> Result<()> {
        require_text("name", &self.name)?;
        if self.employment.is_empty() {
            return Err(OpsError::invalid(
                "employment",
                "a staff record needs at least one employment spell",
            ));
        }
        for spell in &self.employment {
            spell.validate()?;
        }
        for pair in self.employment.windows(2) {
            let (prev, next) = (&pair[0], &pair[1]);
            match prev.last_day() {
                None => {
                    return Err(OpsError::Conflict {
                        what: "employment",
                        detail: format!(
                            "spell starting {} is still open; end it before the re-hire on {}",
                            prev.start, next.start
                        ),
                    });
                }
                Some(last) if next.start <= last => {
                    return Err(OpsError::Conflict {
                        what: "employment",
                        detail: format!(
                            "re-hire on {} overlaps the spell that ended on {last}",
                            next.start
                        ),
                    });
                }
                Some(_) => {}
            }
        }
        for policy in &self.insurance {
            policy.validate()?;
        }
        let mut langs = self.languages.clone();
        langs.sort();
        langs.dedup();
        if langs.len() != self.languages.len() {
            return Err(OpsError::invalid("languages", "a language is listed twice"));
        }
        Ok(())
    }

    /// The spell covering `day`, if the person was on staff then.
    pub fn spell_on(&self, day: NaiveDate) -> Option<&EmploymentSpell> {
        self.employment.iter().find(|s| s.covers(day))
    }

    pub fn is_on_staff(&self, day: NaiveDate) -> bool {
        self.spell_on(day).is_some()
    }

    /// Certified to work a seat alone on `day` (and on staff).
    pub fn is_certified_on(&self, day: NaiveDate) -> bool {
        self.employment.iter().any(|s| s.certified_at(day))
    }

    pub fn is_insured_on(&self, day: NaiveDate) -> bool {
        self.insurance.iter().any(|p| p.covers(day))
    }

    fn open_spell_mut(&mut self) -> Option<&mut EmploymentSpell> {
        self.employment.last_mut().filter(|s| s.end.is_none())
    }

    /// Records 独立上机 for the current spell.
    pub fn certify(&mut self, on: NaiveDate) -> Result<()> {
        let id = self.id.0;
        let spell = self.open_spell_mut().ok_or(OpsError::IllegalTransition {
            entity: "staff",
            id,
            state: "not employed",
            action: "certify",
        })?;
        if spell.certified_on.is_some() {
            return Err(OpsError::IllegalTransition {
                entity: "staff",
                id,
                state: "already certified",
                action: "certify",
            });
        }
        let mut next = spell.clone();
        next.certified_on = Some(on);
        next.validate()?;
        *spell = next;
        Ok(())
    }

    /// Ends the current spell: `last_day` is the last day on staff.
    pub fn leave(&mut self, last_day: NaiveDate, reason: LeaveReason) -> Result<()> {
        let id = self.id.0;
        let spell = self.open_spell_mut().ok_or(OpsError::IllegalTransition {
            entity: "staff",
            id,
            state: "not employed",
            action: "record a departure",
        })?;
        let mut next = spell.clone();
        next.end = Some(EmploymentEnd {
            last_day,
            reason,
            note: None,
        });
        next.validate()?;
        *spell = next;
        Ok(())
    }

    /// Starts a new spell for a person who left (a re-hire).
    pub fn rehire(&mut self, start: NaiveDate) -> Result<()> {
        let mut next = self.clone();
        next.employment.push(EmploymentSpell {
            start,
            certified_on: None,
            end: None,
        });
        next.validate()?;
        *self = next;
        Ok(())
    }

    /// What a list of staff shows: the personal numbers masked.
    pub fn summary(&self, on: NaiveDate) -> StaffSummary {
        StaffSummary {
            id: self.id,
            name: self.name.clone(),
            position: self.position,
            on_staff: self.is_on_staff(on),
            certified: self.is_certified_on(on),
            insured: self.is_insured_on(on),
            languages: self.languages.clone(),
            id_card_masked: self.id_card.as_ref().map(IdCardNumber::masked),
            mobile_masked: self.mobile.as_ref().map(MobileNumber::masked),
        }
    }
}

/// One row of a staff list: no full ID card or mobile number.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StaffSummary {
    pub id: StaffId,
    pub name: String,
    pub position: Position,
    pub on_staff: bool,
    pub certified: bool,
    pub insured: bool,
    pub languages: Vec<Language>,
    pub id_card_masked: Option<String>,
    pub mobile_masked: Option<String>,
}

/// Insurance coverage on a day: the contract requires accident insurance for 13 people.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InsuranceCoverage {
    pub day: NaiveDate,
    pub on_staff: u32,
    pub insured: u32,
    /// On staff but with no policy covering the day.
    pub uninsured: Vec<StaffId>,
    pub required: u32,
    /// Whether at least `required` people on staff are insured.
    pub meets_requirement: bool,
}

pub fn insurance_coverage(staff: &[Staff], day: NaiveDate, required: u32) -> InsuranceCoverage {
    let on_staff: Vec<&Staff> = staff.iter().filter(|s| s.is_on_staff(day)).collect();
    let uninsured: Vec<StaffId> = on_staff
        .iter()
        .filter(|s| !s.is_insured_on(day))
        .map(|s| s.id)
        .collect();
    let insured = (on_staff.len() - uninsured.len()) as u32;
    InsuranceCoverage {
        day,
        on_staff: on_staff.len() as u32,
        insured,
        uninsured,
        required,
        meets_requirement: insured >= required,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    #[test]
    fn end_before_start_is_refused_and_named() {
        let mut s = Staff::hire(StaffId(1), "王芳", Position::Agent, d(2025, 3, 1)).unwrap();
        let err = s.leave(d(2025, 2, 28), LeaveReason::Resigned).unwrap_err();
        assert_eq!(err.code(), "end_before_start");
        assert!(err.to_string().contains("employment"), "{err}");
        // nothing half-applied
        assert!(s.employment[0].end.is_none());
    }

    #[test]
    fn certified_outside_the_spell_is_refused() {
        let mut s = Staff::hire(StaffId(1), "王芳", Position::Agent, d(2025, 3, 1)).unwrap();
        let err = s.certify(d(2025, 2, 1)).unwrap_err();
        assert!(
            err.to_string().contains("before employment started"),
            "{err}"
        );
        s.certify(d(2025, 3, 20)).unwrap();
        assert!(s.certify(d(2025, 3, 21)).is_err());
        let err = s.leave(d(2025, 3, 10), LeaveReason::Resigned).unwrap_err();
        assert!(err.to_string().contains("after the last day"), "{err}");
    }

    #[test]
    fn rehire_needs_the_previous_spell_ended_and_no_overlap() {
        let mut s = Staff::hire(StaffId(1), "李明", Position::Agent, d(2024, 1, 1)).unwrap();
        assert_eq!(s.rehire(d(2025, 1, 1)).unwrap_err().code(), "conflict");
        s.leave(d(2024, 6, 30), LeaveReason::Resigned).unwrap();
        assert_eq!(s.rehire(d(2024, 6, 30)).unwrap_err().code(), "conflict");
        s.rehire(d(2024, 7, 1)).unwrap();
        assert!(s.is_on_staff(d(2024, 6, 30)));
        assert!(s.is_on_staff(d(2024, 7, 1)));
        assert!(!s.is_certified_on(d(2024, 7, 1)));
        assert_eq!(s.employment.len(), 2);
    }

    #[test]
    fn insurance_validation_and_coverage() {
        let mut a = Staff::hire(StaffId(1), "甲", Position::Agent, d(2025, 1, 1)).unwrap();
        let b = Staff::hire(StaffId(2), "乙", Position::Agent, d(2025, 1, 1)).unwrap();
        let policy = InsurancePolicy {
            insurer: "中国人保".into(),
            policy_number: "PICC-001".into(),
            first_day: d(2025, 1, 1),
            last_day: d(2025, 12, 31),
        };
        a.insurance.push(policy.clone());
        a.validate().unwrap();
        let cov = insurance_coverage(&[a.clone(), b], d(2025, 5, 1), 13);
        assert_eq!((cov.on_staff, cov.insured), (2, 1));
        assert_eq!(cov.uninsured, vec![StaffId(2)]);
        assert!(!cov.meets_requirement);
        a.insurance[0].last_day = d(2024, 12, 31);
        assert_eq!(a.validate().unwrap_err().code(), "end_before_start");
    }

    #[test]
    fn summary_masks_personal_numbers() {
        let mut s = Staff::hire(StaffId(7), "符丽", Position::ShiftLeader, d(2025, 1, 1)).unwrap();
        s.id_card = Some(IdCardNumber::parse("11010519491231002X").unwrap());
        s.mobile = Some(MobileNumber::parse("13812345678").unwrap());
        let row = s.summary(d(2025, 2, 1));
        assert_eq!(row.mobile_masked.as_deref(), Some("138****5678"));
        assert_eq!(row.id_card_masked.as_deref(), Some("1101**********002X"));
        let json = serde_json::to_string(&row).unwrap();
        assert!(!json.contains("13812345678"));
        assert_eq!(Position::ShiftLeader.role(), Role::ShiftLeader);
    }

    #[test]
    fn blank_name_and_duplicate_language_are_refused() {
        assert!(Staff::hire(StaffId(1), "  ", Position::Agent, d(2025, 1, 1)).is_err());
        let mut s = Staff::hire(StaffId(1), "甲", Position::Agent, d(2025, 1, 1)).unwrap();
        s.languages = vec![Language::Li, Language::Li];
        assert!(s.validate().is_err());
    }

    #[test]
    fn codes_are_the_serde_names() {
        for r in LeaveReason::ALL {
            let json = serde_json::to_string(r).unwrap();
            assert_eq!(json, format!("\"{}\"", r.code()));
            assert_eq!(LeaveReason::from_code(r.code()), Some(*r));
        }
        assert_eq!(LeaveReason::Dismissed.label_zh(), "辞退");
    }
}
