//! Call records, call figures and the missed-call callback list under /api/v1/calls.

use axum::Json;
use axum::extract::State;
use chrono::{DateTime, NaiveDate, Utc};
use rexian_acd::{
    AgentId, CallFigures, CallRecord, FigureFilter, FigureOptions, FigureRow, QueueId,
};
use rexian_store::{AgentStateChange, CallQuery, Callback, Store, StoreResult, StoredCall};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::AppState;
use crate::api::cti::mask_number;
use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::extract::{ApiJson, ApiPath, ApiQuery, Authed, perm};

/// Reads a period bound: a Beijing date (`2026-10-01`) or an RFC 3339 instant. A date as
/// `to` includes that whole day.
pub fn parse_bound(field: &str, text: &str, is_end: bool) -> Result<DateTime<Utc>, ApiError> {
    if let Ok(t) = DateTime::parse_from_rfc3339(text) {
        return Ok(t.with_timezone(&Utc));
    }
    let date = NaiveDate::parse_from_str(text, "%Y-%m-%d")
        .map_err(|_| ApiError::invalid(field, "a date like 2026-10-01 or an RFC 3339 instant"))?;
    let date = if is_end {
        date.succ_opt()
            .ok_or_else(|| ApiError::invalid(field, "date out of range"))?
    } else {
        date
    };
    date.and_hms_opt(0, 0, 0)
        .and_then(|d| {
            d.and_local_timezone(rexian_domain::time::beijing())
                .single()
        })
        .map(|d| d.with_timezone(&Utc))
        .ok_or_else(|| ApiError::invalid(field, "date out of range"))
}

/// The figures of the stored calls of a period, and how many stored calls could not count
/// (imported calls that never reached a queue: busy, failed).
pub async fn call_figures(
    store: &dyn Store,
    platform_id: i64,
    filter: &FigureFilter,
    now: DateTime<Utc>,
) -> StoreResult<(CallFigures, u64)> {
    let calls = store
        .list_calls(
            platform_id,
            &CallQuery {
                from: filter.from,
                to: filter.to,
                queue: filter.queue.as_ref().map(|q| q.as_str().to_owned()),
                oldest_first: true,
                ..Default::default()
            },
        )
        .await?;
    let mut not_counted = 0;
    let records: Vec<CallRecord> = calls
        .into_iter()
        .filter_map(|c| match serde_json::from_value::<CallRecord>(c.record) {
            Ok(r) => Some(r),
            Err(_) => {
                not_counted += 1;
                None
            }
        })
        .collect();
    let logged_in_seconds = match (filter.from, filter.to) {
        (Some(from), Some(to)) => {
            let changes = store.agent_state_changes(platform_id, from, to).await?;
            let agent = filter.agent.as_ref().map(|a| a.as_str());
            Some(working_seconds(&changes, from, to.min(now), agent))
        }
        _ => None,
    };
    let options = FigureOptions {
        logged_in_seconds,
        ..FigureOptions::default()
    };
    Ok((rexian_acd::figures(&records, filter, &options), not_counted))
}

/// Seconds the agents (or one agent) were signed in and not on break within `[from, to)`,
/// from their logged state changes (`to` is the period's end, or now if earlier). An agent's
/// state before its first change in the log is that change's `from`.
pub fn working_seconds(
    changes: &[AgentStateChange],
    from: DateTime<Utc>,
    to: DateTime<Utc>,
    agent: Option<&str>,
) -> f64 {
    fn working(state: &serde_json::Value) -> bool {
        !matches!(
            state.get("state").and_then(|s| s.as_str()),
            None | Some("signed_out") | Some("on_break")
        )
    }
    let clipped = |a: DateTime<Utc>, b: DateTime<Utc>| {
        let (a, b) = (a.max(from), b.min(to));
        if b > a {
            (b - a).num_milliseconds() as f64 / 1000.0
        } else {
            0.0
        }
    };
    let mut by_agent: std::collections::BTreeMap<&str, Vec<&AgentStateChange>> =
        std::collections::BTreeMap::new();
    for c in changes {
        if agent.is_none_or(|a| a == c.agent) {
            by_agent.entry(c.agent.as_str()).or_default().push(c);
        }
    }
    let mut total = 0.0;
    for (_, mut list) in by_agent {
        list.sort_by_key(|c| c.at);
        // Before the first change: its `from`, since the start of the log window.
        let mut since = from - chrono::Duration::days(1);
        let mut on = working(&list[0].from);
        for c in list {
            if on {
                total += clipped(since, c.at);
            }
            since = c.at;
            on = working(&c.to);
        }
        if on {
            total += clipped(since, to);
        }
    }
    total
}

/// A stored call as the API lists it: the caller's number masked.
#[derive(Serialize, ToSchema)]
pub struct CallView {
    id: i64,
    source: String,
    /// Provincial call id (CTI) or the importer's dedup key.
    dedup_key: String,
    caller: String,
    called: String,
    queue: String,
    agent: Option<String>,
    arrived_at: DateTime<Utc>,
    answered_at: Option<DateTime<Utc>>,
    ended_at: DateTime<Utc>,
    wait_seconds: f64,
    talk_seconds: f64,
    wrap_up_seconds: f64,
    outcome: String,
    short_abandon: bool,
    overflow_reason: Option<String>,
    satisfaction: Option<String>,
    order_id: Option<i64>,
}

impl From<StoredCall> for CallView {
    fn from(c: StoredCall) -> Self {
        CallView {
            id: c.id,
            source: c.source,
            dedup_key: c.dedup_key,
            caller: mask_number(&c.caller),
            called: c.called,
            queue: c.queue,
            agent: c.agent,
            arrived_at: c.arrived_at,
            answered_at: c.answered_at,
            ended_at: c.ended_at,
            wait_seconds: c.wait_seconds,
            talk_seconds: c.talk_seconds,
            wrap_up_seconds: c.wrap_up_seconds,
            outcome: c.outcome,
            short_abandon: c.short_abandon,
            overflow_reason: c.overflow_reason,
            satisfaction: c.satisfaction,
            order_id: c.order_id,
        }
    }
}

#[derive(Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct ListParams {
    /// Date (Beijing) or RFC 3339 instant, included.
    from: Option<String>,
    /// Date (Beijing, the whole day included) or RFC 3339 instant, excluded.
    to: Option<String>,
    queue: Option<String>,
    /// Calls this agent answered.
    agent: Option<String>,
    outcome: Option<String>,
    /// Paging: only calls with a smaller id.
    before_id: Option<i64>,
    /// At most this many (default 100, at most 1000).
    limit: Option<i64>,
}

/// Stored calls, newest first.
#[utoipa::path(get, path = "/api/v1/calls", tag = "calls", security(("bearer" = [])),
    params(ListParams),
    responses((status = 200, body = [CallView]), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn list_calls(
    State(state): State<AppState>,
    auth: Authed<perm::ViewCalls>,
    ApiQuery(p): ApiQuery<ListParams>,
) -> ApiResult<Json<Vec<CallView>>> {
    let query = CallQuery {
        from: p
            .from
            .as_deref()
            .map(|t| parse_bound("from", t, false))
            .transpose()?,
        to: p
            .to
            .as_deref()
            .map(|t| parse_bound("to", t, true))
            .transpose()?,
        queue: p.queue,
        agent: p.agent,
        outcome: p.outcome,
        caller: None,
        before_id: p.before_id,
        limit: Some(p.limit.unwrap_or(100).clamp(1, 1000)),
        oldest_first: false,
    };
    let calls = state.store.list_calls(auth.platform_id(), &query).await?;
    Ok(Json(calls.into_iter().map(CallView::from).collect()))
}

#[derive(Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct FigureParams {
    /// Date (Beijing) or RFC 3339 instant, included.
    from: String,
    /// Date (Beijing, the whole day included) or RFC 3339 instant, excluded.
    to: String,
    queue: Option<String>,
    agent: Option<String>,
}

/// The call figures of a period with the definition used for each.
#[derive(Serialize, ToSchema)]
pub struct FiguresReply {
    from: DateTime<Utc>,
    to: DateTime<Utc>,
    /// offered, answered, abandoned, short_abandoned, overflowed, answer_rate,
    /// service_level_15s, asa_seconds, aht_seconds, ... (rates are fractions).
    #[schema(value_type = Object)]
    figures: CallFigures,
    /// Each figure with its labels and definition (Chinese first).
    #[schema(value_type = Vec<Object>)]
    definitions: Vec<FigureRow>,
    /// Stored calls left out because they never reached a queue (imported busy/failed).
    not_counted: u64,
}

/// Call figures (话务指标) for a period, optionally one queue or one agent.
#[utoipa::path(get, path = "/api/v1/calls/figures", tag = "calls", security(("bearer" = [])),
    params(FigureParams),
    responses((status = 200, body = FiguresReply), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn figures(
    State(state): State<AppState>,
    auth: Authed<perm::ViewCalls>,
    ApiQuery(p): ApiQuery<FigureParams>,
) -> ApiResult<Json<FiguresReply>> {
    let filter = FigureFilter {
        from: Some(parse_bound("from", &p.from, false)?),
        to: Some(parse_bound("to", &p.to, true)?),
        queue: p.queue.map(QueueId::new),
        agent: p.agent.map(AgentId::new),
    };
    let (figures, not_counted) = call_figures(
        state.store.as_ref(),
        auth.platform_id(),
        &filter,
        state.clock.now(),
    )
    .await?;
    Ok(Json(FiguresReply {
        from: filter.from.unwrap_or_default(),
        to: filter.to.unwrap_or_default(),
        definitions: figures.rows(&FigureOptions::default()),
        figures,
        not_counted,
    }))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LinkOrder {
    order_id: i64,
}

/// Links a call to the work order registered during it.
#[utoipa::path(post, path = "/api/v1/calls/{id}/order", tag = "calls", security(("bearer" = [])),
    request_body = LinkOrder, params(("id" = i64, Path)),
    responses((status = 200, body = CallView), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn link_order(
    State(state): State<AppState>,
    auth: Authed<perm::HandleCalls>,
    ApiPath(id): ApiPath<i64>,
    ApiJson(body): ApiJson<LinkOrder>,
) -> ApiResult<Json<CallView>> {
    let call = state
        .store
        .link_call_order(
            auth.platform_id(),
            id,
            body.order_id,
            &auth.actor(),
            state.clock.now(),
        )
        .await?;
    Ok(Json(call.into()))
}

/// An entry of the missed-call callback list (漏接回拨), the number masked.
#[derive(Serialize, ToSchema)]
pub struct CallbackView {
    id: i64,
    caller: String,
    day: String,
    status: String,
    missed_count: i64,
    first_missed_at: DateTime<Utc>,
    last_missed_at: DateTime<Utc>,
    last_call_id: Option<i64>,
    attempts: i64,
    last_attempt_at: Option<DateTime<Utc>>,
    outcome: Option<String>,
    note: Option<String>,
    closed_at: Option<DateTime<Utc>>,
}

fn callback_view(c: Callback, full_number: bool) -> CallbackView {
    CallbackView {
        id: c.id,
        caller: if full_number {
            c.caller
        } else {
            mask_number(&c.caller)
        },
        day: c.day,
        status: c.status,
        missed_count: c.missed_count,
        first_missed_at: c.first_missed_at,
        last_missed_at: c.last_missed_at,
        last_call_id: c.last_call_id,
        attempts: c.attempts,
        last_attempt_at: c.last_attempt_at,
        outcome: c.outcome,
        note: c.note,
        closed_at: c.closed_at,
    }
}

#[derive(Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct CallbackParams {
    /// `open` (default) or `all`.
    status: Option<String>,
}

/// The missed-call callback list, oldest miss first. Agents who call back see the full
/// number (they must dial it); the list is otherwise the same for everyone who handles calls.
#[utoipa::path(get, path = "/api/v1/calls/callbacks", tag = "calls", security(("bearer" = [])),
    params(CallbackParams),
    responses((status = 200, body = [CallbackView]), (status = 403, body = ErrorBody)))]
pub async fn list_callbacks(
    State(state): State<AppState>,
    auth: Authed<perm::HandleCalls>,
    ApiQuery(p): ApiQuery<CallbackParams>,
) -> ApiResult<Json<Vec<CallbackView>>> {
    let open_only = match p.status.as_deref() {
        None | Some("open") => true,
        Some("all") => false,
        Some(_) => return Err(ApiError::invalid("status", "open or all")),
    };
    let full = auth
        .user
        .role
        .can(rexian_domain::Permission::ViewCallerPhone);
    let list = state
        .store
        .list_callbacks(auth.platform_id(), open_only)
        .await?;
    Ok(Json(
        list.into_iter().map(|c| callback_view(c, full)).collect(),
    ))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AttemptBody {
    /// `reached` or `wrong_number` (close the entry), `no_answer` or `busy` (keep it open).
    outcome: String,
    note: Option<String>,
}

/// An agent called the number back: records the attempt and its outcome.
#[utoipa::path(post, path = "/api/v1/calls/callbacks/{id}/attempts", tag = "calls",
    security(("bearer" = [])), request_body = AttemptBody, params(("id" = i64, Path)),
    responses((status = 200, body = CallbackView), (status = 404, body = ErrorBody),
        (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn record_attempt(
    State(state): State<AppState>,
    auth: Authed<perm::HandleCalls>,
    ApiPath(id): ApiPath<i64>,
    ApiJson(body): ApiJson<AttemptBody>,
) -> ApiResult<Json<CallbackView>> {
    if !rexian_store::calls::CALLBACK_OUTCOMES.contains(&body.outcome.as_str()) {
        return Err(ApiError::invalid(
            "outcome",
            "reached, wrong_number, no_answer or busy",
        ));
    }
    if body.note.as_ref().is_some_and(|n| n.chars().count() > 500) {
        return Err(ApiError::invalid("note", "at most 500 characters"));
    }
    let cb = state
        .store
        .record_callback_attempt(
            auth.platform_id(),
            id,
            &body.outcome,
            body.note.as_deref(),
            &auth.actor(),
            state.clock.now(),
        )
        .await?;
    let full = auth
        .user
        .role
        .can(rexian_domain::Permission::ViewCallerPhone);
    Ok(Json(callback_view(cb, full)))
}
