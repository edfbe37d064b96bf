//! JSON API under /api/v1, described by the generated OpenAPI document.

pub mod assessment;
pub mod calendar;
pub mod calls;
pub mod cti;
pub mod departments;
mod events;
mod health;
pub mod ops;
pub mod order_links;
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
        .routes(routes!(orders::order_history))
        .routes(routes!(order_links::list_related, order_links::relate))
        .routes(routes!(
            order_links::list_attachments,
            order_links::add_attachment
        ))
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
        .routes(routes!(cti::arrive))
        .routes(routes!(cti::abandon))
        .routes(routes!(cti::answer))
        .routes(routes!(cti::ring_no_answer))
        .routes(routes!(cti::transfer))
        .routes(routes!(cti::end))
        .routes(routes!(cti::satisfaction))
        .routes(routes!(cti::sign_in))
        .routes(routes!(cti::my_state))
        .routes(routes!(cti::force_state))
        .routes(routes!(cti::live_state))
        .routes(routes!(cti::live_stream))
        .routes(routes!(calls::list_calls))
        .routes(routes!(calls::figures))
        .routes(routes!(calls::link_order))
        .routes(routes!(calls::list_callbacks))
        .routes(routes!(calls::record_attempt))
        .routes(routes!(assessment::get_assessment))
        .routes(routes!(assessment::get_indicator))
        .routes(routes!(assessment::get_live))
        .routes(routes!(assessment::get_report))
        .merge(ops_router())
}

/// Operations (issue 5): staff, attrition, assets, inspections, faults, emergencies,
/// complaints, praise.
fn ops_router() -> OpenApiRouter<AppState> {
    use ops::{contract as co, csv_io as io, equipment as eq, quality as q, roster as ro};
    use ops::{reviews as rv, staff as st};
    OpenApiRouter::new()
        .routes(routes!(st::list_staff, st::create_staff))
        .routes(routes!(st::get_staff, st::update_staff))
        .routes(routes!(st::certify_staff))
        .routes(routes!(st::leave_staff))
        .routes(routes!(st::rehire_staff))
        .routes(routes!(st::insurance))
        .routes(routes!(st::get_attrition))
        .routes(routes!(eq::list_assets, eq::create_asset))
        .routes(routes!(eq::create_default_assets))
        .routes(routes!(eq::get_asset, eq::update_asset))
        .routes(routes!(eq::set_asset_state))
        .routes(routes!(eq::list_inspections, eq::record_inspection))
        .routes(routes!(eq::missed))
        .routes(routes!(eq::checklists))
        .routes(routes!(eq::list_faults, eq::report_fault))
        .routes(routes!(eq::get_fault))
        .routes(routes!(eq::acknowledge_fault))
        .routes(routes!(eq::note_fault))
        .routes(routes!(eq::restore_fault))
        .routes(routes!(eq::close_fault))
        .routes(routes!(eq::waive_fault))
        .routes(routes!(eq::fault_indicator))
        .routes(routes!(q::list_emergencies, q::open_emergency))
        .routes(routes!(q::get_emergency))
        .routes(routes!(q::staffing_changed))
        .routes(routes!(q::judge_emergency))
        .routes(routes!(q::force_majeure))
        .routes(routes!(q::emergency_indicator))
        .routes(routes!(q::list_complaints, q::receive_complaint))
        .routes(routes!(q::get_complaint))
        .routes(routes!(q::review_complaint))
        .routes(routes!(q::finalize_complaint))
        .routes(routes!(q::revise_complaint))
        .routes(routes!(q::complaints_tally))
        .routes(routes!(q::list_praise, q::receive_praise))
        .routes(routes!(q::get_praise))
        .routes(routes!(q::verify_praise))
        .routes(routes!(q::reject_praise))
        .routes(routes!(q::praise_tally_handler))
        .routes(routes!(ro::shifts))
        .routes(routes!(ro::get_roster))
        .routes(routes!(ro::add_entries))
        .routes(routes!(ro::remove_entry))
        .routes(routes!(ro::add_leave))
        .routes(routes!(ro::request_swap))
        .routes(routes!(ro::approve_swap))
        .routes(routes!(ro::reject_swap))
        .routes(routes!(ro::check_roster))
        .routes(routes!(ro::night_duty))
        .routes(routes!(ro::list_trainings, ro::add_training))
        .routes(routes!(ro::count_trainings))
        .routes(routes!(co::list_contracts, co::create_contract))
        .routes(routes!(co::get_contract))
        .routes(routes!(co::list_costs, co::add_cost))
        .routes(routes!(co::budget))
        .routes(routes!(co::get_settlement))
        .routes(routes!(co::bill_defaults))
        .routes(routes!(io::export_staff))
        .routes(routes!(io::import_staff))
        .routes(routes!(io::export_roster))
        .routes(routes!(io::export_staff_xlsx))
        .routes(routes!(io::export_roster_xlsx))
        .routes(routes!(io::import_roster))
        .routes(routes!(rv::sheet))
        .routes(routes!(rv::list_reviews, rv::add_review))
        .routes(routes!(rv::scores))
        .routes(routes!(ops::indicators::indicators))
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
