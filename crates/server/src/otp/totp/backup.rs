//! Backup codes of an entity (Clerk's `backup_code`): ten single-use codes shown once and
//! stored as argon2id hashes; redeeming one uses it up, wrong ones count towards a lock-out.
//! argon2 is slow on purpose, so hashing runs on the blocking pool.

use std::sync::Arc;

use keycadence_otp::{BackupCodeSet, BackupOutcome};

use super::services::Service;
use super::{backup_code_policy, stored_time, TotpError};
use crate::app::AppState;
use crate::contention::{self, SWAP_ATTEMPTS};

/// A new set of codes, shown once.
pub struct IssuedCodes {
    /// As the user types them.
    pub codes: Vec<String>,
    pub remaining: usize,
}

/// Whether a redeemed code was good, and how many unused codes remain.
pub struct Redemption {
    pub valid: bool,
    pub remaining: usize,
}

fn not_found(service: &Service, identity: &str) -> TotpError {
    TotpError::NotFound(service.entity_url(identity, "BackupCodes"))
}

/// Ten new codes for `identity`, replacing any earlier set.
pub async fn issue(
    state: &AppState,
    service: &Service,
    identity: &str,
) -> Result<IssuedCodes, TotpError> {
    let otp = Arc::clone(&state.otp);
    let new =
        tokio::task::spawn_blocking(move || otp.backup_codes.generate(&mut rand::rngs::OsRng))
            .await?;
    state
        .db
        .backup_codes()
        .replace(
            service.stored.service_ref,
            identity,
            &serde_json::to_string(&new.set)?,
            state.clock.now_millis(),
        )
        .await?;
    Ok(IssuedCodes {
        codes: new.codes.iter().map(|c| c.display()).collect(),
        remaining: new.set.remaining(),
    })
}

/// How many unused codes `identity` has.
pub async fn remaining(
    state: &AppState,
    service: &Service,
    identity: &str,
) -> Result<usize, TotpError> {
    let stored = state
        .db
        .backup_codes()
        .load(service.stored.service_ref, identity)
        .await?
        .ok_or_else(|| not_found(service, identity))?;
    let set: BackupCodeSet = serde_json::from_str(&stored.json)?;
    Ok(set.remaining())
}

/// Redeems `code` for `identity`: valid once per code.
pub async fn redeem(
    state: &AppState,
    service: &Service,
    identity: &str,
    code: &str,
) -> Result<Redemption, TotpError> {
    for attempt in 0..SWAP_ATTEMPTS {
        contention::before_attempt(attempt).await;
        let stored = state
            .db
            .backup_codes()
            .load(service.stored.service_ref, identity)
            .await?
            .ok_or_else(|| not_found(service, identity))?;
        let set: BackupCodeSet = serde_json::from_str(&stored.json)?;
        let now = state.clock.now();
        let redemption = {
            let (otp, set, code) = (Arc::clone(&state.otp), set.clone(), code.to_string());
            tokio::task::spawn_blocking(move || {
                otp.backup_codes
                    .redeem(&set, &code, &backup_code_policy(), now)
            })
            .await?
        };
        let valid = match redemption.outcome {
            BackupOutcome::Malformed => {
                return Err(TotpError::invalid(
                    "Code",
                    "a backup code has 12 letters and digits (dashes and spaces are ignored)",
                ))
            }
            BackupOutcome::LockedOut { limited_until } => {
                return Err(TotpError::LockedOut {
                    until: limited_until,
                    at: now,
                })
            }
            BackupOutcome::Redeemed { .. } => true,
            BackupOutcome::Wrong | BackupOutcome::TooManyFailures { .. } => false,
            // An outcome added later is not a redemption until this service says so.
            _ => false,
        };
        let swapped = state
            .db
            .backup_codes()
            .swap(
                service.stored.service_ref,
                identity,
                stored.version,
                &serde_json::to_string(&redemption.next)?,
                stored_time(now),
            )
            .await?;
        if !swapped {
            continue;
        }
        if let BackupOutcome::TooManyFailures { limited_until } = redemption.outcome {
            return Err(TotpError::LockedOut {
                until: limited_until,
                at: now,
            });
        }
        return Ok(Redemption {
            valid,
            remaining: redemption.next.remaining(),
        });
    }
    Err(TotpError::Contended)
}
