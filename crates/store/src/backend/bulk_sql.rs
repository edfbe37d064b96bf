//! The SQL of bulk loads (see `bulk.rs`), written once and compiled for each backend like
//! `sql.rs`.

use std::collections::{BTreeMap, HashMap};

use async_trait::async_trait;
use rexian_domain::AggregateRef;
use sqlx::{QueryBuilder, Row, types::Json};

use super::Db;
use super::orders_sql::due;
use super::sql::{SqlStore, append_events};
use crate::bulk::{BulkStore, ImportedOrder};
use crate::{StoreError, StoreResult};

#[async_trait]
impl BulkStore for SqlStore {
    async fn import_orders(&self, platform_id: i64, orders: &[ImportedOrder]) -> StoreResult<u64> {
        if orders.is_empty() {
            return Ok(0);
        }
        let mut tx = self.writer.begin().await?;
        let prefix: String = sqlx::query_scalar("SELECT order_prefix FROM platforms WHERE id = $1")
            .bind(platform_id)
            .fetch_optional(&mut *tx)
            .await?
            .ok_or(StoreError::NotFound("sub-platform"))?;
        // The daily sequences move past the numbers loaded, so later orders get new ones.
        let mut last: BTreeMap<String, i64> = BTreeMap::new();
        for (i, o) in orders.iter().enumerate() {
            let n = &o.new.snapshot.number;
            if !n.prefix().eq_ignore_ascii_case(&prefix) {
                return Err(StoreError::Conflict(format!(
                    "orders[{i}]: number {} does not have this sub-platform's prefix {prefix}",
                    n.as_str()
                )));
            }
            let day = n.date().ok_or_else(|| {
                StoreError::Conflict(format!("orders[{i}]: number {} has no date", n.as_str()))
            })?;
            let seq = last.entry(day.format("%Y%m%d").to_string()).or_default();
            *seq = (*seq).max(i64::from(n.sequence()));
        }
        let days: Vec<(String, i64)> = last.into_iter().collect();
        for chunk in days.chunks(1000) {
            let mut q =
                QueryBuilder::<Db>::new("INSERT INTO order_sequences (platform_id, day, last) ");
            q.push_values(chunk, |mut b, (day, seq)| {
                b.push_bind(platform_id).push_bind(day).push_bind(*seq);
            });
            q.push(
                " ON CONFLICT (platform_id, day) DO UPDATE SET last = CASE \
                 WHEN order_sequences.last > excluded.last THEN order_sequences.last \
                 ELSE excluded.last END",
            );
            q.build().execute(&mut *tx).await?;
        }

        // 30 parameters a row: 500 rows stay under SQLite's 32,766 parameters a statement.
        let mut stored = 0u64;
        for chunk in orders.chunks(500) {
            let mut q = QueryBuilder::<Db>::new(
                "INSERT INTO work_orders (platform_id, number, kind, state, urgent, confidential, \
                 leader_flagged, source, supervision_level, category_code, title, content, \
                 caller_name, caller_phone, town, address, lat, lng, call_id, \
                 lead_department_id, reply_content, public_reply, snapshot, sign_due_at, \
                 handle_due_at, callback_due_at, next_timer_at, version, created_at, \
                 updated_at) ",
            );
            q.push_values(chunk, |mut b, o| {
                let (new, s) = (&o.new, &o.new.snapshot);
                let [sign, handle, callback] = due(s);
                b.push_bind(platform_id)
                    .push_bind(s.number.as_str())
                    .push_bind(s.kind.code())
                    .push_bind(s.state.code())
                    .push_bind(s.urgent)
                    .push_bind(new.confidential)
                    .push_bind(new.leader_flagged)
                    .push_bind(new.source.code())
                    .push_bind(s.supervision_level.code())
                    .push_bind(&new.category_code)
                    .push_bind(&new.title)
                    .push_bind(&new.content)
                    .push_bind(&new.caller_name)
                    .push_bind(&new.caller_phone)
                    .push_bind(&new.town)
                    .push_bind(&new.address)
                    .push_bind(new.lat)
                    .push_bind(new.lng)
                    .push_bind(&new.call_id)
                    .push_bind(o.lead_department_id)
                    .push_bind(&o.reply_content)
                    .push_bind(&o.public_reply)
                    .push_bind(Json(s))
                    .push_bind(sign)
                    .push_bind(handle)
                    .push_bind(callback)
                    .push_bind(o.next_timer_at)
                    .push_bind(1i64)
                    .push_bind(o.created_at)
                    .push_bind(o.updated_at);
            });
            q.push(" RETURNING id, number");
            let rows = q.build().fetch_all(&mut *tx).await?;
            let mut ids: HashMap<String, i64> = HashMap::with_capacity(rows.len());
            for r in &rows {
                ids.insert(r.try_get("number")?, r.try_get("id")?);
            }
            let mut events = Vec::with_capacity(chunk.len() * 4);
            for o in chunk {
                let number = o.new.snapshot.number.as_str();
                let id = *ids.get(number).ok_or_else(|| {
                    StoreError::Corrupt(format!("order {number} was not returned"))
                })?;
                for ev in &o.events {
                    let mut ev = ev.clone();
                    ev.aggregate = AggregateRef::new("order", id);
                    events.push(ev);
                }
            }
            append_events(&mut tx, events.iter().map(|e| (platform_id, e))).await?;
            stored += rows.len() as u64;
        }
        tx.commit().await?;
        Ok(stored)
    }
}
