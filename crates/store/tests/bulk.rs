//! Bulk loading of orders with their history (`BulkStore::import_orders`), on SQLite and
//! (when `REXIAN_TEST_POSTGRES_URL` is set) PostgreSQL.

use chrono::{DateTime, Duration, TimeZone, Utc};
use rexian_domain::{Actor, AggregateRef, NewEvent};
use rexian_orders::{Actor as OrderActor, OrderNumber, RequestKind, Source, register};
use rexian_store::testing;
use rexian_store::{ImportedOrder, NewOrder, NewPlatform, PlatformSeed, StoreError};
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

fn imported(number: &str, at: DateTime<Utc>) -> ImportedOrder {
    let agent = OrderActor::user(rexian_domain::Role::Agent);
    let t = register(
        OrderNumber::parse(number).unwrap(),
        RequestKind::Help,
        false,
        &agent,
        at,
    )
    .unwrap();
    let events = ["order.registered", "order.called_back"]
        .iter()
        .enumerate()
        .map(|(k, ty)| NewEvent {
            // Replaced by the stored order's id.
            aggregate: AggregateRef::new("order", 0),
            event_type: (*ty).into(),
            actor: cli(),
            occurred_at: at + Duration::hours(k as i64),
            payload: json!({"number": number}),
            reason: None,
        })
        .collect();
    ImportedOrder {
        new: NewOrder {
            snapshot: t.order,
            confidential: false,
            leader_flagged: false,
            source: Source::PhoneCall,
            category_code: None,
            title: "问题".into(),
            content: "内容".into(),
            caller_name: "市民".into(),
            caller_phone: "13800001111".into(),
            town: None,
            address: None,
            lat: None,
            lng: None,
            call_id: None,
            idempotency_key: None,
        },
        lead_department_id: None,
        reply_content: None,
        public_reply: None,
        next_timer_at: None,
        created_at: at,
        updated_at: at + Duration::hours(1),
        events,
    }
}

#[tokio::test]
async fn imported_orders_are_stored_with_their_events_and_move_the_daily_sequence() {
    for db in testing::all_backends().await {
        let s = db.store.as_ref();
        let mut seed = PlatformSeed::baisha();
        seed.platform = NewPlatform {
            code: "bulk".into(),
            name: "批量".into(),
            order_prefix: "BK".into(),
        };
        let p = s.seed_platform(&seed, &cli(), t0()).await.unwrap().id;
        // 1,200 orders: more than one statement's worth (500 rows each). One was dispatched
        // and answered, with a timer pending: those columns are stored too.
        let dept = s.list_departments(p).await.unwrap()[0].id;
        let timer = t0() + Duration::days(2);
        let orders: Vec<ImportedOrder> = (1..=1200)
            .map(|i| imported(&format!("BK20261127{i:04}"), t0() + Duration::seconds(i)))
            .map(|o| match o.new.snapshot.number.as_str() {
                "BK202611270778" => ImportedOrder {
                    lead_department_id: Some(dept),
                    reply_content: Some("已处理".into()),
                    public_reply: Some("已处理。".into()),
                    next_timer_at: Some(timer),
                    ..o
                },
                _ => o,
            })
            .collect();
        assert_eq!(
            s.import_orders(p, &orders).await.unwrap(),
            1200,
            "{}",
            db.url
        );

        let o = s
            .order_by_number(p, "BK202611270777")
            .await
            .unwrap()
            .unwrap();
        assert_eq!(o.created_at, t0() + Duration::seconds(777));
        assert_eq!(
            o.updated_at,
            t0() + Duration::seconds(777) + Duration::hours(1)
        );
        assert_eq!(
            (o.lead_department_id, o.reply_content, o.next_timer_at),
            (None, None, None)
        );
        let answered = s
            .order_by_number(p, "BK202611270778")
            .await
            .unwrap()
            .unwrap();
        assert_eq!(answered.lead_department_id, Some(dept));
        assert_eq!(answered.reply_content.as_deref(), Some("已处理"));
        assert_eq!(answered.public_reply.as_deref(), Some("已处理。"));
        assert_eq!(answered.next_timer_at, Some(timer));
        assert_eq!(answered.version, 1);
        let events = s
            .events(p, &AggregateRef::new("order", o.id), None, 10)
            .await
            .unwrap();
        let types: Vec<&str> = events.iter().map(|e| e.event_type.as_str()).collect();
        assert_eq!(types, ["order.registered", "order.called_back"]);
        assert_eq!(events[0].payload["number"], "BK202611270777");

        // The next order registered the normal way that day gets the following number.
        let next = imported("BK202611270001", t0());
        let (created, _) = s.create_order(p, &next.new, &cli(), t0()).await.unwrap();
        assert_eq!(created.number, "BK202611271201");

        // A number used already, or another sub-platform's prefix: a conflict, nothing stored.
        let again = vec![
            imported("BK202611280001", t0()),
            imported("BK202611270005", t0()),
        ];
        assert!(matches!(
            s.import_orders(p, &again).await,
            Err(StoreError::Conflict(_))
        ));
        assert!(
            s.order_by_number(p, "BK202611280001")
                .await
                .unwrap()
                .is_none()
        );
        let foreign = vec![imported("BS202611280001", t0())];
        let err = s.import_orders(p, &foreign).await.unwrap_err();
        assert!(err.to_string().contains("orders[0]"), "{err}");
    }
}
