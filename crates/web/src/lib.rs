//! The HTTP edge of rexian. Handlers extract (with authorization in the extractor's type),
//! call the store, and render JSON or a page; no business rule lives here.

pub mod acd;
pub mod api;
pub mod auth;
pub mod error;
pub mod extract;
mod observe;
pub mod order_timers;
mod pages;
pub mod reference;

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use rexian_domain::Clock;
use rexian_store::Store;
use tokio::net::TcpListener;

pub use auth::{LoginThrottle, ThrottleSettings, hash_password, hash_password_blocking};
pub use observe::HealthCache;

/// Settings of the HTTP edge (from the binary's configuration).
#[derive(Debug, Clone)]
pub struct WebSettings {
    pub session_ttl: chrono::Duration,
    /// Mark the session cookie `Secure` (when served behind TLS).
    pub secure_cookies: bool,
    pub throttle: ThrottleSettings,
    /// Largest request body accepted.
    pub max_body_bytes: usize,
    /// A request taking longer is answered 503 and its work dropped (no half-applied writes:
    /// each change is one transaction).
    pub request_timeout: Duration,
    /// The live ACD's settings (queues, ring timeout, wrap-up, overflow), the same for every
    /// sub-platform of the installation.
    pub acd: rexian_acd::AcdConfig,
}

impl Default for WebSettings {
    fn default() -> Self {
        WebSettings {
            session_ttl: chrono::Duration::hours(12),
            secure_cookies: false,
            throttle: ThrottleSettings::default(),
            max_body_bytes: 1024 * 1024,
            request_timeout: Duration::from_secs(30),
            acd: rexian_acd::AcdConfig::default(),
        }
    }
}

/// What every handler can reach.
#[derive(Clone)]
pub struct AppState {
    pub store: Arc<dyn Store>,
    pub clock: Arc<dyn Clock>,
    pub settings: Arc<WebSettings>,
    pub throttle: Arc<LoginThrottle>,
    pub health: HealthCache,
    /// The live ACD engines (see `acd.rs`).
    pub acd: Arc<acd::LiveAcd>,
    /// Each sub-platform's working-day calendar (bundled schedules + the administrator's).
    pub calendars: api::calendar::CalendarCache,
    /// Recently checked sessions (see `auth::SessionCache`).
    pub sessions: Arc<auth::SessionCache>,
    /// Departments, towns and matter categories as the order endpoints check them.
    pub reference: reference::ReferenceCache,
}

impl AppState {
    pub fn new(store: Arc<dyn Store>, clock: Arc<dyn Clock>, settings: WebSettings) -> AppState {
        AppState {
            throttle: Arc::new(LoginThrottle::new(settings.throttle)),
            health: HealthCache::new(),
            acd: Arc::new(acd::LiveAcd::new(settings.acd.clone())),
            calendars: api::calendar::CalendarCache::default(),
            sessions: Arc::default(),
            reference: reference::ReferenceCache::default(),
            store,
            clock,
            settings: Arc::new(settings),
        }
    }
}

/// The whole application: API, OpenAPI document, metrics and pages.
pub fn router(state: AppState) -> Router {
    let (api, openapi) = api::router().split_for_parts();
    let openapi_json = Arc::new(openapi.to_pretty_json().unwrap_or_default());
    Router::new()
        .merge(api)
        .merge(pages::router())
        .route(
            "/api/openapi.json",
            axum::routing::get(move || {
                let body = openapi_json.clone();
                async move {
                    (
                        [("content-type", "application/json")],
                        body.as_ref().clone(),
                    )
                }
            }),
        )
        .route("/metrics", axum::routing::get(observe::metrics))
        .fallback(api::fallback)
        .method_not_allowed_fallback(api::method_not_allowed)
        .layer(axum::extract::DefaultBodyLimit::max(
            state.settings.max_body_bytes,
        ))
        .layer(axum::middleware::from_fn(observe::track))
        .layer(tower_http::timeout::TimeoutLayer::with_status_code(
            axum::http::StatusCode::SERVICE_UNAVAILABLE,
            state.settings.request_timeout,
        ))
        .with_state(state)
}

/// Serves until `shutdown` completes, then finishes the requests in flight.
pub async fn serve(
    listener: TcpListener,
    state: AppState,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    observe::spawn_background(&state);
    let timers = order_timers::spawn(&state);
    match state
        .acd
        .restore(state.store.as_ref(), state.clock.now())
        .await
    {
        Ok(0) => {}
        Ok(n) => tracing::info!(inputs = n, "live ACD rebuilt from its journal"),
        Err(e) => {
            timers.abort();
            return Err(std::io::Error::other(format!(
                "rebuilding the live ACD from its journal: {e:?}"
            )));
        }
    }
    state
        .acd
        .spawn_ticker(state.store.clone(), state.clock.clone());
    let app = router(state).into_make_service_with_connect_info::<SocketAddr>();
    let result = axum::serve(listener, app)
        .with_graceful_shutdown(shutdown)
        .await;
    timers.abort();
    result
}

/// Starts the server on `127.0.0.1:0` in the background, for tests: returns its address.
pub async fn spawn_for_test(state: AppState) -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind port 0");
    let addr = listener.local_addr().expect("local address");
    tokio::spawn(serve(listener, state, std::future::pending()));
    addr
}
