//! Verify clients and applications (the integrator's credentials): a client has a `clientId` and a
//! secret (which, with the `applicationId` as salt, derives the payload key); an application has
//! its domain, its delivery gateways, its code settings and a reset-profile token. The client
//! secret and the SMS gateway token are stored sealed under the at-rest key; the reset-profile
//! token only as a SHA-256 (it is random and long, so a fast hash suffices).

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use keycadence_otp::payload::{AcceptPolicy, Purpose};
use keycadence_otp::{AttemptPolicy, FreshnessPolicy, OtpPolicy, OtpService, SealedSecret};
use keycadence_otp::{OtpConfigError, SecretSealer};
use rand::RngCore;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use zeroize::Zeroizing;

use crate::db::otp::{AppStoreError, NewApp, NewAppClient, StoredApp};
use crate::db::Db;

const DEFAULT_SUBJECT: &str = "Your verification code";

/// Per-application settings, stored as JSON (chosen by the flags of `apps create`,
/// `crate::cli::apps::AppFlags`, described there).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct AppSettings {
    pub email_from: Option<String>,
    pub email_subject: String,
    pub sms_account_sid: Option<String>,
    pub sms_from: Option<String>,
    pub disable_rot: bool,
    pub code_length: u8,
    pub code_lifetime_seconds: u64,
    pub max_failed_attempts: u32,
    pub lockout_seconds: u64,
    pub max_sends: u32,
    pub send_window_seconds: u64,
    pub payload_max_age_seconds: u64,
    pub legacy_payloads: bool,
    pub echo_codes: bool,
}

impl Default for AppSettings {
    fn default() -> Self {
        let policy = OtpPolicy::default();
        AppSettings {
            email_from: None,
            email_subject: DEFAULT_SUBJECT.to_string(),
            sms_account_sid: None,
            sms_from: None,
            disable_rot: false,
            code_length: policy.code_length,
            code_lifetime_seconds: policy.lifetime.as_secs(),
            max_failed_attempts: policy.attempts.max_failures,
            lockout_seconds: policy.attempts.lockout.as_secs(),
            max_sends: policy.max_sends,
            send_window_seconds: policy.send_window.as_secs(),
            payload_max_age_seconds: FreshnessPolicy::BACKEND_CALL.max_age.as_secs(),
            legacy_payloads: false,
            echo_codes: false,
        }
    }
}

impl AppSettings {
    pub fn policy(&self) -> OtpPolicy {
        OtpPolicy {
            code_length: self.code_length,
            lifetime: Duration::from_secs(self.code_lifetime_seconds),
            attempts: AttemptPolicy {
                max_failures: self.max_failed_attempts,
                lockout: Duration::from_secs(self.lockout_seconds),
            },
            max_sends: self.max_sends,
            send_window: Duration::from_secs(self.send_window_seconds),
        }
    }

    /// How `/otp/send` and `/otp/validate` accept payloads.
    pub fn backend_payloads(&self) -> AcceptPolicy {
        AcceptPolicy {
            purpose: Purpose::Backend,
            legacy: self.legacy_payloads,
            freshness: FreshnessPolicy {
                max_age: Duration::from_secs(self.payload_max_age_seconds),
                ..FreshnessPolicy::BACKEND_CALL
            },
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum AppError {
    #[error("the domain {0:?} is not a host name")]
    BadDomain(String),
    #[error("--email-from {0:?} is not an e-mail address")]
    BadSender(String),
    #[error("--sms-account-sid must be letters and digits")]
    BadAccountSid,
    #[error("--sms-account-sid, --sms-auth-token and --sms-from go together")]
    IncompleteSms,
    #[error("--payload-max-age-seconds must be positive")]
    ZeroPayloadAge,
    #[error(transparent)]
    Policy(#[from] OtpConfigError),
    #[error("the stored secret of client {client_id} does not open: {source}")]
    Sealed {
        client_id: String,
        #[source]
        source: keycadence_otp::AtRestError,
    },
    #[error("stored settings of application {application_id} are unreadable: {source}")]
    StoredSettings {
        application_id: String,
        #[source]
        source: serde_json::Error,
    },
    #[error(transparent)]
    Store(#[from] AppStoreError),
    #[error(transparent)]
    Db(#[from] sqlx::Error),
}

/// What `apps create` asks for.
pub struct CreateApp {
    /// Add the application to this existing client instead of creating a client.
    pub client_id: Option<String>,
    pub domain: String,
    pub settings: AppSettings,
    pub sms_auth_token: Option<String>,
}

/// What `apps create` shows once.
pub struct CreatedApp {
    pub client_id: String,
    pub application_id: String,
    /// The new client's secret; `None` when the application joined an existing client.
    pub secret: Option<Zeroizing<String>>,
    pub reset_token: Zeroizing<String>,
}

fn random_hex(bytes: usize) -> Zeroizing<String> {
    let mut raw = Zeroizing::new(vec![0u8; bytes]);
    rand::rngs::OsRng.fill_bytes(&mut raw);
    Zeroizing::new(hex::encode(&*raw))
}

pub fn reset_token_hash(token: &str) -> String {
    hex::encode(Sha256::digest(token.trim().as_bytes()))
}

fn client_context(client_id: &str) -> Vec<u8> {
    format!("keycadence-server/verify-client/{client_id}").into_bytes()
}

fn sms_token_context(application_id: &str) -> Vec<u8> {
    format!("keycadence-server/sms-token/{application_id}").into_bytes()
}

fn check_domain(domain: &str) -> Result<String, AppError> {
    let domain = domain.trim().trim_end_matches('.').to_ascii_lowercase();
    let label_ok = |l: &str| {
        !l.is_empty()
            && l.len() <= 63
            && !l.starts_with('-')
            && !l.ends_with('-')
            && l.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
    };
    // localhost and single-label hosts are allowed: development setups embed from them.
    if domain.is_empty() || domain.len() > 253 || !domain.split('.').all(label_ok) {
        return Err(AppError::BadDomain(domain));
    }
    Ok(domain)
}

/// Validates the settings and stores a new application (and client, unless one is given),
/// created now by the system clock (the command line's `apps create`).
pub async fn create_app(
    db: &Db,
    sealer: &SecretSealer,
    request: CreateApp,
) -> Result<CreatedApp, AppError> {
    let domain = check_domain(&request.domain)?;
    let settings = request.settings;
    if let Some(from) = &settings.email_from {
        from.parse::<lettre::message::Mailbox>()
            .map_err(|_| AppError::BadSender(from.clone()))?;
    }
    match (
        &settings.sms_account_sid,
        &request.sms_auth_token,
        &settings.sms_from,
    ) {
        (None, None, None) => {}
        (Some(sid), Some(_), Some(_)) => {
            if sid.is_empty() || !sid.chars().all(|c| c.is_ascii_alphanumeric()) {
                return Err(AppError::BadAccountSid);
            }
        }
        _ => return Err(AppError::IncompleteSms),
    }
    if settings.payload_max_age_seconds == 0 {
        return Err(AppError::ZeroPayloadAge);
    }
    // The policy's ranges are the crate's to check; the pepper here is only a placeholder.
    OtpService::new(
        settings.policy(),
        &[0; keycadence_otp::hashing::MIN_PEPPER_LEN],
    )?;

    let application_id = random_hex(16);
    let reset_token = random_hex(32);
    let mut rng = rand::rngs::OsRng;
    let (client_id, secret, sealed_secret) = match request.client_id {
        Some(existing) => (existing, None, None),
        None => {
            let client_id = random_hex(16).to_string();
            let secret = random_hex(16);
            let sealed = sealer.seal(secret.as_bytes(), &client_context(&client_id), &mut rng);
            (
                client_id,
                Some(secret),
                Some(hex::encode(sealed.as_bytes())),
            )
        }
    };
    let sealed_sms_token = request.sms_auth_token.as_ref().map(|token| {
        hex::encode(
            sealer
                .seal(
                    token.as_bytes(),
                    &sms_token_context(&application_id),
                    &mut rng,
                )
                .as_bytes(),
        )
    });
    let settings_json = serde_json::to_string(&settings).expect("settings always serialise");
    let client = match &sealed_secret {
        Some(sealed) => NewAppClient::New {
            client_id: &client_id,
            sealed_secret: sealed,
        },
        None => NewAppClient::Existing {
            client_id: &client_id,
        },
    };
    db.verify_apps()
        .insert(
            &NewApp {
                client,
                application_id: &application_id,
                domain: &domain,
                settings: &settings_json,
                sealed_sms_token: sealed_sms_token.as_deref(),
                reset_token_hash: &reset_token_hash(&reset_token),
            },
            crate::clock::now_millis(),
        )
        .await?;
    Ok(CreatedApp {
        client_id,
        application_id: application_id.to_string(),
        secret,
        reset_token,
    })
}

/// An application ready to serve requests: settings read, secrets opened.
pub struct VerifyApp {
    pub app_ref: i64,
    pub client_id: String,
    pub application_id: String,
    pub domain: String,
    pub settings: AppSettings,
    pub codes: OtpService,
    pub revoked: bool,
    client_secret: Zeroizing<String>,
    sms_auth_token: Option<Zeroizing<String>>,
}

impl VerifyApp {
    pub fn open(stored: StoredApp, sealer: &SecretSealer, pepper: &[u8]) -> Result<Self, AppError> {
        let settings: AppSettings =
            serde_json::from_str(&stored.settings).map_err(|source| AppError::StoredSettings {
                application_id: stored.application_id.clone(),
                source,
            })?;
        let sealed_error = |source| AppError::Sealed {
            client_id: stored.client_id.clone(),
            source,
        };
        let open = |hex_text: &str, context: &[u8]| {
            let bytes = hex::decode(hex_text).map_err(|_| keycadence_otp::AtRestError::Tampered)?;
            let plain = sealer.open(&SealedSecret::from_bytes(bytes), context)?;
            String::from_utf8(plain.to_vec())
                .map(Zeroizing::new)
                .map_err(|_| keycadence_otp::AtRestError::Tampered)
        };
        let client_secret = open(
            &stored.sealed_client_secret,
            &client_context(&stored.client_id),
        )
        .map_err(sealed_error)?;
        let sms_auth_token = stored
            .sealed_sms_token
            .as_deref()
            .map(|t| open(t, &sms_token_context(&stored.application_id)))
            .transpose()
            .map_err(sealed_error)?;
        let codes = OtpService::new(settings.policy(), pepper)?;
        Ok(VerifyApp {
            app_ref: stored.app_ref,
            client_id: stored.client_id,
            application_id: stored.application_id,
            domain: stored.domain,
            settings,
            codes,
            revoked: stored.revoked,
            client_secret,
            sms_auth_token,
        })
    }

    pub fn client_secret(&self) -> &str {
        &self.client_secret
    }

    /// The SMS account, when the application has an SMS gateway.
    pub fn sms_account(&self) -> Option<super::delivery::SmsAccount<'_>> {
        Some(super::delivery::SmsAccount {
            account_sid: self.settings.sms_account_sid.as_deref()?,
            auth_token: self.sms_auth_token.as_deref()?,
            from: self.settings.sms_from.as_deref()?,
        })
    }
}

/// Applications by applicationId, re-read from the database after `ttl` (so a revocation
/// applies within that time, like API keys). Only existing applications are cached.
pub struct AppCache {
    ttl: Duration,
    entries: Mutex<HashMap<String, (Instant, Arc<VerifyApp>)>>,
}

impl AppCache {
    pub fn new(ttl: Duration) -> AppCache {
        AppCache {
            ttl,
            entries: Mutex::new(HashMap::new()),
        }
    }

    pub async fn find(
        &self,
        db: &Db,
        sealer: &SecretSealer,
        pepper: &[u8],
        application_id: &str,
    ) -> Result<Option<Arc<VerifyApp>>, AppError> {
        let now = Instant::now();
        if let Some((loaded, app)) = self.lock().get(application_id) {
            if now.duration_since(*loaded) < self.ttl {
                return Ok(Some(app.clone()));
            }
        }
        let Some(stored) = db.verify_apps().find(application_id).await? else {
            return Ok(None);
        };
        let app = Arc::new(VerifyApp::open(stored, sealer, pepper)?);
        if !self.ttl.is_zero() {
            self.lock()
                .insert(application_id.to_string(), (now, app.clone()));
        }
        Ok(Some(app))
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, (Instant, Arc<VerifyApp>)>> {
        // Every mutation is one insert: a poisoned map is still consistent.
        self.entries
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn domains_are_host_names() {
        assert_eq!(check_domain(" Example.COM. ").unwrap(), "example.com");
        assert_eq!(check_domain("localhost").unwrap(), "localhost");
        for bad in ["", "exa mple.com", "-a.com", "a..com", "http://a.com"] {
            assert!(
                matches!(check_domain(bad), Err(AppError::BadDomain(_))),
                "{bad}"
            );
        }
    }

    #[test]
    fn settings_default_to_the_crate_policies_and_round_trip() {
        let s = AppSettings::default();
        assert_eq!(s.policy(), OtpPolicy::default());
        let accepted = s.backend_payloads();
        assert_eq!(accepted.freshness, FreshnessPolicy::BACKEND_CALL);
        assert_eq!(accepted.purpose, Purpose::Backend);
        assert!(
            !accepted.legacy && !s.echo_codes,
            "2.0 only and no echo by default"
        );
        let json = serde_json::to_string(&s).unwrap();
        assert_eq!(serde_json::from_str::<AppSettings>(&json).unwrap(), s);
        // Settings stored before a field existed read with its default.
        let old: AppSettings = serde_json::from_str(r#"{"disable_rot":true}"#).unwrap();
        assert!(old.disable_rot);
        assert_eq!(old.code_length, 6);
        assert!(!old.legacy_payloads && !old.echo_codes);
    }
}
