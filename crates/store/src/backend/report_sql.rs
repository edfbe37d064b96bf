//! The SQL of report reads (see `report.rs`), written once and compiled for each backend
//! like `sql.rs`.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use rexian_domain::Event;
use sqlx::Row;

use super::sql::{SqlStore, event_from};
use crate::report::{CallFact, CallGroup, DeadlineEvent, OrderFact, ReportStore};
use crate::{Backend, StoreError, StoreResult};

#[async_trait]
impl ReportStore for SqlStore {
    async fn call_groups(
        &self,
        platform_id: i64,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
        quick_seconds: f64,
    ) -> StoreResult<Vec<CallGroup>> {
        // One pass over the calls in index order (the covering index of migration 0012), no
        // sort: each call comes back as `id * 64 + code`, the code naming its outcome and
        // rating among the ACD's codes and whether it was quick, and Rust groups them. A
        // `GROUP BY` would sort every call of the range (SQLite has no hash aggregate),
        // which for a province year was the largest cost. A call with an outcome or rating
        // outside those codes (or an id below 0 or from 2^57) comes back as `UNKNOWN`; then the
        // whole range is grouped by the database instead, in one statement.
        let rows = sqlx::query(&format!(
            "SELECT {} AS codes FROM calls \
             WHERE platform_id = $1 AND arrived_at >= $2 AND arrived_at < $3",
            self.string_agg(&call_code_sql("$4"))
        ))
        .bind(platform_id)
        .bind(from)
        .bind(to)
        .bind(quick_seconds)
        .fetch_all(&self.reader)
        .await?;
        let mut ids: Vec<Vec<i64>> = vec![Vec::new(); UNKNOWN as usize];
        let mut unknown = false;
        for r in &rows {
            let text: Option<String> = r.try_get("codes")?;
            for v in parse_integers(text.as_deref(), "call code")? {
                let (id, code) = (v.div_euclid(64), v.rem_euclid(64));
                if code == UNKNOWN {
                    unknown = true;
                    break;
                }
                ids.get_mut(code as usize)
                    .ok_or_else(|| StoreError::Corrupt(format!("call code {v}")))?
                    .push(id);
            }
        }
        if unknown {
            return self
                .call_groups_sorted(platform_id, from, to, quick_seconds)
                .await;
        }
        let mut groups = Vec::new();
        for (code, mut ids) in ids.into_iter().enumerate() {
            if ids.is_empty() {
                continue;
            }
            let (outcome, satisfaction, quick) = call_key(code as i64)
                .ok_or_else(|| StoreError::Corrupt(format!("call code {code}")))?;
            ids.sort_unstable();
            groups.push(CallGroup {
                outcome: outcome.to_owned(),
                satisfaction: satisfaction.map(str::to_owned),
                quick,
                ids,
            });
        }
        sort_groups(&mut groups);
        Ok(groups)
    }

    async fn pending_callbacks_due(
        &self,
        platform_id: i64,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> StoreResult<Vec<(i64, String, DateTime<Utc>)>> {
        let rows = sqlx::query(
            "SELECT id, number, callback_due_at FROM work_orders WHERE platform_id = $1 \
             AND state = 'pending_callback' AND callback_due_at >= $2 AND callback_due_at < $3 \
             ORDER BY callback_due_at, id",
        )
        .bind(platform_id)
        .bind(from)
        .bind(to)
        .fetch_all(&self.reader)
        .await?;
        rows.iter()
            .map(|r| {
                Ok((
                    r.try_get("id")?,
                    r.try_get("number")?,
                    r.try_get("callback_due_at")?,
                ))
            })
            .collect()
    }

    async fn order_facts(
        &self,
        platform_id: i64,
        kind: &str,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> StoreResult<Vec<OrderFact>> {
        // All the orders as one JSON text (see `json_rows`): a year of a big city is 100,000
        // consultations.
        let text: Option<String> = sqlx::query_scalar(&format!(
            "SELECT {} FROM work_orders WHERE platform_id = $1 AND kind = $2 \
             AND created_at >= $3 AND created_at < $4",
            self.json_rows("id, number, state")
        ))
        .bind(platform_id)
        .bind(kind)
        .bind(from)
        .bind(to)
        .fetch_one(&self.reader)
        .await?;
        let mut rows: Vec<(i64, String, String)> = parse_json_rows(text.as_deref())?;
        rows.sort_unstable_by_key(|r| r.0);
        Ok(rows
            .into_iter()
            .map(|(id, number, state)| OrderFact { id, number, state })
            .collect())
    }

    async fn call_facts(
        &self,
        platform_id: i64,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> StoreResult<Vec<CallFact>> {
        let rows = sqlx::query(
            "SELECT id, arrived_at, queue, agent, caller, outcome, wait_seconds, satisfaction \
             FROM calls WHERE platform_id = $1 AND arrived_at >= $2 AND arrived_at < $3 \
             ORDER BY arrived_at, id",
        )
        .bind(platform_id)
        .bind(from)
        .bind(to)
        .fetch_all(&self.reader)
        .await?;
        rows.iter()
            .map(|r| {
                Ok(CallFact {
                    id: r.try_get("id")?,
                    arrived_at: r.try_get("arrived_at")?,
                    queue: r.try_get("queue")?,
                    agent: r.try_get("agent")?,
                    caller: r.try_get("caller")?,
                    outcome: r.try_get("outcome")?,
                    wait_seconds: r.try_get("wait_seconds")?,
                    satisfaction: r.try_get("satisfaction")?,
                })
            })
            .collect()
    }

    async fn callback_deadline_events(
        &self,
        platform_id: i64,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> StoreResult<Vec<DeadlineEvent>> {
        // Each event as [occurred_at, id, aggregate id, [the payload's values at these
        // paths]], all the events of a type in one JSON text (see `json_rows`), so a year's
        // 200,000 events neither travel as whole payloads nor one row each. The values keep
        // their JSON types, and Rust reads them as the code reading the payloads did: text
        // only from a JSON string, on time only for a JSON `true`. Rust puts the events in
        // (occurred_at, id) order: the stored text on SQLite, which sorts as the instants do
        // (see ARCHITECTURE.md), and the same RFC 3339 form in UTC on PostgreSQL.
        let events = |event_type: &str, paths: &[&str]| {
            format!(
                "(SELECT {} FROM events WHERE platform_id = $1 AND event_type = '{event_type}' \
                 AND occurred_at >= $2 AND occurred_at < $3)",
                self.json_rows(&format!(
                    "occurred_at, id, aggregate_id, {}",
                    self.json_values("payload", paths)
                ))
            )
        };
        let (called_back, overdue): (Option<String>, Option<String>) = sqlx::query_as(&format!(
            "SELECT {} AS called_back, {} AS overdue",
            events(
                "order.called_back",
                &[
                    "number",
                    "timeliness.due_at",
                    "timeliness.on_time",
                    "timeliness.deadline"
                ]
            ),
            events("order.callback_overdue", &["number", "due_at"]),
        ))
        .bind(platform_id)
        .bind(from)
        .bind(to)
        .fetch_one(&self.reader)
        .await?;
        type Event = (String, i64, String, Vec<serde_json::Value>);
        let in_order = |text: Option<&str>| -> StoreResult<Vec<Event>> {
            let mut events: Vec<Event> = parse_json_rows(text)?;
            events.sort_unstable_by(|a, b| (&a.0, a.1).cmp(&(&b.0, b.1)));
            Ok(events)
        };
        let text = |v: Option<&serde_json::Value>| v.and_then(|v| v.as_str()).map(str::to_owned);
        let mut out = Vec::new();
        for (_, _, aggregate_id, values) in in_order(called_back.as_deref())? {
            if values.get(3).and_then(|v| v.as_str()) != Some("callback") {
                continue;
            }
            out.push(DeadlineEvent {
                aggregate_id,
                number: text(values.first()),
                due_at: text(values.get(1)),
                on_time: values.get(2).and_then(|v| v.as_bool()) == Some(true),
                overdue: false,
            });
        }
        for (_, _, aggregate_id, values) in in_order(overdue.as_deref())? {
            out.push(DeadlineEvent {
                aggregate_id,
                number: text(values.first()),
                due_at: text(values.get(1)),
                on_time: false,
                overdue: true,
            });
        }
        Ok(out)
    }

    async fn events_by_type(
        &self,
        platform_id: i64,
        event_type: &str,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> StoreResult<Vec<Event>> {
        let rows = sqlx::query(
            "SELECT id, platform_id, aggregate_type, aggregate_id, event_type, actor, \
             occurred_at, payload, reason FROM events \
             WHERE platform_id = $1 AND event_type = $2 AND occurred_at >= $3 \
             AND occurred_at < $4 ORDER BY occurred_at, id",
        )
        .bind(platform_id)
        .bind(event_type)
        .bind(from)
        .bind(to)
        .fetch_all(&self.reader)
        .await?;
        rows.iter().map(event_from).collect()
    }
}

/// The outcomes (`calls.outcome`) and ratings (`calls.satisfaction`) `call_groups` codes in
/// SQL: the ACD's outcomes and the importers' `busy`/`failed`, and the three ratings.
/// Anything else is still grouped exactly, by the database (see `call_groups`).
const CALL_OUTCOMES: [&str; 7] = [
    "completed",
    "transferred",
    "abandoned",
    "short_abandoned",
    "overflowed",
    "busy",
    "failed",
];
const CALL_RATINGS: [&str; 3] = ["satisfied", "basically_satisfied", "dissatisfied"];

/// The code of a call none of whose codes is known: 63 (the known ones are below 56).
const UNKNOWN: i64 = 63;

/// The SQL of `id * 64 + code` of a call, `code` = outcome × 8 + rating × 2 + quick (the
/// rating 0 for none, else its place in `CALL_RATINGS` + 1); `id * 64 + UNKNOWN` for other
/// outcomes or ratings, and just `UNKNOWN` for an id the product would not hold.
/// `quick` is the placeholder of the short-wait threshold.
fn call_code_sql(quick: &str) -> String {
    let outcome: String = CALL_OUTCOMES
        .iter()
        .enumerate()
        .map(|(i, o)| format!(" WHEN '{o}' THEN {}", i * 8))
        .collect();
    let rating: String = CALL_RATINGS
        .iter()
        .enumerate()
        .map(|(i, r)| format!(" WHEN '{r}' THEN {}", (i + 1) * 2))
        .collect();
    format!(
        "CASE WHEN id >= 0 AND id < 144115188075855872 THEN id * 64 + COALESCE(\
         CASE outcome{outcome} END \
         + CASE WHEN satisfaction IS NULL THEN 0 ELSE CASE satisfaction{rating} END END \
         + CASE WHEN wait_seconds < {quick} THEN 1 ELSE 0 END, {UNKNOWN}) ELSE {UNKNOWN} END"
    )
}

/// The group of a code made by `call_code_sql`.
fn call_key(code: i64) -> Option<(&'static str, Option<&'static str>, bool)> {
    let outcome = CALL_OUTCOMES.get(usize::try_from(code / 8).ok()?)?;
    let rating = match (code % 8) / 2 {
        0 => None,
        r => Some(*CALL_RATINGS.get(usize::try_from(r - 1).ok()?)?),
    };
    Some((outcome, rating, code % 2 == 1))
}

/// Groups in a fixed order (outcome, no rating first, then the rating, quick last), the same
/// whichever way they were made.
fn sort_groups(groups: &mut [CallGroup]) {
    groups.sort_by(|a, b| {
        (&a.outcome, &a.satisfaction, a.quick).cmp(&(&b.outcome, &b.satisfaction, b.quick))
    });
}

impl SqlStore {
    /// The SQL of one JSON text holding a whole result: for each row the array of `items`
    /// (SQL expressions), in no particular order (`[]` or `NULL` for no rows). A large
    /// result comes back as one value instead of one row per record: on SQLite each row
    /// crosses from the connection's worker thread to the caller on its own, which cost
    /// more than the query for a year of a big city. Callers sort the rows: an `ORDER BY`
    /// inside SQLite's aggregate copies every row into a temporary b-tree even when the
    /// index gives the order.
    fn json_rows(&self, items: &str) -> String {
        match self.backend {
            Backend::Sqlite => format!("json_group_array(json_array({items}))"),
            Backend::Postgres => format!("CAST(json_agg(json_build_array({items})) AS TEXT)"),
        }
    }

    /// The SQL of the JSON array of the values at two or more `paths` (dotted keys) of the
    /// JSON column `column`, each with its JSON type, `null` where missing.
    fn json_values(&self, column: &str, paths: &[&str]) -> String {
        debug_assert!(paths.len() >= 2, "one path gives the value, not an array");
        match self.backend {
            Backend::Sqlite => {
                let paths: Vec<String> = paths.iter().map(|p| format!("'$.{p}'")).collect();
                format!("json_extract({column}, {})", paths.join(", "))
            }
            Backend::Postgres => {
                let values: Vec<String> = paths
                    .iter()
                    .map(|p| {
                        let keys: String = p.split('.').map(|k| format!("->'{k}'")).collect();
                        format!("{column}{keys}")
                    })
                    .collect();
                format!("jsonb_build_array({})", values.join(", "))
            }
        }
    }

    /// The text aggregate of an integer expression, comma-separated (the one function
    /// named differently by the two backends).
    fn string_agg(&self, expr: &str) -> String {
        match self.backend {
            Backend::Sqlite => format!("group_concat({expr}, ',')"),
            Backend::Postgres => format!("string_agg(CAST({expr} AS TEXT), ',')"),
        }
    }

    /// `call_groups` by the database's `GROUP BY` (a sort of every call of the range on
    /// SQLite), for calls whose outcome or rating `call_code_sql` does not know.
    async fn call_groups_sorted(
        &self,
        platform_id: i64,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
        quick_seconds: f64,
    ) -> StoreResult<Vec<CallGroup>> {
        let rows = sqlx::query(&format!(
            "SELECT outcome, satisfaction, wait_seconds < $4 AS quick, {} AS ids \
             FROM calls WHERE platform_id = $1 AND arrived_at >= $2 AND arrived_at < $3 \
             GROUP BY 1, 2, 3",
            self.string_agg("id")
        ))
        .bind(platform_id)
        .bind(from)
        .bind(to)
        .bind(quick_seconds)
        .fetch_all(&self.reader)
        .await?;
        let mut groups = Vec::with_capacity(rows.len());
        for r in &rows {
            let text: Option<String> = r.try_get("ids")?;
            let mut ids = parse_integers(text.as_deref(), "call id")?;
            ids.sort_unstable();
            groups.push(CallGroup {
                outcome: r.try_get("outcome")?,
                satisfaction: r.try_get("satisfaction")?,
                quick: r.try_get("quick")?,
                ids,
            });
        }
        sort_groups(&mut groups);
        Ok(groups)
    }
}

/// The integers of a `string_agg` text (`"3,5,8"`; none for NULL or empty).
fn parse_integers(text: Option<&str>, what: &str) -> StoreResult<Vec<i64>> {
    text.unwrap_or_default()
        .split(',')
        .filter(|t| !t.is_empty())
        .map(|t| {
            t.parse()
                .map_err(|_| StoreError::Corrupt(format!("{what} {t:?}")))
        })
        .collect()
}

/// The rows of a `json_rows` text.
fn parse_json_rows<T: serde::de::DeserializeOwned>(text: Option<&str>) -> StoreResult<Vec<T>> {
    match text {
        None => Ok(Vec::new()),
        Some(t) => serde_json::from_str(t)
            .map_err(|e| StoreError::Corrupt(format!("report rows as JSON: {e}"))),
    }
}
