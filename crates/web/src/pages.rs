//! Server-rendered pages: sign-in, a home page per role, the wall board and the work-order
//! pages (`orders.rs`). Chinese first, English beside.

mod orders;

use askama::Template;
use axum::Router;
use axum::extract::{Form, Query, State};
use axum::http::{StatusCode, header, request::Parts};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use rexian_domain::Role;
use serde::Deserialize;

use crate::AppState;
use crate::auth::{session_cookie, sign_in};
use crate::extract::{ClientIp, session_user};

#[derive(Template)]
#[template(path = "login.html")]
struct LoginPage {
    error: Option<String>,
    username: String,
    /// Where to go after signing in (a path of this site), or empty for the home page.
    next: String,
}

#[derive(Template)]
#[template(path = "home.html")]
struct HomePage {
    platform_name: String,
    display_name: String,
    role_zh: &'static str,
    role_en: &'static str,
    intro_zh: &'static str,
    intro_en: &'static str,
    available: Vec<(&'static str, &'static str, Option<&'static str>)>,
    coming: Vec<(&'static str, &'static str)>,
}

#[derive(Template)]
#[template(path = "wallboard.html")]
struct WallBoardPage {
    platform_name: String,
}

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/", get(home))
        .route("/wallboard", get(wall_board))
        .route("/login", get(login_form).post(login_submit))
        .route("/logout", post(logout))
        .merge(orders::router())
}

fn render(t: impl Template) -> Response {
    match t.render() {
        Ok(html) => Html(html).into_response(),
        Err(e) => {
            tracing::error!(error = %e, "template failed");
            StatusCode::INTERNAL_SERVER_ERROR.into_response()
        }
    }
}

/// The page a signed-out request was for, so the sign-in page can return to it. Only a path
/// of this site: an absolute URL or `//host` would send the user elsewhere after signing in.
fn local_path(next: &str) -> Option<&str> {
    let safe = next.starts_with('/')
        && !next.starts_with("//")
        && next.len() <= 1000
        && !next.chars().any(|c| c == '\\' || c.is_control());
    safe.then_some(next)
}

/// The redirect of a signed-out request for a page: to the sign-in page, which returns to
/// the page afterwards.
pub(crate) fn to_sign_in(parts: &Parts) -> Response {
    let wanted = parts.uri.path_and_query().map_or("/", |p| p.as_str());
    match local_path(wanted).filter(|p| *p != "/") {
        Some(path) => {
            let next: String = form_urlencoded::byte_serialize(path.as_bytes()).collect();
            Redirect::to(&format!("/login?next={next}")).into_response()
        }
        None => Redirect::to("/login").into_response(),
    }
}

#[derive(Deserialize)]
struct LoginQuery {
    next: Option<String>,
}

async fn login_form(Query(q): Query<LoginQuery>) -> Response {
    render(LoginPage {
        error: None,
        username: String::new(),
        next: q
            .next
            .as_deref()
            .and_then(local_path)
            .unwrap_or_default()
            .to_owned(),
    })
}

#[derive(Deserialize)]
struct LoginForm {
    username: String,
    password: String,
    #[serde(default)]
    next: String,
}

async fn login_submit(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    Form(form): Form<LoginForm>,
) -> Response {
    match sign_in(&state, form.username.trim(), &form.password, ip).await {
        Ok(signed) => {
            let cookie = session_cookie(
                Some(&signed.token),
                state.settings.session_ttl.num_seconds(),
                state.settings.secure_cookies,
            );
            let to = local_path(&form.next).unwrap_or("/");
            ([(header::SET_COOKIE, cookie)], Redirect::to(to)).into_response()
        }
        Err(e) => {
            let mut resp = render(LoginPage {
                error: Some(e.message),
                username: form.username,
                next: local_path(&form.next).unwrap_or_default().to_owned(),
            });
            *resp.status_mut() = e.status;
            resp
        }
    }
}

async fn logout(State(state): State<AppState>, parts: Parts) -> Response {
    if let Ok(Some((_, hash))) = session_user(&parts, &state).await {
        state.sessions.forget(&hash);
        if let Err(e) = state.store.delete_session(&hash, state.clock.now()).await {
            tracing::error!(error = %e, "sign-out failed");
        }
    }
    let cookie = session_cookie(None, 0, state.settings.secure_cookies);
    ([(header::SET_COOKIE, cookie)], Redirect::to("/login")).into_response()
}

async fn home(State(state): State<AppState>, parts: Parts) -> Response {
    let user = match session_user(&parts, &state).await {
        Ok(Some((user, _))) => user,
        Ok(None) => return Redirect::to("/login").into_response(),
        Err(e) => return e.into_response(),
    };
    let platform_name = match state.store.platform(user.platform_id).await {
        Ok(Some(p)) => p.name,
        _ => String::new(),
    };
    let (intro_zh, intro_en, pages, coming) = role_home(user.role);
    let mut available = pages;
    available.push(("个人信息与退出", "Your account and sign-out", None));
    if user.role.can(rexian_domain::Permission::ManageUsers) {
        available.push((
            "用户管理（API：/api/v1/users）",
            "Users (API: /api/v1/users)",
            None,
        ));
    }
    if user.role.can(rexian_domain::Permission::ViewCalls) {
        available.push(("实时监控墙", "Live wall board", Some("/wallboard")));
    }
    if user.role.can(rexian_domain::Permission::ViewEvents) {
        available.push((
            "操作日志（API：/api/v1/events）",
            "Audit trail (API: /api/v1/events)",
            None,
        ));
    }
    render(HomePage {
        platform_name,
        display_name: user.display_name,
        role_zh: user.role.label_zh(),
        role_en: user.role.label_en(),
        intro_zh,
        intro_en,
        available,
        coming,
    })
}

/// The shift leader's live wall board (实时监控墙): queues and agents from the ACD's event
/// stream, for every role that may see calls.
async fn wall_board(State(state): State<AppState>, parts: Parts) -> Response {
    let user = match session_user(&parts, &state).await {
        Ok(Some((user, _))) => user,
        Ok(None) => return to_sign_in(&parts),
        Err(e) => return e.into_response(),
    };
    if !user.role.can(rexian_domain::Permission::ViewCalls) {
        return (
            StatusCode::FORBIDDEN,
            Html("<p>无权查看实时监控墙。 <span>You may not see the wall board.</span></p>"),
        )
            .into_response();
    }
    let platform_name = match state.store.platform(user.platform_id).await {
        Ok(Some(p)) => p.name,
        _ => String::new(),
    };
    render(WallBoardPage { platform_name })
}

type Menu = Vec<(&'static str, &'static str)>;
/// Pages a role may open from its home page: Chinese, English, link.
type Links = Vec<(&'static str, &'static str, Option<&'static str>)>;

/// Every role may list work orders (a department handler sees only its department's).
const ORDER_LIST: (&str, &str, Option<&str>) = ("工单列表", "Work orders", Some("/orders"));

fn role_home(role: Role) -> (&'static str, &'static str, Links, Menu) {
    match role {
        Role::Agent => (
            "接听来电、查找知识、登记与派发工单、回访市民。",
            "Take calls, find answers, register and dispatch orders, call citizens back.",
            vec![
                ("工单登记", "Register orders", Some("/orders#register")),
                ORDER_LIST,
                ("回访清单", "Callback list", Some("/callbacks")),
            ],
            vec![("来电与坐席状态", "Calls and seat state")],
        ),
        Role::ShiftLeader => (
            "实时查看队列与坐席，审核、改派、处理突发事件。",
            "Watch the queue and agents live, review, redispatch, handle emergencies.",
            vec![
                (
                    "工单审核（待派单）",
                    "Order review (to dispatch)",
                    Some("/orders?state=pending_dispatch"),
                ),
                ("工单登记", "Register orders", Some("/orders#register")),
                ORDER_LIST,
                ("回访清单", "Callback list", Some("/callbacks")),
            ],
            vec![("质检评分", "Quality reviews")],
        ),
        Role::Manager => (
            "人员与排班、培训、设备与故障、月度考核与报表。",
            "Staff and rosters, trainings, equipment and faults, monthly assessment and reports.",
            vec![ORDER_LIST],
            vec![
                ("人员与排班", "Staff and rosters"),
                ("设备与故障", "Equipment and faults"),
                ("月度考核", "Monthly assessment"),
            ],
        ),
        Role::DepartmentHandler => (
            "签收、办理并答复派发到本单位的工单。",
            "Sign for, handle and reply to the orders dispatched to your department.",
            vec![
                ("本单位待办工单", "Your department's inbox", Some("/inbox")),
                ORDER_LIST,
            ],
            vec![],
        ),
        Role::CountyOffice => (
            "监督服务运行，查看考核得分，认定投诉与表扬，结算。",
            "Oversee the service, see the assessment, judge complaints and praise, settle payment.",
            vec![ORDER_LIST],
            vec![
                ("考核得分", "Assessment score"),
                ("投诉与表扬认定", "Complaint and praise verdicts"),
            ],
        ),
        Role::PlatformAdmin => (
            "管理用户、单位和规则配置。",
            "Manage users, departments and rule configuration.",
            vec![ORDER_LIST],
            vec![("规则配置", "Rule configuration")],
        ),
    }
}
