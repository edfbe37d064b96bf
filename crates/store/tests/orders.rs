//! The work-order storage contract, through the `Store` trait, on SQLite and (when
//! `REXIAN_TEST_POSTGRES_URL` is set) PostgreSQL.

use chrono::{DateTime, Duration, TimeZone, Utc};
use rexian_domain::{Actor, AggregateRef, NewEvent};
use rexian_orders::{
    Action, Actor as OrderActor, Calendar, DepartmentCode, OrderNumber, OrderSnapshot, OrderState,
    RequestKind, Source, TimeLimits, apply, register,
};
use rexian_store::testing::{self, TestDb};
use rexian_store::{
    DeadlineCursor, NewAttachment, NewDepartment, NewOrder, NewPlatform, OrderFilter, OrderUpdate,
    PlatformSeed, Store, StoreError, WorkOrder,
};
use serde_json::json;

/// Friday 2026-11-27 09:00 Beijing time.
fn t0() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 27, 1, 0, 0).unwrap()
}

fn cli() -> Actor {
    Actor::Cli {
        os_user: "test".into(),
    }
}

fn seed(code: &str, prefix: &str) -> PlatformSeed {
    PlatformSeed {
        platform: NewPlatform {
            code: code.into(),
            name: format!("{code} 分平台"),
            order_prefix: prefix.into(),
        },
        towns: vec![],
        departments: vec![NewDepartment {
            code: "shuiwu".into(),
            name: "水务局".into(),
            kind: "bureau".into(),
        }],
        seats: vec![],
        staff: vec![],
    }
}

fn new_order(now: DateTime<Utc>, key: Option<&str>) -> NewOrder {
    let placeholder = OrderNumber::parse("X202601010001").unwrap();
    let t = register(
        placeholder,
        RequestKind::Help,
        false,
        &OrderActor::user(rexian_domain::Role::Agent),
        now,
    )
    .unwrap();
    NewOrder {
        snapshot: t.order,
        confidential: false,
        leader_flagged: false,
        source: Source::PhoneCall,
        category_code: Some("03.01".into()),
        title: "村里停水".into(),
        content: "荣邦乡某村停水两天".into(),
        caller_name: "李女士".into(),
        caller_phone: "13900001234".into(),
        town: None,
        address: None,
        lat: None,
        lng: None,
        call_id: None,
        idempotency_key: key.map(str::to_owned),
    }
}

/// `snapshot` after `action` by `role` at `at`, with the bundled calendar and time limits.
fn applied(
    snapshot: &OrderSnapshot,
    action: &Action,
    role: rexian_domain::Role,
    at: DateTime<Utc>,
) -> OrderSnapshot {
    let (cal, limits) = (Calendar::bundled(), TimeLimits::bundled());
    apply(snapshot, action, &OrderActor::user(role), at, &cal, &limits)
        .unwrap()
        .order
}

/// `snapshot` submitted by an agent at `at`, then dispatched to `shuiwu` by the shift leader.
fn dispatched(snapshot: &OrderSnapshot, at: DateTime<Utc>) -> OrderSnapshot {
    let submitted = applied(
        snapshot,
        &Action::SubmitForDispatch,
        rexian_domain::Role::Agent,
        at,
    );
    let dispatch = Action::Dispatch {
        lead_department: DepartmentCode::parse("shuiwu").unwrap(),
        assisting_departments: vec![],
    };
    applied(&submitted, &dispatch, rexian_domain::Role::ShiftLeader, at)
}

/// An update that stores `snapshot` with this lead department and no reply or timer.
fn update_to(snapshot: OrderSnapshot, lead_department_id: Option<i64>) -> OrderUpdate {
    OrderUpdate {
        snapshot,
        lead_department_id,
        reply_content: None,
        publish_reply: false,
        next_timer_at: None,
    }
}

/// An event of order `id`.
fn order_event(id: i64, event_type: &str, payload: serde_json::Value) -> NewEvent {
    NewEvent {
        aggregate: AggregateRef::new("order", id),
        event_type: event_type.into(),
        actor: cli(),
        occurred_at: t0(),
        payload,
        reason: None,
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

/// A sub-platform with one registered order, and that order's snapshot once submitted.
async fn one_order(s: &dyn Store) -> (i64, WorkOrder, OrderSnapshot) {
    let p = s
        .seed_platform(&seed("a", "BS"), &cli(), t0())
        .await
        .unwrap()
        .id;
    let (o, _) = s
        .create_order(p, &new_order(t0(), None), &cli(), t0())
        .await
        .unwrap();
    let submitted = applied(
        &o.snapshot,
        &Action::SubmitForDispatch,
        rexian_domain::Role::Agent,
        t0(),
    );
    (p, o, submitted)
}

async fn event_types(s: &dyn Store, platform: i64, id: i64) -> Vec<String> {
    s.events(platform, &AggregateRef::new("order", id), None, 100)
        .await
        .unwrap()
        .into_iter()
        .map(|e| e.event_type)
        .collect()
}

#[tokio::test]
async fn numbers_run_per_sub_platform_per_beijing_day_and_keys_are_idempotent() {
    for_each_backend(|db| async move {
        let s = db.store.as_ref();
        let a = s
            .seed_platform(&seed("a", "BS"), &cli(), t0())
            .await
            .unwrap()
            .id;
        let b = s
            .seed_platform(&seed("b", "QZ"), &cli(), t0())
            .await
            .unwrap()
            .id;
        let (o1, created) = s
            .create_order(a, &new_order(t0(), Some("k1")), &cli(), t0())
            .await
            .unwrap();
        assert!(created);
        assert_eq!(o1.number, "BS202611270001");
        assert_eq!(o1.state, OrderState::Registered);
        assert_eq!(o1.version, 1);
        let (again, created) = s
            .create_order(a, &new_order(t0(), Some("k1")), &cli(), t0())
            .await
            .unwrap();
        assert!(!created);
        assert_eq!(again.id, o1.id);
        // The same key on another sub-platform is another order.
        let (ob, created) = s
            .create_order(b, &new_order(t0(), Some("k1")), &cli(), t0())
            .await
            .unwrap();
        assert!(created);
        assert_eq!(ob.number, "QZ202611270001");
        let (o2, _) = s
            .create_order(a, &new_order(t0(), None), &cli(), t0())
            .await
            .unwrap();
        assert_eq!(o2.number, "BS202611270002");
        // 16:30 UTC is already the next day in Beijing.
        let late = Utc.with_ymd_and_hms(2026, 11, 27, 16, 30, 0).unwrap();
        let (o3, _) = s
            .create_order(a, &new_order(late, None), &cli(), late)
            .await
            .unwrap();
        assert_eq!(o3.number, "BS202611280001");
        assert_eq!(event_types(s, a, o1.id).await, ["order.registered"]);
        assert_eq!(
            s.order_by_number(a, "BS202611270002")
                .await
                .unwrap()
                .unwrap()
                .id,
            o2.id
        );
        assert!(
            s.order_by_number(b, "BS202611270002")
                .await
                .unwrap()
                .is_none()
        );
        assert!(s.order(b, o1.id).await.unwrap().is_none());
        // Every new sub-platform starts with the default matter taxonomy.
        assert!(s.matter_category(b, "03.01").await.unwrap().is_some());
        assert!(s.list_matter_categories(a).await.unwrap().len() > 20);
    })
    .await;
}

#[tokio::test]
async fn an_update_writes_snapshot_columns_and_events_or_nothing() {
    for_each_backend(|db| async move {
        let s = db.store.as_ref();
        let p = s
            .seed_platform(&seed("a", "BS"), &cli(), t0())
            .await
            .unwrap()
            .id;
        let dept = s.list_departments(p).await.unwrap()[0].id;
        let (o, _) = s
            .create_order(p, &new_order(t0(), None), &cli(), t0())
            .await
            .unwrap();
        let (cal, limits) = (Calendar::bundled(), TimeLimits::bundled());
        let leader = OrderActor::user(rexian_domain::Role::ShiftLeader);
        let agent = OrderActor::user(rexian_domain::Role::Agent);
        let submitted = apply(
            &o.snapshot,
            &Action::SubmitForDispatch,
            &agent,
            t0(),
            &cal,
            &limits,
        )
        .unwrap();
        let dispatch = Action::Dispatch {
            lead_department: DepartmentCode::parse("shuiwu").unwrap(),
            assisting_departments: vec![],
        };
        let dispatched = apply(&submitted.order, &dispatch, &leader, t0(), &cal, &limits).unwrap();
        let ev = |t: &str| NewEvent {
            aggregate: AggregateRef::new("order", o.id),
            event_type: t.into(),
            actor: cli(),
            occurred_at: t0(),
            payload: json!({}),
            reason: None,
        };
        let update = OrderUpdate {
            snapshot: dispatched.order.clone(),
            lead_department_id: Some(dept),
            reply_content: None,
            publish_reply: false,
            next_timer_at: Some(t0() + Duration::hours(1)),
        };
        let saved = s
            .update_order(&o, &update, &[ev("order.dispatched")], t0())
            .await
            .unwrap();
        assert_eq!(saved.version, 2);
        assert_eq!(saved.state, OrderState::Dispatched);
        assert_eq!(saved.lead_department_id, Some(dept));
        assert_eq!(
            saved.sign_due_at,
            dispatched.order.deadlines.sign.as_ref().map(|d| d.due_at)
        );
        assert_eq!(saved.snapshot, dispatched.order);
        // The store answers with the order it computed, not one read back: it must be the
        // order as stored, to the time precision of the backend (PostgreSQL keeps
        // microseconds; these times have nanoseconds).
        let later = t0() + Duration::nanoseconds(1_234_567_891);
        let replied = update_to(dispatched.order.clone(), Some(dept));
        let again = OrderUpdate {
            reply_content: Some("已处理 done".into()),
            publish_reply: true,
            next_timer_at: Some(later + Duration::nanoseconds(7)),
            ..replied
        };
        let saved = s.update_order(&saved, &again, &[], later).await.unwrap();
        assert_eq!(saved.public_reply.as_deref(), Some("已处理 done"));
        assert_eq!(Some(&saved), s.order(p, o.id).await.unwrap().as_ref());
        let update = OrderUpdate {
            reply_content: None,
            publish_reply: false,
            ..again
        };
        let saved = s.update_order(&saved, &update, &[], later).await.unwrap();
        assert_eq!(saved.reply_content.as_deref(), Some("已处理 done"), "kept");
        assert_eq!(Some(&saved), s.order(p, o.id).await.unwrap().as_ref());
        assert_eq!(saved.version, 4);

        // A stale version is a conflict and writes neither the change nor its event.
        let err = s
            .update_order(&o, &update, &[ev("order.stale")], t0())
            .await
            .unwrap_err();
        assert!(matches!(err, StoreError::Conflict(_)), "{err}");
        assert_eq!(
            event_types(s, p, o.id).await,
            ["order.registered", "order.dispatched"]
        );
        assert_eq!(s.order(p, o.id).await.unwrap().unwrap(), saved);
        let other = s
            .seed_platform(&seed("b", "QZ"), &cli(), t0())
            .await
            .unwrap()
            .id;
        let err = s
            .update_order(
                &WorkOrder {
                    platform_id: other,
                    ..saved.clone()
                },
                &update,
                &[],
                t0(),
            )
            .await
            .unwrap_err();
        assert!(matches!(err, StoreError::NotFound(_)), "{err}");

        // The inbox, the timers query and the filters see the new columns.
        let inbox = s.department_inbox(p, dept, None, None, 10).await.unwrap();
        assert_eq!(inbox.iter().map(|o| o.id).collect::<Vec<_>>(), [o.id]);
        assert!(
            s.department_inbox(p, dept, Some(OrderState::Signed), None, 10)
                .await
                .unwrap()
                .is_empty()
        );
        assert!(s.orders_due_for_timers(t0(), 10).await.unwrap().is_empty());
        let due = s
            .orders_due_for_timers(t0() + Duration::hours(2), 10)
            .await
            .unwrap();
        assert_eq!(due.len(), 1);
        let f = OrderFilter {
            overdue: Some(true),
            ..OrderFilter::default()
        };
        assert!(s.list_orders(p, &f, t0(), 10).await.unwrap().is_empty());
        let later = t0() + Duration::days(5);
        assert_eq!(s.list_orders(p, &f, later, 10).await.unwrap().len(), 1);
        let f = OrderFilter {
            text: Some("停水".into()),
            ..OrderFilter::default()
        };
        assert_eq!(s.list_orders(p, &f, t0(), 10).await.unwrap().len(), 1);
        let f = OrderFilter {
            text: Some("100%".into()),
            ..OrderFilter::default()
        };
        assert!(s.list_orders(p, &f, t0(), 10).await.unwrap().is_empty());

        // The citizen lookup needs the right last 4 digits.
        assert!(
            s.public_order_status(&saved.number, "1234")
                .await
                .unwrap()
                .is_some()
        );
        assert!(
            s.public_order_status(&saved.number, "9999")
                .await
                .unwrap()
                .is_none()
        );
        assert!(
            s.public_order_status("QZ202611270001", "1234")
                .await
                .unwrap()
                .is_none()
        );
        // Registration too answers with the order it built, which must be the row as stored.
        let at = t0() + Duration::nanoseconds(987_654_321);
        let (fresh, _) = s
            .create_order(p, &new_order(at, None), &cli(), at)
            .await
            .unwrap();
        assert_eq!(Some(&fresh), s.order(p, fresh.id).await.unwrap().as_ref());
        let err = s
            .create_order(p + 1000, &new_order(at, None), &cli(), at)
            .await
            .unwrap_err();
        assert!(matches!(err, StoreError::NotFound(_)), "{err}");
    })
    .await;
}

#[tokio::test]
async fn related_orders_and_attachments_stay_in_their_sub_platform() {
    for_each_backend(|db| async move {
        let s = db.store.as_ref();
        let a = s
            .seed_platform(&seed("a", "BS"), &cli(), t0())
            .await
            .unwrap()
            .id;
        let b = s
            .seed_platform(&seed("b", "QZ"), &cli(), t0())
            .await
            .unwrap()
            .id;
        let (o1, _) = s
            .create_order(a, &new_order(t0(), None), &cli(), t0())
            .await
            .unwrap();
        let (o2, _) = s
            .create_order(a, &new_order(t0(), None), &cli(), t0())
            .await
            .unwrap();
        let (ob, _) = s
            .create_order(b, &new_order(t0(), None), &cli(), t0())
            .await
            .unwrap();

        assert!(
            s.relate_orders(a, o1.id, o2.id, &cli(), t0())
                .await
                .unwrap()
        );
        assert!(
            !s.relate_orders(a, o2.id, o1.id, &cli(), t0())
                .await
                .unwrap(),
            "already related"
        );
        let of_o1: Vec<_> = s
            .related_orders(a, o1.id)
            .await
            .unwrap()
            .into_iter()
            .map(|o| o.id)
            .collect();
        let of_o2: Vec<_> = s
            .related_orders(a, o2.id)
            .await
            .unwrap()
            .into_iter()
            .map(|o| o.id)
            .collect();
        assert_eq!((of_o1, of_o2), (vec![o2.id], vec![o1.id]));
        assert_eq!(
            event_types(s, a, o1.id).await.last().map(String::as_str),
            Some("order.related")
        );
        assert_eq!(
            event_types(s, a, o2.id)
                .await
                .iter()
                .filter(|t| *t == "order.related")
                .count(),
            1,
            "relating again wrote no second event"
        );
        // Across sub-platforms, or to itself: refused, nothing written.
        let err = s
            .relate_orders(a, o1.id, ob.id, &cli(), t0())
            .await
            .unwrap_err();
        assert!(matches!(err, StoreError::NotFound("order")), "{err}");
        let err = s
            .relate_orders(a, o1.id, o1.id, &cli(), t0())
            .await
            .unwrap_err();
        assert!(matches!(err, StoreError::Conflict(_)), "{err}");
        assert!(s.related_orders(b, ob.id).await.unwrap().is_empty());

        let meta = NewAttachment {
            file_name: "现场照片.jpg".into(),
            content_type: "image/jpeg".into(),
            size_bytes: 204_800,
            sha256: Some("ab".repeat(32)),
        };
        let att = s
            .add_attachment(a, o1.id, &meta, &cli(), t0())
            .await
            .unwrap();
        assert_eq!(
            (att.order_id, att.size_bytes, att.uploaded_at),
            (o1.id, 204_800, t0())
        );
        assert_eq!(s.attachments(a, o1.id).await.unwrap(), vec![att]);
        assert!(s.attachments(a, o2.id).await.unwrap().is_empty());
        let err = s
            .add_attachment(b, o1.id, &meta, &cli(), t0())
            .await
            .unwrap_err();
        assert!(matches!(err, StoreError::NotFound("order")));
        assert_eq!(
            event_types(s, a, o1.id).await.last().map(String::as_str),
            Some("order.attachment_added")
        );
    })
    .await;
}

/// Many transitions at once share transactions (group commit); each still succeeds or fails
/// on its own: stale versions are conflicts, a write the database refuses (an unknown lead
/// department) fails alone, and every acknowledged change is stored with its event.
#[tokio::test]
async fn concurrent_transitions_succeed_or_fail_each_on_its_own() {
    for_each_backend(|db| async move {
        let s = db.store.clone();
        let p = s
            .seed_platform(&seed("a", "BS"), &cli(), t0())
            .await
            .unwrap()
            .id;
        let mut tasks = Vec::new();
        for i in 0..60 {
            let (o, _) = s
                .create_order(p, &new_order(t0(), None), &cli(), t0())
                .await
                .unwrap();
            let submitted = applied(
                &o.snapshot,
                &Action::SubmitForDispatch,
                rexian_domain::Role::Agent,
                t0(),
            );
            // Every third is stale; every tenth names a department that does not exist.
            let version = if i % 3 == 1 { 7 } else { 1 };
            let o = WorkOrder { version, ..o };
            let update = update_to(submitted, (i % 10 == 5).then_some(999_999));
            let event = order_event(o.id, "order.submitted", json!({ "i": i }));
            let (s, o) = (s.clone(), o.clone());
            tasks.push(tokio::spawn(async move {
                let r = s.update_order(&o, &update, &[event], t0()).await;
                (i, o.id, r)
            }));
        }
        for task in tasks {
            let (i, id, r) = task.await.unwrap();
            let stored = s.order(p, id).await.unwrap().unwrap();
            let events = event_types(s.as_ref(), p, id).await;
            if i % 3 == 1 {
                assert!(matches!(r, Err(StoreError::Conflict(_))), "{i}: {r:?}");
            } else if i % 10 == 5 {
                let e = r.expect_err("an unknown department must be refused");
                assert!(e.to_string().contains("missing record"), "{i}: {e}");
            } else {
                let saved = r.unwrap();
                assert_eq!(
                    (saved.version, saved.state),
                    (2, OrderState::PendingDispatch)
                );
                assert_eq!(stored.version, 2);
                assert_eq!(events, ["order.registered", "order.submitted"], "{i}");
                continue;
            }
            assert_eq!(stored.version, 1, "{i}: nothing half-applied");
            assert_eq!(events, ["order.registered"], "{i}");
        }
    })
    .await;
}

/// The store keeps its own copy of the orders it wrote, for the next transition. When another
/// process (a second store on the same database) changes an order, the copy is stale: the
/// write from it is refused as a conflict, and the next read for a change gives the stored
/// order again.
#[tokio::test]
async fn a_copy_made_stale_by_another_process_is_refused_then_read_again() {
    for_each_backend(|db| async move {
        let s = db.store.clone();
        let (p, o, submitted) = one_order(s.as_ref()).await;
        let update = update_to(submitted, None);
        let mine = s.update_order(&o, &update, &[], t0()).await.unwrap();
        assert_eq!(
            s.order_for_change(p, o.id).await.unwrap(),
            Some(mine.clone())
        );

        let elsewhere = rexian_store::open(&db.location).await.unwrap();
        let theirs = elsewhere
            .update_order(&mine, &update, &[], t0())
            .await
            .unwrap();
        assert_eq!(theirs.version, 3);
        // This store still holds version 2, and may not write from it.
        let copy = s.order_for_change(p, o.id).await.unwrap().unwrap();
        assert_eq!(copy.version, 2);
        let err = s.update_order(&copy, &update, &[], t0()).await.unwrap_err();
        assert!(matches!(err, StoreError::Conflict(_)), "{err}");
        assert_eq!(s.order_for_change(p, o.id).await.unwrap(), Some(theirs));
    })
    .await;
}

/// A department's inbox read a page at a time by (deadline, id): every order once, in
/// deadline order, with orders sharing a deadline split across pages.
#[tokio::test]
async fn the_inbox_pages_by_deadline_without_gaps_or_repeats() {
    for_each_backend(|db| async move {
        let s = db.store.as_ref();
        let p = s
            .seed_platform(&seed("a", "BS"), &cli(), t0())
            .await
            .unwrap()
            .id;
        let dept = s.list_departments(p).await.unwrap()[0].id;
        // Seven orders dispatched at three moments: deadlines shared by two or three orders.
        for i in 0..7i64 {
            let (o, _) = s
                .create_order(p, &new_order(t0(), None), &cli(), t0())
                .await
                .unwrap();
            let at = t0() + Duration::days(i % 3);
            let update = update_to(dispatched(&o.snapshot, at), Some(dept));
            s.update_order(&o, &update, &[], at).await.unwrap();
        }
        let all = s.department_inbox(p, dept, None, None, 100).await.unwrap();
        assert_eq!(all.len(), 7);
        let mut paged = Vec::new();
        let mut after = None;
        loop {
            let page = s.department_inbox(p, dept, None, after, 2).await.unwrap();
            assert!(page.len() <= 2);
            let Some(last) = page.last() else { break };
            after = Some(DeadlineCursor {
                due_at: last.handle_due_at.unwrap(),
                id: last.id,
            });
            paged.extend(page.iter().map(|o| (o.handle_due_at, o.id)));
        }
        let expected: Vec<_> = all.iter().map(|o| (o.handle_due_at, o.id)).collect();
        assert_eq!(paged, expected);
        let mut sorted = expected.clone();
        sorted.sort();
        assert_eq!(expected, sorted, "deadline order, then id");
    })
    .await;
}

/// Transitions of one order queued together (the writer groups them into one statement per
/// run of distinct orders): all expect version 1, exactly one is stored, and what is stored
/// (reply, event) is that one's, not a mix of several.
#[tokio::test]
async fn racing_transitions_of_one_order_store_exactly_the_winner() {
    for_each_backend(|db| async move {
        let s = db.store.clone();
        let (p, o, submitted) = one_order(s.as_ref()).await;
        let mut tasks = Vec::new();
        for i in 0..40 {
            let update = OrderUpdate {
                reply_content: Some(format!("reply {i}")),
                ..update_to(submitted.clone(), None)
            };
            let event = order_event(o.id, "order.submitted", json!({ "i": i }));
            let (s, o) = (s.clone(), o.clone());
            tasks.push(tokio::spawn(async move {
                let r = s.update_order(&o, &update, &[event], t0()).await;
                (i, r)
            }));
        }
        let mut winners = Vec::new();
        for task in tasks {
            match task.await.unwrap() {
                (i, Ok(saved)) => {
                    assert_eq!(saved.reply_content, Some(format!("reply {i}")));
                    winners.push(i);
                }
                (i, Err(e)) => assert!(matches!(e, StoreError::Conflict(_)), "{i}: {e:?}"),
            }
        }
        assert_eq!(winners.len(), 1, "exactly one wins: {winners:?}");
        let stored = s.order(p, o.id).await.unwrap().unwrap();
        assert_eq!(stored.version, 2);
        assert_eq!(stored.reply_content, Some(format!("reply {}", winners[0])));
        let events = s
            .events(p, &AggregateRef::new("order", o.id), None, 100)
            .await
            .unwrap();
        let submitted: Vec<_> = events
            .iter()
            .filter(|e| e.event_type == "order.submitted")
            .map(|e| e.payload["i"].clone())
            .collect();
        assert_eq!(submitted, [json!(winners[0])]);
    })
    .await;
}

/// The assessment reads every order still waiting for its callback in a period, not a page
/// of them (it once read the callback list, capped at 200).
#[tokio::test]
async fn pending_callbacks_due_lists_every_one_in_the_range() {
    for_each_backend(|db| async move {
        let s = db.store.as_ref();
        let p = s
            .seed_platform(&seed("a", "BS"), &cli(), t0())
            .await
            .unwrap()
            .id;
        let (cal, limits) = (Calendar::bundled(), TimeLimits::bundled());
        let leader = OrderActor::user(rexian_domain::Role::ShiftLeader);
        let agent = OrderActor::user(rexian_domain::Role::Agent);
        let shuiwu = DepartmentCode::parse("shuiwu").unwrap();
        let handler = OrderActor::department_handler(shuiwu.clone());
        // One order's way to 待回访, its snapshot reused for the others.
        let (first, _) = s
            .create_order(p, &new_order(t0(), None), &cli(), t0())
            .await
            .unwrap();
        let mut snap = first.snapshot.clone();
        let steps = [
            (Action::SubmitForDispatch, &agent),
            (
                Action::Dispatch {
                    lead_department: shuiwu,
                    assisting_departments: vec![],
                },
                &leader,
            ),
            (Action::Sign, &handler),
            (Action::Start, &handler),
            (
                Action::Reply {
                    content: "已修复".into(),
                },
                &handler,
            ),
            (Action::ApproveReply, &leader),
        ];
        for (action, actor) in &steps {
            snap = apply(&snap, action, actor, t0(), &cal, &limits)
                .unwrap()
                .order;
        }
        assert_eq!(snap.state, OrderState::PendingCallback);
        let due = snap.deadlines.callback.as_ref().unwrap().due_at;
        let update = update_to(snap, None);
        let n = 230;
        for i in 0..n {
            let o = if i == 0 {
                first.clone()
            } else {
                s.create_order(p, &new_order(t0(), None), &cli(), t0())
                    .await
                    .unwrap()
                    .0
            };
            s.update_order(&o, &update, &[], t0()).await.unwrap();
        }
        let all = s
            .pending_callbacks_due(p, due - Duration::hours(1), due + Duration::hours(1))
            .await
            .unwrap();
        assert_eq!(all.len(), n, "more than a page");
        assert!(all.iter().all(|(_, _, d)| *d == due));
        let none = s
            .pending_callbacks_due(p, due + Duration::seconds(1), due + Duration::days(1))
            .await
            .unwrap();
        assert!(none.is_empty(), "the range is [from, to)");
    })
    .await;
}

/// Registrations queued together are written together (one statement per kind of row); each
/// still gets the next number of its own sub-platform and day, its own stored row and event,
/// and the order registered before under its idempotency key. One for a sub-platform that
/// does not exist fails alone.
#[tokio::test]
async fn concurrent_registrations_number_each_sub_platform_without_gaps() {
    for_each_backend(|db| async move {
        let s = db.store.clone();
        let a = s
            .seed_platform(&seed("a", "BS"), &cli(), t0())
            .await
            .unwrap()
            .id;
        let b = s
            .seed_platform(&seed("b", "QZ"), &cli(), t0())
            .await
            .unwrap()
            .id;
        // First a wave of plain registrations, every fifth on sub-platform b; then one where
        // three share a key and one has no sub-platform (which sends its batch to be written
        // write by write).
        let mut tasks = Vec::new();
        for wave in [0..40, 40..45] {
            for i in wave {
                let platform = match i {
                    44 => 999_999,
                    _ if i % 5 == 0 => b,
                    _ => a,
                };
                let key = (i > 40).then_some("twice");
                let new = new_order(t0(), key);
                let s = s.clone();
                tasks.push(tokio::spawn(async move {
                    let r = s.create_order(platform, &new, &cli(), t0()).await;
                    (platform, key.is_some(), r)
                }));
            }
            tokio::task::yield_now().await;
        }
        let mut numbers: std::collections::HashMap<i64, Vec<String>> = Default::default();
        let mut keyed = Vec::new();
        for task in tasks {
            let (platform, has_key, r) = task.await.unwrap();
            if platform == 999_999 {
                assert!(
                    matches!(r, Err(StoreError::NotFound("sub-platform"))),
                    "{r:?}"
                );
                continue;
            }
            let (order, created) = r.unwrap();
            assert_eq!(order.platform_id, platform);
            assert_eq!(
                s.order(platform, order.id).await.unwrap(),
                Some(order.clone())
            );
            if has_key {
                keyed.push((order.id, created));
            }
            if created {
                assert_eq!(
                    event_types(s.as_ref(), platform, order.id).await,
                    ["order.registered"]
                );
                numbers.entry(platform).or_default().push(order.number);
            }
        }
        // The three with one key: one order, created once.
        assert_eq!(keyed.len(), 3);
        assert!(keyed.iter().all(|(id, _)| *id == keyed[0].0));
        assert_eq!(keyed.iter().filter(|(_, created)| *created).count(), 1);
        for (platform, prefix, count) in [(a, "BS", 33), (b, "QZ", 9)] {
            let mut got = numbers.remove(&platform).unwrap_or_default();
            got.sort();
            let want: Vec<String> = (1..=count)
                .map(|n| format!("{prefix}20261127{n:04}"))
                .collect();
            assert_eq!(got, want, "{prefix}");
        }
    })
    .await;
}

/// The group writer keeps its connection between batches (giving it back costs a round
/// trip), but not from the other writers: on SQLite they share the one write connection, and
/// a direct write still gets its turn while transitions keep coming, and once they stopped.
#[tokio::test]
async fn other_writes_get_their_turn_while_the_group_writer_is_busy() {
    for_each_backend(|db| async move {
        let s = db.store.clone();
        let (p, o, submitted) = one_order(s.as_ref()).await;
        let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
        let busy = {
            let (s, stop) = (s.clone(), stop.clone());
            tokio::spawn(async move {
                let mut n = 0;
                while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                    // The same transition again and again from the first version: refused
                    // each time, but each is a batch of the group writer.
                    let _ = s
                        .update_order(&o, &update_to(submitted.clone(), None), &[], t0())
                        .await;
                    s.create_order(p, &new_order(t0(), None), &cli(), t0())
                        .await
                        .unwrap();
                    n += 1;
                }
                n
            })
        };
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        let patience = std::time::Duration::from_secs(5);
        for code in ["c", "d"] {
            let seeded =
                tokio::time::timeout(patience, s.seed_platform(&seed(code, "CJ"), &cli(), t0()))
                    .await;
            assert!(matches!(seeded, Ok(Ok(_))), "{code}: {seeded:?}");
        }
        stop.store(true, std::sync::atomic::Ordering::Relaxed);
        assert!(busy.await.unwrap() > 0);
        let seeded =
            tokio::time::timeout(patience, s.seed_platform(&seed("e", "LD"), &cli(), t0())).await;
        assert!(matches!(seeded, Ok(Ok(_))), "after: {seeded:?}");
    })
    .await;
}

/// SQLite's WAL is copied into the database file in the background (not by the writer's
/// commit, which SQLite would do only past 20,000 pages): the file grows with the orders
/// written without anyone asking for a checkpoint.
#[tokio::test]
async fn the_sqlite_wal_is_checkpointed_in_the_background() {
    let db = testing::sqlite().await;
    let rexian_store::DatabaseLocation::Sqlite { path, .. } = &db.location else {
        panic!("a SQLite location");
    };
    let s = db.store.clone();
    let (p, _, _) = one_order(s.as_ref()).await;
    let settle = std::time::Duration::from_millis(1500);
    tokio::time::sleep(settle).await;
    let before = std::fs::metadata(path).unwrap().len();
    for _ in 0..300 {
        s.create_order(p, &new_order(t0(), None), &cli(), t0())
            .await
            .unwrap();
    }
    tokio::time::sleep(settle).await;
    let after = std::fs::metadata(path).unwrap().len();
    assert!(after > before, "the database file stayed at {before} bytes");
}
