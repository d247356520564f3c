//! The window's service: opens the data attributes into a sign-in on the sign-in domain
//! (`crate::signin`), decides the window's next step from the sign-in's state, runs attempts,
//! and mints the one-time Verify code the page receives when the sign-in completes.
//!
//! A window's session is a sign-in. Its browser token is the sign-in's `client_token`
//! followed by a MAC of the sign-in id under the server's pepper, so a token the back end got
//! from `POST /v1/sign_ins` cannot drive a window (and mint Verify codes): only sign-ins the
//! window created can.

use keycadence_otp::payload::{self, AcceptPolicy, Flow, Purpose};
use keycadence_otp::{
    CodeBinding, FreshnessPolicy, RequestedVersion, UnixMillis, UserIdentifier, VerifyPayload,
};
use keycadence_signin::{Device, SignIn, SignInError, SignInStatus, Strategy, TextPurpose};
use subtle::ConstantTimeEq;

use super::error::WindowError;
use crate::app::AppState;
use crate::db::payload_uses::PayloadUse;
use crate::keyed_hash::keyed_hex;
use crate::otp::apps::VerifyApp;
use crate::signin::{self, CreateRequest, Loaded, SignInSnapshot, Submitted};

pub type WindowResult<T> = Result<T, WindowError>;

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

/// The window's half of a session token: a MAC of the sign-in id.
fn window_proof(state: &AppState, session: &str) -> String {
    keyed_hex(
        state.otp.pepper(),
        &[b"keycadence-server/verify-window/v1\0", session.as_bytes()],
    )
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
        .find_sign_in_policy(app.app_ref)
        .await?
        .ok_or(WindowError::NotEnabled)?;
    let settings = state
        .db
        .tenant_settings(stored.tenant_id)
        .await?
        .ok_or(WindowError::NotEnabled)?;
    let payload_use = PayloadUse {
        app_ref: app.app_ref,
        purpose: Purpose::Window.as_str(),
        token: accepted.replay_token,
        usable_until: i64::try_from(accepted.usable_until.0).unwrap_or(i64::MAX),
    };
    if !state.db.record_payload_use(&payload_use).await? {
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

/// Loads a window's sign-in for a request with `token` (both halves checked).
async fn load(state: &AppState, session: &str, token: &str) -> WindowResult<Loaded> {
    let (client_token, proof) = token
        .rsplit_once('.')
        .ok_or(signin::error::SignInFailure::TokenInvalid)?;
    let expected = window_proof(state, session);
    if !bool::from(proof.as_bytes().ct_eq(expected.as_bytes())) {
        return Err(signin::error::SignInFailure::TokenInvalid.into());
    }
    let loaded = signin::load_for_browser(state, session).await?;
    loaded.check_token(client_token)?;
    Ok(loaded)
}

/// The code strategy of the sign-in (e-mail before SMS).
fn code_strategy(s: &SignIn) -> Option<Strategy> {
    s.supported.iter().copied().find(|st| st.sends_code())
}

fn code_alive(s: &SignIn, strategy: Strategy, now: UnixMillis) -> bool {
    s.codes_sent
        .iter()
        .any(|(st, expiry)| *st == strategy && now < *expiry)
}

/// The window's next move for a sign-in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    Prepare(Strategy),
    Type,
    EnterCode,
}

/// First time (an enrolment to build): the code is sent first, then the texts are typed,
/// then the code proves the user and the texts are enrolled. Verification: a text to type
/// while typing is on offer (and the user did not ask for a code), else a code.
fn decide(s: &SignIn, now: UnixMillis, want_code: bool) -> Result<Decision, SignInError> {
    match s.status {
        SignInStatus::NeedsSecondFactor => {}
        SignInStatus::Complete => return Err(SignInError::AlreadyComplete),
        SignInStatus::Expired => return Err(SignInError::Expired),
        SignInStatus::Failed => return Err(SignInError::Failed),
    }
    let newest_open = |purpose: TextPurpose| {
        s.prompts
            .iter()
            .rev()
            .find(|p| p.purpose == purpose)
            .is_some_and(|p| !p.used)
    };
    let code = code_strategy(s);
    if let Some(enrolment) = &s.enrolment {
        let code = code.ok_or(SignInError::NoSecondFactor)?;
        if !code_alive(s, code, now) {
            return Ok(Decision::Prepare(code));
        }
        if newest_open(TextPurpose::Enrol) {
            return Ok(Decision::Type);
        }
        let issued = s
            .prompts
            .iter()
            .filter(|p| p.purpose == TextPurpose::Enrol)
            .count();
        return Ok(if issued < enrolment.texts as usize {
            Decision::Prepare(Strategy::Typing)
        } else {
            Decision::EnterCode
        });
    }
    let on_code = s
        .verification
        .as_ref()
        .is_some_and(|v| v.strategy.sends_code());
    if s.supported.contains(&Strategy::Typing) && !want_code && !on_code {
        return Ok(if newest_open(TextPurpose::Verify) {
            Decision::Type
        } else {
            Decision::Prepare(Strategy::Typing)
        });
    }
    let code = code.ok_or(SignInError::Failed)?;
    Ok(if code_alive(s, code, now) {
        Decision::EnterCode
    } else {
        Decision::Prepare(code)
    })
}

/// What the window shows next.
#[derive(Clone, Debug)]
pub enum WindowStep {
    /// A text to type or a code to enter. After an attempt, `attempt` holds why it failed
    /// (`None` when the step follows no attempt).
    Show {
        sign_in: Box<SignInSnapshot>,
        decision: Decision,
        attempt: Option<Option<SignInError>>,
    },
    /// The sign-in completed: the Verify code the page receives.
    Done { otp: String },
}

/// The window's next step, preparing what it needs (a code sent, a text issued).
pub async fn next(
    state: &AppState,
    session: &str,
    token: &str,
    want_code: bool,
) -> WindowResult<WindowStep> {
    // At most: send the code, issue a text, show it.
    for _ in 0..3 {
        let loaded = load(state, session, token).await?;
        let now = state.clock.now();
        let s = loaded.record.state.at(now);
        match decide(&s, now, want_code)? {
            Decision::Prepare(strategy) => {
                signin::prepare(state, loaded, strategy).await?;
            }
            shown => {
                return Ok(WindowStep::Show {
                    sign_in: Box::new(SignInSnapshot {
                        id: session.to_string(),
                        record: loaded.record,
                        at: now,
                    }),
                    decision: shown,
                    attempt: None,
                });
            }
        }
    }
    Err(WindowError::Internal(
        "the window's next step did not settle".into(),
    ))
}

/// An attempt: a typed pattern or a code. A completed sign-in mints the Verify code the page
/// receives; otherwise the next step, with `notice` saying why the attempt failed.
pub async fn attempt(
    state: &AppState,
    session: &str,
    token: &str,
    given: Submitted,
) -> WindowResult<WindowStep> {
    let loaded = load(state, session, token).await?;
    let s = loaded.record.state.at(state.clock.now());
    let strategy = match &given {
        Submitted::Pattern(_) => Strategy::Typing,
        Submitted::Code(_) => s
            .verification
            .as_ref()
            .map(|v| v.strategy)
            .filter(|st| st.sends_code())
            .or_else(|| s.codes_sent.first().map(|(st, _)| *st))
            .ok_or(SignInError::NotPrepared)?,
    };
    let record = loaded.record.clone();
    let app = loaded.app.clone();
    let attempted = signin::attempt(state, loaded, strategy, given).await?;
    let after = attempted.record.state.at(attempted.at);
    match after.status {
        SignInStatus::Complete => {
            let otp = mint(state, &app, &record).await?;
            Ok(WindowStep::Done { otp })
        }
        SignInStatus::NeedsSecondFactor => {
            let failed = after.verification.and_then(|v| v.error);
            match next(state, session, token, false).await? {
                WindowStep::Show {
                    sign_in, decision, ..
                } => Ok(WindowStep::Show {
                    sign_in,
                    decision,
                    attempt: Some(failed),
                }),
                done => Ok(done),
            }
        }
        _ => Err(SignInError::Failed.into()),
    }
}

/// Issues the user's Verify code (the one `/otp/validate` checks), as `/otp/send` would but
/// without delivering it: the window hands it to the page.
async fn mint(
    state: &AppState,
    app: &VerifyApp,
    record: &signin::SignInRecord,
) -> WindowResult<String> {
    let user = match (&record.contact.email, &record.contact.phone) {
        (Some(email), _) => UserIdentifier::Email(email.clone()),
        (None, Some(phone)) => UserIdentifier::Phone(phone.clone()),
        (None, None) => UserIdentifier::Id(record.user_id.clone()),
    };
    let otp = &state.otp;
    let user_key = otp.user_key(&app.application_id, &user);
    let _user = otp.lock_user(app.app_ref, &user_key).await;
    let (current, version): (keycadence_otp::OtpRecord, _) =
        match state.db.load_otp_record(app.app_ref, &user_key).await? {
            Some(stored) => (serde_json::from_str(&stored.json)?, Some(stored.version)),
            None => (Default::default(), None),
        };
    let binding = CodeBinding::new(&app.application_id, &user);
    // A minted code is delivered to nobody, so it does not count among the user's sends (they
    // cap deliveries; the window's own e-mails and SMS count in the sign-in). A locked-out
    // user gets none.
    let unsent = keycadence_otp::OtpRecord {
        sends: Default::default(),
        ..current.clone()
    };
    let issued = app
        .codes
        .issue(&unsent, &binding, state.clock.now(), &mut rand::rngs::OsRng)
        .map_err(|_| WindowError::TooManyCodes)?;
    let next = keycadence_otp::OtpRecord {
        sends: current.sends,
        ..issued.next
    };
    let json = serde_json::to_string(&next)?;
    if !state
        .db
        .swap_otp_record(app.app_ref, &user_key, version, &json)
        .await?
    {
        return Err(WindowError::Internal(
            "another instance changed the user's code record".into(),
        ));
    }
    Ok(issued.code.as_str().to_string())
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
