//! SQLite: the embedded default. One file, WAL journal, explicit pragmas, a single writer.

use std::path::Path;
use std::str::FromStr;
use std::time::Duration;

use sqlx::ConnectOptions;
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteConnection, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous,
};
use sqlx::{Pool, Row};
use tokio::sync::mpsc;

use crate::{Backend, SqliteDurability, StoreError, StoreResult};

pub(crate) type Db = sqlx::Sqlite;
/// The backend the shared SQL files are compiled for here, where their SQL must differ.
const BACKEND: Backend = Backend::Sqlite;

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

/// A time as SQLite keeps it: RFC 3339 text with every nanosecond.
fn stored_instant(t: chrono::DateTime<chrono::Utc>) -> chrono::DateTime<chrono::Utc> {
    t
}

pub(crate) async fn open(
    path: &Path,
    create: bool,
    durability: SqliteDurability,
) -> StoreResult<sql::SqlStore> {
    if !create && !path.exists() {
        return Err(StoreError::Url(format!(
            "the SQLite file {} does not exist; rexian creates a database only at its default \
             place (<data-dir>/rexian.db). Check the path, or leave out --database-url",
            path.display()
        )));
    }
    if create && let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).map_err(|e| {
            StoreError::Url(format!(
                "cannot create the data directory {}: {e}",
                dir.display()
            ))
        })?;
    }
    let options = SqliteConnectOptions::from_str("sqlite:")
        .map_err(StoreError::Database)?
        .filename(path)
        .create_if_missing(create)
        .journal_mode(SqliteJournalMode::Wal)
        .synchronous(match durability {
            SqliteDurability::Normal => SqliteSynchronous::Normal,
            SqliteDurability::Full => SqliteSynchronous::Full,
        })
        .busy_timeout(Duration::from_secs(5))
        .foreign_keys(true)
        .pragma("temp_store", "memory")
        .pragma("cache_size", "-16000")
        .pragma("wal_autocheckpoint", WAL_AUTOCHECKPOINT_PAGES);
    // A connection to a file in this process cannot go stale: no ping before each use (by
    // default sqlx pings on every acquire, a round trip to the connection's thread).
    let writer = SqlitePoolOptions::new()
        .max_connections(1)
        .test_before_acquire(false)
        .connect_with(options.clone())
        .await?;
    super::migrations_for(Backend::Sqlite).run(&writer).await?;
    let reader = SqlitePoolOptions::new()
        .max_connections(4)
        .test_before_acquire(false)
        .connect_with(options.clone().read_only(true))
        .await?;
    Ok(sql::SqlStore {
        group: group_commit::GroupWriter::start(writer.clone(), Some(SHARED_HOLD), 1),
        _checkpointer: Some(start_checkpointer(options)),
        writer,
        reader,
        backend: Backend::Sqlite,
        orders: Default::default(),
    })
}

/// How long the group writer keeps the one write connection, busy or idle, before giving it
/// back to the pool for the other writers. Giving it back costs a round trip (sqlx tests
/// every connection that comes back) and taking it again a wake-up; per batch, that was a
/// third of the writer's time. The other writers still get their turn at least this often.
const SHARED_HOLD: Duration = Duration::from_millis(20);

/// WAL pages after which a commit checkpoints in the writer itself (SQLite's default is
/// 1,000): only when the background checkpointer fell that far behind.
const WAL_AUTOCHECKPOINT_PAGES: &str = "20000";
/// How often the background checkpointer copies the WAL into the database file. Often, so
/// that each checkpoint is small: the write that starts the WAL again after one waits for the
/// pages it overwrites to reach the disk, and under load the slowest answers grew with the
/// interval (p99 of the benchmark: 13–14 ms at 50 ms, 16–17 ms at 100 ms, 19–20 ms at
/// 500 ms, 35–37 ms at 2 s, 61–63 ms with no background checkpoints at all). With nothing
/// to copy, a checkpoint only reads the WAL's header.
const CHECKPOINT_EVERY: Duration = Duration::from_millis(50);

/// Copies the WAL into the database file every [`CHECKPOINT_EVERY`], on a connection of its
/// own, until the returned sender is dropped. Left to SQLite, the commit that crosses 1,000
/// WAL pages checkpoints (copies pages and syncs the file) inside the one writer, and every
/// write queued behind it waits: under load that was a sixth of the writer's time and most
/// of the slowest answers. A PASSIVE checkpoint neither waits for nor blocks the writer or
/// the readers; the next write after a complete one starts the WAL again from its beginning.
fn start_checkpointer(options: SqliteConnectOptions) -> mpsc::Sender<()> {
    let (stop, mut stopped) = mpsc::channel::<()>(1);
    tokio::spawn(async move {
        let mut conn: Option<SqliteConnection> = None;
        // Ends when the store is dropped (no message is ever sent: recv gives None).
        while tokio::time::timeout(CHECKPOINT_EVERY, stopped.recv())
            .await
            .is_err()
        {
            if conn.is_none() {
                match options.connect().await {
                    Ok(c) => conn = Some(c),
                    Err(e) => {
                        tracing::warn!(error = %e, "the WAL checkpointer cannot connect");
                        continue;
                    }
                }
            }
            if let Some(c) = conn.as_mut()
                && let Err(e) = sqlx::query("PRAGMA wal_checkpoint(PASSIVE)")
                    .execute(&mut *c)
                    .await
            {
                tracing::warn!(error = %e, "WAL checkpoint failed; reconnecting");
                conn = None;
            }
        }
    });
    stop
}

pub(crate) async fn schema(pool: &Pool<Db>) -> StoreResult<Vec<(String, Vec<String>)>> {
    let tables: Vec<String> = sqlx::query_scalar(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' \
         AND name NOT LIKE '_sqlx_%' ORDER BY name",
    )
    .fetch_all(pool)
    .await?;
    let mut out = Vec::with_capacity(tables.len());
    for table in tables {
        let rows = sqlx::query("SELECT name FROM pragma_table_info($1) ORDER BY name")
            .bind(&table)
            .fetch_all(pool)
            .await?;
        let cols = rows
            .iter()
            .map(|r| r.try_get::<String, _>("name"))
            .collect::<Result<Vec<_>, _>>()?;
        out.push((table, cols));
    }
    Ok(out)
}
