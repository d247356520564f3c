//! HTTP Basic authentication with apiKey:apiSecret. Secrets are stored only as argon2
//! hashes. Argon2 is slow on purpose, so after a secret has verified once the key's entry
//! remembers a SHA-256 of it; later requests compare digests. Entries are re-read from the
//! database after `ttl`, so revocation and new settings take effect within that time.
//!
//! Argon2 is also memory-hard (19 MiB a check with the default parameters), so a flood of
//! wrong secrets must not run it freely: a semaphore bounds the checks running at once, and
//! each API key has a budget of checks per minute, taken before argon2 runs. Over budget, a
//! secret that is not the verified one is answered with code 52 and `Retry-After`, unchecked;
//! the verified secret keeps working, as it never needs argon2.

use std::collections::HashMap;
use std::num::NonZeroU32;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::Argon2;
use axum::http::HeaderValue;
use base64::Engine;
use governor::clock::Clock;
use governor::{DefaultKeyedRateLimiter, Quota};
use rand::RngCore;
use sha2::{Digest, Sha256};
use tokio::sync::Semaphore;

use crate::db::keys::{KeyRecord, KeyStoreError};
use crate::db::Db;
use crate::error::{ApiError, ErrorCode};
use crate::limits::retry_after_secs;
use crate::settings::TenantSettings;

/// The apiKey and apiSecret of a request. `Debug` hides the secret.
pub struct Credentials {
    pub api_key: String,
    api_secret: String,
}

impl std::fmt::Debug for Credentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Credentials")
            .field("api_key", &self.api_key)
            .finish_non_exhaustive()
    }
}

/// Reads `Authorization: Basic base64(apiKey:apiSecret)`; anything else is code 32.
pub fn parse_basic(header: Option<&HeaderValue>) -> Result<Credentials, ErrorCode> {
    let bad = ErrorCode::BadCredentials;
    let value = header.ok_or(bad)?.to_str().map_err(|_| bad)?.trim();
    let (scheme, encoded) = value.split_once(' ').ok_or(bad)?;
    if !scheme.eq_ignore_ascii_case("basic") {
        return Err(bad);
    }
    let decoded = base64::engine::general_purpose::STANDARD
        .decode(encoded.trim())
        .map_err(|_| bad)?;
    let text = String::from_utf8(decoded).map_err(|_| bad)?;
    let (api_key, api_secret) = text.split_once(':').ok_or(bad)?;
    if api_key.is_empty() {
        return Err(bad);
    }
    Ok(Credentials {
        api_key: api_key.to_string(),
        api_secret: api_secret.to_string(),
    })
}

/// A new apiKey and apiSecret: 128 random bits each, as 32 hex digits (the shape of
/// TypingDNA's keys, so clients that validate the format accept them).
pub fn generate_key_pair() -> (String, String) {
    let mut bytes = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    let hex = |b: &[u8]| b.iter().map(|x| format!("{x:02x}")).collect::<String>();
    (hex(&bytes[..16]), hex(&bytes[16..]))
}

pub fn hash_secret(secret: &str) -> String {
    let salt = SaltString::generate(&mut rand::rngs::OsRng);
    Argon2::default()
        .hash_password(secret.as_bytes(), &salt)
        .expect("argon2 with default parameters hashes any input")
        .to_string()
}

fn secret_matches(secret: &str, stored_hash: &str) -> bool {
    match PasswordHash::new(stored_hash) {
        Ok(hash) => Argon2::default()
            .verify_password(secret.as_bytes(), &hash)
            .is_ok(),
        Err(_) => false,
    }
}

/// The authenticated caller: its key, its tenant and the tenant's settings.
#[derive(Clone, Debug)]
pub struct Tenant {
    pub api_key: String,
    pub tenant_id: i64,
    pub settings: Arc<TenantSettings>,
}

struct CachedKey {
    record: KeyRecord,
    settings: Arc<TenantSettings>,
    verified_secret: Option<[u8; 32]>,
    fetched: Instant,
}

/// How many argon2 checks may run at once, and how many each key may spend a minute.
#[derive(Clone, Copy, Debug)]
pub struct SecretCheckLimits {
    /// 0: one per CPU.
    pub concurrent: u32,
    /// 0: unlimited.
    pub per_key_per_minute: u32,
}

pub struct Authenticator {
    db: Db,
    ttl: Duration,
    cache: Mutex<HashMap<String, CachedKey>>,
    checks: Arc<Semaphore>,
    /// Argon2 checks per API key (only keys that exist get an entry).
    budget: Option<DefaultKeyedRateLimiter<String>>,
}

impl Authenticator {
    pub fn new(db: Db, ttl: Duration, limits: SecretCheckLimits) -> Self {
        let concurrent = match limits.concurrent {
            0 => std::thread::available_parallelism().map_or(1, |n| n.get()),
            n => n as usize,
        };
        Authenticator {
            db,
            ttl,
            cache: Mutex::new(HashMap::new()),
            checks: Arc::new(Semaphore::new(concurrent)),
            budget: NonZeroU32::new(limits.per_key_per_minute)
                .map(|n| governor::RateLimiter::dashmap(Quota::per_minute(n))),
        }
    }

    /// Forgets the budgets of keys that have their full budget again.
    pub fn forget_idle(&self) {
        if let Some(budget) = &self.budget {
            budget.retain_recent();
            budget.shrink_to_fit();
        }
    }

    pub async fn authenticate(&self, credentials: &Credentials) -> Result<Tenant, ApiError> {
        let secret_digest: [u8; 32] = Sha256::digest(credentials.api_secret.as_bytes()).into();
        let fresh = self.cached(&credentials.api_key);
        let (record, settings, verified) =
            match fresh {
                Some(entry) => entry,
                None => {
                    let record = self.db.keys().find(&credentials.api_key).await.map_err(
                        |err| match err {
                            KeyStoreError::Db(err) => ApiError::from(err),
                            other => {
                                tracing::error!(error = %other, "cannot read API key");
                                ApiError::new(ErrorCode::Internal)
                            }
                        },
                    )?;
                    let Some(record) = record else {
                        return Err(ErrorCode::UnknownApiKey.into());
                    };
                    let settings = Arc::new(record.settings.clone());
                    let verified =
                        self.store(&credentials.api_key, record.clone(), settings.clone());
                    (record, settings, verified)
                }
            };
        if record.revoked {
            return Err(ErrorCode::UnknownApiKey.into());
        }
        if verified != Some(secret_digest) {
            let permit = self
                .checks
                .clone()
                .acquire_owned()
                .await
                .map_err(|_| ApiError::new(ErrorCode::Internal))?;
            // Requests that waited for the permit while the same secret was being verified
            // need no argon2 of their own (nor a share of the key's budget: a burst of a
            // legitimate client's first requests must not run it out). The entry's age does
            // not matter here: `record` was read within the cache time, and the digest stands
            // for the hash it was verified against.
            let verified_meanwhile = self
                .cache
                .lock()
                .expect("auth cache lock")
                .get(&credentials.api_key)
                .is_some_and(|entry| {
                    entry.record.secret_hash == record.secret_hash
                        && entry.verified_secret == Some(secret_digest)
                });
            if !verified_meanwhile {
                self.spend_budget(&credentials.api_key)?;
                let secret = credentials.api_secret.clone();
                let hash = record.secret_hash.clone();
                // The permit moves into the blocking task: it is released when argon2 ends,
                // even if the client gave up and the request was dropped meanwhile.
                let ok = tokio::task::spawn_blocking(move || {
                    let _permit = permit;
                    secret_matches(&secret, &hash)
                })
                .await
                .map_err(|_| ApiError::new(ErrorCode::Internal))?;
                if !ok {
                    return Err(ErrorCode::BadCredentials.into());
                }
            }
            if let Some(entry) = self
                .cache
                .lock()
                .expect("auth cache lock")
                .get_mut(&credentials.api_key)
            {
                if entry.record.secret_hash == record.secret_hash {
                    entry.verified_secret = Some(secret_digest);
                }
            }
        }
        Ok(Tenant {
            api_key: credentials.api_key.clone(),
            tenant_id: record.tenant_id,
            settings,
        })
    }

    /// Takes one argon2 check from the key's budget, or says when the next one is allowed.
    fn spend_budget(&self, api_key: &str) -> Result<(), ApiError> {
        let Some(budget) = &self.budget else {
            return Ok(());
        };
        budget.check_key(&api_key.to_string()).map_err(|not_until| {
            let wait = not_until.wait_time_from(budget.clock().now());
            ApiError::retry_after(ErrorCode::Throughput, retry_after_secs(wait))
        })
    }

    fn cached(&self, api_key: &str) -> Option<(KeyRecord, Arc<TenantSettings>, Option<[u8; 32]>)> {
        let cache = self.cache.lock().expect("auth cache lock");
        let entry = cache.get(api_key)?;
        (entry.fetched.elapsed() < self.ttl).then(|| {
            (
                entry.record.clone(),
                entry.settings.clone(),
                entry.verified_secret,
            )
        })
    }

    /// Caches a freshly read key, keeping a verified secret if the stored hash is unchanged.
    fn store(
        &self,
        api_key: &str,
        record: KeyRecord,
        settings: Arc<TenantSettings>,
    ) -> Option<[u8; 32]> {
        let mut cache = self.cache.lock().expect("auth cache lock");
        let verified = cache
            .get(api_key)
            .filter(|old| old.record.secret_hash == record.secret_hash)
            .and_then(|old| old.verified_secret);
        cache.insert(
            api_key.to_string(),
            CachedKey {
                record,
                settings,
                verified_secret: verified,
                fetched: Instant::now(),
            },
        );
        verified
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn basic(text: &str) -> HeaderValue {
        let encoded = base64::engine::general_purpose::STANDARD.encode(text);
        HeaderValue::from_str(&format!("Basic {encoded}")).unwrap()
    }

    #[test]
    fn basic_header_gives_key_and_secret_and_bad_headers_are_code_32() {
        let c = parse_basic(Some(&basic("key:se:cret"))).unwrap();
        assert_eq!(
            (c.api_key.as_str(), c.api_secret.as_str()),
            ("key", "se:cret")
        );
        for bad in ["nocolon", ":secret"] {
            assert_eq!(
                parse_basic(Some(&basic(bad))).unwrap_err(),
                ErrorCode::BadCredentials
            );
        }
        assert_eq!(parse_basic(None).unwrap_err(), ErrorCode::BadCredentials);
        let bearer = HeaderValue::from_static("Bearer abc");
        assert_eq!(
            parse_basic(Some(&bearer)).unwrap_err(),
            ErrorCode::BadCredentials
        );
        assert!(!format!("{c:?}").contains("cret"));
    }

    #[test]
    fn stored_hash_verifies_only_the_right_secret() {
        let (key, secret) = generate_key_pair();
        assert_eq!((key.len(), secret.len()), (32, 32));
        let hash = hash_secret(&secret);
        assert!(hash.starts_with("$argon2id$"));
        assert!(!hash.contains(&secret));
        assert!(secret_matches(&secret, &hash));
        assert!(!secret_matches("wrong", &hash));
    }
}
