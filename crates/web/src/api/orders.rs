//! Work orders (工单) over HTTP: create, read, list, one endpoint per lifecycle action, the
//! department inbox, the callback list and the citizen lookup.
//!
//! Who may do an action is the lifecycle's rule (`rexian_orders::apply`): a wrong role gets
//! 403, an illegal state 409 with the current state and the allowed actions, bad data 422
//! naming the field. Visibility: a department handler sees only orders its department leads
//! or assists (others answer 404, like another sub-platform's). The caller's phone is masked
//! in lists and for roles without `ViewCallerPhone`; a confidential order hides the caller
//! altogether from those roles (department handlers, county office, administrators).

use std::collections::HashMap;
use std::sync::{Mutex, OnceLock};
use std::time::{Duration, Instant};

use axum::Json;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Utc};
use rexian_domain::{AggregateRef, NewEvent, Permission, Phone, Role};
use rexian_orders::{
    Action, ActionKind, Actor as OrderActor, DepartmentCode, MatterCategoryCode, OrderNumber,
    OrderState, RequestKind, Source, TimeLimits, TransitionError, allowed_actions_on, register,
    timers,
};
use rexian_store::{
    DeadlineCursor, NewOrder, OrderFilter, OrderUpdate, StoreError, User, WorkOrder,
};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use utoipa::{IntoParams, ToSchema};

use crate::AppState;
use crate::error::{ApiError, ErrorBody};
use crate::extract::{ApiPath, ApiQuery, Authed, parse_json, perm};

static LIMITS: OnceLock<TimeLimits> = OnceLock::new();

/// The time limits in force: the file named by `orders.time_limits_file` (set once at start
/// with [`set_time_limits`]), else the bundled `config/time_limits.toml`. The calendar is per
/// sub-platform: see `api::calendar::calendar_for`.
pub fn time_limits() -> &'static TimeLimits {
    LIMITS.get_or_init(TimeLimits::bundled)
}

/// Installs the configured time limits before the server starts; false when they were set
/// (or read) already.
pub fn set_time_limits(limits: TimeLimits) -> bool {
    LIMITS.set(limits).is_ok()
}

pub const MAX_TITLE_CHARS: usize = 200;
pub const MAX_CONTENT_CHARS: usize = 5000;
pub const MAX_NAME_CHARS: usize = 50;
pub const MAX_ADDRESS_CHARS: usize = 300;
const MAX_KEY_CHARS: usize = 100;

/// An error of these endpoints: a plain API error, or a refused transition whose body says
/// what the order is and what the caller may do instead.
pub enum OrderError {
    Api(ApiError),
    Transition {
        error: TransitionError,
        current_state: OrderState,
        allowed_actions: Vec<ActionKind>,
    },
}

impl From<ApiError> for OrderError {
    fn from(e: ApiError) -> Self {
        OrderError::Api(e)
    }
}

impl From<StoreError> for OrderError {
    fn from(e: StoreError) -> Self {
        OrderError::Api(e.into())
    }
}

/// Body of a refused transition (409, 403 or 422).
#[derive(Serialize, ToSchema)]
pub struct TransitionErrorBody {
    error: TransitionErrorDetail,
}

#[derive(Serialize, ToSchema)]
pub struct TransitionErrorDetail {
    /// `illegal_transition` (409), `forbidden` (403) or `invalid` (422).
    code: String,
    message: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    field: Option<String>,
    current_state: String,
    /// What the caller may do on this order now.
    allowed_actions: Vec<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    needed_roles: Vec<String>,
}

impl IntoResponse for OrderError {
    fn into_response(self) -> Response {
        match self {
            OrderError::Api(e) => e.into_response(),
            OrderError::Transition {
                error,
                current_state,
                allowed_actions,
            } => {
                let status = StatusCode::from_u16(error.http_status())
                    .unwrap_or(StatusCode::UNPROCESSABLE_ENTITY);
                let (field, needed_roles) = match &error {
                    TransitionError::Invalid { field, .. } => (Some((*field).to_owned()), vec![]),
                    TransitionError::Forbidden { needed_roles, .. } => (
                        None,
                        needed_roles.iter().map(|r| r.code().to_owned()).collect(),
                    ),
                    TransitionError::IllegalTransition { .. } => (None, vec![]),
                };
                let body = TransitionErrorBody {
                    error: TransitionErrorDetail {
                        code: error.code().to_owned(),
                        message: error.to_string(),
                        field,
                        current_state: current_state.code().to_owned(),
                        allowed_actions: allowed_actions
                            .iter()
                            .map(|a| a.code().to_owned())
                            .collect(),
                        needed_roles,
                    },
                };
                (status, Json(body)).into_response()
            }
        }
    }
}

pub(crate) type OrderResult<T> = Result<T, OrderError>;

/// A work order as the API shows it to one user.
#[derive(Serialize, ToSchema)]
pub struct OrderView {
    id: i64,
    number: String,
    /// `consultation`, `help`, `complaint`, `report`, `suggestion`, `praise`, `other`.
    kind: String,
    kind_label: String,
    state: String,
    state_label: String,
    urgent: bool,
    confidential: bool,
    leader_flagged: bool,
    source: String,
    supervision_level: String,
    category_code: Option<String>,
    title: String,
    content: String,
    /// Hidden (null) when the order is confidential and the viewer's role may not see
    /// callers' phone numbers (department handler, county office, administrator).
    caller_name: Option<String>,
    /// Masked in lists and for roles without the permission to see it; null when hidden.
    caller_phone: Option<String>,
    town: Option<String>,
    address: Option<String>,
    lat: Option<f64>,
    lng: Option<f64>,
    call_id: Option<String>,
    lead_department_id: Option<i64>,
    lead_department: Option<String>,
    assisting_departments: Vec<String>,
    reply_content: Option<String>,
    public_reply: Option<String>,
    sign_due_at: Option<DateTime<Utc>>,
    handle_due_at: Option<DateTime<Utc>>,
    callback_due_at: Option<DateTime<Utc>>,
    /// Running deadlines already passed: `sign`, `handle`, `callback`.
    overdue: Vec<String>,
    reopen_count: u32,
    extension_count: u32,
    #[schema(value_type = Object)]
    last_callback: Option<Value>,
    /// The full lifecycle state: deadlines with reminder and escalation times, markers.
    #[schema(value_type = Object)]
    deadlines: Value,
    /// What the viewer may do now (the buttons to show).
    allowed_actions: Vec<String>,
    version: i64,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
}

/// How much of the caller a viewer may see.
#[derive(Clone, Copy)]
struct Viewer<'a> {
    user: &'a User,
    actor: &'a OrderActor,
    in_list: bool,
}

fn order_view(o: &WorkOrder, v: Viewer<'_>, now: DateTime<Utc>) -> OrderView {
    // 保密: only the roles that work with callers (agent, shift leader, manager) see who it is.
    let hide_caller = o.confidential && !v.user.role.can(Permission::ViewCallerPhone);
    let phone = Phone::parse(&o.caller_phone).ok();
    let caller_phone = if hide_caller {
        None
    } else if !v.in_list && v.user.role.can(Permission::ViewCallerPhone) {
        Some(o.caller_phone.clone())
    } else {
        Some(
            phone
                .as_ref()
                .map(Phone::masked)
                .unwrap_or_else(|| "****".into()),
        )
    };
    let s = &o.snapshot;
    OrderView {
        id: o.id,
        number: o.number.clone(),
        kind: o.kind.code().into(),
        kind_label: o.kind.label_zh().into(),
        state: o.state.code().into(),
        state_label: o.state.label_zh().into(),
        urgent: o.urgent,
        confidential: o.confidential,
        leader_flagged: o.leader_flagged,
        source: o.source.code().into(),
        supervision_level: o.supervision_level.code().into(),
        category_code: o.category_code.clone(),
        title: o.title.clone(),
        content: o.content.clone(),
        caller_name: (!hide_caller).then(|| o.caller_name.clone()),
        caller_phone,
        town: o.town.clone(),
        address: o.address.clone(),
        lat: o.lat,
        lng: o.lng,
        call_id: o.call_id.clone(),
        lead_department_id: o.lead_department_id,
        lead_department: s.lead_department.as_ref().map(|d| d.as_str().to_owned()),
        assisting_departments: s
            .assisting_departments
            .iter()
            .map(|d| d.as_str().to_owned())
            .collect(),
        reply_content: o.reply_content.clone(),
        public_reply: o.public_reply.clone(),
        sign_due_at: o.sign_due_at,
        handle_due_at: o.handle_due_at,
        callback_due_at: o.callback_due_at,
        overdue: timers::overdue_deadlines(s, now)
            .iter()
            .map(|k| k.code().to_owned())
            .collect(),
        reopen_count: s.reopen_count,
        extension_count: s.extension_count,
        last_callback: s.last_callback.and_then(|c| serde_json::to_value(c).ok()),
        deadlines: serde_json::to_value(&s.deadlines).unwrap_or(Value::Null),
        allowed_actions: allowed_actions_on(s, v.actor)
            .iter()
            .map(|a| a.code().to_owned())
            .collect(),
        version: o.version,
        created_at: o.created_at,
        updated_at: o.updated_at,
    }
}

/// The lifecycle's view of the signed-in user (a handler with their department's code).
pub(crate) async fn order_actor(state: &AppState, user: &User) -> OrderResult<OrderActor> {
    if user.role != Role::DepartmentHandler {
        return Ok(OrderActor::user(user.role));
    }
    let dept = match user.department_id {
        Some(id) => {
            state
                .reference
                .department(state.store.as_ref(), user.platform_id, id)
                .await?
        }
        None => None,
    };
    let code = dept.and_then(|d| DepartmentCode::parse(&d.code).ok());
    Ok(OrderActor::User {
        role: Role::DepartmentHandler,
        department: code,
    })
}

/// Whether the user may see the order at all.
fn visible(o: &WorkOrder, user: &User, actor: &OrderActor) -> bool {
    if user.role != Role::DepartmentHandler {
        return true;
    }
    let OrderActor::User {
        department: Some(code),
        ..
    } = actor
    else {
        return false;
    };
    (o.lead_department_id.is_some() && o.lead_department_id == user.department_id)
        || o.snapshot.assisting_departments.contains(code)
}

pub(crate) async fn load_visible(
    state: &AppState,
    user: &User,
    actor: &OrderActor,
    id: i64,
) -> OrderResult<WorkOrder> {
    visible_or_not_found(state.store.order(user.platform_id, id).await?, user, actor)
}

/// The order found, if the user may see it; else 404, as for an order that does not exist.
fn visible_or_not_found(
    found: Option<WorkOrder>,
    user: &User,
    actor: &OrderActor,
) -> OrderResult<WorkOrder> {
    match found {
        Some(o) if visible(&o, user, actor) => Ok(o),
        _ => Err(ApiError::not_found("order").into()),
    }
}

fn text_field(field: &str, value: &str, max: usize, required: bool) -> Result<String, ApiError> {
    let t = value.trim();
    if required && t.is_empty() {
        return Err(ApiError::invalid(field, "must not be empty"));
    }
    if t.chars().count() > max {
        return Err(ApiError::invalid(
            field,
            format!("must be at most {max} characters"),
        ));
    }
    Ok(t.to_owned())
}

fn optional_text(field: &str, value: Option<&str>, max: usize) -> Result<Option<String>, ApiError> {
    match value {
        None => Ok(None),
        Some(v) => Ok(Some(text_field(field, v, max, false)?).filter(|s| !s.is_empty())),
    }
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateOrder {
    /// `consultation`, `help`, `complaint`, `report`, `suggestion`, `praise`, `other`.
    #[schema(value_type = String)]
    kind: RequestKind,
    #[serde(default)]
    urgent: bool,
    #[serde(default)]
    confidential: bool,
    #[serde(default)]
    leader_flagged: bool,
    /// `phone_call` (default), `provincial_dispatch`, `web`, `wechat`, `sms`, `letter`,
    /// `walk_in`.
    #[schema(value_type = Option<String>)]
    source: Option<Source>,
    /// A code of the sub-platform's matter taxonomy, e.g. `03.01`.
    category_code: Option<String>,
    title: String,
    content: String,
    caller_name: String,
    caller_phone: String,
    /// A town code of the sub-platform, e.g. `yacha`.
    town: Option<String>,
    address: Option<String>,
    lat: Option<f64>,
    lng: Option<f64>,
    call_id: Option<String>,
}

/// Registers (受理) a work order. Send an `Idempotency-Key` header to make a retry safe:
/// the same key returns the first order (200) and creates nothing.
#[utoipa::path(post, path = "/api/v1/orders", tag = "orders", security(("bearer" = [])),
    request_body = CreateOrder,
    params(("Idempotency-Key" = Option<String>, Header, description = "retry-safe key")),
    responses((status = 201, body = OrderView), (status = 200, body = OrderView),
              (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn create_order(
    State(state): State<AppState>,
    auth: Authed<perm::ViewPlatform>,
    headers: HeaderMap,
    body: Bytes,
) -> OrderResult<(StatusCode, Json<OrderView>)> {
    let actor = order_actor(&state, &auth.user).await?;
    if !ActionKind::Register.may_be_done_by(&actor) {
        return Err(ApiError::new(
            StatusCode::FORBIDDEN,
            "forbidden",
            "only an agent or a shift leader registers work orders",
        )
        .into());
    }
    let req: CreateOrder = parse_json(&body)?;
    let key = match headers.get("idempotency-key") {
        None => None,
        Some(v) => {
            let k = v.to_str().unwrap_or("").trim().to_owned();
            if k.is_empty() || k.chars().count() > MAX_KEY_CHARS {
                return Err(ApiError::invalid(
                    "Idempotency-Key",
                    format!("1 to {MAX_KEY_CHARS} visible characters"),
                )
                .into());
            }
            Some(k)
        }
    };
    let pid = auth.platform_id();
    let title = text_field("title", &req.title, MAX_TITLE_CHARS, true)?;
    let content = text_field("content", &req.content, MAX_CONTENT_CHARS, true)?;
    let caller_name = text_field("caller_name", &req.caller_name, MAX_NAME_CHARS, false)?;
    let phone = Phone::parse(&req.caller_phone)
        .map_err(|e| ApiError::invalid("caller_phone", e.to_string()))?;
    let category_code = match &req.category_code {
        None => None,
        Some(c) => {
            let code = MatterCategoryCode::parse(c)
                .map_err(|e| ApiError::invalid("category_code", e.to_string()))?;
            match state
                .reference
                .category(state.store.as_ref(), pid, code.as_str())
                .await?
            {
                Some(cat) if cat.active => Some(cat.code),
                _ => {
                    return Err(ApiError::invalid(
                        "category_code",
                        format!("{code} is not a matter category of this sub-platform"),
                    )
                    .into());
                }
            }
        }
    };
    let town = optional_text("town", req.town.as_deref(), 32)?;
    if let Some(t) = &town
        && !state
            .reference
            .has_town(state.store.as_ref(), pid, t)
            .await?
    {
        return Err(ApiError::invalid("town", format!("{t} is not a town of this county")).into());
    }
    let address = optional_text("address", req.address.as_deref(), MAX_ADDRESS_CHARS)?;
    let call_id = optional_text("call_id", req.call_id.as_deref(), 64)?;
    match (req.lat, req.lng) {
        (Some(lat), _) if !(-90.0..=90.0).contains(&lat) => {
            return Err(ApiError::invalid("lat", "between -90 and 90").into());
        }
        (_, Some(lng)) if !(-180.0..=180.0).contains(&lng) => {
            return Err(ApiError::invalid("lng", "between -180 and 180").into());
        }
        (Some(_), None) => return Err(ApiError::invalid("lng", "give lat and lng together").into()),
        (None, Some(_)) => return Err(ApiError::invalid("lat", "give lat and lng together").into()),
        _ => {}
    }
    let now = state.clock.now();
    let placeholder =
        OrderNumber::new("X", now.date_naive(), 1).map_err(|_| ApiError::internal())?;
    let registered = register(placeholder, req.kind, req.urgent, &actor, now).map_err(|e| {
        OrderError::Transition {
            error: e,
            current_state: OrderState::Registered,
            allowed_actions: vec![],
        }
    })?;
    let new = NewOrder {
        snapshot: registered.order,
        confidential: req.confidential,
        leader_flagged: req.leader_flagged,
        source: req.source.unwrap_or(Source::PhoneCall),
        category_code,
        title,
        content,
        caller_name,
        caller_phone: phone.digits().to_owned(),
        town,
        address,
        lat: req.lat,
        lng: req.lng,
        call_id,
        idempotency_key: key,
    };
    let (order, created) = state
        .store
        .create_order(pid, &new, &auth.actor(), now)
        .await?;
    let view = order_view(
        &order,
        Viewer {
            user: &auth.user,
            actor: &actor,
            in_list: false,
        },
        now,
    );
    let status = if created {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    };
    Ok((status, Json(view)))
}

/// One work order.
#[utoipa::path(get, path = "/api/v1/orders/{id}", tag = "orders", security(("bearer" = [])),
    params(("id" = i64, Path)),
    responses((status = 200, body = OrderView), (status = 404, body = ErrorBody)))]
pub async fn get_order(
    State(state): State<AppState>,
    auth: Authed<perm::ViewPlatform>,
    ApiPath(id): ApiPath<i64>,
) -> OrderResult<Json<OrderView>> {
    let actor = order_actor(&state, &auth.user).await?;
    let o = load_visible(&state, &auth.user, &actor, id).await?;
    let v = Viewer {
        user: &auth.user,
        actor: &actor,
        in_list: false,
    };
    Ok(Json(order_view(&o, v, state.clock.now())))
}

/// The history of one work order (its events, oldest first), for everyone who may see the
/// order: a department handler sees the history of the orders of their department, not the
/// rest of the audit trail. The payloads hold no caller identity.
#[utoipa::path(get, path = "/api/v1/orders/{id}/history", tag = "orders",
    security(("bearer" = [])), params(("id" = i64, Path)),
    responses((status = 200, body = [super::events::EventView]), (status = 404, body = ErrorBody)))]
pub async fn order_history(
    State(state): State<AppState>,
    auth: Authed<perm::ViewPlatform>,
    ApiPath(id): ApiPath<i64>,
) -> OrderResult<Json<Vec<super::events::EventView>>> {
    let actor = order_actor(&state, &auth.user).await?;
    let o = load_visible(&state, &auth.user, &actor, id).await?;
    let mut history = Vec::new();
    let mut after = None;
    // Every event of the order, a page at a time (an order has tens, not thousands).
    loop {
        let page = state
            .store
            .events(
                auth.platform_id(),
                &AggregateRef::new("order", o.id),
                after,
                1000,
            )
            .await?;
        let full = page.len() == 1000;
        after = page.last().map(|e| e.id);
        history.extend(page.into_iter().map(super::events::EventView::from));
        if !full {
            break;
        }
    }
    Ok(Json(history))
}

/// One work order by its number (e.g. `BS202611270001`).
#[utoipa::path(get, path = "/api/v1/orders/by-number/{number}", tag = "orders",
    security(("bearer" = [])), params(("number" = String, Path)),
    responses((status = 200, body = OrderView), (status = 404, body = ErrorBody)))]
pub async fn get_order_by_number(
    State(state): State<AppState>,
    auth: Authed<perm::ViewPlatform>,
    ApiPath(number): ApiPath<String>,
) -> OrderResult<Json<OrderView>> {
    let actor = order_actor(&state, &auth.user).await?;
    let Ok(number) = OrderNumber::parse(&number) else {
        return Err(ApiError::not_found("order").into());
    };
    let o = match state
        .store
        .order_by_number(auth.platform_id(), number.as_str())
        .await?
    {
        Some(o) if visible(&o, &auth.user, &actor) => o,
        _ => return Err(ApiError::not_found("order").into()),
    };
    let v = Viewer {
        user: &auth.user,
        actor: &actor,
        in_list: false,
    };
    Ok(Json(order_view(&o, v, state.clock.now())))
}

#[derive(Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct ListQuery {
    state: Option<String>,
    kind: Option<String>,
    department_id: Option<i64>,
    overdue: Option<bool>,
    due_before: Option<DateTime<Utc>>,
    /// Text in the title or the content.
    q: Option<String>,
    caller_phone: Option<String>,
    created_from: Option<DateTime<Utc>>,
    created_to: Option<DateTime<Utc>>,
    /// Cursor: `next_cursor` of the previous page.
    cursor: Option<i64>,
    /// 1 to 200, default 50.
    limit: Option<i64>,
}

#[derive(Serialize, ToSchema)]
pub struct OrderPage {
    orders: Vec<OrderView>,
    /// Pass as `cursor` for the next page; null on the last page.
    next_cursor: Option<i64>,
}

/// A page of a list ordered by a deadline (a department's inbox, the callback list).
#[derive(Serialize, ToSchema)]
pub struct DeadlinePage {
    orders: Vec<OrderView>,
    /// Pass as `cursor` for the next page (the last order's deadline and id, e.g.
    /// `2026-11-30T10:00:00Z,123`); null on the last page.
    next_cursor: Option<String>,
}

fn deadline_page(
    orders: &[WorkOrder],
    v: Viewer<'_>,
    now: DateTime<Utc>,
    limit: i64,
    due: impl Fn(&WorkOrder) -> Option<DateTime<Utc>>,
) -> DeadlinePage {
    let next_cursor = orders
        .last()
        .filter(|_| orders.len() as i64 >= limit)
        .and_then(|o| {
            let at = due(o)?.to_rfc3339_opts(chrono::SecondsFormat::AutoSi, true);
            Some(format!("{at},{}", o.id))
        });
    DeadlinePage {
        orders: orders.iter().map(|o| order_view(o, v, now)).collect(),
        next_cursor,
    }
}

fn parse_deadline_cursor(cursor: Option<&str>) -> Result<Option<DeadlineCursor>, ApiError> {
    let Some(text) = cursor else {
        return Ok(None);
    };
    let bad = || ApiError::invalid("cursor", "pass the next_cursor of the page before");
    let (at, id) = text.rsplit_once(',').ok_or_else(bad)?;
    let due_at = DateTime::parse_from_rfc3339(at).map_err(|_| bad())?;
    Ok(Some(DeadlineCursor {
        due_at: due_at.with_timezone(&Utc),
        id: id.parse().map_err(|_| bad())?,
    }))
}

fn parse_state(field: &str, s: &str) -> Result<OrderState, ApiError> {
    OrderState::from_code(s).ok_or_else(|| ApiError::invalid(field, format!("unknown state {s}")))
}

fn page(orders: &[WorkOrder], v: Viewer<'_>, now: DateTime<Utc>, limit: i64) -> OrderPage {
    let next_cursor = (orders.len() as i64 >= limit)
        .then(|| orders.last().map(|o| o.id))
        .flatten();
    OrderPage {
        orders: orders.iter().map(|o| order_view(o, v, now)).collect(),
        next_cursor,
    }
}

/// Work orders of the caller's sub-platform, newest first, with filters and a cursor.
/// A department handler sees only its department's orders.
#[utoipa::path(get, path = "/api/v1/orders", tag = "orders", security(("bearer" = [])),
    params(ListQuery),
    responses((status = 200, body = OrderPage), (status = 422, body = ErrorBody)))]
pub async fn list_orders(
    State(state): State<AppState>,
    auth: Authed<perm::ViewPlatform>,
    ApiQuery(q): ApiQuery<ListQuery>,
) -> OrderResult<Json<OrderPage>> {
    let actor = order_actor(&state, &auth.user).await?;
    let limit = q.limit.unwrap_or(50);
    if !(1..=200).contains(&limit) {
        return Err(ApiError::invalid("limit", "1 to 200").into());
    }
    let mut filter = OrderFilter {
        state: q
            .state
            .as_deref()
            .map(|s| parse_state("state", s))
            .transpose()?,
        kind: q
            .kind
            .as_deref()
            .map(|k| {
                RequestKind::from_code(k)
                    .ok_or_else(|| ApiError::invalid("kind", format!("unknown kind {k}")))
            })
            .transpose()?,
        department_id: q.department_id,
        overdue: q.overdue,
        due_before: q.due_before,
        text: optional_text("q", q.q.as_deref(), 100)?,
        caller_phone: q
            .caller_phone
            .as_deref()
            .map(|p| {
                Phone::parse(p)
                    .map(|p| p.digits().to_owned())
                    .map_err(|e| ApiError::invalid("caller_phone", e.to_string()))
            })
            .transpose()?,
        created_from: q.created_from,
        created_to: q.created_to,
        before_id: q.cursor,
    };
    if auth.user.role == Role::DepartmentHandler {
        if filter.department_id.is_some() && filter.department_id != auth.user.department_id {
            return Err(ApiError::new(
                StatusCode::FORBIDDEN,
                "forbidden",
                "a department handler sees only its own department's orders",
            )
            .into());
        }
        filter.department_id = Some(auth.user.department_id.unwrap_or(-1));
        filter.caller_phone = None;
    }
    let now = state.clock.now();
    let orders = state
        .store
        .list_orders(auth.platform_id(), &filter, now, limit)
        .await?;
    let v = Viewer {
        user: &auth.user,
        actor: &actor,
        in_list: true,
    };
    Ok(Json(page(&orders, v, now, limit)))
}

#[derive(Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct InboxQuery {
    /// One state of the inbox; default all the states the department owes something in.
    state: Option<String>,
    /// The `next_cursor` of the page before.
    cursor: Option<String>,
    limit: Option<i64>,
}

/// A department's inbox (its open orders, the nearest handling deadline first). A
/// department handler may open only its own department's.
#[utoipa::path(get, path = "/api/v1/departments/{id}/inbox", tag = "orders",
    security(("bearer" = [])), params(("id" = i64, Path), InboxQuery),
    responses((status = 200, body = OrderPage), (status = 403, body = ErrorBody),
              (status = 404, body = ErrorBody)))]
pub async fn department_inbox(
    State(state): State<AppState>,
    auth: Authed<perm::ViewPlatform>,
    ApiPath(id): ApiPath<i64>,
    ApiQuery(q): ApiQuery<InboxQuery>,
) -> OrderResult<Json<DeadlinePage>> {
    let pid = auth.platform_id();
    if state
        .reference
        .department(state.store.as_ref(), pid, id)
        .await?
        .is_none()
    {
        return Err(ApiError::not_found("department").into());
    }
    if auth.user.role == Role::DepartmentHandler && auth.user.department_id != Some(id) {
        return Err(ApiError::new(
            StatusCode::FORBIDDEN,
            "forbidden",
            "a department handler sees only its own department's inbox",
        )
        .into());
    }
    let limit = q.limit.unwrap_or(100);
    if !(1..=200).contains(&limit) {
        return Err(ApiError::invalid("limit", "1 to 200").into());
    }
    let st = q
        .state
        .as_deref()
        .map(|s| parse_state("state", s))
        .transpose()?;
    let after = parse_deadline_cursor(q.cursor.as_deref())?;
    let actor = order_actor(&state, &auth.user).await?;
    let orders = state
        .store
        .department_inbox(pid, id, st, after, limit)
        .await?;
    let v = Viewer {
        user: &auth.user,
        actor: &actor,
        in_list: true,
    };
    let now = state.clock.now();
    Ok(Json(deadline_page(&orders, v, now, limit, |o| {
        o.handle_due_at
    })))
}

#[derive(Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct CallbackQuery {
    /// The `next_cursor` of the page before.
    cursor: Option<String>,
    limit: Option<i64>,
}

/// Orders waiting for their callback (待回访), the oldest deadline first.
#[utoipa::path(get, path = "/api/v1/callbacks", tag = "orders", security(("bearer" = [])),
    params(CallbackQuery),
    responses((status = 200, body = DeadlinePage), (status = 403, body = ErrorBody)))]
pub async fn callback_list(
    State(state): State<AppState>,
    auth: Authed<perm::ViewPlatform>,
    ApiQuery(q): ApiQuery<CallbackQuery>,
) -> OrderResult<Json<DeadlinePage>> {
    if auth.user.role == Role::DepartmentHandler {
        return Err(ApiError::new(
            StatusCode::FORBIDDEN,
            "forbidden",
            "the callback list is the platform's, not a department's",
        )
        .into());
    }
    let limit = q.limit.unwrap_or(100);
    if !(1..=200).contains(&limit) {
        return Err(ApiError::invalid("limit", "1 to 200").into());
    }
    let after = parse_deadline_cursor(q.cursor.as_deref())?;
    let actor = order_actor(&state, &auth.user).await?;
    let orders = state
        .store
        .callback_list(auth.platform_id(), after, limit)
        .await?;
    let v = Viewer {
        user: &auth.user,
        actor: &actor,
        in_list: true,
    };
    let now = state.clock.now();
    Ok(Json(deadline_page(&orders, v, now, limit, |o| {
        o.callback_due_at
    })))
}

#[derive(Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct PublicQuery {
    /// The last 4 digits of the phone number the request was made from.
    phone_last4: String,
}

#[derive(Serialize, ToSchema)]
pub struct PublicOrderView {
    number: String,
    state: String,
    state_label: String,
    /// The reply, once the platform approved it.
    public_reply: Option<String>,
}

/// Failed citizen lookups per order number, to keep guessing the 4 digits slow.
fn lookup_throttle() -> &'static Mutex<HashMap<String, Vec<Instant>>> {
    static T: OnceLock<Mutex<HashMap<String, Vec<Instant>>>> = OnceLock::new();
    T.get_or_init(Mutex::default)
}
const LOOKUP_WINDOW: Duration = Duration::from_secs(15 * 60);
const LOOKUP_MAX_FAILURES: usize = 10;

/// A citizen's lookup (no sign-in): the order number and the last 4 digits of the phone.
/// Only the state and the approved reply; 10 wrong guesses per number in 15 minutes → 429.
#[utoipa::path(get, path = "/api/v1/public/orders/{number}", tag = "orders",
    params(("number" = String, Path), PublicQuery),
    responses((status = 200, body = PublicOrderView), (status = 404, body = ErrorBody),
              (status = 422, body = ErrorBody), (status = 429, body = ErrorBody)))]
pub async fn public_lookup(
    State(state): State<AppState>,
    ApiPath(number): ApiPath<String>,
    ApiQuery(q): ApiQuery<PublicQuery>,
) -> OrderResult<Json<PublicOrderView>> {
    if q.phone_last4.len() != 4 || !q.phone_last4.bytes().all(|b| b.is_ascii_digit()) {
        return Err(ApiError::invalid("phone_last4", "exactly 4 digits").into());
    }
    let key = number.to_ascii_uppercase();
    let now = Instant::now();
    {
        let mut map = lookup_throttle().lock().unwrap_or_else(|p| p.into_inner());
        if map.len() > 100_000 {
            map.retain(|_, t| {
                t.last()
                    .is_some_and(|l| now.duration_since(*l) < LOOKUP_WINDOW)
            });
        }
        let times = map.entry(key.clone()).or_default();
        times.retain(|t| now.duration_since(*t) < LOOKUP_WINDOW);
        if times.len() >= LOOKUP_MAX_FAILURES {
            return Err(ApiError {
                retry_after_secs: Some(LOOKUP_WINDOW.as_secs()),
                ..ApiError::new(
                    StatusCode::TOO_MANY_REQUESTS,
                    "too_many_attempts",
                    "too many wrong lookups of this order; try again later",
                )
            }
            .into());
        }
    }
    match state
        .store
        .public_order_status(&number, &q.phone_last4)
        .await?
    {
        Some(s) => Ok(Json(PublicOrderView {
            number: s.number,
            state: s.state.code().into(),
            state_label: s.state.label_zh().into(),
            public_reply: s.public_reply,
        })),
        None => {
            let mut map = lookup_throttle().lock().unwrap_or_else(|p| p.into_inner());
            map.entry(key).or_default().push(now);
            Err(ApiError::not_found("order").into())
        }
    }
}

/// The outcome of an action.
#[derive(Serialize, ToSchema)]
pub struct TransitionView {
    /// The event logged, e.g. `order.signed`.
    event_type: String,
    from: Option<String>,
    to: String,
    order: OrderView,
}

/// Resolves department ids in a dispatch body to the codes the lifecycle uses.
async fn department_codes(
    state: &AppState,
    pid: i64,
    body: &mut serde_json::Map<String, Value>,
) -> OrderResult<i64> {
    let lead_id = match body.remove("lead_department_id") {
        Some(Value::Number(n)) if n.as_i64().is_some() => n.as_i64().unwrap_or_default(),
        Some(_) => {
            return Err(ApiError::invalid("lead_department_id", "must be a department id").into());
        }
        None => {
            return Err(ApiError::invalid("lead_department_id", "missing").into());
        }
    };
    let code_of = |id: i64, field: &'static str| async move {
        match state
            .reference
            .department(state.store.as_ref(), pid, id)
            .await?
        {
            Some(d) if d.active => Ok::<String, OrderError>(d.code),
            _ => Err(ApiError::invalid(
                field,
                format!("{id} is not an active department of this sub-platform"),
            )
            .into()),
        }
    };
    let lead = code_of(lead_id, "lead_department_id").await?;
    let mut assisting = Vec::new();
    match body.remove("assisting_department_ids") {
        None | Some(Value::Null) => {}
        Some(Value::Array(ids)) => {
            for v in ids {
                let Some(id) = v.as_i64() else {
                    return Err(ApiError::invalid(
                        "assisting_department_ids",
                        "must be department ids",
                    )
                    .into());
                };
                assisting.push(Value::String(
                    code_of(id, "assisting_department_ids").await?,
                ));
            }
        }
        Some(_) => {
            return Err(
                ApiError::invalid("assisting_department_ids", "must be a list of ids").into(),
            );
        }
    }
    body.insert("lead_department".into(), Value::String(lead));
    body.insert("assisting_departments".into(), Value::Array(assisting));
    Ok(lead_id)
}

fn action_reason(action: &Action) -> Option<&str> {
    match action {
        Action::Redispatch { reason, .. }
        | Action::RejectReply { reason }
        | Action::Reopen { reason }
        | Action::RequestReturn { reason }
        | Action::RefuseReturn { reason }
        | Action::RequestExtension { reason, .. }
        | Action::RefuseExtension { reason }
        | Action::Invalidate { reason, .. }
        | Action::Supervise { reason, .. } => Some(reason),
        Action::Remind { note } if !note.is_empty() => Some(note),
        _ => None,
    }
}

/// When the timer loop should look at this order next: now if something is due already.
pub fn next_timer_at(
    snapshot: &rexian_orders::OrderSnapshot,
    now: DateTime<Utc>,
) -> Option<DateTime<Utc>> {
    let check = timers::check(snapshot, now);
    if check.events.is_empty() {
        check.next_due_at
    } else {
        Some(now)
    }
}

/// What a lifecycle transition on a stored order writes: the new snapshot with its columns
/// and the one event, exactly as the action endpoints write them. `rexian demo` uses it too,
/// so simulated orders carry the same records as real ones.
pub fn transition_record(
    order: &WorkOrder,
    action: &Action,
    t: rexian_orders::Transition,
    actor: rexian_domain::Actor,
    mut lead_department_id: Option<i64>,
    now: DateTime<Utc>,
) -> (OrderUpdate, NewEvent) {
    if t.order.lead_department.is_none() {
        lead_department_id = None;
    }
    let (reply_content, publish_reply) = match action {
        Action::Reply { content } => (Some(content.trim().to_owned()), false),
        Action::ResolveDirectly { answer } => (Some(answer.trim().to_owned()), true),
        Action::ApproveReply => (None, true),
        _ => (None, false),
    };
    let next = next_timer_at(&t.order, now);
    let event = NewEvent {
        aggregate: AggregateRef::new("order", order.id),
        event_type: t.event_type.to_owned(),
        actor,
        occurred_at: now,
        payload: json!({
            "number": order.number,
            "action": action,
            "from": t.from,
            "to": t.to,
            "changes": t.changes,
            "timeliness": t.timeliness,
        }),
        reason: action_reason(action).map(str::to_owned),
    };
    let update = OrderUpdate {
        snapshot: t.order,
        lead_department_id,
        reply_content,
        publish_reply,
        next_timer_at: next,
    };
    (update, event)
}

/// Runs one lifecycle action on an order: the shared body of every transition endpoint.
async fn transition(
    state: AppState,
    auth: Authed<perm::ViewPlatform>,
    id: i64,
    kind: ActionKind,
    body: Bytes,
) -> OrderResult<Json<TransitionView>> {
    // First on this process's copy of the order (no database read). The copy is stale if
    // another process changed the order since: then the version-checked write refuses it, or
    // the checks refuse on its old state or department. Either way nothing was written, and
    // the stored order decides: the action runs once more on it (a conflict then is a real
    // race, answered 409).
    if let Ok(Some(done)) = transition_on(&state, &auth, id, kind, &body, false).await {
        return Ok(done);
    }
    transition_on(&state, &auth, id, kind, &body, true)
        .await?
        .ok_or_else(|| {
            ApiError::conflict("the order changed meanwhile; reload it and try again").into()
        })
}

/// One attempt of [`transition`]: `None` if the copy of the order was stale (only when not
/// `stored`).
async fn transition_on(
    state: &AppState,
    auth: &Authed<perm::ViewPlatform>,
    id: i64,
    kind: ActionKind,
    body: &Bytes,
    stored: bool,
) -> OrderResult<Option<Json<TransitionView>>> {
    let pid = auth.platform_id();
    let actor = order_actor(state, &auth.user).await?;
    let found = if stored {
        state.store.order(pid, id).await?
    } else {
        state.store.order_for_change(pid, id).await?
    };
    let order = visible_or_not_found(found, &auth.user, &actor)?;
    // Role, then state, before the body is read: the same order of checks as `apply`.
    let refused = |error| OrderError::Transition {
        error,
        current_state: order.state,
        allowed_actions: allowed_actions_on(&order.snapshot, &actor),
    };
    if !kind.may_be_done_by(&actor) {
        let detail = match actor.role() {
            Some(r) => format!("{} ({}) may not do this", r.label_en(), r.label_zh()),
            None => "the system may not do this".into(),
        };
        return Err(refused(TransitionError::Forbidden {
            action: kind,
            needed_roles: kind.roles().to_vec(),
            detail,
        }));
    }
    if !kind.is_legal_in(order.state) {
        return Err(refused(TransitionError::IllegalTransition {
            current_state: order.state,
            action: kind,
            allowed_actions: allowed_actions_on(&order.snapshot, &actor),
        }));
    }

    let mut fields = if body.iter().all(u8::is_ascii_whitespace) {
        serde_json::Map::new()
    } else {
        match parse_json::<Value>(body)? {
            Value::Object(m) => m,
            _ => {
                return Err(ApiError::new(
                    StatusCode::BAD_REQUEST,
                    "invalid_json",
                    "the body must be a JSON object",
                )
                .into());
            }
        }
    };
    let mut lead_department_id = order.lead_department_id;
    if matches!(kind, ActionKind::Dispatch | ActionKind::Redispatch) {
        lead_department_id = Some(department_codes(state, pid, &mut fields).await?);
    }
    fields.insert("action".into(), Value::String(kind.code().into()));
    let action: Action =
        parse_json(&serde_json::to_vec(&Value::Object(fields)).unwrap_or_default())?;
    if let Action::Merge { into } = &action
        && state
            .store
            .order_by_number(pid, into.as_str())
            .await?
            .is_none()
    {
        return Err(
            ApiError::invalid("into", format!("no order {into} on this sub-platform")).into(),
        );
    }

    let now = state.clock.now();
    let calendar = super::calendar::calendar_for(state, pid).await?;
    let t = rexian_orders::apply(
        &order.snapshot,
        &action,
        &actor,
        now,
        &calendar,
        time_limits(),
    )
    .map_err(refused)?;
    let event_type = t.event_type;
    let (from, to) = (t.from, t.to);
    let (update, event) =
        transition_record(&order, &action, t, auth.actor(), lead_department_id, now);
    let next = update.next_timer_at;
    let saved = match state
        .store
        .update_order(&order, &update, &[event], now)
        .await
    {
        Ok(saved) => saved,
        Err(StoreError::Conflict(_)) if !stored => return Ok(None),
        Err(e) => return Err(e.into()),
    };
    if next.is_some_and(|n| n <= now) {
        crate::order_timers::wake();
    }
    let v = Viewer {
        user: &auth.user,
        actor: &actor,
        in_list: false,
    };
    Ok(Some(Json(TransitionView {
        event_type: event_type.to_owned(),
        from: from.map(|s| s.code().to_owned()),
        to: to.code().to_owned(),
        order: order_view(&saved, v, now),
    })))
}

/// One thin handler per lifecycle action, each in the OpenAPI document.
macro_rules! transition_endpoints {
    ($($name:ident => $kind:ident, $path:tt, $doc:literal;)+) => {$(
        #[doc = $doc]
        #[utoipa::path(post, path = $path, tag = "order actions", security(("bearer" = [])),
            params(("id" = i64, Path)),
            request_body(content = Object, description = "the action's fields, if any"),
            responses((status = 200, body = TransitionView),
                      (status = 403, body = TransitionErrorBody),
                      (status = 404, body = ErrorBody),
                      (status = 409, body = TransitionErrorBody),
                      (status = 422, body = TransitionErrorBody)))]
        pub async fn $name(
            State(state): State<AppState>,
            auth: Authed<perm::ViewPlatform>,
            ApiPath(id): ApiPath<i64>,
            body: Bytes,
        ) -> OrderResult<Json<TransitionView>> {
            transition(state, auth, id, ActionKind::$kind, body).await
        }
    )+};
}

transition_endpoints! {
    resolve_directly => ResolveDirectly, "/api/v1/orders/{id}/resolve",
        "直接办结 (agent): `{\"answer\": \"…\"}`.";
    submit_for_dispatch => SubmitForDispatch, "/api/v1/orders/{id}/submit",
        "提交派单 (agent): no body.";
    dispatch => Dispatch, "/api/v1/orders/{id}/dispatch",
        "派单 (shift leader): `{\"lead_department_id\": 3, \"assisting_department_ids\": []}`.";
    redispatch => Redispatch, "/api/v1/orders/{id}/redispatch",
        "改派 (shift leader): `{\"lead_department_id\": 4, \"reason\": \"…\"}`.";
    sign => Sign, "/api/v1/orders/{id}/sign", "签收 (the lead department): no body.";
    start => Start, "/api/v1/orders/{id}/start", "开始办理 (the lead department): no body.";
    reply => Reply, "/api/v1/orders/{id}/reply",
        "答复 (the lead department): `{\"content\": \"…\"}`.";
    approve_reply => ApproveReply, "/api/v1/orders/{id}/approve-reply",
        "审核通过 (shift leader): no body.";
    reject_reply => RejectReply, "/api/v1/orders/{id}/reject-reply",
        "审核退回 (shift leader): `{\"reason\": \"…\"}`.";
    callback => Callback, "/api/v1/orders/{id}/callback",
        "回访 (agent): `{\"outcome\": {\"status\": \"reached\", \"resolved\": true, \"satisfaction\": \"satisfied\"}}` or `{\"outcome\": {\"status\": \"unreachable\", \"attempts\": 3}}`.";
    close => Close, "/api/v1/orders/{id}/close", "办结归档 (agent or shift leader): no body.";
    reopen => Reopen, "/api/v1/orders/{id}/reopen", "重办 (shift leader): `{\"reason\": \"…\"}`.";
    request_return => RequestReturn, "/api/v1/orders/{id}/return",
        "申请退单 (the lead department, within the return window): `{\"reason\": \"…\"}`.";
    approve_return => ApproveReturn, "/api/v1/orders/{id}/approve-return",
        "同意退单 (shift leader): no body.";
    refuse_return => RefuseReturn, "/api/v1/orders/{id}/refuse-return",
        "驳回退单 (shift leader): `{\"reason\": \"…\"}`.";
    request_extension => RequestExtension, "/api/v1/orders/{id}/extension",
        "申请延期 (the lead department, before the deadline): `{\"working_days\": 5, \"reason\": \"…\"}`.";
    approve_extension => ApproveExtension, "/api/v1/orders/{id}/approve-extension",
        "同意延期 (shift leader): optional `{\"working_days\": 3}` to grant fewer days.";
    refuse_extension => RefuseExtension, "/api/v1/orders/{id}/refuse-extension",
        "驳回延期 (shift leader): `{\"reason\": \"…\"}`.";
    merge => Merge, "/api/v1/orders/{id}/merge",
        "并单 (shift leader): `{\"into\": \"BS202611270001\"}`.";
    invalidate => Invalidate, "/api/v1/orders/{id}/invalidate",
        "无效 (shift leader): `{\"category\": \"harassment\", \"reason\": \"…\"}`.";
    transfer_to_emergency => TransferToEmergency, "/api/v1/orders/{id}/transfer",
        "转应急联动 (agent or shift leader): `{\"service\": \"110\"}`.";
    remind => Remind, "/api/v1/orders/{id}/remind",
        "催办 (shift leader, county office): optional `{\"note\": \"…\"}`.";
    supervise => Supervise, "/api/v1/orders/{id}/supervise",
        "督办 (shift leader, county office): `{\"level\": \"supervision\", \"reason\": \"…\"}`.";
}

#[derive(Serialize, ToSchema)]
pub struct MatterCategoryView {
    code: String,
    name: String,
    parent_code: Option<String>,
    active: bool,
}

/// The matter taxonomy (事项分类) of the caller's sub-platform, by code.
#[utoipa::path(get, path = "/api/v1/matter-categories", tag = "orders",
    security(("bearer" = [])), responses((status = 200, body = [MatterCategoryView])))]
pub async fn matter_categories(
    State(state): State<AppState>,
    auth: Authed<perm::ViewPlatform>,
) -> OrderResult<Json<Vec<MatterCategoryView>>> {
    let list = state
        .store
        .list_matter_categories(auth.platform_id())
        .await?;
    Ok(Json(
        list.into_iter()
            .map(|c| MatterCategoryView {
                code: c.code,
                name: c.name,
                parent_code: c.parent_code,
                active: c.active,
            })
            .collect(),
    ))
}
