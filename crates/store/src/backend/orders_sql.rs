//! The SQL of work orders, written once and compiled for each backend like `sql.rs` (this
//! file is a module of both `sqlite` and `postgres`; `super::Db` is the sqlx database).

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use rexian_domain::{Actor, AggregateRef, NewEvent};
use rexian_orders::{
    OrderNumber, OrderSnapshot, OrderState, RequestKind, Source, SupervisionLevel,
    calendar::{HolidaySchedule, local_date},
};

use serde_json::json;
use sqlx::{QueryBuilder, Row, Transaction, types::Json};

use super::group_commit::Tx;
use super::sql::{SqlStore, append_event, append_events, event};
use super::{Db, stored_instant};
use crate::orders::{
    Attachment, DeadlineCursor, MAX_ORDER_PAGE, MatterCategory, NewAttachment, NewOrder,
    OrderFilter, OrderStore, OrderUpdate, PublicOrderStatus, WorkOrder,
};
use crate::{StoreError, StoreResult};

type DbRow = <Db as sqlx::Database>::Row;

const ORDER_COLUMNS: &str = "id, platform_id, number, kind, state, urgent, confidential, \
     leader_flagged, source, supervision_level, category_code, title, content, caller_name, \
     caller_phone, town, address, lat, lng, call_id, lead_department_id, reply_content, \
     public_reply, snapshot, sign_due_at, handle_due_at, callback_due_at, next_timer_at, \
     version, created_at, updated_at";

/// States in which the order sits with its lead department (its inbox).
/// The same text as the predicate of the partial index `work_orders_open_inbox`.
const INBOX_STATES: &str = "'dispatched', 'signed', 'in_progress', 'return_requested', \
     'extension_requested', 'reopened'";

/// Pushes "a running deadline of the order ends before `at`".
fn running_deadline_before(qb: &mut QueryBuilder<'_, Db>, at: DateTime<Utc>) {
    qb.push("((state = 'dispatched' AND sign_due_at < ")
        .push_bind(at)
        .push(
            ") OR (state IN ('dispatched', 'signed', 'in_progress', 'extension_requested', \
               'reopened') AND handle_due_at < ",
        )
        .push_bind(at)
        .push(") OR (state IN ('replied', 'pending_callback') AND callback_due_at < ")
        .push_bind(at)
        .push("))");
}

fn attachment_from(row: &DbRow) -> StoreResult<Attachment> {
    Ok(Attachment {
        id: row.try_get("id")?,
        order_id: row.try_get("order_id")?,
        file_name: row.try_get("file_name")?,
        content_type: row.try_get("content_type")?,
        size_bytes: row.try_get("size_bytes")?,
        sha256: row.try_get("sha256")?,
        uploaded_by: row.try_get("uploaded_by")?,
        uploaded_at: row.try_get("uploaded_at")?,
    })
}

fn corrupt(what: &str, value: &str) -> StoreError {
    StoreError::Corrupt(format!("unknown {what} {value:?} in work_orders"))
}

fn order_from(row: &DbRow) -> StoreResult<WorkOrder> {
    let kind: String = row.try_get("kind")?;
    let state: String = row.try_get("state")?;
    let source: String = row.try_get("source")?;
    let level: String = row.try_get("supervision_level")?;
    let Json(snapshot): Json<OrderSnapshot> = row.try_get("snapshot")?;
    Ok(WorkOrder {
        id: row.try_get("id")?,
        platform_id: row.try_get("platform_id")?,
        number: row.try_get("number")?,
        kind: RequestKind::from_code(&kind).ok_or_else(|| corrupt("kind", &kind))?,
        state: OrderState::from_code(&state).ok_or_else(|| corrupt("state", &state))?,
        urgent: row.try_get("urgent")?,
        confidential: row.try_get("confidential")?,
        leader_flagged: row.try_get("leader_flagged")?,
        source: Source::from_code(&source).ok_or_else(|| corrupt("source", &source))?,
        supervision_level: SupervisionLevel::from_code(&level)
            .ok_or_else(|| corrupt("supervision level", &level))?,
        category_code: row.try_get("category_code")?,
        title: row.try_get("title")?,
        content: row.try_get("content")?,
        caller_name: row.try_get("caller_name")?,
        caller_phone: row.try_get("caller_phone")?,
        town: row.try_get("town")?,
        address: row.try_get("address")?,
        lat: row.try_get("lat")?,
        lng: row.try_get("lng")?,
        call_id: row.try_get("call_id")?,
        lead_department_id: row.try_get("lead_department_id")?,
        reply_content: row.try_get("reply_content")?,
        public_reply: row.try_get("public_reply")?,
        snapshot,
        sign_due_at: row.try_get("sign_due_at")?,
        handle_due_at: row.try_get("handle_due_at")?,
        callback_due_at: row.try_get("callback_due_at")?,
        next_timer_at: row.try_get("next_timer_at")?,
        version: row.try_get("version")?,
        created_at: row.try_get("created_at")?,
        updated_at: row.try_get("updated_at")?,
    })
}

pub(super) fn due(snapshot: &OrderSnapshot) -> [Option<DateTime<Utc>>; 3] {
    let d = &snapshot.deadlines;
    [
        d.sign.as_ref().map(|x| x.due_at),
        d.handle.as_ref().map(|x| x.due_at),
        d.callback.as_ref().map(|x| x.due_at),
    ]
}

async fn order_by_key(
    tx: &mut Transaction<'_, Db>,
    platform_id: i64,
    key: &str,
) -> StoreResult<Option<WorkOrder>> {
    let row = sqlx::query(&format!(
        "SELECT {ORDER_COLUMNS} FROM work_orders WHERE platform_id = $1 AND idempotency_key = $2"
    ))
    .bind(platform_id)
    .bind(key)
    .fetch_optional(&mut **tx)
    .await?;
    row.as_ref().map(order_from).transpose()
}

impl SqlStore {
    /// Through the group writer, like transitions: a registration holds the one writer
    /// connection for five statements, and done apart from the writer it made every batch of
    /// transitions wait behind it.
    async fn try_create_order(
        &self,
        platform_id: i64,
        new: &NewOrder,
        actor: &Actor,
        now: DateTime<Utc>,
    ) -> StoreResult<(WorkOrder, bool)> {
        let job = std::sync::Arc::new((new.clone(), actor.clone()));
        self.group
            .queue(move |tx| {
                let job = job.clone();
                Box::pin(async move {
                    let (new, actor) = &*job;
                    write_new_order(tx, platform_id, new, actor, now).await
                })
            })
            .await?
            .await
    }
}

/// Registers `new` in `tx`: the next number of its day, the order row and its event; or the
/// order registered before under the same idempotency key.
async fn write_new_order(
    tx: &mut Tx,
    platform_id: i64,
    new: &NewOrder,
    actor: &Actor,
    now: DateTime<Utc>,
) -> StoreResult<(WorkOrder, bool)> {
    if let Some(key) = &new.idempotency_key
        && let Some(existing) = order_by_key(tx, platform_id, key).await?
    {
        return Ok((existing, false));
    }
    // The day's next number and the sub-platform's prefix in one round trip; no row for a
    // sub-platform that does not exist.
    let day = local_date(now).map_err(|e| StoreError::Corrupt(e.to_string()))?;
    let (seq, prefix): (i64, String) = sqlx::query_as(
        "INSERT INTO order_sequences (platform_id, day, last) \
         SELECT id, $2, 1 FROM platforms WHERE id = $1 \
         ON CONFLICT (platform_id, day) DO UPDATE SET last = order_sequences.last + 1 \
         RETURNING last, (SELECT order_prefix FROM platforms WHERE id = $1)",
    )
    .bind(platform_id)
    .bind(day.format("%Y%m%d").to_string())
    .fetch_optional(&mut **tx)
    .await?
    .ok_or(StoreError::NotFound("sub-platform"))?;
    let seq = u16::try_from(seq)
        .ok()
        .filter(|s| *s <= 9999)
        .ok_or_else(|| StoreError::Conflict("all 9999 order numbers of today are used".into()))?;
    let number = OrderNumber::new(&prefix, day, seq)
        .map_err(|e| StoreError::Corrupt(format!("order number: {e}")))?;
    let mut snapshot = new.snapshot.clone();
    snapshot.number = number.clone();
    let now = stored_instant(now);
    let [sign, handle, callback] = due(&snapshot).map(|t| t.map(stored_instant));
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO work_orders (platform_id, number, kind, state, urgent, confidential, \
         leader_flagged, source, supervision_level, category_code, title, content, \
         caller_name, caller_phone, town, address, lat, lng, call_id, lead_department_id, \
         reply_content, public_reply, snapshot, sign_due_at, handle_due_at, callback_due_at, \
         next_timer_at, version, created_at, updated_at, idempotency_key) VALUES ($1, $2, $3, \
         $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, NULL, NULL, \
         NULL, $20, $21, $22, $23, NULL, 1, $24, $24, $25) RETURNING id",
    )
    .bind(platform_id)
    .bind(number.as_str())
    .bind(snapshot.kind.code())
    .bind(snapshot.state.code())
    .bind(snapshot.urgent)
    .bind(new.confidential)
    .bind(new.leader_flagged)
    .bind(new.source.code())
    .bind(snapshot.supervision_level.code())
    .bind(&new.category_code)
    .bind(&new.title)
    .bind(&new.content)
    .bind(&new.caller_name)
    .bind(&new.caller_phone)
    .bind(&new.town)
    .bind(&new.address)
    .bind(new.lat)
    .bind(new.lng)
    .bind(&new.call_id)
    .bind(Json(&snapshot))
    .bind(sign)
    .bind(handle)
    .bind(callback)
    .bind(now)
    .bind(&new.idempotency_key)
    .fetch_one(&mut **tx)
    .await?;
    // The row as inserted, built here rather than read back (see `updated`).
    let order = WorkOrder {
        id,
        platform_id,
        number: number.as_str().to_owned(),
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
        created_at: now,
        updated_at: now,
    };
    append_event(
        tx,
        platform_id,
        &NewEvent {
            aggregate: AggregateRef::new("order", order.id),
            event_type: "order.registered".into(),
            actor: actor.clone(),
            occurred_at: now,
            payload: json!({
                "number": order.number, "kind": order.kind, "urgent": order.urgent,
                "confidential": order.confidential, "leader_flagged": order.leader_flagged,
                "source": order.source, "category_code": order.category_code,
                "title": order.title, "town": order.town, "call_id": order.call_id,
                "to": order.state,
            }),
            reason: None,
        },
    )
    .await?;
    Ok((order, true))
}

#[async_trait]
impl OrderStore for SqlStore {
    async fn relate_orders(
        &self,
        platform_id: i64,
        order_id: i64,
        related_order_id: i64,
        actor: &Actor,
        now: DateTime<Utc>,
    ) -> StoreResult<bool> {
        if order_id == related_order_id {
            return Err(StoreError::Conflict(
                "an order cannot be related to itself".into(),
            ));
        }
        let mut tx = self.writer.begin().await?;
        let mut numbers = Vec::with_capacity(2);
        for id in [order_id, related_order_id] {
            let number: Option<String> = sqlx::query_scalar(
                "SELECT number FROM work_orders WHERE platform_id = $1 AND id = $2",
            )
            .bind(platform_id)
            .bind(id)
            .fetch_optional(&mut *tx)
            .await?;
            numbers.push(number.ok_or(StoreError::NotFound("order"))?);
        }
        let mut added = false;
        for (a, b) in [(order_id, related_order_id), (related_order_id, order_id)] {
            let n = sqlx::query(
                "INSERT INTO order_relations (platform_id, order_id, related_order_id, created_by, \
                 created_at) VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING",
            )
            .bind(platform_id)
            .bind(a)
            .bind(b)
            .bind(actor.to_column())
            .bind(now)
            .execute(&mut *tx)
            .await?
            .rows_affected();
            added |= n > 0;
        }
        if added {
            for (id, other) in [(order_id, &numbers[1]), (related_order_id, &numbers[0])] {
                let ev = event(
                    AggregateRef::new("order", id),
                    "order.related",
                    actor,
                    now,
                    json!({ "related_order": other }),
                    None,
                );
                append_event(&mut tx, platform_id, &ev).await?;
            }
        }
        tx.commit().await?;
        Ok(added)
    }

    async fn related_orders(&self, platform_id: i64, order_id: i64) -> StoreResult<Vec<WorkOrder>> {
        let columns = ORDER_COLUMNS
            .split(", ")
            .map(|c| format!("o.{}", c.trim()))
            .collect::<Vec<_>>()
            .join(", ");
        let rows = sqlx::query(&format!(
            "SELECT {columns} FROM order_relations r JOIN work_orders o \
             ON o.platform_id = r.platform_id AND o.id = r.related_order_id \
             WHERE r.platform_id = $1 AND r.order_id = $2 ORDER BY r.created_at, o.id"
        ))
        .bind(platform_id)
        .bind(order_id)
        .fetch_all(&self.reader)
        .await?;
        rows.iter().map(order_from).collect()
    }

    async fn add_attachment(
        &self,
        platform_id: i64,
        order_id: i64,
        new: &NewAttachment,
        actor: &Actor,
        now: DateTime<Utc>,
    ) -> StoreResult<Attachment> {
        let mut tx = self.writer.begin().await?;
        let exists: Option<i64> =
            sqlx::query_scalar("SELECT id FROM work_orders WHERE platform_id = $1 AND id = $2")
                .bind(platform_id)
                .bind(order_id)
                .fetch_optional(&mut *tx)
                .await?;
        if exists.is_none() {
            return Err(StoreError::NotFound("order"));
        }
        let row = sqlx::query(
            "INSERT INTO order_attachments (platform_id, order_id, file_name, content_type, \
             size_bytes, sha256, uploaded_by, uploaded_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) \
             RETURNING id, order_id, file_name, content_type, size_bytes, sha256, uploaded_by, \
             uploaded_at",
        )
        .bind(platform_id)
        .bind(order_id)
        .bind(&new.file_name)
        .bind(&new.content_type)
        .bind(new.size_bytes)
        .bind(&new.sha256)
        .bind(actor.to_column())
        .bind(now)
        .fetch_one(&mut *tx)
        .await?;
        let attachment = attachment_from(&row)?;
        let ev = event(
            AggregateRef::new("order", order_id),
            "order.attachment_added",
            actor,
            now,
            json!({
                "attachment_id": attachment.id, "file_name": attachment.file_name,
                "content_type": attachment.content_type, "size_bytes": attachment.size_bytes,
                "sha256": attachment.sha256,
            }),
            None,
        );
        append_event(&mut tx, platform_id, &ev).await?;
        tx.commit().await?;
        Ok(attachment)
    }

    async fn attachments(&self, platform_id: i64, order_id: i64) -> StoreResult<Vec<Attachment>> {
        let rows = sqlx::query(
            "SELECT id, order_id, file_name, content_type, size_bytes, sha256, uploaded_by, \
             uploaded_at FROM order_attachments WHERE platform_id = $1 AND order_id = $2 ORDER BY id",
        )
        .bind(platform_id)
        .bind(order_id)
        .fetch_all(&self.reader)
        .await?;
        rows.iter().map(attachment_from).collect()
    }

    async fn create_order(
        &self,
        platform_id: i64,
        new: &NewOrder,
        actor: &Actor,
        now: DateTime<Utc>,
    ) -> StoreResult<(WorkOrder, bool)> {
        let created = match self.try_create_order(platform_id, new, actor, now).await {
            // Two requests with the same key raced: the loser returns the winner's order.
            Err(StoreError::Conflict(_)) if new.idempotency_key.is_some() => {
                let mut tx = self.writer.begin().await?;
                let key = new.idempotency_key.as_deref().unwrap_or_default();
                match order_by_key(&mut tx, platform_id, key).await? {
                    Some(existing) => Ok((existing, false)),
                    None => Err(StoreError::Conflict(
                        "the order could not be registered; try again".into(),
                    )),
                }
            }
            other => other,
        };
        if let Ok((order, _)) = &created {
            self.orders.put(order);
        }
        created
    }

    async fn order_for_change(&self, platform_id: i64, id: i64) -> StoreResult<Option<WorkOrder>> {
        if let Some(order) = self.orders.get(platform_id, id) {
            return Ok(Some(order));
        }
        let order = self.order(platform_id, id).await?;
        if let Some(o) = &order {
            self.orders.put(o);
        }
        Ok(order)
    }

    async fn order(&self, platform_id: i64, id: i64) -> StoreResult<Option<WorkOrder>> {
        let row = sqlx::query(&format!(
            "SELECT {ORDER_COLUMNS} FROM work_orders WHERE platform_id = $1 AND id = $2"
        ))
        .bind(platform_id)
        .bind(id)
        .fetch_optional(&self.reader)
        .await?;
        row.as_ref().map(order_from).transpose()
    }

    async fn order_by_number(
        &self,
        platform_id: i64,
        number: &str,
    ) -> StoreResult<Option<WorkOrder>> {
        let row = sqlx::query(&format!(
            "SELECT {ORDER_COLUMNS} FROM work_orders WHERE platform_id = $1 AND number = $2"
        ))
        .bind(platform_id)
        .bind(number)
        .fetch_optional(&self.reader)
        .await?;
        row.as_ref().map(order_from).transpose()
    }

    async fn list_orders(
        &self,
        platform_id: i64,
        filter: &OrderFilter,
        now: DateTime<Utc>,
        limit: i64,
    ) -> StoreResult<Vec<WorkOrder>> {
        let mut qb = QueryBuilder::<Db>::new(format!(
            "SELECT {ORDER_COLUMNS} FROM work_orders WHERE platform_id = "
        ));
        qb.push_bind(platform_id);
        if let Some(state) = filter.state {
            qb.push(" AND state = ").push_bind(state.code());
        }
        if let Some(kind) = filter.kind {
            qb.push(" AND kind = ").push_bind(kind.code());
        }
        if let Some(d) = filter.department_id {
            qb.push(" AND lead_department_id = ").push_bind(d);
        }
        match filter.overdue {
            Some(true) => {
                qb.push(" AND ");
                running_deadline_before(&mut qb, now);
            }
            Some(false) => {
                qb.push(" AND NOT COALESCE(");
                running_deadline_before(&mut qb, now);
                qb.push(", FALSE)");
            }
            None => {}
        }
        if let Some(at) = filter.due_before {
            qb.push(" AND ");
            running_deadline_before(&mut qb, at);
        }
        if let Some(text) = filter.text.as_deref().filter(|t| !t.is_empty()) {
            let escaped = text
                .replace('\\', "\\\\")
                .replace('%', "\\%")
                .replace('_', "\\_");
            let pattern = format!("%{escaped}%");
            qb.push(" AND (title LIKE ")
                .push_bind(pattern.clone())
                .push(" ESCAPE '\\' OR content LIKE ")
                .push_bind(pattern)
                .push(" ESCAPE '\\')");
        }
        if let Some(phone) = &filter.caller_phone {
            qb.push(" AND caller_phone = ").push_bind(phone.clone());
        }
        if let Some(from) = filter.created_from {
            qb.push(" AND created_at >= ").push_bind(from);
        }
        if let Some(to) = filter.created_to {
            qb.push(" AND created_at < ").push_bind(to);
        }
        if let Some(before) = filter.before_id {
            qb.push(" AND id < ").push_bind(before);
        }
        qb.push(" ORDER BY id DESC LIMIT ")
            .push_bind(limit.clamp(1, MAX_ORDER_PAGE));
        let rows = qb.build().fetch_all(&self.reader).await?;
        rows.iter().map(order_from).collect()
    }

    async fn update_order(
        &self,
        order: &WorkOrder,
        update: &OrderUpdate,
        events: &[NewEvent],
        now: DateTime<Utc>,
    ) -> StoreResult<WorkOrder> {
        // Through the group writer: one transaction (and one fsync) for many transitions,
        // written by one statement per kind of row.
        let stored = self
            .group
            .order_change(OrderChange {
                after: updated(order, update, now),
                expected_version: order.version,
                events: events.to_vec(),
            })
            .await;
        match &stored {
            Ok(order) => self.orders.put(order),
            // Whatever this process held of it is not what is stored.
            Err(_) => self.orders.forget(order.platform_id, order.id),
        }
        stored
    }

    async fn department_inbox(
        &self,
        platform_id: i64,
        department_id: i64,
        state: Option<OrderState>,
        after: Option<DeadlineCursor>,
        limit: i64,
    ) -> StoreResult<Vec<WorkOrder>> {
        let mut qb = QueryBuilder::<Db>::new(format!(
            "SELECT {ORDER_COLUMNS} FROM work_orders WHERE platform_id = "
        ));
        qb.push_bind(platform_id)
            .push(" AND lead_department_id = ")
            .push_bind(department_id);
        match state {
            Some(s) => {
                qb.push(" AND state = ").push_bind(s.code());
            }
            None => {
                qb.push(format!(" AND state IN ({INBOX_STATES})"));
            }
        }
        if let Some(c) = after {
            qb.push(" AND (handle_due_at, id) > (")
                .push_bind(c.due_at)
                .push(", ")
                .push_bind(c.id)
                .push(")");
        }
        qb.push(" ORDER BY handle_due_at, id LIMIT ")
            .push_bind(limit.clamp(1, MAX_ORDER_PAGE));
        let rows = qb.build().fetch_all(&self.reader).await?;
        rows.iter().map(order_from).collect()
    }

    async fn callback_list(
        &self,
        platform_id: i64,
        after: Option<DeadlineCursor>,
        limit: i64,
    ) -> StoreResult<Vec<WorkOrder>> {
        let mut qb = QueryBuilder::<Db>::new(format!(
            "SELECT {ORDER_COLUMNS} FROM work_orders WHERE platform_id = "
        ));
        qb.push_bind(platform_id)
            .push(" AND state = 'pending_callback'");
        if let Some(c) = after {
            qb.push(" AND (callback_due_at, id) > (")
                .push_bind(c.due_at)
                .push(", ")
                .push_bind(c.id)
                .push(")");
        }
        qb.push(" ORDER BY callback_due_at, id LIMIT ")
            .push_bind(limit.clamp(1, MAX_ORDER_PAGE));
        let rows = qb.build().fetch_all(&self.reader).await?;
        rows.iter().map(order_from).collect()
    }

    async fn orders_due_for_timers(
        &self,
        now: DateTime<Utc>,
        limit: i64,
    ) -> StoreResult<Vec<WorkOrder>> {
        let rows = sqlx::query(&format!(
            "SELECT {ORDER_COLUMNS} FROM work_orders WHERE next_timer_at <= $1 \
             ORDER BY next_timer_at, id LIMIT $2"
        ))
        .bind(now)
        .bind(limit.max(1))
        .fetch_all(&self.reader)
        .await?;
        rows.iter().map(order_from).collect()
    }

    async fn public_order_status(
        &self,
        number: &str,
        phone_last4: &str,
    ) -> StoreResult<Option<PublicOrderStatus>> {
        let Ok(number) = OrderNumber::parse(number) else {
            return Ok(None);
        };
        let rows = sqlx::query(
            "SELECT w.number, w.state, w.public_reply, w.caller_phone FROM work_orders w \
             JOIN platforms p ON p.id = w.platform_id \
             WHERE w.number = $1 AND p.order_prefix = $2",
        )
        .bind(number.as_str())
        .bind(number.prefix())
        .fetch_all(&self.reader)
        .await?;
        for row in rows {
            let phone: String = row.try_get("caller_phone")?;
            if phone.len() >= 4 && phone.ends_with(phone_last4) {
                let state: String = row.try_get("state")?;
                return Ok(Some(PublicOrderStatus {
                    number: row.try_get("number")?,
                    state: OrderState::from_code(&state).ok_or_else(|| corrupt("state", &state))?,
                    public_reply: row.try_get("public_reply")?,
                }));
            }
        }
        Ok(None)
    }

    async fn list_holiday_schedules(&self, platform_id: i64) -> StoreResult<Vec<HolidaySchedule>> {
        list_holiday_schedules_impl(self, platform_id).await
    }

    async fn put_holiday_schedule(
        &self,
        platform_id: i64,
        schedule: &HolidaySchedule,
        actor: &Actor,
        now: DateTime<Utc>,
    ) -> StoreResult<()> {
        let mut tx = self.writer.begin().await?;
        sqlx::query(
            "INSERT INTO holiday_schedules (platform_id, year, schedule, updated_at) \
             VALUES ($1, $2, $3, $4) ON CONFLICT (platform_id, year) \
             DO UPDATE SET schedule = excluded.schedule, updated_at = excluded.updated_at",
        )
        .bind(platform_id)
        .bind(schedule.year)
        .bind(Json(schedule))
        .bind(now)
        .execute(&mut *tx)
        .await?;
        append_event(
            &mut tx,
            platform_id,
            &NewEvent {
                aggregate: AggregateRef::new("calendar", schedule.year),
                event_type: "calendar.schedule_set".into(),
                actor: actor.clone(),
                occurred_at: now,
                payload: serde_json::to_value(schedule)
                    .map_err(|e| StoreError::Corrupt(e.to_string()))?,
                reason: None,
            },
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    async fn list_matter_categories(&self, platform_id: i64) -> StoreResult<Vec<MatterCategory>> {
        let rows = sqlx::query(
            "SELECT code, name, parent_code, active FROM matter_categories \
             WHERE platform_id = $1 ORDER BY code",
        )
        .bind(platform_id)
        .fetch_all(&self.reader)
        .await?;
        rows.iter().map(category_from).collect()
    }

    async fn matter_category(
        &self,
        platform_id: i64,
        code: &str,
    ) -> StoreResult<Option<MatterCategory>> {
        let row = sqlx::query(
            "SELECT code, name, parent_code, active FROM matter_categories \
             WHERE platform_id = $1 AND code = $2",
        )
        .bind(platform_id)
        .bind(code)
        .fetch_optional(&self.reader)
        .await?;
        row.as_ref().map(category_from).transpose()
    }
}

async fn list_holiday_schedules_impl(
    store: &SqlStore,
    platform_id: i64,
) -> StoreResult<Vec<HolidaySchedule>> {
    let rows =
        sqlx::query("SELECT schedule FROM holiday_schedules WHERE platform_id = $1 ORDER BY year")
            .bind(platform_id)
            .fetch_all(&store.reader)
            .await?;
    rows.iter()
        .map(|r| {
            let Json(s): Json<HolidaySchedule> = r.try_get("schedule")?;
            Ok(s)
        })
        .collect()
}

fn category_from(row: &DbRow) -> StoreResult<MatterCategory> {
    Ok(MatterCategory {
        code: row.try_get("code")?,
        name: row.try_get("name")?,
        parent_code: row.try_get("parent_code")?,
        active: row.try_get("active")?,
    })
}

/// The order as [`write_order_changes`] stores `update` of `before` at `now`, computed here
/// instead of read back (`RETURNING` a row was a hand-off per row to sqlx's SQLite thread,
/// inside the one writer). Times at the precision the backend keeps.
fn updated(before: &WorkOrder, update: &OrderUpdate, now: DateTime<Utc>) -> WorkOrder {
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

/// One transition to store: the order as it is to be stored, only if it is still at
/// `expected_version`, and its events.
pub(super) struct OrderChange {
    pub after: WorkOrder,
    pub expected_version: i64,
    pub events: Vec<NewEvent>,
}

/// Columns a row of the `VALUES` list of [`write_order_changes`] binds.
const CHANGE_COLUMNS: usize = 15;

/// Stores transitions of distinct orders with one `UPDATE … FROM (VALUES …)` and one event
/// `INSERT`, whatever their number: a statement is a round trip, and the writer runs its
/// batches one after the other. One result per change, in order.
///
/// A change whose order is gone or no longer at its expected version writes nothing. With
/// more than one change, the database says only how many rows matched, not which: when not
/// all did, the whole is an `Err` (the group writer rolls the batch back and runs each write
/// alone, which finds out). Alone, such a change gets `NotFound` or `Conflict`.
pub(super) async fn write_order_changes(
    tx: &mut Tx,
    changes: &[&OrderChange],
) -> StoreResult<Vec<StoreResult<WorkOrder>>> {
    // SQLite allows 32,766 parameters a statement; the writer's batches are far below.
    for chunk in changes.chunks(32_766 / CHANGE_COLUMNS) {
        let mut qb = QueryBuilder::<Db>::new(
            "UPDATE work_orders SET state = v.column4, supervision_level = v.column5, \
             lead_department_id = v.column6, reply_content = v.column7, \
             public_reply = v.column8, snapshot = v.column9, sign_due_at = v.column10, \
             handle_due_at = v.column11, callback_due_at = v.column12, \
             next_timer_at = v.column13, version = v.column14, updated_at = v.column15 FROM (",
        );
        qb.push_values(chunk, |mut b, c| {
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
        let written = qb.build().execute(&mut **tx).await?.rows_affected();
        if written != chunk.len() as u64 {
            if let [only] = changes {
                return Ok(vec![Err(not_written(tx, only).await?)]);
            }
            return Err(StoreError::Conflict(format!(
                "{} of {} orders changed meanwhile",
                chunk.len() as u64 - written,
                chunk.len()
            )));
        }
    }
    // The events, per sub-platform, in the order of the changes.
    let mut events: Vec<(i64, Vec<&NewEvent>)> = Vec::new();
    for c in changes {
        match events.iter_mut().find(|(p, _)| *p == c.after.platform_id) {
            Some((_, list)) => list.extend(&c.events),
            None => events.push((c.after.platform_id, c.events.iter().collect())),
        }
    }
    for (platform_id, list) in events {
        append_events(tx, platform_id, list).await?;
    }
    Ok(changes.iter().map(|c| Ok(c.after.clone())).collect())
}

/// Why a change's `UPDATE` matched no row: the order is gone, or at another version.
async fn not_written(tx: &mut Tx, c: &OrderChange) -> StoreResult<StoreError> {
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
