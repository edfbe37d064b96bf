//! The report reads (issue 6) through the `Store` trait, on SQLite and (with
//! `REXIAN_TEST_POSTGRES_URL`) PostgreSQL.

use chrono::{DateTime, Duration, TimeZone, Utc};
use rexian_domain::{Actor, Role};
use rexian_domain::{AggregateRef, NewEvent};
use rexian_orders::{Actor as OrderActor, OrderNumber, RequestKind, Source, register};
use rexian_store::testing;
use rexian_store::{DeadlineEvent, NewOrder, NewPlatform, NewUser, OrderUpdate, PlatformSeed};
use serde_json::json;

fn t0() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 10, 1, 0, 0, 0).unwrap()
}

fn cli() -> Actor {
    Actor::Cli {
        os_user: "test".into(),
    }
}

fn seed(code: &str) -> PlatformSeed {
    PlatformSeed {
        platform: NewPlatform {
            code: code.into(),
            name: format!("{code} 分平台"),
            order_prefix: "XX".into(),
        },
        towns: vec![],
        departments: vec![],
        seats: vec![],
        staff: vec![],
    }
}

fn user(name: &str) -> NewUser {
    NewUser {
        username: name.into(),
        display_name: name.into(),
        role: Role::Agent,
        department_id: None,
        password_hash: "$argon2id$fake".into(),
    }
}

#[tokio::test]
async fn events_by_type_reads_one_type_in_a_half_open_range_of_one_platform() {
    for db in testing::all_backends().await {
        let s = &db.store;
        let a = s.seed_platform(&seed("aa"), &cli(), t0()).await.unwrap();
        let b = s.seed_platform(&seed("bb"), &cli(), t0()).await.unwrap();
        for (i, at) in [0i64, 10, 20, 30].into_iter().enumerate() {
            let now = t0() + Duration::minutes(at);
            s.create_user(a.id, &user(&format!("a{i}")), &cli(), now)
                .await
                .unwrap();
        }
        s.create_user(b.id, &user("b0"), &cli(), t0() + Duration::minutes(10))
            .await
            .unwrap();
        let got = s
            .events_by_type(
                a.id,
                "user.created",
                t0() + Duration::minutes(10),
                t0() + Duration::minutes(30),
            )
            .await
            .unwrap();
        let times: Vec<_> = got.iter().map(|e| e.occurred_at).collect();
        assert_eq!(
            times,
            vec![t0() + Duration::minutes(10), t0() + Duration::minutes(20)],
            "on {:?}",
            s.backend()
        );
        assert!(got.iter().all(|e| e.platform_id == a.id));
        let none = s
            .events_by_type(a.id, "user.nothing", t0(), t0() + Duration::days(1))
            .await
            .unwrap();
        assert!(none.is_empty());
    }
}

#[tokio::test]
async fn call_facts_are_the_calls_of_a_range_oldest_first_with_their_figures() {
    for db in testing::all_backends().await {
        let s = &db.store;
        let a = s.seed_platform(&seed("aa"), &cli(), t0()).await.unwrap();
        let b = s.seed_platform(&seed("bb"), &cli(), t0()).await.unwrap();
        let call = |key: &str, minutes: i64, outcome: &str, rating: Option<&str>| {
            let at = t0() + Duration::minutes(minutes);
            rexian_store::NewCall {
                source: "cti".into(),
                dedup_key: key.into(),
                caller: "13900001234".into(),
                called: "12345".into(),
                queue: "general".into(),
                agent: (outcome == "completed").then(|| "A01".into()),
                arrived_at: at,
                answered_at: None,
                ended_at: at + Duration::seconds(60),
                wait_seconds: 12.5,
                talk_seconds: 0.0,
                wrap_up_seconds: 0.0,
                outcome: outcome.into(),
                overflow_reason: None,
                satisfaction: rating.map(str::to_owned),
                record: serde_json::value::RawValue::from_string("{}".to_owned()).unwrap(),
            }
        };
        for c in [
            call("k3", 30, "abandoned", None),
            call("k1", 10, "completed", Some("satisfied")),
            call("k0", 0, "completed", None),
            call("k9", 90, "completed", None),
        ] {
            s.insert_call(a.id, &c, false, &cli(), t0()).await.unwrap();
        }
        s.insert_call(b.id, &call("k1", 10, "busy", None), false, &cli(), t0())
            .await
            .unwrap();
        let facts = s
            .call_facts(
                a.id,
                t0() + Duration::minutes(10),
                t0() + Duration::minutes(90),
            )
            .await
            .unwrap();
        let got: Vec<_> = facts
            .iter()
            .map(|f| {
                (
                    f.outcome.as_str(),
                    f.satisfaction.as_deref(),
                    f.agent.as_deref(),
                )
            })
            .collect();
        assert_eq!(
            got,
            [
                ("completed", Some("satisfied"), Some("A01")),
                ("abandoned", None, None)
            ],
            "on {:?}",
            s.backend()
        );
        assert_eq!(facts[0].arrived_at, t0() + Duration::minutes(10));
        assert_eq!(facts[0].wait_seconds, 12.5);
        assert_eq!(facts[0].caller, "13900001234");
        assert_eq!(facts[0].queue, "general");

        // Grouped: k0 k1 k9 completed (k1 rated), k3 abandoned; quick below 20 s.
        let mut groups = s
            .call_groups(a.id, t0(), t0() + Duration::minutes(91), 20.0)
            .await
            .unwrap();
        groups.sort_by(|x, y| (&x.outcome, &x.satisfaction).cmp(&(&y.outcome, &y.satisfaction)));
        let got: Vec<_> = groups
            .iter()
            .map(|g| {
                (
                    g.outcome.as_str(),
                    g.satisfaction.as_deref(),
                    g.quick,
                    g.ids.len(),
                )
            })
            .collect();
        assert_eq!(
            got,
            [
                ("abandoned", None, true, 1),
                ("completed", None, true, 2),
                ("completed", Some("satisfied"), true, 1)
            ],
            "on {:?}",
            s.backend()
        );
        assert!(groups[1].ids[0] < groups[1].ids[1], "ids ascending");
        let slow = s
            .call_groups(a.id, t0(), t0() + Duration::minutes(91), 10.0)
            .await
            .unwrap();
        assert!(slow.iter().all(|g| !g.quick));
        assert!(
            s.call_groups(b.id, t0(), t0(), 10.0)
                .await
                .unwrap()
                .is_empty()
        );
    }
}

/// What `call_groups` should give, computed from `call_facts`: (outcome, rating, quick) →
/// ids ascending, in key order.
type Grouped = Vec<((String, Option<String>, bool), Vec<i64>)>;

async fn groups_both_ways(
    s: &dyn rexian_store::Store,
    p: i64,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
    quick: f64,
) -> (Grouped, Grouped) {
    let mut want = std::collections::BTreeMap::<_, Vec<i64>>::new();
    for f in s.call_facts(p, from, to).await.unwrap() {
        want.entry((f.outcome, f.satisfaction, f.wait_seconds < quick))
            .or_default()
            .push(f.id);
    }
    let want = want
        .into_iter()
        .map(|(k, mut ids)| {
            ids.sort_unstable();
            (k, ids)
        })
        .collect();
    let got = s
        .call_groups(p, from, to, quick)
        .await
        .unwrap()
        .into_iter()
        .map(|g| ((g.outcome, g.satisfaction, g.quick), g.ids))
        .collect();
    (got, want)
}

#[tokio::test]
async fn call_groups_group_every_call_exactly_whatever_its_outcome_and_rating() {
    for db in testing::all_backends().await {
        let s = db.store.as_ref();
        let a = s.seed_platform(&seed("aa"), &cli(), t0()).await.unwrap();
        let call = |n: usize, outcome: &str, rating: Option<&str>, wait: f64| {
            let at = t0() + Duration::seconds(n as i64 * 7);
            rexian_store::NewCall {
                source: "asterisk_queue_log".into(),
                dedup_key: format!("k{n}"),
                caller: "13900001234".into(),
                called: "12345".into(),
                queue: "general".into(),
                agent: None,
                arrived_at: at,
                answered_at: None,
                ended_at: at + Duration::seconds(60),
                wait_seconds: wait,
                talk_seconds: 0.0,
                wrap_up_seconds: 0.0,
                outcome: outcome.into(),
                overflow_reason: None,
                satisfaction: rating.map(str::to_owned),
                record: serde_json::value::RawValue::from_string("{}".to_owned()).unwrap(),
            }
        };
        // Every outcome and rating the store codes, quick or not, in an order unlike
        // either the ids' or the groups'.
        let outcomes = [
            "overflowed",
            "completed",
            "busy",
            "transferred",
            "short_abandoned",
            "failed",
            "abandoned",
        ];
        let ratings = [
            None,
            Some("dissatisfied"),
            Some("satisfied"),
            Some("basically_satisfied"),
        ];
        let mut calls = Vec::new();
        for (i, o) in outcomes.iter().enumerate() {
            for (j, r) in ratings.iter().enumerate() {
                for k in 0..3 {
                    let n = calls.len();
                    let wait = [3.0, 10.0, 25.5][(i + j + k) % 3];
                    calls.push(call(n, o, *r, wait));
                }
            }
        }
        calls.reverse();
        s.insert_calls(a.id, &calls, &cli(), t0()).await.unwrap();
        let to = t0() + Duration::days(1);
        let (got, want) = groups_both_ways(s, a.id, t0(), to, 10.0).await;
        assert_eq!(got.len(), outcomes.len() * ratings.len() * 2, "{got:?}");
        assert_eq!(got, want, "on {:?}", s.backend());
        // A range that cuts through the calls.
        let (got, want) = groups_both_ways(
            s,
            a.id,
            t0() + Duration::seconds(30),
            t0() + Duration::seconds(400),
            25.5,
        )
        .await;
        assert!(!got.is_empty());
        assert_eq!(got, want, "on {:?}", s.backend());

        // An outcome and a rating the store does not know are grouped as exactly.
        let n = calls.len();
        let odd = [
            call(n, "voicemail", None, 4.0),
            call(n + 1, "completed", Some("very_satisfied"), 40.0),
            call(n + 2, "completed", Some("very_satisfied"), 41.0),
        ];
        s.insert_calls(a.id, &odd, &cli(), t0()).await.unwrap();
        let (got, want) = groups_both_ways(s, a.id, t0(), to, 10.0).await;
        assert!(
            got.iter()
                .any(|(k, ids)| k.0 == "voicemail" && ids.len() == 1)
        );
        assert_eq!(got, want, "on {:?}", s.backend());
    }
}

fn new_order(now: DateTime<Utc>) -> NewOrder {
    let placeholder = OrderNumber::parse("XX202610010001").unwrap();
    let t = register(
        placeholder,
        RequestKind::Help,
        false,
        &OrderActor::user(Role::Agent),
        now,
    )
    .unwrap();
    NewOrder {
        snapshot: t.order,
        confidential: false,
        leader_flagged: false,
        source: Source::PhoneCall,
        category_code: None,
        title: "停水".into(),
        content: "某村停水".into(),
        caller_name: "李女士".into(),
        caller_phone: "13900001234".into(),
        town: None,
        address: None,
        lat: None,
        lng: None,
        call_id: None,
        idempotency_key: None,
    }
}

#[tokio::test]
async fn callback_deadline_events_read_the_deadlines_out_of_the_payloads_as_written() {
    for db in testing::all_backends().await {
        let s = db.store.as_ref();
        let a = s.seed_platform(&seed("aa"), &cli(), t0()).await.unwrap();
        let b = s.seed_platform(&seed("bb"), &cli(), t0()).await.unwrap();
        let (o, _) = s
            .create_order(a.id, &new_order(t0()), &cli(), t0())
            .await
            .unwrap();
        let (ob, _) = s
            .create_order(b.id, &new_order(t0()), &cli(), t0())
            .await
            .unwrap();
        let cb = |deadline: serde_json::Value, due: serde_json::Value, on_time, number| {
            json!({
                "number": number,
                "timeliness": {"deadline": deadline, "due_at": due, "on_time": on_time},
            })
        };
        // (minutes after t0, type, payload), written out of time order.
        let events = [
            (
                50,
                "order.callback_overdue",
                json!({"number": "XX-1", "due_at": "2026-10-03T00:00:00Z"}),
            ),
            (
                20,
                "order.called_back",
                cb(
                    json!("callback"),
                    json!("2026-10-02T00:00:00Z"),
                    json!(true),
                    json!("XX-1"),
                ),
            ),
            (
                10,
                "order.called_back",
                cb(
                    json!("callback"),
                    json!("2026-10-01T08:00:00Z"),
                    json!(false),
                    json!("引号\"号"),
                ),
            ),
            (
                30,
                "order.called_back",
                cb(
                    json!("handle"),
                    json!("2026-10-02T00:00:00Z"),
                    json!(true),
                    json!("XX-1"),
                ),
            ),
            (
                40,
                "order.called_back",
                cb(json!("callback"), json!(17), json!("true"), json!(42)),
            ),
            (45, "order.called_back", json!({"number": "XX-1"})),
            (60, "order.callback_overdue", json!({"due_at": 5})),
            (
                55,
                "order.callback_overdue",
                json!({"number": null, "due_at": "2026-10-04T00:00:00Z"}),
            ),
            (
                24 * 60,
                "order.called_back",
                cb(
                    json!("callback"),
                    json!("2026-10-05T00:00:00Z"),
                    json!(true),
                    json!("late"),
                ),
            ),
        ];
        let mut order = o.clone();
        for (minutes, event_type, payload) in events {
            let e = NewEvent {
                aggregate: AggregateRef::new("order", o.id),
                event_type: event_type.into(),
                actor: cli(),
                occurred_at: t0() + Duration::minutes(minutes),
                payload,
                reason: None,
            };
            let update = OrderUpdate {
                snapshot: o.snapshot.clone(),
                lead_department_id: None,
                reply_content: None,
                publish_reply: false,
                next_timer_at: None,
            };
            order = s.update_order(&order, &update, &[e], t0()).await.unwrap();
        }
        let other = NewEvent {
            aggregate: AggregateRef::new("order", ob.id),
            event_type: "order.called_back".into(),
            actor: cli(),
            occurred_at: t0() + Duration::minutes(15),
            payload: cb(
                json!("callback"),
                json!("2026-10-02T00:00:00Z"),
                json!(true),
                json!("YY"),
            ),
            reason: None,
        };
        let update = OrderUpdate {
            snapshot: ob.snapshot.clone(),
            lead_department_id: None,
            reply_content: None,
            publish_reply: false,
            next_timer_at: None,
        };
        s.update_order(&ob, &update, &[other], t0()).await.unwrap();

        let got = s
            .callback_deadline_events(a.id, t0(), t0() + Duration::hours(2))
            .await
            .unwrap();
        let id = o.id.to_string();
        let e = |number: Option<&str>, due: Option<&str>, on_time, overdue| DeadlineEvent {
            aggregate_id: id.clone(),
            number: number.map(str::to_owned),
            due_at: due.map(str::to_owned),
            on_time,
            overdue,
        };
        assert_eq!(
            got,
            [
                e(Some("引号\"号"), Some("2026-10-01T08:00:00Z"), false, false),
                e(Some("XX-1"), Some("2026-10-02T00:00:00Z"), true, false),
                e(None, None, false, false),
                e(Some("XX-1"), Some("2026-10-03T00:00:00Z"), false, true),
                e(None, Some("2026-10-04T00:00:00Z"), false, true),
                e(None, None, false, true),
            ],
            "on {:?}",
            s.backend()
        );
        assert!(
            s.callback_deadline_events(a.id, t0() + Duration::hours(3), t0() + Duration::hours(4))
                .await
                .unwrap()
                .is_empty()
        );
    }
}
