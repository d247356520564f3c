//! A TOTP factor's life: created unverified with its secret sealed at rest (the
//! secret, URI and QR code are handed out once, at creation); the first accepted code makes
//! it verified. Every check refuses a code of a step at or before the last accepted one (RFC
//! 6238 §5.2: a code is good once), counts wrong codes and locks the factor after too many.
//!
//! Transitions are pure: the server loads a [`TotpFactor`], calls [`TotpFactor::check`] and
//! persists [`FactorCheck::next`].

use rand::{CryptoRng, RngCore};
use serde::{Deserialize, Serialize};

use super::uri::{otpauth_uri, qr_svg, FactorLabel, QrError};
use super::{matching_step, TotpConfig, TotpSecret};
use crate::at_rest::{AtRestError, SealedSecret, SecretSealer};
use crate::limiter::{AttemptPolicy, AttemptState, FailureEffect};
use crate::time::UnixMillis;

/// Whether a factor has been proven with a first code.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum FactorStatus {
    /// Created, no code accepted yet: not usable for challenges.
    Unverified,
    /// A code was accepted once: usable for challenges.
    Verified,
}

/// What the server persists per factor. The secret is only ever stored sealed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TotpFactor {
    /// Unverified or verified.
    pub status: FactorStatus,
    /// Algorithm, digits, step and skew.
    pub config: TotpConfig,
    /// The shared secret, sealed and bound to the factor's id.
    pub sealed_secret: SealedSecret,
    /// The step of the last accepted code; codes of this or earlier steps are refused.
    pub last_accepted_step: Option<u64>,
    /// Wrong codes counted towards a lock-out.
    pub attempts: AttemptState,
}

/// A new factor and what is shown to the user once (never stored in the clear).
#[derive(Debug, Clone)]
pub struct NewFactor {
    /// What to persist.
    pub factor: TotpFactor,
    /// Base32, for typing into an authenticator app.
    pub secret_base32: String,
    /// The `otpauth://totp/...` URI authenticator apps read.
    pub uri: String,
    /// The URI as a QR code, an SVG document.
    pub qr_svg: String,
}

/// The answer to a submitted code.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum TotpOutcome {
    /// Accepted for `step` (now stored as `last_accepted_step`); `newly_verified` when this
    /// code verified the factor.
    Accepted {
        /// The time step the code belongs to.
        step: u64,
        /// Whether this code verified the factor.
        newly_verified: bool,
    },
    /// Not the code of any step in the window. Counted.
    Wrong,
    /// The code of a step already used (or older than one used). Counted.
    Replayed,
    /// Not `digits` decimal digits. Not counted: it cannot be a guess.
    Malformed,
    /// This wrong code used the last allowed attempt.
    TooManyFailures {
        /// When the lock-out ends.
        limited_until: UnixMillis,
    },
    /// Locked out; the code was not checked.
    LockedOut {
        /// When the lock-out ends.
        limited_until: UnixMillis,
    },
}

impl TotpOutcome {
    /// Whether the code was accepted.
    pub fn is_accepted(&self) -> bool {
        matches!(self, TotpOutcome::Accepted { .. })
    }
}

/// The result of [`TotpFactor::check`]: answer with `outcome`, persist `next`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FactorCheck {
    /// What to answer.
    pub outcome: TotpOutcome,
    /// The factor to persist.
    pub next: TotpFactor,
}

/// Why a factor could not be created.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum FactorError {
    /// The URI is too long for a QR code.
    #[error(transparent)]
    Qr(#[from] QrError),
}

/// The associated data binding a sealed secret to its factor.
fn seal_context(factor_id: &str) -> Vec<u8> {
    format!("keycadence-otp/totp-factor/{factor_id}").into_bytes()
}

impl TotpFactor {
    /// Creates an unverified factor for `factor_id` from a fresh ([`TotpSecret::generate`])
    /// or imported ([`TotpSecret::from_base32`]) secret.
    pub fn create(
        config: TotpConfig,
        secret: &TotpSecret,
        label: &FactorLabel,
        sealer: &SecretSealer,
        factor_id: &str,
        rng: &mut (impl RngCore + CryptoRng),
    ) -> Result<NewFactor, FactorError> {
        let uri = otpauth_uri(label, secret, &config);
        let qr_svg = qr_svg(&uri)?;
        Ok(NewFactor {
            factor: TotpFactor {
                status: FactorStatus::Unverified,
                config,
                sealed_secret: sealer.seal(secret.as_bytes(), &seal_context(factor_id), rng),
                last_accepted_step: None,
                attempts: AttemptState::default(),
            },
            secret_base32: secret.to_base32(),
            uri,
            qr_svg,
        })
    }

    /// Checks a code at `now`. Fails only when the secret does not open (wrong at-rest key,
    /// or a sealed value that was altered or belongs to another factor id).
    pub fn check(
        &self,
        code: &str,
        sealer: &SecretSealer,
        factor_id: &str,
        policy: &AttemptPolicy,
        now: UnixMillis,
    ) -> Result<FactorCheck, AtRestError> {
        let attempts = self.attempts.at(now);
        if let Some(limited_until) = attempts.locked_until(now) {
            return Ok(FactorCheck {
                outcome: TotpOutcome::LockedOut { limited_until },
                next: self.clone(),
            });
        }
        let digits: String = code.chars().filter(|c| !c.is_whitespace()).collect();
        if digits.len() != usize::from(self.config.digits())
            || !digits.bytes().all(|b| b.is_ascii_digit())
        {
            return Ok(self.with(
                TotpOutcome::Malformed,
                attempts,
                self.last_accepted_step,
                self.status,
            ));
        }
        let secret =
            TotpSecret::from_bytes(&sealer.open(&self.sealed_secret, &seal_context(factor_id))?)
                .map_err(|_| AtRestError::Tampered)?;
        let matched = matching_step(&secret, &digits, now.as_secs(), &self.config);
        match matched {
            Some(step) if self.last_accepted_step.map_or(true, |last| step > last) => Ok(self
                .with(
                    TotpOutcome::Accepted {
                        step,
                        newly_verified: self.status == FactorStatus::Unverified,
                    },
                    attempts.succeed(),
                    Some(step),
                    FactorStatus::Verified,
                )),
            _ => {
                let (attempts, effect) = attempts.fail(policy, now);
                let outcome = match (effect, matched) {
                    (FailureEffect::LockedOut { until }, _) => TotpOutcome::TooManyFailures {
                        limited_until: until,
                    },
                    (FailureEffect::Counted { .. }, Some(_)) => TotpOutcome::Replayed,
                    (FailureEffect::Counted { .. }, None) => TotpOutcome::Wrong,
                };
                Ok(self.with(outcome, attempts, self.last_accepted_step, self.status))
            }
        }
    }

    fn with(
        &self,
        outcome: TotpOutcome,
        attempts: AttemptState,
        last_accepted_step: Option<u64>,
        status: FactorStatus,
    ) -> FactorCheck {
        FactorCheck {
            outcome,
            next: TotpFactor {
                status,
                config: self.config,
                sealed_secret: self.sealed_secret.clone(),
                last_accepted_step,
                attempts,
            },
        }
    }
}
