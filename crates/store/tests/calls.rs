//! The calls part of the storage contract, through the trait, on SQLite and (when
//! `REXIAN_TEST_POSTGRES_URL` is set) PostgreSQL.

use chrono::{DateTime, Duration, TimeZone, Utc};
use rexian_domain::{Actor, AggregateRef};
use rexian_store::testing;
use rexian_store::{CallQuery, NewCall, NewPlatform, PlatformSeed, StoreError};
use serde_json::json;

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

/// 2026-10-01 09:00 Beijing time plus `minutes`.
fn at(minutes: i64) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 10, 1, 1, 0, 0).unwrap() + Duration::minutes(minutes)
}

fn call(key: &str, caller: &str, outcome: &str, minutes: i64) -> NewCall {
    let answered = matches!(outcome, "completed" | "transferred");
    NewCall {
        source: "cti".into(),
        dedup_key: key.into(),
        caller: caller.into(),
        called: "12345".into(),
        queue: "general".into(),
        agent: answered.then(|| "agent1".into()),
        arrived_at: at(minutes),
        answered_at: answered.then(|| at(minutes) + Duration::seconds(8)),
        ended_at: at(minutes) + Duration::seconds(100),
        wait_seconds: 8.0,
        talk_seconds: if answered { 92.0 } else { 0.0 },
        wrap_up_seconds: if answered { 30.0 } else { 0.0 },
        outcome: outcome.into(),
        overflow_reason: (outcome == "overflowed").then(|| "wait_too_long".into()),
        satisfaction: None,
        record: serde_json::value::to_raw_value(
            &json!({ "provincial_call_id": key, "satisfaction": null }),
        )
        .unwrap(),
    }
}

#[tokio::test]
async fn calls_are_stored_once_listed_rated_linked_and_fed_to_callbacks() {
    for db in testing::all_backends().await {
        let s = db.store.clone();
        let now = at(600);
        let p = s.seed_platform(&seed("a"), &cli(), now).await.unwrap().id;
        let other = s.seed_platform(&seed("b"), &cli(), now).await.unwrap().id;

        // Idempotent insert.
        let first = s
            .insert_call(
                p,
                &call("HN-1", "13800000001", "abandoned", 0),
                true,
                &cli(),
                now,
            )
            .await
            .unwrap();
        assert!(first.is_some());
        let again = s
            .insert_call(
                p,
                &call("HN-1", "13800000001", "abandoned", 0),
                true,
                &cli(),
                now,
            )
            .await
            .unwrap();
        assert_eq!(again, None, "the same key twice stores nothing");
        // The same key on another sub-platform is another call.
        assert!(
            s.insert_call(
                other,
                &call("HN-1", "13800000001", "abandoned", 0),
                true,
                &cli(),
                now
            )
            .await
            .unwrap()
            .is_some()
        );
        let events = s
            .events(p, &AggregateRef::new("call", first.unwrap()), None, 10)
            .await
            .unwrap();
        assert_eq!(events.len(), 1);
        assert_eq!(events[0].event_type, "call.finished");

        // A second miss of the same number folds into one entry; another number gets its own.
        s.insert_call(
            p,
            &call("HN-2", "13800000001", "overflowed", 5),
            true,
            &cli(),
            now,
        )
        .await
        .unwrap();
        s.insert_call(
            p,
            &call("HN-3", "13800000002", "abandoned", 6),
            true,
            &cli(),
            now,
        )
        .await
        .unwrap();
        // A short abandon is not called back.
        s.insert_call(
            p,
            &call("HN-4", "13800000003", "short_abandoned", 7),
            true,
            &cli(),
            now,
        )
        .await
        .unwrap();
        let open = s.list_callbacks(p, true).await.unwrap();
        assert_eq!(open.len(), 2, "{open:?}");
        assert_eq!(open[0].caller, "13800000001");
        assert_eq!(open[0].missed_count, 2);
        assert_eq!(open[0].day, "2026-10-01");
        assert_eq!(s.list_callbacks(other, true).await.unwrap().len(), 1);

        // The second number calls again and gets through: its entry closes by itself.
        let answered = s
            .insert_call(
                p,
                &call("HN-5", "13800000002", "completed", 30),
                true,
                &cli(),
                now,
            )
            .await
            .unwrap()
            .unwrap();
        let open = s.list_callbacks(p, true).await.unwrap();
        assert_eq!(open.len(), 1);
        let all = s.list_callbacks(p, false).await.unwrap();
        let closed = all.iter().find(|c| c.caller == "13800000002").unwrap();
        assert_eq!(
            (closed.status.as_str(), closed.outcome.as_deref()),
            ("closed", Some("got_through"))
        );
        // An abandon after which the number already got through that day is not listed
        // (imports may come in any order).
        s.insert_call(
            p,
            &call("HN-6", "13800000002", "abandoned", 10),
            true,
            &cli(),
            now,
        )
        .await
        .unwrap();
        assert_eq!(s.list_callbacks(p, true).await.unwrap().len(), 1);

        // Attempts: no answer keeps it open, reached closes it, a closed entry is a conflict.
        let id = open[0].id;
        let cb = s
            .record_callback_attempt(p, id, "no_answer", None, &cli(), now)
            .await
            .unwrap();
        assert_eq!((cb.attempts, cb.status.as_str()), (1, "open"));
        let cb = s
            .record_callback_attempt(p, id, "reached", Some("已答复"), &cli(), now)
            .await
            .unwrap();
        assert_eq!((cb.attempts, cb.status.as_str()), (2, "closed"));
        assert!(matches!(
            s.record_callback_attempt(p, id, "reached", None, &cli(), now)
                .await,
            Err(StoreError::Conflict(_))
        ));
        assert!(matches!(
            s.record_callback_attempt(other, id, "reached", None, &cli(), now)
                .await,
            Err(StoreError::NotFound(_))
        ));

        // Satisfaction on an answered call, once; never on an unanswered one.
        let rated = s
            .set_call_satisfaction(p, "HN-5", "satisfied", &cli(), now)
            .await
            .unwrap();
        assert_eq!(rated.satisfaction.as_deref(), Some("satisfied"));
        assert_eq!(rated.record["satisfaction"], "satisfied");
        assert!(matches!(
            s.set_call_satisfaction(p, "HN-5", "dissatisfied", &cli(), now)
                .await,
            Err(StoreError::Conflict(_))
        ));
        assert!(matches!(
            s.set_call_satisfaction(p, "HN-1", "satisfied", &cli(), now)
                .await,
            Err(StoreError::Conflict(_))
        ));
        assert!(matches!(
            s.set_call_satisfaction(p, "nope", "satisfied", &cli(), now)
                .await,
            Err(StoreError::NotFound(_))
        ));
        let stored = s.call_by_key(p, "HN-5").await.unwrap().unwrap();
        assert_eq!(stored.record["satisfaction"], "satisfied");

        // Link to an order, idempotently; another order is a conflict.
        let linked = s
            .link_call_order(p, answered, 77, &cli(), now)
            .await
            .unwrap();
        assert_eq!(linked.order_id, Some(77));
        s.link_call_order(p, answered, 77, &cli(), now)
            .await
            .unwrap();
        assert!(matches!(
            s.link_call_order(p, answered, 78, &cli(), now).await,
            Err(StoreError::Conflict(_))
        ));
        assert!(matches!(
            s.link_call_order(other, answered, 77, &cli(), now).await,
            Err(StoreError::NotFound(_))
        ));

        // Listing with filters and a period.
        let all = s.list_calls(p, &CallQuery::default()).await.unwrap();
        assert_eq!(all.len(), 6);
        assert_eq!(all[0].dedup_key, "HN-5", "newest first");
        let q = CallQuery {
            from: Some(at(5)),
            to: Some(at(10)),
            ..Default::default()
        };
        let keys: Vec<_> = s
            .list_calls(p, &q)
            .await
            .unwrap()
            .into_iter()
            .map(|c| c.dedup_key)
            .collect();
        assert_eq!(keys, ["HN-4", "HN-3", "HN-2"]);
        let q = CallQuery {
            agent: Some("agent1".into()),
            ..Default::default()
        };
        assert_eq!(s.list_calls(p, &q).await.unwrap().len(), 1);
        let q = CallQuery {
            outcome: Some("abandoned".into()),
            oldest_first: true,
            limit: Some(1),
            ..Default::default()
        };
        let first = s.list_calls(p, &q).await.unwrap();
        assert_eq!(first[0].dedup_key, "HN-1");
        assert!(!first[0].short_abandon);

        // Batch insert: new ones counted, known keys skipped.
        let batch: Vec<NewCall> = (0..5)
            .map(|i| {
                let mut c = call(&format!("asterisk_queue_log:{i}"), "", "completed", 100 + i);
                c.source = "asterisk_queue_log".into();
                c
            })
            .collect();
        assert_eq!(s.insert_calls(p, &batch, &cli(), now).await.unwrap(), 5);
        assert_eq!(s.insert_calls(p, &batch, &cli(), now).await.unwrap(), 0);
        assert_eq!(
            s.list_calls(p, &CallQuery::default()).await.unwrap().len(),
            11
        );
    }
}
