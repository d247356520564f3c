//! Opening the window: the data attributes (application, payload, page origin) checked and
//! turned into a new sign-in of the user, whose session token the page receives.

use keycadence_otp::payload::{self, AcceptPolicy, Flow, Purpose};
use keycadence_otp::{FreshnessPolicy, RequestedVersion, UserIdentifier, VerifyPayload};
use keycadence_signin::Device;

use super::error::WindowError;
use super::service::{window_proof, WindowResult};
use crate::app::AppState;
use crate::db::payload_uses::PayloadUse;
use crate::keyed_hash::keyed_hex;
use crate::otp::apps::VerifyApp;
use crate::signin::{self, CreateRequest};

/// What opening the window was given (form fields or query parameters, and headers).
#[derive(Debug, Default)]
pub struct OpenRequest {
    pub client_id: Option<String>,
    pub application_id: Option<String>,
    pub payload: Option<String>,
    /// The page's origin as the front-end script states it.
    pub origin: Option<String>,
    /// The `Origin` header (sent by browsers with a POST).
    pub origin_header: Option<String>,
    /// Opened in an iframe (not a pop-up).
    pub embedded: bool,
    pub user_agent: Option<String>,
}

/// What the page of an application may be told, once its origin is known to be the
/// application's.
#[derive(Debug, Clone, Default)]
pub struct Audience {
    pub domain: Option<String>,
    /// The page's exact origin (`scheme://host[:port]`), the only `targetOrigin` used.
    pub origin: Option<String>,
}

/// A window ready to run.
#[derive(Debug)]
pub struct OpenedWindow {
    pub session: String,
    pub token: String,
    pub flow: Flow,
    pub language: Option<String>,
    pub device: Device,
}

/// Mobile browsers, by their user agent (as Verify decides to send a code at once).
pub fn device_of(user_agent: Option<&str>) -> Device {
    let ua = user_agent.unwrap_or_default();
    let mobile = ["Mobi", "Android", "iPhone", "iPad", "iPod"]
        .iter()
        .any(|marker| ua.contains(marker));
    if mobile {
        Device::Mobile
    } else {
        Device::Desktop
    }
}

/// The page's origin when its host is the application's domain: the origin the browser sent
/// wins over the one the script states, and they must agree when both are there. `http` is
/// allowed (development hosts); the front-end script withholds the callback outside secure
/// contexts.
pub fn page_origin(
    claimed: Option<&str>,
    header: Option<&str>,
    domain: &str,
) -> Result<String, WindowError> {
    let normalise = |text: &str| -> Option<(String, String)> {
        let text = text.trim();
        let (scheme, rest) = text.split_once("://")?;
        let scheme = scheme.to_ascii_lowercase();
        if !matches!(scheme.as_str(), "http" | "https") || rest.is_empty() || rest.contains('/') {
            return None;
        }
        let rest = rest.to_ascii_lowercase();
        let host = match rest.rsplit_once(':') {
            Some((host, port)) if !port.is_empty() && port.bytes().all(|b| b.is_ascii_digit()) => {
                host.to_string()
            }
            _ => rest.clone(),
        };
        Some((format!("{scheme}://{rest}"), host))
    };
    let stated = match (header, claimed) {
        (Some(h), Some(c)) if normalise(h).map(|o| o.0) != normalise(c).map(|o| o.0) => {
            return Err(WindowError::OriginNotRegistered {
                origin: h.trim().to_string(),
                domain: domain.to_string(),
            })
        }
        (Some(h), _) => h,
        (None, Some(c)) => c,
        (None, None) => return Err(WindowError::OriginMissing),
    };
    match normalise(stated) {
        Some((origin, host)) if host == domain.to_ascii_lowercase() => Ok(origin),
        _ => Err(WindowError::OriginNotRegistered {
            origin: stated.trim().chars().take(200).collect(),
            domain: domain.to_string(),
        }),
    }
}

/// The typing user of an e-mail address or phone number: a pseudonym, so enrolments name no
/// address; the same in every application of the tenant (enrolled once, as Verify's federated
/// mode). An `id` (root of trust disabled) is the user id itself.
fn typing_user(state: &AppState, user: &UserIdentifier) -> String {
    match user {
        UserIdentifier::Id(id) => id.clone(),
        other => {
            let name = keyed_hex(
                state.otp.pepper(),
                &[
                    b"keycadence-server/verify-window-user/v1\0",
                    other.key().as_bytes(),
                ],
            );
            format!("verify-{}", &name[..40])
        }
    }
}

async fn find_app(
    state: &AppState,
    application_id: &str,
) -> WindowResult<std::sync::Arc<VerifyApp>> {
    let otp = &state.otp;
    otp.apps
        .find(&state.db, &otp.sealer, otp.pepper(), application_id)
        .await?
        .filter(|app| !app.revoked)
        .ok_or(WindowError::UnknownApplication)
}

/// Opens the window: the application (106/105), the page's origin (124), the payload (a 2.0
/// `window` payload, or 1.x where the application allows it; fresh, used once), then a new
/// sign-in of the user. `audience` is filled as soon as the page is known to be the
/// application's, so that refusals after that point can be reported to it.
pub async fn open(
    state: &AppState,
    request: OpenRequest,
    audience: &mut Audience,
) -> WindowResult<OpenedWindow> {
    let field = |value: &Option<String>| {
        value
            .as_deref()
            .map(str::trim)
            .filter(|v| !v.is_empty())
            .map(str::to_owned)
    };
    let (Some(client_id), Some(application_id)) =
        (field(&request.client_id), field(&request.application_id))
    else {
        return Err(WindowError::MissingFields);
    };
    let app = find_app(state, &application_id).await?;
    if app.client_id != client_id {
        return Err(WindowError::ClientMismatch);
    }
    audience.domain = Some(app.domain.clone());
    audience.origin = Some(page_origin(
        request.origin.as_deref(),
        request.origin_header.as_deref(),
        &app.domain,
    )?);
    let Some(sealed) = field(&request.payload) else {
        return Err(WindowError::MissingFields);
    };
    if state.config.recorder_script.is_none() {
        return Err(WindowError::RecorderMissing);
    }
    let policy = AcceptPolicy {
        purpose: Purpose::Window,
        legacy: app.settings.legacy_payloads,
        freshness: FreshnessPolicy::DATA_ATTRIBUTES,
    };
    // A 1.x key-cache miss derives a key (PBKDF2 or scrypt): off the async workers.
    let accepted = {
        let otp = state.otp.clone();
        let app = app.clone();
        let now = state.clock.now();
        tokio::task::spawn_blocking(move || {
            payload::open_for(
                &otp.payload_keys,
                &app.application_id,
                app.client_secret(),
                &sealed,
                RequestedVersion::Unstated,
                &policy,
                now,
            )
        })
        .await??
    };
    let fields = accepted.payload;
    let flow = fields.flow.unwrap_or(Flow::Standard);
    if flow == Flow::ShowOtp && request.embedded {
        return Err(WindowError::ShowOtpInIframe);
    }
    let user = fields.identifiers()?.primary();
    let stored = state
        .db
        .sign_in_policies()
        .find(app.app_ref)
        .await?
        .ok_or(WindowError::NotEnabled)?;
    let settings = state
        .db
        .tenants()
        .settings(stored.tenant_id)
        .await?
        .ok_or(WindowError::NotEnabled)?;
    let payload_use = PayloadUse {
        app_ref: app.app_ref,
        purpose: Purpose::Window.as_str(),
        token: accepted.replay_token,
        usable_until: i64::try_from(accepted.usable_until.0).unwrap_or(i64::MAX),
    };
    if !state.db.payload_uses().record(&payload_use).await? {
        return Err(keycadence_otp::PayloadError::Replayed.into());
    }
    let device = device_of(request.user_agent.as_deref());
    let VerifyPayload {
        email,
        phone_number,
        country_code,
        language,
        ..
    } = fields;
    let create = CreateRequest {
        application_id: app.application_id.clone(),
        user_id: typing_user(state, &user),
        email,
        phone_number,
        country_code,
        totp_service: None,
        totp_identity: None,
        device,
        first_factor_pattern: None,
    };
    let (session, _, client_token) =
        signin::create_for(state, stored.tenant_id, &settings, create).await?;
    let token = format!("{client_token}.{}", window_proof(state, &session));
    Ok(OpenedWindow {
        session,
        token,
        flow,
        language,
        device,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn origins_are_the_registered_domain_exactly() {
        let ok = |claimed: Option<&str>, header: Option<&str>| {
            page_origin(claimed, header, "shop.example.com")
        };
        assert_eq!(
            ok(Some("https://shop.example.com"), None).unwrap(),
            "https://shop.example.com"
        );
        assert_eq!(
            ok(None, Some("http://Shop.example.com:8080")).unwrap(),
            "http://shop.example.com:8080"
        );
        for bad in [
            "https://evil.example",
            "https://shop.example.com.evil.example",
            "https://evil.example/shop.example.com",
            "null",
            "javascript://shop.example.com",
        ] {
            assert!(ok(Some(bad), None).is_err(), "{bad}");
        }
        // The browser's Origin header is the truth when the script's claim differs.
        assert!(ok(
            Some("https://shop.example.com"),
            Some("https://evil.example")
        )
        .is_err());
        assert!(matches!(ok(None, None), Err(WindowError::OriginMissing)));
    }

    #[test]
    fn mobile_user_agents() {
        let iphone = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) Mobile/15E148";
        assert_eq!(device_of(Some(iphone)), Device::Mobile);
        let desktop = "Mozilla/5.0 (X11; Linux x86_64) Chrome/130.0 Safari/537.36";
        assert_eq!(device_of(Some(desktop)), Device::Desktop);
        assert_eq!(device_of(None), Device::Desktop);
    }
}
