//! TOTP services: a tenant's issuer name and the defaults of its factors (Twilio's
//! `Totp.Issuer`, `Totp.TimeStep` 20-60, `Totp.CodeLength` 3-8, `Totp.Skew` 0-2). Codes of
//! fewer than 6 digits or a skew above 1 need `Totp.AllowWeakCodes=true` (ours, not Twilio's).

use axum::extract::{Path, State};
use keycadence_otp::{Algorithm, FactorLabel, TotpConfig};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

use super::{
    account_sid, check_strength, created, new_sid, number, ok, param, required, stored_time,
    TotpCall, TotpError, TotpResult,
};
use crate::app::AppState;
use crate::call::ApiCall;
use crate::db::otp::StoredService;

/// Longest friendly name of a service.
const MAX_NAME_CHARS: usize = 64;

/// A service's TOTP settings as stored.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub(super) struct ServiceTotp {
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
pub(super) struct Service {
    pub stored: StoredService,
    pub totp: ServiceTotp,
}

impl Service {
    /// The service `sid` of the calling tenant (404 for another tenant's).
    pub(super) async fn find(
        state: &AppState,
        call: &ApiCall,
        sid: &str,
    ) -> Result<Service, TotpError> {
        let stored = state
            .db
            .find_totp_service(call.tenant.tenant_id, sid)
            .await?
            .ok_or_else(|| TotpError::NotFound(format!("/v2/Services/{sid}")))?;
        let totp = serde_json::from_str(&stored.config)?;
        Ok(Service { stored, totp })
    }

    /// The URL path of a resource under one of the service's entities (`rest`: `Factors`,
    /// `Challenges/YC…`, ...): the `url` of the views, and what a 404 names.
    pub(super) fn entity_url(&self, identity: &str, rest: &str) -> String {
        format!(
            "/v2/Services/{}/Entities/{identity}/{rest}",
            self.stored.sid
        )
    }

    /// The factor configuration the service gives unless a factor says otherwise.
    pub(super) fn default_config(&self) -> Result<TotpConfig, TotpError> {
        TotpConfig::new(
            Algorithm::Sha1,
            self.totp.code_length,
            self.totp.time_step,
            self.totp.skew,
        )
        .map_err(|e| TotpError::Internal(format!("stored service settings: {e}")))
    }
}

fn view(call: &ApiCall, service: &Service) -> Value {
    let sid = &service.stored.sid;
    json!({
        "sid": sid,
        "account_sid": account_sid(call.tenant.tenant_id),
        "friendly_name": service.stored.friendly_name,
        "totp": {
            "issuer": service.totp.issuer,
            "time_step": service.totp.time_step,
            "code_length": service.totp.code_length,
            "skew": service.totp.skew,
            "allow_weak_codes": service.totp.allow_weak_codes,
        },
        "date_created": stored_time(service.stored.created_at),
        "date_updated": stored_time(service.stored.updated_at),
        "url": format!("/v2/Services/{sid}"),
    })
}

/// A `true`/`false` parameter, false when absent.
fn flag(call: &ApiCall, name: &'static str) -> Result<bool, TotpError> {
    match param(call, name) {
        None => Ok(false),
        Some(text) if text.eq_ignore_ascii_case("true") => Ok(true),
        Some(text) if text.eq_ignore_ascii_case("false") => Ok(false),
        Some(_) => Err(TotpError::invalid(name, "true or false")),
    }
}

/// `POST /v2/Services`.
pub async fn create_service(State(state): State<AppState>, TotpCall(call): TotpCall) -> TotpResult {
    let name = required(&call, "FriendlyName")?;
    if name.chars().count() > MAX_NAME_CHARS {
        return Err(TotpError::invalid("FriendlyName", "at most 64 characters"));
    }
    let issuer = param(&call, "Totp.Issuer").unwrap_or(name);
    // The issuer goes into every factor's otpauth label: check it as the label does.
    FactorLabel::new(issuer, "account").map_err(|e| TotpError::invalid("Totp.Issuer", e))?;
    let defaults = TotpConfig::default();
    let config = TotpConfig::new(
        Algorithm::Sha1,
        number(&call, "Totp.CodeLength")?.unwrap_or(defaults.digits()),
        number(&call, "Totp.TimeStep")?.unwrap_or(defaults.step_seconds()),
        number(&call, "Totp.Skew")?.unwrap_or(defaults.skew()),
    )
    .map_err(|e| TotpError::invalid("Totp", e))?;
    let allow_weak_codes = flag(&call, "Totp.AllowWeakCodes")?;
    check_strength(&config, allow_weak_codes, "Totp")?;
    let totp = ServiceTotp {
        issuer: issuer.trim().to_string(),
        time_step: config.step_seconds(),
        code_length: config.digits(),
        skew: config.skew(),
        allow_weak_codes,
    };
    let stored = state
        .db
        .insert_totp_service(
            call.tenant.tenant_id,
            &new_sid("VA"),
            name,
            &serde_json::to_string(&totp)?,
            state.clock.now_millis(),
        )
        .await?;
    created(view(&call, &Service { stored, totp }))
}

/// `GET /v2/Services/{VA}`.
pub async fn fetch_service(
    State(state): State<AppState>,
    Path(sid): Path<String>,
    TotpCall(call): TotpCall,
) -> TotpResult {
    let service = Service::find(&state, &call, &sid).await?;
    ok(view(&call, &service))
}
