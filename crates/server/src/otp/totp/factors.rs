//! TOTP factors of an entity: created unverified with the secret, otpauth URI and QR code
//! shown once; the first accepted code verifies them (Twilio's `AuthPayload` on update).

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::IntoResponse;
use keycadence_otp::{Algorithm, FactorLabel, TotpConfig, TotpFactor, TotpOutcome, TotpSecret};
use serde_json::{json, Value};

use super::services::Service;
use super::{
    account_sid, attempt_policy, auth_payload, check_identity, check_strength, created, entity_sid,
    new_sid, number, ok, param, required, stored_time, TotpCall, TotpError, TotpResult,
};
use crate::app::AppState;
use crate::call::ApiCall;
use crate::contention::{self, SWAP_ATTEMPTS};
use crate::db::otp::StoredFactor;

/// Twilio's limit on `FriendlyName`, which becomes the account name in the URI.
const MAX_NAME_CHARS: usize = 64;

/// A stored factor with its state read.
pub(super) struct Factor {
    pub stored: StoredFactor,
    pub state: TotpFactor,
}

impl Factor {
    pub(super) fn read(stored: StoredFactor) -> Result<Factor, TotpError> {
        let state = serde_json::from_str(&stored.state.json)?;
        Ok(Factor { stored, state })
    }

    pub(super) async fn find(
        state: &AppState,
        service: &Service,
        identity: &str,
        sid: &str,
    ) -> Result<Factor, TotpError> {
        let stored = state
            .db
            .find_totp_factor(service.stored.service_ref, identity, sid)
            .await?
            .ok_or_else(|| {
                TotpError::NotFound(service.entity_url(identity, &format!("Factors/{sid}")))
            })?;
        Factor::read(stored)
    }

    /// The factor as persisted after a successful swap to `next`.
    fn after(self, next: TotpFactor, friendly_name: Option<&str>, at: i64) -> Factor {
        let mut stored = self.stored;
        stored.updated_at = at;
        stored.state.version += 1;
        if let Some(name) = friendly_name {
            stored.friendly_name = name.to_string();
        }
        Factor {
            stored,
            state: next,
        }
    }
}

pub(super) fn view(call: &ApiCall, service: &Service, factor: &Factor) -> Value {
    let (service_sid, identity, sid) = (
        &service.stored.sid,
        &factor.stored.identity,
        &factor.stored.sid,
    );
    json!({
        "sid": sid,
        "account_sid": account_sid(call.tenant.tenant_id),
        "service_sid": service_sid,
        "entity_sid": entity_sid(service_sid, identity),
        "identity": identity,
        "status": factor.state.status,
        "factor_type": "totp",
        "friendly_name": factor.stored.friendly_name,
        "config": factor.state.config,
        "date_created": stored_time(factor.stored.created_at),
        "date_updated": stored_time(factor.stored.updated_at),
        "metadata": null,
        "url": service.entity_url(identity, &format!("Factors/{sid}")),
    })
}

fn friendly_name(call: &ApiCall) -> Result<Option<&str>, TotpError> {
    match param(call, "FriendlyName") {
        Some(name) if name.chars().count() > MAX_NAME_CHARS => {
            Err(TotpError::invalid("FriendlyName", "at most 64 characters"))
        }
        other => Ok(other),
    }
}

/// `POST …/Entities/{identity}/Factors`.
pub async fn create_factor(
    State(state): State<AppState>,
    Path((service_sid, identity)): Path<(String, String)>,
    TotpCall(call): TotpCall,
) -> TotpResult {
    let service = Service::find(&state, &call, &service_sid).await?;
    check_identity(&identity)?;
    let factor_type = required(&call, "FactorType")?;
    if !factor_type.eq_ignore_ascii_case("totp") {
        return Err(TotpError::invalid("FactorType", "only totp is supported"));
    }
    let name = friendly_name(&call)?.ok_or(TotpError::MissingParameter("FriendlyName"))?;
    let label = FactorLabel::new(&service.totp.issuer, name)
        .map_err(|e| TotpError::invalid("FriendlyName", e))?;
    let defaults = service.default_config()?;
    let algorithm = match param(&call, "Config.Alg") {
        Some(alg) => Algorithm::parse(alg).map_err(|e| TotpError::invalid("Config.Alg", e))?,
        None => defaults.algorithm(),
    };
    let config = TotpConfig::new(
        algorithm,
        number(&call, "Config.CodeLength")?.unwrap_or(defaults.digits()),
        number(&call, "Config.TimeStep")?.unwrap_or(defaults.step_seconds()),
        number(&call, "Config.Skew")?.unwrap_or(defaults.skew()),
    )
    .map_err(|e| TotpError::invalid("Config", e))?;
    check_strength(&config, service.totp.allow_weak_codes, "Config")?;
    let secret = match param(&call, "Binding.Secret") {
        Some(text) => {
            TotpSecret::from_base32(text).map_err(|e| TotpError::invalid("Binding.Secret", e))?
        }
        None => TotpSecret::generate(&mut rand::rngs::OsRng),
    };
    let sid = new_sid("YF");
    let new = TotpFactor::create(
        config,
        &secret,
        &label,
        &state.otp.sealer,
        &sid,
        &mut rand::rngs::OsRng,
    )
    .map_err(|e| TotpError::Internal(e.to_string()))?;
    let stored = state
        .db
        .insert_totp_factor(
            service.stored.service_ref,
            &identity,
            &sid,
            name,
            &serde_json::to_string(&new.factor)?,
            state.clock.now_millis(),
        )
        .await?;
    let factor = Factor {
        stored,
        state: new.factor,
    };
    let mut body = view(&call, &service, &factor);
    body["binding"] = json!({
        "secret": new.secret_base32,
        "uri": new.uri,
        "qr_svg": new.qr_svg,
    });
    created(body)
}

/// `GET …/Entities/{identity}/Factors`.
pub async fn list_factors(
    State(state): State<AppState>,
    Path((service_sid, identity)): Path<(String, String)>,
    TotpCall(call): TotpCall,
) -> TotpResult {
    let service = Service::find(&state, &call, &service_sid).await?;
    let factors = state
        .db
        .list_totp_factors(service.stored.service_ref, &identity)
        .await?
        .into_iter()
        .map(|stored| Factor::read(stored).map(|f| view(&call, &service, &f)))
        .collect::<Result<Vec<_>, _>>()?;
    let url = service.entity_url(&identity, "Factors");
    ok(json!({
        "factors": factors,
        "meta": {
            "key": "factors",
            "page": 0,
            "page_size": factors.len(),
            "url": url,
            "first_page_url": url,
            "next_page_url": null,
            "previous_page_url": null,
        },
    }))
}

/// `GET …/Factors/{YF}`.
pub async fn fetch_factor(
    State(state): State<AppState>,
    Path((service_sid, identity, sid)): Path<(String, String, String)>,
    TotpCall(call): TotpCall,
) -> TotpResult {
    let service = Service::find(&state, &call, &service_sid).await?;
    let factor = Factor::find(&state, &service, &identity, &sid).await?;
    ok(view(&call, &service, &factor))
}

/// `POST …/Factors/{YF}`: `AuthPayload` checks a code (the first good one verifies the
/// factor; a wrong one leaves the status as it is), `FriendlyName` renames.
pub async fn update_factor(
    State(state): State<AppState>,
    Path((service_sid, identity, sid)): Path<(String, String, String)>,
    TotpCall(call): TotpCall,
) -> TotpResult {
    let service = Service::find(&state, &call, &service_sid).await?;
    let name = friendly_name(&call)?;
    let code = match param(&call, "AuthPayload") {
        Some(_) => Some(auth_payload(&call)?),
        None if name.is_some() => None,
        None => return Err(TotpError::MissingParameter("AuthPayload")),
    };
    for attempt in 0..SWAP_ATTEMPTS {
        contention::before_attempt(attempt).await;
        let factor = Factor::find(&state, &service, &identity, &sid).await?;
        let policy = attempt_policy(&factor.state.config);
        let now = state.clock.now();
        let (next, outcome) = match code {
            Some(code) => {
                let check = factor.state.check(
                    code,
                    &state.otp.sealer,
                    &factor.stored.sid,
                    &policy,
                    now,
                )?;
                (check.next, Some(check.outcome))
            }
            None => (factor.state.clone(), None),
        };
        if next != factor.state || name.is_some() {
            let swapped = state
                .db
                .swap_totp_factor(
                    factor.stored.factor_ref,
                    factor.stored.state.version,
                    &serde_json::to_string(&next)?,
                    name,
                    state.clock.now_millis(),
                )
                .await?;
            if !swapped {
                continue;
            }
        }
        if let Some(
            TotpOutcome::TooManyFailures { limited_until }
            | TotpOutcome::LockedOut { limited_until },
        ) = outcome
        {
            return Err(TotpError::LockedOut(limited_until));
        }
        let updated = factor.after(next, name, i64::try_from(now.0).unwrap_or(i64::MAX));
        return ok(view(&call, &service, &updated));
    }
    Err(TotpError::Contended)
}

/// `DELETE …/Factors/{YF}`: the factor and its challenges; 204.
pub async fn delete_factor(
    State(state): State<AppState>,
    Path((service_sid, identity, sid)): Path<(String, String, String)>,
    TotpCall(call): TotpCall,
) -> TotpResult {
    let service = Service::find(&state, &call, &service_sid).await?;
    let factor = Factor::find(&state, &service, &identity, &sid).await?;
    if !state
        .db
        .delete_totp_factor(factor.stored.factor_ref)
        .await?
    {
        return Err(TotpError::NotFound(sid));
    }
    Ok(StatusCode::NO_CONTENT.into_response())
}
