//! `attempt_second_factor`: a typing pattern (checked against the user's enrolments, or kept
//! for an enrolment until the code is proven) or a code of any kind.

use keycadence_core::pattern::{Pattern, PatternKind};
use keycadence_signin::{Attempt, AttemptResult, AttemptStep, Device, Strategy};

use super::codes::check_code;
use super::error::SignInFailure;
use super::{
    quality, save, sha256_hex, typing, Loaded, SignInRecord, SignInResult, SignInSnapshot,
    MAX_CODE_CHARS,
};
use crate::app::AppState;
use crate::domain::submission;
use crate::settings::TenantSettings;

/// What `attempt_second_factor` was given.
pub enum Submitted {
    Pattern(String),
    Code(String),
}

impl Submitted {
    /// The `pattern` or the `code` of a JSON body (a code may be a number); `None` when the body
    /// has neither or both.
    pub fn from_body(body: &serde_json::Map<String, serde_json::Value>) -> Option<Submitted> {
        use serde_json::Value;
        let text = |name| match body.get(name) {
            Some(Value::String(s)) => Some(s.clone()),
            Some(Value::Number(n)) => Some(n.to_string()),
            _ => None,
        };
        match (text("pattern"), text("code")) {
            (Some(pattern), None) => Some(Submitted::Pattern(pattern)),
            (None, Some(code)) => Some(Submitted::Code(code)),
            _ => None,
        }
    }
}

/// A typing pattern checked for the sign-in: parsed, type 2, right device class.
struct Probe {
    pattern: Pattern,
    canonical: String,
    text_id: u32,
    text_length: usize,
}

fn probe(tp: &str, device: Device) -> SignInResult<Probe> {
    let pattern = Pattern::parse(tp.trim()).map_err(|_| SignInFailure::PatternInvalid)?;
    let Pattern::Diagram(diagram) = &pattern else {
        return Err(SignInFailure::PatternInvalid);
    };
    if pattern.kind() != PatternKind::Extended || diagram.rows.is_empty() {
        return Err(SignInFailure::PatternInvalid);
    }
    if pattern.is_mobile() != (device == Device::Mobile) {
        return Err(SignInFailure::DeviceMismatch);
    }
    let text_id =
        u32::try_from(diagram.header.text_id).map_err(|_| SignInFailure::PatternInvalid)?;
    let text_length = diagram.header.str_length as usize;
    let canonical = pattern.to_string();
    Ok(Probe {
        pattern,
        canonical,
        text_id,
        text_length,
    })
}

/// `attempt_second_factor`.
pub async fn attempt(
    state: &AppState,
    loaded: Loaded,
    strategy: Strategy,
    submitted: Submitted,
) -> SignInResult<SignInSnapshot> {
    let now = state.clock.now();
    let mut record = loaded.record.clone();
    let tenant_id = loaded.stored.tenant_id;
    let settings = state
        .db
        .tenants()
        .settings(tenant_id)
        .await?
        .ok_or_else(|| SignInFailure::Internal("the sign-in's tenant is gone".into()))?;
    let (attempt, result, auto_enrol) = match (strategy, submitted) {
        (Strategy::Typing, Submitted::Pattern(tp)) => {
            let probe = probe(&tp, record.state.device)?;
            let attempt = Attempt::Typing {
                text_id: probe.text_id,
                digest: state.db.keyed_digest(&sha256_hex(&probe.canonical))?,
            };
            let step = record.state.admit_attempt(now, &attempt)?;
            // The text id is a 32-bit hash: the length must agree too.
            let prompt_length = record
                .state
                .prompts
                .iter()
                .find(|p| p.text_id == probe.text_id)
                .map(|p| p.text.encode_utf16().count());
            if prompt_length != Some(probe.text_length) {
                return Err(keycadence_signin::SignInError::WrongText.into());
            }
            let (result, auto_enrol) = match step {
                AttemptStep::MatchTyping => {
                    let decision =
                        typing_decision(state, &loaded, &settings, &probe, &record).await?;
                    let matched = decision.is_some_and(|d| d.matched);
                    // The tenant's auto-enrol settings, as /verify applies them.
                    let auto_enrol = matched
                        && settings.auto_enroll
                        && decision.is_some_and(|d| d.score >= settings.auto_enroll_threshold);
                    let result = if matched {
                        AttemptResult::TypingMatched
                    } else {
                        AttemptResult::TypingNotMatched
                    };
                    (result, auto_enrol.then_some(probe.canonical))
                }
                _ => (AttemptResult::EnrolmentSample(probe.canonical), None),
            };
            (attempt, result, auto_enrol)
        }
        (Strategy::Typing, Submitted::Code(_)) => {
            return Err(SignInFailure::BadParameter("pattern"))
        }
        (_, Submitted::Pattern(_)) => return Err(SignInFailure::BadParameter("code")),
        (strategy, Submitted::Code(code)) => {
            let code = code.trim().to_string();
            if code.is_empty() || code.chars().count() > MAX_CODE_CHARS {
                return Err(SignInFailure::BadParameter("code"));
            }
            let attempt = Attempt::Code(strategy);
            record.state.admit_attempt(now, &attempt)?;
            let accepted = check_code(state, &loaded, &mut record, strategy, &code, now).await?;
            let result = if accepted {
                AttemptResult::CodeAccepted
            } else {
                AttemptResult::CodeRejected
            };
            (attempt, result, None)
        }
    };
    let recorded = record.state.record_attempt(now, &attempt, result)?;
    record.state = recorded.next;
    save(state, &loaded, &record).await?;
    // Enrolments follow the stored decision: a sign-in that lost its swap enrols nothing.
    let cap = settings.max_patterns_per_bucket;
    for pattern in &recorded.enrol {
        enrol(state, tenant_id, &record.user_id, pattern, &settings, cap).await?;
    }
    if let Some(pattern) = auto_enrol {
        enrol(state, tenant_id, &record.user_id, &pattern, &settings, cap).await?;
    }
    Ok(loaded.snapshot(record, now))
}

/// Runs the typing check against the user's type 2 enrolments of the device class (`None`:
/// nothing comparable, which is no match).
async fn typing_decision(
    state: &AppState,
    loaded: &Loaded,
    settings: &TenantSettings,
    probe: &Probe,
    record: &SignInRecord,
) -> SignInResult<Option<typing::TypingDecision>> {
    let enrolled = state
        .db
        .type2_enrolments(
            loaded.stored.tenant_id,
            &record.user_id,
            record.state.device == Device::Mobile,
            settings.max_patterns_per_bucket.max(1),
        )
        .await?;
    Ok(typing::decide(
        &probe.pattern,
        &enrolled,
        quality(&record.state.policy),
    ))
}

/// Stores a pattern as an enrolment of the user (a pattern enrolled before is skipped).
async fn enrol(
    state: &AppState,
    tenant_id: i64,
    user_id: &str,
    pattern: &str,
    settings: &TenantSettings,
    cap: u32,
) -> SignInResult<()> {
    let submission = submission::parse(pattern).map_err(|_| SignInFailure::PatternInvalid)?;
    state
        .db
        .patterns()
        .enrol(
            tenant_id,
            user_id,
            submission.prepared(),
            cap,
            settings.max_users,
            state.clock.now_millis(),
        )
        .await?;
    Ok(())
}
