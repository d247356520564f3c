//! Sign-in second factors (issue 12) on top of the sans-IO `keycadence-signin` crate: one API
//! that tries typing first and falls back to one-time codes, shaped like Clerk's second factor.
//!
//! | route | caller | does |
//! |---|---|---|
//! | `POST /v1/sign_ins` | back end (API key) | create a sign-in for a user of an application; answers the browser token once |
//! | `GET /v1/sign_ins/{sign_in}` | back end (API key) | read it (`status` tells whether the second factor passed) |
//! | `POST /v1/sign_ins/{sign_in}/prepare_second_factor` | browser (token) | a text to type, or send a code |
//! | `POST /v1/sign_ins/{sign_in}/attempt_second_factor` | browser (token) | a type 2 pattern or a code |
//!
//! The browser's token is bound to one sign-in and stored only as a SHA-256; the browser
//! routes answer cross-origin requests only from the application's registered domain.
//! Each change loads the row, passes it through the state machine and stores it back with a
//! compare-and-swap on its version, so concurrent attempts cannot exceed a limit: one wins,
//! the others answer `contended` and change nothing.
//!
//! Codes: e-mail and SMS codes are the application's Verify codes (length, lifetime, sends),
//! bound to the sign-in and the strategy, so a code of another sign-in is simply wrong; TOTP
//! and backup codes are the user's TOTP factors and backup codes of the TOTP service named at
//! creation.

mod attempts;
mod codes;
pub mod error;
pub mod routes;
pub mod store;
pub mod typing;
pub mod wire;

use std::collections::HashSet;
use std::sync::Arc;

use keycadence_core::matcher::Quality;
use keycadence_core::pattern::PatternKind;
use keycadence_otp::{
    BackupCodeSet, FactorStatus, OtpRecord, TotpFactor, UnixMillis, UserIdentifier, VerifyPayload,
};
use keycadence_signin::{
    phrases, Device, FirstFactorTyping, Policy, PrepareStep, Prepared, SignIn, Strategy,
    UserFactors,
};
use rand::RngCore;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

use crate::app::AppState;
use crate::auth::Tenant;
use crate::db::enrolments::Booking;
use crate::domain::{matching, submission};
use crate::otp::apps::VerifyApp;
use crate::settings::TenantSettings;
pub use attempts::{attempt, Submitted};
use codes::send_code;
use error::SignInFailure;
use store::{NewSignIn, StoredSignIn};

pub type SignInResult<T> = Result<T, SignInFailure>;

/// Recent texts of a user whose words are kept out of the next text.
const RECENT_TEXTS: i64 = 5;
/// Tries at a text nobody was given before (a clash is rare: the list makes ~10^9 texts).
const TEXT_TRIES: usize = 8;
/// Longest code accepted for checking (anything longer is malformed, not a guess).
const MAX_CODE_CHARS: usize = 32;

/// The TOTP entity whose factors and backup codes serve this sign-in.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TotpEntity {
    pub service_ref: i64,
    pub identity: String,
}

/// Where codes go, given by the back end at creation (normalised).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Contact {
    pub email: Option<String>,
    pub phone: Option<String>,
    pub totp: Option<TotpEntity>,
}

/// What a sign-in row holds.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct SignInRecord {
    pub state: SignIn,
    pub user_id: String,
    pub application_id: String,
    pub contact: Contact,
    /// The live e-mail and SMS codes of this sign-in (Verify code records: hashes only).
    #[serde(default)]
    pub email_code: OtpRecord,
    #[serde(default)]
    pub phone_code: OtpRecord,
}

/// A sign-in as it stands at `at`: what the services answer, shown by `wire::view`.
#[derive(Clone, Debug)]
pub struct SignInSnapshot {
    pub id: String,
    pub record: SignInRecord,
    pub at: UnixMillis,
}

/// What the back end asks for.
pub struct CreateRequest {
    pub application_id: String,
    pub user_id: String,
    pub email: Option<String>,
    pub phone_number: Option<String>,
    pub country_code: Option<String>,
    pub totp_service: Option<String>,
    pub totp_identity: Option<String>,
    pub device: Device,
    /// The type 1 pattern of the first factor's text (the invisible second factor).
    pub first_factor_pattern: Option<String>,
}

fn random_hex(bytes: usize) -> String {
    let mut raw = vec![0u8; bytes];
    rand::rngs::OsRng.fill_bytes(&mut raw);
    hex::encode(raw)
}

fn sha256_hex(text: &str) -> String {
    hex::encode(Sha256::digest(text.as_bytes()))
}

fn quality(policy: &Policy) -> Quality {
    Quality::from_api(policy.typing_quality.into()).unwrap_or_default()
}

/// The application by id, if it is active.
async fn active_app(state: &AppState, application_id: &str) -> SignInResult<Arc<VerifyApp>> {
    let otp = &state.otp;
    otp.apps
        .find(&state.db, &otp.sealer, otp.pepper(), application_id)
        .await
        .map_err(|err| SignInFailure::Internal(format!("application: {err}")))?
        .filter(|app| !app.revoked)
        .ok_or(SignInFailure::ApplicationUnavailable)
}

/// Normalises an e-mail address or phone number as Verify codes do.
fn identifier(fields: VerifyPayload, name: &'static str) -> SignInResult<String> {
    let user = fields
        .identifiers()
        .map_err(|_| SignInFailure::BadParameter(name))?
        .primary();
    Ok(match user {
        UserIdentifier::Email(s) | UserIdentifier::Phone(s) | UserIdentifier::Id(s) => s,
    })
}

fn can_email(state: &AppState, app: &VerifyApp) -> bool {
    state.otp.delivery.has_smtp() && app.settings.email_from.is_some() && !app.settings.disable_rot
}

fn can_sms(app: &VerifyApp) -> bool {
    app.sms_account().is_some() && !app.settings.disable_rot
}

/// `POST /v1/sign_ins`: the sign-in and the browser token (shown only here).
pub async fn create(
    state: &AppState,
    tenant: &Tenant,
    request: CreateRequest,
) -> SignInResult<(SignInSnapshot, String)> {
    let (id, record, token) =
        create_for(state, tenant.tenant_id, &tenant.settings, request).await?;
    let at = state.clock.now();
    Ok((SignInSnapshot { id, record, at }, token))
}

/// Creates a sign-in of `tenant_id`'s user (the application must be enabled for that tenant):
/// its id, record and browser token. The Verify window creates its sign-ins this way, with the
/// tenant the application is bound to.
pub async fn create_for(
    state: &AppState,
    tenant_id: i64,
    settings: &TenantSettings,
    request: CreateRequest,
) -> SignInResult<(String, SignInRecord, String)> {
    let app = active_app(state, &request.application_id).await?;
    let policy = match state.db.sign_in_policies().find(app.app_ref).await? {
        Some(stored) if stored.tenant_id == tenant_id => {
            serde_json::from_str::<Policy>(&stored.policy)?
        }
        _ => return Err(SignInFailure::ApplicationUnavailable),
    };
    let user_id = crate::user_id::validate(&request.user_id, settings.reject_contact_like_user_ids)
        .map_err(|_| SignInFailure::BadParameter("user_id"))?;
    let mut contact = Contact::default();
    if let Some(email) = request.email {
        let fields = VerifyPayload {
            email: Some(email),
            ..VerifyPayload::default()
        };
        contact.email = Some(identifier(fields, "email")?);
    }
    if let Some(number) = request.phone_number {
        let fields = VerifyPayload {
            phone_number: Some(number),
            country_code: request.country_code,
            ..VerifyPayload::default()
        };
        contact.phone = Some(identifier(fields, "phone_number")?);
    }
    let mut factors = UserFactors {
        email: contact.email.is_some() && can_email(state, &app),
        phone: contact.phone.is_some() && can_sms(&app),
        ..UserFactors::default()
    };
    match (request.totp_service, request.totp_identity) {
        (None, None) => {}
        (Some(sid), Some(identity)) => {
            let service = state
                .db
                .totp()
                .find_service(tenant_id, &sid)
                .await?
                .ok_or(SignInFailure::UnknownTotpService)?;
            let entity = TotpEntity {
                service_ref: service.service_ref,
                identity,
            };
            factors.totp = !verified_factors(state, &entity).await?.is_empty();
            factors.backup_codes = match state
                .db
                .backup_codes()
                .load(entity.service_ref, &entity.identity)
                .await?
            {
                Some(stored) => {
                    let set: BackupCodeSet = serde_json::from_str(&stored.json)?;
                    u32::try_from(set.remaining()).unwrap_or(u32::MAX)
                }
                None => 0,
            };
            contact.totp = Some(entity);
        }
        (None, Some(_)) => return Err(SignInFailure::BadParameter("totp_service")),
        (Some(_), None) => return Err(SignInFailure::BadParameter("totp_identity")),
    }
    let mobile = request.device == Device::Mobile;
    let enrolled = state
        .db
        .type2_enrolments(
            tenant_id,
            &user_id,
            mobile,
            settings.max_patterns_per_bucket.max(1),
        )
        .await?;
    factors.typing_enrolments = u32::try_from(enrolled.len()).unwrap_or(u32::MAX);
    let first_factor = match &request.first_factor_pattern {
        Some(tp) if policy.typing_on(request.device) => {
            first_factor_typing(state, tenant_id, settings, &user_id, tp, mobile, &policy).await?
        }
        _ => FirstFactorTyping::NotGiven,
    };
    let now = state.clock.now();
    let signin = SignIn::create(&policy, request.device, factors, first_factor, now)?;
    let id = format!("sia_{}", random_hex(16));
    let token = random_hex(32);
    let record = SignInRecord {
        state: signin,
        user_id,
        application_id: app.application_id.clone(),
        contact,
        email_code: OtpRecord::default(),
        phone_code: OtpRecord::default(),
    };
    state
        .db
        .sign_ins()
        .insert(
            &NewSignIn {
                id: &id,
                tenant_id,
                app_ref: app.app_ref,
                user_id: &record.user_id,
                token_hash: &sha256_hex(&token),
                record: &serde_json::to_string(&record)?,
                expire_at: i64::try_from(record.state.expire_at.0).unwrap_or(i64::MAX),
            },
            i64::try_from(now.0).unwrap_or(i64::MAX),
        )
        .await?;
    Ok((id, record, token))
}

/// The invisible second factor: the first factor's type 1 pattern against the user's
/// enrolment of that text. Replays (a pattern enrolled or verified before) do not match.
async fn first_factor_typing(
    state: &AppState,
    tenant_id: i64,
    settings: &TenantSettings,
    user_id: &str,
    tp: &str,
    mobile: bool,
    policy: &Policy,
) -> SignInResult<FirstFactorTyping> {
    let submission = submission::parse(tp).map_err(|_| SignInFailure::PatternInvalid)?;
    if submission.patterns.len() != 1 || submission.patterns[0].kind() != PatternKind::SameText {
        return Err(SignInFailure::PatternInvalid);
    }
    if submission.bucket.is_mobile != mobile {
        return Err(SignInFailure::DeviceMismatch);
    }
    let Some(enrolled) = state
        .db
        .patterns()
        .enrolled(
            tenant_id,
            user_id,
            submission.bucket,
            settings.max_patterns_per_bucket,
        )
        .await?
    else {
        return Ok(FirstFactorTyping::NotGiven);
    };
    if enrolled.patterns.len() < policy.min_enrolments as usize {
        return Ok(FirstFactorTyping::NotGiven);
    }
    let booked = state
        .db
        .book_verification(
            Booking {
                user_id: enrolled.user_id,
                digests: submission.digests(),
                replay_protection: true,
                daily_cap: 0,
                record_use: true,
            },
            state.clock.now_millis(),
        )
        .await?;
    if booked.is_err() {
        return Ok(FirstFactorTyping::NotMatched);
    }
    let matched = matching::compare(
        &enrolled.patterns,
        &submission.patterns,
        policy.typing_quality.into(),
    )
    .is_ok_and(|v| v.result);
    Ok(if matched {
        FirstFactorTyping::Matched
    } else {
        FirstFactorTyping::NotMatched
    })
}

/// The entity's verified TOTP factors: (factor sid, row ref, version, factor).
async fn verified_factors(
    state: &AppState,
    entity: &TotpEntity,
) -> SignInResult<Vec<(String, i64, i64, TotpFactor)>> {
    let mut verified = Vec::new();
    for stored in state
        .db
        .totp()
        .list_factors(entity.service_ref, &entity.identity)
        .await?
    {
        let factor: TotpFactor = serde_json::from_str(&stored.state.json)?;
        if factor.status == FactorStatus::Verified {
            verified.push((stored.sid, stored.factor_ref, stored.state.version, factor));
        }
    }
    Ok(verified)
}

/// `GET /v1/sign_ins/{id}` for the tenant that created it.
pub async fn read(state: &AppState, tenant: &Tenant, id: &str) -> SignInResult<SignInSnapshot> {
    let stored = state
        .db
        .sign_ins()
        .find(id)
        .await?
        .filter(|s| s.tenant_id == tenant.tenant_id)
        .ok_or(SignInFailure::NotFound)?;
    let record: SignInRecord = serde_json::from_str(&stored.record)?;
    Ok(SignInSnapshot {
        id: stored.id,
        record,
        at: state.clock.now(),
    })
}

/// A sign-in loaded for a browser request: its row, record and application.
pub struct Loaded {
    pub stored: StoredSignIn,
    pub record: SignInRecord,
    pub app: Arc<VerifyApp>,
}

/// Loads a sign-in for a browser request (the token is checked after the origin, so that a
/// refusal of the token still reaches the page).
pub async fn load_for_browser(state: &AppState, id: &str) -> SignInResult<Loaded> {
    let stored = state
        .db
        .sign_ins()
        .find(id)
        .await?
        .ok_or(SignInFailure::NotFound)?;
    let record: SignInRecord = serde_json::from_str(&stored.record)?;
    let app = active_app(state, &record.application_id).await?;
    Ok(Loaded {
        stored,
        record,
        app,
    })
}

impl Loaded {
    /// This sign-in with `record`, as it stands at `at`.
    fn snapshot(self, record: SignInRecord, at: UnixMillis) -> SignInSnapshot {
        SignInSnapshot {
            id: self.stored.id,
            record,
            at,
        }
    }

    /// The request's token is this sign-in's (compared by its hash).
    pub fn check_token(&self, token: &str) -> SignInResult<()> {
        let presented = sha256_hex(token);
        if bool::from(
            presented
                .as_bytes()
                .ct_eq(self.stored.token_hash.as_bytes()),
        ) {
            Ok(())
        } else {
            Err(SignInFailure::TokenInvalid)
        }
    }
}

/// Stores the record if the row is unchanged since it was loaded.
async fn save(state: &AppState, loaded: &Loaded, record: &SignInRecord) -> SignInResult<()> {
    let json = serde_json::to_string(record)?;
    if state
        .db
        .sign_ins()
        .swap(&loaded.stored.id, loaded.stored.version, &json)
        .await?
    {
        Ok(())
    } else {
        Err(SignInFailure::Contended)
    }
}

/// `prepare_second_factor`.
pub async fn prepare(
    state: &AppState,
    loaded: Loaded,
    strategy: Strategy,
) -> SignInResult<SignInSnapshot> {
    let now = state.clock.now();
    let mut record = loaded.record.clone();
    let prepared = match record.state.admit_prepare(now, strategy)? {
        PrepareStep::Text(_) => new_text(state, &loaded).await?,
        PrepareStep::SendCode => send_code(state, &loaded, &mut record, strategy, now).await?,
        PrepareStep::Nothing => Prepared::Nothing,
    };
    record.state = record.state.record_prepare(now, strategy, prepared)?;
    save(state, &loaded, &record).await?;
    Ok(loaded.snapshot(record, now))
}

/// A text nobody was given before, without the words of the user's recent texts.
async fn new_text(state: &AppState, loaded: &Loaded) -> SignInResult<Prepared> {
    let (tenant_id, user_id) = (loaded.stored.tenant_id, &loaded.record.user_id);
    let recent_texts = state
        .db
        .sign_in_texts()
        .recent(tenant_id, user_id, RECENT_TEXTS)
        .await?;
    let mut recent: HashSet<&str> = recent_texts.iter().flat_map(|t| t.split(' ')).collect();
    recent.extend(loaded.record.state.texts().flat_map(|t| t.split(' ')));
    for _ in 0..TEXT_TRIES {
        let text = phrases::generate(&mut rand::rngs::OsRng, &recent);
        if state
            .db
            .sign_in_texts()
            .claim(&text, tenant_id, user_id, state.clock.now_millis())
            .await?
        {
            let text_id = keycadence_core::text_id::text_id(&text);
            return Ok(Prepared::Text { text, text_id });
        }
    }
    Err(SignInFailure::Internal(
        "no unused text after several tries".into(),
    ))
}
