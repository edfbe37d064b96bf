//! Metrics (Prometheus, labelled by route pattern, never by raw path) and the health cache.

use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};

use axum::extract::{MatchedPath, Request};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};
use tokio::sync::watch;

use crate::AppState;

fn prometheus() -> &'static PrometheusHandle {
    static HANDLE: OnceLock<PrometheusHandle> = OnceLock::new();
    HANDLE.get_or_init(|| {
        let builder = PrometheusBuilder::new()
            .set_buckets_for_metric(
                Matcher::Full("http_request_duration_seconds".into()),
                &[
                    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 10.0,
                ],
            )
            .expect("static buckets are valid");
        let recorder = builder.build_recorder();
        let handle = recorder.handle();
        // Another recorder may be installed already (a test harness): then ours only renders.
        let _ = metrics::set_global_recorder(recorder);
        handle
    })
}

pub async fn metrics() -> impl IntoResponse {
    (
        [("content-type", "text/plain; version=0.0.4")],
        prometheus().render(),
    )
}

/// Counts requests and their latency by method, route pattern and status.
pub async fn track(req: Request, next: Next) -> Response {
    let started = Instant::now();
    let route = req
        .extensions()
        .get::<MatchedPath>()
        .map(|m| m.as_str().to_owned())
        .unwrap_or_else(|| "unmatched".to_owned());
    let method = req.method().as_str().to_owned();
    let resp = next.run(req).await;
    let status = resp.status();
    let elapsed = started.elapsed();
    metrics::counter!(
        "http_requests_total",
        "method" => method.clone(), "route" => route.clone(), "status" => status.as_u16().to_string()
    )
    .increment(1);
    metrics::histogram!("http_request_duration_seconds", "method" => method.clone(), "route" => route.clone())
        .record(elapsed.as_secs_f64());
    if status.is_server_error() {
        tracing::error!(%method, %route, status = status.as_u16(), ?elapsed, "request failed");
    } else {
        tracing::debug!(%method, %route, status = status.as_u16(), ?elapsed, "request");
    }
    resp
}

/// The database's state as last checked in the background, so health answers without a
/// database round trip per request.
#[derive(Clone)]
pub struct HealthCache {
    rx: watch::Receiver<Option<bool>>,
    tx: Arc<watch::Sender<Option<bool>>>,
}

impl Default for HealthCache {
    fn default() -> Self {
        Self::new()
    }
}

impl HealthCache {
    pub fn new() -> HealthCache {
        let (tx, rx) = watch::channel(None);
        HealthCache {
            rx,
            tx: Arc::new(tx),
        }
    }

    /// `None` before the first check.
    pub fn database_ok(&self) -> Option<bool> {
        *self.rx.borrow()
    }

    pub fn set(&self, ok: bool) {
        self.tx.send_replace(Some(ok));
    }
}

pub fn spawn_background(state: &AppState) {
    prometheus();
    let store = state.store.clone();
    let health = state.health.clone();
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(Duration::from_secs(2));
        loop {
            tick.tick().await;
            let ok = match tokio::time::timeout(Duration::from_secs(2), store.ping()).await {
                Ok(Ok(())) => true,
                Ok(Err(e)) => {
                    tracing::warn!(error = %e, "database health check failed");
                    false
                }
                Err(_) => {
                    tracing::warn!("database health check timed out");
                    false
                }
            };
            health.set(ok);
            prometheus().run_upkeep();
        }
    });
}
