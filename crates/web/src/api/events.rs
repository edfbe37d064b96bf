use axum::Json;
use axum::extract::State;
use chrono::{DateTime, Utc};
use rexian_domain::AggregateRef;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::AppState;
use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::extract::{ApiQuery, Authed, perm};

#[derive(Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct EventQuery {
    /// The aggregate, as `kind:id`: `user:12`, `department:3`, `platform:1`.
    aggregate: String,
    /// Only events with a larger id (for paging).
    after: Option<i64>,
    /// At most this many (1 to 1000, default 100).
    limit: Option<i64>,
}

#[derive(Serialize, ToSchema)]
pub struct EventView {
    id: i64,
    aggregate: String,
    event_type: String,
    actor: String,
    occurred_at: DateTime<Utc>,
    #[schema(value_type = Object)]
    payload: serde_json::Value,
    reason: Option<String>,
}

/// The audit trail of one aggregate of the caller's sub-platform, oldest first.
#[utoipa::path(get, path = "/api/v1/events", tag = "events", security(("bearer" = [])),
    params(EventQuery),
    responses((status = 200, body = [EventView]), (status = 400, body = ErrorBody),
              (status = 403, body = ErrorBody)))]
pub async fn list_events(
    State(state): State<AppState>,
    auth: Authed<perm::ViewEvents>,
    ApiQuery(q): ApiQuery<EventQuery>,
) -> ApiResult<Json<Vec<EventView>>> {
    let aggregate = AggregateRef::parse(&q.aggregate)
        .map_err(|e| ApiError::invalid("aggregate", e.to_string()))?;
    let limit = q.limit.unwrap_or(100);
    if !(1..=1000).contains(&limit) {
        return Err(ApiError::invalid("limit", "1 to 1000"));
    }
    let events = state
        .store
        .events(auth.platform_id(), &aggregate, q.after, limit)
        .await?;
    Ok(Json(events.into_iter().map(EventView::from).collect()))
}

impl From<rexian_domain::Event> for EventView {
    fn from(e: rexian_domain::Event) -> EventView {
        EventView {
            id: e.id,
            aggregate: format!("{}:{}", e.aggregate_type, e.aggregate_id),
            event_type: e.event_type,
            actor: e.actor,
            occurred_at: e.occurred_at,
            payload: e.payload,
            reason: e.reason,
        }
    }
}
