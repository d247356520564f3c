//! The server: shared state, routes, request logging and metrics, background upkeep and
//! graceful shutdown.

use std::future::Future;
use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::extract::{MatchedPath, Request};
use axum::middleware::{self, Next};
use axum::response::Response;
use axum::routing::{get, post, MethodRouter};
use axum::Router;
use tokio::net::TcpListener;

use crate::auth::Authenticator;
use crate::config::ServeConfig;
use crate::db::{Db, DbError};
use crate::error::Outcome;
use crate::limits::{ConcurrencyLimiter, RateLimiter};
use crate::metrics::{Metrics, RequestLabels};
use crate::otp::{OtpSetupError, OtpState};
use crate::quotes::{Quotes, QuotesError};
use crate::routes;

#[derive(Clone)]
pub struct AppState {
    pub config: Arc<ServeConfig>,
    pub db: Db,
    pub auth: Arc<Authenticator>,
    pub quotes: Arc<Quotes>,
    pub metrics: Arc<Metrics>,
    pub ip_limiter: Arc<RateLimiter<IpAddr>>,
    pub tenant_limiter: Arc<RateLimiter<i64>>,
    pub tenant_ip_limiter: Arc<RateLimiter<(i64, IpAddr)>>,
    pub concurrency: Arc<ConcurrencyLimiter>,
    pub otp: Arc<OtpState>,
}

#[derive(Debug, thiserror::Error)]
pub enum ServeError {
    #[error(transparent)]
    Db(#[from] DbError),
    #[error(transparent)]
    Quotes(#[from] QuotesError),
    #[error(transparent)]
    Otp(#[from] OtpSetupError),
    #[error("server I/O: {0}")]
    Io(#[from] std::io::Error),
}

impl AppState {
    pub async fn new(config: ServeConfig) -> Result<AppState, ServeError> {
        let db = Db::connect(&config.database_url, config.max_connections).await?;
        let quotes = match &config.quotes_file {
            Some(path) => Quotes::from_file(path)?,
            None => Quotes::built_in(),
        };
        let auth = Authenticator::new(db.clone(), Duration::from_secs(config.auth_cache_seconds));
        let otp = OtpState::new(&config, &db).await?;
        Ok(AppState {
            config: Arc::new(config),
            db,
            auth: Arc::new(auth),
            quotes: Arc::new(quotes),
            metrics: Arc::new(Metrics::default()),
            ip_limiter: Arc::default(),
            tenant_limiter: Arc::default(),
            tenant_ip_limiter: Arc::default(),
            concurrency: Arc::default(),
            otp: Arc::new(otp),
        })
    }
}

/// Every route the server serves: (path, methods). [`router`] is built from this list, and the
/// OpenAPI test reads the same list, so a route cannot be served without being documented.
pub fn routes() -> Vec<(String, MethodRouter<AppState>)> {
    let mut all = crate::otp::routes::routes();
    all.extend(crate::signin::routes::routes());
    all.extend([
        ("/auto/{*id}".into(), post(routes::auto)),
        ("/save/{*id}".into(), post(routes::save)),
        ("/verify/{*id}".into(), post(routes::verify)),
        (
            "/user/{*id}".into(),
            get(routes::check_user).delete(routes::delete_user),
        ),
        ("/changeuser/{*id}".into(), post(routes::change_user)),
        ("/match".into(), post(routes::match_patterns)),
        ("/quote".into(), get(routes::quote)),
        ("/healthz".into(), get(routes::healthz)),
        ("/metrics".into(), get(routes::metrics)),
        ("/openapi.json".into(), get(routes::openapi)),
    ]);
    all
}

/// The paths of [`routes`], in axum's syntax (`{*id}` for the user id).
pub fn route_paths() -> Vec<String> {
    routes().into_iter().map(|(path, _)| path).collect()
}

pub fn router(state: AppState) -> Router {
    routes()
        .into_iter()
        .fold(Router::new(), |router, (path, methods)| {
            router.route(&path, methods)
        })
        .fallback(routes::not_found)
        .method_not_allowed_fallback(routes::method_not_allowed)
        .layer(middleware::from_fn_with_state(state.clone(), observe))
        .with_state(state)
}

/// Logs one line per request (never headers or bodies: they carry secrets and biometrics)
/// and feeds the metrics.
async fn observe(
    axum::extract::State(state): axum::extract::State<AppState>,
    req: Request,
    next: Next,
) -> Response {
    let started = Instant::now();
    let route = req
        .extensions()
        .get::<MatchedPath>()
        .map(|p| p.as_str().trim_end_matches("/{*id}").to_string())
        .unwrap_or_else(|| "unmatched".to_string());
    let method = req.method().to_string();
    state.metrics.started();
    let response = next.run(req).await;
    let elapsed = started.elapsed();
    let status = response.status().as_u16();
    let message_code = response.extensions().get::<Outcome>().map_or(0, |o| o.0);
    tracing::info!(
        target: "keycadence::request",
        %method,
        %route,
        status,
        message_code,
        latency_us = elapsed.as_micros() as u64,
        "request"
    );
    state.metrics.finished(
        RequestLabels {
            route,
            method,
            status,
            message_code,
        },
        elapsed.as_secs_f64(),
    );
    response
}

/// Once an hour: forgets old verify digests, uses of payloads now too old to accept, and the
/// state of idle flood-limit keys.
async fn upkeep(db: Db, otp: Arc<OtpState>) {
    let mut tick = tokio::time::interval(Duration::from_secs(3600));
    loop {
        tick.tick().await;
        otp.floods.forget_idle();
        match db.expire_payload_uses(crate::db::now_millis()).await {
            Ok(0) => {}
            Ok(n) => tracing::info!(expired = n, "upkeep: payload uses expired"),
            Err(err) => tracing::warn!(error = %err, "upkeep: payload use expiry failed"),
        }
        let tenants = match db.tenants().await {
            Ok(t) => t,
            Err(err) => {
                tracing::warn!(error = %err, "upkeep: cannot list tenants");
                continue;
            }
        };
        for (tenant_id, settings) in tenants {
            match db
                .expire_verify_digests(tenant_id, settings.verify_digest_retention_days)
                .await
            {
                Ok(0) => {}
                Ok(n) => tracing::info!(tenant_id, expired = n, "upkeep: verify digests expired"),
                Err(err) => tracing::warn!(tenant_id, error = %err, "upkeep: digest expiry failed"),
            }
        }
    }
}

/// Serves on `listener` until `shutdown` resolves, then lets requests in flight finish (up to
/// the configured grace period) and closes the database.
pub async fn serve(
    state: AppState,
    listener: TcpListener,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> Result<(), ServeError> {
    let grace = Duration::from_secs(state.config.shutdown_grace_seconds);
    let db = state.db.clone();
    let upkeep_task = tokio::spawn(upkeep(db.clone(), state.otp.clone()));
    let app = router(state).into_make_service_with_connect_info::<SocketAddr>();
    let (stopping_tx, stopping_rx) = tokio::sync::oneshot::channel::<()>();
    let signal = async move {
        shutdown.await;
        tracing::info!("shutting down: finishing requests in flight");
        let _ = stopping_tx.send(());
    };
    let server = axum::serve(listener, app).with_graceful_shutdown(signal);
    let server = tokio::spawn(async move { server.await });
    tokio::pin!(server);
    let outcome = tokio::select! {
        joined = &mut server => joined,
        () = async {
            let _ = stopping_rx.await;
            tokio::time::sleep(grace).await;
        } => {
            tracing::warn!(grace_seconds = grace.as_secs(), "shutdown grace period over: dropping remaining requests");
            server.abort();
            Ok(Ok(()))
        }
    };
    upkeep_task.abort();
    db.close().await;
    match outcome {
        Ok(result) => result.map_err(ServeError::Io),
        Err(join) if join.is_cancelled() => Ok(()),
        Err(join) => Err(ServeError::Io(std::io::Error::other(join))),
    }
}

/// Resolves on SIGTERM or Ctrl-C.
pub async fn termination_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = term => {},
    }
}
