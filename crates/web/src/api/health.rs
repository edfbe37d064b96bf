use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use serde::Serialize;
use utoipa::ToSchema;

use crate::AppState;

#[derive(Serialize, ToSchema)]
pub struct Health {
    /// `ok`, or `degraded` when the database did not answer its last check.
    status: &'static str,
    version: &'static str,
    /// `sqlite` or `postgres`.
    backend: &'static str,
    /// `ok`, `unreachable`, or `unknown` before the first check (within 2 s of start).
    database: &'static str,
}

/// Liveness and the database's last known state. Answers without touching the database.
#[utoipa::path(get, path = "/api/v1/health", tag = "system",
    responses((status = 200, body = Health), (status = 503, body = Health)))]
pub async fn health(State(state): State<AppState>) -> (StatusCode, Json<Health>) {
    let db = state.health.database_ok();
    let (status, code) = match db {
        Some(false) => ("degraded", StatusCode::SERVICE_UNAVAILABLE),
        _ => ("ok", StatusCode::OK),
    };
    let backend = match state.store.backend() {
        rexian_store::Backend::Sqlite => "sqlite",
        rexian_store::Backend::Postgres => "postgres",
    };
    let database = match db {
        Some(true) => "ok",
        Some(false) => "unreachable",
        None => "unknown",
    };
    (
        code,
        Json(Health {
            status,
            version: env!("CARGO_PKG_VERSION"),
            backend,
            database,
        }),
    )
}
