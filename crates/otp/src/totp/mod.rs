//! TOTP: the RFC 4226 HOTP and RFC 6238 TOTP algorithms, factor configuration within the
//! Twilio Verify ranges, secrets, the otpauth URI and its QR code ([`uri`]), and the
//! factor state machine with replay refusal and attempt limiting ([`factor`]).

pub mod factor;
pub mod uri;

use std::fmt;

use data_encoding::BASE32_NOPAD;
use hmac::{Hmac, Mac};
use rand::{CryptoRng, RngCore};
use serde::{Deserialize, Serialize};
use sha1::Sha1;
use sha2::{Sha256, Sha512};
use subtle::ConstantTimeEq;
use zeroize::Zeroizing;

/// The HMAC hash of a factor.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Algorithm {
    /// HMAC-SHA1 (RFC 6238's default, what most apps assume).
    Sha1,
    /// HMAC-SHA256.
    Sha256,
    /// HMAC-SHA512.
    Sha512,
}

impl Algorithm {
    /// Reads `sha1`, `SHA256`, `sha-512` and the like (Twilio's `Config.Alg` is lower case,
    /// the otpauth URI upper case).
    pub fn parse(name: &str) -> Result<Algorithm, TotpConfigError> {
        match name.trim().to_ascii_lowercase().replace('-', "").as_str() {
            "sha1" => Ok(Algorithm::Sha1),
            "sha256" => Ok(Algorithm::Sha256),
            "sha512" => Ok(Algorithm::Sha512),
            _ => Err(TotpConfigError::UnknownAlgorithm(name.to_owned())),
        }
    }

    /// The name in the otpauth URI: `SHA1`, `SHA256`, `SHA512`.
    pub fn uri_name(self) -> &'static str {
        match self {
            Algorithm::Sha1 => "SHA1",
            Algorithm::Sha256 => "SHA256",
            Algorithm::Sha512 => "SHA512",
        }
    }
}

/// Allowed code lengths, digits (the range Twilio Verify accepts for service and factor settings).
pub const DIGITS: std::ops::RangeInclusive<u8> = 3..=8;
/// Allowed time steps, seconds.
pub const STEP_SECONDS: std::ops::RangeInclusive<u32> = 20..=60;
/// Allowed skew: steps accepted on either side of the current one.
pub const SKEW: std::ops::RangeInclusive<u8> = 0..=2;

/// A setting outside the ranges Twilio Verify accepts.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum TotpConfigError {
    /// Not one of `sha1`, `sha256`, `sha512`.
    #[error("unknown algorithm {0:?}; expected sha1, sha256 or sha512")]
    UnknownAlgorithm(String),
    /// Digits outside [`DIGITS`].
    #[error("code length {0} is outside 3-8 digits")]
    Digits(u8),
    /// Time step outside [`STEP_SECONDS`].
    #[error("time step {0} s is outside 20-60 s")]
    Step(u32),
    /// Skew outside [`SKEW`].
    #[error("skew {0} is outside 0-2 steps")]
    Skew(u8),
}

/// How a factor's codes are made and checked. Built only through [`TotpConfig::new`], so a
/// config in hand is always within range.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "RawConfig", into = "RawConfig")]
pub struct TotpConfig {
    algorithm: Algorithm,
    digits: u8,
    step_seconds: u32,
    skew: u8,
}

/// Serialised form, Twilio's `config` names: `{alg, code_length, time_step, skew}`.
#[derive(Serialize, Deserialize)]
struct RawConfig {
    alg: Algorithm,
    code_length: u8,
    time_step: u32,
    skew: u8,
}

impl TryFrom<RawConfig> for TotpConfig {
    type Error = TotpConfigError;
    fn try_from(raw: RawConfig) -> Result<TotpConfig, TotpConfigError> {
        TotpConfig::new(raw.alg, raw.code_length, raw.time_step, raw.skew)
    }
}

impl From<TotpConfig> for RawConfig {
    fn from(c: TotpConfig) -> RawConfig {
        RawConfig {
            alg: c.algorithm,
            code_length: c.digits,
            time_step: c.step_seconds,
            skew: c.skew,
        }
    }
}

impl Default for TotpConfig {
    /// SHA-1, 6 digits, 30 s, skew 1: what every authenticator app imports.
    fn default() -> Self {
        TotpConfig {
            algorithm: Algorithm::Sha1,
            digits: 6,
            step_seconds: 30,
            skew: 1,
        }
    }
}

impl TotpConfig {
    /// A config, or the first setting outside its range.
    pub fn new(
        algorithm: Algorithm,
        digits: u8,
        step_seconds: u32,
        skew: u8,
    ) -> Result<TotpConfig, TotpConfigError> {
        if !DIGITS.contains(&digits) {
            return Err(TotpConfigError::Digits(digits));
        }
        if !STEP_SECONDS.contains(&step_seconds) {
            return Err(TotpConfigError::Step(step_seconds));
        }
        if !SKEW.contains(&skew) {
            return Err(TotpConfigError::Skew(skew));
        }
        Ok(TotpConfig {
            algorithm,
            digits,
            step_seconds,
            skew,
        })
    }

    /// The HMAC hash.
    pub fn algorithm(&self) -> Algorithm {
        self.algorithm
    }
    /// Digits per code.
    pub fn digits(&self) -> u8 {
        self.digits
    }
    /// Length of a time step, seconds.
    pub fn step_seconds(&self) -> u32 {
        self.step_seconds
    }
    /// Steps accepted before and after the current one.
    pub fn skew(&self) -> u8 {
        self.skew
    }

    /// The time step (RFC 6238 `T`, with T0 = 0) that contains `unix_seconds`.
    pub fn step_at(&self, unix_seconds: u64) -> u64 {
        unix_seconds / u64::from(self.step_seconds)
    }
}

/// Random secrets have 160 bits, as RFC 4226 recommends.
pub const GENERATED_SECRET_LEN: usize = 20;
/// Imported secrets need at least the 128 bits RFC 4226 requires.
pub const MIN_SECRET_LEN: usize = 16;
/// A bound on imported secrets (the RFC 6238 SHA-512 test key has 64 bytes).
pub const MAX_SECRET_LEN: usize = 128;

/// A secret that cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SecretError {
    /// Not RFC 4648 Base32.
    #[error("the secret is not Base32 (RFC 4648 alphabet A-Z, 2-7)")]
    NotBase32,
    /// Fewer than [`MIN_SECRET_LEN`] bytes (the number given).
    #[error("the secret has {0} bytes; at least 16 (128 bits) are required")]
    TooShort(usize),
    /// More than [`MAX_SECRET_LEN`] bytes (the number given).
    #[error("the secret has {0} bytes; at most 128 are accepted")]
    TooLong(usize),
}

/// A factor's shared secret. Wiped from memory when dropped; its `Debug` hides it.
#[derive(Clone, PartialEq, Eq)]
pub struct TotpSecret(Zeroizing<Vec<u8>>);

impl TotpSecret {
    /// A fresh 160-bit secret.
    pub fn generate(rng: &mut (impl RngCore + CryptoRng)) -> TotpSecret {
        let mut bytes = Zeroizing::new(vec![0u8; GENERATED_SECRET_LEN]);
        rng.fill_bytes(&mut bytes);
        TotpSecret(bytes)
    }

    /// A secret from raw bytes, [`MIN_SECRET_LEN`] to [`MAX_SECRET_LEN`] of them.
    pub fn from_bytes(bytes: &[u8]) -> Result<TotpSecret, SecretError> {
        if bytes.len() < MIN_SECRET_LEN {
            return Err(SecretError::TooShort(bytes.len()));
        }
        if bytes.len() > MAX_SECRET_LEN {
            return Err(SecretError::TooLong(bytes.len()));
        }
        Ok(TotpSecret(Zeroizing::new(bytes.to_vec())))
    }

    /// Reads a Base32 secret as people paste it: any letter case, spaces or dashes between
    /// groups, with or without `=` padding.
    pub fn from_base32(text: &str) -> Result<TotpSecret, SecretError> {
        let cleaned: Zeroizing<String> = Zeroizing::new(
            text.chars()
                .filter(|c| !c.is_whitespace() && *c != '-' && *c != '=')
                .map(|c| c.to_ascii_uppercase())
                .collect(),
        );
        let bytes = Zeroizing::new(
            BASE32_NOPAD
                .decode(cleaned.as_bytes())
                .map_err(|_| SecretError::NotBase32)?,
        );
        TotpSecret::from_bytes(&bytes)
    }

    /// Upper-case Base32 without padding, as authenticator apps expect.
    pub fn to_base32(&self) -> String {
        BASE32_NOPAD.encode(&self.0)
    }

    /// The raw secret bytes.
    pub fn as_bytes(&self) -> &[u8] {
        &self.0
    }
}

impl fmt::Debug for TotpSecret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "TotpSecret({} bytes)", self.0.len())
    }
}

/// HOTP (RFC 4226 §5.3): dynamic truncation of HMAC(secret, counter) to `digits` decimal
/// digits, zero-padded. `digits` comes from a checked [`TotpConfig`] (3-8).
pub fn hotp(secret: &TotpSecret, counter: u64, config: &TotpConfig) -> String {
    let value = truncated_hmac(secret.as_bytes(), counter, config.algorithm)
        % 10u32.pow(u32::from(config.digits));
    format!("{value:0width$}", width = usize::from(config.digits))
}

/// TOTP (RFC 6238): the code of the step containing `unix_seconds`.
pub fn totp(secret: &TotpSecret, unix_seconds: u64, config: &TotpConfig) -> String {
    hotp(secret, config.step_at(unix_seconds), config)
}

/// The latest step within `now ± skew` whose code equals `code`, if any (the latest, so a
/// rare collision with an older, already used step cannot hide a fresh match). Every step in
/// the window is computed and compared in constant time, so timing does not tell which
/// step matched.
pub(crate) fn matching_step(
    secret: &TotpSecret,
    code: &str,
    now_seconds: u64,
    config: &TotpConfig,
) -> Option<u64> {
    let current = config.step_at(now_seconds);
    let skew = u64::from(config.skew);
    let mut found = None;
    for step in current.saturating_sub(skew)..=current.saturating_add(skew) {
        let candidate = hotp(secret, step, config);
        if bool::from(candidate.as_bytes().ct_eq(code.as_bytes())) {
            found = Some(step);
        }
    }
    found
}

fn truncated_hmac(key: &[u8], counter: u64, algorithm: Algorithm) -> u32 {
    let message = counter.to_be_bytes();
    let mac: Vec<u8> = match algorithm {
        Algorithm::Sha1 => hmac_bytes::<Hmac<Sha1>>(key, &message),
        Algorithm::Sha256 => hmac_bytes::<Hmac<Sha256>>(key, &message),
        Algorithm::Sha512 => hmac_bytes::<Hmac<Sha512>>(key, &message),
    };
    let offset = usize::from(mac[mac.len() - 1] & 0x0f);
    let word = [
        mac[offset],
        mac[offset + 1],
        mac[offset + 2],
        mac[offset + 3],
    ];
    u32::from_be_bytes(word) & 0x7fff_ffff
}

fn hmac_bytes<M: Mac + hmac::digest::KeyInit>(key: &[u8], message: &[u8]) -> Vec<u8> {
    let mut mac =
        <M as hmac::digest::KeyInit>::new_from_slice(key).expect("HMAC accepts keys of any length");
    mac.update(message);
    mac.finalize().into_bytes().to_vec()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranges_of_section_3_3_are_enforced() {
        assert!(TotpConfig::new(Algorithm::Sha1, 3, 20, 0).is_ok());
        assert!(TotpConfig::new(Algorithm::Sha512, 8, 60, 2).is_ok());
        assert_eq!(
            TotpConfig::new(Algorithm::Sha1, 2, 30, 1),
            Err(TotpConfigError::Digits(2))
        );
        assert_eq!(
            TotpConfig::new(Algorithm::Sha1, 9, 30, 1),
            Err(TotpConfigError::Digits(9))
        );
        assert_eq!(
            TotpConfig::new(Algorithm::Sha1, 6, 19, 1),
            Err(TotpConfigError::Step(19))
        );
        assert_eq!(
            TotpConfig::new(Algorithm::Sha1, 6, 61, 1),
            Err(TotpConfigError::Step(61))
        );
        assert_eq!(
            TotpConfig::new(Algorithm::Sha1, 6, 30, 3),
            Err(TotpConfigError::Skew(3))
        );
        assert_eq!(Algorithm::parse("SHA-256"), Ok(Algorithm::Sha256));
        assert_eq!(
            Algorithm::parse("md5"),
            Err(TotpConfigError::UnknownAlgorithm("md5".into()))
        );
    }

    #[test]
    fn stored_configs_are_checked_when_read_back() {
        let json = serde_json::to_string(&TotpConfig::default()).unwrap();
        assert_eq!(
            json,
            r#"{"alg":"sha1","code_length":6,"time_step":30,"skew":1}"#
        );
        assert_eq!(
            serde_json::from_str::<TotpConfig>(&json).unwrap(),
            TotpConfig::default()
        );
        let bad = r#"{"alg":"sha1","code_length":6,"time_step":90,"skew":1}"#;
        assert!(serde_json::from_str::<TotpConfig>(bad).is_err());
    }

    #[test]
    fn base32_secrets_are_read_leniently_and_checked() {
        // The Twilio quickstart's secret is the RFC test key "12345678901234567890".
        let s = TotpSecret::from_base32("gezd gnbv gy3t qojq gezd gnbv gy3t qojq").unwrap();
        assert_eq!(s.as_bytes(), b"12345678901234567890");
        assert_eq!(s.to_base32(), "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ");
        assert_eq!(
            TotpSecret::from_base32("GEZDGNBVGY3TQOJQ"),
            Err(SecretError::TooShort(10))
        );
        assert_eq!(
            TotpSecret::from_base32("not base32!"),
            Err(SecretError::NotBase32)
        );
        assert_eq!(
            TotpSecret::from_bytes(&[0; 129]),
            Err(SecretError::TooLong(129))
        );
    }

    #[test]
    fn generated_secrets_have_160_bits_and_differ() {
        let mut rng = rand::rngs::OsRng;
        let a = TotpSecret::generate(&mut rng);
        let b = TotpSecret::generate(&mut rng);
        assert_eq!(a.as_bytes().len(), 20);
        assert_eq!(a.to_base32().len(), 32);
        assert_ne!(a, b);
    }

    #[test]
    fn short_codes_are_zero_padded() {
        let secret = TotpSecret::from_bytes(b"12345678901234567890").unwrap();
        let config = TotpConfig::new(Algorithm::Sha1, 6, 30, 0).unwrap();
        // RFC 4226 counter 9 gives 520489; 3 digits keep the low three, "489".
        assert_eq!(hotp(&secret, 9, &config), "520489");
        let three = TotpConfig::new(Algorithm::Sha1, 3, 30, 0).unwrap();
        assert_eq!(hotp(&secret, 9, &three), "489");
        // Counter 1 gives 287082, whose low three digits "082" keep their leading zero.
        assert_eq!(hotp(&secret, 1, &three), "082");
    }
}
