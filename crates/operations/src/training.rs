//! Trainings (培训): the contract asks for 3 to 5 a year, counted over the contract year.

use std::collections::BTreeMap;

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use crate::codes::coded_enum;
use crate::error::{OpsError, Result, require_text};
use crate::ids::{StaffId, TrainingId};
use crate::time::DateRange;

/// One training session.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Training {
    pub id: TrainingId,
    pub date: NaiveDate,
    pub topic: String,
    pub trainer: String,
    pub attendees: Vec<StaffId>,
    pub duration_minutes: u32,
    /// Reference to the material (file name, link); the file itself is stored elsewhere.
    #[serde(default)]
    pub material: Option<String>,
}

impl Training {
    pub fn validate(&self) -> Result<()> {
        require_text("topic", &self.topic)?;
        require_text("trainer", &self.trainer)?;
        if self.duration_minutes == 0 || self.duration_minutes > 24 * 60 {
            return Err(OpsError::invalid(
                "duration_minutes",
                format!("{} is not in 1..=1440", self.duration_minutes),
            ));
        }
        if self.attendees.is_empty() {
            return Err(OpsError::invalid("attendees", "a training needs attendees"));
        }
        let mut seen = self.attendees.clone();
        seen.sort();
        if let Some(w) = seen.windows(2).find(|w| w[0] == w[1]) {
            return Err(OpsError::invalid(
                "attendees",
                format!("staff {} is listed twice", w[0]),
            ));
        }
        Ok(())
    }
}

/// How many trainings a contract year needs (the contract: 3 to 5).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TrainingRules {
    pub min_per_year: u32,
    pub max_per_year: u32,
}

impl Default for TrainingRules {
    fn default() -> Self {
        TrainingRules {
            min_per_year: 3,
            max_per_year: 5,
        }
    }
}

impl TrainingRules {
    pub fn validate(&self) -> Result<()> {
        if self.min_per_year > self.max_per_year {
            return Err(OpsError::invalid(
                "training",
                format!(
                    "min_per_year {} is above max_per_year {}",
                    self.min_per_year, self.max_per_year
                ),
            ));
        }
        Ok(())
    }
}

coded_enum! {
    /// Where the count stands against the contract's range.
    pub enum TrainingStatus {
        Below => ("below", "未达到次数"),
        Within => ("within", "符合要求"),
        /// More than the contract's maximum: allowed, but beyond the budgeted cost.
        Above => ("above", "超出计划次数"),
    }
}

/// Trainings held in a contract year (up to `as_of` when given), against the required range.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TrainingCount {
    pub year: DateRange,
    pub as_of: Option<NaiveDate>,
    pub held: u32,
    pub min_per_year: u32,
    pub max_per_year: u32,
    /// Trainings still needed to reach the minimum.
    pub still_needed: u32,
    pub status: TrainingStatus,
    pub trainings: Vec<TrainingId>,
}

pub fn training_count(
    trainings: &[Training],
    contract_year: DateRange,
    as_of: Option<NaiveDate>,
    rules: &TrainingRules,
) -> TrainingCount {
    let mut held: Vec<&Training> = trainings
        .iter()
        .filter(|t| contract_year.contains(t.date) && as_of.is_none_or(|a| t.date <= a))
        .collect();
    held.sort_by_key(|t| (t.date, t.id));
    let n = held.len() as u32;
    let status = if n < rules.min_per_year {
        TrainingStatus::Below
    } else if n > rules.max_per_year {
        TrainingStatus::Above
    } else {
        TrainingStatus::Within
    };
    TrainingCount {
        year: contract_year,
        as_of,
        held: n,
        min_per_year: rules.min_per_year,
        max_per_year: rules.max_per_year,
        still_needed: rules.min_per_year.saturating_sub(n),
        status,
        trainings: held.iter().map(|t| t.id).collect(),
    }
}

/// Sessions and minutes of training per person in a range.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Attendance {
    pub staff_id: StaffId,
    pub sessions: u32,
    pub minutes: u32,
}

pub fn attendance(trainings: &[Training], range: DateRange) -> Vec<Attendance> {
    let mut map: BTreeMap<StaffId, Attendance> = BTreeMap::new();
    for t in trainings.iter().filter(|t| range.contains(t.date)) {
        for id in &t.attendees {
            let a = map.entry(*id).or_insert(Attendance {
                staff_id: *id,
                sessions: 0,
                minutes: 0,
            });
            a.sessions += 1;
            a.minutes = a.minutes.saturating_add(t.duration_minutes);
        }
    }
    map.into_values().collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    fn training(id: i64, date: NaiveDate, attendees: &[i64]) -> Training {
        Training {
            id: TrainingId(id),
            date,
            topic: "12345热线服务规范".into(),
            trainer: "县12345办公室".into(),
            attendees: attendees.iter().map(|i| StaffId(*i)).collect(),
            duration_minutes: 120,
            material: None,
        }
    }

    #[test]
    fn count_against_the_contract_year() {
        // contract year 2025-04-15 .. 2026-04-15
        let year = DateRange::new(d(2025, 4, 15), d(2026, 4, 15)).unwrap();
        let ts = vec![
            training(1, d(2025, 4, 14), &[1]), // before the year
            training(2, d(2025, 5, 10), &[1, 2]),
            training(3, d(2025, 9, 1), &[1]),
            training(4, d(2026, 4, 14), &[2]), // last day of the year
            training(5, d(2026, 4, 15), &[2]), // next year
        ];
        let rules = TrainingRules::default();
        let c = training_count(&ts, year, None, &rules);
        assert_eq!(
            (c.held, c.still_needed, c.status),
            (3, 0, TrainingStatus::Within)
        );
        assert_eq!(
            c.trainings,
            vec![TrainingId(2), TrainingId(3), TrainingId(4)]
        );
        let live = training_count(&ts, year, Some(d(2025, 12, 31)), &rules);
        assert_eq!(
            (live.held, live.still_needed, live.status),
            (2, 1, TrainingStatus::Below)
        );
        let many: Vec<Training> = (0..6).map(|i| training(i, d(2025, 6, 1), &[1])).collect();
        assert_eq!(
            training_count(&many, year, None, &rules).status,
            TrainingStatus::Above
        );
        let a = attendance(&ts, year);
        assert_eq!(
            a,
            vec![
                Attendance {
                    staff_id: StaffId(1),
                    sessions: 2,
                    minutes: 240
                },
                Attendance {
                    staff_id: StaffId(2),
                    sessions: 2,
                    minutes: 240
                },
            ]
        );
    }

    #[test]
    fn validation_names_the_field() {
        let mut t = training(1, d(2025, 5, 1), &[1, 1]);
        assert!(
            t.validate()
                .unwrap_err()
                .to_string()
                .contains("listed twice")
        );
        t.attendees = vec![StaffId(1)];
        t.duration_minutes = 0;
        assert!(
            t.validate()
                .unwrap_err()
                .to_string()
                .contains("duration_minutes")
        );
        t.duration_minutes = 90;
        t.topic = " ".into();
        assert!(t.validate().unwrap_err().to_string().contains("topic"));
        assert!(
            TrainingRules {
                min_per_year: 6,
                max_per_year: 5
            }
            .validate()
            .is_err()
        );
    }
}
