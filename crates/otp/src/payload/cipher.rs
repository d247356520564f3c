//! The protocol 1.x payload envelope: AES-256-CBC with PKCS#7 padding, written as
//! hex(ciphertext) immediately followed by hex(IV). No MAC: a wrong key shows up only as bad
//! padding or as plaintext that is not a JSON object.

use aes::cipher::block_padding::Pkcs7;
use aes::cipher::{BlockDecryptMut, BlockEncryptMut, KeyIvInit};
use rand::{CryptoRng, RngCore};

use super::PayloadError;
use crate::keys::PayloadKey;

type Aes256CbcEnc = cbc::Encryptor<aes::Aes256>;
type Aes256CbcDec = cbc::Decryptor<aes::Aes256>;

const BLOCK: usize = 16;
/// The longest payload accepted, in hex characters. Clients encrypt a handful of short fields
/// (well under 1 KiB); the bound keeps a hostile body from costing more than a few blocks.
pub const MAX_PAYLOAD_HEX: usize = 16 * 1024;

/// Encrypts `plaintext` with a fresh random IV and returns lower-case hex, as the Node and PHP
/// clients write it.
pub fn encrypt(key: &PayloadKey, plaintext: &[u8], rng: &mut (impl RngCore + CryptoRng)) -> String {
    let mut iv = [0u8; BLOCK];
    rng.fill_bytes(&mut iv);
    encrypt_with_iv(key, plaintext, iv)
}

/// Encrypts with a caller-chosen IV. Only for reproducing test vectors: reusing an IV with one
/// key reveals which payloads share a prefix.
pub fn encrypt_with_iv(key: &PayloadKey, plaintext: &[u8], iv: [u8; BLOCK]) -> String {
    let ciphertext = Aes256CbcEnc::new(key.as_bytes().into(), &iv.into())
        .encrypt_padded_vec_mut::<Pkcs7>(plaintext);
    let mut out = hex::encode(ciphertext);
    out.push_str(&hex::encode(iv));
    out
}

/// The decoded but still encrypted parts of a payload.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Envelope {
    ciphertext: Vec<u8>,
    iv: [u8; BLOCK],
}

impl Envelope {
    /// Parses `hex(ciphertext) ‖ hex(IV)` in either letter case (Java and C# write upper case).
    pub fn parse(payload: &str) -> Result<Envelope, PayloadError> {
        let payload = payload.trim();
        if payload.is_empty() {
            return Err(PayloadError::Missing);
        }
        if payload.len() > MAX_PAYLOAD_HEX {
            return Err(PayloadError::TooLong {
                len: payload.len(),
                max: MAX_PAYLOAD_HEX,
            });
        }
        let bytes = hex::decode(payload).map_err(|_| PayloadError::NotHex)?;
        if bytes.len() < 2 * BLOCK || bytes.len() % BLOCK != 0 {
            return Err(PayloadError::BadLength {
                hex_len: payload.len(),
            });
        }
        let (ciphertext, iv) = bytes.split_at(bytes.len() - BLOCK);
        Ok(Envelope {
            ciphertext: ciphertext.to_vec(),
            iv: iv
                .try_into()
                .expect("split leaves exactly one block for the IV"),
        })
    }

    /// Decrypts with `key`; `None` when the PKCS#7 padding is invalid (wrong key or tampered).
    pub fn decrypt(&self, key: &PayloadKey) -> Option<Vec<u8>> {
        Aes256CbcDec::new(key.as_bytes().into(), &self.iv.into())
            .decrypt_padded_vec_mut::<Pkcs7>(&self.ciphertext)
            .ok()
    }

    /// The 16-byte IV carried after the ciphertext.
    pub fn iv(&self) -> [u8; BLOCK] {
        self.iv
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn upper_and_lower_case_hex_parse_to_the_same_envelope() {
        let lower = format!("{}{}", "ab".repeat(16), "0f".repeat(16));
        let upper = lower.to_uppercase();
        assert_eq!(
            Envelope::parse(&lower).unwrap(),
            Envelope::parse(&upper).unwrap()
        );
        assert_eq!(Envelope::parse(&lower).unwrap().iv(), [0x0f; 16]);
    }

    #[test]
    fn malformed_envelopes_are_refused_with_their_reason() {
        assert_eq!(Envelope::parse("  "), Err(PayloadError::Missing));
        assert_eq!(Envelope::parse(&"zz".repeat(32)), Err(PayloadError::NotHex));
        // Odd length is not hex.
        assert_eq!(Envelope::parse(&"a".repeat(65)), Err(PayloadError::NotHex));
        // One block only: no room for both ciphertext and IV.
        assert_eq!(
            Envelope::parse(&"ab".repeat(16)),
            Err(PayloadError::BadLength { hex_len: 32 })
        );
        // Ciphertext not a whole number of blocks.
        assert_eq!(
            Envelope::parse(&"ab".repeat(40)),
            Err(PayloadError::BadLength { hex_len: 80 })
        );
        let huge = "ab".repeat(MAX_PAYLOAD_HEX);
        assert!(matches!(
            Envelope::parse(&huge),
            Err(PayloadError::TooLong { .. })
        ));
    }

    #[test]
    fn a_different_key_never_yields_the_original_plaintext() {
        let right = PayloadKey::from_bytes([7; 32]);
        let wrong = PayloadKey::from_bytes([8; 32]);
        let sealed = encrypt_with_iv(&right, b"{\"email\":\"a@b.co\"}", [1; 16]);
        let envelope = Envelope::parse(&sealed).unwrap();
        assert_eq!(envelope.decrypt(&right).unwrap(), b"{\"email\":\"a@b.co\"}");
        assert_ne!(
            envelope.decrypt(&wrong).as_deref(),
            Some(&b"{\"email\":\"a@b.co\"}"[..])
        );
    }
}
