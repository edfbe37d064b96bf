//! Half-year staff attrition (人员半年流失率, indicator 6): certified staff who left in the
//! period ÷ headcount.
//!
//! Definitions (each written so a manager can check a figure by hand):
//! - **Certified on a day**: on staff that day and certified (独立上机) on or before it, in the
//!   same employment spell.
//! - **Headcount at the start**: people certified on the period's first day.
//! - **Headcount at the end**: people certified on the period's last day who are still on
//!   staff after it (their last day is later, or open). Someone whose last day is the
//!   period's last day is a leaver of the period, not part of its closing headcount.
//! - **Departure**: an employment spell whose last day falls in the period and that was
//!   certified by then. Departures of people never certified are not attrition.
//! - **Leavers**: distinct people with a counted departure. A person counts once however
//!   often they left; departures whose reason is excluded by the settings do not count; and
//!   with [`RehireRule::IgnoreIfBack`], a departure followed by a re-hire that starts inside
//!   the measured period does not count (the person is back). The default,
//!   [`RehireRule::CountDeparture`], counts it: they did leave, and had to be re-trained.
//! - **Rate**: leavers ÷ headcount (formula a setting; default the average of start and end).
//!   No rate when the headcount is 0.
//! - **Live**: as of a day inside the period, the same rules over `[period start, as_of]`,
//!   so a manager sees the figure before the period closes.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use crate::codes::coded_enum;
use crate::error::{OpsError, Result};
use crate::ids::StaffId;
use crate::staff::{LeaveReason, Position, Staff};
use crate::time::{DateRange, next_day};

coded_enum! {
    /// How the denominator of the attrition rate is computed.
    pub enum HeadcountFormula {
        /// (start + end) / 2: the standard's wording and the default.
        Average => ("average", "期初期末平均人数"),
        Start => ("start", "期初人数"),
        End => ("end", "期末人数"),
    }
}

coded_enum! {
    /// Whether a departure counts when the same person is re-hired within the period.
    pub enum RehireRule {
        /// Every departure counts (a person at most once). The default.
        CountDeparture => ("count_departure", "离职即计入"),
        /// A departure followed by a re-hire starting inside the period does not count.
        IgnoreIfBack => ("ignore_if_back", "期内返聘不计入"),
    }
}

/// The attrition settings (the contract leaves the details to be agreed at signing).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AttritionSettings {
    #[serde(default = "default_headcount")]
    pub headcount: HeadcountFormula,
    #[serde(default = "default_rehire")]
    pub rehire: RehireRule,
    /// Departure reasons that are not attrition (e.g. if the county agrees that transfers
    /// inside the operator do not count). Default: none excluded.
    #[serde(default)]
    pub excluded_reasons: Vec<LeaveReason>,
}

fn default_headcount() -> HeadcountFormula {
    HeadcountFormula::Average
}

fn default_rehire() -> RehireRule {
    RehireRule::CountDeparture
}

impl Default for AttritionSettings {
    fn default() -> Self {
        AttritionSettings {
            headcount: default_headcount(),
            rehire: default_rehire(),
            excluded_reasons: Vec::new(),
        }
    }
}

coded_enum! {
    /// Whether a departure of a certified person counts as attrition, and if not, why.
    pub enum DepartureStatus {
        Counted => ("counted", "计入"),
        /// The same person already has a counted departure in the period.
        SamePersonAlreadyCounted => ("same_person_counted", "同一人已计入"),
        /// Re-hired inside the period under [`RehireRule::IgnoreIfBack`].
        RehiredInPeriod => ("rehired_in_period", "期内返聘"),
        /// The reason is excluded by the settings.
        ExcludedReason => ("excluded_reason", "离职原因不计入"),
    }
}

/// One departure of a certified person in the period.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Departure {
    pub staff_id: StaffId,
    pub name: String,
    pub position: Position,
    pub last_day: NaiveDate,
    pub reason: LeaveReason,
    pub certified_on: NaiveDate,
    pub status: DepartureStatus,
}

/// The attrition figure with everything needed to check it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AttritionReport {
    /// The period asked for (a half year or any range).
    pub period: DateRange,
    /// The part measured: the whole period, or up to `as_of` for a live figure.
    pub measured: DateRange,
    pub as_of: Option<NaiveDate>,
    pub settings: AttritionSettings,
    pub headcount_start: u32,
    pub headcount_end: u32,
    /// The denominator under the formula.
    pub headcount: f64,
    /// Distinct people with a counted departure.
    pub leavers: u32,
    /// Every departure of a certified person in the measured period, by last day.
    pub departures: Vec<Departure>,
    /// leavers ÷ headcount; `None` when the headcount is 0.
    pub rate: Option<f64>,
}

impl AttritionReport {
    pub fn rate_percent(&self) -> Option<f64> {
        self.rate.map(|r| r * 100.0)
    }
}

/// Attrition over a whole period.
pub fn attrition(
    staff: &[Staff],
    period: DateRange,
    settings: &AttritionSettings,
) -> Result<AttritionReport> {
    measure(staff, period, period, None, settings)
}

/// Attrition so far: over `[period.from, as_of]`. An `as_of` at or after the period's end
/// gives the closed period's figure.
pub fn attrition_live(
    staff: &[Staff],
    period: DateRange,
    as_of: NaiveDate,
    settings: &AttritionSettings,
) -> Result<AttritionReport> {
    if as_of < period.from {
        return Err(OpsError::invalid(
            "as_of",
            format!("{as_of} is before the period starts on {}", period.from),
        ));
    }
    let to = next_day(as_of)?.min(period.to);
    let measured = DateRange::new(period.from, to)?;
    measure(staff, period, measured, Some(as_of), settings)
}

fn measure(
    staff: &[Staff],
    period: DateRange,
    measured: DateRange,
    as_of: Option<NaiveDate>,
    settings: &AttritionSettings,
) -> Result<AttritionReport> {
    let last = measured
        .last_day()
        .ok_or_else(|| OpsError::invalid("period", format!("{measured} has no days")))?;

    let headcount_start = staff
        .iter()
        .filter(|s| s.is_certified_on(measured.from))
        .count() as u32;
    let headcount_end = staff
        .iter()
        .filter(|s| {
            s.employment
                .iter()
                .any(|sp| sp.certified_at(last) && sp.last_day().is_none_or(|l| l > last))
        })
        .count() as u32;

    let mut departures = Vec::new();
    for person in staff {
        let mut spells: Vec<_> = person.employment.iter().collect();
        spells.sort_by_key(|s| s.start);
        let mut counted = false;
        for (i, spell) in spells.iter().enumerate() {
            let (Some(end), Some(certified_on)) = (&spell.end, spell.certified_on) else {
                continue;
            };
            if !measured.contains(end.last_day) || certified_on > end.last_day {
                continue;
            }
            let back_in_period = spells[i + 1..]
                .iter()
                .any(|later| later.start > end.last_day && later.start < measured.to);
            let status = if settings.excluded_reasons.contains(&end.reason) {
                DepartureStatus::ExcludedReason
            } else if settings.rehire == RehireRule::IgnoreIfBack && back_in_period {
                DepartureStatus::RehiredInPeriod
            } else if counted {
                DepartureStatus::SamePersonAlreadyCounted
            } else {
                counted = true;
                DepartureStatus::Counted
            };
            departures.push(Departure {
                staff_id: person.id,
                name: person.name.clone(),
                position: person.position,
                last_day: end.last_day,
                reason: end.reason,
                certified_on,
                status,
            });
        }
    }
    departures.sort_by_key(|d| (d.last_day, d.staff_id));
    let leavers = departures
        .iter()
        .filter(|d| d.status == DepartureStatus::Counted)
        .count() as u32;

    let headcount = match settings.headcount {
        HeadcountFormula::Average => (headcount_start as f64 + headcount_end as f64) / 2.0,
        HeadcountFormula::Start => headcount_start as f64,
        HeadcountFormula::End => headcount_end as f64,
    };
    let rate = (headcount > 0.0).then(|| leavers as f64 / headcount);

    Ok(AttritionReport {
        period,
        measured,
        as_of,
        settings: settings.clone(),
        headcount_start,
        headcount_end,
        headcount,
        leavers,
        departures,
        rate,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::staff::{EmploymentEnd, EmploymentSpell};
    use crate::time::{Half, HalfYear};
    use proptest::prelude::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    fn spell(
        start: NaiveDate,
        cert: Option<NaiveDate>,
        end: Option<(NaiveDate, LeaveReason)>,
    ) -> EmploymentSpell {
        EmploymentSpell {
            start,
            certified_on: cert,
            end: end.map(|(last_day, reason)| EmploymentEnd {
                last_day,
                reason,
                note: None,
            }),
        }
    }

    fn person(id: i64, name: &str, spells: Vec<EmploymentSpell>) -> Staff {
        let mut s = Staff::hire(StaffId(id), name, Position::Agent, spells[0].start).unwrap();
        s.employment = spells;
        s.validate().unwrap();
        s
    }

    /// The hand-checked roster of people for H1 2025 ([2025-01-01, 2025-07-01)).
    fn h1_staff() -> Vec<Staff> {
        use LeaveReason::*;
        vec![
            // A: there all along. start ✓ end ✓
            person(
                1,
                "A",
                vec![spell(d(2024, 3, 1), Some(d(2024, 4, 1)), None)],
            ),
            // B: leaves 15 March. start ✓ end ✗ leaver
            person(
                2,
                "B",
                vec![spell(
                    d(2024, 5, 1),
                    Some(d(2024, 6, 1)),
                    Some((d(2025, 3, 15), Resigned)),
                )],
            ),
            // C: joins, certifies and leaves inside H1. start ✗ end ✗ leaver
            person(
                3,
                "C",
                vec![spell(
                    d(2025, 2, 1),
                    Some(d(2025, 3, 1)),
                    Some((d(2025, 5, 31), Dismissed)),
                )],
            ),
            // D: leaves 28 Feb, re-hired 1 April, certified again. start ✓ end ✓ leaver
            //    (not under IgnoreIfBack)
            person(
                4,
                "D",
                vec![
                    spell(
                        d(2024, 1, 10),
                        Some(d(2024, 2, 1)),
                        Some((d(2025, 2, 28), Resigned)),
                    ),
                    spell(d(2025, 4, 1), Some(d(2025, 4, 15)), None),
                ],
            ),
            // E: never certified, leaves: not attrition, in no headcount.
            person(
                5,
                "E",
                vec![spell(d(2025, 1, 5), None, Some((d(2025, 2, 1), Resigned)))],
            ),
            // F: last day 30 June. start ✓ end ✗ leaver in H1
            person(
                6,
                "F",
                vec![spell(
                    d(2024, 6, 1),
                    Some(d(2024, 7, 1)),
                    Some((d(2025, 6, 30), ContractEnded)),
                )],
            ),
            // G: last day 1 July: leaves in H2. start ✓ end ✓
            person(
                7,
                "G",
                vec![spell(
                    d(2024, 9, 1),
                    Some(d(2024, 10, 1)),
                    Some((d(2025, 7, 1), Resigned)),
                )],
            ),
            // H: certified 2 January. start ✗ end ✓
            person(
                8,
                "H",
                vec![spell(d(2024, 11, 1), Some(d(2025, 1, 2)), None)],
            ),
            // I: transferred 30 April. start ✓ end ✗ leaver (unless transfers are excluded)
            person(
                9,
                "I",
                vec![spell(
                    d(2024, 12, 1),
                    Some(d(2024, 12, 15)),
                    Some((d(2025, 4, 30), Transferred)),
                )],
            ),
            // J: joins and is certified on the last day. start ✗ end ✓
            person(
                10,
                "J",
                vec![spell(d(2025, 6, 30), Some(d(2025, 6, 30)), None)],
            ),
        ]
    }

    fn h1() -> DateRange {
        HalfYear {
            year: 2025,
            half: Half::First,
        }
        .range()
        .unwrap()
    }

    #[test]
    fn half_year_with_joins_leaves_and_rehires_by_hand() {
        let staff = h1_staff();
        let r = attrition(&staff, h1(), &AttritionSettings::default()).unwrap();
        // start: A B D F G I = 6; end: A D G H J = 5; average 5.5
        assert_eq!((r.headcount_start, r.headcount_end), (6, 5));
        assert_eq!(r.headcount, 5.5);
        // leavers: B C D F I = 5 → 5 / 5.5
        assert_eq!(r.leavers, 5);
        let ids: Vec<i64> = r.departures.iter().map(|d| d.staff_id.0).collect();
        // by last day: D (Feb 28), B (Mar 15), I (Apr 30), C (May 31), F (Jun 30)
        assert_eq!(ids, vec![4, 2, 9, 3, 6]);
        assert!((r.rate.unwrap() - 5.0 / 5.5).abs() < 1e-12);
        assert!((r.rate_percent().unwrap() - 90.909_090_909).abs() < 1e-6);
    }

    #[test]
    fn formula_rehire_and_reason_settings_change_the_figure_as_defined() {
        let staff = h1_staff();
        let cases = [
            (
                HeadcountFormula::Start,
                RehireRule::CountDeparture,
                vec![],
                5,
                6.0,
            ),
            (
                HeadcountFormula::End,
                RehireRule::CountDeparture,
                vec![],
                5,
                5.0,
            ),
            // D is back on 1 April → not counted
            (
                HeadcountFormula::Average,
                RehireRule::IgnoreIfBack,
                vec![],
                4,
                5.5,
            ),
            // I's transfer excluded
            (
                HeadcountFormula::Average,
                RehireRule::CountDeparture,
                vec![LeaveReason::Transferred],
                4,
                5.5,
            ),
            (
                HeadcountFormula::Average,
                RehireRule::IgnoreIfBack,
                vec![LeaveReason::Transferred],
                3,
                5.5,
            ),
        ];
        for (headcount, rehire, excluded_reasons, leavers, denominator) in cases {
            let settings = AttritionSettings {
                headcount,
                rehire,
                excluded_reasons,
            };
            let r = attrition(&staff, h1(), &settings).unwrap();
            assert_eq!(r.leavers, leavers, "{settings:?}");
            assert_eq!(r.headcount, denominator, "{settings:?}");
            assert_eq!(r.rate, Some(leavers as f64 / denominator));
            // every certified departure stays listed, with why it does or does not count
            assert_eq!(r.departures.len(), 5);
        }
    }

    #[test]
    fn live_figure_before_the_period_closes() {
        let staff = h1_staff();
        let r =
            attrition_live(&staff, h1(), d(2025, 3, 31), &AttritionSettings::default()).unwrap();
        // end of 31 March: A C F G H I on staff and certified (B and D gone, D not yet back)
        assert_eq!((r.headcount_start, r.headcount_end), (6, 6));
        assert_eq!(r.leavers, 2); // D (Feb 28), B (Mar 15)
        assert_eq!(r.rate, Some(2.0 / 6.0));
        assert_eq!(r.measured.to, d(2025, 4, 1));
        // the last day of the period gives the closed figure
        let closed =
            attrition_live(&staff, h1(), d(2025, 6, 30), &AttritionSettings::default()).unwrap();
        let full = attrition(&staff, h1(), &AttritionSettings::default()).unwrap();
        assert_eq!(
            (closed.leavers, closed.headcount),
            (full.leavers, full.headcount)
        );
        assert!(
            attrition_live(&staff, h1(), d(2024, 12, 31), &AttritionSettings::default()).is_err()
        );
    }

    #[test]
    fn a_person_leaving_twice_counts_once() {
        use LeaveReason::*;
        let twice = person(
            1,
            "K",
            vec![
                spell(
                    d(2024, 1, 1),
                    Some(d(2024, 1, 10)),
                    Some((d(2025, 1, 31), Resigned)),
                ),
                spell(
                    d(2025, 2, 10),
                    Some(d(2025, 2, 10)),
                    Some((d(2025, 5, 1), Resigned)),
                ),
            ],
        );
        let r = attrition(
            std::slice::from_ref(&twice),
            h1(),
            &AttritionSettings::default(),
        )
        .unwrap();
        assert_eq!(r.leavers, 1);
        let statuses: Vec<_> = r.departures.iter().map(|d| d.status).collect();
        assert_eq!(
            statuses,
            vec![
                DepartureStatus::Counted,
                DepartureStatus::SamePersonAlreadyCounted
            ]
        );
        // under IgnoreIfBack the first departure is forgiven, the second counts
        let s = AttritionSettings {
            rehire: RehireRule::IgnoreIfBack,
            ..Default::default()
        };
        let r = attrition(&[twice], h1(), &s).unwrap();
        let statuses: Vec<_> = r.departures.iter().map(|d| d.status).collect();
        assert_eq!(
            statuses,
            vec![DepartureStatus::RehiredInPeriod, DepartureStatus::Counted]
        );
        assert_eq!(r.leavers, 1);
    }

    #[test]
    fn empty_headcount_has_no_rate() {
        let r = attrition(&[], h1(), &AttritionSettings::default()).unwrap();
        assert_eq!(r.rate, None);
        assert!(
            attrition(
                &[],
                DateRange::new(d(2025, 1, 1), d(2025, 1, 1)).unwrap(),
                &AttritionSettings::default()
            )
            .is_err()
        );
    }

    fn arb_staff() -> impl Strategy<Value = Vec<Staff>> {
        // spells as day offsets from 2024-07-01, each person 1-2 spells
        let spell_strategy = (
            0i64..500,
            proptest::option::of(0i64..60),
            proptest::option::of(0i64..300),
        );
        proptest::collection::vec(proptest::collection::vec(spell_strategy, 1..3), 0..25).prop_map(
            |people| {
                let base = d(2024, 7, 1);
                people
                    .into_iter()
                    .enumerate()
                    .map(|(i, raw)| {
                        let mut spells = Vec::new();
                        let mut next_free = base;
                        for (gap, cert, len) in raw {
                            let start = next_free + chrono::TimeDelta::days(gap % 120);
                            let end = len.map(|l| start + chrono::TimeDelta::days(l));
                            let certified_on = cert
                                .map(|c| start + chrono::TimeDelta::days(c))
                                .filter(|c| end.is_none_or(|e| *c <= e));
                            let is_open = end.is_none();
                            spells.push(spell(
                                start,
                                certified_on,
                                end.map(|e| (e, LeaveReason::Resigned)),
                            ));
                            match end {
                                Some(e) => next_free = e + chrono::TimeDelta::days(1),
                                None => break,
                            }
                            if is_open {
                                break;
                            }
                        }
                        person(i as i64 + 1, "P", spells)
                    })
                    .collect()
            },
        )
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(64))]

        /// Leavers never exceed the people certified at some point of the period; with the
        /// start formula and no certified joiners, the rate is at most 1; the live figure on
        /// the last day equals the closed figure; rate × headcount = leavers.
        #[test]
        fn attrition_invariants(staff in arb_staff()) {
            let period = h1();
            let s = AttritionSettings::default();
            let r = attrition(&staff, period, &s).unwrap();
            let ever_certified = staff
                .iter()
                .filter(|p| period.days().any(|day| p.is_certified_on(day)))
                .count() as u32;
            prop_assert!(r.leavers <= ever_certified);
            prop_assert!(r.headcount_start <= staff.len() as u32);
            if let Some(rate) = r.rate {
                prop_assert!(rate >= 0.0);
                prop_assert!((rate * r.headcount - r.leavers as f64).abs() < 1e-9);
            } else {
                prop_assert_eq!(r.headcount, 0.0);
            }
            let start_formula = AttritionSettings { headcount: HeadcountFormula::Start, ..s.clone() };
            let rs = attrition(&staff, period, &start_formula).unwrap();
            let joiners = staff.iter().any(|p| !p.is_certified_on(period.from)
                && period.days().any(|day| p.is_certified_on(day)));
            if !joiners && let Some(rate) = rs.rate {
                prop_assert!(rate <= 1.0);
            }
            let live = attrition_live(&staff, period, period.last_day().unwrap(), &s).unwrap();
            prop_assert_eq!(live.leavers, r.leavers);
            prop_assert_eq!(live.headcount_end, r.headcount_end);
        }
    }
}
