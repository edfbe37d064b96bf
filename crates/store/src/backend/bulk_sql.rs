//! The SQL of bulk loads (see `bulk.rs`), written once and compiled for each backend like
//! `sql.rs`.

use std::collections::BTreeMap;

use async_trait::async_trait;
use rexian_domain::AggregateRef;
use sqlx::QueryBuilder;

use super::order_writes_sql::{insert_orders, new_row};
use super::sql::{SqlStore, append_events};
use super::{Db, stored_instant};
use crate::bulk::{BulkStore, ImportedOrder};
use crate::orders::WorkOrder;
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

        // 500 orders (and their events) a statement.
        let mut stored = 0u64;
        for chunk in orders.chunks(500) {
            let rows: Vec<WorkOrder> = chunk.iter().map(|o| row(platform_id, o)).collect();
            let keyed: Vec<(&WorkOrder, Option<&str>)> = rows.iter().map(|o| (o, None)).collect();
            let ids = insert_orders(&mut tx, &keyed).await?;
            let mut events = Vec::with_capacity(chunk.len() * 4);
            for (o, id) in chunk.iter().zip(ids) {
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

/// The row an imported order is stored as (its id given by the database).
fn row(platform_id: i64, o: &ImportedOrder) -> WorkOrder {
    WorkOrder {
        lead_department_id: o.lead_department_id,
        reply_content: o.reply_content.clone(),
        public_reply: o.public_reply.clone(),
        next_timer_at: o.next_timer_at.map(stored_instant),
        updated_at: stored_instant(o.updated_at),
        ..new_row(platform_id, &o.new, o.new.snapshot.clone(), o.created_at)
    }
}
