//! One-time codes (issue 6) on top of the sans-IO `keycadence-otp` crate:
//!
//! * Verify 2FA (TypingDNA Verify's payload protocol and codes): `POST /otp/send`, `POST
//!   /otp/validate`, `POST /user/reset-profile` ([`verify`], over HTTP in [`verify_http`]), with
//!   applications managed by `keycadence-server apps` ([`apps`], [`crate::cli`]) and codes delivered
//!   by e-mail or SMS ([`delivery`]);
//! * TOTP: Twilio-shaped services, factors, challenges, plus backup codes ([`totp`]).
//!
//! The crate decides; this module loads the state, calls the pure transition, delivers and
//! persists what comes back (compare-and-swap on a version, see `db::otp`).

pub mod apps;
pub mod delivery;
pub mod floods;
pub mod keys;
pub mod reply;
pub mod routes;
pub mod settings;
pub mod totp;
pub mod verify;
pub mod verify_http;

use std::collections::hash_map::DefaultHasher;
use std::hash::{Hash, Hasher};
use std::sync::Arc;
use std::time::Duration;

use keycadence_otp::{
    BackupCodes, BackupConfigError, BackupHashCost, KeyCache, SecretSealer, UserIdentifier,
};
use zeroize::Zeroizing;

use crate::config::ServeConfig;
use crate::db::Db;
use crate::keyed_hash::keyed_hex;
use apps::AppCache;
use delivery::{Delivery, DeliveryError};
use keys::OtpKeyError;

/// Payload keys kept per active application beyond the two (PBKDF2, scrypt) each may use:
/// room for applications created while the server runs.
const KEY_CACHE_HEADROOM: usize = 64;
/// Locks serialising the read-modify-write of one user's code record.
const USER_LOCK_STRIPES: usize = 1024;

#[derive(Debug, thiserror::Error)]
pub enum OtpSetupError {
    #[error(transparent)]
    Keys(#[from] OtpKeyError),
    #[error(transparent)]
    Delivery(#[from] DeliveryError),
    #[error("backup codes: {0}")]
    Backup(#[from] BackupConfigError),
    #[error("cannot count Verify applications: {0}")]
    Db(#[from] sqlx::Error),
    #[error(
        "--email-outbox is for development only: it is refused unless the server listens on a \
         loopback address (it listens on {0})"
    )]
    OutboxNotLocal(std::net::SocketAddr),
}

/// One loud line per active application that answers `/otp/send` with the code it sent.
async fn warn_of_echoing_apps(db: &Db) -> Result<(), sqlx::Error> {
    for app in db.verify_apps().list().await? {
        let echoes = serde_json::from_str::<apps::AppSettings>(&app.settings)
            .is_ok_and(|settings| settings.echo_codes);
        if echoes && app.revoked_at.is_none() {
            tracing::warn!(
                application_id = %app.application_id,
                domain = %app.domain,
                "application has echo_codes on: /otp/send answers with the code it sent, so \
                 whoever can call it gets the user's code; for sandboxes and tests only"
            );
        }
    }
    Ok(())
}

/// What the one-time-code endpoints share.
pub struct OtpState {
    /// Shared with the store, which seals enrolled patterns with it.
    pub sealer: Arc<SecretSealer>,
    pepper: Zeroizing<Vec<u8>>,
    pub payload_keys: KeyCache,
    pub apps: AppCache,
    pub delivery: Delivery,
    pub backup_codes: BackupCodes,
    pub floods: floods::FloodLimits,
    user_locks: Vec<tokio::sync::Mutex<()>>,
}

impl OtpState {
    /// Loads (or generates, saying so in the log) the keys, builds the gateways and sizes the
    /// payload key cache to the applications in the database.
    pub async fn new(config: &ServeConfig, db: &Db) -> Result<OtpState, OtpSetupError> {
        let settings = &config.otp;
        if let Some(outbox) = &settings.email_outbox {
            if !config.listen.ip().is_loopback() {
                return Err(OtpSetupError::OutboxNotLocal(config.listen));
            }
            tracing::warn!(
                path = %outbox.display(),
                "development e-mail outbox: e-mails (and the codes in them) are written to this \
                 folder, not sent"
            );
        }
        let (keys, generated) = settings.keys.load_or_generate(&config.database_url)?;
        for file in generated {
            tracing::warn!(
                path = %file.path.display(),
                "generated the {} (none configured); back this file up: without it stored \
                 secrets and codes cannot be read",
                file.what
            );
        }
        for (what, variable, path) in settings.keys.files_beside_database(&config.database_url) {
            tracing::warn!(
                path = %path.display(),
                "the {what} is kept beside the database: any copy of that directory (a backup, a \
                 snapshot, a disk image) holds the key together with the data it protects. Give \
                 it from a secret store in {variable} instead, or keep --data-dir on another volume"
            );
        }
        warn_of_echoing_apps(db).await?;
        let apps = db.verify_apps().count_active().await?;
        let capacity = usize::try_from(apps).unwrap_or(0) * 2 + KEY_CACHE_HEADROOM;
        let backup_codes = BackupCodes::new(
            &keys.pepper,
            BackupHashCost {
                memory_kib: settings.backup_code_memory_kib,
                ..BackupHashCost::default()
            },
        )?;
        Ok(OtpState {
            sealer: Arc::new(keys.sealer()),
            payload_keys: KeyCache::new(capacity),
            apps: AppCache::new(Duration::from_secs(config.auth_cache_seconds)),
            delivery: Delivery::new(settings)?,
            backup_codes,
            floods: floods::FloodLimits::new(&settings.floods),
            user_locks: (0..USER_LOCK_STRIPES)
                .map(|_| tokio::sync::Mutex::new(()))
                .collect(),
            pepper: keys.pepper,
        })
    }

    pub fn pepper(&self) -> &[u8] {
        &self.pepper
    }

    /// The key a user's code record is stored under: an HMAC of the application and the
    /// identifier, so stored rows name no e-mail address or phone number.
    pub fn user_key(&self, application_id: &str, user: &UserIdentifier) -> String {
        keyed_hex(
            &self.pepper,
            &[
                b"keycadence-server/verify-user/v1\0",
                application_id.as_bytes(),
                b"\0",
                user.key().as_bytes(),
            ],
        )
    }

    /// Holds off other requests for the same user of the same application (and a few
    /// unrelated ones sharing the stripe) while a code record is read, changed and written.
    pub async fn lock_user(&self, app_ref: i64, user_key: &str) -> tokio::sync::MutexGuard<'_, ()> {
        let mut hasher = DefaultHasher::new();
        (app_ref, user_key).hash(&mut hasher);
        let stripe = (hasher.finish() % self.user_locks.len() as u64) as usize;
        self.user_locks[stripe].lock().await
    }
}
