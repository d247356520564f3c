//! The commands beside `serve`: `keys` (API keys, tenant settings, at-rest key rotation),
//! `apps` (Verify applications) and `signin` (sign-in policies), each in its module, all
//! answering [`CliError`].

pub mod apps;
pub mod keys;
pub mod signin;

use crate::db::keys::KeyStoreError;
use crate::db::otp::AppStoreError;
use crate::otp::apps::AppError;
use crate::otp::keys::OtpKeyError;
use crate::settings::SettingsError;

/// Why a command failed; printed as the command's last line.
#[derive(Debug, thiserror::Error)]
pub enum CliError {
    #[error("database: {0}")]
    Database(#[from] sqlx::Error),
    #[error(transparent)]
    Connect(#[from] crate::db::DbError),
    #[error(transparent)]
    Keys(#[from] KeyStoreError),
    #[error(transparent)]
    Apps(#[from] AppStoreError),
    #[error(transparent)]
    App(#[from] AppError),
    #[error(transparent)]
    AtRestKeys(#[from] OtpKeyError),
    #[error(transparent)]
    Settings(#[from] SettingsError),
    #[error(transparent)]
    SignIn(#[from] signin::EnableError),
    #[error("{0}")]
    Json(#[from] serde_json::Error),
    #[error("application {application_id}: stored settings do not read: {reason}")]
    StoredSettings {
        application_id: String,
        reason: serde_json::Error,
    },
    #[error("no application {0}")]
    UnknownApplication(String),
    #[error("sign-ins are not enabled for {0}")]
    SignInsNotEnabled(String),
}
