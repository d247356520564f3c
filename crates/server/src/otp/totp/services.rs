//! TOTP services: a tenant's issuer name and the defaults of its factors (Twilio's
//! `Totp.Issuer`, `Totp.TimeStep` 20-60, `Totp.CodeLength` 3-8, `Totp.Skew` 0-2). Codes of
//! fewer than 6 digits or a skew above 1 need `Totp.AllowWeakCodes=true` (ours, not Twilio's).

use keycadence_otp::{Algorithm, FactorLabel, TotpConfig};
use serde::{Deserialize, Serialize};

use super::{check_strength, new_sid, TotpError};
use crate::app::AppState;
use crate::db::otp::StoredService;

/// A service's TOTP settings as stored.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ServiceTotp {
    pub issuer: String,
    pub time_step: u32,
    pub code_length: u8,
    pub skew: u8,
    /// Factors may have codes of fewer than 6 digits or a skew above 1 (absent in services
    /// stored before the setting existed: not allowed).
    #[serde(default)]
    pub allow_weak_codes: bool,
}

/// A service of the calling tenant with its settings read.
pub struct Service {
    pub stored: StoredService,
    pub totp: ServiceTotp,
}

/// What `POST /v2/Services` asks for; absent numbers take the crate's defaults.
pub struct NewService<'a> {
    pub friendly_name: &'a str,
    /// The name authenticator apps show, checked by [`check_issuer`].
    pub issuer: &'a str,
    pub code_length: Option<u8>,
    pub time_step: Option<u32>,
    pub skew: Option<u8>,
    pub allow_weak_codes: bool,
}

impl Service {
    /// The service `sid` of tenant `tenant_id` (not found for another tenant's).
    pub async fn find(state: &AppState, tenant_id: i64, sid: &str) -> Result<Service, TotpError> {
        let stored = state
            .db
            .totp()
            .find_service(tenant_id, sid)
            .await?
            .ok_or_else(|| TotpError::NotFound(format!("/v2/Services/{sid}")))?;
        let totp = serde_json::from_str(&stored.config)?;
        Ok(Service { stored, totp })
    }

    /// The URL path of a resource under one of the service's entities (`rest`: `Factors`,
    /// `Challenges/YC…`, ...): the `url` of the views, and what a not-found names.
    pub fn entity_url(&self, identity: &str, rest: &str) -> String {
        format!(
            "/v2/Services/{}/Entities/{identity}/{rest}",
            self.stored.sid
        )
    }

    /// The factor configuration the service gives unless a factor says otherwise.
    pub fn default_config(&self) -> Result<TotpConfig, TotpError> {
        TotpConfig::new(
            Algorithm::Sha1,
            self.totp.code_length,
            self.totp.time_step,
            self.totp.skew,
        )
        .map_err(|e| TotpError::Internal(format!("stored service settings: {e}")))
    }
}

/// The issuer goes into every factor's otpauth label: checked as the label checks it.
pub fn check_issuer(issuer: &str) -> Result<(), TotpError> {
    FactorLabel::new(issuer, "account").map_err(|e| TotpError::invalid("Totp.Issuer", e))?;
    Ok(())
}

/// Creates a service for tenant `tenant_id`.
pub async fn create(
    state: &AppState,
    tenant_id: i64,
    new: NewService<'_>,
) -> Result<Service, TotpError> {
    let defaults = TotpConfig::default();
    let config = TotpConfig::new(
        Algorithm::Sha1,
        new.code_length.unwrap_or(defaults.digits()),
        new.time_step.unwrap_or(defaults.step_seconds()),
        new.skew.unwrap_or(defaults.skew()),
    )
    .map_err(|e| TotpError::invalid("Totp", e))?;
    check_strength(&config, new.allow_weak_codes, "Totp")?;
    let totp = ServiceTotp {
        issuer: new.issuer.trim().to_string(),
        time_step: config.step_seconds(),
        code_length: config.digits(),
        skew: config.skew(),
        allow_weak_codes: new.allow_weak_codes,
    };
    let stored = state
        .db
        .totp()
        .insert_service(
            tenant_id,
            &new_sid("VA"),
            new.friendly_name,
            &serde_json::to_string(&totp)?,
            state.clock.now_millis(),
        )
        .await?;
    Ok(Service { stored, totp })
}
