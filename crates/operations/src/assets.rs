//! Equipment (资产) and the daily inspection (日常巡检). The contract maintains 3 leased lines,
//! 10 telephones and 10 seats; each asset is inspected once a day against the checklist of
//! its type, and a day without an inspection shows up in [`missed_inspections`].

use std::collections::HashSet;

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

use crate::codes::coded_enum;
use crate::error::{OpsError, Result, require_text};
use crate::ids::{AssetId, InspectionId, StaffId};
use crate::time::{DateRange, local_date};

coded_enum! {
    /// The type of an asset; checklists are per type.
    pub enum AssetType {
        LeasedLine => ("leased_line", "专线"),
        Telephone => ("telephone", "电话机"),
        Seat => ("seat", "坐席"),
        Other => ("other", "其他设备"),
    }
}

coded_enum! {
    /// What a leased line connects to.
    pub enum LinePurpose {
        /// 10M to the provincial 12345 call centre: carries the calls.
        ProvincialCallCentre => ("provincial_call_centre", "省12345呼叫中心专线"),
        /// 10M to the provincial business platform on the government cloud: work orders.
        ProvincialBusinessPlatform => ("provincial_business_platform", "省12345业务平台专线"),
        /// 30M internet.
        Internet => ("internet", "互联网专线"),
        Other => ("other", "其他专线"),
    }
}

/// What an asset is, with the details that matter for its type.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum AssetKind {
    LeasedLine {
        purpose: LinePurpose,
        bandwidth_mbps: u32,
        provider: String,
        /// The carrier's circuit id (电路编号), needed when reporting a fault to the carrier.
        circuit_id: String,
    },
    Telephone {
        #[serde(default)]
        extension: Option<String>,
    },
    Seat {
        seat_number: u32,
    },
    Other {
        description: String,
    },
}

impl AssetKind {
    pub fn asset_type(&self) -> AssetType {
        match self {
            AssetKind::LeasedLine { .. } => AssetType::LeasedLine,
            AssetKind::Telephone { .. } => AssetType::Telephone,
            AssetKind::Seat { .. } => AssetType::Seat,
            AssetKind::Other { .. } => AssetType::Other,
        }
    }

    fn validate(&self) -> Result<()> {
        match self {
            AssetKind::LeasedLine {
                bandwidth_mbps,
                provider,
                circuit_id,
                ..
            } => {
                if *bandwidth_mbps == 0 {
                    return Err(OpsError::invalid("bandwidth_mbps", "must be positive"));
                }
                require_text("provider", provider)?;
                require_text("circuit_id", circuit_id)
            }
            AssetKind::Seat { seat_number } if *seat_number == 0 => Err(OpsError::invalid(
                "seat_number",
                "seats are numbered from 1",
            )),
            AssetKind::Other { description } => require_text("description", description),
            _ => Ok(()),
        }
    }
}

coded_enum! {
    pub enum AssetState {
        InService => ("in_service", "正常在用"),
        Faulty => ("faulty", "故障"),
        UnderRepair => ("under_repair", "维修中"),
        Retired => ("retired", "已报废"),
    }
}

/// A piece of equipment or a line.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Asset {
    pub id: AssetId,
    pub name: String,
    pub kind: AssetKind,
    pub state: AssetState,
    /// First day in service: inspections are due from this day.
    pub commissioned_on: NaiveDate,
    /// Day it was retired: no inspections are due from this day on.
    #[serde(default)]
    pub retired_on: Option<NaiveDate>,
    #[serde(default)]
    pub location: Option<String>,
}

impl Asset {
    pub fn validate(&self) -> Result<()> {
        require_text("name", &self.name)?;
        self.kind.validate()?;
        if let Some(r) = self.retired_on
            && r < self.commissioned_on
        {
            return Err(OpsError::end_before_start(
                "asset service",
                self.commissioned_on,
                r,
            ));
        }
        if (self.state == AssetState::Retired) != self.retired_on.is_some() {
            return Err(OpsError::invalid(
                "retired_on",
                "a retired asset needs a retirement day, and only a retired one",
            ));
        }
        Ok(())
    }

    pub fn asset_type(&self) -> AssetType {
        self.kind.asset_type()
    }

    /// Whether an inspection is due on `day`.
    pub fn expects_inspection(&self, day: NaiveDate) -> bool {
        self.commissioned_on <= day && self.retired_on.is_none_or(|r| day < r)
    }

    /// Moves to another state. Retired is final; retiring records the day.
    pub fn set_state(&mut self, to: AssetState, on: NaiveDate) -> Result<()> {
        use AssetState::*;
        let allowed = match (self.state, to) {
            (Retired, _) => false,
            (from, to) if from == to => false,
            (_, Retired) => true,
            (InService, Faulty | UnderRepair) => true,
            (Faulty, UnderRepair | InService) => true,
            (UnderRepair, InService | Faulty) => true,
            _ => false,
        };
        if !allowed {
            return Err(OpsError::IllegalTransition {
                entity: "asset",
                id: self.id.0,
                state: self.state.code(),
                action: to.code(),
            });
        }
        if to == Retired {
            if on < self.commissioned_on {
                return Err(OpsError::end_before_start(
                    "asset service",
                    self.commissioned_on,
                    on,
                ));
            }
            self.retired_on = Some(on);
        }
        self.state = to;
        Ok(())
    }
}

/// A new asset before the store gives it an id.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewAsset {
    pub name: String,
    pub kind: AssetKind,
}

/// Baisha's equipment as the contract lists it: 3 leased lines, 10 telephones, 10 seats.
/// Providers and circuit ids are placeholders (待填写) to be filled from the carrier's papers.
pub fn baisha_default_assets() -> Vec<NewAsset> {
    let line = |name: &str, purpose, bandwidth_mbps| NewAsset {
        name: name.to_string(),
        kind: AssetKind::LeasedLine {
            purpose,
            bandwidth_mbps,
            provider: "待填写".to_string(),
            circuit_id: "待填写".to_string(),
        },
    };
    let mut assets = vec![
        line(
            "省12345呼叫中心专线 10M",
            LinePurpose::ProvincialCallCentre,
            10,
        ),
        line(
            "省12345业务平台专线 10M",
            LinePurpose::ProvincialBusinessPlatform,
            10,
        ),
        line("互联网专线 30M", LinePurpose::Internet, 30),
    ];
    for n in 1..=10 {
        assets.push(NewAsset {
            name: format!("电话机 {n:02}"),
            kind: AssetKind::Telephone { extension: None },
        });
    }
    for n in 1..=10 {
        assets.push(NewAsset {
            name: format!("坐席 {n:02}"),
            kind: AssetKind::Seat { seat_number: n },
        });
    }
    assets
}

/// One line of a checklist.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ChecklistItem {
    pub code: String,
    pub label_zh: String,
}

/// The daily checklist of one asset type.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Checklist {
    pub asset_type: AssetType,
    pub items: Vec<ChecklistItem>,
}

/// All checklists, one per asset type.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Checklists(pub Vec<Checklist>);

impl Checklists {
    pub fn get(&self, asset_type: AssetType) -> Option<&Checklist> {
        self.0.iter().find(|c| c.asset_type == asset_type)
    }

    /// One checklist per type, each with items, item codes unique within it.
    pub fn validate(&self) -> Result<()> {
        for (i, c) in self.0.iter().enumerate() {
            if self.0[..i].iter().any(|o| o.asset_type == c.asset_type) {
                return Err(OpsError::Conflict {
                    what: "checklists",
                    detail: format!("two checklists for `{}`", c.asset_type),
                });
            }
            if c.items.is_empty() {
                return Err(OpsError::invalid(
                    "checklists",
                    format!("the `{}` checklist has no items", c.asset_type),
                ));
            }
            for (j, item) in c.items.iter().enumerate() {
                require_text("checklist item code", &item.code)?;
                require_text("checklist item label", &item.label_zh)?;
                if c.items[..j].iter().any(|o| o.code == item.code) {
                    return Err(OpsError::Conflict {
                        what: "checklists",
                        detail: format!("item `{}` twice in `{}`", item.code, c.asset_type),
                    });
                }
            }
        }
        Ok(())
    }
}

coded_enum! {
    pub enum ItemOutcome {
        Pass => ("pass", "正常"),
        Fail => ("fail", "异常"),
        NotApplicable => ("not_applicable", "不适用"),
    }
}

/// The result of one checklist item.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ItemResult {
    pub item: String,
    pub outcome: ItemOutcome,
    #[serde(default)]
    pub note: Option<String>,
}

/// One daily inspection of one asset.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Inspection {
    pub id: InspectionId,
    pub asset_id: AssetId,
    /// The local day inspected.
    pub date: NaiveDate,
    pub inspector: StaffId,
    pub inspected_at: DateTime<Utc>,
    pub results: Vec<ItemResult>,
}

impl Inspection {
    /// Checks the inspection against its asset and the checklist of the asset's type:
    /// every item answered once, nothing unknown, a note for every failed item.
    pub fn validate(&self, asset: &Asset, checklists: &Checklists) -> Result<()> {
        if asset.id != self.asset_id {
            return Err(OpsError::invalid(
                "asset_id",
                format!(
                    "inspection is for asset {}, not {}",
                    self.asset_id, asset.id
                ),
            ));
        }
        if local_date(self.inspected_at) != Some(self.date) {
            return Err(OpsError::invalid(
                "inspected_at",
                format!(
                    "{} is not on {} (Beijing time)",
                    self.inspected_at, self.date
                ),
            ));
        }
        if !asset.expects_inspection(self.date) {
            return Err(OpsError::invalid(
                "date",
                format!("asset {} is not in service on {}", asset.id, self.date),
            ));
        }
        let checklist = checklists
            .get(asset.asset_type())
            .ok_or_else(|| OpsError::unknown("checklist", asset.asset_type().code()))?;
        for (i, r) in self.results.iter().enumerate() {
            if !checklist.items.iter().any(|item| item.code == r.item) {
                return Err(OpsError::unknown("checklist item", r.item.clone()));
            }
            if self.results[..i].iter().any(|o| o.item == r.item) {
                return Err(OpsError::invalid(
                    "results",
                    format!("item `{}` answered twice", r.item),
                ));
            }
            if r.outcome == ItemOutcome::Fail
                && r.note.as_deref().is_none_or(|n| n.trim().is_empty())
            {
                return Err(OpsError::invalid(
                    "results",
                    format!("item `{}` failed without a note of what is wrong", r.item),
                ));
            }
        }
        if let Some(missing) = checklist
            .items
            .iter()
            .find(|item| !self.results.iter().any(|r| r.item == item.code))
        {
            return Err(OpsError::invalid(
                "results",
                format!(
                    "item `{}` ({}) not answered",
                    missing.code, missing.label_zh
                ),
            ));
        }
        Ok(())
    }

    pub fn failed_items(&self) -> impl Iterator<Item = &ItemResult> {
        self.results
            .iter()
            .filter(|r| r.outcome == ItemOutcome::Fail)
    }

    /// No item failed.
    pub fn passed(&self) -> bool {
        self.failed_items().next().is_none()
    }
}

/// Validates a new inspection and refuses a second one for the same asset and day.
pub fn record_inspection(
    existing: &[Inspection],
    new: &Inspection,
    asset: &Asset,
    checklists: &Checklists,
) -> Result<()> {
    if existing
        .iter()
        .any(|i| i.asset_id == new.asset_id && i.date == new.date)
    {
        return Err(OpsError::DuplicateInspection {
            asset_id: new.asset_id,
            date: new.date,
        });
    }
    new.validate(asset, checklists)
}

/// An asset-day with no inspection.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MissedInspection {
    pub date: NaiveDate,
    pub asset_id: AssetId,
    pub asset_name: String,
}

/// Every (asset, day) in `range` when the asset was in service and nobody inspected it,
/// ordered by day then asset id.
pub fn missed_inspections(
    assets: &[Asset],
    inspections: &[Inspection],
    range: DateRange,
) -> Result<Vec<MissedInspection>> {
    range.ensure_walkable()?;
    let done: HashSet<(AssetId, NaiveDate)> =
        inspections.iter().map(|i| (i.asset_id, i.date)).collect();
    let mut sorted: Vec<&Asset> = assets.iter().collect();
    sorted.sort_by_key(|a| a.id);
    let mut missed = Vec::new();
    for day in range.days() {
        for asset in &sorted {
            if asset.expects_inspection(day) && !done.contains(&(asset.id, day)) {
                missed.push(MissedInspection {
                    date: day,
                    asset_id: asset.id,
                    asset_name: asset.name.clone(),
                });
            }
        }
    }
    Ok(missed)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::OperationsConfig;
    use proptest::prelude::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    fn checklists() -> Checklists {
        OperationsConfig::baisha_default()
            .unwrap()
            .inspections
            .checklists
    }

    fn seat(id: i64) -> Asset {
        Asset {
            id: AssetId(id),
            name: format!("坐席 {id:02}"),
            kind: AssetKind::Seat {
                seat_number: id as u32,
            },
            state: AssetState::InService,
            commissioned_on: d(2025, 1, 1),
            retired_on: None,
            location: None,
        }
    }

    /// A passing inspection of `asset` at 09:00 Beijing time on `date`.
    fn inspection(id: i64, asset: &Asset, date: NaiveDate) -> Inspection {
        let list = checklists();
        let items = &list.get(asset.asset_type()).unwrap().items;
        Inspection {
            id: InspectionId(id),
            asset_id: asset.id,
            date,
            inspector: StaffId(1),
            inspected_at: crate::time::from_local(date.and_hms_opt(9, 0, 0).unwrap()).unwrap(),
            results: items
                .iter()
                .map(|i| ItemResult {
                    item: i.code.clone(),
                    outcome: ItemOutcome::Pass,
                    note: None,
                })
                .collect(),
        }
    }

    #[test]
    fn a_second_inspection_the_same_day_is_a_conflict_naming_asset_and_day() {
        let a = seat(3);
        let first = inspection(1, &a, d(2025, 3, 5));
        record_inspection(&[], &first, &a, &checklists()).unwrap();
        let second = inspection(2, &a, d(2025, 3, 5));
        let err = record_inspection(std::slice::from_ref(&first), &second, &a, &checklists())
            .unwrap_err();
        assert_eq!(
            err,
            OpsError::DuplicateInspection {
                asset_id: AssetId(3),
                date: d(2025, 3, 5)
            }
        );
        assert_eq!(err.kind(), crate::error::ErrorKind::Conflict);
        assert_eq!(
            err.to_string(),
            "asset 3 already has an inspection on 2025-03-05"
        );
        // the next day is fine
        record_inspection(
            &[first],
            &inspection(3, &a, d(2025, 3, 6)),
            &a,
            &checklists(),
        )
        .unwrap();
    }

    #[test]
    fn inspection_must_answer_the_checklist() {
        let a = seat(1);
        let ok = inspection(1, &a, d(2025, 3, 5));
        ok.validate(&a, &checklists()).unwrap();
        assert!(ok.passed());

        let mut missing = ok.clone();
        let dropped = missing.results.pop().unwrap();
        let err = missing.validate(&a, &checklists()).unwrap_err().to_string();
        assert!(err.contains(&dropped.item), "{err}");

        let mut unknown = ok.clone();
        unknown.results[0].item = "coffee".into();
        assert_eq!(
            unknown.validate(&a, &checklists()).unwrap_err().code(),
            "unknown_reference"
        );

        let mut failed = ok.clone();
        failed.results[0].outcome = ItemOutcome::Fail;
        assert!(
            failed.validate(&a, &checklists()).is_err(),
            "a failure needs a note"
        );
        failed.results[0].note = Some("耳麦无声".into());
        failed.validate(&a, &checklists()).unwrap();
        assert!(!failed.passed());

        // recorded at 01:00 Beijing on the 6th is not an inspection of the 5th
        let mut late = ok.clone();
        late.inspected_at =
            crate::time::from_local(d(2025, 3, 6).and_hms_opt(1, 0, 0).unwrap()).unwrap();
        assert!(late.validate(&a, &checklists()).is_err());
    }

    #[test]
    fn missed_days_respect_commissioning_and_retirement() {
        let mut a1 = seat(1);
        let mut a2 = seat(2);
        a2.commissioned_on = d(2025, 3, 3);
        a1.set_state(AssetState::Retired, d(2025, 3, 4)).unwrap();
        let inspections = vec![
            inspection(1, &a1, d(2025, 3, 1)),
            inspection(2, &a2, d(2025, 3, 4)),
        ];
        let range = DateRange::new(d(2025, 3, 1), d(2025, 3, 6)).unwrap();
        let missed = missed_inspections(&[a2.clone(), a1.clone()], &inspections, range).unwrap();
        let got: Vec<(u32, i64)> = missed
            .iter()
            .map(|m| (chrono::Datelike::day(&m.date), m.asset_id.0))
            .collect();
        // a1 due 1–3 (retired on the 4th): missed 2, 3. a2 due from 3: missed 3, 5.
        assert_eq!(got, vec![(2, 1), (3, 1), (3, 2), (5, 2)]);
    }

    #[test]
    fn asset_states_move_as_equipment_does() {
        let mut a = seat(1);
        a.set_state(AssetState::Faulty, d(2025, 3, 1)).unwrap();
        a.set_state(AssetState::UnderRepair, d(2025, 3, 1)).unwrap();
        a.set_state(AssetState::InService, d(2025, 3, 2)).unwrap();
        assert_eq!(
            a.set_state(AssetState::InService, d(2025, 3, 2))
                .unwrap_err()
                .code(),
            "illegal_transition"
        );
        assert!(a.set_state(AssetState::Retired, d(2024, 12, 31)).is_err());
        a.set_state(AssetState::Retired, d(2025, 6, 1)).unwrap();
        a.validate().unwrap();
        let err = a
            .set_state(AssetState::InService, d(2025, 6, 2))
            .unwrap_err();
        assert!(err.to_string().contains("retired"), "{err}");
    }

    #[test]
    fn baisha_assets_are_valid_and_each_type_has_a_checklist() {
        let list = baisha_default_assets();
        assert_eq!(list.len(), 23);
        let lines: Vec<u32> = list
            .iter()
            .filter_map(|a| match &a.kind {
                AssetKind::LeasedLine { bandwidth_mbps, .. } => Some(*bandwidth_mbps),
                _ => None,
            })
            .collect();
        assert_eq!(lines, vec![10, 10, 30]);
        for (i, n) in list.into_iter().enumerate() {
            let asset = Asset {
                id: AssetId(i as i64),
                name: n.name,
                kind: n.kind,
                state: AssetState::InService,
                commissioned_on: d(2025, 1, 1),
                retired_on: None,
                location: None,
            };
            asset.validate().unwrap();
            assert!(checklists().get(asset.asset_type()).is_some());
        }
        let json = serde_json::to_value(AssetKind::Seat { seat_number: 4 }).unwrap();
        assert_eq!(json, serde_json::json!({"type": "seat", "seat_number": 4}));
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(48))]

        /// Missed = due asset-days − inspected due asset-days, and no missed day was inspected.
        #[test]
        fn missed_count_is_due_minus_done(
            commissioned in proptest::collection::vec(0i64..20, 1..5),
            done in proptest::collection::vec((0usize..5, 0i64..30), 0..60),
        ) {
            let base = d(2025, 3, 1);
            let assets: Vec<Asset> = commissioned.iter().enumerate().map(|(i, c)| {
                let mut a = seat(i as i64 + 1);
                a.commissioned_on = base + chrono::TimeDelta::days(*c);
                a
            }).collect();
            let inspections: Vec<Inspection> = done.iter().filter_map(|(ai, day)| {
                let a = assets.get(*ai)?;
                Some(inspection(0, a, base + chrono::TimeDelta::days(*day)))
            }).collect();
            let range = DateRange::new(base, base + chrono::TimeDelta::days(30)).unwrap();
            let missed = missed_inspections(&assets, &inspections, range).unwrap();
            let due: usize = assets.iter().map(|a| range.days().filter(|d| a.expects_inspection(*d)).count()).sum();
            let done_due: HashSet<(AssetId, NaiveDate)> = inspections.iter()
                .filter(|i| assets.iter().any(|a| a.id == i.asset_id && a.expects_inspection(i.date)) && range.contains(i.date))
                .map(|i| (i.asset_id, i.date)).collect();
            prop_assert_eq!(missed.len(), due - done_due.len());
            for m in &missed {
                prop_assert!(!done_due.contains(&(m.asset_id, m.date)));
            }
        }
    }
}
