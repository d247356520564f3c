//! Backup codes of an entity (Clerk's `backup_code`): ten single-use codes shown once and
//! stored as argon2id hashes; redeeming one uses it up, wrong ones count towards a lock-out.
//! argon2 is slow on purpose, so hashing runs on the blocking pool.

use std::sync::Arc;

use axum::extract::{Path, State};
use keycadence_otp::{BackupCodeSet, BackupOutcome};
use serde_json::json;

use super::services::Service;
use super::{
    backup_code_policy, check_identity, created, ok, required, TotpCall, TotpError, TotpResult,
};
use crate::app::AppState;
use crate::contention::{self, SWAP_ATTEMPTS};

fn not_found(service: &Service, identity: &str) -> TotpError {
    TotpError::NotFound(service.entity_url(identity, "BackupCodes"))
}

/// `POST …/Entities/{identity}/BackupCodes`: ten new codes, replacing any earlier set.
pub async fn create_backup_codes(
    State(state): State<AppState>,
    Path((service_sid, identity)): Path<(String, String)>,
    TotpCall(call): TotpCall,
) -> TotpResult {
    let service = Service::find(&state, &call, &service_sid).await?;
    check_identity(&identity)?;
    let otp = Arc::clone(&state.otp);
    let new =
        tokio::task::spawn_blocking(move || otp.backup_codes.generate(&mut rand::rngs::OsRng))
            .await?;
    state
        .db
        .replace_backup_codes(
            service.stored.service_ref,
            &identity,
            &serde_json::to_string(&new.set)?,
            state.clock.now_millis(),
        )
        .await?;
    let codes: Vec<String> = new.codes.iter().map(|c| c.display()).collect();
    created(json!({
        "service_sid": service.stored.sid,
        "identity": identity,
        "codes": codes,
        "remaining": new.set.remaining(),
    }))
}

/// `GET …/Entities/{identity}/BackupCodes`: how many unused codes remain.
pub async fn fetch_backup_codes(
    State(state): State<AppState>,
    Path((service_sid, identity)): Path<(String, String)>,
    TotpCall(call): TotpCall,
) -> TotpResult {
    let service = Service::find(&state, &call, &service_sid).await?;
    let stored = state
        .db
        .load_backup_codes(service.stored.service_ref, &identity)
        .await?
        .ok_or_else(|| not_found(&service, &identity))?;
    let set: BackupCodeSet = serde_json::from_str(&stored.json)?;
    ok(json!({
        "service_sid": service.stored.sid,
        "identity": identity,
        "remaining": set.remaining(),
    }))
}

/// `POST …/Entities/{identity}/BackupCodes/Redeem` with `Code`: `valid` is true once per code.
pub async fn redeem_backup_code(
    State(state): State<AppState>,
    Path((service_sid, identity)): Path<(String, String)>,
    TotpCall(call): TotpCall,
) -> TotpResult {
    let service = Service::find(&state, &call, &service_sid).await?;
    let code = required(&call, "Code")?.to_string();
    for attempt in 0..SWAP_ATTEMPTS {
        contention::before_attempt(attempt).await;
        let stored = state
            .db
            .load_backup_codes(service.stored.service_ref, &identity)
            .await?
            .ok_or_else(|| not_found(&service, &identity))?;
        let set: BackupCodeSet = serde_json::from_str(&stored.json)?;
        let redemption = {
            let (otp, set, code) = (Arc::clone(&state.otp), set.clone(), code.clone());
            let now = state.clock.now();
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
                return Err(TotpError::LockedOut(limited_until))
            }
            BackupOutcome::Redeemed { .. } => true,
            BackupOutcome::Wrong | BackupOutcome::TooManyFailures { .. } => false,
            // An outcome added later is not a redemption until this handler says so.
            _ => false,
        };
        let swapped = state
            .db
            .swap_backup_codes(
                service.stored.service_ref,
                &identity,
                stored.version,
                &serde_json::to_string(&redemption.next)?,
            )
            .await?;
        if !swapped {
            continue;
        }
        if let BackupOutcome::TooManyFailures { limited_until } = redemption.outcome {
            return Err(TotpError::LockedOut(limited_until));
        }
        return ok(json!({
            "service_sid": service.stored.sid,
            "identity": identity,
            "valid": valid,
            "remaining": redemption.next.remaining(),
        }));
    }
    Err(TotpError::Contended)
}
