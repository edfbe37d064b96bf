use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use chrono::{DateTime, Utc};
use rexian_domain::Role;
use rexian_store::{NewUser, User};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::AppState;
use crate::auth::hash_password;
use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::extract::{ApiJson, ApiPath, Authed, perm};

/// A user as the API shows it (never the password hash).
#[derive(Serialize, ToSchema)]
pub struct UserView {
    id: i64,
    platform_id: i64,
    username: String,
    display_name: String,
    /// `agent`, `shift_leader`, `manager`, `department_handler`, `county_office`,
    /// `platform_admin`.
    role: String,
    role_label: String,
    department_id: Option<i64>,
    active: bool,
    created_at: DateTime<Utc>,
}

impl From<&User> for UserView {
    fn from(u: &User) -> UserView {
        UserView {
            id: u.id,
            platform_id: u.platform_id,
            username: u.username.clone(),
            display_name: u.display_name.clone(),
            role: u.role.code().to_owned(),
            role_label: format!("{} / {}", u.role.label_zh(), u.role.label_en()),
            department_id: u.department_id,
            active: u.active,
            created_at: u.created_at,
        }
    }
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateUser {
    /// 3 to 32 characters: lower-case letters, digits, `.`, `_`, `-`; unique in the
    /// installation.
    username: String,
    display_name: String,
    #[schema(value_type = String)]
    role: Role,
    /// Required for a department handler, refused for every other role.
    department_id: Option<i64>,
    /// At least 10 characters.
    password: String,
}

pub const MIN_PASSWORD_CHARS: usize = 10;

/// Checks the fields of a new user; the first problem names its field.
pub fn validate_new_user(
    username: &str,
    display_name: &str,
    role: Role,
    department_id: Option<i64>,
    password: &str,
) -> Result<(), ApiError> {
    let name_ok = (3..=32).contains(&username.len())
        && username
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b"._-".contains(&b));
    if !name_ok {
        return Err(ApiError::invalid(
            "username",
            "3 to 32 characters: lower-case letters, digits, '.', '_' or '-'",
        ));
    }
    let display_len = display_name.trim().chars().count();
    if display_len == 0 || display_len > 50 {
        return Err(ApiError::invalid("display_name", "1 to 50 characters"));
    }
    match (role, department_id) {
        (Role::DepartmentHandler, None) => {
            return Err(ApiError::invalid(
                "department_id",
                "a department handler must be bound to one department",
            ));
        }
        (r, Some(_)) if r != Role::DepartmentHandler => {
            return Err(ApiError::invalid(
                "department_id",
                "only a department handler is bound to a department",
            ));
        }
        _ => {}
    }
    if password.chars().count() < MIN_PASSWORD_CHARS {
        return Err(ApiError::invalid(
            "password",
            format!("at least {MIN_PASSWORD_CHARS} characters"),
        ));
    }
    Ok(())
}

/// Users of the caller's sub-platform.
#[utoipa::path(get, path = "/api/v1/users", tag = "users", security(("bearer" = [])),
    responses((status = 200, body = [UserView]), (status = 403, body = ErrorBody)))]
pub async fn list_users(
    State(state): State<AppState>,
    auth: Authed<perm::ViewUsers>,
) -> ApiResult<Json<Vec<UserView>>> {
    let users = state.store.list_users(auth.platform_id()).await?;
    Ok(Json(users.iter().map(UserView::from).collect()))
}

/// Creates a user of the caller's sub-platform (platform administrators only).
#[utoipa::path(post, path = "/api/v1/users", tag = "users", security(("bearer" = [])),
    request_body = CreateUser,
    responses((status = 201, body = UserView), (status = 400, body = ErrorBody),
              (status = 403, body = ErrorBody), (status = 409, body = ErrorBody),
              (status = 422, body = ErrorBody)))]
pub async fn create_user(
    State(state): State<AppState>,
    auth: Authed<perm::ManageUsers>,
    ApiJson(req): ApiJson<CreateUser>,
) -> ApiResult<(StatusCode, Json<UserView>)> {
    validate_new_user(
        &req.username,
        &req.display_name,
        req.role,
        req.department_id,
        &req.password,
    )?;
    let password_hash = hash_password(req.password).await?;
    let new = NewUser {
        username: req.username,
        display_name: req.display_name.trim().to_owned(),
        role: req.role,
        department_id: req.department_id,
        password_hash,
    };
    let user = state
        .store
        .create_user(auth.platform_id(), &new, &auth.actor(), state.clock.now())
        .await
        .map_err(|e| match e {
            rexian_store::StoreError::NotFound("department") => {
                ApiError::invalid("department_id", "no such department in this sub-platform")
            }
            other => other.into(),
        })?;
    Ok((StatusCode::CREATED, Json(UserView::from(&user))))
}

/// One user of the caller's sub-platform; another sub-platform's user is 404.
#[utoipa::path(get, path = "/api/v1/users/{id}", tag = "users", security(("bearer" = [])),
    params(("id" = i64, Path)),
    responses((status = 200, body = UserView), (status = 404, body = ErrorBody)))]
pub async fn get_user(
    State(state): State<AppState>,
    auth: Authed<perm::ViewUsers>,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<Json<UserView>> {
    let user = state
        .store
        .user(auth.platform_id(), id)
        .await?
        .ok_or_else(|| ApiError::not_found("user"))?;
    Ok(Json(UserView::from(&user)))
}

#[derive(Deserialize, ToSchema, Default)]
#[serde(deny_unknown_fields)]
pub struct Reason {
    /// Why, for the audit trail.
    reason: Option<String>,
}

async fn set_active(
    state: &AppState,
    auth: &Authed<perm::ManageUsers>,
    id: i64,
    active: bool,
    reason: Option<String>,
) -> ApiResult<Json<UserView>> {
    if let Some(r) = &reason
        && r.chars().count() > 500
    {
        return Err(ApiError::invalid("reason", "at most 500 characters"));
    }
    if !active && id == auth.user.id {
        return Err(ApiError::conflict("you cannot deactivate yourself"));
    }
    let user = state
        .store
        .set_user_active(
            auth.platform_id(),
            id,
            active,
            &auth.actor(),
            reason.as_deref(),
            state.clock.now(),
        )
        .await?;
    // Their sessions end at once, also those this server had already checked.
    state.sessions.clear();
    Ok(Json(UserView::from(&user)))
}

/// Deactivates a user: their sessions end at once and they cannot sign in.
#[utoipa::path(post, path = "/api/v1/users/{id}/deactivate", tag = "users",
    security(("bearer" = [])), params(("id" = i64, Path)), request_body = Reason,
    responses((status = 200, body = UserView), (status = 404, body = ErrorBody)))]
pub async fn deactivate_user(
    State(state): State<AppState>,
    auth: Authed<perm::ManageUsers>,
    ApiPath(id): ApiPath<i64>,
    ApiJson(req): ApiJson<Reason>,
) -> ApiResult<Json<UserView>> {
    set_active(&state, &auth, id, false, req.reason).await
}

/// Activates a user again.
#[utoipa::path(post, path = "/api/v1/users/{id}/activate", tag = "users",
    security(("bearer" = [])), params(("id" = i64, Path)), request_body = Reason,
    responses((status = 200, body = UserView), (status = 404, body = ErrorBody)))]
pub async fn activate_user(
    State(state): State<AppState>,
    auth: Authed<perm::ManageUsers>,
    ApiPath(id): ApiPath<i64>,
    ApiJson(req): ApiJson<Reason>,
) -> ApiResult<Json<UserView>> {
    set_active(&state, &auth, id, true, req.reason).await
}
