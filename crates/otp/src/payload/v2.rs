//! Protocol 2.0 payloads: authenticated encryption, one purpose, one use.
//!
//! Protocol 1.x payloads are AES-256-CBC without a MAC, so flipping IV bits changes the first
//! block of plaintext at will (an e-mail address, say) and the server cannot tell. A 2.0
//! payload cannot be altered, cannot be moved between purposes or applications, and carries a
//! random `jti` that the server accepts once.
//!
//! Wire form: `v2.` followed by base64url without padding of `nonce (12) ‖ ciphertext ‖ tag (16)`.
//! - Cipher: AES-256-GCM with a random 96-bit nonce per payload.
//! - Key: HKDF-SHA256 with the client secret as input key material, the salt
//!   `keycadence/verify-payload/2.0` and the application id as info. The client secret is 256
//!   random bits made by the server, so a slow password hash would add nothing.
//! - Associated data: `keycadence/verify-payload/2.0`, a zero byte, the purpose (`window` or
//!   `backend`), a zero byte, the application id. A payload made for one purpose does not open
//!   as the other.
//! - Plaintext: a JSON object with the 1.x fields (`email`, `phoneNumber`, `countryCode`, `id`,
//!   `language`, `flow`) and, required, `purpose` (as in the associated data), `jti` (16 to 64
//!   characters of `A-Z a-z 0-9 - _`, random) and `ts` (epoch milliseconds).

use data_encoding::BASE64URL_NOPAD;
use hkdf::Hkdf;
use rand::{CryptoRng, RngCore};
use serde_json::{Map, Value};
use sha2::Sha256;

use aes_gcm::aead::{Aead, KeyInit, Payload};
use aes_gcm::{Aes256Gcm, Nonce};

use super::{fields, PayloadError, VerifyPayload};
use crate::keys::PayloadKey;

/// What every 2.0 payload starts with; 1.x payloads are hexadecimal, so they never do.
pub const V2_PREFIX: &str = "v2.";
const CONTEXT: &[u8] = b"keycadence/verify-payload/2.0";
const NONCE_LEN: usize = 12;
const TAG_LEN: usize = 16;
const JTI_LEN: std::ops::RangeInclusive<usize> = 16..=64;
/// The longest 2.0 payload accepted, in characters (the identifiers and a few short fields).
pub const MAX_V2_PAYLOAD: usize = 4096;

/// Where a payload may be used. A page carries `window` payloads (in its data attributes), so
/// anyone who can read the page has one; only the integrator's back end makes `backend` ones.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Purpose {
    /// Accepted only by the routes the browser's Verify window and sign-in use.
    Window,
    /// Accepted only by the back-end routes `/otp/send` and `/otp/validate`.
    Backend,
}

impl Purpose {
    /// The name sealed into the payload: `window` or `backend`.
    pub fn as_str(self) -> &'static str {
        match self {
            Purpose::Window => "window",
            Purpose::Backend => "backend",
        }
    }

    fn parse(text: &str) -> Option<Purpose> {
        match text {
            "window" => Some(Purpose::Window),
            "backend" => Some(Purpose::Backend),
            _ => None,
        }
    }

    fn other(self) -> Purpose {
        match self {
            Purpose::Window => Purpose::Backend,
            Purpose::Backend => Purpose::Window,
        }
    }
}

impl std::fmt::Display for Purpose {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The 2.0 payload key of an application.
pub fn derive_key(client_secret: &str, application_id: &str) -> PayloadKey {
    let mut key = [0u8; 32];
    Hkdf::<Sha256>::new(Some(CONTEXT), client_secret.as_bytes())
        .expand(application_id.as_bytes(), &mut key)
        .expect("32 bytes is a valid HKDF-SHA256 output length");
    PayloadKey::from_bytes(key)
}

fn associated_data(purpose: Purpose, application_id: &str) -> Vec<u8> {
    let mut aad = CONTEXT.to_vec();
    aad.push(0);
    aad.extend_from_slice(purpose.as_str().as_bytes());
    aad.push(0);
    aad.extend_from_slice(application_id.as_bytes());
    aad
}

/// A fresh random `jti`: 128 bits as 32 hex digits.
pub fn new_jti(rng: &mut (impl RngCore + CryptoRng)) -> String {
    let mut bytes = [0u8; 16];
    rng.fill_bytes(&mut bytes);
    hex::encode(bytes)
}

/// Seals `fields` (whose `ts` must be set) as a 2.0 payload for `purpose`, with a new `jti`.
pub fn seal(
    key: &PayloadKey,
    application_id: &str,
    purpose: Purpose,
    fields: &VerifyPayload,
    rng: &mut (impl RngCore + CryptoRng),
) -> String {
    let mut object = match serde_json::to_value(fields) {
        Ok(Value::Object(object)) => object,
        _ => unreachable!("VerifyPayload serialises to a JSON object"),
    };
    object.insert("purpose".into(), Value::from(purpose.as_str()));
    object.insert("jti".into(), Value::from(new_jti(rng)));
    seal_object(key, application_id, purpose, &object, rng)
}

/// Seals any JSON object as a 2.0 payload (tests use it to make malformed ones).
pub fn seal_object(
    key: &PayloadKey,
    application_id: &str,
    purpose: Purpose,
    object: &Map<String, Value>,
    rng: &mut (impl RngCore + CryptoRng),
) -> String {
    let mut nonce = [0u8; NONCE_LEN];
    rng.fill_bytes(&mut nonce);
    let plaintext = serde_json::to_vec(object).expect("a JSON object serialises");
    let ciphertext = Aes256Gcm::new(key.as_bytes().into())
        .encrypt(
            Nonce::from_slice(&nonce),
            Payload {
                msg: &plaintext,
                aad: &associated_data(purpose, application_id),
            },
        )
        .expect("AES-GCM encrypts any message of this size");
    let mut bytes = nonce.to_vec();
    bytes.extend_from_slice(&ciphertext);
    format!("{V2_PREFIX}{}", BASE64URL_NOPAD.encode(&bytes))
}

/// An opened 2.0 payload: its fields and its single-use id.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OpenedV2 {
    /// The decrypted fields.
    pub payload: VerifyPayload,
    /// The payload's single-use id.
    pub jti: String,
}

/// Opens a 2.0 payload made for `purpose`. A payload of the other purpose is refused as such
/// ([`PayloadError::WrongPurpose`]); anything altered, or made with another key or for another
/// application, is [`PayloadError::Undecryptable`].
pub fn open(
    key: &PayloadKey,
    application_id: &str,
    purpose: Purpose,
    text: &str,
) -> Result<OpenedV2, PayloadError> {
    let text = text.trim();
    let encoded = text.strip_prefix(V2_PREFIX).ok_or(PayloadError::NotV2)?;
    if text.len() > MAX_V2_PAYLOAD {
        return Err(PayloadError::TooLong {
            len: text.len(),
            max: MAX_V2_PAYLOAD,
        });
    }
    let bytes = BASE64URL_NOPAD
        .decode(encoded.as_bytes())
        .map_err(|_| PayloadError::NotBase64Url)?;
    if bytes.len() < NONCE_LEN + TAG_LEN {
        return Err(PayloadError::Truncated);
    }
    let (nonce, ciphertext) = bytes.split_at(NONCE_LEN);
    let cipher = Aes256Gcm::new(key.as_bytes().into());
    let decrypt = |purpose: Purpose| {
        cipher
            .decrypt(
                Nonce::from_slice(nonce),
                Payload {
                    msg: ciphertext,
                    aad: &associated_data(purpose, application_id),
                },
            )
            .ok()
    };
    let Some(plaintext) = decrypt(purpose) else {
        // Says which rule refused it: a page's payload sent to a back-end route is a
        // misuse worth naming, not just "undecryptable".
        return Err(match decrypt(purpose.other()) {
            Some(_) => PayloadError::WrongPurpose {
                expected: purpose,
                found: purpose.other(),
            },
            None => PayloadError::Undecryptable,
        });
    };
    let mut object = fields::parse_object(&plaintext).ok_or(PayloadError::Undecryptable)?;
    let stated = object.remove("purpose");
    if stated
        .as_ref()
        .and_then(Value::as_str)
        .and_then(Purpose::parse)
        != Some(purpose)
    {
        return Err(PayloadError::PurposeField);
    }
    let jti = match object.remove("jti") {
        Some(Value::String(jti))
            if JTI_LEN.contains(&jti.len())
                && jti
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_') =>
        {
            jti
        }
        _ => return Err(PayloadError::BadJti),
    };
    let payload = VerifyPayload::from_object(object)?;
    if payload.ts.is_none() {
        return Err(PayloadError::MissingTimestamp);
    }
    Ok(OpenedV2 { payload, jti })
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::rngs::OsRng;

    const APP: &str = "app456";

    fn key() -> PayloadKey {
        derive_key("s3cr3t", APP)
    }

    fn fields() -> VerifyPayload {
        use crate::time::UnixMillis;
        VerifyPayload {
            email: Some("alice@example.com".into()),
            ts: Some(UnixMillis(1_700_000_000_000)),
            ..VerifyPayload::default()
        }
    }

    #[test]
    fn a_payload_opens_for_its_purpose_with_a_fresh_jti() {
        let a = seal(&key(), APP, Purpose::Backend, &fields(), &mut OsRng);
        let b = seal(&key(), APP, Purpose::Backend, &fields(), &mut OsRng);
        assert!(a.starts_with("v2."));
        let (a, b) = (
            open(&key(), APP, Purpose::Backend, &a).unwrap(),
            open(&key(), APP, Purpose::Backend, &b).unwrap(),
        );
        assert_eq!(a.payload, fields());
        assert_eq!(a.jti.len(), 32);
        assert_ne!(a.jti, b.jti);
    }

    #[test]
    fn a_payload_of_the_other_purpose_is_refused_as_such() {
        let window = seal(&key(), APP, Purpose::Window, &fields(), &mut OsRng);
        assert_eq!(
            open(&key(), APP, Purpose::Backend, &window),
            Err(PayloadError::WrongPurpose {
                expected: Purpose::Backend,
                found: Purpose::Window
            })
        );
        let backend = seal(&key(), APP, Purpose::Backend, &fields(), &mut OsRng);
        assert!(matches!(
            open(&key(), APP, Purpose::Window, &backend),
            Err(PayloadError::WrongPurpose { .. })
        ));
    }

    #[test]
    fn every_flipped_bit_is_detected() {
        let sealed = seal(&key(), APP, Purpose::Backend, &fields(), &mut OsRng);
        let bytes = BASE64URL_NOPAD.decode(&sealed.as_bytes()[3..]).unwrap();
        for i in 0..bytes.len() {
            let mut altered = bytes.clone();
            altered[i] ^= 0x01;
            let text = format!("v2.{}", BASE64URL_NOPAD.encode(&altered));
            assert_eq!(
                open(&key(), APP, Purpose::Backend, &text),
                Err(PayloadError::Undecryptable),
                "byte {i}"
            );
        }
    }

    #[test]
    fn another_application_or_secret_cannot_open_it() {
        let sealed = seal(&key(), APP, Purpose::Backend, &fields(), &mut OsRng);
        let other_app = derive_key("s3cr3t", "app789");
        assert_eq!(
            open(&other_app, "app789", Purpose::Backend, &sealed),
            Err(PayloadError::Undecryptable)
        );
        assert_eq!(
            open(&key(), "app789", Purpose::Backend, &sealed),
            Err(PayloadError::Undecryptable)
        );
        let other_secret = derive_key("s3cr3u", APP);
        assert_eq!(
            open(&other_secret, APP, Purpose::Backend, &sealed),
            Err(PayloadError::Undecryptable)
        );
    }

    #[test]
    fn required_fields_are_checked_after_authentication() {
        let sealed = |object: Value| {
            seal_object(
                &key(),
                APP,
                Purpose::Backend,
                object.as_object().unwrap(),
                &mut OsRng,
            )
        };
        let open_it = |text: String| open(&key(), APP, Purpose::Backend, &text);
        let jti = "0123456789abcdef0123";
        assert_eq!(
            open_it(sealed(
                serde_json::json!({"email": "a@b.co", "jti": jti, "ts": 1})
            )),
            Err(PayloadError::PurposeField)
        );
        assert_eq!(
            open_it(sealed(
                serde_json::json!({"purpose": "window", "email": "a@b.co", "jti": jti, "ts": 1})
            )),
            Err(PayloadError::PurposeField)
        );
        assert_eq!(
            open_it(sealed(
                serde_json::json!({"purpose": "backend", "email": "a@b.co", "jti": "short", "ts": 1})
            )),
            Err(PayloadError::BadJti)
        );
        assert_eq!(
            open_it(sealed(
                serde_json::json!({"purpose": "backend", "email": "a@b.co", "jti": jti})
            )),
            Err(PayloadError::MissingTimestamp)
        );
        let ok = open_it(sealed(
            serde_json::json!({"purpose": "backend", "email": "a@b.co", "jti": jti, "ts": 5}),
        ))
        .unwrap();
        assert_eq!(ok.jti, jti);
    }

    #[test]
    fn malformed_text_gets_its_own_error() {
        let open_it = |text: &str| open(&key(), APP, Purpose::Backend, text);
        assert_eq!(open_it("abcdef"), Err(PayloadError::NotV2));
        assert_eq!(open_it("v2.***"), Err(PayloadError::NotBase64Url));
        assert_eq!(open_it("v2.AAAA"), Err(PayloadError::Truncated));
        let long = format!("v2.{}", "A".repeat(MAX_V2_PAYLOAD));
        assert!(matches!(open_it(&long), Err(PayloadError::TooLong { .. })));
    }
}
