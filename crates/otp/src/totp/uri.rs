//! The otpauth URI in Google's key-URI format (`otpauth://totp/issuer:account?secret=...`) and its
//! QR code as SVG.
//!
//! `otpauth://totp/<issuer>:<account>?secret=<B32>&issuer=<issuer>&algorithm=SHA1&digits=6&period=30`
//! with the label parts and the issuer percent-encoded (a space is `%20`).

use qrcode::render::svg;
use qrcode::{EcLevel, QrCode};

use super::{TotpConfig, TotpSecret};

/// Twilio's limit on `FriendlyName`, which becomes the account name.
pub const MAX_LABEL_CHARS: usize = 64;

/// An issuer or account name that cannot go into the URI.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum LabelError {
    /// The name is empty.
    #[error("the {part} is empty")]
    Empty {
        /// Which name: `issuer` or `account name`.
        part: &'static str,
    },
    /// The name has more than [`MAX_LABEL_CHARS`] characters.
    #[error("the {part} has more than 64 characters")]
    TooLong {
        /// Which name: `issuer` or `account name`.
        part: &'static str,
    },
    /// The name holds a colon or a control character.
    #[error(
        "the {part} contains a colon or a control character, which authenticator apps cannot read"
    )]
    ForbiddenCharacter {
        /// Which name: `issuer` or `account name`.
        part: &'static str,
    },
}

/// The two names an authenticator app shows: who issued the factor and for which account.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FactorLabel {
    issuer: String,
    account: String,
}

impl FactorLabel {
    /// A label from an issuer and an account name, each 1-64 characters without colons or
    /// control characters.
    pub fn new(issuer: &str, account: &str) -> Result<FactorLabel, LabelError> {
        Ok(FactorLabel {
            issuer: check_part("issuer", issuer)?,
            account: check_part("account name", account)?,
        })
    }

    /// Who issued the factor (the service's name).
    pub fn issuer(&self) -> &str {
        &self.issuer
    }

    /// The account the factor is for.
    pub fn account(&self) -> &str {
        &self.account
    }
}

fn check_part(part: &'static str, text: &str) -> Result<String, LabelError> {
    let text = text.trim();
    if text.is_empty() {
        return Err(LabelError::Empty { part });
    }
    if text.chars().count() > MAX_LABEL_CHARS {
        return Err(LabelError::TooLong { part });
    }
    if text.chars().any(|c| c == ':' || c.is_control()) {
        return Err(LabelError::ForbiddenCharacter { part });
    }
    Ok(text.to_owned())
}

/// The provisioning URI an authenticator app imports.
pub fn otpauth_uri(label: &FactorLabel, secret: &TotpSecret, config: &TotpConfig) -> String {
    let issuer = percent_encode(&label.issuer);
    format!(
        "otpauth://totp/{issuer}:{account}?secret={secret}&issuer={issuer}&algorithm={alg}&digits={digits}&period={period}",
        account = percent_encode(&label.account),
        secret = secret.to_base32(),
        alg = config.algorithm().uri_name(),
        digits = config.digits(),
        period = config.step_seconds(),
    )
}

/// Percent-encodes every byte outside RFC 3986's unreserved set, in upper-case hex.
fn percent_encode(text: &str) -> String {
    let mut out = String::with_capacity(text.len() * 3);
    for &byte in text.as_bytes() {
        if byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'.' | b'_' | b'~') {
            out.push(char::from(byte));
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

/// Text too long for a QR code.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("the text does not fit in a QR code: {0}")]
pub struct QrError(String);

/// A QR code of `text` as a standalone SVG document, at least 256 px square, with the quiet
/// zone scanners need. Error correction level M, the usual for screens.
pub fn qr_svg(text: &str) -> Result<String, QrError> {
    let code = QrCode::with_error_correction_level(text.as_bytes(), EcLevel::M)
        .map_err(|e| QrError(e.to_string()))?;
    Ok(code
        .render::<svg::Color<'_>>()
        .min_dimensions(256, 256)
        .quiet_zone(true)
        .build())
}

#[cfg(test)]
mod tests {
    use super::super::Algorithm;
    use super::*;

    #[test]
    fn uri_follows_the_key_uri_format_with_encoded_labels() {
        let secret = TotpSecret::from_bytes(b"12345678901234567890").unwrap();
        let label = FactorLabel::new("Acme Co", "alice’s phone").unwrap();
        let config = TotpConfig::new(Algorithm::Sha256, 8, 60, 1).unwrap();
        assert_eq!(
            otpauth_uri(&label, &secret, &config),
            "otpauth://totp/Acme%20Co:alice%E2%80%99s%20phone?secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ\
             &issuer=Acme%20Co&algorithm=SHA256&digits=8&period=60"
        );
    }

    #[test]
    fn labels_are_checked() {
        assert_eq!(
            FactorLabel::new(" ", "a"),
            Err(LabelError::Empty { part: "issuer" })
        );
        assert_eq!(
            FactorLabel::new("Acme:Corp", "a"),
            Err(LabelError::ForbiddenCharacter { part: "issuer" })
        );
        assert_eq!(
            FactorLabel::new("Acme", &"x".repeat(65)),
            Err(LabelError::TooLong {
                part: "account name"
            })
        );
    }

    #[test]
    fn text_beyond_qr_capacity_is_an_error() {
        assert!(qr_svg(&"x".repeat(5000)).is_err());
    }
}
