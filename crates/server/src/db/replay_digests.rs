//! Replay digests as keyed hashes. A plain SHA-256 of a pattern lets whoever holds a copy of
//! the database confirm a guessed or captured pattern offline; keyed with the server's pepper
//! (HMAC-SHA256) it confirms nothing without the key. The digest of a pattern is
//! `HMAC(pepper, label ‖ hex(SHA-256(pattern)))`: keying the hex SHA-256 (what the table held
//! before) lets the start-up step convert old rows without their patterns, so rows converted
//! and rows stored later compare equal.

use std::sync::Arc;

use sqlx::Row;
use zeroize::Zeroizing;

use super::Db;
use crate::keyed_hash::keyed_hex;

/// Domain separation: the pepper keys other hashes too (Verify user keys, backup codes).
const LABEL: &[u8] = b"keycadence-server/replay-digest/v1\0";

/// The name of the start-up step in `store_conversions` (migration 7).
const CONVERSION: &str = "keyed_replay_digests";

/// The key replay digests are made with.
#[derive(Clone)]
pub struct ReplayKey(Arc<Zeroizing<Vec<u8>>>);

impl ReplayKey {
    pub fn new(pepper: &[u8]) -> ReplayKey {
        ReplayKey(Arc::new(Zeroizing::new(pepper.to_vec())))
    }

    /// The stored digest of a pattern whose SHA-256 is `sha256_hex` (lower-case hex).
    pub fn keyed(&self, sha256_hex: &str) -> String {
        keyed_hex(&self.0, &[LABEL, sha256_hex.as_bytes()])
    }
}

impl Db {
    /// Makes replay digests with `key`. Without it (the command line's connections) storing or
    /// checking a digest is an error.
    pub fn with_replay_key(mut self, key: ReplayKey) -> Db {
        self.replay_key = Some(key);
        self
    }

    /// The stored form of the digest `sha256_hex` (see the module's documentation).
    pub fn keyed_digest(&self, sha256_hex: &str) -> Result<String, sqlx::Error> {
        let key = self.replay_key.as_ref().ok_or_else(|| {
            sqlx::Error::Configuration("no pepper to key replay digests with".into())
        })?;
        Ok(key.keyed(sha256_hex))
    }

    /// Converts the unkeyed digests stored before migration 7 (in `pattern_digests` and in
    /// `patterns.digest`) to keyed ones, all in one transaction with the mark that says it is
    /// done, so that no digest is keyed twice: a second server starting meanwhile waits on the
    /// mark (PostgreSQL) or the writer lock (SQLite) and then finds it. Returns how many rows
    /// it converted; `None` when the conversion was done before.
    pub async fn key_replay_digests(&self, now: i64) -> Result<Option<u64>, sqlx::Error> {
        let mut w = self.begin_write().await?;
        let first = sqlx::query(
            "INSERT INTO store_conversions (name, done_at) VALUES ($1, $2) \
             ON CONFLICT (name) DO NOTHING",
        )
        .bind(CONVERSION)
        .bind(now)
        .execute(&mut *w.tx)
        .await?
        .rows_affected()
            == 1;
        if !first {
            w.rollback().await?;
            return Ok(None);
        }
        let mut converted = 0u64;
        let digests = sqlx::query("SELECT user_id, digest FROM pattern_digests")
            .fetch_all(&mut *w.tx)
            .await?;
        for row in &digests {
            let (user_id, digest): (i64, String) =
                (row.try_get("user_id")?, row.try_get("digest")?);
            sqlx::query(
                "UPDATE pattern_digests SET digest = $1 WHERE user_id = $2 AND digest = $3",
            )
            .bind(self.keyed_digest(&digest)?)
            .bind(user_id)
            .bind(&digest)
            .execute(&mut *w.tx)
            .await?;
            converted += 1;
        }
        let patterns = sqlx::query("SELECT id, digest FROM patterns")
            .fetch_all(&mut *w.tx)
            .await?;
        for row in &patterns {
            let (id, digest): (i64, String) = (row.try_get("id")?, row.try_get("digest")?);
            sqlx::query("UPDATE patterns SET digest = $1 WHERE id = $2")
                .bind(self.keyed_digest(&digest)?)
                .bind(id)
                .execute(&mut *w.tx)
                .await?;
            converted += 1;
        }
        w.commit().await?;
        Ok(Some(converted))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keyed_digests_depend_on_the_key_and_differ_from_the_plain_digest() {
        let plain = "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad";
        let a = ReplayKey::new(&[1; 32]).keyed(plain);
        assert_eq!(a, ReplayKey::new(&[1; 32]).keyed(plain));
        assert_ne!(a, ReplayKey::new(&[2; 32]).keyed(plain));
        assert_ne!(a, plain);
        assert_eq!(a.len(), 64);
    }
}
