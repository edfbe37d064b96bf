//! Deadline timers in the server. A background task wakes every second (and at once after a
//! transition that left something due), loads the orders whose `next_timer_at` has come,
//! runs `rexian_orders::timers::check` and writes the timer events with the new snapshot in
//! one transaction, as the actor `system:timers`. Nothing is held only in memory: after a
//! restart the first pass finds every order whose timer came due while the server was down,
//! and `check` fires each missed event once (its markers are in the stored snapshot).

use std::sync::{Arc, OnceLock};
use std::time::Duration;

use rexian_domain::{Actor, AggregateRef, NewEvent};
use rexian_orders::timers;
use rexian_store::{OrderUpdate, StoreError, WorkOrder};
use serde_json::json;
use tokio::sync::Notify;

use crate::AppState;

/// How often the loop looks when nothing wakes it.
pub const TICK: Duration = Duration::from_secs(1);
/// Orders handled per pass.
const BATCH: i64 = 500;

fn notify() -> &'static Arc<Notify> {
    static N: OnceLock<Arc<Notify>> = OnceLock::new();
    N.get_or_init(|| Arc::new(Notify::new()))
}

/// Asks the timer loop to look now (after a transition left something due).
pub fn wake() {
    notify().notify_one();
}

/// Starts the loop; the server aborts it on shutdown.
pub fn spawn(state: &AppState) -> tokio::task::JoinHandle<()> {
    let state = state.clone();
    tokio::spawn(async move {
        loop {
            match run_once(&state).await {
                Ok(n) if n as i64 >= BATCH => continue,
                Ok(_) => {}
                Err(e) => tracing::warn!(error = %e, "deadline timers pass failed"),
            }
            tokio::select! {
                () = tokio::time::sleep(TICK) => {}
                () = notify().notified() => {}
            }
        }
    })
}

/// One pass: fires what is due now. Returns how many orders it looked at.
pub async fn run_once(state: &AppState) -> Result<usize, StoreError> {
    let now = state.clock.now();
    let due = state.store.orders_due_for_timers(now, BATCH).await?;
    let n = due.len();
    for order in due {
        match fire(state, &order, now).await {
            Ok(()) => {}
            // A user changed the order meanwhile; the next pass sees the new version.
            Err(StoreError::Conflict(_)) => {}
            Err(e) => return Err(e),
        }
    }
    Ok(n)
}

/// What firing an order's due timers at `now` writes: the timer events (actor
/// `system:timers`) and the new snapshot. Shared with `rexian demo`.
pub fn timer_record(
    order: &WorkOrder,
    now: chrono::DateTime<chrono::Utc>,
) -> (OrderUpdate, Vec<NewEvent>) {
    let check = timers::check(&order.snapshot, now);
    let actor = Actor::system("timers");
    let events: Vec<NewEvent> = check
        .events
        .iter()
        .map(|e| NewEvent {
            aggregate: AggregateRef::new("order", order.id),
            event_type: e.event_type().to_owned(),
            actor: actor.clone(),
            occurred_at: now,
            payload: json!({
                "number": order.number,
                "deadline": e.deadline,
                "timer": e.timer,
                "due_at": e.due_at,
                "fire_at": e.fire_at,
                "supervision": e.supervision.map(|(from, to)| json!({"from": from, "to": to})),
            }),
            reason: None,
        })
        .collect();
    let update = OrderUpdate {
        snapshot: check.order,
        lead_department_id: order.lead_department_id,
        reply_content: None,
        publish_reply: false,
        next_timer_at: check.next_due_at,
    };
    (update, events)
}

async fn fire(
    state: &AppState,
    order: &WorkOrder,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<(), StoreError> {
    let (update, events) = timer_record(order, now);
    state
        .store
        .update_order(order, &update, &events, now)
        .await?;
    Ok(())
}
