//! Request extractors that answer bad input with an [`ApiError`], and the authorization
//! extractor [`Authed`], whose type names the permission a handler needs: a handler that
//! takes `Authed<perm::ManageUsers>` cannot run for a user without that permission.

use std::marker::PhantomData;

use axum::body::Bytes;
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::{StatusCode, header, request::Parts};
use rexian_domain::{Actor, Permission};
use rexian_store::User;
use serde::de::DeserializeOwned;

use crate::AppState;
use crate::auth::{SESSION_COOKIE, token_hash};
use crate::error::ApiError;

/// JSON body whose errors name the field at fault.
pub struct ApiJson<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequest<S> for ApiJson<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, ApiError> {
        let is_json = req
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| {
                v.trim_start()
                    .to_ascii_lowercase()
                    .starts_with("application/json")
            });
        if !is_json {
            return Err(ApiError::new(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "unsupported_media_type",
                "send the body as JSON with `Content-Type: application/json`",
            ));
        }
        let bytes = Bytes::from_request(req, state).await.map_err(|e| {
            if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
                ApiError::new(e.status(), "payload_too_large", e.body_text())
            } else {
                ApiError::new(StatusCode::BAD_REQUEST, "invalid_body", e.body_text())
            }
        })?;
        parse_json(&bytes).map(ApiJson)
    }
}

/// Deserializes JSON, turning serde's error into a 400 that names the field.
pub fn parse_json<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, ApiError> {
    let de = &mut serde_json::Deserializer::from_slice(bytes);
    serde_path_to_error::deserialize(de).map_err(|e| {
        let path = e.path().to_string();
        let inner = e.into_inner();
        if inner.is_syntax() || inner.is_eof() {
            return ApiError::new(
                StatusCode::BAD_REQUEST,
                "invalid_json",
                format!("the body is not valid JSON: {inner}"),
            );
        }
        let message = inner.to_string();
        // serde reports a missing field at its parent's path; name the field itself.
        let field = match message
            .strip_prefix("missing field `")
            .and_then(|m| m.split('`').next())
        {
            Some(name) if path == "." => name.to_owned(),
            Some(name) => format!("{path}.{name}"),
            None => path,
        };
        ApiError {
            field: Some(field.clone()),
            ..ApiError::new(
                StatusCode::BAD_REQUEST,
                "invalid_field",
                format!("field `{field}`: {message}"),
            )
        }
    })
}

/// Path parameters; a malformed one is a 400 naming it.
pub struct ApiPath<T>(pub T);

impl<T: DeserializeOwned + Send, S: Send + Sync> FromRequestParts<S> for ApiPath<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, ApiError> {
        axum::extract::Path::<T>::from_request_parts(parts, state)
            .await
            .map(|p| ApiPath(p.0))
            .map_err(|e| ApiError::new(StatusCode::BAD_REQUEST, "invalid_path", e.body_text()))
    }
}

/// Query parameters; a malformed one is a 400 naming it.
pub struct ApiQuery<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequestParts<S> for ApiQuery<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, ApiError> {
        axum::extract::Query::<T>::from_request_parts(parts, state)
            .await
            .map(|q| ApiQuery(q.0))
            .map_err(|e| ApiError::new(StatusCode::BAD_REQUEST, "invalid_query", e.body_text()))
    }
}

/// A permission named as a type, for [`Authed`].
pub trait RequiredPermission: Send + Sync + 'static {
    const PERMISSION: Permission;
}

/// Marker types, one per [`Permission`].
pub mod perm {
    use super::{Permission, RequiredPermission};

    macro_rules! marker {
        ($($name:ident),* $(,)?) => {$(
            #[derive(Debug)]
            pub struct $name;
            impl RequiredPermission for $name {
                const PERMISSION: Permission = Permission::$name;
            }
        )*};
    }

    marker!(
        ViewPlatform,
        ManageUsers,
        ViewUsers,
        ManageDepartments,
        ViewEvents,
        ViewCallerPhone,
        ReportCallEvents,
        ChangeAgentState,
        ForceAgentState,
        ViewCalls,
        HandleCalls,
        ViewOperations,
        ViewStaffPersonalData,
        ManageStaff,
        ManageRoster,
        DecideSwap,
        ManageTrainings,
        ManageAssets,
        RecordInspection,
        ReportFault,
        WorkFault,
        WaiveFault,
        RecordEmergency,
        JudgeEmergency,
        RecordQualityCase,
        ReviewComplaint,
        FinalizeComplaint,
        VerifyPraise,
        ReviewCalls,
        ManageContract,
        ViewContract,
        RequestSwap,
        ManageCalendar,
        RelateOrders,
        AttachToOrders,
        ViewAssessment,
    );
}

/// The signed-in user, who holds permission `P`. 401 without a valid session, 403 without
/// the permission.
pub struct Authed<P: RequiredPermission> {
    pub user: User,
    pub token_hash: String,
    _permission: PhantomData<P>,
}

impl<P: RequiredPermission> Authed<P> {
    pub fn actor(&self) -> Actor {
        Actor::User {
            id: self.user.id,
            username: self.user.username.clone(),
        }
    }

    pub fn platform_id(&self) -> i64 {
        self.user.platform_id
    }
}

/// The session token of a request: the bearer token, else the session cookie.
pub fn request_token(parts: &Parts) -> Option<String> {
    if let Some(auth) = parts
        .headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        && let Some(token) = auth.strip_prefix("Bearer ").map(str::trim)
    {
        return Some(token.to_owned());
    }
    parts
        .headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|kv| kv.trim().split_once('='))
        .find(|(k, _)| *k == SESSION_COOKIE)
        .map(|(_, v)| v.to_owned())
}

/// The user behind the request's session, if any (no permission check).
pub async fn session_user(
    parts: &Parts,
    state: &AppState,
) -> Result<Option<(User, String)>, ApiError> {
    let Some(token) = request_token(parts) else {
        return Ok(None);
    };
    let hash = token_hash(&token);
    let now = state.clock.now();
    if let Some(user) = state.sessions.get(&hash, now) {
        return Ok(Some((user, hash)));
    }
    let user = state.store.session_user(&hash, now).await?;
    if let Some(u) = &user {
        state.sessions.put(&hash, u, now);
    }
    Ok(user.map(|u| (u, hash)))
}

impl<P: RequiredPermission> FromRequestParts<AppState> for Authed<P> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let (user, token_hash) = session_user(parts, state)
            .await?
            .ok_or_else(ApiError::unauthenticated)?;
        if !user.role.can(P::PERMISSION) {
            return Err(ApiError::new(
                StatusCode::FORBIDDEN,
                "forbidden",
                format!(
                    "the role {} ({}) may not do this (needs permission {:?})",
                    user.role.label_zh(),
                    user.role.code(),
                    P::PERMISSION
                ),
            ));
        }
        Ok(Authed {
            user,
            token_hash,
            _permission: PhantomData,
        })
    }
}

/// The client's address, when the server was started with connection info.
pub struct ClientIp(pub Option<std::net::IpAddr>);

impl<S: Send + Sync> FromRequestParts<S> for ClientIp {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        Ok(ClientIp(
            parts
                .extensions
                .get::<axum::extract::ConnectInfo<std::net::SocketAddr>>()
                .map(|c| c.0.ip()),
        ))
    }
}
