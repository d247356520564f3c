//! The TOTP endpoints over HTTP: authenticate the call, read Twilio's parameters, call the use
//! case, answer with its view ([`super::wire`]).

use std::str::FromStr;
use std::time::UNIX_EPOCH;

use axum::extract::{FromRequest, Path, Request, State};
use keycadence_otp::{Algorithm, FactorLabel, UnixMillis};

use super::challenges::{self, ChallengeAction};
use super::factors::{self, FactorRequest};
use super::services::{self, NewService, Service};
use super::wire::{self, created, no_content, ok, TotpResult};
use super::{backup, TotpError};
use crate::app::AppState;
use crate::call::ApiCall;

/// Longest friendly name of a service, and of a factor (Twilio's limit; it becomes the
/// account name in the otpauth URI).
const MAX_NAME_CHARS: usize = 64;

/// An authenticated call on a TOTP route: the Authentication API's [`ApiCall`], whose
/// refusals are answered in Twilio's shape like every other TOTP error.
pub struct TotpCall(pub ApiCall);

impl FromRequest<AppState> for TotpCall {
    type Rejection = TotpError;

    async fn from_request(req: Request, state: &AppState) -> Result<Self, Self::Rejection> {
        ApiCall::from_request(req, state)
            .await
            .map(TotpCall)
            .map_err(TotpError::Refused)
    }
}

impl TotpCall {
    fn tenant_id(&self) -> i64 {
        self.0.tenant.tenant_id
    }

    /// A trimmed, non-empty parameter.
    fn param(&self, name: &'static str) -> Option<&str> {
        self.0.params.get(&[name])
    }

    fn required(&self, name: &'static str) -> Result<&str, TotpError> {
        self.param(name).ok_or(TotpError::MissingParameter(name))
    }

    fn number<T: FromStr>(&self, name: &'static str) -> Result<Option<T>, TotpError>
    where
        T::Err: std::fmt::Display,
    {
        self.param(name)
            .map(|text| text.parse().map_err(|e| TotpError::invalid(name, e)))
            .transpose()
    }

    /// A `true`/`false` parameter, false when absent.
    fn flag(&self, name: &'static str) -> Result<bool, TotpError> {
        match self.param(name) {
            None => Ok(false),
            Some(text) if text.eq_ignore_ascii_case("true") => Ok(true),
            Some(text) if text.eq_ignore_ascii_case("false") => Ok(false),
            Some(_) => Err(TotpError::invalid(name, "true or false")),
        }
    }

    /// `FriendlyName`, at most 64 characters.
    fn friendly_name(&self) -> Result<Option<&str>, TotpError> {
        match self.param("FriendlyName") {
            Some(name) if name.chars().count() > MAX_NAME_CHARS => {
                Err(TotpError::invalid("FriendlyName", "at most 64 characters"))
            }
            other => Ok(other),
        }
    }

    /// A submitted TOTP code: 3-8 characters (Twilio's `AuthPayload` range for TOTP).
    fn auth_payload(&self) -> Result<&str, TotpError> {
        let code = self.required("AuthPayload")?;
        if !(3..=8).contains(&code.chars().count()) {
            return Err(TotpError::invalid(
                "AuthPayload",
                "a TOTP code has 3-8 digits",
            ));
        }
        Ok(code)
    }

    /// `ExpirationDate`, an RFC 3339 date.
    fn expiration(&self) -> Result<Option<UnixMillis>, TotpError> {
        self.param("ExpirationDate")
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

    /// The service `sid` of the calling tenant (404 for another tenant's).
    async fn service(&self, state: &AppState, sid: &str) -> Result<Service, TotpError> {
        Service::find(state, self.tenant_id(), sid).await
    }
}

/// Twilio's entity identity: 8-64 characters, letters, digits and dashes (not personal data).
fn check_identity(identity: &str) -> Result<(), TotpError> {
    let ok = (8..=64).contains(&identity.len())
        && identity
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-');
    if ok {
        Ok(())
    } else {
        Err(TotpError::invalid(
            "Identity",
            "8-64 characters of letters, digits and dashes",
        ))
    }
}

/// `POST /v2/Services`.
pub async fn create_service(State(state): State<AppState>, call: TotpCall) -> TotpResult {
    let name = call.required("FriendlyName")?;
    if name.chars().count() > MAX_NAME_CHARS {
        return Err(TotpError::invalid("FriendlyName", "at most 64 characters"));
    }
    let issuer = call.param("Totp.Issuer").unwrap_or(name);
    services::check_issuer(issuer)?;
    let new = NewService {
        friendly_name: name,
        issuer,
        code_length: call.number("Totp.CodeLength")?,
        time_step: call.number("Totp.TimeStep")?,
        skew: call.number("Totp.Skew")?,
        allow_weak_codes: call.flag("Totp.AllowWeakCodes")?,
    };
    let service = services::create(&state, call.tenant_id(), new).await?;
    created(wire::service(call.tenant_id(), &service))
}

/// `GET /v2/Services/{VA}`.
pub async fn fetch_service(
    State(state): State<AppState>,
    Path(sid): Path<String>,
    call: TotpCall,
) -> TotpResult {
    let service = call.service(&state, &sid).await?;
    ok(wire::service(call.tenant_id(), &service))
}

/// `POST …/Entities/{identity}/Factors`.
pub async fn create_factor(
    State(state): State<AppState>,
    Path((service_sid, identity)): Path<(String, String)>,
    call: TotpCall,
) -> TotpResult {
    let service = call.service(&state, &service_sid).await?;
    check_identity(&identity)?;
    let factor_type = call.required("FactorType")?;
    if !factor_type.eq_ignore_ascii_case("totp") {
        return Err(TotpError::invalid("FactorType", "only totp is supported"));
    }
    let name = call
        .friendly_name()?
        .ok_or(TotpError::MissingParameter("FriendlyName"))?;
    let label = FactorLabel::new(&service.totp.issuer, name)
        .map_err(|e| TotpError::invalid("FriendlyName", e))?;
    let algorithm = call
        .param("Config.Alg")
        .map(|alg| Algorithm::parse(alg).map_err(|e| TotpError::invalid("Config.Alg", e)))
        .transpose()?;
    let request = FactorRequest {
        friendly_name: name,
        label,
        algorithm,
        code_length: call.number("Config.CodeLength")?,
        time_step: call.number("Config.TimeStep")?,
        skew: call.number("Config.Skew")?,
        secret: call.param("Binding.Secret"),
    };
    let new = factors::create(&state, &service, &identity, request).await?;
    created(wire::created_factor(call.tenant_id(), &service, &new))
}

/// `GET …/Entities/{identity}/Factors`.
pub async fn list_factors(
    State(state): State<AppState>,
    Path((service_sid, identity)): Path<(String, String)>,
    call: TotpCall,
) -> TotpResult {
    let service = call.service(&state, &service_sid).await?;
    let list = factors::list(&state, &service, &identity).await?;
    ok(wire::factor_list(
        call.tenant_id(),
        &service,
        &identity,
        &list,
    ))
}

/// `GET …/Factors/{YF}`.
pub async fn fetch_factor(
    State(state): State<AppState>,
    Path((service_sid, identity, sid)): Path<(String, String, String)>,
    call: TotpCall,
) -> TotpResult {
    let service = call.service(&state, &service_sid).await?;
    let factor = factors::find(&state, &service, &identity, &sid).await?;
    ok(wire::factor(call.tenant_id(), &service, &factor))
}

/// `POST …/Factors/{YF}`: `AuthPayload` checks a code (the first good one verifies the
/// factor; a wrong one leaves the status as it is), `FriendlyName` renames.
pub async fn update_factor(
    State(state): State<AppState>,
    Path((service_sid, identity, sid)): Path<(String, String, String)>,
    call: TotpCall,
) -> TotpResult {
    let service = call.service(&state, &service_sid).await?;
    let name = call.friendly_name()?;
    let code = match call.param("AuthPayload") {
        Some(_) => Some(call.auth_payload()?),
        None if name.is_some() => None,
        None => return Err(TotpError::MissingParameter("AuthPayload")),
    };
    let factor = factors::update(&state, &service, &identity, &sid, code, name).await?;
    ok(wire::factor(call.tenant_id(), &service, &factor))
}

/// `DELETE …/Factors/{YF}`: the factor and its challenges; 204.
pub async fn delete_factor(
    State(state): State<AppState>,
    Path((service_sid, identity, sid)): Path<(String, String, String)>,
    call: TotpCall,
) -> TotpResult {
    let service = call.service(&state, &service_sid).await?;
    factors::delete(&state, &service, &identity, &sid).await?;
    no_content()
}

/// `POST …/Entities/{identity}/Challenges`.
pub async fn create_challenge(
    State(state): State<AppState>,
    Path((service_sid, identity)): Path<(String, String)>,
    call: TotpCall,
) -> TotpResult {
    let service = call.service(&state, &service_sid).await?;
    let factor_sid = call.required("FactorSid")?;
    let code = call.auth_payload()?;
    let expires_at = call.expiration()?;
    let record =
        challenges::create(&state, &service, &identity, factor_sid, code, expires_at).await?;
    created(wire::challenge(call.tenant_id(), &service, &record))
}

/// `GET …/Challenges/{YC}`: a pending challenge past its expiry is reported (and stored) as
/// expired.
pub async fn fetch_challenge(
    State(state): State<AppState>,
    Path((service_sid, identity, sid)): Path<(String, String, String)>,
    call: TotpCall,
) -> TotpResult {
    let service = call.service(&state, &service_sid).await?;
    let record = challenges::fetch(&state, &service, &identity, &sid).await?;
    ok(wire::challenge(call.tenant_id(), &service, &record))
}

/// `POST …/Challenges/{YC}`: `AuthPayload` retries a pending challenge; `Status=denied`
/// denies it.
pub async fn update_challenge(
    State(state): State<AppState>,
    Path((service_sid, identity, sid)): Path<(String, String, String)>,
    call: TotpCall,
) -> TotpResult {
    let service = call.service(&state, &service_sid).await?;
    let action = match call.param("Status") {
        None => ChallengeAction::Respond(call.auth_payload()?),
        Some(s) if s.eq_ignore_ascii_case("denied") => ChallengeAction::Deny,
        Some(_) => return Err(TotpError::invalid("Status", "only denied can be set")),
    };
    let record = challenges::update(&state, &service, &identity, &sid, action).await?;
    ok(wire::challenge(call.tenant_id(), &service, &record))
}

/// `POST …/Entities/{identity}/BackupCodes`: ten new codes, replacing any earlier set.
pub async fn create_backup_codes(
    State(state): State<AppState>,
    Path((service_sid, identity)): Path<(String, String)>,
    call: TotpCall,
) -> TotpResult {
    let service = call.service(&state, &service_sid).await?;
    check_identity(&identity)?;
    let issued = backup::issue(&state, &service, &identity).await?;
    created(wire::issued_codes(&service, &identity, &issued))
}

/// `GET …/Entities/{identity}/BackupCodes`: how many unused codes remain.
pub async fn fetch_backup_codes(
    State(state): State<AppState>,
    Path((service_sid, identity)): Path<(String, String)>,
    call: TotpCall,
) -> TotpResult {
    let service = call.service(&state, &service_sid).await?;
    let remaining = backup::remaining(&state, &service, &identity).await?;
    ok(wire::remaining_codes(&service, &identity, remaining))
}

/// `POST …/Entities/{identity}/BackupCodes/Redeem` with `Code`: `valid` is true once per code.
pub async fn redeem_backup_code(
    State(state): State<AppState>,
    Path((service_sid, identity)): Path<(String, String)>,
    call: TotpCall,
) -> TotpResult {
    let service = call.service(&state, &service_sid).await?;
    let code = call.required("Code")?;
    let redemption = backup::redeem(&state, &service, &identity, code).await?;
    ok(wire::redemption(&service, &identity, &redemption))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn identities_follow_twilio() {
        assert!(check_identity("ff483d1f-f591-898a").is_ok());
        for bad in [
            "short",
            "has space 123",
            &"x".repeat(65),
            "alice@example.com",
        ] {
            assert!(check_identity(bad).is_err(), "{bad}");
        }
    }
}
