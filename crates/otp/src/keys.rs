//! Payload keys of protocol 1.x: a 32-byte AES key derived from password = client secret and
//! salt = applicationId, by PBKDF2-HMAC-SHA512 (10 000 iterations, endpoint version 1.1) or
//! scrypt (N = 16384, r = 8, p = 1, version 1.0), and a small bounded cache of derived keys.
//!
//! Derivation is deliberately slow (milliseconds for PBKDF2, tens of milliseconds and 16 MiB
//! for scrypt), so the server derives once per application and version and keeps the key.

use std::collections::HashMap;
use std::sync::Mutex;

use sha2::{Digest, Sha256, Sha512};
use zeroize::Zeroize;

/// PBKDF2 iteration count of endpoint version 1.1.
pub const PBKDF2_ITERATIONS: u32 = 10_000;
/// scrypt cost parameters of endpoint version 1.0: log2(N) = 14, r = 8, p = 1.
pub const SCRYPT_LOG_N: u8 = 14;
/// scrypt block size `r` of endpoint version 1.0.
pub const SCRYPT_R: u32 = 8;
/// scrypt parallelism `p` of endpoint version 1.0.
pub const SCRYPT_P: u32 = 1;

/// Which key derivation a payload was encrypted with, named by the endpoint version that
/// introduced it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum KdfVersion {
    /// Version 1.0 (first client release, 2021-04): scrypt.
    V1_0Scrypt,
    /// Version 1.1 (current clients): PBKDF2-HMAC-SHA512.
    V1_1Pbkdf2,
}

impl KdfVersion {
    /// The order in which a payload of unstated version is tried: the current derivation first.
    pub const TRIAL_ORDER: [KdfVersion; 2] = [KdfVersion::V1_1Pbkdf2, KdfVersion::V1_0Scrypt];
}

/// A derived AES-256 key. Wiped from memory when dropped.
#[derive(Clone, PartialEq, Eq)]
pub struct PayloadKey([u8; 32]);

impl PayloadKey {
    /// Derives the key of `version` from the client secret and the application id.
    pub fn derive(client_secret: &str, application_id: &str, version: KdfVersion) -> PayloadKey {
        let mut key = [0u8; 32];
        let password = client_secret.as_bytes();
        let salt = application_id.as_bytes();
        match version {
            KdfVersion::V1_1Pbkdf2 => {
                pbkdf2::pbkdf2_hmac::<Sha512>(password, salt, PBKDF2_ITERATIONS, &mut key);
            }
            KdfVersion::V1_0Scrypt => {
                let params = scrypt::Params::new(SCRYPT_LOG_N, SCRYPT_R, SCRYPT_P, key.len())
                    .expect("the version 1.0 scrypt parameters are constants within range");
                scrypt::scrypt(password, salt, &params, &mut key)
                    .expect("a 32-byte output is a valid scrypt output length");
            }
        }
        PayloadKey(key)
    }

    /// A key from raw bytes (for clients that keep the derived key instead of the secret).
    pub fn from_bytes(bytes: [u8; 32]) -> PayloadKey {
        PayloadKey(bytes)
    }

    /// The 32 key bytes.
    pub fn as_bytes(&self) -> &[u8; 32] {
        &self.0
    }
}

impl Drop for PayloadKey {
    fn drop(&mut self) {
        self.0.zeroize();
    }
}

impl std::fmt::Debug for PayloadKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("PayloadKey(..)")
    }
}

/// Derived keys per (application id, KDF version), bounded to `capacity` entries with
/// least-recently-used eviction. Safe to share between request handlers (`&self` methods).
///
/// Each entry remembers a SHA-256 fingerprint of the secret it was derived from, so a rotated
/// client secret is never answered with the old key: a mismatch re-derives and replaces it.
pub struct KeyCache {
    capacity: usize,
    inner: Mutex<CacheState>,
}

struct CacheState {
    entries: HashMap<(String, KdfVersion), CachedKey>,
    clock: u64,
}

struct CachedKey {
    secret_fingerprint: [u8; 32],
    key: PayloadKey,
    last_used: u64,
}

impl KeyCache {
    /// A cache holding at most `capacity` keys (at least one).
    pub fn new(capacity: usize) -> KeyCache {
        KeyCache {
            capacity: capacity.max(1),
            inner: Mutex::new(CacheState {
                entries: HashMap::new(),
                clock: 0,
            }),
        }
    }

    /// The key for this application and version, derived on a miss.
    ///
    /// The derivation runs outside the lock, so a slow scrypt miss never blocks lookups of
    /// other applications; two concurrent misses of one key both derive and the second insert
    /// wins, which is harmless.
    pub fn key(
        &self,
        client_secret: &str,
        application_id: &str,
        version: KdfVersion,
    ) -> PayloadKey {
        let fingerprint = secret_fingerprint(client_secret);
        let slot = (application_id.to_owned(), version);
        {
            let mut state = self.lock();
            state.clock += 1;
            let now = state.clock;
            if let Some(entry) = state.entries.get_mut(&slot) {
                if entry.secret_fingerprint == fingerprint {
                    entry.last_used = now;
                    return entry.key.clone();
                }
            }
        }
        let key = PayloadKey::derive(client_secret, application_id, version);
        let mut state = self.lock();
        state.clock += 1;
        let now = state.clock;
        if !state.entries.contains_key(&slot) && state.entries.len() >= self.capacity {
            let oldest = state
                .entries
                .iter()
                .min_by_key(|(_, entry)| entry.last_used)
                .map(|(slot, _)| slot.clone());
            if let Some(oldest) = oldest {
                state.entries.remove(&oldest);
            }
        }
        state.entries.insert(
            slot,
            CachedKey {
                secret_fingerprint: fingerprint,
                key: key.clone(),
                last_used: now,
            },
        );
        key
    }

    /// Drops every cached key of an application (call when it is deleted or its secret
    /// rotated; a rotation is also detected by itself, this only frees memory sooner).
    pub fn forget(&self, application_id: &str) {
        self.lock()
            .entries
            .retain(|(app, _), _| app != application_id);
    }

    /// Number of keys currently held.
    pub fn len(&self) -> usize {
        self.lock().entries.len()
    }

    /// Whether no key is held.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, CacheState> {
        // A panic while holding the lock cannot leave the map inconsistent (every mutation is
        // a single insert or remove), so a poisoned lock is still usable.
        self.inner
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

impl std::fmt::Debug for KeyCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("KeyCache")
            .field("capacity", &self.capacity)
            .field("len", &self.len())
            .finish()
    }
}

fn secret_fingerprint(client_secret: &str) -> [u8; 32] {
    Sha256::digest(client_secret.as_bytes()).into()
}
