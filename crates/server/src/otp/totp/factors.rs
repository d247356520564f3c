//! TOTP factors of an entity: created unverified with the secret, otpauth URI and QR code
//! shown once; the first accepted code verifies them (Twilio's `AuthPayload` on update).

use keycadence_otp::{
    Algorithm, FactorLabel, NewFactor, TotpConfig, TotpFactor, TotpOutcome, TotpSecret,
};

use super::services::Service;
use super::{attempt_policy, check_strength, new_sid, stored_time, TotpError};
use crate::app::AppState;
use crate::contention::{self, SWAP_ATTEMPTS};
use crate::db::otp::StoredFactor;

/// A stored factor with its state read.
pub struct Factor {
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
            .totp()
            .find_factor(service.stored.service_ref, identity, sid)
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

/// What creating a factor asks for; absent settings take the service's.
pub struct FactorRequest<'a> {
    pub friendly_name: &'a str,
    /// The otpauth label (the service's issuer and the friendly name), already checked.
    pub label: FactorLabel,
    pub algorithm: Option<Algorithm>,
    pub code_length: Option<u8>,
    pub time_step: Option<u32>,
    pub skew: Option<u8>,
    /// An imported secret in base32 (`Binding.Secret`); a fresh one is generated when absent.
    pub secret: Option<&'a str>,
}

/// A new factor and what is shown of it once: its secret, otpauth URI and QR code.
pub struct CreatedFactor {
    pub factor: Factor,
    pub binding: NewFactor,
}

/// Creates an unverified factor of `identity`.
pub async fn create(
    state: &AppState,
    service: &Service,
    identity: &str,
    request: FactorRequest<'_>,
) -> Result<CreatedFactor, TotpError> {
    let defaults = service.default_config()?;
    let config = TotpConfig::new(
        request.algorithm.unwrap_or(defaults.algorithm()),
        request.code_length.unwrap_or(defaults.digits()),
        request.time_step.unwrap_or(defaults.step_seconds()),
        request.skew.unwrap_or(defaults.skew()),
    )
    .map_err(|e| TotpError::invalid("Config", e))?;
    check_strength(&config, service.totp.allow_weak_codes, "Config")?;
    let secret = match request.secret {
        Some(text) => {
            TotpSecret::from_base32(text).map_err(|e| TotpError::invalid("Binding.Secret", e))?
        }
        None => TotpSecret::generate(&mut rand::rngs::OsRng),
    };
    let sid = new_sid("YF");
    let binding = TotpFactor::create(
        config,
        &secret,
        &request.label,
        &state.otp.sealer,
        &sid,
        &mut rand::rngs::OsRng,
    )
    .map_err(|e| TotpError::Internal(e.to_string()))?;
    let stored = state
        .db
        .totp()
        .insert_factor(
            service.stored.service_ref,
            identity,
            &sid,
            request.friendly_name,
            &serde_json::to_string(&binding.factor)?,
            state.clock.now_millis(),
        )
        .await?;
    let factor = Factor {
        stored,
        state: binding.factor.clone(),
    };
    Ok(CreatedFactor { factor, binding })
}

/// The factors of `identity`.
pub async fn list(
    state: &AppState,
    service: &Service,
    identity: &str,
) -> Result<Vec<Factor>, TotpError> {
    state
        .db
        .totp()
        .list_factors(service.stored.service_ref, identity)
        .await?
        .into_iter()
        .map(Factor::read)
        .collect()
}

/// The factor `sid` of `identity`.
pub async fn find(
    state: &AppState,
    service: &Service,
    identity: &str,
    sid: &str,
) -> Result<Factor, TotpError> {
    Factor::find(state, service, identity, sid).await
}

/// Checks `code` (the first good one verifies the factor; a wrong one leaves the status as
/// it is) and/or renames the factor to `friendly_name`.
pub async fn update(
    state: &AppState,
    service: &Service,
    identity: &str,
    sid: &str,
    code: Option<&str>,
    friendly_name: Option<&str>,
) -> Result<Factor, TotpError> {
    for attempt in 0..SWAP_ATTEMPTS {
        contention::before_attempt(attempt).await;
        let factor = Factor::find(state, service, identity, sid).await?;
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
        if next != factor.state || friendly_name.is_some() {
            let swapped = state
                .db
                .totp()
                .swap_factor(
                    factor.stored.factor_ref,
                    factor.stored.state.version,
                    &serde_json::to_string(&next)?,
                    friendly_name,
                    stored_time(now),
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
            return Err(TotpError::LockedOut {
                until: limited_until,
                at: now,
            });
        }
        return Ok(factor.after(next, friendly_name, stored_time(now)));
    }
    Err(TotpError::Contended)
}

/// Deletes the factor `sid` of `identity` and its challenges.
pub async fn delete(
    state: &AppState,
    service: &Service,
    identity: &str,
    sid: &str,
) -> Result<(), TotpError> {
    let factor = Factor::find(state, service, identity, sid).await?;
    if !state
        .db
        .totp()
        .delete_factor(factor.stored.factor_ref)
        .await?
    {
        return Err(TotpError::NotFound(sid.to_string()));
    }
    Ok(())
}
