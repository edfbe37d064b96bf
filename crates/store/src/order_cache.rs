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
