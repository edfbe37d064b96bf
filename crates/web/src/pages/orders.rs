//! Work-order pages: the list with registration (`/orders`), one order with its actions
//! (`/orders/{id}`), a department's inbox (`/inbox`) and the callback list (`/callbacks`).
//!
//! The server renders each page's frame, its forms and the reference data (labels, kinds,
//! departments, towns, matter categories); `assets/orders.js` fills in the orders from the
//! JSON API with the session cookie and posts the actions to it. Pages only show: who may see
//! and do what is decided by the API, and a page is refused (403) only where the API refuses
//! the data it shows.

use askama::Template;
use axum::Router;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Path, Query, State};
use axum::http::{StatusCode, header, request::Parts};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::get;
use rand::RngCore;
use rexian_domain::Role;
use rexian_orders::{
    ActionKind, DeadlineKind, EmergencyService, InvalidCategory, OrderState, RequestKind,
    Satisfaction, Source, SupervisionLevel,
};
use rexian_store::User;
use serde::Deserialize;
use serde_json::{Map, Value, json};

use super::render;
use crate::AppState;
use crate::api::orders::{load_visible, order_actor};
use crate::extract::session_user;

/// The header every work-order page shows.
pub(super) struct Nav {
    platform_name: String,
    display_name: String,
    role_zh: &'static str,
    role_en: &'static str,
    links: Vec<(&'static str, &'static str, &'static str)>,
}

#[derive(Template)]
#[template(path = "orders.html")]
struct OrdersPage {
    nav: Nav,
    data: String,
    can_register: bool,
    idempotency_key: String,
    kinds: Vec<(&'static str, &'static str, &'static str)>,
    states: Vec<(&'static str, &'static str, &'static str)>,
    sources: Vec<(&'static str, &'static str, &'static str)>,
    categories: Vec<(String, String)>,
    towns: Vec<(String, String)>,
    filter: ListFilter,
}

#[derive(Template)]
#[template(path = "order.html")]
struct OrderPage {
    nav: Nav,
    data: String,
    id: i64,
}

#[derive(Template)]
#[template(path = "inbox.html")]
struct InboxPage {
    nav: Nav,
    data: String,
    /// The department shown, with its name.
    department_id: i64,
    department_name: String,
    /// Other departments to choose from (roles other than department handler).
    choices: Vec<(i64, String)>,
}

#[derive(Template)]
#[template(path = "callbacks.html")]
struct CallbacksPage {
    nav: Nav,
    data: String,
}

#[derive(Template)]
#[template(path = "forbidden.html")]
struct ForbiddenPage {
    nav: Nav,
    message_zh: &'static str,
    message_en: &'static str,
}

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/orders", get(orders_page))
        .route("/orders/{id}", get(order_page))
        .route("/inbox", get(inbox_page))
        .route("/callbacks", get(callbacks_page))
        .route("/assets/orders.js", get(script))
}

/// The signed-in user and the page header, or the response that ends the request: a redirect
/// to the sign-in page when nobody is signed in.
async fn signed_in(state: &AppState, parts: &Parts) -> Result<(User, Nav), Response> {
    let user = match session_user(parts, state).await {
        Ok(Some((user, _))) => user,
        Ok(None) => return Err(super::to_sign_in(parts)),
        Err(e) => return Err(e.into_response()),
    };
    let platform_name = match state.store.platform(user.platform_id).await {
        Ok(Some(p)) => p.name,
        _ => String::new(),
    };
    let mut links = vec![("工单", "Orders", "/orders")];
    if user.role == Role::DepartmentHandler {
        links.push(("本单位待办", "Inbox", "/inbox"));
    } else {
        links.push(("回访清单", "Callbacks", "/callbacks"));
    }
    let nav = Nav {
        platform_name,
        display_name: user.display_name.clone(),
        role_zh: user.role.label_zh(),
        role_en: user.role.label_en(),
        links,
    };
    Ok((user, nav))
}

fn forbidden(nav: Nav, message_zh: &'static str, message_en: &'static str) -> Response {
    let mut resp = render(ForbiddenPage {
        nav,
        message_zh,
        message_en,
    });
    if resp.status() == StatusCode::OK {
        *resp.status_mut() = StatusCode::FORBIDDEN;
    }
    resp
}

fn labels<T: Copy>(
    all: &[T],
    code: fn(T) -> &'static str,
    zh: fn(T) -> &'static str,
    en: fn(T) -> &'static str,
) -> Value {
    Value::Object(
        all.iter()
            .map(|&v| (code(v).to_owned(), json!([zh(v), en(v)])))
            .collect::<Map<_, _>>(),
    )
}

/// The reference data every order page's script reads: labels of every code the API sends,
/// the sub-platform's departments, matter categories and towns, and who is looking.
async fn page_data(state: &AppState, user: &User) -> Result<String, Response> {
    let pid = user.platform_id;
    let failed = |e: rexian_store::StoreError| crate::error::ApiError::from(e).into_response();
    let departments = state.store.list_departments(pid).await.map_err(failed)?;
    let categories = state
        .store
        .list_matter_categories(pid)
        .await
        .map_err(failed)?;
    let towns = state.store.list_towns(pid).await.map_err(failed)?;
    let mut events = Map::new();
    for a in ActionKind::ALL {
        events.insert(
            a.event_type().to_owned(),
            json!([a.label_zh(), a.label_en()]),
        );
    }
    for (t, zh, en) in [
        ("order.sign_reminder", "签收临期提醒", "Sign-by reminder"),
        (
            "order.handle_reminder",
            "办理临期提醒",
            "Handle-by reminder",
        ),
        (
            "order.callback_reminder",
            "回访临期提醒",
            "Callback reminder",
        ),
        ("order.sign_overdue", "签收超期", "Sign-by missed"),
        ("order.handle_overdue", "办理超期", "Handle-by missed"),
        ("order.callback_overdue", "回访超期", "Callback missed"),
        ("order.supervision_raised", "督办升级", "Supervision raised"),
    ] {
        events.insert(t.to_owned(), json!([zh, en]));
    }
    let data = json!({
        "user": {
            "role": user.role.code(),
            "department_id": user.department_id,
        },
        "labels": {
            "state": labels(OrderState::ALL, OrderState::code, OrderState::label_zh, OrderState::label_en),
            "kind": labels(RequestKind::ALL, RequestKind::code, RequestKind::label_zh, RequestKind::label_en),
            "source": labels(Source::ALL, Source::code, Source::label_zh, Source::label_en),
            "action": labels(ActionKind::ALL, ActionKind::code, ActionKind::label_zh, ActionKind::label_en),
            "supervision": labels(SupervisionLevel::ALL, SupervisionLevel::code, SupervisionLevel::label_zh, SupervisionLevel::label_en),
            "satisfaction": labels(Satisfaction::ALL, Satisfaction::code, Satisfaction::label_zh, Satisfaction::label_en),
            "service": labels(EmergencyService::ALL, EmergencyService::code, EmergencyService::label_zh, EmergencyService::label_en),
            "invalid": labels(InvalidCategory::ALL, InvalidCategory::code, InvalidCategory::label_zh, InvalidCategory::label_en),
            "deadline": labels(DeadlineKind::ALL, DeadlineKind::code, DeadlineKind::label_zh, DeadlineKind::label_en),
            "event": events,
        },
        "departments": departments.iter().map(|d| json!({
            "id": d.id, "code": d.code, "name": d.name, "active": d.active,
        })).collect::<Vec<_>>(),
        "categories": categories.iter().map(|c| json!({"code": c.code, "name": c.name})).collect::<Vec<_>>(),
        "towns": towns.iter().map(|t| json!({"code": t.code, "name": t.name})).collect::<Vec<_>>(),
    });
    // Inside <script type="application/json">: no "</script>" may appear.
    Ok(data.to_string().replace('<', "\\u003c"))
}

fn coded<T: Copy>(
    all: &[T],
    code: fn(T) -> &'static str,
    zh: fn(T) -> &'static str,
    en: fn(T) -> &'static str,
) -> Vec<(&'static str, &'static str, &'static str)> {
    all.iter().map(|&v| (code(v), zh(v), en(v))).collect()
}

/// The list's filters, as the page's own query string carries them (the script passes them
/// on to the API).
#[derive(Deserialize, Default)]
struct ListFilter {
    #[serde(default)]
    state: String,
    #[serde(default)]
    kind: String,
    #[serde(default)]
    overdue: String,
    #[serde(default)]
    q: String,
    #[serde(default)]
    from: String,
    #[serde(default)]
    to: String,
}

async fn orders_page(
    State(state): State<AppState>,
    filter: Result<Query<ListFilter>, QueryRejection>,
    parts: Parts,
) -> Response {
    let (user, nav) = match signed_in(&state, &parts).await {
        Ok(v) => v,
        Err(r) => return r,
    };
    let data = match page_data(&state, &user).await {
        Ok(d) => d,
        Err(r) => return r,
    };
    let can_register = ActionKind::Register.roles().contains(&user.role);
    let (categories, towns) = if can_register {
        let pid = user.platform_id;
        let cats = state
            .store
            .list_matter_categories(pid)
            .await
            .unwrap_or_default();
        let towns = state.store.list_towns(pid).await.unwrap_or_default();
        (
            cats.into_iter()
                .filter(|c| c.active)
                .map(|c| (c.code, c.name))
                .collect(),
            towns.into_iter().map(|t| (t.code, t.name)).collect(),
        )
    } else {
        (Vec::new(), Vec::new())
    };
    // One key per form shown: a second click, or a retry after a lost answer, returns the
    // order the first one created.
    let mut key = [0u8; 16];
    rand::rng().fill_bytes(&mut key);
    render(OrdersPage {
        nav,
        data,
        can_register,
        idempotency_key: key.iter().map(|b| format!("{b:02x}")).collect(),
        kinds: coded(
            RequestKind::ALL,
            RequestKind::code,
            RequestKind::label_zh,
            RequestKind::label_en,
        ),
        states: coded(
            OrderState::ALL,
            OrderState::code,
            OrderState::label_zh,
            OrderState::label_en,
        ),
        sources: coded(
            Source::ALL,
            Source::code,
            Source::label_zh,
            Source::label_en,
        ),
        categories,
        towns,
        filter: filter.map(|Query(f)| f).unwrap_or_default(),
    })
}

async fn order_page(
    State(state): State<AppState>,
    Path(id): Path<String>,
    parts: Parts,
) -> Response {
    let (user, nav) = match signed_in(&state, &parts).await {
        Ok(v) => v,
        Err(r) => return r,
    };
    let not_found = || {
        (
            StatusCode::NOT_FOUND,
            Html("<p>没有这个工单。 <span>No such work order.</span> <a href=\"/orders\">工单列表 Orders</a></p>"),
        )
            .into_response()
    };
    let Ok(id) = id.parse::<i64>() else {
        return not_found();
    };
    // The same visibility as GET /api/v1/orders/{id}: a department sees only its orders.
    let visible = match order_actor(&state, &user).await {
        Ok(actor) => load_visible(&state, &user, &actor, id).await.is_ok(),
        Err(e) => return e.into_response(),
    };
    if !visible {
        return not_found();
    }
    let data = match page_data(&state, &user).await {
        Ok(d) => d,
        Err(r) => return r,
    };
    render(OrderPage { nav, data, id })
}

#[derive(Deserialize)]
struct InboxQuery {
    department: Option<i64>,
}

async fn inbox_page(
    State(state): State<AppState>,
    query: Result<Query<InboxQuery>, QueryRejection>,
    parts: Parts,
) -> Response {
    let (user, nav) = match signed_in(&state, &parts).await {
        Ok(v) => v,
        Err(r) => return r,
    };
    let departments = match state.store.list_departments(user.platform_id).await {
        Ok(d) => d,
        Err(e) => return crate::error::ApiError::from(e).into_response(),
    };
    // A department handler has its own department's inbox; other roles may open any (as the
    // API lets them), the first one unless they chose.
    let (department_id, choices) = if user.role == Role::DepartmentHandler {
        match user.department_id {
            Some(id) => (id, Vec::new()),
            None => {
                return forbidden(
                    nav,
                    "您的账号没有关联承办单位，无法查看待办工单。",
                    "Your account belongs to no department, so it has no inbox.",
                );
            }
        }
    } else {
        let chosen = query.ok().and_then(|Query(q)| q.department);
        let first = departments.iter().find(|d| d.active).map(|d| d.id);
        match chosen.or(first) {
            Some(id) => (
                id,
                departments
                    .iter()
                    .filter(|d| d.active)
                    .map(|d| (d.id, d.name.clone()))
                    .collect(),
            ),
            None => (0, Vec::new()),
        }
    };
    let department_name = departments
        .iter()
        .find(|d| d.id == department_id)
        .map(|d| d.name.clone())
        .unwrap_or_default();
    let data = match page_data(&state, &user).await {
        Ok(d) => d,
        Err(r) => return r,
    };
    render(InboxPage {
        nav,
        data,
        department_id,
        department_name,
        choices,
    })
}

async fn callbacks_page(State(state): State<AppState>, parts: Parts) -> Response {
    let (user, nav) = match signed_in(&state, &parts).await {
        Ok(v) => v,
        Err(r) => return r,
    };
    // As GET /api/v1/callbacks: the platform's list, not a department's.
    if user.role == Role::DepartmentHandler {
        return forbidden(
            nav,
            "回访清单属于平台，承办单位无权查看。",
            "The callback list is the platform's; departments may not see it.",
        );
    }
    let data = match page_data(&state, &user).await {
        Ok(d) => d,
        Err(r) => return r,
    };
    render(CallbacksPage { nav, data })
}

async fn script() -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/javascript; charset=utf-8"),
            (header::CACHE_CONTROL, "no-cache"),
        ],
        include_str!("../../assets/orders.js"),
    )
        .into_response()
}
