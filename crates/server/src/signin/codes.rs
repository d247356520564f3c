//! The sign-in's code strategies: a code sent by e-mail or SMS (issued, delivered, its hash
//! kept in the sign-in's record), and checking a submitted code of any kind (that e-mailed or
//! texted code, the user's TOTP factor, a backup code).

use std::sync::Arc;

use keycadence_otp::{
    BackupCodeSet, BackupOutcome, CodeBinding, TotpOutcome, UnixMillis, UserIdentifier,
    ValidateOutcome,
};
use keycadence_signin::{Prepared, Strategy};

use super::error::SignInFailure;
use super::{verified_factors, Loaded, SignInRecord, SignInResult};
use crate::app::AppState;
use crate::otp::delivery::Email;

pub(super) fn binding(loaded: &Loaded, strategy: Strategy) -> CodeBinding {
    let user = UserIdentifier::Id(format!("sign-in:{}:{}", loaded.stored.id, strategy));
    CodeBinding::new(&loaded.record.application_id, &user)
}

fn lifetime_words(seconds: u64) -> String {
    match seconds {
        s if s % 60 == 0 && s >= 120 => format!("{} minutes", s / 60),
        s => format!("{s} seconds"),
    }
}

/// Issues and delivers an e-mail or SMS code; the record keeps its hash only after delivery.
pub(super) async fn send_code(
    state: &AppState,
    loaded: &Loaded,
    record: &mut SignInRecord,
    strategy: Strategy,
    now: UnixMillis,
) -> SignInResult<Prepared> {
    let app = &loaded.app;
    let by_sms = strategy == Strategy::PhoneCode;
    state
        .otp
        .floods
        .send_for(app.app_ref, by_sms)
        .map_err(|_| SignInFailure::SendLimited)?;
    let current = if by_sms {
        &record.phone_code
    } else {
        &record.email_code
    };
    let issued = app
        .codes
        .issue(
            current,
            &binding(loaded, strategy),
            now,
            &mut rand::rngs::OsRng,
        )
        .map_err(|_| SignInFailure::SendLimited)?;
    let code = issued.code.as_str();
    let lifetime = lifetime_words(app.settings.code_lifetime_seconds);
    if by_sms {
        let (Some(number), Some(account)) = (&record.contact.phone, app.sms_account()) else {
            return Err(SignInFailure::NoGateway);
        };
        let text = format!(
            "{code} is your sign-in code for {}. Valid for {lifetime}.",
            app.domain
        );
        state.otp.delivery.sms(&account, number, &text).await?;
        record.phone_code = issued.next;
    } else {
        let (Some(address), Some(from)) = (&record.contact.email, &app.settings.email_from) else {
            return Err(SignInFailure::NoGateway);
        };
        let body = format!(
            "Your sign-in code for {} is {code}.\r\n\r\nIt is valid for {lifetime}. If you \
             are not signing in, someone else may have your password: change it.\r\n",
            app.domain
        );
        state
            .otp
            .delivery
            .email(Email {
                from,
                to: address,
                subject: &app.settings.email_subject,
                body,
            })
            .await?;
        record.email_code = issued.next;
    }
    Ok(Prepared::CodeSent {
        expire_at: now.plus(std::time::Duration::from_secs(
            app.settings.code_lifetime_seconds,
        )),
    })
}

/// Checks a code of `strategy`; the code state it touches (this sign-in's Verify code, the
/// user's TOTP factor or backup codes) is updated whatever the outcome, so wrong codes count
/// there too. A malformed code is refused without counting.
pub(super) async fn check_code(
    state: &AppState,
    loaded: &Loaded,
    record: &mut SignInRecord,
    strategy: Strategy,
    code: &str,
    now: UnixMillis,
) -> SignInResult<bool> {
    match strategy {
        Strategy::EmailCode | Strategy::PhoneCode => {
            let current = if strategy == Strategy::EmailCode {
                &mut record.email_code
            } else {
                &mut record.phone_code
            };
            let checked = loaded
                .app
                .codes
                .validate(current, &binding(loaded, strategy), code, now);
            *current = checked.next;
            Ok(checked.outcome == ValidateOutcome::Matched)
        }
        Strategy::Totp => {
            let entity = record.contact.totp.as_ref().ok_or(SignInFailure::State(
                keycadence_signin::SignInError::StrategyNotAvailable,
            ))?;
            let policy = keycadence_otp::AttemptPolicy::default();
            let mut accepted = false;
            for (sid, factor_ref, version, factor) in verified_factors(state, entity).await? {
                let checked = factor
                    .check(code, &state.otp.sealer, &sid, &policy, now)
                    .map_err(|err| SignInFailure::Internal(format!("TOTP secret: {err}")))?;
                if checked.outcome == TotpOutcome::Malformed {
                    return Err(SignInFailure::BadParameter("code"));
                }
                let json = serde_json::to_string(&checked.next)?;
                if !state
                    .db
                    .totp()
                    .swap_factor(factor_ref, version, &json, None, state.clock.now_millis())
                    .await?
                {
                    return Err(SignInFailure::Contended);
                }
                if checked.outcome.is_accepted() {
                    accepted = true;
                    break;
                }
            }
            Ok(accepted)
        }
        Strategy::BackupCode => {
            let entity = record.contact.totp.clone().ok_or(SignInFailure::State(
                keycadence_signin::SignInError::StrategyNotAvailable,
            ))?;
            let stored = state
                .db
                .backup_codes()
                .load(entity.service_ref, &entity.identity)
                .await?
                .ok_or(SignInFailure::State(
                    keycadence_signin::SignInError::StrategyNotAvailable,
                ))?;
            let set: BackupCodeSet = serde_json::from_str(&stored.json)?;
            let otp = Arc::clone(&state.otp);
            let submitted = code.to_string();
            // argon2: off the async workers.
            let redeemed = tokio::task::spawn_blocking(move || {
                otp.backup_codes.redeem(
                    &set,
                    &submitted,
                    &keycadence_otp::AttemptPolicy::default(),
                    now,
                )
            })
            .await?;
            if redeemed.outcome == BackupOutcome::Malformed {
                return Err(SignInFailure::BadParameter("code"));
            }
            let json = serde_json::to_string(&redeemed.next)?;
            if !state
                .db
                .backup_codes()
                .swap(
                    entity.service_ref,
                    &entity.identity,
                    stored.version,
                    &json,
                    state.clock.now_millis(),
                )
                .await?
            {
                return Err(SignInFailure::Contended);
            }
            Ok(matches!(redeemed.outcome, BackupOutcome::Redeemed { .. }))
        }
        Strategy::Typing => Err(SignInFailure::BadParameter("pattern")),
    }
}
