//! TOTP challenges (the Twilio Verify model): a login asks the user's verified factor
//! for a code. Created with a code: right → `approved`, otherwise `pending`, retried with new
//! codes while pending, `expired` once past its expiry (default 5 minutes after creation, at
//! most 60), or `denied` by the server.
//!
//! Codes are checked by the factor ([`TotpFactor::check`]), so replay refusal and attempt
//! limits are the factor's: a challenge cannot be used to get around them. The server
//! persists both the [`Challenge`] and the factor's next state after every call.

use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::at_rest::{AtRestError, SecretSealer};
use crate::limiter::AttemptPolicy;
use crate::time::UnixMillis;
use crate::totp::factor::{FactorStatus, TotpFactor, TotpOutcome};

/// Lifetime of a challenge created without an expiry.
pub const DEFAULT_EXPIRY: Duration = Duration::from_secs(5 * 60);
/// Furthest a challenge's expiry may lie after its creation.
pub const MAX_EXPIRY: Duration = Duration::from_secs(60 * 60);

/// Where a challenge stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ChallengeStatus {
    /// Waiting for a correct code, before its expiry.
    Pending,
    /// A correct code answered it.
    Approved,
    /// Its expiry passed while it was pending.
    Expired,
    /// Denied before it was answered.
    Denied,
}

/// What the server persists per challenge (besides its own id and the factor's id).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Challenge {
    /// Pending, approved, expired or denied (see [`Challenge::at`] for the status at a time).
    pub status: ChallengeStatus,
    /// When it was created.
    pub created_at: UnixMillis,
    /// When a pending challenge expires.
    pub expires_at: UnixMillis,
    /// When it was approved or denied.
    pub responded_at: Option<UnixMillis>,
}

/// Why a challenge could not be created or answered.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ChallengeError {
    /// The factor has not been verified with a first code yet.
    #[error("the factor is not verified; verify it with a first code before challenging it")]
    FactorNotVerified,
    /// The requested expiry is not after the creation time.
    #[error("the expiration date must be after the creation time")]
    ExpiryNotInFuture,
    /// The requested expiry lies further ahead than [`MAX_EXPIRY`].
    #[error(
        "the expiration date is {requested_ms} ms after creation; at most {max_ms} ms are allowed"
    )]
    ExpiryTooFar {
        /// Requested lifetime, ms.
        requested_ms: u64,
        /// The most allowed, ms.
        max_ms: u64,
    },
    /// The challenge is no longer pending (its status is given).
    #[error("the challenge is {0:?}; only a pending challenge can be answered or denied")]
    NotPending(ChallengeStatus),
    /// The factor's secret does not open.
    #[error(transparent)]
    AtRest(#[from] AtRestError),
}

/// A challenge with the factor's next state and what the code did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChallengeAnswer {
    /// The challenge after the code, to persist.
    pub challenge: Challenge,
    /// The factor after the code (attempts counted), to persist.
    pub factor: TotpFactor,
    /// What the code did.
    pub outcome: TotpOutcome,
}

/// The factor and how to open and limit it, as a challenge needs them.
#[derive(Debug, Clone, Copy)]
pub struct FactorAccess<'a> {
    /// The factor the challenge is for.
    pub factor: &'a TotpFactor,
    /// The factor's id, which its sealed secret is bound to.
    pub factor_id: &'a str,
    /// Opens the factor's secret.
    pub sealer: &'a SecretSealer,
    /// Failed-attempt limits.
    pub policy: &'a AttemptPolicy,
}

impl Challenge {
    /// Creates a challenge answered by `code`. `expires_at` defaults to now + 5 minutes and
    /// may be at most now + 60 minutes.
    pub fn create(
        access: FactorAccess<'_>,
        code: &str,
        expires_at: Option<UnixMillis>,
        now: UnixMillis,
    ) -> Result<ChallengeAnswer, ChallengeError> {
        if access.factor.status != FactorStatus::Verified {
            return Err(ChallengeError::FactorNotVerified);
        }
        let expires_at = expires_at.unwrap_or(now.plus(DEFAULT_EXPIRY));
        if expires_at <= now {
            return Err(ChallengeError::ExpiryNotInFuture);
        }
        let requested_ms = expires_at.0 - now.0;
        let max_ms = MAX_EXPIRY.as_millis() as u64;
        if requested_ms > max_ms {
            return Err(ChallengeError::ExpiryTooFar {
                requested_ms,
                max_ms,
            });
        }
        let pending = Challenge {
            status: ChallengeStatus::Pending,
            created_at: now,
            expires_at,
            responded_at: None,
        };
        pending.answer(access, code, now)
    }

    /// Retries a pending challenge with a new code.
    pub fn respond(
        &self,
        access: FactorAccess<'_>,
        code: &str,
        now: UnixMillis,
    ) -> Result<ChallengeAnswer, ChallengeError> {
        let current = self.at(now);
        if current.status != ChallengeStatus::Pending {
            return Err(ChallengeError::NotPending(current.status));
        }
        if access.factor.status != FactorStatus::Verified {
            return Err(ChallengeError::FactorNotVerified);
        }
        current.answer(access, code, now)
    }

    /// Denies a pending challenge (the user said "not me", or the login was abandoned).
    pub fn deny(&self, now: UnixMillis) -> Result<Challenge, ChallengeError> {
        let current = self.at(now);
        if current.status != ChallengeStatus::Pending {
            return Err(ChallengeError::NotPending(current.status));
        }
        Ok(Challenge {
            status: ChallengeStatus::Denied,
            responded_at: Some(now),
            ..current
        })
    }

    /// The challenge as it stands at `now`: a pending one past its expiry is expired. Use it
    /// to report a status, and persist it when it changed.
    pub fn at(&self, now: UnixMillis) -> Challenge {
        if self.status == ChallengeStatus::Pending && now >= self.expires_at {
            Challenge {
                status: ChallengeStatus::Expired,
                ..*self
            }
        } else {
            *self
        }
    }

    fn answer(
        &self,
        access: FactorAccess<'_>,
        code: &str,
        now: UnixMillis,
    ) -> Result<ChallengeAnswer, ChallengeError> {
        let check =
            access
                .factor
                .check(code, access.sealer, access.factor_id, access.policy, now)?;
        let challenge = if check.outcome.is_accepted() {
            Challenge {
                status: ChallengeStatus::Approved,
                responded_at: Some(now),
                ..*self
            }
        } else {
            *self
        };
        Ok(ChallengeAnswer {
            challenge,
            factor: check.next,
            outcome: check.outcome,
        })
    }
}
