//! The server: shared state, routes, request logging and metrics, background upkeep and
//! graceful shutdown.

use std::future::Future;
use std::net::IpAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::extract::{ConnectInfo, MatchedPath, Request};
use axum::http::Method;
use axum::middleware::{self, Next};
use axum::response::Response;
use axum::routing::{get, post, MethodRouter};
use axum::Router;
use hyper::body::Incoming;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::server::graceful::GracefulShutdown;
use hyper_util::service::TowerToHyperService;
use tokio::net::TcpListener;
use tokio::task::JoinSet;
use tower::ServiceExt;

use crate::auth::{Authenticator, SecretCheckLimits};
use crate::body_deadline::DeadlineBody;
use crate::clock::Clock;
use crate::config::ServeConfig;
use crate::db::replay_digests::ReplayKey;
use crate::db::sealed_patterns::PatternSealer;
use crate::db::{Db, DbError};
use crate::error::Outcome;
use crate::limits::{ConcurrencyLimiter, RateLimiter};
use crate::metrics::{Metrics, RequestLabels};
use crate::otp::{OtpSetupError, OtpState};
use crate::privacy::audit::Auditor;
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
    pub audit: Arc<Auditor>,
    /// The time the services read (tests move it forward).
    pub clock: Clock,
}

#[derive(Debug, thiserror::Error)]
pub enum ServeError {
    #[error(transparent)]
    Db(#[from] DbError),
    #[error(transparent)]
    Quotes(#[from] QuotesError),
    #[error(transparent)]
    Otp(#[from] OtpSetupError),
}

impl AppState {
    pub async fn new(config: ServeConfig) -> Result<AppState, ServeError> {
        let db = Db::connect_waiting(
            &config.database_url,
            config.max_connections,
            Duration::from_secs(config.database_acquire_timeout_seconds),
        )
        .await?;
        let otp = OtpState::new(&config, &db).await?;
        let db = db
            .with_pattern_sealer(PatternSealer::new(otp.sealer.clone()))
            .with_replay_key(ReplayKey::new(otp.pepper()));
        let clock = Clock::system();
        if let Some(keyed) = db
            .key_replay_digests(clock.now_millis())
            .await
            .map_err(DbError::from)?
        {
            tracing::info!(
                digests = keyed,
                "keyed the replay digests stored unkeyed before this version"
            );
        }
        let sealed = db.seal_plain_patterns().await.map_err(DbError::from)?;
        if sealed > 0 {
            tracing::info!(
                patterns = sealed,
                "sealed the enrolled patterns stored in plain text before this version"
            );
        }
        let audit = Arc::new(Auditor::start(db.clone(), otp.pepper()));
        let quotes = match &config.quotes_file {
            Some(path) => Quotes::from_file(path)?,
            None => Quotes::built_in(),
        };
        let auth = Authenticator::new(
            db.clone(),
            Duration::from_secs(config.auth_cache_seconds),
            SecretCheckLimits {
                concurrent: config.max_concurrent_secret_checks,
                per_key_per_minute: config.wrong_secrets_per_key_per_minute,
            },
        );
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
            audit,
            clock,
        })
    }
}

/// Every route the server serves: (path, methods). [`router`] is built from this list, and the
/// OpenAPI test reads the same list, so a route cannot be served without being documented.
pub fn routes() -> Vec<(String, MethodRouter<AppState>)> {
    let mut all = crate::otp::routes::routes();
    all.extend(crate::signin::routes::routes());
    all.extend(crate::privacy::routes::routes());
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

/// The paths of [`routes()`], in axum's syntax (`{*id}` for the user id).
pub fn route_paths() -> Vec<String> {
    routes().into_iter().map(|(path, _)| path).collect()
}

pub fn router(state: AppState) -> Router {
    let api = routes()
        .into_iter()
        .fold(Router::new(), |router, (path, methods)| {
            router.route(&path, methods)
        });
    // Not an API route (so not in `routes()` and the OpenAPI document): a static file, served
    // only when configured.
    let with_script = match state.config.recorder_script.clone() {
        Some(path) => api.route(
            routes::RECORDER_SCRIPT_PATH,
            get(move || routes::recorder_script(path.clone())).layer(static_file_compression()),
        ),
        None => api,
    };
    // The Verify window's pages and scripts (not API routes either).
    with_script
        .merge(crate::verify_window::routes::router())
        .fallback(routes::not_found)
        .method_not_allowed_fallback(routes::method_not_allowed)
        .layer(middleware::from_fn_with_state(state.clone(), observe))
        .with_state(state)
}

/// gzip for the static scripts and styles a page downloads, when the browser accepts it (the
/// recorder script is 129 KB, 33 KB gzipped). Only for static files: a compressed answer that
/// mixed a secret with text an attacker chose would leak the secret through its length.
pub(crate) fn static_file_compression() -> tower_http::compression::CompressionLayer {
    tower_http::compression::CompressionLayer::new()
}

/// The method as a metrics label. Clients choose the method freely (any token is valid HTTP),
/// so only the standard ones get their own label: anything else would let a client grow
/// `/metrics` and the server's memory with one new series per made-up method.
fn method_label(method: &Method) -> &'static str {
    match *method {
        Method::GET => "GET",
        Method::POST => "POST",
        Method::PUT => "PUT",
        Method::PATCH => "PATCH",
        Method::DELETE => "DELETE",
        Method::HEAD => "HEAD",
        Method::OPTIONS => "OPTIONS",
        _ => "other",
    }
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
    let method = method_label(req.method());
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
            method: method.to_string(),
            status,
            message_code,
        },
        elapsed.as_secs_f64(),
    );
    response
}

/// Once an hour: forgets uses of payloads now too old to accept. (Verify digests, sign-ins
/// and unused enrolments go by [`crate::privacy::retention`].)
async fn upkeep(db: Db, clock: Clock) {
    let mut tick = tokio::time::interval(Duration::from_secs(3600));
    loop {
        tick.tick().await;
        match db.payload_uses().expire(clock.now_millis()).await {
            Ok(0) => {}
            Ok(n) => tracing::info!(expired = n, "upkeep: payload uses expired"),
            Err(err) => tracing::warn!(error = %err, "upkeep: payload use expiry failed"),
        }
    }
}

/// Drops rate-limiter keys whose buckets are full again, so that addresses seen once do not
/// stay in memory.
async fn forget_idle_limits(state: AppState) {
    let mut tick = tokio::time::interval(Duration::from_secs(10));
    loop {
        tick.tick().await;
        state.ip_limiter.forget_idle();
        state.tenant_limiter.forget_idle();
        state.tenant_ip_limiter.forget_idle();
        state.auth.forget_idle();
        state.otp.floods.forget_idle();
    }
}

/// Serves on `listener` until `shutdown` resolves, then lets requests in flight finish (up to
/// the configured grace period) and closes the database.
///
/// Each connection is served by hyper's HTTP/1 builder with a timer, so a client that does not
/// finish its headers within `header_read_timeout_seconds` is disconnected (axum::serve sets no
/// timer and so no such timeout), and a request's body must arrive in full within
/// `body_read_timeout_seconds` of its headers.
pub async fn serve(
    state: AppState,
    listener: TcpListener,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> Result<(), ServeError> {
    let config = state.config.clone();
    let grace = Duration::from_secs(config.shutdown_grace_seconds);
    let db = state.db.clone();
    let upkeep_task = tokio::spawn(upkeep(db.clone(), state.clock.clone()));
    let retention_task = (config.retention_interval_seconds > 0).then(|| {
        tokio::spawn(crate::privacy::retention::run_every(
            Duration::from_secs(config.retention_interval_seconds),
            db.clone(),
            state.audit.clone(),
            state.metrics.clone(),
            state.clock.clone(),
        ))
    });
    let limits_task = tokio::spawn(forget_idle_limits(state.clone()));
    let app = router(state);
    // 0 means no timeout, as for the other limits.
    let timeout = |secs: u64| (secs > 0).then(|| Duration::from_secs(secs));
    let mut http = hyper::server::conn::http1::Builder::new();
    http.timer(TokioTimer::new())
        .header_read_timeout(timeout(config.header_read_timeout_seconds));
    let body_timeout = timeout(config.body_read_timeout_seconds);
    let graceful = GracefulShutdown::new();
    let mut connections = JoinSet::new();
    tokio::pin!(shutdown);
    loop {
        tokio::select! {
            () = &mut shutdown => break,
            Some(_) = connections.join_next() => {}
            accepted = listener.accept() => {
                let (stream, peer) = match accepted {
                    Ok(accepted) => accepted,
                    Err(err) if is_connection_error(&err) => continue,
                    Err(err) => {
                        // Out of file descriptors and the like: wait for some to be released
                        // instead of spinning.
                        tracing::error!(error = %err, "accepting a connection failed");
                        tokio::time::sleep(Duration::from_secs(1)).await;
                        continue;
                    }
                };
                let service = app.clone().map_request(move |req: Request<Incoming>| {
                    let mut req = req.map(|body| match body_timeout {
                        Some(limit) => axum::body::Body::new(DeadlineBody::new(body, limit)),
                        None => axum::body::Body::new(body),
                    });
                    req.extensions_mut().insert(ConnectInfo(peer));
                    req
                });
                let connection = graceful.watch(
                    http.serve_connection(TokioIo::new(stream), TowerToHyperService::new(service)),
                );
                connections.spawn(async move {
                    if let Err(err) = connection.await {
                        tracing::debug!(error = %err, %peer, "connection ended with an error");
                    }
                });
            }
        }
    }
    drop(listener);
    tracing::info!("shutting down: finishing requests in flight");
    tokio::select! {
        () = graceful.shutdown() => {}
        () = tokio::time::sleep(grace) => {
            tracing::warn!(grace_seconds = grace.as_secs(), "shutdown grace period over: dropping remaining requests");
            connections.abort_all();
        }
    }
    while connections.join_next().await.is_some() {}
    upkeep_task.abort();
    if let Some(task) = retention_task {
        task.abort();
    }
    limits_task.abort();
    db.close().await;
    Ok(())
}

/// Errors of one connection that failed while being accepted; the listener is fine.
fn is_connection_error(err: &std::io::Error) -> bool {
    matches!(
        err.kind(),
        std::io::ErrorKind::ConnectionRefused
            | std::io::ErrorKind::ConnectionAborted
            | std::io::ErrorKind::ConnectionReset
    )
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
