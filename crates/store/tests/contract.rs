//! The storage contract: every test runs through the `Store` trait against SQLite and, when
//! `REXIAN_TEST_POSTGRES_URL` is set, against PostgreSQL too.

use chrono::{DateTime, Duration, TimeZone, Utc};
use rexian_domain::{Actor, AggregateRef, Role};
use rexian_store::testing::{self, TestDb};
use rexian_store::{NewDepartment, NewPlatform, NewUser, PlatformSeed, StoreError};

fn t0() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 27, 1, 2, 3).unwrap() + Duration::microseconds(456_789)
}

fn cli() -> Actor {
    Actor::Cli {
        os_user: "test".into(),
    }
}

fn small_seed(code: &str) -> PlatformSeed {
    PlatformSeed {
        platform: NewPlatform {
            code: code.into(),
            name: format!("{code} 分平台"),
            order_prefix: "XX".into(),
        },
        towns: vec![],
        departments: vec![NewDepartment {
            code: "zhujian".into(),
            name: "住建局".into(),
            kind: "bureau".into(),
        }],
        seats: vec![],
        staff: vec![],
    }
}

fn new_user(name: &str, role: Role, department_id: Option<i64>) -> NewUser {
    NewUser {
        username: name.into(),
        display_name: format!("{name} 显示名"),
        role,
        department_id,
        password_hash: "$argon2id$fake".into(),
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
async fn baisha_seed_creates_the_county_in_one_go() {
    for_each_backend(|db| async move {
        let s = &db.store;
        let p = s
            .seed_platform(&PlatformSeed::baisha(), &cli(), t0())
            .await
            .unwrap();
        assert_eq!(p.name, "白沙县12345分平台");
        assert_eq!(
            p.created_at,
            t0(),
            "instants keep microseconds on {:?}",
            s.backend()
        );
        let towns = s.list_towns(p.id).await.unwrap();
        assert_eq!(towns.len(), 11);
        assert_eq!(towns.iter().filter(|t| t.kind == "town").count(), 4);
        assert_eq!(s.list_seats(p.id).await.unwrap().len(), 10);
        let staff = s.list_staff(p.id).await.unwrap();
        assert_eq!(staff.len(), 13);
        assert!(staff.iter().all(|m| m.is_demo));
        assert_eq!(staff.iter().filter(|m| m.position == "agent").count(), 10);
        let depts = s.list_departments(p.id).await.unwrap();
        assert!(depts.iter().any(|d| d.name.contains("住房和城乡建设")));
        assert!(depts.iter().any(|d| d.name == "细水乡人民政府"));
        // Each department's creation is in the log.
        let ev = s
            .events(
                p.id,
                &AggregateRef::new("department", depts[0].id),
                None,
                10,
            )
            .await
            .unwrap();
        assert_eq!(ev.len(), 1);
        assert_eq!(ev[0].event_type, "department.created");
        assert_eq!(ev[0].actor, "cli:test");
    })
    .await;
}

#[tokio::test]
async fn seeding_twice_is_a_conflict_and_leaves_nothing_half_written() {
    for_each_backend(|db| async move {
        let s = &db.store;
        s.seed_platform(&small_seed("a"), &cli(), t0())
            .await
            .unwrap();
        let mut again = small_seed("a");
        again.platform.name = "another".into();
        let err = s.seed_platform(&again, &cli(), t0()).await.unwrap_err();
        assert!(matches!(err, StoreError::Conflict(_)), "{err}");
        // A seed that fails half-way (duplicate department code) leaves no platform behind.
        let mut broken = small_seed("b");
        broken.departments.push(broken.departments[0].clone());
        let err = s.seed_platform(&broken, &cli(), t0()).await.unwrap_err();
        assert!(matches!(err, StoreError::Conflict(_)), "{err}");
        assert!(s.platform_by_code("b").await.unwrap().is_none());
        assert_eq!(s.list_platforms().await.unwrap().len(), 1);
    })
    .await;
}

#[tokio::test]
async fn a_user_and_its_event_are_written_together() {
    for_each_backend(|db| async move {
        let s = &db.store;
        let p = s
            .seed_platform(&small_seed("a"), &cli(), t0())
            .await
            .unwrap();
        let u = s
            .create_user(p.id, &new_user("zhang", Role::Agent, None), &cli(), t0())
            .await
            .unwrap();
        assert_eq!(u.role, Role::Agent);
        let ev = s
            .events(p.id, &AggregateRef::new("user", u.id), None, 10)
            .await
            .unwrap();
        assert_eq!(ev.len(), 1);
        assert_eq!(ev[0].event_type, "user.created");
        assert_eq!(ev[0].payload["username"], "zhang");
        assert_eq!(ev[0].occurred_at, t0());
        assert!(ev[0].payload.get("password_hash").is_none());

        let err = s
            .create_user(p.id, &new_user("zhang", Role::Manager, None), &cli(), t0())
            .await
            .unwrap_err();
        assert!(
            matches!(&err, StoreError::Conflict(m) if m.contains("zhang")),
            "{err}"
        );
        let ev = s
            .events(p.id, &AggregateRef::new("user", u.id + 1), None, 10)
            .await
            .unwrap();
        assert!(ev.is_empty(), "a refused user leaves no event");
        assert_eq!(s.list_users(p.id).await.unwrap().len(), 1);

        let (found, hash) = s.credentials("zhang").await.unwrap().unwrap();
        assert_eq!(found, u);
        assert_eq!(hash, "$argon2id$fake");
    })
    .await;
}

#[tokio::test]
async fn one_sub_platform_never_sees_or_touches_another() {
    for_each_backend(|db| async move {
        let s = &db.store;
        let a = s
            .seed_platform(&small_seed("a"), &cli(), t0())
            .await
            .unwrap();
        let b = s
            .seed_platform(&small_seed("b"), &cli(), t0())
            .await
            .unwrap();
        let dept_a = s.list_departments(a.id).await.unwrap()[0].id;
        let ua = s
            .create_user(
                a.id,
                &new_user("ua", Role::PlatformAdmin, None),
                &cli(),
                t0(),
            )
            .await
            .unwrap();
        assert!(s.user(b.id, ua.id).await.unwrap().is_none());
        assert!(s.department(b.id, dept_a).await.unwrap().is_none());
        assert!(s.list_users(b.id).await.unwrap().is_empty());
        assert!(
            s.events(b.id, &AggregateRef::new("user", ua.id), None, 10)
                .await
                .unwrap()
                .is_empty()
        );
        let err = s
            .set_user_active(b.id, ua.id, false, &cli(), None, t0())
            .await
            .unwrap_err();
        assert!(matches!(err, StoreError::NotFound("user")));
        assert!(s.user(a.id, ua.id).await.unwrap().unwrap().active);
        // A department handler of B cannot be bound to A's department.
        let err = s
            .create_user(
                b.id,
                &new_user("hb", Role::DepartmentHandler, Some(dept_a)),
                &cli(),
                t0(),
            )
            .await
            .unwrap_err();
        assert!(matches!(err, StoreError::NotFound("department")), "{err}");
    })
    .await;
}

#[tokio::test]
async fn sessions_expire_and_end_with_deactivation() {
    for_each_backend(|db| async move {
        let s = &db.store;
        let p = s
            .seed_platform(&small_seed("a"), &cli(), t0())
            .await
            .unwrap();
        let u = s
            .create_user(p.id, &new_user("li", Role::ShiftLeader, None), &cli(), t0())
            .await
            .unwrap();
        let exp = t0() + Duration::hours(12);
        s.create_session(&u, "h1", t0(), exp).await.unwrap();
        assert_eq!(
            s.session_user("h1", t0()).await.unwrap().map(|u| u.id),
            Some(u.id)
        );
        assert!(
            s.session_user("h1", exp).await.unwrap().is_none(),
            "expired at its end"
        );
        assert!(s.session_user("nope", t0()).await.unwrap().is_none());
        s.delete_session("h1", t0()).await.unwrap();
        assert!(s.session_user("h1", t0()).await.unwrap().is_none());

        s.create_session(&u, "h2", t0(), exp).await.unwrap();
        s.set_user_active(p.id, u.id, false, &cli(), Some("left the job"), t0())
            .await
            .unwrap();
        assert!(s.session_user("h2", t0()).await.unwrap().is_none());
        let ev = s
            .events(p.id, &AggregateRef::new("user", u.id), None, 50)
            .await
            .unwrap();
        let types: Vec<_> = ev.iter().map(|e| e.event_type.as_str()).collect();
        assert_eq!(
            types,
            [
                "user.created",
                "user.signed_in",
                "user.signed_out",
                "user.signed_in",
                "user.deactivated"
            ]
        );
        assert_eq!(ev[4].reason.as_deref(), Some("left the job"));
        // Paging by id.
        let rest = s
            .events(p.id, &AggregateRef::new("user", u.id), Some(ev[2].id), 2)
            .await
            .unwrap();
        assert_eq!(
            rest.iter().map(|e| e.id).collect::<Vec<_>>(),
            [ev[3].id, ev[4].id]
        );
    })
    .await;
}

#[tokio::test]
async fn the_database_refuses_to_change_or_delete_events() {
    use sqlx::Connection;
    for db in testing::all_backends().await {
        let p = db
            .store
            .seed_platform(&small_seed("a"), &cli(), t0())
            .await
            .unwrap();
        let _ = p;
        let statements = ["UPDATE events SET reason = 'x'", "DELETE FROM events"];
        for sql in statements {
            let result = if db.url.starts_with("sqlite:") {
                let mut c = sqlx::SqliteConnection::connect(&db.url).await.unwrap();
                sqlx::query(sql).execute(&mut c).await.map(|_| ())
            } else {
                let mut c = sqlx::PgConnection::connect(&db.url).await.unwrap();
                sqlx::query(sql).execute(&mut c).await.map(|_| ())
            };
            let err = result.expect_err(sql).to_string();
            assert!(err.contains("append-only"), "{sql}: {err}");
        }
    }
}

#[tokio::test]
async fn both_backends_offer_the_same_tables_and_columns() {
    let sqlite = testing::sqlite().await;
    let lite = sqlite.store.schema().await.unwrap();
    assert!(
        lite.iter()
            .any(|(t, cols)| t == "events" && cols.contains(&"payload".to_owned()))
    );
    let Some(pg) = testing::postgres().await else {
        eprintln!(
            "{} not set: compared nothing with PostgreSQL",
            testing::POSTGRES_ENV
        );
        return;
    };
    assert_eq!(lite, pg.store.schema().await.unwrap());
}

#[tokio::test]
async fn migrations_are_idempotent_when_opening_again() {
    for db in testing::all_backends().await {
        db.store
            .seed_platform(&small_seed("a"), &cli(), t0())
            .await
            .unwrap();
        let again = rexian_store::open(&db.location).await.unwrap();
        assert_eq!(again.list_platforms().await.unwrap().len(), 1);
    }
}

#[tokio::test]
async fn an_explicit_sqlite_path_that_does_not_exist_is_an_error() {
    let dir = std::env::temp_dir().join("rexian-no-such-dir-for-test");
    let url = format!("sqlite:{}/missing.db", dir.display());
    let loc =
        rexian_store::DatabaseLocation::resolve(Some(&url), &dir, Default::default()).unwrap();
    let err = rexian_store::open(&loc)
        .await
        .err()
        .expect("must not open")
        .to_string();
    assert!(err.contains("does not exist"), "{err}");
    assert!(!dir.exists(), "nothing was created");
}
