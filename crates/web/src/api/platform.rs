use axum::Json;
use axum::extract::State;
use rexian_domain::Permission;
use rexian_store::{Seat, StaffMember, Town};
use serde::Serialize;
use utoipa::ToSchema;

use crate::AppState;
use crate::error::{ApiError, ApiResult};
use crate::extract::{Authed, perm};

#[derive(Serialize, ToSchema)]
pub struct PlatformView {
    id: i64,
    code: String,
    name: String,
    order_prefix: String,
    #[schema(value_type = Vec<Object>)]
    towns: Vec<Town>,
    #[schema(value_type = Vec<Object>)]
    seats: Vec<Seat>,
    /// Staff positions; only for roles that may see staff (personal data).
    #[schema(value_type = Option<Vec<Object>>)]
    #[serde(skip_serializing_if = "Option::is_none")]
    staff: Option<Vec<StaffMember>>,
}

/// The caller's sub-platform: its towns and townships, seats and staff positions.
#[utoipa::path(get, path = "/api/v1/platform", tag = "platform", security(("bearer" = [])),
    responses((status = 200, body = PlatformView)))]
pub async fn platform(
    State(state): State<AppState>,
    auth: Authed<perm::ViewPlatform>,
) -> ApiResult<Json<PlatformView>> {
    let pid = auth.platform_id();
    let p = state
        .store
        .platform(pid)
        .await?
        .ok_or_else(|| ApiError::not_found("platform"))?;
    let staff = if auth.user.role.can(Permission::ViewUsers) {
        Some(state.store.list_staff(pid).await?)
    } else {
        None
    };
    Ok(Json(PlatformView {
        id: p.id,
        code: p.code,
        name: p.name,
        order_prefix: p.order_prefix,
        towns: state.store.list_towns(pid).await?,
        seats: state.store.list_seats(pid).await?,
        staff,
    }))
}
