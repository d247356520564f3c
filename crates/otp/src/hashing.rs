//! Keyed hashing of short secrets (Verify codes) with a server-wide pepper.
//!
//! Why HMAC-SHA256 and not argon2 for Verify codes: a 6-digit code has under 2^20 values, so
//! no password hash can protect it from someone holding the hash *and* every input it
//! depends on; what protects it is a key that is not in the database. HMAC with a pepper from
//! the server's configuration makes a dumped table worthless on its own (nothing can be
//! checked offline without the pepper), costs about a microsecond per check, and leaves the
//! `/otp/validate` budget (2 000 requests/s on two cores) to the rest of the request. An
//! argon2 setting cheap enough for that rate (well under a millisecond) would add no real
//! resistance over 900 000 candidates, while one that resists would cap the endpoint at
//! tens of requests per second. Codes also live only minutes and are guarded online by the
//! attempt limiter.

use std::fmt;

use hmac::{Hmac, Mac};
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use sha2::Sha256;
use subtle::ConstantTimeEq;

/// The shortest pepper accepted: 256 bits.
pub const MIN_PEPPER_LEN: usize = 32;

/// A pepper shorter than [`MIN_PEPPER_LEN`] bytes.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("the pepper has {len} bytes; at least {MIN_PEPPER_LEN} random bytes are required")]
pub struct PepperTooShort {
    /// Bytes the pepper has.
    pub len: usize,
}

/// HMAC-SHA256 keyed with the server's pepper, with domain separation between uses.
#[derive(Clone)]
pub struct CodeHasher {
    keyed: Hmac<Sha256>,
}

impl CodeHasher {
    /// A hasher keyed with `pepper` (at least [`MIN_PEPPER_LEN`] bytes).
    pub fn new(pepper: &[u8]) -> Result<CodeHasher, PepperTooShort> {
        if pepper.len() < MIN_PEPPER_LEN {
            return Err(PepperTooShort { len: pepper.len() });
        }
        Ok(CodeHasher {
            keyed: Hmac::new_from_slice(pepper).expect("HMAC accepts keys of any length"),
        })
    }

    /// HMAC over the domain label and each part, every one length-prefixed so that no two
    /// different part lists hash the same input.
    pub(crate) fn hash(&self, domain: &str, parts: &[&[u8]]) -> CodeHash {
        let mut mac = self.keyed.clone();
        for part in std::iter::once(domain.as_bytes()).chain(parts.iter().copied()) {
            mac.update(&(part.len() as u64).to_be_bytes());
            mac.update(part);
        }
        CodeHash(mac.finalize().into_bytes().into())
    }
}

impl fmt::Debug for CodeHasher {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("CodeHasher(..)")
    }
}

/// A 32-byte digest as stored; compared in constant time. Serialised as lower-case hex.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct CodeHash(pub [u8; 32]);

impl CodeHash {
    /// Constant-time equality, so a guess's timing says nothing about how close it was.
    pub fn matches(&self, other: &CodeHash) -> bool {
        self.0.ct_eq(&other.0).into()
    }

    /// The hash as 64 lower-case hex characters, as stored.
    pub fn to_hex(&self) -> String {
        hex::encode(self.0)
    }

    /// Reads 64 hex characters; `None` for anything else.
    pub fn from_hex(text: &str) -> Option<CodeHash> {
        let mut bytes = [0u8; 32];
        hex::decode_to_slice(text, &mut bytes).ok()?;
        Some(CodeHash(bytes))
    }
}

impl fmt::Debug for CodeHash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "CodeHash({})", self.to_hex())
    }
}

impl Serialize for CodeHash {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.to_hex())
    }
}

impl<'de> Deserialize<'de> for CodeHash {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<CodeHash, D::Error> {
        let text = String::deserialize(deserializer)?;
        CodeHash::from_hex(&text)
            .ok_or_else(|| serde::de::Error::custom("expected 64 hex characters"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_peppers_are_refused() {
        assert_eq!(
            CodeHasher::new(&[0; 16]).unwrap_err(),
            PepperTooShort { len: 16 }
        );
    }

    #[test]
    fn hashes_depend_on_pepper_domain_and_part_boundaries() {
        let a = CodeHasher::new(&[1; 32]).unwrap();
        let b = CodeHasher::new(&[2; 32]).unwrap();
        let base = a.hash("d", &[b"ab", b"c"]);
        assert!(base.matches(&a.hash("d", &[b"ab", b"c"])));
        assert!(!base.matches(&b.hash("d", &[b"ab", b"c"])));
        assert!(!base.matches(&a.hash("e", &[b"ab", b"c"])));
        assert!(!base.matches(&a.hash("d", &[b"a", b"bc"])));
    }

    #[test]
    fn hex_round_trips_and_rejects_garbage() {
        let h = CodeHasher::new(&[3; 32]).unwrap().hash("d", &[b"x"]);
        assert_eq!(CodeHash::from_hex(&h.to_hex()), Some(h));
        assert_eq!(CodeHash::from_hex("abc"), None);
        let json = serde_json::to_string(&h).unwrap();
        assert_eq!(serde_json::from_str::<CodeHash>(&json).unwrap(), h);
    }
}
