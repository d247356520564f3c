//! The HTTP handlers of sign-ins: read the request, call the service, answer. Back-end routes
//! authenticate as the Authentication API does (the tenant's API key); browser routes with
//! the sign-in's token (`Authorization: Bearer`), cross-origin only from the application's
//! domain.

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post, MethodRouter};
use keycadence_signin::{Device, Strategy};
use serde_json::{Map, Value};

use super::error::SignInFailure;
use super::{CreateRequest, Loaded, SignInResult, SignInSnapshot, Submitted};
use crate::app::AppState;
use crate::call::ApiCall;

/// Every sign-in route: (path, methods), added to the server's router.
pub fn routes() -> Vec<(String, MethodRouter<AppState>)> {
    vec![
        ("/v1/sign_ins".into(), post(create)),
        ("/v1/sign_ins/{sign_in}".into(), get(read)),
        (
            "/v1/sign_ins/{sign_in}/prepare_second_factor".into(),
            post(prepare).options(preflight),
        ),
        (
            "/v1/sign_ins/{sign_in}/attempt_second_factor".into(),
            post(attempt).options(preflight),
        ),
    ]
}

fn device(call: &ApiCall) -> SignInResult<Device> {
    match call.params.get(&["device"]) {
        None | Some("desktop") => Ok(Device::Desktop),
        Some("mobile") => Ok(Device::Mobile),
        Some(_) => Err(SignInFailure::BadParameter("device")),
    }
}

/// `POST /v1/sign_ins`: 201 with the sign-in and `client_token` for the page.
pub async fn create(State(state): State<AppState>, call: ApiCall) -> Response {
    let result = async {
        let text = |name: &'static str| call.params.get(&[name]).map(str::to_owned);
        let request = CreateRequest {
            application_id: text("application_id")
                .ok_or(SignInFailure::BadParameter("application_id"))?,
            user_id: text("user_id").ok_or(SignInFailure::BadParameter("user_id"))?,
            email: text("email"),
            phone_number: text("phone_number"),
            country_code: text("country_code"),
            totp_service: text("totp_service"),
            totp_identity: text("totp_identity"),
            device: device(&call)?,
            first_factor_pattern: text("first_factor_pattern"),
        };
        super::create(&state, &call.tenant, request).await
    }
    .await;
    match result {
        Ok((sign_in, token)) => {
            let mut view = super::wire::view(&sign_in);
            view["client_token"] = Value::String(token);
            (StatusCode::CREATED, axum::Json(view)).into_response()
        }
        Err(failure) => failure.into_response(),
    }
}

/// `GET /v1/sign_ins/{sign_in}`.
pub async fn read(
    State(state): State<AppState>,
    Path(id): Path<String>,
    call: ApiCall,
) -> Response {
    match super::read(&state, &call.tenant, &id).await {
        Ok(sign_in) => axum::Json(super::wire::view(&sign_in)).into_response(),
        Err(failure) => failure.into_response(),
    }
}

/// The host of an `Origin` header (`scheme://host[:port]`).
fn origin_host(origin: &str) -> Option<&str> {
    let (_, rest) = origin.split_once("://")?;
    let host = match rest.rsplit_once(':') {
        Some((host, port)) if port.bytes().all(|b| b.is_ascii_digit()) => host,
        _ => rest,
    };
    Some(host)
}

/// The page's origin when it is the application's domain; requests without an `Origin`
/// (not from a browser page) pass, as the token is what authenticates them.
fn allowed_origin(headers: &HeaderMap, domain: &str) -> SignInResult<Option<HeaderValue>> {
    let Some(origin) = headers.get(header::ORIGIN) else {
        return Ok(None);
    };
    let matches = origin
        .to_str()
        .ok()
        .and_then(origin_host)
        .is_some_and(|host| host.eq_ignore_ascii_case(domain));
    if matches {
        Ok(Some(origin.clone()))
    } else {
        Err(SignInFailure::OriginNotAllowed)
    }
}

fn with_cors(mut response: Response, origin: Option<HeaderValue>) -> Response {
    let headers = response.headers_mut();
    headers.insert(header::VARY, HeaderValue::from_static("Origin"));
    if let Some(origin) = origin {
        headers.insert(header::ACCESS_CONTROL_ALLOW_ORIGIN, origin);
    }
    response
}

/// The token of an `Authorization: Bearer …` header (the sign-in's and the Verify window's
/// browser calls).
pub(crate) fn bearer(headers: &HeaderMap) -> Option<&str> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?.trim();
    let (scheme, token) = value.split_once(' ')?;
    scheme
        .eq_ignore_ascii_case("bearer")
        .then(|| token.trim())
        .filter(|t| !t.is_empty())
}

/// `OPTIONS` of the browser routes: CORS preflight for the application's domain only.
pub async fn preflight(
    State(state): State<AppState>,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> Response {
    let result = async {
        let loaded = super::load_for_browser(&state, &id).await?;
        allowed_origin(&headers, &loaded.app.domain)
    }
    .await;
    match result {
        Ok(origin) => {
            let mut response = StatusCode::NO_CONTENT.into_response();
            let h = response.headers_mut();
            h.insert(
                header::ACCESS_CONTROL_ALLOW_METHODS,
                HeaderValue::from_static("POST"),
            );
            h.insert(
                header::ACCESS_CONTROL_ALLOW_HEADERS,
                HeaderValue::from_static("authorization, content-type"),
            );
            h.insert(
                header::ACCESS_CONTROL_MAX_AGE,
                HeaderValue::from_static("600"),
            );
            with_cors(response, origin)
        }
        Err(failure) => failure.into_response(),
    }
}

/// A browser request's body, which must be a JSON object.
pub(crate) fn json_object(body: &[u8]) -> SignInResult<Map<String, Value>> {
    match serde_json::from_slice::<Value>(body) {
        Ok(Value::Object(map)) => Ok(map),
        _ => Err(SignInFailure::BadParameter("body (a JSON object)")),
    }
}

/// A browser request's JSON body and `strategy`.
fn browser_body(body: &[u8]) -> SignInResult<(Map<String, Value>, Strategy)> {
    let map = json_object(body)?;
    let strategy = match map.get("strategy") {
        Some(Value::String(name)) => {
            Strategy::from_name(name.trim()).ok_or(SignInFailure::UnknownStrategy)?
        }
        _ => return Err(SignInFailure::BadParameter("strategy")),
    };
    Ok((map, strategy))
}

/// Loads the sign-in, checks origin and token, runs `op`, and answers with CORS headers for
/// the application's domain (errors included, so the page can read them).
async fn browser<F, Fut>(
    state: AppState,
    id: String,
    headers: HeaderMap,
    body: Bytes,
    op: F,
) -> Response
where
    F: FnOnce(AppState, Loaded, Map<String, Value>, Strategy) -> Fut,
    Fut: std::future::Future<Output = SignInResult<SignInSnapshot>>,
{
    // Without a token there is nothing to look up for.
    let Some(token) = bearer(&headers) else {
        return SignInFailure::TokenInvalid.into_response();
    };
    let loaded = match super::load_for_browser(&state, &id).await {
        Ok(loaded) => loaded,
        Err(failure) => return failure.into_response(),
    };
    let origin = match allowed_origin(&headers, &loaded.app.domain) {
        Ok(origin) => origin,
        Err(failure) => return failure.into_response(),
    };
    let result = async {
        loaded.check_token(token)?;
        let (map, strategy) = browser_body(&body)?;
        op(state, loaded, map, strategy).await
    }
    .await;
    let response = match result {
        Ok(sign_in) => axum::Json(super::wire::view(&sign_in)).into_response(),
        Err(failure) => failure.into_response(),
    };
    with_cors(response, origin)
}

/// `POST …/prepare_second_factor` `{strategy}`.
pub async fn prepare(
    State(state): State<AppState>,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    browser(
        state,
        id,
        headers,
        body,
        |state, loaded, _, strategy| async move { super::prepare(&state, loaded, strategy).await },
    )
    .await
}

/// `POST …/attempt_second_factor` `{strategy, code | pattern}`.
pub async fn attempt(
    State(state): State<AppState>,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    browser(
        state,
        id,
        headers,
        body,
        |state, loaded, map, strategy| async move {
            let submitted = Submitted::from_body(&map).ok_or(match strategy {
                Strategy::Typing => SignInFailure::BadParameter("pattern"),
                _ => SignInFailure::BadParameter("code"),
            })?;
            super::attempt(&state, loaded, strategy, submitted).await
        },
    )
    .await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn origins_match_the_domain_by_host() {
        let headers = |origin: &str| {
            let mut h = HeaderMap::new();
            h.insert(header::ORIGIN, origin.parse().unwrap());
            h
        };
        assert!(allowed_origin(&headers("https://shop.example.com"), "shop.example.com").is_ok());
        assert!(allowed_origin(&headers("http://localhost:5173"), "localhost").is_ok());
        for other in [
            "https://evil.example",
            "https://shop.example.com.evil.example",
            "null",
        ] {
            assert!(
                allowed_origin(&headers(other), "shop.example.com").is_err(),
                "{other}"
            );
        }
        assert_eq!(allowed_origin(&HeaderMap::new(), "x").unwrap(), None);
    }

    #[test]
    fn tokens_come_as_bearer() {
        let mut h = HeaderMap::new();
        assert_eq!(bearer(&h), None);
        h.insert(header::AUTHORIZATION, "Bearer abc".parse().unwrap());
        assert_eq!(bearer(&h), Some("abc"));
        h.insert(header::AUTHORIZATION, "Basic abc".parse().unwrap());
        assert_eq!(bearer(&h), None);
    }
}
