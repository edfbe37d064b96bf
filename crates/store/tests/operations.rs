//! The operations storage contract (issue 5), through the `Store` trait on SQLite and, when
//! `REXIAN_TEST_POSTGRES_URL` is set, PostgreSQL.

use chrono::{DateTime, NaiveDate, TimeZone, Utc};
use rexian_domain::{Actor, AggregateRef};
use rexian_operations::assets::{AssetKind, ItemOutcome, ItemResult};
use rexian_operations::ids::{StaffId, UserId};
use rexian_operations::quality::PraiseKind;
use rexian_operations::staff::Position;
use rexian_operations::{OperationsConfig, OpsError};
use rexian_store::operations::*;
use rexian_store::testing::{self, TestDb};
use rexian_store::{NewPlatform, PlatformSeed, Store, StoreError};

fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 10, 15, 2, 0, 0).unwrap()
}

fn d(y: i32, m: u32, day: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, day).unwrap()
}

fn cli() -> Actor {
    Actor::Cli {
        os_user: "test".into(),
    }
}

fn ctx(platform_id: i64) -> OpsCtx {
    OpsCtx {
        platform_id,
        actor: cli(),
        user: UserId(1),
        now: now(),
    }
}

async fn platforms(s: &dyn Store) -> (i64, i64) {
    let a = s
        .seed_platform(&PlatformSeed::baisha(), &cli(), now())
        .await
        .unwrap()
        .id;
    let mut seed = PlatformSeed::baisha();
    seed.platform = NewPlatform {
        code: "other".into(),
        name: "另一县".into(),
        order_prefix: "OT".into(),
    };
    let b = s.seed_platform(&seed, &cli(), now()).await.unwrap().id;
    (a, b)
}

fn new_staff(code: &str) -> NewStaff {
    NewStaff {
        code: code.into(),
        name: "黎小花".into(),
        position: Position::Agent,
        start: d(2026, 1, 1),
        certified_on: Some(d(2026, 2, 1)),
        left: None,
        details: StaffDetails::default(),
    }
}

async fn for_each_backend<F, Fut>(test: F)
where
    F: Fn(TestDb) -> Fut,
    Fut: std::future::Future<Output = ()>,
{
    for db in testing::all_backends().await {
        test(db).await;
    }
}

#[tokio::test]
async fn a_staff_record_takes_over_its_demo_position_and_stays_in_its_platform() {
    for_each_backend(|db| async move {
        let s = db.store.as_ref();
        let (baisha, other) = platforms(s).await;
        assert!(s.staff_records(baisha).await.unwrap().is_empty());
        let r = s
            .create_staff(&ctx(baisha), &new_staff("SL01"))
            .await
            .unwrap();
        assert!(r.staff.is_certified_on(d(2026, 3, 1)));
        // The foundation's list now shows the real person, no longer demo.
        let listed = s.list_staff(baisha).await.unwrap();
        let row = listed.iter().find(|m| m.code == "SL01").unwrap();
        assert_eq!((row.name.as_str(), row.is_demo), ("黎小花", false));
        assert_eq!(listed.len(), 13, "no second staff list");
        // The same code again is a conflict and changes nothing.
        let err = s
            .create_staff(&ctx(baisha), &new_staff("SL01"))
            .await
            .unwrap_err();
        assert!(
            matches!(err, OpsStoreError::Rule(OpsError::Conflict { .. })),
            "{err:?}"
        );
        assert_eq!(s.staff_records(baisha).await.unwrap().len(), 1);
        // Another sub-platform neither sees nor changes it.
        let id = r.staff.id.0;
        assert!(s.staff_record(other, id).await.unwrap().is_none());
        let err = s
            .change_staff(
                &ctx(other),
                id,
                &StaffChange::Rehire {
                    start: d(2027, 1, 1),
                },
            )
            .await
            .unwrap_err();
        assert!(
            matches!(err, OpsStoreError::Store(StoreError::NotFound("staff"))),
            "{err:?}"
        );
        let events = s
            .events(baisha, &AggregateRef::new("staff", id), None, 10)
            .await
            .unwrap();
        assert_eq!(events.len(), 1);
        assert_eq!(events[0].event_type, "staff.hired");
    })
    .await;
}

#[tokio::test]
async fn a_refused_change_stores_neither_record_nor_event() {
    for_each_backend(|db| async move {
        let s = db.store.as_ref();
        let (baisha, _) = platforms(s).await;
        let staff = s
            .create_staff(&ctx(baisha), &new_staff("A01"))
            .await
            .unwrap();
        let new = NewPraise {
            kind: PraiseKind::Banner,
            received_on: d(2026, 10, 14),
            agent: Some(staff.staff.id),
            order_id: None,
            description: "锦旗".into(),
        };
        let p = s.receive_praise(&ctx(baisha), &new).await.unwrap();
        let id = p.id.0;
        s.change_praise(&ctx(baisha), id, &PraiseChange::Verify)
            .await
            .unwrap();
        let err = s
            .change_praise(&ctx(baisha), id, &PraiseChange::Verify)
            .await
            .unwrap_err();
        assert!(
            matches!(
                err,
                OpsStoreError::Rule(OpsError::PraiseAlreadyDecided { .. })
            ),
            "{err:?}"
        );
        let events = s
            .events(baisha, &AggregateRef::new("praise", id), None, 10)
            .await
            .unwrap();
        let types: Vec<_> = events.iter().map(|e| e.event_type.as_str()).collect();
        assert_eq!(types, ["praise.received", "praise.verified"]);

        // Praise for a staff member who does not exist: refused, nothing stored.
        let mut bad = new.clone();
        bad.agent = Some(StaffId(999_999));
        assert!(s.receive_praise(&ctx(baisha), &bad).await.is_err());
        assert_eq!(s.praise_list(baisha).await.unwrap().len(), 1);
    })
    .await;
}

#[tokio::test]
async fn one_inspection_per_asset_and_day() {
    for_each_backend(|db| async move {
        let s = db.store.as_ref();
        let (baisha, other) = platforms(s).await;
        let rules = OperationsConfig::baisha_default().unwrap();
        let staff = s
            .create_staff(&ctx(baisha), &new_staff("A01"))
            .await
            .unwrap();
        let asset = s
            .create_asset(
                &ctx(baisha),
                &NewAssetRecord {
                    name: "1号坐席".into(),
                    kind: AssetKind::Other {
                        description: "UPS".into(),
                    },
                    commissioned_on: d(2026, 10, 1),
                    location: None,
                },
            )
            .await
            .unwrap();
        let new = NewInspection {
            asset_id: asset.id.0,
            date: d(2026, 10, 15),
            inspector: staff.staff.id,
            inspected_at: now(),
            results: ["power", "function"]
                .iter()
                .map(|i| ItemResult {
                    item: (*i).into(),
                    outcome: ItemOutcome::Pass,
                    note: None,
                })
                .collect(),
        };
        let checklists = &rules.inspections.checklists;
        s.record_inspection(&ctx(baisha), &new, checklists)
            .await
            .unwrap();
        let err = s
            .record_inspection(&ctx(baisha), &new, checklists)
            .await
            .unwrap_err();
        assert!(
            matches!(
                err,
                OpsStoreError::Rule(OpsError::DuplicateInspection { .. })
            ),
            "{err:?}"
        );
        let all = s
            .inspections(baisha, d(2026, 10, 1), d(2026, 10, 31))
            .await
            .unwrap();
        assert_eq!(all.len(), 1);
        // Another sub-platform cannot inspect this asset.
        let err = s
            .record_inspection(&ctx(other), &new, checklists)
            .await
            .unwrap_err();
        assert!(
            matches!(err, OpsStoreError::Store(StoreError::NotFound("asset"))),
            "{err:?}"
        );
        assert!(
            s.inspections(other, d(2026, 10, 1), d(2026, 10, 31))
                .await
                .unwrap()
                .is_empty()
        );
    })
    .await;
}

#[tokio::test]
async fn a_roster_window_follows_swaps_to_the_shift_taken_in_return() {
    use rexian_operations::roster::{ReturnShift, RosterEntry};
    for_each_backend(|db| async move {
        let s = db.store.as_ref();
        let (baisha, other) = platforms(s).await;
        let shifts = OperationsConfig::baisha_default().unwrap().roster.shifts;
        let a = s
            .create_staff(&ctx(baisha), &new_staff("A01"))
            .await
            .unwrap()
            .staff
            .id;
        let b = s
            .create_staff(&ctx(baisha), &new_staff("B01"))
            .await
            .unwrap()
            .staff
            .id;
        let mut leader = new_staff("SL01");
        leader.position = Position::ShiftLeader;
        let leader = s
            .create_staff(&ctx(baisha), &leader)
            .await
            .unwrap()
            .staff
            .id;
        let entry = |staff, date, shift: &str| RosterEntry {
            staff_id: staff,
            date,
            shift: shift.into(),
        };
        s.add_roster_entries(
            &ctx(baisha),
            &[
                entry(a, d(2026, 11, 3), "night"),
                entry(b, d(2026, 11, 20), "day"),
            ],
            &shifts,
        )
        .await
        .unwrap();
        let swap = s
            .request_swap(
                &ctx(baisha),
                &NewSwap {
                    date: d(2026, 11, 3),
                    shift: "night".into(),
                    from_staff: a,
                    to_staff: b,
                    in_return: Some(ReturnShift {
                        date: d(2026, 11, 20),
                        shift: "day".into(),
                    }),
                },
                &shifts,
            )
            .await
            .unwrap();
        // Nobody decides their own swap.
        let err = s
            .decide_swap(&ctx(baisha), swap.id.0, a, &SwapDecision::Approve, &shifts)
            .await
            .unwrap_err();
        assert!(
            matches!(
                err,
                OpsStoreError::Rule(OpsError::Invalid {
                    field: "approver",
                    ..
                })
            ),
            "{err:?}"
        );
        s.decide_swap(
            &ctx(baisha),
            swap.id.0,
            leader,
            &SwapDecision::Approve,
            &shifts,
        )
        .await
        .unwrap();
        // A window around the 20th alone still sees the swap applied.
        let w = s
            .roster(baisha, d(2026, 11, 19), d(2026, 11, 21))
            .await
            .unwrap();
        let eff = w.roster.effective();
        let day20 = eff
            .shifts
            .iter()
            .find(|x| x.date == d(2026, 11, 20))
            .unwrap();
        assert_eq!((day20.staff_id, day20.via_swap), (a, Some(swap.id)));
        assert!(eff.unapplied_swaps.is_empty());
        let w = s
            .roster(baisha, d(2026, 11, 2), d(2026, 11, 4))
            .await
            .unwrap();
        let eff = w.roster.effective();
        let night3 = eff
            .shifts
            .iter()
            .find(|x| x.date == d(2026, 11, 3))
            .unwrap();
        assert_eq!(night3.staff_id, b);
        // The entry the swap uses cannot be removed; another platform sees no roster.
        let id3 = w
            .entries
            .iter()
            .find(|e| e.entry.date == d(2026, 11, 3))
            .unwrap()
            .id;
        assert!(s.remove_roster_entry(&ctx(baisha), id3).await.is_err());
        assert!(s.remove_roster_entry(&ctx(other), id3).await.is_err());
        assert!(
            s.roster(other, d(2026, 11, 1), d(2026, 11, 30))
                .await
                .unwrap()
                .entries
                .is_empty()
        );
    })
    .await;
}
