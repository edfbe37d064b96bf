use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use rexian_store::{Department, NewDepartment};
use serde::Deserialize;
use utoipa::ToSchema;

use crate::AppState;
use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::extract::{ApiJson, ApiPath, Authed, perm};

#[derive(serde::Serialize, ToSchema)]
pub struct DepartmentView {
    id: i64,
    code: String,
    name: String,
    /// `bureau` (县直部门), `township` (乡镇政府) or `enterprise` (供电、供水等).
    kind: String,
    active: bool,
}

impl From<Department> for DepartmentView {
    fn from(d: Department) -> Self {
        DepartmentView {
            id: d.id,
            code: d.code,
            name: d.name,
            kind: d.kind,
            active: d.active,
        }
    }
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateDepartment {
    code: String,
    name: String,
    kind: String,
}

const KINDS: [&str; 3] = ["bureau", "township", "enterprise"];

/// The county departments (承办单位) of the caller's sub-platform.
#[utoipa::path(get, path = "/api/v1/departments", tag = "departments",
    security(("bearer" = [])), responses((status = 200, body = [DepartmentView])))]
pub async fn list_departments(
    State(state): State<AppState>,
    auth: Authed<perm::ViewPlatform>,
) -> ApiResult<Json<Vec<DepartmentView>>> {
    let list = state.store.list_departments(auth.platform_id()).await?;
    Ok(Json(list.into_iter().map(DepartmentView::from).collect()))
}

/// Adds a department.
#[utoipa::path(post, path = "/api/v1/departments", tag = "departments",
    security(("bearer" = [])), request_body = CreateDepartment,
    responses((status = 201, body = DepartmentView), (status = 409, body = ErrorBody),
              (status = 422, body = ErrorBody)))]
pub async fn create_department(
    State(state): State<AppState>,
    auth: Authed<perm::ManageDepartments>,
    ApiJson(req): ApiJson<CreateDepartment>,
) -> ApiResult<(StatusCode, Json<DepartmentView>)> {
    let code_ok = (2..=32).contains(&req.code.len())
        && req
            .code
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
    if !code_ok {
        return Err(ApiError::invalid(
            "code",
            "2 to 32 characters: a-z, 0-9 or '-'",
        ));
    }
    let name_len = req.name.trim().chars().count();
    if name_len == 0 || name_len > 60 {
        return Err(ApiError::invalid("name", "1 to 60 characters"));
    }
    if !KINDS.contains(&req.kind.as_str()) {
        return Err(ApiError::invalid(
            "kind",
            format!("one of {}", KINDS.join(", ")),
        ));
    }
    let new = NewDepartment {
        code: req.code,
        name: req.name.trim().to_owned(),
        kind: req.kind,
    };
    let dept = state
        .store
        .create_department(auth.platform_id(), &new, &auth.actor(), state.clock.now())
        .await?;
    Ok((StatusCode::CREATED, Json(dept.into())))
}

/// One department of the caller's sub-platform.
#[utoipa::path(get, path = "/api/v1/departments/{id}", tag = "departments",
    security(("bearer" = [])), params(("id" = i64, Path)),
    responses((status = 200, body = DepartmentView), (status = 404, body = ErrorBody)))]
pub async fn get_department(
    State(state): State<AppState>,
    auth: Authed<perm::ViewPlatform>,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<Json<DepartmentView>> {
    let dept = state
        .store
        .department(auth.platform_id(), id)
        .await?
        .ok_or_else(|| ApiError::not_found("department"))?;
    Ok(Json(dept.into()))
}
