//! The sign-in as the API shows it (Clerk's SignIn, snake_case). Codes and tokens never
//! appear; addresses only masked.

use keycadence_signin::{Strategy, TextPurpose, VerificationStatus};
use serde_json::{json, Value};

use super::error::error_object;
use super::{SignInRecord, SignInSnapshot};

/// `a***@example.com`.
fn masked_email(address: &str) -> String {
    match address.split_once('@') {
        Some((local, domain)) => {
            let first: String = local.chars().take(1).collect();
            format!("{first}***@{domain}")
        }
        None => "***".to_string(),
    }
}

/// `+*********34`: the last two digits.
fn masked_phone(number: &str) -> String {
    let digits = number.chars().count();
    let tail: String = number.chars().skip(digits.saturating_sub(2)).collect();
    format!("+{}{tail}", "*".repeat(digits.saturating_sub(3)))
}

fn factor(strategy: Strategy, record: &SignInRecord) -> Value {
    let mut factor = json!({"strategy": strategy.name()});
    let identifier = match strategy {
        Strategy::EmailCode => record.contact.email.as_deref().map(masked_email),
        Strategy::PhoneCode => record.contact.phone.as_deref().map(masked_phone),
        _ => None,
    };
    if let Some(identifier) = identifier {
        factor["safe_identifier"] = Value::String(identifier);
    }
    factor
}

fn status_name(status: VerificationStatus) -> &'static str {
    match status {
        VerificationStatus::Unverified => "unverified",
        VerificationStatus::Verified => "verified",
        VerificationStatus::Failed => "failed",
        VerificationStatus::Expired => "expired",
    }
}

/// The sign-in's JSON (Clerk's SignIn).
pub(crate) fn view(snapshot: &SignInSnapshot) -> Value {
    let SignInSnapshot { id, record, at } = snapshot;
    let s = record.state.at(*at);
    let verification = s.verification.as_ref().map(|v| {
        let mut object = json!({
            "status": status_name(v.status),
            "strategy": v.strategy.name(),
            "attempts": v.attempts,
            "expire_at": v.expire_at.0,
            "error": v.error.map(error_object),
        });
        // The text to type: the newest one not typed yet, while the sign-in waits.
        let waiting = v.strategy == Strategy::Typing
            && v.status != VerificationStatus::Verified
            && s.status == keycadence_signin::SignInStatus::NeedsSecondFactor;
        if let Some(prompt) = s.prompts.last().filter(|p| waiting && !p.used) {
            object["text"] = Value::String(prompt.text.clone());
            object["text_id"] = json!(prompt.text_id);
            object["purpose"] = json!(match prompt.purpose {
                TextPurpose::Verify => "verify",
                TextPurpose::Enrol => "enrol",
            });
        }
        object
    });
    json!({
        "object": "sign_in",
        "id": id,
        "status": serde_json::to_value(s.status).unwrap_or(Value::Null),
        "application_id": record.application_id,
        "user_id": record.user_id,
        "device": serde_json::to_value(s.device).unwrap_or(Value::Null),
        "supported_second_factors": s.supported.iter().map(|st| factor(*st, record)).collect::<Vec<_>>(),
        "second_factor_verification": verification,
        "typing_enrolment": s.enrolment.as_ref().map(|e| json!({
            "texts": e.texts,
            "received": e.samples.len(),
        })),
        "completed_by": s.completed_by.map(Strategy::name),
        "created_at": s.created_at.0,
        "expire_at": s.expire_at.0,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses_are_masked() {
        assert_eq!(masked_email("alice@example.com"), "a***@example.com");
        assert_eq!(masked_phone("+40722000034"), "+*********34");
    }
}
