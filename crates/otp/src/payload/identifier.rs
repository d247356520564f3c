//! Who a payload speaks for: an e-mail address, a phone number (with an
//! optional separate country code) or, for applications with RoT disabled, a free `id`.
//! Identifiers are validated and brought to one canonical form, because codes and limits are
//! bound to them: `Alice@Example.com` and `alice@example.com` must be the same user.

use super::{PayloadError, VerifyPayload};

/// The longest e-mail address SMTP can carry (RFC 5321 path limit less the brackets).
const MAX_EMAIL: usize = 254;
const MAX_EMAIL_LOCAL: usize = 64;
/// E.164 numbers have at most 15 digits including the country code; fewer than 8 cannot be a
/// reachable international number.
const PHONE_DIGITS: std::ops::RangeInclusive<usize> = 8..=15;
const MAX_ID: usize = 256;

/// The validated identifiers of a payload; at least one is present.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserIdentifiers {
    /// Lower-cased address.
    pub email: Option<String>,
    /// E.164: `+` and 8-15 digits.
    pub phone: Option<String>,
    /// The integrator's free identifier.
    pub id: Option<String>,
}

/// The one identifier that codes, attempts and lock-outs are bound to.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum UserIdentifier {
    /// A lower-cased e-mail address.
    Email(String),
    /// An E.164 phone number.
    Phone(String),
    /// The integrator's free identifier.
    Id(String),
}

impl UserIdentifier {
    /// A stable text key for storage, e.g. `email:alice@example.com`, `phone:+15551234567`.
    pub fn key(&self) -> String {
        match self {
            UserIdentifier::Email(v) => format!("email:{v}"),
            UserIdentifier::Phone(v) => format!("phone:{v}"),
            UserIdentifier::Id(v) => format!("id:{v}"),
        }
    }
}

impl UserIdentifiers {
    /// The identifier a user is known by: the e-mail address when there is one, else the
    /// phone number, else the free id. Send and validate payloads of one user carry the same
    /// fields, so they resolve to the same identifier.
    pub fn primary(&self) -> UserIdentifier {
        if let Some(email) = &self.email {
            UserIdentifier::Email(email.clone())
        } else if let Some(phone) = &self.phone {
            UserIdentifier::Phone(phone.clone())
        } else {
            UserIdentifier::Id(
                self.id
                    .clone()
                    .expect("UserIdentifiers is only built with at least one identifier"),
            )
        }
    }
}

impl VerifyPayload {
    /// Validates and normalises the identifiers. Errors: no identifier at all
    /// ([`PayloadError::MissingIdentifier`], code 109), a malformed e-mail address (111) or
    /// phone number (112) even when another identifier is fine.
    pub fn identifiers(&self) -> Result<UserIdentifiers, PayloadError> {
        let email = self.email.as_deref().map(normalise_email).transpose()?;
        let phone = self
            .phone_number
            .as_deref()
            .map(|number| normalise_phone(number, self.country_code.as_deref()))
            .transpose()?;
        let id = self.id.as_deref().map(check_id).transpose()?;
        if email.is_none() && phone.is_none() && id.is_none() {
            return Err(PayloadError::MissingIdentifier);
        }
        Ok(UserIdentifiers { email, phone, id })
    }
}

fn normalise_email(email: &str) -> Result<String, PayloadError> {
    let bad = |reason| Err(PayloadError::InvalidEmail { reason });
    if email.len() > MAX_EMAIL {
        return bad("longer than 254 characters");
    }
    let Some((local, domain)) = email.rsplit_once('@') else {
        return bad("no @");
    };
    if local.is_empty() || local.len() > MAX_EMAIL_LOCAL {
        return bad("the part before @ must have 1-64 characters");
    }
    if email.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return bad("contains spaces or control characters");
    }
    if local.contains('@') && !(local.starts_with('"') && local.ends_with('"')) {
        return bad("more than one @");
    }
    let labels: Vec<&str> = domain.split('.').collect();
    if labels.len() < 2 {
        return bad("the domain has no dot");
    }
    let label_ok = |label: &&str| {
        !label.is_empty()
            && !label.starts_with('-')
            && !label.ends_with('-')
            && label.chars().all(|c| c.is_alphanumeric() || c == '-')
    };
    if !labels.iter().all(label_ok) {
        return bad("the domain is not a host name");
    }
    Ok(email.to_lowercase())
}

fn normalise_phone(number: &str, country_code: Option<&str>) -> Result<String, PayloadError> {
    let bad = |reason| Err(PayloadError::InvalidPhone { reason });
    let compact: String = number
        .chars()
        .filter(|c| !matches!(c, ' ' | '-' | '.' | '(' | ')' | '/'))
        .collect();
    let (international, digits) = if let Some(rest) = compact.strip_prefix('+') {
        (true, rest)
    } else if let Some(rest) = compact.strip_prefix("00") {
        (true, rest)
    } else {
        (false, compact.as_str())
    };
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return bad("only digits, spaces, dashes, dots, brackets and a leading + are allowed");
    }
    let full = match (international, country_code) {
        (true, _) => digits.to_owned(),
        // Read as international, "5551234567" would be a Brazilian number (+55): a code
        // would go to a stranger. A national number needs its country code.
        (false, None) => {
            return bad("a number without + (or 00) needs a countryCode");
        }
        (false, Some(code)) => {
            let code = code.trim().trim_start_matches('+');
            if code.is_empty() || code.len() > 3 || !code.bytes().all(|b| b.is_ascii_digit()) {
                return bad("the country code must be 1-3 digits");
            }
            // A national number's trunk prefix 0 is dropped in international form.
            format!("{code}{}", digits.strip_prefix('0').unwrap_or(digits))
        }
    };
    if !PHONE_DIGITS.contains(&full.len()) {
        return bad("an international number has 8-15 digits including the country code");
    }
    if full.starts_with('0') {
        return bad("a country code never starts with 0");
    }
    Ok(format!("+{full}"))
}

fn check_id(id: &str) -> Result<String, PayloadError> {
    if id.len() > MAX_ID || id.chars().any(char::is_control) {
        return Err(PayloadError::InvalidId);
    }
    Ok(id.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn payload(email: Option<&str>, phone: Option<&str>, cc: Option<&str>) -> VerifyPayload {
        VerifyPayload {
            email: email.map(Into::into),
            phone_number: phone.map(Into::into),
            country_code: cc.map(Into::into),
            ..Default::default()
        }
    }

    #[test]
    fn e_mail_is_lower_cased_and_preferred() {
        let ids = payload(Some("Alice@Example.COM"), Some("+1 555 123 4567"), None)
            .identifiers()
            .unwrap();
        assert_eq!(ids.email.as_deref(), Some("alice@example.com"));
        assert_eq!(ids.phone.as_deref(), Some("+15551234567"));
        assert_eq!(ids.primary().key(), "email:alice@example.com");
    }

    #[test]
    fn phone_numbers_reach_one_canonical_form() {
        for (number, cc) in [
            ("+44 7700 900123", None),
            ("0044 7700 900123", None),
            ("07700 900123", Some("44")),
            ("(0)7700-900-123", Some("+44")),
        ] {
            let ids = payload(None, Some(number), cc).identifiers().unwrap();
            assert_eq!(
                ids.primary(),
                UserIdentifier::Phone("+447700900123".into()),
                "{number}"
            );
        }
    }

    #[test]
    fn bad_identifiers_name_the_field_at_fault() {
        assert_eq!(
            payload(None, None, None).identifiers(),
            Err(PayloadError::MissingIdentifier)
        );
        for email in [
            "alice",
            "alice@localhost",
            "a b@example.com",
            "@example.com",
            "a@b@example.com",
            "a@-x.com",
        ] {
            assert!(
                matches!(
                    payload(Some(email), None, None).identifiers(),
                    Err(PayloadError::InvalidEmail { .. })
                ),
                "{email}"
            );
        }
        for (number, cc) in [
            ("12345", None),
            ("+1 555 CALL NOW", None),
            ("5551234567", Some("abc")),
            ("+1234567890123456", None),
            // No + and no country code: refused, not read as +55.
            ("5551234567", None),
            ("447700900123", None),
        ] {
            assert!(
                matches!(
                    payload(None, Some(number), cc).identifiers(),
                    Err(PayloadError::InvalidPhone { .. })
                ),
                "{number}"
            );
        }
        // A valid phone number does not excuse a broken e-mail address.
        assert!(matches!(
            payload(Some("nope"), Some("+15551234567"), None).identifiers(),
            Err(PayloadError::InvalidEmail { .. })
        ));
    }

    #[test]
    fn free_id_is_used_when_rot_is_disabled() {
        let p = VerifyPayload {
            id: Some("user-42".into()),
            ..Default::default()
        };
        assert_eq!(p.identifiers().unwrap().primary().key(), "id:user-42");
    }
}
