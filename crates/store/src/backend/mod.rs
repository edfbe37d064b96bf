//! Backend selection and set-up. The shared SQL is in `sql.rs`, compiled once per backend.

mod postgres;
mod sqlite;

use std::borrow::Cow;
use std::sync::Arc;

use sqlx::migrate::{Migration, MigrationType, Migrator};

use crate::{Backend, DatabaseLocation, Store, StoreResult};

pub(crate) async fn open(location: &DatabaseLocation) -> StoreResult<Arc<dyn Store>> {
    match location {
        DatabaseLocation::Sqlite {
            path,
            create,
            durability,
        } => Ok(Arc::new(sqlite::open(path, *create, *durability).await?)),
        DatabaseLocation::Postgres { url } => Ok(Arc::new(postgres::open(url).await?)),
    }
}

/// The migrations of a backend, embedded in the binary. Each backend has its own SQL files
/// with the same numbers and names; a test checks both give the same tables and columns.
pub fn migrations_for(backend: Backend) -> Migrator {
    let files: &[(i64, &str, &str)] = match backend {
        Backend::Sqlite => &[
            (
                1,
                "foundation",
                include_str!("../../migrations/sqlite/0001_foundation.sql"),
            ),
            (
                2,
                "work_orders",
                include_str!("../../migrations/sqlite/0002_work_orders.sql"),
            ),
            (
                3,
                "calls",
                include_str!("../../migrations/sqlite/0003_calls.sql"),
            ),
            (
                4,
                "operations",
                include_str!("../../migrations/sqlite/0004_operations.sql"),
            ),
            (
                5,
                "assessment",
                include_str!("../../migrations/sqlite/0005_assessment.sql"),
            ),
            (
                6,
                "calls_agents",
                include_str!("../../migrations/sqlite/0006_calls_agents.sql"),
            ),
            (
                8,
                "order_links",
                include_str!("../../migrations/sqlite/0008_order_links.sql"),
            ),
            (
                12,
                "assessment_covering",
                include_str!("../../migrations/sqlite/0012_assessment_covering.sql"),
            ),
        ],
        Backend::Postgres => &[
            (
                1,
                "foundation",
                include_str!("../../migrations/postgres/0001_foundation.sql"),
            ),
            (
                2,
                "work_orders",
                include_str!("../../migrations/postgres/0002_work_orders.sql"),
            ),
            (
                3,
                "calls",
                include_str!("../../migrations/postgres/0003_calls.sql"),
            ),
            (
                4,
                "operations",
                include_str!("../../migrations/postgres/0004_operations.sql"),
            ),
            (
                5,
                "assessment",
                include_str!("../../migrations/postgres/0005_assessment.sql"),
            ),
            (
                6,
                "calls_agents",
                include_str!("../../migrations/postgres/0006_calls_agents.sql"),
            ),
            (
                8,
                "order_links",
                include_str!("../../migrations/postgres/0008_order_links.sql"),
            ),
            (
                12,
                "assessment_covering",
                include_str!("../../migrations/postgres/0012_assessment_covering.sql"),
            ),
        ],
    };
    let migrations = files
        .iter()
        .map(|&(version, name, sql)| {
            Migration::new(
                version,
                Cow::Borrowed(name),
                MigrationType::Simple,
                Cow::Borrowed(sql),
                false,
            )
        })
        .collect::<Vec<_>>();
    Migrator {
        migrations: Cow::Owned(migrations),
        ignore_missing: false,
        locking: true,
        no_tx: false,
    }
}
