//! The window's HTTP handlers: parse, call the service, answer (pages through `page`, JSON
//! refusals through `WindowError::json`). Not API routes of the OpenAPI document: pages and
//! the window's own calls, under `/verify-2fa/` (`/verify/{id}` is the Authentication API's).

use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State};
use axum::http::{header, HeaderMap, HeaderValue};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;
use serde_json::Value;

use super::error::WindowError;
use super::open::{self, Audience, OpenRequest};
use super::page::{self, WINDOW_SCRIPT_PATH, WINDOW_STYLE_PATH};
use super::service;
use super::strings::{self, EN};
use crate::app::AppState;
use crate::signin::error::SignInFailure;
use crate::signin::routes::{bearer, json_object};
use crate::signin::Submitted;

/// Where the front-end script is served (a page written for TypingDNA's script works with
/// this URL instead).
pub const FRONT_END_SCRIPT_PATH: &str = "/verify-2fa/typingdna-verify.js";
pub const WINDOW_PATH: &str = "/verify-2fa/window";

const FRONT_END_SCRIPT: &str = include_str!("../../../../pkg/verify.js");
const WINDOW_SCRIPT: &str = include_str!("assets/window.js");
const WINDOW_STYLE: &str = include_str!("assets/window.css");

pub fn router() -> Router<AppState> {
    let assets = Router::new()
        .route(FRONT_END_SCRIPT_PATH, get(front_end_script))
        .route(WINDOW_SCRIPT_PATH, get(window_script))
        .route(WINDOW_STYLE_PATH, get(window_style))
        .layer(crate::app::static_file_compression());
    Router::new()
        .merge(assets)
        .route(WINDOW_PATH, get(open_get).post(open_post))
        .route("/verify-2fa/sessions/{session}/next", post(next))
        .route("/verify-2fa/sessions/{session}/attempt", post(attempt))
}

fn asset(content_type: &'static str, body: &'static str) -> Response {
    (
        [
            (header::CONTENT_TYPE, content_type),
            (header::CACHE_CONTROL, "no-cache"),
            (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
        ],
        body,
    )
        .into_response()
}

async fn front_end_script() -> Response {
    let mut response = asset("text/javascript; charset=utf-8", FRONT_END_SCRIPT);
    // Integrators' pages load it from their origin.
    response.headers_mut().insert(
        header::ACCESS_CONTROL_ALLOW_ORIGIN,
        HeaderValue::from_static("*"),
    );
    response
}

async fn window_script() -> Response {
    asset("text/javascript; charset=utf-8", WINDOW_SCRIPT)
}

async fn window_style() -> Response {
    asset("text/css; charset=utf-8", WINDOW_STYLE)
}

/// The window's parameters, from a query string or a form body.
fn open_request(fields: &[u8], headers: &HeaderMap) -> (OpenRequest, bool) {
    let mut request = OpenRequest {
        origin_header: headers
            .get(header::ORIGIN)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned),
        user_agent: headers
            .get(header::USER_AGENT)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned),
        ..OpenRequest::default()
    };
    let mut compact = false;
    for (name, value) in form_urlencoded::parse(fields) {
        let value = Some(value.into_owned());
        match name.as_ref() {
            "clientId" => request.client_id = value,
            "applicationId" => request.application_id = value,
            "payload" => request.payload = value,
            "origin" => request.origin = value,
            "frame" => request.embedded = value.as_deref() == Some("iframe"),
            "compact" => compact = value.as_deref() == Some("on"),
            _ => {}
        }
    }
    (request, compact)
}

async fn open(state: AppState, fields: &[u8], headers: HeaderMap) -> Response {
    let (request, compact) = open_request(fields, &headers);
    let embedded = request.embedded;
    let mut audience = Audience::default();
    match open::open(&state, request, &mut audience).await {
        Ok(opened) => {
            let s = strings::for_language(opened.language.as_deref());
            page::window(s, &opened, &audience, compact, embedded)
        }
        Err(err) => {
            err.log();
            // Only a page known to be the application's hears of the refusal.
            if matches!(
                err,
                WindowError::OriginNotRegistered { .. } | WindowError::OriginMissing
            ) {
                audience.origin = None;
            }
            let status = err.status();
            let code = err.verify_code().number();
            page::refusal(&EN, status, code, &err.message(&EN), &audience, compact)
        }
    }
}

/// `GET /verify-2fa/window?clientId=…&applicationId=…&payload=…&origin=…`.
async fn open_get(
    State(state): State<AppState>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
) -> Response {
    open(state, query.unwrap_or_default().as_bytes(), headers).await
}

/// `POST /verify-2fa/window` with the same fields as a form (the default: the payload stays
/// out of URLs).
async fn open_post(State(state): State<AppState>, headers: HeaderMap, body: Bytes) -> Response {
    open(state, &body, headers).await
}

fn json_answer(result: Result<Value, WindowError>) -> Response {
    let mut response = match result {
        Ok(view) => axum::Json(view).into_response(),
        Err(err) => (err.status(), axum::Json(err.json(&EN))).into_response(),
    };
    response
        .headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

/// A window call's token (`Authorization: Bearer`) and JSON object body.
fn window_call<'h>(
    headers: &'h HeaderMap,
    body: &[u8],
) -> Result<(&'h str, serde_json::Map<String, Value>), WindowError> {
    let token = bearer(headers).ok_or(SignInFailure::TokenInvalid)?;
    Ok((token, json_object(body)?))
}

/// `POST /verify-2fa/sessions/{session}/next` `{want_code?}`: the step to show.
async fn next(
    State(state): State<AppState>,
    Path(session): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let result = async {
        let (token, map) = window_call(&headers, &body)?;
        let want_code = map.get("want_code") == Some(&Value::Bool(true));
        let next = service::next(&state, &session, token, want_code).await?;
        Ok(super::wire::step(&next))
    }
    .await;
    json_answer(result)
}

/// `POST /verify-2fa/sessions/{session}/attempt` `{pattern}` or `{code}`.
async fn attempt(
    State(state): State<AppState>,
    Path(session): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let result = async {
        let (token, map) = window_call(&headers, &body)?;
        let given =
            Submitted::from_body(&map).ok_or(SignInFailure::BadParameter("pattern or code"))?;
        let next = service::attempt(&state, &session, token, given).await?;
        Ok(super::wire::step(&next))
    }
    .await;
    json_answer(result)
}
