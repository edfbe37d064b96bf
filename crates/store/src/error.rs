use thiserror::Error;

/// What can go wrong in storage. Callers map `NotFound` and `Conflict` to 404 and 409; the
/// rest are internal errors that are logged and never shown to a user.
#[derive(Debug, Error)]
pub enum StoreError {
    #[error("{0} not found")]
    NotFound(&'static str),
    /// A uniqueness or reference rule of the data was broken (e.g. the username is taken).
    #[error("conflict: {0}")]
    Conflict(String),
    #[error("database URL: {0}")]
    Url(String),
    #[error("migration failed: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    #[error("database error: {0}")]
    Database(sqlx::Error),
    #[error("stored data is corrupt: {0}")]
    Corrupt(String),
}

impl From<sqlx::Error> for StoreError {
    fn from(e: sqlx::Error) -> Self {
        if let Some(db) = e.as_database_error() {
            if db.is_unique_violation() {
                return StoreError::Conflict(format!("already exists ({})", db.message()));
            }
            if db.is_foreign_key_violation() {
                return StoreError::Conflict(format!(
                    "refers to a missing record ({})",
                    db.message()
                ));
            }
        }
        StoreError::Database(e)
    }
}

pub type StoreResult<T> = Result<T, StoreError>;
