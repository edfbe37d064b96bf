//! The group writer's work-order writes: registrations and transitions of a batch, with one
//! statement per kind of row whatever their number. Each statement is a round trip to the
//! database (on SQLite, to sqlx's connection thread and back) inside the one writer, which
//! runs its batches one after the other: those round trips, not the rows, were what limited
//! the throughput. Compiled once per backend like `sql.rs` (`super::Db`).
//!
//! A batch writes, in this order: the day's order numbers of every registration (one upsert
//! of `order_sequences`), the new orders (one `INSERT`), then the transitions
//! (`UPDATE … FROM (VALUES …)`) and every event of both (`INSERT`) in one round trip: on
//! SQLite two statements of one query, on PostgreSQL one statement with the `UPDATE` in a
//! `WITH`. The stored orders are computed here rather than read back with `RETURNING` (a
//! hand-off per row).
//!
//! Where the database can say only that not everything went as expected (an `UPDATE` that
//! matched fewer orders than it was given, a sub-platform gone, the day's numbers used up, one
//! idempotency key twice), the whole is an `Err`: the group writer rolls the batch back and
//! runs each write alone, which finds out which one failed and why.

use std::collections::HashMap;

use chrono::{DateTime, NaiveDate, Utc};
use rexian_domain::{Actor, AggregateRef, NewEvent};
use rexian_orders::calendar::local_date;
use rexian_orders::{OrderNumber, OrderSnapshot};
use serde_json::json;
use sqlx::{QueryBuilder, Row, types::Json};

use super::group_commit::Tx;
use super::orders_sql::{due, order_by_key};
use super::sql::{EVENTS_A_STATEMENT, append_events, push_event_insert};
use super::{Db, stored_instant};
use crate::orders::{NewOrder, OrderUpdate, WorkOrder};
use crate::{Backend, StoreError, StoreResult};

/// One registration to store: `new` on sub-platform `platform_id`, by `actor` at `now`.
pub(super) struct Registration {
    pub platform_id: i64,
    pub new: NewOrder,
    pub actor: Actor,
    pub now: DateTime<Utc>,
}

/// One transition to store: the order as it is to be stored, only if it is still at
/// `expected_version`, and its events.
pub(super) struct OrderChange {
    pub after: WorkOrder,
    pub expected_version: i64,
    pub events: Vec<NewEvent>,
}

/// What [`write_orders`] answers each write: a registration's order and whether it was
/// created (false: registered before under the same idempotency key); a transition's stored
/// order.
pub(super) struct Written {
    pub registered: Vec<StoreResult<(WorkOrder, bool)>>,
    pub changed: Vec<StoreResult<WorkOrder>>,
}

/// SQLite allows 32,766 parameters a statement (PostgreSQL 65,535).
const MAX_PARAMETERS: usize = 32_766;
/// Parameters a row of the orders `INSERT` binds.
const ORDER_COLUMNS: usize = 31;
/// Parameters a row of the `VALUES` list of the transitions' `UPDATE` binds.
const CHANGE_COLUMNS: usize = 15;
// The transitions of a batch fit one `UPDATE`.
const _: () = assert!(super::group_commit::MAX_BATCH * CHANGE_COLUMNS <= MAX_PARAMETERS);

/// Stores `registrations` and `changes` (of distinct orders) in `tx`, one result per write
/// in the order given. See the module comment for when the whole is an `Err`. `alone`: the
/// transaction holds this one write and is rolled back if it fails (so a statement may
/// have written part of it); then a transition whose order is gone or at another version
/// gets `NotFound` or `Conflict`, and a registration on a sub-platform that does not exist
/// `NotFound`.
pub(super) async fn write_orders(
    tx: &mut Tx<'_>,
    registrations: &[&Registration],
    changes: &[&OrderChange],
    alone: bool,
) -> StoreResult<Written> {
    let alone = alone && registrations.len() + changes.len() == 1;
    let mut registered_events: Vec<(i64, NewEvent)> = Vec::new();
    let registered = register(tx, registrations, alone, &mut registered_events).await?;
    let mut events: Vec<(i64, &NewEvent)> =
        registered_events.iter().map(|(p, e)| (*p, e)).collect();
    for c in changes {
        events.extend(c.events.iter().map(|e| (c.after.platform_id, e)));
    }
    let changed = match update_and_append(tx, changes, &events, alone).await? {
        Some(refused) => vec![Err(refused)],
        None => changes.iter().map(|c| Ok(c.after.clone())).collect(),
    };
    Ok(Written {
        registered,
        changed,
    })
}

/// The transitions' `UPDATE` and the `INSERT` of `events` in ONE round trip: on SQLite as
/// two statements of one query, on PostgreSQL as one statement (the `UPDATE` in a `WITH`,
/// the events inserted only if every order matched). Events beyond what one statement holds
/// (never from the group writer) follow in statements of their own. `Some(refusal)` when
/// `alone` and its one change wrote nothing (its events are then not inserted on PostgreSQL,
/// and rolled back with the transaction on SQLite).
async fn update_and_append(
    tx: &mut Tx<'_>,
    changes: &[&OrderChange],
    events: &[(i64, &NewEvent)],
    alone: bool,
) -> StoreResult<Option<StoreError>> {
    if changes.is_empty() {
        append_events(tx, events.iter().copied()).await?;
        return Ok(None);
    }
    let inline = if events.len() <= EVENTS_A_STATEMENT {
        events
    } else {
        &[]
    };
    let mut qb = QueryBuilder::<Db>::new("");
    let written = if super::BACKEND == Backend::Postgres && !inline.is_empty() {
        qb.push("WITH u AS (");
        push_update(&mut qb, changes);
        qb.push(" RETURNING 1), e AS (");
        push_event_insert(&mut qb, inline);
        qb.push(" WHERE (SELECT count(*) FROM u) = ")
            .push_bind(changes.len() as i64)
            .push(") SELECT count(*) FROM u");
        let updated: i64 = qb.build_query_scalar().fetch_one(&mut **tx).await?;
        u64::try_from(updated).unwrap_or_default()
    } else {
        push_update(&mut qb, changes);
        if !inline.is_empty() {
            qb.push("; ");
            push_event_insert(&mut qb, inline);
        }
        // The rows of both statements; the INSERT writes every row of its VALUES or fails.
        let rows = qb.build().execute(&mut **tx).await?.rows_affected();
        rows.saturating_sub(inline.len() as u64)
    };
    if written != changes.len() as u64 {
        if let ([only], true) = (changes, alone) {
            return Ok(Some(not_written(tx, only).await?));
        }
        return Err(StoreError::Conflict(format!(
            "{} of {} orders changed meanwhile",
            changes.len() as u64 - written.min(changes.len() as u64),
            changes.len()
        )));
    }
    if inline.is_empty() {
        append_events(tx, events.iter().copied()).await?;
    }
    Ok(None)
}

/// The registrations: orders registered before under their idempotency key are answered
/// with that order; the others get the next numbers of their day and are inserted, their
/// events added to `events`.
async fn register(
    tx: &mut Tx<'_>,
    registrations: &[&Registration],
    alone: bool,
    events: &mut Vec<(i64, NewEvent)>,
) -> StoreResult<Vec<StoreResult<(WorkOrder, bool)>>> {
    let mut results: Vec<Option<StoreResult<(WorkOrder, bool)>>> =
        (0..registrations.len()).map(|_| None).collect();
    // Idempotency keys: one query each (a client that sends keys retries rarely; the
    // lookups are by a unique index). The same key twice in one batch: each alone decides.
    let mut keys = std::collections::HashSet::new();
    for (i, r) in registrations.iter().enumerate() {
        let Some(key) = &r.new.idempotency_key else {
            continue;
        };
        if !keys.insert((r.platform_id, key.as_str())) {
            return Err(StoreError::Conflict(
                "one idempotency key twice in a batch".into(),
            ));
        }
        if let Some(existing) = order_by_key(tx, r.platform_id, key).await? {
            results[i] = Some(Ok((existing, false)));
        }
    }
    let new: Vec<(usize, &Registration, NaiveDate)> = registrations
        .iter()
        .enumerate()
        .filter(|(i, _)| results[*i].is_none())
        .map(|(i, r)| {
            local_date(r.now)
                .map(|day| (i, *r, day))
                .map_err(|e| StoreError::Corrupt(e.to_string()))
        })
        .collect::<StoreResult<_>>()?;
    if !new.is_empty() {
        let numbers = numbers(tx, &new, alone).await?;
        let orders: Vec<WorkOrder> = new
            .iter()
            .zip(numbers)
            .map(|((_, r, _), number)| {
                let snapshot = OrderSnapshot {
                    number,
                    ..r.new.snapshot.clone()
                };
                new_row(r.platform_id, &r.new, snapshot, r.now)
            })
            .collect();
        let rows: Vec<(&WorkOrder, Option<&str>)> = orders
            .iter()
            .zip(&new)
            .map(|(o, (_, r, _))| (o, r.new.idempotency_key.as_deref()))
            .collect();
        let ids = insert_orders(tx, &rows).await?;
        for (((i, r, _), mut order), id) in new.iter().zip(orders).zip(ids) {
            order.id = id;
            events.push((r.platform_id, registered_event(&order, &r.actor)));
            results[*i] = Some(Ok((order, true)));
        }
    }
    Ok(results
        .into_iter()
        .map(|r| {
            r.unwrap_or_else(|| {
                Err(StoreError::Corrupt(
                    "a registration without a result".into(),
                ))
            })
        })
        .collect())
}

/// The next order number of each registration's sub-platform and day: one upsert of every
/// (sub-platform, day) of the batch, raising its sequence by the number of its orders.
async fn numbers(
    tx: &mut Tx<'_>,
    new: &[(usize, &Registration, NaiveDate)],
    alone: bool,
) -> StoreResult<Vec<OrderNumber>> {
    // (sub-platform, day) → how many orders, in the order first seen.
    let mut groups: Vec<((i64, NaiveDate), i64)> = Vec::new();
    for (_, r, day) in new {
        match groups.iter_mut().find(|(g, _)| *g == (r.platform_id, *day)) {
            Some((_, n)) => *n += 1,
            None => groups.push(((r.platform_id, *day), 1)),
        }
    }
    // `WHERE true`: SQLite's parser needs it between a SELECT's join and `ON CONFLICT`.
    let mut qb = QueryBuilder::<Db>::new(
        "INSERT INTO order_sequences (platform_id, day, last) \
         SELECT platforms.id, v.column2, v.column3 FROM (",
    );
    qb.push_values(&groups, |mut b, ((platform_id, day), n)| {
        b.push_bind(*platform_id)
            .push_bind(day.format("%Y%m%d").to_string())
            .push_bind(*n);
    });
    qb.push(
        ") AS v JOIN platforms ON platforms.id = v.column1 WHERE true \
         ON CONFLICT (platform_id, day) DO UPDATE SET last = order_sequences.last + excluded.last \
         RETURNING platform_id, day, last, \
         (SELECT order_prefix FROM platforms WHERE platforms.id = order_sequences.platform_id)",
    );
    let mut last: HashMap<(i64, String), (i64, String)> = HashMap::new();
    for row in qb.build().fetch_all(&mut **tx).await? {
        last.insert(
            (row.try_get(0)?, row.try_get(1)?),
            (row.try_get(2)?, row.try_get(3)?),
        );
    }
    // Each group's numbers are last - n + 1 ..= last, handed out in order.
    let mut next: HashMap<(i64, NaiveDate), (i64, &str)> = HashMap::new();
    for ((platform_id, day), n) in &groups {
        let Some((l, prefix)) = last.get(&(*platform_id, day.format("%Y%m%d").to_string())) else {
            return Err(if alone {
                StoreError::NotFound("sub-platform")
            } else {
                StoreError::Conflict("a registration of the batch has no sub-platform".into())
            });
        };
        next.insert((*platform_id, *day), (l - n + 1, prefix.as_str()));
    }
    let mut numbers = Vec::with_capacity(new.len());
    for (_, r, day) in new {
        let Some((seq, prefix)) = next.get_mut(&(r.platform_id, *day)) else {
            return Err(StoreError::Corrupt("order sequence of the batch".into()));
        };
        let s = u16::try_from(*seq)
            .ok()
            .filter(|s| *s <= 9999)
            .ok_or_else(|| {
                StoreError::Conflict("all 9999 order numbers of today are used".into())
            })?;
        *seq += 1;
        numbers.push(
            OrderNumber::new(prefix, *day, s)
                .map_err(|e| StoreError::Corrupt(format!("order number: {e}")))?,
        );
    }
    Ok(numbers)
}

/// The row `new` is stored as on `platform_id` with `snapshot`, registered at `created_at`:
/// no department, reply or timer yet, times at the backend's precision. The id is given by
/// the database. Registrations and bulk loads share it.
pub(super) fn new_row(
    platform_id: i64,
    new: &NewOrder,
    snapshot: OrderSnapshot,
    created_at: DateTime<Utc>,
) -> WorkOrder {
    let created_at = stored_instant(created_at);
    let [sign, handle, callback] = due(&snapshot).map(|t| t.map(stored_instant));
    WorkOrder {
        id: 0,
        platform_id,
        number: snapshot.number.as_str().to_owned(),
        kind: snapshot.kind,
        state: snapshot.state,
        urgent: snapshot.urgent,
        confidential: new.confidential,
        leader_flagged: new.leader_flagged,
        source: new.source,
        supervision_level: snapshot.supervision_level,
        category_code: new.category_code.clone(),
        title: new.title.clone(),
        content: new.content.clone(),
        caller_name: new.caller_name.clone(),
        caller_phone: new.caller_phone.clone(),
        town: new.town.clone(),
        address: new.address.clone(),
        lat: new.lat,
        lng: new.lng,
        call_id: new.call_id.clone(),
        lead_department_id: None,
        reply_content: None,
        public_reply: None,
        snapshot,
        sign_due_at: sign,
        handle_due_at: handle,
        callback_due_at: callback,
        next_timer_at: None,
        version: 1,
        created_at,
        updated_at: created_at,
    }
}

/// Inserts `orders`, each with its idempotency key (every column but the id, which is
/// ignored); their ids, in the same order (matched by sub-platform and number, as
/// `RETURNING` promises no order of rows). Registrations and bulk loads share it.
pub(super) async fn insert_orders(
    tx: &mut Tx<'_>,
    orders: &[(&WorkOrder, Option<&str>)],
) -> StoreResult<Vec<i64>> {
    let mut ids: HashMap<(i64, String), i64> = HashMap::with_capacity(orders.len());
    for chunk in orders.chunks(MAX_PARAMETERS / ORDER_COLUMNS) {
        let mut qb = QueryBuilder::<Db>::new(
            "INSERT INTO work_orders (platform_id, number, kind, state, urgent, confidential, \
             leader_flagged, source, supervision_level, category_code, title, content, \
             caller_name, caller_phone, town, address, lat, lng, call_id, lead_department_id, \
             reply_content, public_reply, snapshot, sign_due_at, handle_due_at, \
             callback_due_at, next_timer_at, version, created_at, updated_at, idempotency_key) ",
        );
        qb.push_values(chunk, |mut b, (o, key)| {
            b.push_bind(o.platform_id)
                .push_bind(&o.number)
                .push_bind(o.kind.code())
                .push_bind(o.state.code())
                .push_bind(o.urgent)
                .push_bind(o.confidential)
                .push_bind(o.leader_flagged)
                .push_bind(o.source.code())
                .push_bind(o.supervision_level.code())
                .push_bind(&o.category_code)
                .push_bind(&o.title)
                .push_bind(&o.content)
                .push_bind(&o.caller_name)
                .push_bind(&o.caller_phone)
                .push_bind(&o.town)
                .push_bind(&o.address)
                .push_bind(o.lat)
                .push_bind(o.lng)
                .push_bind(&o.call_id)
                .push_bind(o.lead_department_id)
                .push_bind(&o.reply_content)
                .push_bind(&o.public_reply)
                .push_bind(Json(&o.snapshot))
                .push_bind(o.sign_due_at)
                .push_bind(o.handle_due_at)
                .push_bind(o.callback_due_at)
                .push_bind(o.next_timer_at)
                .push_bind(o.version)
                .push_bind(o.created_at)
                .push_bind(o.updated_at)
                .push_bind(*key);
        });
        qb.push(" RETURNING id, platform_id, number");
        for row in qb.build().fetch_all(&mut **tx).await? {
            ids.insert((row.try_get(1)?, row.try_get(2)?), row.try_get(0)?);
        }
    }
    orders
        .iter()
        .map(|(o, _)| {
            ids.get(&(o.platform_id, o.number.clone()))
                .copied()
                .ok_or_else(|| StoreError::Corrupt(format!("order {} was not inserted", o.number)))
        })
        .collect()
}

fn registered_event(order: &WorkOrder, actor: &Actor) -> NewEvent {
    NewEvent {
        aggregate: AggregateRef::new("order", order.id),
        event_type: "order.registered".into(),
        actor: actor.clone(),
        occurred_at: order.created_at,
        payload: json!({
            "number": order.number, "kind": order.kind, "urgent": order.urgent,
            "confidential": order.confidential, "leader_flagged": order.leader_flagged,
            "source": order.source, "category_code": order.category_code,
            "title": order.title, "town": order.town, "call_id": order.call_id,
            "to": order.state,
        }),
        reason: None,
    }
}

/// Pushes the `UPDATE` of `changes`: each order only where it is still at its expected
/// version. One statement for a whole batch of the group writer (checked below).
fn push_update<'a>(qb: &mut QueryBuilder<'a, Db>, changes: &'a [&'a OrderChange]) {
    qb.push(
        "UPDATE work_orders SET state = v.column4, supervision_level = v.column5, \
         lead_department_id = v.column6, reply_content = v.column7, \
         public_reply = v.column8, snapshot = v.column9, sign_due_at = v.column10, \
         handle_due_at = v.column11, callback_due_at = v.column12, \
         next_timer_at = v.column13, version = v.column14, updated_at = v.column15 FROM (",
    );
    qb.push_values(changes, |mut b, c| {
        let o = &c.after;
        b.push_bind(o.platform_id)
            .push_bind(o.id)
            .push_bind(c.expected_version)
            .push_bind(o.state.code())
            .push_bind(o.supervision_level.code())
            .push_bind(o.lead_department_id)
            .push_bind(o.reply_content.as_deref())
            .push_bind(o.public_reply.as_deref())
            .push_bind(Json(&o.snapshot))
            .push_bind(o.sign_due_at)
            .push_bind(o.handle_due_at)
            .push_bind(o.callback_due_at)
            .push_bind(o.next_timer_at)
            .push_bind(o.version)
            .push_bind(o.updated_at);
    });
    qb.push(
        ") AS v WHERE work_orders.platform_id = v.column1 AND work_orders.id = v.column2 \
         AND work_orders.version = v.column3",
    );
}

/// Why a change's `UPDATE` matched no row: the order is gone, or at another version.
async fn not_written(tx: &mut Tx<'_>, c: &OrderChange) -> StoreResult<StoreError> {
    let version: Option<i64> =
        sqlx::query_scalar("SELECT version FROM work_orders WHERE platform_id = $1 AND id = $2")
            .bind(c.after.platform_id)
            .bind(c.after.id)
            .fetch_optional(&mut **tx)
            .await?;
    Ok(match version {
        None => StoreError::NotFound("order"),
        Some(v) => StoreError::Conflict(format!(
            "the order changed meanwhile (version {v}, expected {}); reload it and try again",
            c.expected_version
        )),
    })
}

/// The order as [`write_orders`] stores `update` of `before` at `now`, computed here instead
/// of read back. Times at the precision the backend keeps.
pub(super) fn updated(before: &WorkOrder, update: &OrderUpdate, now: DateTime<Utc>) -> WorkOrder {
    let s = &update.snapshot;
    let [sign, handle, callback] = due(s).map(|t| t.map(stored_instant));
    let reply_content = update
        .reply_content
        .clone()
        .or_else(|| before.reply_content.clone());
    WorkOrder {
        state: s.state,
        supervision_level: s.supervision_level,
        lead_department_id: update.lead_department_id,
        public_reply: if update.publish_reply {
            reply_content.clone()
        } else {
            before.public_reply.clone()
        },
        reply_content,
        snapshot: s.clone(),
        sign_due_at: sign,
        handle_due_at: handle,
        callback_due_at: callback,
        next_timer_at: update.next_timer_at.map(stored_instant),
        version: before.version + 1,
        updated_at: stored_instant(now),
        ..before.clone()
    }
}
