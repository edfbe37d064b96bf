//! The open work orders this process last wrote or read, for the next transition.
//!
//! A transition reads its order and then writes it back only if the version is unchanged. On
//! SQLite that read was two hand-offs to sqlx's connection thread (the query, and the ping
//! sqlx does when the connection goes back to its pool), a fifth of a transition's cost. This
//! process writes every transition through one store, so it knows the newest version of each
//! order it touched. Another process (a `rexian` command on the same database) can still
//! change an order behind it. The copy may therefore be stale, and is used only where a stale
//! copy is caught: the version-checked write refuses it with `Conflict`, the entry is dropped,
//! and the caller reads again (`OrderStore::order_for_change`).
//!
//! Bounded: orders that reach a terminal state leave it, and when it is full it starts again
//! empty (the next transition of each order reads it once).

use std::collections::HashMap;
use std::sync::Mutex;

use crate::orders::WorkOrder;

/// Entries kept at most: the open orders of a busy province for days, a few tens of MB.
const CAPACITY: usize = 16_384;

#[derive(Default)]
pub(crate) struct OrderCache {
    orders: Mutex<HashMap<(i64, i64), WorkOrder>>,
}

impl OrderCache {
    pub(crate) fn get(&self, platform_id: i64, id: i64) -> Option<WorkOrder> {
        self.lock().get(&(platform_id, id)).cloned()
    }

    /// Keeps `order` unless a newer version is kept already (writers finish in any order).
    pub(crate) fn put(&self, order: &WorkOrder) {
        let key = (order.platform_id, order.id);
        let mut orders = self.lock();
        if order.state.is_terminal() {
            orders.remove(&key);
            return;
        }
        if orders.get(&key).is_some_and(|o| o.version >= order.version) {
            return;
        }
        if orders.len() >= CAPACITY && !orders.contains_key(&key) {
            orders.clear();
        }
        orders.insert(key, order.clone());
    }

    pub(crate) fn forget(&self, platform_id: i64, id: i64) {
        self.lock().remove(&(platform_id, id));
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<(i64, i64), WorkOrder>> {
        // A panic while holding the lock cannot leave a half-written map entry.
        self.orders.lock().unwrap_or_else(|p| p.into_inner())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{TimeZone, Utc};
    use rexian_orders::{
        Actor as OrderActor, OrderNumber, OrderState, RequestKind, Source, SupervisionLevel,
        register,
    };

    fn order(id: i64, version: i64, state: OrderState) -> WorkOrder {
        let now = Utc.with_ymd_and_hms(2026, 11, 27, 1, 0, 0).unwrap();
        let number = OrderNumber::parse("BS202611270001").unwrap();
        let actor = OrderActor::user(rexian_domain::Role::Agent);
        let mut snapshot = register(number, RequestKind::Help, false, &actor, now)
            .unwrap()
            .order;
        snapshot.state = state;
        WorkOrder {
            id,
            platform_id: 1,
            number: "BS202611270001".into(),
            kind: RequestKind::Help,
            state,
            urgent: false,
            confidential: false,
            leader_flagged: false,
            source: Source::PhoneCall,
            supervision_level: SupervisionLevel::None,
            category_code: None,
            title: "停水".into(),
            content: "停水两天".into(),
            caller_name: "李女士".into(),
            caller_phone: "13900001234".into(),
            town: None,
            address: None,
            lat: None,
            lng: None,
            call_id: None,
            lead_department_id: None,
            reply_content: None,
            public_reply: None,
            snapshot,
            sign_due_at: None,
            handle_due_at: None,
            callback_due_at: None,
            next_timer_at: None,
            version,
            created_at: now,
            updated_at: now,
        }
    }

    #[test]
    fn keeps_the_newest_version_and_lets_finished_orders_go() {
        let cache = OrderCache::default();
        cache.put(&order(7, 3, OrderState::Dispatched));
        // A writer that finished later with an older version does not replace it.
        cache.put(&order(7, 2, OrderState::PendingDispatch));
        assert_eq!(cache.get(1, 7).map(|o| o.version), Some(3));
        assert!(cache.get(2, 7).is_none(), "another sub-platform's order 7");
        cache.put(&order(7, 4, OrderState::Signed));
        assert_eq!(cache.get(1, 7).map(|o| o.state), Some(OrderState::Signed));
        cache.put(&order(7, 5, OrderState::Closed));
        assert!(cache.get(1, 7).is_none(), "a closed order leaves the cache");
        cache.put(&order(8, 1, OrderState::Registered));
        cache.forget(1, 8);
        assert!(cache.get(1, 8).is_none());
    }

    #[test]
    fn starts_again_empty_when_full() {
        let cache = OrderCache::default();
        for id in 0..CAPACITY as i64 {
            cache.put(&order(id, 1, OrderState::Registered));
        }
        assert!(cache.get(1, 0).is_some());
        cache.put(&order(CAPACITY as i64, 1, OrderState::Registered));
        assert!(cache.get(1, 0).is_none());
        assert!(cache.get(1, CAPACITY as i64).is_some());
        assert_eq!(cache.lock().len(), 1);
    }
}
