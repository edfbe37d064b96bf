//! The SQL of work orders, written once and compiled for each backend like `sql.rs` (this
//! file is a module of both `sqlite` and `postgres`; `super::Db` is the sqlx database).

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use rexian_domain::{Actor, AggregateRef, NewEvent};
use rexian_orders::{
    OrderNumber, OrderSnapshot, OrderState, RequestKind, Source, SupervisionLevel,
    calendar::HolidaySchedule,
};

use serde_json::json;
use sqlx::{QueryBuilder, Row, Transaction, types::Json};

use super::Db;
use super::order_writes_sql::{OrderChange, Registration, updated};
use super::sql::{SqlStore, append_event, event};
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

pub(super) async fn order_by_key(
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
    /// Through the group writer, like transitions: with the registrations and transitions
    /// queued next to it, one statement per kind of row.
    async fn try_create_order(
        &self,
        platform_id: i64,
        new: &NewOrder,
        actor: &Actor,
        now: DateTime<Utc>,
    ) -> StoreResult<(WorkOrder, bool)> {
        self.group
            .register(Registration {
                platform_id,
                new: new.clone(),
                actor: actor.clone(),
                now,
            })
            .await
    }
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
            .change(OrderChange {
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
