//! Everything an API call goes through before its handler runs, in the order clients observe:
//! maintenance (45), per-IP limit (43), authentication (32/33), the tenant's limits
//! (52, 43, 37), the request size (42) and the parameters (31).

use std::net::{IpAddr, SocketAddr};

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
            clock: &state.clock,
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

/// The client's address for the per-IP limits. With `trusted_hops` proxies in front of the
/// server, each appending the address it saw to `X-Forwarded-For`, the entry `trusted_hops`
/// from the right is the address the outermost trusted proxy saw; entries left of it were
/// written by the client and are ignored. Fewer entries than hops: the leftmost (every entry
/// came from a trusted proxy). An entry that is not an address: the peer's address.
pub fn client_ip(
    headers: &HeaderMap,
    peer: Option<SocketAddr>,
    trusted_hops: u32,
) -> Option<IpAddr> {
    let peer_ip = peer.map(|p| p.ip());
    if trusted_hops == 0 {
        return peer_ip;
    }
    // Several header lines form one list, in order.
    let entries: Vec<&str> = headers
        .get_all("x-forwarded-for")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(str::trim)
        .collect();
    let Some(skip) = entries.len().checked_sub(1) else {
        return peer_ip;
    };
    let from_right = usize::try_from(trusted_hops - 1)
        .unwrap_or(usize::MAX)
        .min(skip);
    let entry = entries[entries.len() - 1 - from_right];
    parse_forwarded_address(entry).or(peer_ip)
}

/// `203.0.113.7`, `2001:db8::1`, or either with a port (`[2001:db8::1]:443`).
fn parse_forwarded_address(entry: &str) -> Option<IpAddr> {
    entry
        .parse::<IpAddr>()
        .or_else(|_| entry.parse::<SocketAddr>().map(|a| a.ip()))
        .ok()
}

impl FromRequest<AppState> for ApiCall {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &AppState) -> Result<Self, Self::Rejection> {
        if state.config.maintenance {
            return Err(ErrorCode::Maintenance.into());
        }
        let peer = req
            .extensions()
            .get::<ConnectInfo<SocketAddr>>()
            .map(|c| c.0);
        let ip = client_ip(req.headers(), peer, state.config.trusted_proxy_hops);
        if let Some(ip) = ip {
            state
                .ip_limiter
                .check(&ip, state.config.ip_requests_per_second)
                .map_err(|wait| {
                    ApiError::retry_after(ErrorCode::IpLimit, retry_after_secs(wait))
                })?;
        }
        let credentials = parse_basic(req.headers().get(header::AUTHORIZATION))?;
        let tenant = state.auth.authenticate(&credentials).await?;
        let settings = tenant.settings.clone();
        state
            .tenant_limiter
            .check(&tenant.tenant_id, settings.requests_per_second)
            .map_err(|wait| ApiError::retry_after(ErrorCode::Throughput, retry_after_secs(wait)))?;
        if let Some(ip) = ip {
            state
                .tenant_ip_limiter
                .check(&(tenant.tenant_id, ip), settings.requests_per_second_per_ip)
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
        let ip = |text: &str| Some(text.parse::<IpAddr>().unwrap());
        // One hop: the address our proxy saw (it appended it last).
        assert_eq!(client_ip(&headers, peer, 1), ip("10.0.0.1"));
        assert_eq!(client_ip(&headers, peer, 2), ip("203.0.113.7"));
        assert_eq!(client_ip(&headers, peer, 0), ip("127.0.0.1"));
        assert_eq!(client_ip(&HeaderMap::new(), peer, 1), ip("127.0.0.1"));
    }

    #[test]
    fn client_written_entries_are_ignored_and_odd_entries_fall_back_to_the_peer() {
        let peer = Some(SocketAddr::from(([127, 0, 0, 1], 5000)));
        let ip = |text: &str| Some(text.parse::<IpAddr>().unwrap());
        let mut headers = HeaderMap::new();
        headers.append("x-forwarded-for", "1.1.1.1, 2.2.2.2".parse().unwrap());
        headers.append("x-forwarded-for", "198.51.100.9".parse().unwrap());
        assert_eq!(client_ip(&headers, peer, 1), ip("198.51.100.9"));
        assert_eq!(client_ip(&headers, peer, 2), ip("2.2.2.2"));
        assert_eq!(
            client_ip(&headers, peer, 9),
            ip("1.1.1.1"),
            "fewer entries than hops"
        );
        let mut headers = HeaderMap::new();
        headers.insert("x-forwarded-for", "[2001:db8::1]:443".parse().unwrap());
        assert_eq!(client_ip(&headers, peer, 1), ip("2001:db8::1"));
        headers.insert("x-forwarded-for", "1.2.3.4, unknown".parse().unwrap());
        assert_eq!(client_ip(&headers, peer, 1), ip("127.0.0.1"));
    }
}
