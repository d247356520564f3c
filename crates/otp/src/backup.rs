//! Backup codes (in the manner of Clerk's `backup_code`): ten single-use codes per user for when
//! the authenticator is lost, shown once and stored hashed.
//!
//! Each code is 12 characters of Crockford's Base32 (60 bits), shown as `xxxx-xxxx-xxxx`.
//! Unlike Verify codes they live for months and are used rarely, so here a password hash is
//! affordable and worth it: argon2id with the server's pepper as its secret, one salt per
//! set. A redemption runs argon2 once and compares the result with all ten stored hashes.
//! Wrong codes count towards a lock-out like any other code.

use std::fmt;

use argon2::{Argon2, Params, Version};
use rand::{CryptoRng, RngCore};
use serde::{Deserialize, Serialize};
use zeroize::Zeroizing;

use crate::hashing::{CodeHash, PepperTooShort, MIN_PEPPER_LEN};
use crate::limiter::{AttemptPolicy, AttemptState, FailureEffect};
use crate::time::UnixMillis;

/// Codes in a new set.
pub const BACKUP_CODE_COUNT: usize = 10;
/// Characters per code (Crockford Base32, shown as three groups of four).
pub const BACKUP_CODE_CHARS: usize = 12;
/// Crockford's Base32 alphabet: no I, L, O or U, so codes read aloud or copied by hand
/// survive.
const ALPHABET: &[u8; 32] = b"0123456789abcdefghjkmnpqrstvwxyz";
const SALT_LEN: usize = 16;

/// argon2id cost. The default is OWASP's recommendation (19 MiB, 2 passes, 1 lane).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BackupHashCost {
    /// Memory per hash, KiB.
    pub memory_kib: u32,
    /// Passes over the memory (argon2 `t_cost`).
    pub passes: u32,
}

impl Default for BackupHashCost {
    fn default() -> Self {
        BackupHashCost {
            memory_kib: 19 * 1024,
            passes: 2,
        }
    }
}

/// A pepper or argon2 cost that cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum BackupConfigError {
    /// The pepper is shorter than the minimum.
    #[error(transparent)]
    Pepper(#[from] PepperTooShort),
    /// argon2 rejects the cost; the text says why.
    #[error("invalid argon2 cost: {0}")]
    Cost(String),
}

/// One backup code for the user's eyes. Its `Debug` hides it.
#[derive(Clone, PartialEq, Eq)]
pub struct BackupCode(String);

impl BackupCode {
    /// The code grouped for display: `xxxx-xxxx-xxxx`.
    pub fn display(&self) -> String {
        let c = &self.0;
        format!("{}-{}-{}", &c[0..4], &c[4..8], &c[8..12])
    }
}

impl fmt::Debug for BackupCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("BackupCode(..)")
    }
}

/// What the server persists per user: the salt, one slot per code (`None` once used) and the
/// failure count.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct BackupCodeSet {
    /// Random salt of this set, mixed into every code's hash.
    #[serde(with = "hex_salt")]
    pub salt: [u8; SALT_LEN],
    /// One hash per code, `None` once that code was used.
    pub slots: Vec<Option<CodeHash>>,
    /// Wrong codes counted towards a lock-out.
    pub attempts: AttemptState,
}

impl BackupCodeSet {
    /// Codes not yet used.
    pub fn remaining(&self) -> usize {
        self.slots.iter().filter(|slot| slot.is_some()).count()
    }
}

/// A new set: show `codes` once, persist `set` (replacing any previous set).
#[derive(Debug, Clone)]
pub struct NewBackupCodes {
    /// The codes to show the user once (never stored).
    pub codes: Vec<BackupCode>,
    /// What to persist.
    pub set: BackupCodeSet,
}

/// What a submitted backup code did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum BackupOutcome {
    /// The code was good and is now used up.
    Redeemed {
        /// Codes of the set still unused.
        remaining: usize,
    },
    /// Not one of the unused codes. Counted.
    Wrong,
    /// Not 12 Base32 characters. Not counted.
    Malformed,
    /// This wrong code used the last allowed attempt.
    TooManyFailures {
        /// When attempts are allowed again.
        limited_until: UnixMillis,
    },
    /// Locked out; the code was not checked.
    LockedOut {
        /// When attempts are allowed again.
        limited_until: UnixMillis,
    },
}

/// The result of [`BackupCodes::redeem`]: answer with `outcome`, persist `next`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Redemption {
    /// What to answer.
    pub outcome: BackupOutcome,
    /// The set to persist.
    pub next: BackupCodeSet,
}

/// Generates and redeems backup codes with one pepper and argon2 cost.
pub struct BackupCodes {
    pepper: Zeroizing<Vec<u8>>,
    params: Params,
}

impl BackupCodes {
    /// A generator with `pepper` (at least the minimum length) and the argon2 cost.
    pub fn new(pepper: &[u8], cost: BackupHashCost) -> Result<BackupCodes, BackupConfigError> {
        if pepper.len() < MIN_PEPPER_LEN {
            return Err(PepperTooShort { len: pepper.len() }.into());
        }
        let params = Params::new(cost.memory_kib, cost.passes, 1, Some(32))
            .map_err(|e| BackupConfigError::Cost(e.to_string()))?;
        Argon2::new_with_secret(
            pepper,
            argon2::Algorithm::Argon2id,
            Version::V0x13,
            params.clone(),
        )
        .map_err(|e| BackupConfigError::Cost(e.to_string()))?;
        Ok(BackupCodes {
            pepper: Zeroizing::new(pepper.to_vec()),
            params,
        })
    }

    /// Ten fresh codes and their stored form.
    pub fn generate(&self, rng: &mut (impl RngCore + CryptoRng)) -> NewBackupCodes {
        let mut salt = [0u8; SALT_LEN];
        rng.fill_bytes(&mut salt);
        let codes: Vec<BackupCode> = (0..BACKUP_CODE_COUNT).map(|_| random_code(rng)).collect();
        let slots = codes
            .iter()
            .map(|code| Some(self.hash(&salt, &code.0)))
            .collect();
        NewBackupCodes {
            codes,
            set: BackupCodeSet {
                salt,
                slots,
                attempts: AttemptState::default(),
            },
        }
    }

    /// Redeems `submitted` (any letter case, dashes and spaces ignored, O read as 0 and I/L
    /// as 1 as Crockford's Base32 prescribes).
    pub fn redeem(
        &self,
        set: &BackupCodeSet,
        submitted: &str,
        policy: &AttemptPolicy,
        now: UnixMillis,
    ) -> Redemption {
        let attempts = set.attempts.at(now);
        if let Some(limited_until) = attempts.locked_until(now) {
            return Redemption {
                outcome: BackupOutcome::LockedOut { limited_until },
                next: set.clone(),
            };
        }
        let Some(code) = normalise(submitted) else {
            return Redemption {
                outcome: BackupOutcome::Malformed,
                next: BackupCodeSet {
                    attempts,
                    ..set.clone()
                },
            };
        };
        let hash = self.hash(&set.salt, &code);
        // Compare with every slot, so the time taken does not depend on which one matched.
        let mut matched = None;
        for (index, slot) in set.slots.iter().enumerate() {
            if slot.as_ref().is_some_and(|stored| stored.matches(&hash)) {
                matched = Some(index);
            }
        }
        match matched {
            Some(index) => {
                let mut slots = set.slots.clone();
                slots[index] = None;
                let next = BackupCodeSet {
                    salt: set.salt,
                    slots,
                    attempts: attempts.succeed(),
                };
                Redemption {
                    outcome: BackupOutcome::Redeemed {
                        remaining: next.remaining(),
                    },
                    next,
                }
            }
            None => {
                let (attempts, effect) = attempts.fail(policy, now);
                let outcome = match effect {
                    FailureEffect::Counted { .. } => BackupOutcome::Wrong,
                    FailureEffect::LockedOut { until } => BackupOutcome::TooManyFailures {
                        limited_until: until,
                    },
                };
                Redemption {
                    outcome,
                    next: BackupCodeSet {
                        attempts,
                        ..set.clone()
                    },
                }
            }
        }
    }

    fn hash(&self, salt: &[u8; SALT_LEN], code: &str) -> CodeHash {
        let mut out = [0u8; 32];
        // Building the hasher is free (it only holds references and parameters).
        Argon2::new_with_secret(
            &self.pepper,
            argon2::Algorithm::Argon2id,
            Version::V0x13,
            self.params.clone(),
        )
        .expect("the pepper was accepted as an argon2 secret at construction")
        .hash_password_into(code.as_bytes(), salt, &mut out)
        .expect("parameters were checked at construction and the salt is 16 bytes");
        CodeHash(out)
    }
}

impl fmt::Debug for BackupCodes {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("BackupCodes(..)")
    }
}

/// 12 characters, each uniform over the 32-symbol alphabet (the low 5 bits of a random byte).
fn random_code(rng: &mut (impl RngCore + CryptoRng)) -> BackupCode {
    let mut bytes = [0u8; BACKUP_CODE_CHARS];
    rng.fill_bytes(&mut bytes);
    BackupCode(
        bytes
            .iter()
            .map(|b| char::from(ALPHABET[usize::from(b & 31)]))
            .collect(),
    )
}

fn normalise(submitted: &str) -> Option<String> {
    let code: String = submitted
        .chars()
        .filter(|c| !c.is_whitespace() && *c != '-')
        .map(|c| match c.to_ascii_lowercase() {
            'o' => '0',
            'i' | 'l' => '1',
            other => other,
        })
        .collect();
    (code.len() == BACKUP_CODE_CHARS && code.bytes().all(|b| ALPHABET.contains(&b))).then_some(code)
}

mod hex_salt {
    use serde::{Deserialize, Deserializer, Serializer};

    pub(super) fn serialize<S: Serializer>(
        salt: &[u8; 16],
        serializer: S,
    ) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&hex::encode(salt))
    }

    pub(super) fn deserialize<'de, D: Deserializer<'de>>(
        deserializer: D,
    ) -> Result<[u8; 16], D::Error> {
        let text = String::deserialize(deserializer)?;
        let mut salt = [0u8; 16];
        hex::decode_to_slice(text, &mut salt)
            .map_err(|_| serde::de::Error::custom("expected 32 hex characters"))?;
        Ok(salt)
    }
}
