//! PostgreSQL: for a province's installation, selected by a `postgres://` URL.

use std::time::Duration;

use std::str::FromStr;

use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::{Pool, Row};

use crate::{Backend, StoreResult};

pub(crate) type Db = sqlx::Postgres;
/// The backend the shared SQL files are compiled for here, where their SQL must differ.
const BACKEND: Backend = Backend::Postgres;

// The shared SQL, compiled for this backend (see sql.rs).
#[allow(clippy::duplicate_mod)]
#[path = "sql.rs"]
mod sql;

// Group commit of the hot writes (see group_commit.rs), compiled the same way.
#[allow(clippy::duplicate_mod)]
#[path = "group_commit.rs"]
mod group_commit;
// The work-order SQL, compiled for this backend the same way.
#[allow(clippy::duplicate_mod)]
#[path = "orders_sql.rs"]
mod orders_sql;
// The group writer's work-order writes (see order_writes_sql.rs), compiled the same way.
#[allow(clippy::duplicate_mod)]
#[path = "order_writes_sql.rs"]
mod order_writes_sql;
// Calls and the callback list (see calls_sql.rs), compiled the same way.
#[allow(clippy::duplicate_mod)]
#[path = "calls_sql.rs"]
mod calls_sql;
// The input journal of the live ACD (see acd_journal_sql.rs), compiled the same way.
#[allow(clippy::duplicate_mod)]
#[path = "acd_journal_sql.rs"]
mod acd_journal_sql;
// The operations SQL (issue 5), compiled for this backend the same way.
#[allow(clippy::duplicate_mod)]
#[path = "operations_sql.rs"]
mod operations_sql;
// Report reads (issue 6), compiled the same way.
#[allow(clippy::duplicate_mod)]
#[path = "report_sql.rs"]
mod report_sql;
// Bulk loads of orders with their history, compiled the same way.
#[allow(clippy::duplicate_mod)]
#[path = "bulk_sql.rs"]
mod bulk_sql;

/// A time as PostgreSQL keeps it: `timestamptz` holds microseconds, and sqlx drops the
/// rest.
fn stored_instant(t: chrono::DateTime<chrono::Utc>) -> chrono::DateTime<chrono::Utc> {
    use chrono::SubsecRound;
    t.trunc_subsecs(6)
}

/// Prepared statements each connection keeps (sqlx's default is 100). The group writer's
/// statements differ with the number of rows of the batch, and a statement not in the cache
/// costs PostgreSQL a parse and the writer a second round trip.
const STATEMENT_CACHE: usize = 1024;

/// Group writers (see group_commit.rs): one writes while another waits for its commit.
const WRITERS: usize = 3;

pub(crate) async fn open(url: &str) -> StoreResult<sql::SqlStore> {
    let pool = PgPoolOptions::new()
        .max_connections(16)
        .acquire_timeout(Duration::from_secs(10))
        .connect_with(PgConnectOptions::from_str(url)?.statement_cache_capacity(STATEMENT_CACHE))
        .await?;
    super::migrations_for(Backend::Postgres).run(&pool).await?;
    Ok(sql::SqlStore {
        group: group_commit::GroupWriter::start(pool.clone(), None, WRITERS),
        _checkpointer: None,
        writer: pool.clone(),
        reader: pool,
        backend: Backend::Postgres,
        orders: Default::default(),
    })
}

pub(crate) async fn schema(pool: &Pool<Db>) -> StoreResult<Vec<(String, Vec<String>)>> {
    let rows = sqlx::query(
        "SELECT table_name::text AS t, column_name::text AS c FROM information_schema.columns \
         WHERE table_schema = current_schema() AND table_name NOT LIKE '\\_sqlx\\_%' \
         ORDER BY table_name, column_name",
    )
    .fetch_all(pool)
    .await?;
    let mut out: Vec<(String, Vec<String>)> = Vec::new();
    for r in rows {
        let t: String = r.try_get("t")?;
        let c: String = r.try_get("c")?;
        match out.last_mut() {
            Some((last, cols)) if *last == t => cols.push(c),
            _ => out.push((t, vec![c])),
        }
    }
    Ok(out)
}
