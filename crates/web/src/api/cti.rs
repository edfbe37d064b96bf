//! The CTI interface under /api/v1/cti: the telephony system reports call events, agents
//! change their state, the shift leader forces states, and the wall board reads the live
//! queue and agents (once, or as a server-sent event stream).
//!
//! Calls are named by the provincial call id. Arriving twice with the same id changes
//! nothing (200 with `duplicate: true`), whether the call is still live or already stored.
//! The engine's refusals: unknown call or agent → 404, unknown queue or bad input → 422,
//! a conflict with the current state or an input older than the engine's time → 409 with
//! the reason; a refused input changes nothing.

use std::convert::Infallible;
use std::time::Duration;

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::sse::{Event as SseEvent, KeepAlive, Sse};
use chrono::{DateTime, Utc};
use futures_util::stream::{self, Stream};
use rexian_acd::{
    AcdError, AgentId, AgentSkill, BreakReason, CallId, Command, Engine, Entity, Event,
    ForcedState, HangupSide, Input, Output, Priority, QueueId, Satisfaction, SkillNeed,
    TransferTarget,
};
use rexian_domain::Phone;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use serde_json::value::RawValue;
use utoipa::ToSchema;

use crate::AppState;
use crate::acd::{ApplyError, PlatformAcd};
use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::extract::{ApiJson, ApiPath, Authed, RequiredPermission, perm};

/// A caller number as lists and the live board show it.
pub fn mask_number(n: &str) -> String {
    match Phone::parse(n) {
        Ok(p) => p.masked(),
        Err(_) if n.chars().count() <= 4 => n.to_owned(),
        Err(_) => {
            let tail: String = n
                .chars()
                .rev()
                .take(2)
                .collect::<Vec<_>>()
                .into_iter()
                .rev()
                .collect();
            format!("****{tail}")
        }
    }
}

/// An engine output as the API and the stream show it (caller numbers masked), serialized
/// once, without a JSON tree.
fn output_json(o: &Output) -> Box<RawValue> {
    let raw = match &o.event {
        Event::CallFinished { record } => {
            let mut masked = o.clone();
            if let Event::CallFinished { record: r } = &mut masked.event {
                r.caller = mask_number(&record.caller);
            }
            serde_json::value::to_raw_value(&masked)
        }
        _ => serde_json::value::to_raw_value(o),
    };
    raw.unwrap_or_else(|_| RawValue::NULL.to_owned())
}

fn engine_error(e: AcdError) -> ApiError {
    tracing::info!(reason = %e, "ACD input refused");
    match &e {
        AcdError::Unknown {
            entity: Entity::Queue,
            ..
        } => ApiError::invalid("queue", e.to_string()),
        AcdError::Unknown { entity, .. } => ApiError::new(
            StatusCode::NOT_FOUND,
            "not_found",
            format!("{e} ({})", entity.label_en().to_lowercase()),
        ),
        AcdError::Conflict { .. } => ApiError::conflict(e.to_string()),
        AcdError::OutOfOrder { .. } => {
            ApiError::new(StatusCode::CONFLICT, "out_of_order", e.to_string())
        }
        AcdError::Invalid { .. } | AcdError::Config(_) => ApiError::invalid("body", e.to_string()),
    }
}

fn apply_error(e: ApplyError) -> ApiError {
    match e {
        ApplyError::Engine(e) => engine_error(e),
        ApplyError::Store(e) => e.into(),
    }
}

/// What the engine did with an accepted input.
#[derive(Serialize, ToSchema)]
pub struct CtiReply {
    /// True when the input repeated one already applied (nothing changed).
    duplicate: bool,
    /// The engine's id of the call, while it is live.
    call_id: Option<u64>,
    /// Engine outputs of this step, timers that fell due included (offers, answers,
    /// state changes, finished records with masked numbers).
    #[schema(value_type = Vec<Object>)]
    events: Vec<Box<RawValue>>,
}

fn reply(call_id: Option<CallId>, outputs: &[Output]) -> CtiReply {
    CtiReply {
        duplicate: false,
        call_id: call_id.map(|c| c.0),
        events: outputs.iter().map(output_json).collect(),
    }
}

async fn lock(
    state: &AppState,
    platform_id: i64,
) -> ApiResult<std::sync::Arc<tokio::sync::Mutex<PlatformAcd>>> {
    state.acd.platform(platform_id).map_err(|e| {
        tracing::error!(error = %e, "the ACD settings are invalid");
        ApiError::internal()
    })
}

/// Applies a command at `at` (or now) on the caller's sub-platform.
async fn run<P: RequiredPermission>(
    state: &AppState,
    auth: &Authed<P>,
    at: Option<DateTime<Utc>>,
    make: impl FnOnce(&PlatformAcd) -> ApiResult<Command>,
) -> ApiResult<Json<CtiReply>> {
    let slot = lock(state, auth.platform_id()).await?;
    let mut acd = slot.lock().await;
    let command = make(&acd)?;
    let call = command_call(&command);
    let now = state.clock.now();
    let applied = state
        .acd
        .apply_locked(
            state.store.as_ref(),
            auth.platform_id(),
            &mut acd,
            Input::new(at.unwrap_or(now), command),
            &auth.actor(),
            now,
        )
        .await
        .map_err(apply_error)?;
    let live = call.filter(|c| acd.engine.call(*c).is_some());
    drop(acd);
    let outputs = applied
        .committed(&state.acd, state.store.as_ref(), now)
        .await
        .map_err(apply_error)?;
    Ok(Json(reply(live, &outputs)))
}

fn command_call(c: &Command) -> Option<CallId> {
    match c {
        Command::CallerAbandons { call }
        | Command::AgentAnswers { call, .. }
        | Command::RingNoAnswer { call, .. }
        | Command::Transfer { call, .. }
        | Command::CallEnds { call, .. }
        | Command::SatisfactionReported { call, .. } => Some(*call),
        _ => None,
    }
}

fn live_call(engine: &Engine, provincial_call_id: &str) -> ApiResult<CallId> {
    engine
        .call_id_by_provincial(provincial_call_id)
        .ok_or_else(|| ApiError::not_found(&format!("live call {provincial_call_id:?}")))
}

fn parse_code<T>(
    field: &str,
    code: Option<&str>,
    parse: fn(&str) -> Option<T>,
) -> ApiResult<Option<T>> {
    code.map(|c| parse(c).ok_or_else(|| ApiError::invalid(field, format!("unknown {field} {c:?}"))))
        .transpose()
}

// ----- call events from the telephony system ---------------------------------------------

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ArriveBody {
    /// The provincial 12345 centre's id of the call; arriving twice with it changes nothing.
    provincial_call_id: String,
    caller: String,
    #[serde(default)]
    called: String,
    /// Queue code [default: the first configured queue].
    queue: Option<String>,
    /// A skill the call needs, e.g. `{"skill": "hainanese", "min_level": 1}`.
    #[schema(value_type = Option<Object>)]
    required_skill: Option<SkillNeed>,
    /// `normal`, `vip_callback`, `urgent`.
    priority: Option<String>,
    /// When it happened [default: when the server received it].
    at: Option<DateTime<Utc>>,
}

/// A call pushed down by the provincial centre arrives (话务下沉).
#[utoipa::path(post, path = "/api/v1/cti/calls", tag = "cti", security(("bearer" = [])),
    request_body = ArriveBody,
    responses((status = 201, body = CtiReply), (status = 200, description = "duplicate", body = CtiReply),
        (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn arrive(
    State(state): State<AppState>,
    auth: Authed<perm::ReportCallEvents>,
    ApiJson(body): ApiJson<ArriveBody>,
) -> ApiResult<(StatusCode, Json<CtiReply>)> {
    let duplicate = |call_id: Option<CallId>| {
        (
            StatusCode::OK,
            Json(CtiReply {
                duplicate: true,
                call_id: call_id.map(|c| c.0),
                events: vec![],
            }),
        )
    };
    if body.provincial_call_id.trim().is_empty() {
        return Err(ApiError::invalid("provincial_call_id", "must not be empty"));
    }
    let priority =
        parse_code("priority", body.priority.as_deref(), Priority::from_code)?.unwrap_or_default();
    let pid = auth.platform_id();
    if state
        .store
        .call_by_key(pid, &body.provincial_call_id)
        .await?
        .is_some()
    {
        return Ok(duplicate(None));
    }
    let slot = lock(&state, pid).await?;
    let mut acd = slot.lock().await;
    if let Some(live) = acd.engine.call_id_by_provincial(&body.provincial_call_id) {
        return Ok(duplicate(Some(live)));
    }
    if acd.finished_call(&body.provincial_call_id).is_some() {
        return Ok(duplicate(None));
    }
    let queue = match body.queue {
        Some(q) => QueueId::new(q),
        None => acd.engine.config().queues[0].id.clone(),
    };
    let now = state.clock.now();
    let command = Command::CallArrives {
        provincial_call_id: body.provincial_call_id.clone(),
        caller: body.caller,
        called: body.called,
        queue,
        required_skill: body.required_skill,
        priority,
    };
    let applied = state
        .acd
        .apply_locked(
            state.store.as_ref(),
            pid,
            &mut acd,
            Input::new(body.at.unwrap_or(now), command),
            &auth.actor(),
            now,
        )
        .await
        .map_err(apply_error)?;
    let call = acd.engine.call_id_by_provincial(&body.provincial_call_id);
    drop(acd);
    let outputs = applied
        .committed(&state.acd, state.store.as_ref(), now)
        .await
        .map_err(apply_error)?;
    Ok((StatusCode::CREATED, Json(reply(call, &outputs))))
}

#[derive(Deserialize, ToSchema, Default)]
#[serde(deny_unknown_fields)]
pub struct AtBody {
    at: Option<DateTime<Utc>>,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AgentBody {
    /// The agent's id: their username.
    agent: String,
    at: Option<DateTime<Utc>>,
}

/// The caller hung up before an agent answered.
#[utoipa::path(post, path = "/api/v1/cti/calls/{provincial_call_id}/abandon", tag = "cti",
    security(("bearer" = [])), request_body = AtBody,
    params(("provincial_call_id" = String, Path)),
    responses((status = 200, body = CtiReply), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn abandon(
    State(state): State<AppState>,
    auth: Authed<perm::ReportCallEvents>,
    ApiPath(id): ApiPath<String>,
    ApiJson(body): ApiJson<AtBody>,
) -> ApiResult<Json<CtiReply>> {
    run(&state, &auth, body.at, |e| {
        Ok(Command::CallerAbandons {
            call: live_call(&e.engine, &id)?,
        })
    })
    .await
}

/// The agent picked up the call ringing at their seat.
#[utoipa::path(post, path = "/api/v1/cti/calls/{provincial_call_id}/answer", tag = "cti",
    security(("bearer" = [])), request_body = AgentBody,
    params(("provincial_call_id" = String, Path)),
    responses((status = 200, body = CtiReply), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn answer(
    State(state): State<AppState>,
    auth: Authed<perm::ReportCallEvents>,
    ApiPath(id): ApiPath<String>,
    ApiJson(body): ApiJson<AgentBody>,
) -> ApiResult<Json<CtiReply>> {
    run(&state, &auth, body.at, |e| {
        Ok(Command::AgentAnswers {
            call: live_call(&e.engine, &id)?,
            agent: AgentId::new(body.agent),
        })
    })
    .await
}

/// The ringing agent did not answer (refused or unreachable) before the ring timeout.
#[utoipa::path(post, path = "/api/v1/cti/calls/{provincial_call_id}/ring-no-answer", tag = "cti",
    security(("bearer" = [])), request_body = AgentBody,
    params(("provincial_call_id" = String, Path)),
    responses((status = 200, body = CtiReply), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn ring_no_answer(
    State(state): State<AppState>,
    auth: Authed<perm::ReportCallEvents>,
    ApiPath(id): ApiPath<String>,
    ApiJson(body): ApiJson<AgentBody>,
) -> ApiResult<Json<CtiReply>> {
    run(&state, &auth, body.at, |e| {
        Ok(Command::RingNoAnswer {
            call: live_call(&e.engine, &id)?,
            agent: AgentId::new(body.agent),
        })
    })
    .await
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TransferBody {
    /// `{"kind": "department", "number": "..."}`, `{"kind": "three_way", "number": "..."}`
    /// or `{"kind": "province"}`.
    #[schema(value_type = Object)]
    target: TransferTarget,
    at: Option<DateTime<Utc>>,
}

/// An answered call is transferred (to a department, three-way, or back to the province).
#[utoipa::path(post, path = "/api/v1/cti/calls/{provincial_call_id}/transfer", tag = "cti",
    security(("bearer" = [])), request_body = TransferBody,
    params(("provincial_call_id" = String, Path)),
    responses((status = 200, body = CtiReply), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn transfer(
    State(state): State<AppState>,
    auth: Authed<perm::ReportCallEvents>,
    ApiPath(id): ApiPath<String>,
    ApiJson(body): ApiJson<TransferBody>,
) -> ApiResult<Json<CtiReply>> {
    run(&state, &auth, body.at, |e| {
        Ok(Command::Transfer {
            call: live_call(&e.engine, &id)?,
            target: body.target,
        })
    })
    .await
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct EndBody {
    /// `caller` or `agent`.
    by: String,
    at: Option<DateTime<Utc>>,
}

/// A party hung up. A caller hanging up before an answer is an abandon.
#[utoipa::path(post, path = "/api/v1/cti/calls/{provincial_call_id}/end", tag = "cti",
    security(("bearer" = [])), request_body = EndBody,
    params(("provincial_call_id" = String, Path)),
    responses((status = 200, body = CtiReply), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn end(
    State(state): State<AppState>,
    auth: Authed<perm::ReportCallEvents>,
    ApiPath(id): ApiPath<String>,
    ApiJson(body): ApiJson<EndBody>,
) -> ApiResult<Json<CtiReply>> {
    let by = parse_code("by", Some(&body.by), HangupSide::from_code)?
        .ok_or_else(|| ApiError::invalid("by", "caller or agent"))?;
    run(&state, &auth, body.at, |e| {
        Ok(Command::CallEnds {
            call: live_call(&e.engine, &id)?,
            by,
        })
    })
    .await
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SatisfactionBody {
    /// `satisfied` 满意, `basically_satisfied` 基本满意, `dissatisfied` 不满意, `no_rating`.
    rating: String,
    at: Option<DateTime<Utc>>,
}

/// The caller's rating from the IVR survey after the call (前台满意度).
#[utoipa::path(post, path = "/api/v1/cti/calls/{provincial_call_id}/satisfaction", tag = "cti",
    security(("bearer" = [])), request_body = SatisfactionBody,
    params(("provincial_call_id" = String, Path)),
    responses((status = 200, body = CtiReply), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn satisfaction(
    State(state): State<AppState>,
    auth: Authed<perm::ReportCallEvents>,
    ApiPath(id): ApiPath<String>,
    ApiJson(body): ApiJson<SatisfactionBody>,
) -> ApiResult<Json<CtiReply>> {
    let rating = parse_code("rating", Some(&body.rating), Satisfaction::from_code)?
        .ok_or_else(|| ApiError::invalid("rating", "missing"))?;
    let pid = auth.platform_id();
    {
        let slot = lock(&state, pid).await?;
        let acd = slot.lock().await;
        let known =
            acd.engine.call_id_by_provincial(&id).is_some() || acd.finished_call(&id).is_some();
        drop(acd);
        if !known {
            // Not in the engine's memory (e.g. rated after a restart): rate the stored call.
            state
                .store
                .set_call_satisfaction(pid, &id, rating.code(), &auth.actor(), state.clock.now())
                .await?;
            return Ok(Json(CtiReply {
                duplicate: false,
                call_id: None,
                events: vec![],
            }));
        }
    }
    run(&state, &auth, body.at, |e| {
        let call = e
            .engine
            .call_id_by_provincial(&id)
            .or_else(|| e.finished_call(&id))
            .ok_or_else(|| ApiError::not_found("call"))?;
        Ok(Command::SatisfactionReported { call, rating })
    })
    .await
}

// ----- agents ----------------------------------------------------------------------------

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SignInBody {
    /// The seat (坐席) code.
    seat: Option<String>,
    /// e.g. `[{"skill": "hainanese", "level": 3}]`.
    #[serde(default)]
    #[schema(value_type = Vec<Object>)]
    skills: Vec<AgentSkill>,
    /// Queue codes; empty means every queue.
    #[serde(default)]
    queues: Vec<String>,
}

/// The signed-in agent signs in to a seat (starts not ready). The agent id is the username.
#[utoipa::path(post, path = "/api/v1/cti/agents/me/sign-in", tag = "cti", security(("bearer" = [])),
    request_body = SignInBody,
    responses((status = 200, body = CtiReply), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn sign_in(
    State(state): State<AppState>,
    auth: Authed<perm::ChangeAgentState>,
    ApiJson(body): ApiJson<SignInBody>,
) -> ApiResult<Json<CtiReply>> {
    let agent = AgentId::new(auth.user.username.clone());
    run(&state, &auth, None, |_| {
        Ok(Command::AgentSignsIn {
            agent,
            seat: body.seat,
            skills: body.skills,
            queues: body.queues.into_iter().map(QueueId::new).collect(),
        })
    })
    .await
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct StateBody {
    /// `ready` 示闲, `not_ready` 示忙, `break` 小休 (with `reason`), `wrap_up_end` (end
    /// after-call work early), `sign_out`.
    state: String,
    /// For `break`: `meal`, `training`, `restroom`, `meeting`, `other`.
    reason: Option<String>,
}

/// The signed-in agent changes their own state.
#[utoipa::path(post, path = "/api/v1/cti/agents/me/state", tag = "cti", security(("bearer" = [])),
    request_body = StateBody,
    responses((status = 200, body = CtiReply), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn my_state(
    State(state): State<AppState>,
    auth: Authed<perm::ChangeAgentState>,
    ApiJson(body): ApiJson<StateBody>,
) -> ApiResult<Json<CtiReply>> {
    let agent = AgentId::new(auth.user.username.clone());
    let command = match body.state.as_str() {
        "ready" => Command::AgentReady { agent },
        "not_ready" => Command::AgentNotReady { agent },
        "wrap_up_end" => Command::WrapUpEnds { agent },
        "sign_out" => Command::AgentSignsOut { agent },
        "break" => {
            let reason = parse_code("reason", body.reason.as_deref(), BreakReason::from_code)?
                .ok_or_else(|| ApiError::invalid("reason", "a break needs a reason"))?;
            Command::AgentBreak { agent, reason }
        }
        other => {
            return Err(ApiError::invalid(
                "state",
                format!("unknown state {other:?}: ready, not_ready, break, wrap_up_end, sign_out"),
            ));
        }
    };
    run(&state, &auth, None, |_| Ok(command)).await
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ForceBody {
    /// `ready`, `not_ready`, `on_break` (with `reason`), `signed_out`.
    state: String,
    reason: Option<String>,
}

/// The shift leader (班长) moves an agent to a state. Refused while the agent is on a call.
#[utoipa::path(post, path = "/api/v1/cti/agents/{agent}/force", tag = "cti", security(("bearer" = [])),
    request_body = ForceBody, params(("agent" = String, Path, description = "the agent's username")),
    responses((status = 200, body = CtiReply), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn force_state(
    State(state): State<AppState>,
    auth: Authed<perm::ForceAgentState>,
    ApiPath(agent): ApiPath<String>,
    ApiJson(body): ApiJson<ForceBody>,
) -> ApiResult<Json<CtiReply>> {
    let forced = match body.state.as_str() {
        "ready" => ForcedState::Ready,
        "not_ready" => ForcedState::NotReady,
        "signed_out" => ForcedState::SignedOut,
        "on_break" => ForcedState::OnBreak {
            reason: parse_code("reason", body.reason.as_deref(), BreakReason::from_code)?
                .ok_or_else(|| ApiError::invalid("reason", "a break needs a reason"))?,
        },
        other => {
            return Err(ApiError::invalid(
                "state",
                format!("unknown state {other:?}: ready, not_ready, on_break, signed_out"),
            ));
        }
    };
    let by = auth.user.username.clone();
    run(&state, &auth, None, |_| {
        Ok(Command::ForceAgentState {
            agent: AgentId::new(agent),
            state: forced,
            by,
        })
    })
    .await
}

// ----- live view -------------------------------------------------------------------------

/// The live queues, agents and calls of the caller's sub-platform (numbers masked).
#[derive(Serialize, ToSchema)]
pub struct LiveState {
    at: DateTime<Utc>,
    #[schema(value_type = Vec<Object>)]
    queues: Vec<Value>,
    #[schema(value_type = Vec<Object>)]
    agents: Vec<Value>,
    #[schema(value_type = Vec<Object>)]
    calls: Vec<Value>,
}

fn snapshot(acd: &PlatformAcd, now: DateTime<Utc>) -> LiveState {
    // Views are asked at the engine's time if the clock is behind it (never backwards).
    let at = acd.engine.now().map_or(now, |t| t.max(now));
    LiveState {
        at,
        queues: acd
            .engine
            .queues(at)
            .iter()
            .map(|q| serde_json::to_value(q).unwrap_or(Value::Null))
            .collect(),
        agents: acd
            .engine
            .agents(at)
            .iter()
            .map(|a| serde_json::to_value(a).unwrap_or(Value::Null))
            .collect(),
        calls: acd
            .engine
            .live_calls()
            .into_iter()
            .map(|mut c| {
                c.caller = mask_number(&c.caller);
                serde_json::to_value(c).unwrap_or(Value::Null)
            })
            .collect(),
    }
}

/// The live queue and agent state, once.
#[utoipa::path(get, path = "/api/v1/cti/state", tag = "cti", security(("bearer" = [])),
    responses((status = 200, body = LiveState), (status = 403, body = ErrorBody)))]
pub async fn live_state(
    State(state): State<AppState>,
    auth: Authed<perm::ViewCalls>,
) -> ApiResult<Json<LiveState>> {
    let slot = lock(&state, auth.platform_id()).await?;
    let acd = slot.lock().await;
    Ok(Json(snapshot(&acd, state.clock.now())))
}

/// Server-sent events for the wall board and the agent desk: a `snapshot` at once and every
/// 5 seconds, and an `acd` event for each engine output of this sub-platform (numbers masked).
#[utoipa::path(get, path = "/api/v1/cti/stream", tag = "cti", security(("bearer" = [])),
    responses((status = 200, content_type = "text/event-stream", description = "the live stream"),
        (status = 403, body = ErrorBody)))]
pub async fn live_stream(
    State(state): State<AppState>,
    auth: Authed<perm::ViewCalls>,
) -> ApiResult<Sse<impl Stream<Item = Result<SseEvent, Infallible>>>> {
    let platform_id = auth.platform_id();
    let slot = lock(&state, platform_id).await?;
    let updates = state.acd.subscribe();
    let mut interval = tokio::time::interval(Duration::from_secs(5));
    interval.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let stream = stream::unfold(
        (
            updates,
            interval,
            slot,
            state.clock.clone(),
            Vec::<SseEvent>::new(),
        ),
        move |(mut updates, mut interval, slot, clock, mut pending)| async move {
            loop {
                if let Some(e) = pending.pop() {
                    return Some((Ok(e), (updates, interval, slot, clock, pending)));
                }
                tokio::select! {
                    _ = interval.tick() => {
                        let acd = slot.lock().await;
                        let snap = snapshot(&acd, clock.now());
                        drop(acd);
                        let e = SseEvent::default().event("snapshot")
                            .json_data(&snap).unwrap_or_default();
                        return Some((Ok(e), (updates, interval, slot, clock, pending)));
                    }
                    u = updates.recv() => match u {
                        Ok(u) if u.platform_id == platform_id => {
                            pending = u.outputs.iter().rev().map(|o| {
                                SseEvent::default().event("acd")
                                    .json_data(output_json(o)).unwrap_or_default()
                            }).collect();
                        }
                        Ok(_) => {}
                        // Too slow a reader: the next snapshot brings it up to date.
                        Err(tokio::sync::broadcast::error::RecvError::Lagged(_)) => {
                            interval.reset_immediately();
                        }
                        Err(tokio::sync::broadcast::error::RecvError::Closed) => return None,
                    }
                }
            }
        },
    );
    Ok(Sse::new(stream).keep_alive(KeepAlive::default()))
}
