//! Everything an API call goes through before its handler runs, in the order clients observe:
//! maintenance (45), per-IP limit (43), authentication (32/33), the tenant's limits
//! (52, 43, 37), the request size (42) and the parameters (31).

use std::net::{IpAddr, SocketAddr};
use std::time::Instant;

use axum::extract::{ConnectInfo, FromRequest, FromRequestParts, Request};
use axum::http::request::Parts;
use axum::http::{header, HeaderMap};
use tokio::sync::OwnedSemaphorePermit;

use crate::app::AppState;
use crate::auth::{parse_basic, Tenant};
use crate::error::{ApiError, ErrorCode};
use crate::limits::retry_after_secs;
use crate::params::Params;
use crate::response::ApiResponse;

/// An authenticated API call with its parameters. Holding it holds the tenant's concurrency
/// permit, if it has a limit.
pub struct ApiCall {
    pub tenant: Tenant,
    pub params: Params,
    _permit: Option<OwnedSemaphorePermit>,
}

impl ApiCall {
    /// The domain context of this call: the server's database and the caller's tenant.
    pub fn ctx<'a>(&'a self, state: &'a AppState) -> crate::domain::Ctx<'a> {
        crate::domain::Ctx {
            db: &state.db,
            tenant: &self.tenant,
        }
    }

    /// Code 53 when the tenant has the advanced endpoints (`/save`, `/verify`) switched off.
    pub fn require_advanced(&self) -> Result<(), ApiError> {
        if self.tenant.settings.advanced_endpoints {
            Ok(())
        } else {
            Err(self.error(ErrorCode::NotSupported))
        }
    }

    /// An error that echoes `custom_field` (the request passed authentication and syntax).
    pub fn error(&self, code: ErrorCode) -> ApiError {
        ApiError::new(code).with_custom_field(self.params.custom_field())
    }

    /// Attaches `custom_field` to the handler's answer, success or error.
    pub fn finish(&self, result: Result<ApiResponse, ApiError>) -> Result<ApiResponse, ApiError> {
        let custom_field = self.params.custom_field();
        match result {
            Ok(response) => Ok(response.with_custom_field(custom_field)),
            Err(error) => Err(error.with_custom_field(custom_field)),
        }
    }

    /// A validated user id from the path (code 35 otherwise).
    pub fn user_id(&self, raw: &UserPath) -> Result<String, ApiError> {
        let raw = raw
            .0
            .as_deref()
            .ok_or_else(|| self.error(ErrorCode::InvalidUserId))?;
        crate::user_id::validate(raw, self.tenant.settings.reject_contact_like_user_ids)
            .map_err(|code| self.error(code))
    }
}

/// The `{id}` path segment, percent-decoded; `None` when it is not valid UTF-8. Validation
/// waits until after authentication so that errors come in the documented order.
pub struct UserPath(pub Option<String>);

impl<S: Send + Sync> FromRequestParts<S> for UserPath {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let id = axum::extract::Path::<String>::from_request_parts(parts, state)
            .await
            .ok()
            .map(|p| p.0);
        Ok(UserPath(id))
    }
}

pub fn client_ip(
    headers: &HeaderMap,
    peer: Option<SocketAddr>,
    trust_forwarded_for: bool,
) -> Option<IpAddr> {
    if trust_forwarded_for {
        let forwarded = headers
            .get("x-forwarded-for")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.split(',').next())
            .and_then(|v| v.trim().parse().ok());
        if forwarded.is_some() {
            return forwarded;
        }
    }
    peer.map(|p| p.ip())
}

impl FromRequest<AppState> for ApiCall {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &AppState) -> Result<Self, Self::Rejection> {
        if state.config.maintenance {
            return Err(ErrorCode::Maintenance.into());
        }
        let now = Instant::now();
        let peer = req
            .extensions()
            .get::<ConnectInfo<SocketAddr>>()
            .map(|c| c.0);
        let ip = client_ip(req.headers(), peer, state.config.trust_forwarded_for);
        if let Some(ip) = ip {
            state
                .ip_limiter
                .check(&ip, state.config.ip_requests_per_second, now)
                .map_err(|wait| {
                    ApiError::retry_after(ErrorCode::IpLimit, retry_after_secs(wait))
                })?;
        }
        let credentials = parse_basic(req.headers().get(header::AUTHORIZATION))?;
        let tenant = state.auth.authenticate(&credentials).await?;
        let settings = tenant.settings.clone();
        state
            .tenant_limiter
            .check(&tenant.tenant_id, settings.requests_per_second, now)
            .map_err(|wait| ApiError::retry_after(ErrorCode::Throughput, retry_after_secs(wait)))?;
        if let Some(ip) = ip {
            state
                .tenant_ip_limiter
                .check(
                    &(tenant.tenant_id, ip),
                    settings.requests_per_second_per_ip,
                    now,
                )
                .map_err(|wait| {
                    ApiError::retry_after(ErrorCode::IpLimit, retry_after_secs(wait))
                })?;
        }
        let permit = state
            .concurrency
            .try_acquire(tenant.tenant_id, settings.max_concurrent_requests)
            .map_err(|_| ApiError::retry_after(ErrorCode::ConcurrencyLimit, 1))?;

        let limit = usize::try_from(settings.max_request_bytes).unwrap_or(usize::MAX);
        let declared = req
            .headers()
            .get(header::CONTENT_LENGTH)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.parse::<u64>().ok());
        if declared.is_some_and(|n| n > settings.max_request_bytes) {
            return Err(ErrorCode::RequestTooLarge.into());
        }
        let content_type = req
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned);
        let query = req.uri().query().map(str::to_owned);
        let body = axum::body::to_bytes(req.into_body(), limit)
            .await
            .map_err(|err| {
                let too_large = err.into_inner().is::<http_body_util::LengthLimitError>();
                ApiError::new(if too_large {
                    ErrorCode::RequestTooLarge
                } else {
                    ErrorCode::Syntax
                })
            })?;
        let params = Params::from_request(content_type.as_deref(), &body, query.as_deref())?;
        Ok(ApiCall {
            tenant,
            params,
            _permit: permit,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn forwarded_for_is_used_only_when_trusted() {
        let mut headers = HeaderMap::new();
        headers.insert("x-forwarded-for", "203.0.113.7, 10.0.0.1".parse().unwrap());
        let peer = Some(SocketAddr::from(([127, 0, 0, 1], 5000)));
        assert_eq!(
            client_ip(&headers, peer, true),
            Some("203.0.113.7".parse().unwrap())
        );
        assert_eq!(
            client_ip(&headers, peer, false),
            Some("127.0.0.1".parse().unwrap())
        );
        assert_eq!(
            client_ip(&HeaderMap::new(), peer, true),
            Some("127.0.0.1".parse().unwrap())
        );
    }
}
