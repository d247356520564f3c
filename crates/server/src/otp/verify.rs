//! The Verify 2FA service behind `POST /otp/send`, `POST /otp/validate` and
//! `POST /user/reset-profile` (handlers in [`super::verify_http`]).
//!
//! A body is authentic iff its payload opens with the application's key: protocol 2.0 (AES-GCM,
//! purpose `backend`, used once), or 1.x where the application allows it; the payload names
//! the user. Each user's code record is read, passed through keycadence-otp and written back
//! under the user's lock, with a compare-and-swap on its version against other instances.

use std::net::IpAddr;
use std::sync::Arc;

use keycadence_otp::payload;
use keycadence_otp::PayloadError;
use keycadence_otp::{
    code_from_json, CodeBinding, OtpRecord, RequestedVersion, SendRefused, UserIdentifier,
    ValidateOutcome, VerifyPayload,
};
use serde_json::{Map, Value};

use super::apps::{reset_token_hash, VerifyApp};
use super::delivery::Email;
use super::floods::Flooded;
use super::reply::VerifyFailure;
use crate::app::AppState;
use crate::contention::{self, SWAP_ATTEMPTS};
use crate::db::payload_uses::{PayloadUse, UseAndSwap};

/// A request whose payload opened: the application, the user, the rest of the body and the
/// payload's use, which the handler records (a payload is accepted once).
struct OpenedRequest {
    app: Arc<VerifyApp>,
    user: UserIdentifier,
    user_key: String,
    body: Map<String, Value>,
    payload_use: PayloadUse,
}

impl OpenedRequest {
    fn binding(&self) -> CodeBinding {
        CodeBinding::new(&self.app.application_id, &self.user)
    }
}

/// A flood limit's refusal, as of the clock's time.
fn flooded_now(state: &AppState, flooded: Flooded) -> VerifyFailure {
    VerifyFailure::Flooded {
        flooded,
        at: state.clock.now(),
    }
}

fn text_field<'a>(
    body: &'a Map<String, Value>,
    name: &'static str,
) -> Result<&'a str, VerifyFailure> {
    match body.get(name) {
        Some(Value::String(s)) if !s.trim().is_empty() => Ok(s.trim()),
        _ => Err(VerifyFailure::MissingField(name)),
    }
}

/// The application (106), its client (105), the payload: protocol 2.0 for the back end, or 1.x
/// where the application allows it (124 otherwise, 104 malformed), fresh (108) and not used
/// before (124); then the user identifier (109/111/112).
async fn open_request(state: &AppState, bytes: &[u8]) -> Result<OpenedRequest, VerifyFailure> {
    let body = match serde_json::from_slice::<Value>(bytes) {
        Ok(Value::Object(body)) => body,
        _ => return Err(VerifyFailure::BodyNotJson),
    };
    let client_id = text_field(&body, "clientId")?;
    let application_id = text_field(&body, "applicationId")?;
    let otp = &state.otp;
    let app = otp
        .apps
        .find(&state.db, &otp.sealer, otp.pepper(), application_id)
        .await?
        .filter(|app| !app.revoked)
        .ok_or(VerifyFailure::UnknownApplication)?;
    if app.client_id != client_id {
        return Err(VerifyFailure::ClientMismatch);
    }
    let version = RequestedVersion::from_json(body.get("version"))?;
    let sealed = match body.get("payload") {
        Some(Value::String(s)) => s.clone(),
        _ => return Err(PayloadError::Missing.into()),
    };
    let policy = app.settings.backend_payloads();
    // A legacy key-cache miss derives a key (PBKDF2 or scrypt: milliseconds of CPU): off the
    // async workers.
    let accepted = {
        let now = state.clock.now();
        let state = state.otp.clone();
        let app = app.clone();
        tokio::task::spawn_blocking(move || {
            payload::open_for(
                &state.payload_keys,
                &app.application_id,
                app.client_secret(),
                &sealed,
                version,
                &policy,
                now,
            )
        })
        .await??
    };
    let user = accepted.payload.identifiers()?.primary();
    let user_key = otp.user_key(&app.application_id, &user);
    let payload_use = PayloadUse {
        app_ref: app.app_ref,
        purpose: policy.purpose.as_str(),
        token: accepted.replay_token,
        usable_until: i64::try_from(accepted.usable_until.0).unwrap_or(i64::MAX),
    };
    Ok(OpenedRequest {
        app,
        user,
        user_key,
        body,
        payload_use,
    })
}

/// The stored record (default when none) and its version.
async fn load_record(
    state: &AppState,
    request: &OpenedRequest,
) -> Result<(OtpRecord, Option<i64>), VerifyFailure> {
    Ok(
        match state
            .db
            .code_records()
            .load(request.app.app_ref, &request.user_key)
            .await?
        {
            Some(stored) => (serde_json::from_str(&stored.json)?, Some(stored.version)),
            None => (OtpRecord::default(), None),
        },
    )
}

fn lifetime_text(seconds: u64) -> String {
    if seconds < 120 {
        format!("{seconds} seconds")
    } else {
        format!("{} minutes", seconds.div_ceil(60))
    }
}

/// Sends `code` to the request's user by e-mail or SMS.
async fn deliver(
    state: &AppState,
    request: &OpenedRequest,
    code: &str,
) -> Result<(), VerifyFailure> {
    let app = &request.app;
    let lifetime = lifetime_text(app.settings.code_lifetime_seconds);
    match &request.user {
        UserIdentifier::Email(address) => {
            state
                .otp
                .delivery
                .email(Email {
                    from: app.settings.email_from.as_deref().unwrap_or_default(),
                    to: address,
                    subject: &app.settings.email_subject,
                    body: format!(
                        "Your verification code for {domain} is {code}.\r\n\r\n\
                         It expires in {lifetime}. If you did not ask for a code, you can \
                         ignore this message.\r\n",
                        domain = app.domain
                    ),
                })
                .await?
        }
        UserIdentifier::Phone(number) => {
            let account = app.sms_account().ok_or(VerifyFailure::NoSmsGateway)?;
            let text = format!(
                "{code} is your {domain} verification code. It expires in {lifetime}.",
                domain = app.domain
            );
            state.otp.delivery.sms(&account, number, &text).await?
        }
        UserIdentifier::Id(_) => return Err(VerifyFailure::NoDeliveryAddress),
    }
    Ok(())
}

/// What `/otp/send` did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SendOutcome {
    /// Delivered (code 9); the code itself only when the application echoes codes (sandboxes).
    Sent { echoed_code: Option<u64> },
    /// Too many codes sent, or the user is locked out: nothing sent.
    Refused(SendRefused),
}

/// `POST /otp/send`: a new code to the user's e-mail address or phone, from a client at
/// `address`. Nothing is kept unless the delivery succeeded.
pub async fn send(
    state: &AppState,
    address: Option<IpAddr>,
    body: &[u8],
) -> Result<SendOutcome, VerifyFailure> {
    state
        .otp
        .floods
        .send_from(address)
        .map_err(|flooded| flooded_now(state, flooded))?;
    let request = open_request(state, body).await?;
    // Before anything is sent: a replayed payload must not make a second delivery.
    if !state.db.payload_uses().record(&request.payload_use).await? {
        return Err(PayloadError::Replayed.into());
    }
    let app = &request.app;
    if app.settings.disable_rot {
        return Err(VerifyFailure::RotDisabled);
    }
    match &request.user {
        UserIdentifier::Email(_) => {
            if !state.otp.delivery.has_smtp() || app.settings.email_from.is_none() {
                return Err(VerifyFailure::NoEmailGateway);
            }
        }
        UserIdentifier::Phone(_) => {
            if app.sms_account().is_none() {
                return Err(VerifyFailure::NoSmsGateway);
            }
        }
        UserIdentifier::Id(_) => return Err(VerifyFailure::NoDeliveryAddress),
    }
    state
        .otp
        .floods
        .send_for(
            app.app_ref,
            matches!(request.user, UserIdentifier::Phone(_)),
        )
        .map_err(|flooded| flooded_now(state, flooded))?;
    let _user = state.otp.lock_user(app.app_ref, &request.user_key).await;
    // The send is booked (the next record swapped in) before the code goes out. A server
    // racing this one for the same user then reads the booked record: the send window counts
    // every code delivered across servers, and no code goes out that the record does not hold.
    let mut booked = None;
    for attempt in 0..SWAP_ATTEMPTS {
        contention::before_attempt(attempt).await;
        let (record, version) = load_record(state, &request).await?;
        let issued = match app.codes.issue(
            &record,
            &request.binding(),
            state.clock.now(),
            &mut rand::rngs::OsRng,
        ) {
            Ok(issued) => issued,
            Err(refused) => return Ok(SendOutcome::Refused(refused)),
        };
        let json = serde_json::to_string(&issued.next)?;
        if state
            .db
            .code_records()
            .swap(
                app.app_ref,
                &request.user_key,
                version,
                &json,
                state.clock.now_millis(),
            )
            .await?
        {
            booked = Some((issued, record, version));
            break;
        }
    }
    let Some((issued, previous, version)) = booked else {
        return Err(VerifyFailure::Contended);
    };
    if let Err(failure) = deliver(state, &request, issued.code.as_str()).await {
        // Nothing is kept of a code that did not go out: the previous record (or none) is put
        // back, unless another request changed the record meanwhile.
        let previous = version
            .map(|_| serde_json::to_string(&previous))
            .transpose()?;
        let booked_version = version.map_or(1, |v| v + 1);
        state
            .db
            .code_records()
            .restore(
                app.app_ref,
                &request.user_key,
                booked_version,
                previous.as_deref(),
                state.clock.now_millis(),
            )
            .await?;
        return Err(failure);
    }
    Ok(SendOutcome::Sent {
        echoed_code: app.settings.echo_codes.then(|| issued.code.as_number()),
    })
}

/// `POST /otp/validate` from a client at `address`: matched (the code is used up), invalid,
/// or a lock-out.
pub async fn validate(
    state: &AppState,
    address: Option<IpAddr>,
    body: &[u8],
) -> Result<ValidateOutcome, VerifyFailure> {
    state
        .otp
        .floods
        .validation_from(address)
        .map_err(|flooded| flooded_now(state, flooded))?;
    let request = open_request(state, body).await?;
    let submitted = match request.body.get("code") {
        None | Some(Value::Null) => return Err(VerifyFailure::MissingCode),
        Some(value) => code_from_json(value)?,
    };
    let app = &request.app;
    let _user = state.otp.lock_user(app.app_ref, &request.user_key).await;
    for attempt in 0..SWAP_ATTEMPTS {
        contention::before_attempt(attempt).await;
        let (record, version) = load_record(state, &request).await?;
        let checked =
            app.codes
                .validate(&record, &request.binding(), &submitted, state.clock.now());
        let json = (checked.next != record)
            .then(|| serde_json::to_string(&checked.next))
            .transpose()?;
        match state
            .db
            .payload_uses()
            .record_with_swap(
                &request.payload_use,
                &request.user_key,
                version,
                json.as_deref(),
                state.clock.now_millis(),
            )
            .await?
        {
            UseAndSwap::Done => {}
            UseAndSwap::Stale => continue,
            UseAndSwap::Replayed => return Err(PayloadError::Replayed.into()),
        }
        return Ok(checked.outcome);
    }
    Err(VerifyFailure::Contended)
}

/// The keys the identifier may be stored under: as an e-mail address, a phone number or an id.
fn candidate_users(identifier: &str) -> Vec<UserIdentifier> {
    let as_email = VerifyPayload {
        email: Some(identifier.to_string()),
        ..VerifyPayload::default()
    };
    let as_phone = VerifyPayload {
        phone_number: Some(identifier.to_string()),
        ..VerifyPayload::default()
    };
    let as_id = VerifyPayload {
        id: Some(identifier.to_string()),
        ..VerifyPayload::default()
    };
    [as_email, as_phone, as_id]
        .iter()
        .filter_map(|p| p.identifiers().ok().map(|ids| ids.primary()))
        .collect()
}

/// What `/user/reset-profile` did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ResetOutcome {
    /// No application has this reset-profile token.
    UnknownToken,
    /// The token is known but the request names no user.
    NoUser,
    /// The user's code records removed (0 when there were none).
    Deleted(u64),
}

/// `POST /user/reset-profile`: forgets `user_id`'s code state in the application `token`
/// belongs to (live code, failures, lock-out, send window).
pub async fn reset_profile(
    state: &AppState,
    token: &str,
    user_id: Option<&str>,
) -> Result<ResetOutcome, sqlx::Error> {
    let Some(app) = state
        .db
        .verify_apps()
        .find_by_reset_token(&reset_token_hash(token))
        .await?
    else {
        return Ok(ResetOutcome::UnknownToken);
    };
    let Some(user_id) = user_id else {
        return Ok(ResetOutcome::NoUser);
    };
    let keys: Vec<String> = candidate_users(user_id)
        .iter()
        .map(|user| state.otp.user_key(&app.application_id, user))
        .collect();
    Ok(ResetOutcome::Deleted(
        state.db.code_records().delete(app.app_ref, &keys).await?,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_identifier_is_tried_as_each_kind_it_can_be() {
        let keys: Vec<String> = candidate_users("Alice@Example.com")
            .iter()
            .map(UserIdentifier::key)
            .collect();
        assert_eq!(keys, ["email:alice@example.com", "id:Alice@Example.com"]);
        let keys: Vec<String> = candidate_users("+40 722 000 000")
            .iter()
            .map(UserIdentifier::key)
            .collect();
        assert_eq!(keys, ["phone:+40722000000", "id:+40 722 000 000"]);
    }
}
