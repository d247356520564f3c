//! TOTP challenges (Twilio's model): created with a code, `approved` when it is right and
//! `pending` otherwise; a pending challenge may be retried with new codes until it expires
//! (default 5 minutes, at most 60), or be `denied`. Codes are checked by the factor, so its
//! replay refusal and lock-out apply: a refused attempt because of a lock-out creates no
//! challenge.

use keycadence_otp::{Challenge, FactorAccess, TotpFactor, TotpOutcome, UnixMillis};

use super::factors::Factor;
use super::services::Service;
use super::{attempt_policy, new_sid, stored_time, TotpError};
use crate::app::AppState;
use crate::contention::{self, SWAP_ATTEMPTS};

/// A challenge as answered: its factor, id, state and when it last changed.
pub struct ChallengeRecord {
    pub factor: Factor,
    pub sid: String,
    pub challenge: Challenge,
    pub updated_at: UnixMillis,
}

/// What a request does to a pending challenge.
pub enum ChallengeAction<'a> {
    /// Retry it with a code.
    Respond(&'a str),
    /// Deny it.
    Deny,
}

fn locked(outcome: TotpOutcome) -> Option<UnixMillis> {
    match outcome {
        TotpOutcome::TooManyFailures { limited_until }
        | TotpOutcome::LockedOut { limited_until } => Some(limited_until),
        _ => None,
    }
}

/// Persists only the factor (the attempt counted towards its lock-out) and refuses with the
/// lock-out; `Ok` means the factor changed meanwhile and the request must be redone.
async fn refuse_locked(
    state: &AppState,
    factor: &Factor,
    next: &TotpFactor,
    until: UnixMillis,
    at: UnixMillis,
) -> Result<(), TotpError> {
    if *next != factor.state {
        let swapped = state
            .db
            .totp()
            .swap_factor(
                factor.stored.factor_ref,
                factor.stored.state.version,
                &serde_json::to_string(next)?,
                None,
                stored_time(at),
            )
            .await?;
        if !swapped {
            return Ok(());
        }
    }
    Err(TotpError::LockedOut { until, at })
}

/// Creates a challenge of the factor `factor_sid` answered with `code`: approved when it is
/// right, pending otherwise; it expires at `expires_at` (the crate's default when absent).
pub async fn create(
    state: &AppState,
    service: &Service,
    identity: &str,
    factor_sid: &str,
    code: &str,
    expires_at: Option<UnixMillis>,
) -> Result<ChallengeRecord, TotpError> {
    for attempt in 0..SWAP_ATTEMPTS {
        contention::before_attempt(attempt).await;
        let factor = Factor::find(state, service, identity, factor_sid).await?;
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
            refuse_locked(state, &factor, &answer.factor, until, at).await?;
            continue;
        }
        let sid = new_sid("YC");
        let inserted = state
            .db
            .totp()
            .insert_challenge(
                factor.stored.factor_ref,
                factor.stored.state.version,
                &serde_json::to_string(&answer.factor)?,
                &sid,
                &serde_json::to_string(&answer.challenge)?,
                stored_time(at),
            )
            .await?;
        if inserted {
            return Ok(ChallengeRecord {
                factor,
                sid,
                challenge: answer.challenge,
                updated_at: at,
            });
        }
    }
    Err(TotpError::Contended)
}

struct FoundChallenge {
    challenge_ref: i64,
    version: i64,
    record: ChallengeRecord,
}

async fn find_challenge(
    state: &AppState,
    service: &Service,
    identity: &str,
    sid: &str,
) -> Result<FoundChallenge, TotpError> {
    let stored = state
        .db
        .totp()
        .find_challenge(service.stored.service_ref, identity, sid)
        .await?
        .ok_or_else(|| {
            TotpError::NotFound(service.entity_url(identity, &format!("Challenges/{sid}")))
        })?;
    Ok(FoundChallenge {
        challenge_ref: stored.challenge_ref,
        version: stored.version,
        record: ChallengeRecord {
            sid: stored.sid,
            challenge: serde_json::from_str(&stored.state)?,
            updated_at: UnixMillis(u64::try_from(stored.updated_at).unwrap_or(0)),
            factor: Factor::read(stored.factor)?,
        },
    })
}

/// The challenge `sid`: a pending challenge past its expiry is reported (and stored) as
/// expired.
pub async fn fetch(
    state: &AppState,
    service: &Service,
    identity: &str,
    sid: &str,
) -> Result<ChallengeRecord, TotpError> {
    for attempt in 0..SWAP_ATTEMPTS {
        contention::before_attempt(attempt).await;
        let found = find_challenge(state, service, identity, sid).await?;
        let at = state.clock.now();
        let current = found.record.challenge.at(at);
        let updated_at = if current == found.record.challenge {
            found.record.updated_at
        } else if state
            .db
            .totp()
            .update_challenge(
                found.challenge_ref,
                found.version,
                &serde_json::to_string(&current)?,
                None,
                stored_time(at),
            )
            .await?
        {
            at
        } else {
            continue;
        };
        return Ok(ChallengeRecord {
            challenge: current,
            updated_at,
            ..found.record
        });
    }
    Err(TotpError::Contended)
}

/// Retries the pending challenge `sid` with a code, or denies it.
pub async fn update(
    state: &AppState,
    service: &Service,
    identity: &str,
    sid: &str,
    action: ChallengeAction<'_>,
) -> Result<ChallengeRecord, TotpError> {
    for attempt in 0..SWAP_ATTEMPTS {
        contention::before_attempt(attempt).await;
        let found = find_challenge(state, service, identity, sid).await?;
        let factor = &found.record.factor;
        let policy = attempt_policy(&factor.state.config);
        let at = state.clock.now();
        let ChallengeAction::Respond(code) = action else {
            let denied = found
                .record
                .challenge
                .deny(at)
                .map_err(TotpError::Challenge)?;
            let swapped = state
                .db
                .totp()
                .update_challenge(
                    found.challenge_ref,
                    found.version,
                    &serde_json::to_string(&denied)?,
                    None,
                    stored_time(at),
                )
                .await?;
            if swapped {
                return Ok(ChallengeRecord {
                    challenge: denied,
                    updated_at: at,
                    ..found.record
                });
            }
            continue;
        };
        let access = FactorAccess {
            factor: &factor.state,
            factor_id: &factor.stored.sid,
            sealer: &state.otp.sealer,
            policy: &policy,
        };
        let answer = found
            .record
            .challenge
            .respond(access, code, at)
            .map_err(TotpError::Challenge)?;
        if let Some(until) = locked(answer.outcome) {
            refuse_locked(state, factor, &answer.factor, until, at).await?;
            continue;
        }
        let updated = state
            .db
            .totp()
            .update_challenge(
                found.challenge_ref,
                found.version,
                &serde_json::to_string(&answer.challenge)?,
                Some((
                    factor.stored.factor_ref,
                    factor.stored.state.version,
                    &serde_json::to_string(&answer.factor)?,
                )),
                stored_time(at),
            )
            .await?;
        if updated {
            return Ok(ChallengeRecord {
                challenge: answer.challenge,
                updated_at: at,
                ..found.record
            });
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
