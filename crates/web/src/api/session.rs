use axum::Json;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, header};
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::users::UserView;
use crate::AppState;
use crate::auth::{session_cookie, sign_in};
use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::extract::{ApiJson, Authed, ClientIp, perm};

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LoginRequest {
    username: String,
    password: String,
}

impl std::fmt::Debug for LoginRequest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LoginRequest")
            .field("username", &self.username)
            .finish_non_exhaustive()
    }
}

#[derive(Serialize, ToSchema)]
pub struct LoginResponse {
    /// Send as `Authorization: Bearer <token>`. Shown once; only its hash is stored.
    token: String,
    token_type: &'static str,
    expires_at: DateTime<Utc>,
    user: UserView,
}

/// Signs in. Answers a bearer token for the API and sets the session cookie for pages.
/// Repeated failures for one username or address are refused with 429 for a while.
#[utoipa::path(post, path = "/api/v1/auth/login", tag = "auth", request_body = LoginRequest,
    responses((status = 200, body = LoginResponse), (status = 401, body = ErrorBody),
              (status = 429, body = ErrorBody)))]
pub async fn login(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    ApiJson(req): ApiJson<LoginRequest>,
) -> ApiResult<Response> {
    if req.username.is_empty() || req.username.len() > 64 {
        return Err(ApiError::invalid(
            "username",
            "username must be 1 to 64 characters",
        ));
    }
    let signed = sign_in(&state, &req.username, &req.password, ip).await?;
    let max_age = state.settings.session_ttl.num_seconds();
    let cookie = session_cookie(Some(&signed.token), max_age, state.settings.secure_cookies);
    let mut headers = HeaderMap::new();
    if let Ok(v) = HeaderValue::from_str(&cookie) {
        headers.insert(header::SET_COOKIE, v);
    }
    let body = LoginResponse {
        token: signed.token,
        token_type: "Bearer",
        expires_at: signed.expires_at,
        user: UserView::from(&signed.user),
    };
    Ok((headers, Json(body)).into_response())
}

/// Ends the session of the token or cookie used.
#[utoipa::path(post, path = "/api/v1/auth/logout", tag = "auth", security(("bearer" = [])),
    responses((status = 204), (status = 401, body = ErrorBody)))]
pub async fn logout(
    State(state): State<AppState>,
    auth: Authed<perm::ViewPlatform>,
) -> ApiResult<Response> {
    state.sessions.forget(&auth.token_hash);
    state
        .store
        .delete_session(&auth.token_hash, state.clock.now())
        .await?;
    let cookie = session_cookie(None, 0, state.settings.secure_cookies);
    Ok((
        axum::http::StatusCode::NO_CONTENT,
        [(header::SET_COOKIE, cookie)],
    )
        .into_response())
}

/// The signed-in user.
#[utoipa::path(get, path = "/api/v1/me", tag = "auth", security(("bearer" = [])),
    responses((status = 200, body = UserView), (status = 401, body = ErrorBody)))]
pub async fn me(auth: Authed<perm::ViewPlatform>) -> Json<UserView> {
    Json(UserView::from(&auth.user))
}
