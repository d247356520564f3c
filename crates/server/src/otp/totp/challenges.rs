//! TOTP challenges (Twilio's model): created with a code, `approved` when it is right and
//! `pending` otherwise; a pending challenge may be retried with new codes until it expires
//! (default 5 minutes, at most 60), or be `denied`. Codes are checked by the factor, so its
//! replay refusal and lock-out apply: a refused attempt because of a lock-out creates no
//! challenge.

use std::time::UNIX_EPOCH;

use axum::extract::{Path, State};
use keycadence_otp::{Challenge, FactorAccess, TotpOutcome, UnixMillis};
use serde_json::{json, Value};

use super::factors::Factor;
use super::services::Service;
use super::{
    account_sid, attempt_policy, auth_payload, created, entity_sid, new_sid, ok, param, required,
    rfc3339, TotpCall, TotpError, TotpResult,
};
use crate::app::AppState;
use crate::call::ApiCall;
use crate::contention::{self, SWAP_ATTEMPTS};

fn view(
    call: &ApiCall,
    service: &Service,
    factor: &Factor,
    sid: &str,
    challenge: &Challenge,
    updated_at: UnixMillis,
) -> Value {
    let (service_sid, identity) = (&service.stored.sid, &factor.stored.identity);
    json!({
        "sid": sid,
        "account_sid": account_sid(call.tenant.tenant_id),
        "service_sid": service_sid,
        "entity_sid": entity_sid(service_sid, identity),
        "identity": identity,
        "factor_sid": factor.stored.sid,
        "status": challenge.status,
        "responded_reason": "none",
        "factor_type": "totp",
        "details": null,
        "hidden_details": null,
        "date_created": rfc3339(challenge.created_at.0),
        "date_updated": rfc3339(updated_at.0),
        "date_responded": challenge.responded_at.map(|t| rfc3339(t.0)),
        "expiration_date": rfc3339(challenge.expires_at.0),
        "url": service.entity_url(identity, &format!("Challenges/{sid}")),
    })
}

fn expiration(call: &ApiCall) -> Result<Option<UnixMillis>, TotpError> {
    param(call, "ExpirationDate")
        .map(|text| {
            let at = humantime::parse_rfc3339_weak(text)
                .map_err(|e| TotpError::invalid("ExpirationDate", e))?;
            let millis = at
                .duration_since(UNIX_EPOCH)
                .map_err(|_| TotpError::invalid("ExpirationDate", "before 1970"))?
                .as_millis();
            Ok(UnixMillis(u64::try_from(millis).unwrap_or(u64::MAX)))
        })
        .transpose()
}

fn locked(outcome: TotpOutcome) -> Option<UnixMillis> {
    match outcome {
        TotpOutcome::TooManyFailures { limited_until }
        | TotpOutcome::LockedOut { limited_until } => Some(limited_until),
        _ => None,
    }
}

/// Persists only the factor (the attempt counted towards its lock-out) and answers with the
/// lock-out; `Ok` means the factor changed meanwhile and the request must be redone.
async fn refuse_locked(
    state: &AppState,
    factor: &Factor,
    next: &keycadence_otp::TotpFactor,
    until: UnixMillis,
) -> Result<(), TotpError> {
    if *next != factor.state {
        let swapped = state
            .db
            .swap_totp_factor(
                factor.stored.factor_ref,
                factor.stored.state.version,
                &serde_json::to_string(next)?,
                None,
                state.clock.now_millis(),
            )
            .await?;
        if !swapped {
            return Ok(());
        }
    }
    Err(TotpError::LockedOut(until))
}

/// `POST …/Entities/{identity}/Challenges`.
pub async fn create_challenge(
    State(state): State<AppState>,
    Path((service_sid, identity)): Path<(String, String)>,
    TotpCall(call): TotpCall,
) -> TotpResult {
    let service = Service::find(&state, &call, &service_sid).await?;
    let factor_sid = required(&call, "FactorSid")?;
    let code = auth_payload(&call)?;
    let expires_at = expiration(&call)?;
    for attempt in 0..SWAP_ATTEMPTS {
        contention::before_attempt(attempt).await;
        let factor = Factor::find(&state, &service, &identity, factor_sid).await?;
        let policy = attempt_policy(&factor.state.config);
        let at = state.clock.now();
        let access = FactorAccess {
            factor: &factor.state,
            factor_id: &factor.stored.sid,
            sealer: &state.otp.sealer,
            policy: &policy,
        };
        let answer =
            Challenge::create(access, code, expires_at, at).map_err(TotpError::Challenge)?;
        if let Some(until) = locked(answer.outcome) {
            refuse_locked(&state, &factor, &answer.factor, until).await?;
            continue;
        }
        let sid = new_sid("YC");
        let inserted = state
            .db
            .insert_totp_challenge(
                factor.stored.factor_ref,
                factor.stored.state.version,
                &serde_json::to_string(&answer.factor)?,
                &sid,
                &serde_json::to_string(&answer.challenge)?,
                state.clock.now_millis(),
            )
            .await?;
        if inserted {
            return created(view(&call, &service, &factor, &sid, &answer.challenge, at));
        }
    }
    Err(TotpError::Contended)
}

struct FoundChallenge {
    challenge_ref: i64,
    version: i64,
    sid: String,
    challenge: Challenge,
    updated_at: UnixMillis,
    factor: Factor,
}

async fn find_challenge(
    state: &AppState,
    service: &Service,
    identity: &str,
    sid: &str,
) -> Result<FoundChallenge, TotpError> {
    let stored = state
        .db
        .find_totp_challenge(service.stored.service_ref, identity, sid)
        .await?
        .ok_or_else(|| {
            TotpError::NotFound(service.entity_url(identity, &format!("Challenges/{sid}")))
        })?;
    Ok(FoundChallenge {
        challenge_ref: stored.challenge_ref,
        version: stored.version,
        sid: stored.sid,
        challenge: serde_json::from_str(&stored.state)?,
        updated_at: UnixMillis(u64::try_from(stored.updated_at).unwrap_or(0)),
        factor: Factor::read(stored.factor)?,
    })
}

/// `GET …/Challenges/{YC}`: a pending challenge past its expiry is reported (and stored) as
/// expired.
pub async fn fetch_challenge(
    State(state): State<AppState>,
    Path((service_sid, identity, sid)): Path<(String, String, String)>,
    TotpCall(call): TotpCall,
) -> TotpResult {
    let service = Service::find(&state, &call, &service_sid).await?;
    for attempt in 0..SWAP_ATTEMPTS {
        contention::before_attempt(attempt).await;
        let found = find_challenge(&state, &service, &identity, &sid).await?;
        let at = state.clock.now();
        let current = found.challenge.at(at);
        let updated_at = if current == found.challenge {
            found.updated_at
        } else if state
            .db
            .update_totp_challenge(
                found.challenge_ref,
                found.version,
                &serde_json::to_string(&current)?,
                None,
                state.clock.now_millis(),
            )
            .await?
        {
            at
        } else {
            continue;
        };
        return ok(view(
            &call,
            &service,
            &found.factor,
            &found.sid,
            &current,
            updated_at,
        ));
    }
    Err(TotpError::Contended)
}

/// `POST …/Challenges/{YC}`: `AuthPayload` retries a pending challenge; `Status=denied`
/// denies it.
pub async fn update_challenge(
    State(state): State<AppState>,
    Path((service_sid, identity, sid)): Path<(String, String, String)>,
    TotpCall(call): TotpCall,
) -> TotpResult {
    let service = Service::find(&state, &call, &service_sid).await?;
    let deny = match param(&call, "Status") {
        None => false,
        Some(s) if s.eq_ignore_ascii_case("denied") => true,
        Some(_) => return Err(TotpError::invalid("Status", "only denied can be set")),
    };
    let code = if deny {
        None
    } else {
        Some(auth_payload(&call)?)
    };
    for attempt in 0..SWAP_ATTEMPTS {
        contention::before_attempt(attempt).await;
        let found = find_challenge(&state, &service, &identity, &sid).await?;
        let policy = attempt_policy(&found.factor.state.config);
        let at = state.clock.now();
        let Some(code) = code else {
            let denied = found.challenge.deny(at).map_err(TotpError::Challenge)?;
            let swapped = state
                .db
                .update_totp_challenge(
                    found.challenge_ref,
                    found.version,
                    &serde_json::to_string(&denied)?,
                    None,
                    state.clock.now_millis(),
                )
                .await?;
            if swapped {
                return ok(view(
                    &call,
                    &service,
                    &found.factor,
                    &found.sid,
                    &denied,
                    at,
                ));
            }
            continue;
        };
        let access = FactorAccess {
            factor: &found.factor.state,
            factor_id: &found.factor.stored.sid,
            sealer: &state.otp.sealer,
            policy: &policy,
        };
        let answer = found
            .challenge
            .respond(access, code, at)
            .map_err(TotpError::Challenge)?;
        if let Some(until) = locked(answer.outcome) {
            refuse_locked(&state, &found.factor, &answer.factor, until).await?;
            continue;
        }
        let updated = state
            .db
            .update_totp_challenge(
                found.challenge_ref,
                found.version,
                &serde_json::to_string(&answer.challenge)?,
                Some((
                    found.factor.stored.factor_ref,
                    found.factor.stored.state.version,
                    &serde_json::to_string(&answer.factor)?,
                )),
                state.clock.now_millis(),
            )
            .await?;
        if updated {
            return ok(view(
                &call,
                &service,
                &found.factor,
                &found.sid,
                &answer.challenge,
                at,
            ));
        }
    }
    Err(TotpError::Contended)
}

#[cfg(test)]
mod tests {
    use super::*;
    use keycadence_otp::ChallengeStatus;

    #[test]
    fn only_lock_outcomes_refuse() {
        let until = UnixMillis(5);
        assert_eq!(
            locked(TotpOutcome::LockedOut {
                limited_until: until
            }),
            Some(until)
        );
        assert_eq!(
            locked(TotpOutcome::TooManyFailures {
                limited_until: until
            }),
            Some(until)
        );
        assert_eq!(locked(TotpOutcome::Wrong), None);
        assert_eq!(
            locked(TotpOutcome::Accepted {
                step: 1,
                newly_verified: false
            }),
            None
        );
    }

    #[test]
    fn statuses_serialise_as_twilio_writes_them() {
        assert_eq!(
            serde_json::to_value(ChallengeStatus::Pending).unwrap(),
            "pending"
        );
        assert_eq!(
            serde_json::to_value(ChallengeStatus::Denied).unwrap(),
            "denied"
        );
    }
}
