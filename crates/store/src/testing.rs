//! Fresh databases for tests: a SQLite file in a temporary directory, and, when
//! `REXIAN_TEST_POSTGRES_URL` is set (CI sets it), a new PostgreSQL database on that server
//! that is dropped when the guard goes.

use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};

use crate::{DatabaseLocation, SqliteDurability, Store};

/// The environment variable naming a PostgreSQL server for tests, e.g.
/// `postgres://root@127.0.0.1:5432/test`.
pub const POSTGRES_ENV: &str = "REXIAN_TEST_POSTGRES_URL";

/// Keeps a test database alive; dropping it removes the database.
pub struct TestDb {
    pub store: Arc<dyn Store>,
    pub location: DatabaseLocation,
    /// A plain URL of the same database, for tests that look under the store.
    pub url: String,
    _dir: Option<tempfile::TempDir>,
    drop_pg: Option<(String, String)>,
}

impl Drop for TestDb {
    fn drop(&mut self) {
        if let Some((admin_url, name)) = self.drop_pg.take() {
            // Best effort, on a thread of its own: Drop cannot be async.
            let _ = std::thread::spawn(move || {
                let rt = tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build();
                if let Ok(rt) = rt {
                    rt.block_on(async move {
                        use sqlx::Connection;
                        if let Ok(mut c) = sqlx::PgConnection::connect(&admin_url).await {
                            let _ = sqlx::query(&format!(
                                "DROP DATABASE IF EXISTS {name} WITH (FORCE)"
                            ))
                            .execute(&mut c)
                            .await;
                        }
                    });
                }
            })
            .join();
        }
    }
}

pub async fn sqlite() -> TestDb {
    let dir = tempfile::tempdir().expect("temporary directory");
    let location =
        DatabaseLocation::resolve(None, dir.path(), SqliteDurability::Normal).expect("location");
    let store = crate::open(&location).await.expect("open SQLite");
    let url = format!("sqlite:{}", dir.path().join("rexian.db").display());
    TestDb {
        store,
        location,
        url,
        _dir: Some(dir),
        drop_pg: None,
    }
}

/// A fresh PostgreSQL database, or `None` when no test server is configured.
pub async fn postgres() -> Option<TestDb> {
    use sqlx::Connection;
    static N: AtomicU32 = AtomicU32::new(0);
    let admin_url = std::env::var(POSTGRES_ENV).ok().filter(|u| !u.is_empty())?;
    let name = format!(
        "rexian_t_{}_{}_{}",
        std::process::id(),
        N.fetch_add(1, Ordering::Relaxed),
        chrono::Utc::now().timestamp_micros() % 1_000_000
    );
    let mut admin = sqlx::PgConnection::connect(&admin_url)
        .await
        .unwrap_or_else(|e| panic!("{POSTGRES_ENV} is set but the server is unreachable: {e}"));
    sqlx::query(&format!("CREATE DATABASE {name}"))
        .execute(&mut admin)
        .await
        .expect("create test database");
    let base = admin_url
        .rsplit_once('/')
        .map(|(b, _)| b)
        .unwrap_or(&admin_url);
    let url = format!("{base}/{name}");
    let location = DatabaseLocation::Postgres { url: url.clone() };
    let store = crate::open(&location).await.expect("open PostgreSQL");
    Some(TestDb {
        store,
        location,
        url,
        _dir: None,
        drop_pg: Some((admin_url, name)),
    })
}

/// SQLite always, PostgreSQL too when configured: what a contract test runs against.
pub async fn all_backends() -> Vec<TestDb> {
    let mut dbs = vec![sqlite().await];
    dbs.extend(postgres().await);
    dbs
}
