//! User ids of the Authentication API's paths: the URL-decoded path segment, trimmed, 6–256
//! characters, matched as the raw string (hashes carry `+`, `/`, `$`, `.`). Refusing ids that look
//! like an e-mail address or a phone number is a tenant setting.

use crate::error::ErrorCode;

pub const MIN_CHARS: usize = 6;
pub const MAX_CHARS: usize = 256;

pub fn validate(raw: &str, reject_contact_like: bool) -> Result<String, ErrorCode> {
    let id = raw.trim();
    let chars = id.chars().count();
    if !(MIN_CHARS..=MAX_CHARS).contains(&chars) || id.chars().any(char::is_control) {
        return Err(ErrorCode::InvalidUserId);
    }
    if reject_contact_like && (looks_like_email(id) || looks_like_phone(id)) {
        return Err(ErrorCode::InvalidUserId);
    }
    Ok(id.to_string())
}

fn looks_like_email(id: &str) -> bool {
    match id.split_once('@') {
        Some((local, domain)) => {
            !local.is_empty() && domain.contains('.') && !domain.ends_with('.')
        }
        None => false,
    }
}

fn looks_like_phone(id: &str) -> bool {
    let digits = id.chars().filter(char::is_ascii_digit).count();
    digits >= 7
        && id
            .chars()
            .all(|c| c.is_ascii_digit() || " +-().".contains(c))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn length_is_counted_in_characters_after_trimming() {
        assert_eq!(validate("  abcdef\n", false).unwrap(), "abcdef");
        assert_eq!(validate("abcde", false), Err(ErrorCode::InvalidUserId));
        assert!(validate(&"é".repeat(256), false).is_ok());
        assert_eq!(
            validate(&"a".repeat(257), false),
            Err(ErrorCode::InvalidUserId)
        );
        assert_eq!(
            validate("abc\u{0}def", false),
            Err(ErrorCode::InvalidUserId)
        );
        assert!(validate(
            "$2b$10$N9qo8uLOickgx2ZMRZoMye/IjZAgcfl7p92ldGxad68LJZdL17lhW",
            false
        )
        .is_ok());
    }

    #[test]
    fn contact_like_ids_are_refused_only_when_asked() {
        for id in ["alice@example.com", "+40 721 123 456", "(555) 123-4567"] {
            assert!(validate(id, false).is_ok(), "{id}");
            assert_eq!(validate(id, true), Err(ErrorCode::InvalidUserId), "{id}");
        }
        assert!(validate("5f4dcc3b5aa765d61d8327deb882cf99", true).is_ok());
    }
}
