//! JSON API under /api/v1, described by the generated OpenAPI document.

pub mod calendar;
pub mod departments;
mod events;
mod health;
pub mod orders;
mod platform;
mod session;
pub mod users;

use axum::http::StatusCode;
use utoipa::OpenApi;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::AppState;
use crate::error::{ApiError, ErrorBody};

pub use users::{MIN_PASSWORD_CHARS, validate_new_user};

#[derive(OpenApi)]
#[openapi(
    info(
        title = "rexian API",
        description = "12345 government service hotline sub-platform / 12345政务服务热线分平台"
    ),
    components(schemas(ErrorBody)),
    modifiers(&BearerAuth)
)]
struct ApiDoc;

struct BearerAuth;

impl utoipa::Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
        );
    }
}

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::with_openapi(ApiDoc::openapi())
        .routes(routes!(health::health))
        .routes(routes!(session::login))
        .routes(routes!(session::logout))
        .routes(routes!(session::me))
        .routes(routes!(platform::platform))
        .routes(routes!(users::list_users, users::create_user))
        .routes(routes!(users::get_user))
        .routes(routes!(users::deactivate_user))
        .routes(routes!(users::activate_user))
        .routes(routes!(
            departments::list_departments,
            departments::create_department
        ))
        .routes(routes!(departments::get_department))
        .routes(routes!(events::list_events))
        .routes(routes!(orders::list_orders, orders::create_order))
        .routes(routes!(orders::get_order))
        .routes(routes!(orders::get_order_by_number))
        .routes(routes!(orders::department_inbox))
        .routes(routes!(orders::callback_list))
        .routes(routes!(orders::matter_categories))
        .routes(routes!(calendar::get_year, calendar::put_year))
        .routes(routes!(orders::public_lookup))
        .routes(routes!(orders::resolve_directly))
        .routes(routes!(orders::submit_for_dispatch))
        .routes(routes!(orders::dispatch))
        .routes(routes!(orders::redispatch))
        .routes(routes!(orders::sign))
        .routes(routes!(orders::start))
        .routes(routes!(orders::reply))
        .routes(routes!(orders::approve_reply))
        .routes(routes!(orders::reject_reply))
        .routes(routes!(orders::callback))
        .routes(routes!(orders::close))
        .routes(routes!(orders::reopen))
        .routes(routes!(orders::request_return))
        .routes(routes!(orders::approve_return))
        .routes(routes!(orders::refuse_return))
        .routes(routes!(orders::request_extension))
        .routes(routes!(orders::approve_extension))
        .routes(routes!(orders::refuse_extension))
        .routes(routes!(orders::merge))
        .routes(routes!(orders::invalidate))
        .routes(routes!(orders::transfer_to_emergency))
        .routes(routes!(orders::remind))
        .routes(routes!(orders::supervise))
}

pub async fn fallback(uri: axum::http::Uri) -> ApiError {
    ApiError::new(
        StatusCode::NOT_FOUND,
        "not_found",
        format!("no such path: {}", uri.path()),
    )
}

pub async fn method_not_allowed() -> ApiError {
    ApiError::new(
        StatusCode::METHOD_NOT_ALLOWED,
        "method_not_allowed",
        "this path does not take that method",
    )
}
