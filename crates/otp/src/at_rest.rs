//! Secrets at rest: AES-256-GCM under a key from the server's configuration, with the
//! secret's owner (e.g. the factor id) as associated data so a sealed value copied to another
//! row does not open. Sealed values name their key by a 4-byte id, which makes a wrong key a
//! specific error and lets a server rotate keys: configure the new key as current and the
//! old ones as previous, re-seal what [`SecretSealer::needs_reseal`] points out.
//!
//! Layout: `01 ‖ key id (4) ‖ nonce (12) ‖ ciphertext ‖ tag (16)`.

use std::fmt;

use aes_gcm::aead::{Aead, KeyInit, Payload};
use aes_gcm::{Aes256Gcm, Nonce};
use rand::{CryptoRng, RngCore};
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use sha2::{Digest, Sha256};
use zeroize::Zeroizing;

const FORMAT_V1: u8 = 1;
const KEY_ID_LEN: usize = 4;
const NONCE_LEN: usize = 12;
const TAG_LEN: usize = 16;
const HEADER_LEN: usize = 1 + KEY_ID_LEN + NONCE_LEN;

/// A configured key that is not 32 bytes.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum AtRestKeyError {
    /// The configured text is not hexadecimal.
    #[error("the at-rest key is not hexadecimal")]
    NotHex,
    /// The key has this many bytes instead of 32.
    #[error("the at-rest key has {0} bytes; exactly 32 are required")]
    Length(usize),
}

/// A sealed value that does not open.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum AtRestError {
    /// The stored value is shorter than the smallest sealed value.
    #[error("the sealed value has {len} bytes, fewer than the {min} of an empty one")]
    Truncated {
        /// Bytes stored.
        len: usize,
        /// Bytes of a sealed empty value (format byte, key id, nonce and tag).
        min: usize,
    },
    /// The leading format byte is not one this version writes.
    #[error("unknown sealed-value format {0}")]
    UnknownFormat(u8),
    /// The value was sealed with a key that is neither the current nor a previous one.
    #[error("the value was sealed with key {key_id}, which is not configured (wrong or missing at-rest key)")]
    UnknownKey {
        /// Hex id of the key the value names.
        key_id: String,
    },
    /// The authentication tag does not match (altered bytes, or bound to another owner).
    #[error("the sealed value fails authentication: altered, or stored under another owner")]
    Tampered,
}

/// A 256-bit key-encryption key. Wiped from memory when dropped.
#[derive(Clone)]
pub struct AtRestKey(Zeroizing<[u8; 32]>);

impl AtRestKey {
    /// A key from its 32 raw bytes.
    pub fn from_bytes(bytes: &[u8]) -> Result<AtRestKey, AtRestKeyError> {
        let array: [u8; 32] = bytes
            .try_into()
            .map_err(|_| AtRestKeyError::Length(bytes.len()))?;
        Ok(AtRestKey(Zeroizing::new(array)))
    }

    /// 64 hex characters, as a configuration file holds it.
    pub fn from_hex(text: &str) -> Result<AtRestKey, AtRestKeyError> {
        let bytes = Zeroizing::new(hex::decode(text.trim()).map_err(|_| AtRestKeyError::NotHex)?);
        AtRestKey::from_bytes(&bytes)
    }

    /// A fresh random key (for `keycadence-server` key generation and tests).
    pub fn generate(rng: &mut (impl RngCore + CryptoRng)) -> AtRestKey {
        let mut bytes = Zeroizing::new([0u8; 32]);
        rng.fill_bytes(bytes.as_mut());
        AtRestKey(bytes)
    }

    /// The key as 64 hex characters (the form [`AtRestKey::from_hex`] reads).
    pub fn to_hex(&self) -> String {
        hex::encode(self.0.as_ref())
    }

    fn id(&self) -> [u8; KEY_ID_LEN] {
        let digest = Sha256::new()
            .chain_update(b"keycadence-otp/at-rest-key-id/v1")
            .chain_update(self.0.as_ref())
            .finalize();
        digest[..KEY_ID_LEN]
            .try_into()
            .expect("a SHA-256 digest has 32 bytes")
    }
}

impl fmt::Debug for AtRestKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "AtRestKey(id {})", hex::encode(self.id()))
    }
}

/// A sealed secret as stored (a BLOB, or hex through serde).
#[derive(Clone, PartialEq, Eq)]
pub struct SealedSecret(Vec<u8>);

impl SealedSecret {
    /// Wraps bytes read from storage (they are checked when opened, not here).
    pub fn from_bytes(bytes: Vec<u8>) -> SealedSecret {
        SealedSecret(bytes)
    }

    /// The stored bytes: format byte, key id, nonce, ciphertext and tag.
    pub fn as_bytes(&self) -> &[u8] {
        &self.0
    }

    /// The id of the key it was sealed with, when the layout is readable.
    pub fn key_id(&self) -> Option<[u8; KEY_ID_LEN]> {
        self.0
            .get(1..1 + KEY_ID_LEN)
            .map(|id| id.try_into().expect("slice of KEY_ID_LEN"))
    }
}

impl fmt::Debug for SealedSecret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "SealedSecret({} bytes)", self.0.len())
    }
}

impl Serialize for SealedSecret {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&hex::encode(&self.0))
    }
}

impl<'de> Deserialize<'de> for SealedSecret {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<SealedSecret, D::Error> {
        let text = String::deserialize(deserializer)?;
        hex::decode(text)
            .map(SealedSecret)
            .map_err(|_| serde::de::Error::custom("expected hex"))
    }
}

struct SealingKey {
    id: [u8; KEY_ID_LEN],
    cipher: Aes256Gcm,
}

impl SealingKey {
    fn new(key: &AtRestKey) -> SealingKey {
        SealingKey {
            id: key.id(),
            cipher: Aes256Gcm::new_from_slice(key.0.as_ref()).expect("AES-256 takes a 32-byte key"),
        }
    }
}

/// Seals with the current key; opens with the current or any previous key.
pub struct SecretSealer {
    current: SealingKey,
    previous: Vec<SealingKey>,
}

impl SecretSealer {
    /// A sealer that seals with `current` and opens only what `current` sealed.
    pub fn new(current: &AtRestKey) -> SecretSealer {
        SecretSealer {
            current: SealingKey::new(current),
            previous: Vec::new(),
        }
    }

    /// Also opens values sealed under `previous` (key rotation).
    pub fn with_previous(mut self, previous: &AtRestKey) -> SecretSealer {
        self.previous.push(SealingKey::new(previous));
        self
    }

    /// Encrypts `plaintext` for the owner named by `context` (e.g. `totp-factor:YF…`).
    pub fn seal(
        &self,
        plaintext: &[u8],
        context: &[u8],
        rng: &mut (impl RngCore + CryptoRng),
    ) -> SealedSecret {
        let mut nonce = [0u8; NONCE_LEN];
        rng.fill_bytes(&mut nonce);
        let mut out = Vec::with_capacity(HEADER_LEN + plaintext.len() + TAG_LEN);
        out.push(FORMAT_V1);
        out.extend_from_slice(&self.current.id);
        out.extend_from_slice(&nonce);
        let aad = associated_data(&out[..1 + KEY_ID_LEN], context);
        let ciphertext = self
            .current
            .cipher
            .encrypt(
                Nonce::from_slice(&nonce),
                Payload {
                    msg: plaintext,
                    aad: &aad,
                },
            )
            .expect("AES-GCM encrypts any plaintext shorter than 64 GiB");
        out.extend_from_slice(&ciphertext);
        SealedSecret(out)
    }

    /// Decrypts a value sealed for the same `context`.
    pub fn open(
        &self,
        sealed: &SealedSecret,
        context: &[u8],
    ) -> Result<Zeroizing<Vec<u8>>, AtRestError> {
        let bytes = sealed.as_bytes();
        if bytes.len() < HEADER_LEN + TAG_LEN {
            return Err(AtRestError::Truncated {
                len: bytes.len(),
                min: HEADER_LEN + TAG_LEN,
            });
        }
        if bytes[0] != FORMAT_V1 {
            return Err(AtRestError::UnknownFormat(bytes[0]));
        }
        let key_id = &bytes[1..1 + KEY_ID_LEN];
        let key = self
            .keys()
            .find(|k| k.id == key_id)
            .ok_or_else(|| AtRestError::UnknownKey {
                key_id: hex::encode(key_id),
            })?;
        let nonce = Nonce::from_slice(&bytes[1 + KEY_ID_LEN..HEADER_LEN]);
        let aad = associated_data(&bytes[..1 + KEY_ID_LEN], context);
        key.cipher
            .decrypt(
                nonce,
                Payload {
                    msg: &bytes[HEADER_LEN..],
                    aad: &aad,
                },
            )
            .map(Zeroizing::new)
            .map_err(|_| AtRestError::Tampered)
    }

    /// Whether `sealed` is under a previous key and should be sealed again with the current.
    pub fn needs_reseal(&self, sealed: &SealedSecret) -> bool {
        sealed.key_id() != Some(self.current.id)
    }

    /// The id of the key new values are sealed with, as [`SealedSecret::key_id`] reads it.
    pub fn current_key_id(&self) -> [u8; KEY_ID_LEN] {
        self.current.id
    }

    fn keys(&self) -> impl Iterator<Item = &SealingKey> {
        std::iter::once(&self.current).chain(&self.previous)
    }
}

impl fmt::Debug for SecretSealer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SecretSealer")
            .field("current", &hex::encode(self.current.id))
            .field("previous", &self.previous.len())
            .finish()
    }
}

/// The header (format and key id) and the owner's context, length-prefixed.
fn associated_data(header: &[u8], context: &[u8]) -> Vec<u8> {
    let mut aad = Vec::with_capacity(header.len() + 8 + context.len());
    aad.extend_from_slice(header);
    aad.extend_from_slice(&(context.len() as u64).to_be_bytes());
    aad.extend_from_slice(context);
    aad
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::rngs::OsRng;

    #[test]
    fn sealed_secrets_open_with_the_right_key_and_owner_only() {
        let key = AtRestKey::generate(&mut OsRng);
        let sealer = SecretSealer::new(&key);
        let sealed = sealer.seal(b"totp secret", b"factor:1", &mut OsRng);
        assert_eq!(
            sealer.open(&sealed, b"factor:1").unwrap().as_slice(),
            b"totp secret"
        );
        assert_eq!(
            sealer.open(&sealed, b"factor:2"),
            Err(AtRestError::Tampered)
        );

        let other = SecretSealer::new(&AtRestKey::generate(&mut OsRng));
        assert!(matches!(
            other.open(&sealed, b"factor:1"),
            Err(AtRestError::UnknownKey { .. })
        ));

        let mut flipped = sealed.as_bytes().to_vec();
        *flipped.last_mut().unwrap() ^= 1;
        assert_eq!(
            sealer.open(&SealedSecret::from_bytes(flipped), b"factor:1"),
            Err(AtRestError::Tampered)
        );
        assert_eq!(
            sealer.open(&SealedSecret::from_bytes(vec![1, 2, 3]), b"factor:1"),
            Err(AtRestError::Truncated { len: 3, min: 33 })
        );
        let mut other_format = sealed.as_bytes().to_vec();
        other_format[0] = 9;
        assert_eq!(
            sealer.open(&SealedSecret::from_bytes(other_format), b"factor:1"),
            Err(AtRestError::UnknownFormat(9))
        );
    }

    #[test]
    fn rotation_opens_old_values_and_flags_them_for_resealing() {
        let old = AtRestKey::generate(&mut OsRng);
        let new = AtRestKey::generate(&mut OsRng);
        let sealed_old = SecretSealer::new(&old).seal(b"s", b"c", &mut OsRng);
        let rotated = SecretSealer::new(&new).with_previous(&old);
        assert_eq!(rotated.open(&sealed_old, b"c").unwrap().as_slice(), b"s");
        assert!(rotated.needs_reseal(&sealed_old));
        let resealed = rotated.seal(b"s", b"c", &mut OsRng);
        assert!(!rotated.needs_reseal(&resealed));
        assert_eq!(resealed.key_id(), Some(rotated.current_key_id()));
    }

    #[test]
    fn keys_are_read_from_hex_of_exactly_32_bytes() {
        let key = AtRestKey::generate(&mut OsRng);
        assert_eq!(AtRestKey::from_hex(&key.to_hex()).unwrap().id(), key.id());
        assert_eq!(
            AtRestKey::from_hex("abcd").unwrap_err(),
            AtRestKeyError::Length(2)
        );
        assert_eq!(
            AtRestKey::from_hex("xyz").unwrap_err(),
            AtRestKeyError::NotHex
        );
    }
}
