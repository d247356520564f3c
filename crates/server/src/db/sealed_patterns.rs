//! Enrolled patterns at rest. A typing pattern identifies its typist (and a type 2 pattern
//! holds the characters typed), so rows of `patterns` keep it only sealed with the server's
//! at-rest key (AES-256-GCM, see `keycadence_otp::at_rest`), beside the id of the key that
//! sealed it. The associated data names the tenant, the user and the bucket: a sealed value
//! copied to another user's row, or moved to another bucket, does not open. Parsed patterns
//! are cached in memory only (see [`super::bucket_cache`]).
//!
//! Fail closed: a row that does not open is an error for the request that reads it, never a
//! pattern left out.

use std::sync::Arc;

use keycadence_otp::at_rest::{SealedSecret, SecretSealer};
use rand::rngs::OsRng;
use sqlx::any::AnyRow;
use sqlx::Row;
use zeroize::Zeroizing;

use super::enrolments::Bucket;
use super::{Backend, Db};

/// The at-rest key(s) the patterns are sealed and opened with.
#[derive(Clone)]
pub struct PatternSealer(Arc<SecretSealer>);

/// A pattern as stored: the sealed text and the hex id of its key.
pub struct SealedPattern {
    pub sealed: Vec<u8>,
    pub key_id: String,
}

impl PatternSealer {
    pub fn new(sealer: Arc<SecretSealer>) -> PatternSealer {
        PatternSealer(sealer)
    }

    pub fn seal(&self, text: &str, tenant_id: i64, user_id: i64, bucket: Bucket) -> SealedPattern {
        let sealed = self.0.seal(
            text.as_bytes(),
            &context(tenant_id, user_id, bucket),
            &mut OsRng,
        );
        SealedPattern {
            key_id: hex::encode(self.0.current_key_id()),
            sealed: sealed.as_bytes().to_vec(),
        }
    }

    /// The pattern text of a row of `tenant_id`'s user `user_id` in `bucket`.
    pub fn open(
        &self,
        sealed: Option<Vec<u8>>,
        tenant_id: i64,
        user_id: i64,
        bucket: Bucket,
        row_id: i64,
    ) -> Result<Zeroizing<String>, sqlx::Error> {
        let undecodable = |why: String| {
            sqlx::Error::Decode(format!("stored pattern {row_id} (user {user_id}): {why}").into())
        };
        // NULL only for rows stored before migration 6 that the start-up step has not sealed:
        // the server seals them before it serves, so a NULL read here is an error too.
        let sealed = sealed.ok_or_else(|| undecodable("not sealed".into()))?;
        let plain = self
            .0
            .open(
                &SealedSecret::from_bytes(sealed),
                &context(tenant_id, user_id, bucket),
            )
            .map_err(|err| undecodable(err.to_string()))?;
        let text = String::from_utf8(plain.to_vec())
            .map_err(|_| undecodable("the opened text is not UTF-8".into()))?;
        Ok(Zeroizing::new(text))
    }

    pub fn current_key_id(&self) -> String {
        hex::encode(self.0.current_key_id())
    }

    pub(super) fn sealer(&self) -> &SecretSealer {
        &self.0
    }
}

/// The owner a pattern is sealed for: its tenant, its user (the internal id, which renaming
/// the user keeps) and its bucket.
fn context(tenant_id: i64, user_id: i64, bucket: Bucket) -> Vec<u8> {
    format!(
        "keycadence-server/pattern/v1\0{tenant_id}\0{user_id}\0{}\0{}\0{}\0{}",
        bucket.is_mobile as u8, bucket.kind, bucket.text_id, bucket.position
    )
    .into_bytes()
}

/// The columns of a `patterns` row that [`open_row`] reads (by name).
pub(crate) const SEALED_COLUMNS: &str = "id, sealed, user_id, is_mobile, kind, text_id, position";

/// The row id and the opened text of a row of `tenant_id` read with [`SEALED_COLUMNS`] (the
/// tenant is the one the caller serves: a row of another tenant's user does not open).
pub(crate) fn open_row(
    sealer: &PatternSealer,
    tenant_id: i64,
    row: &AnyRow,
) -> Result<(i64, Zeroizing<String>), sqlx::Error> {
    let id: i64 = row.try_get("id")?;
    let sealed: Option<Vec<u8>> = row.try_get("sealed")?;
    let user_id: i64 = row.try_get("user_id")?;
    let bucket = bucket_of(row)?;
    Ok((id, sealer.open(sealed, tenant_id, user_id, bucket, id)?))
}

/// The bucket of a row with the columns `is_mobile, kind, text_id, position`.
pub(crate) fn bucket_of(row: &AnyRow) -> Result<Bucket, sqlx::Error> {
    Ok(Bucket {
        is_mobile: row.try_get::<i64, _>("is_mobile")? != 0,
        kind: row.try_get("kind")?,
        text_id: row.try_get("text_id")?,
        position: row.try_get("position")?,
    })
}

/// Rows sealed per transaction by the start-up step.
const SEAL_BATCH: i64 = 500;

impl Db {
    /// Seals the patterns stored in plain text before migration 6 and empties their text; on
    /// SQLite the file is then vacuumed, so the plain texts do not linger in its free pages
    /// (PostgreSQL's old row versions go with `VACUUM FULL patterns`, which the server runs
    /// too). Returns how many rows it sealed. Runs at every start; after the first it finds
    /// nothing to do.
    pub async fn seal_plain_patterns(&self) -> Result<u64, sqlx::Error> {
        let sealer = self.pattern_sealer()?;
        let mut sealed_rows = 0u64;
        loop {
            let mut w = self.begin_write().await?;
            let rows = sqlx::query(
                "SELECT p.id, p.pattern, u.tenant_id, p.user_id, p.is_mobile, p.kind, p.text_id, \
                 p.position FROM patterns p JOIN users u ON u.id = p.user_id \
                 WHERE p.sealed IS NULL ORDER BY p.id LIMIT $1",
            )
            .bind(SEAL_BATCH)
            .fetch_all(&mut *w.tx)
            .await?;
            if rows.is_empty() {
                w.rollback().await?;
                break;
            }
            for row in &rows {
                let id: i64 = row.try_get("id")?;
                let text = Zeroizing::new(row.try_get::<String, _>("pattern")?);
                let bucket = bucket_of(row)?;
                let sealed = sealer.seal(
                    &text,
                    row.try_get("tenant_id")?,
                    row.try_get("user_id")?,
                    bucket,
                );
                sqlx::query(
                    "UPDATE patterns SET sealed = $1, key_id = $2, pattern = '' WHERE id = $3",
                )
                .bind(sealed.sealed)
                .bind(sealed.key_id)
                .bind(id)
                .execute(&mut *w.tx)
                .await?;
            }
            w.commit().await?;
            sealed_rows += rows.len() as u64;
        }
        if sealed_rows > 0 {
            self.purge_freed_pages().await?;
        }
        Ok(sealed_rows)
    }

    /// Re-seals under the current at-rest key every pattern sealed under a previous one, in
    /// write transactions of `batch` rows, so that servers keep serving meanwhile: a row
    /// opens with the old key until its transaction commits and with the new one after, and
    /// every server must hold both until this returns. A row that does not open stops the
    /// rotation with its error (nothing is skipped); run it again once that is resolved.
    /// Returns how many rows it re-sealed.
    pub async fn reseal_patterns(&self, batch: u32) -> Result<u64, sqlx::Error> {
        let sealer = self.pattern_sealer()?;
        let current = sealer.current_key_id();
        let mut resealed = 0u64;
        loop {
            let mut w = self.begin_write().await?;
            let rows = sqlx::query(
                "SELECT p.id, p.sealed, p.user_id, p.is_mobile, p.kind, p.text_id, p.position, \
                 u.tenant_id, p.key_id FROM patterns p JOIN users u ON u.id = p.user_id \
                 WHERE p.key_id <> $1 ORDER BY p.id LIMIT $2",
            )
            .bind(&current)
            .bind(i64::from(batch.max(1)))
            .fetch_all(&mut *w.tx)
            .await?;
            if rows.is_empty() {
                w.rollback().await?;
                return Ok(resealed);
            }
            for row in &rows {
                let tenant_id: i64 = row.try_get("tenant_id")?;
                let old_key: String = row.try_get("key_id")?;
                let (id, text) = open_row(sealer, tenant_id, row)?;
                let sealed =
                    sealer.seal(&text, tenant_id, row.try_get("user_id")?, bucket_of(row)?);
                // The old key id in the condition: on PostgreSQL another rotation may have
                // re-sealed the row since the read; its value stays.
                sqlx::query(
                    "UPDATE patterns SET sealed = $1, key_id = $2 WHERE id = $3 AND key_id = $4",
                )
                .bind(sealed.sealed)
                .bind(sealed.key_id)
                .bind(id)
                .bind(old_key)
                .execute(&mut *w.tx)
                .await?;
            }
            w.commit().await?;
            resealed += rows.len() as u64;
        }
    }

    /// The id (hex) of the at-rest key patterns are sealed with now.
    pub fn pattern_sealer_key_id(&self) -> Result<String, sqlx::Error> {
        Ok(self.pattern_sealer()?.current_key_id())
    }

    /// Rewrites the storage so that the bytes of rows changed or deleted are gone from the
    /// files, not only unreachable.
    async fn purge_freed_pages(&self) -> Result<(), sqlx::Error> {
        match self.backend() {
            Backend::Sqlite => {
                // Under the writer lock: VACUUM needs the database to itself. The checkpoint
                // then copies the vacuumed pages into the file and empties the WAL, which
                // held the old pages too.
                let _writer = self.writer_lock().await;
                sqlx::query("VACUUM").execute(self.pool()).await?;
                sqlx::query("PRAGMA wal_checkpoint(TRUNCATE)")
                    .execute(self.pool())
                    .await?;
            }
            Backend::Postgres => {
                sqlx::query("VACUUM FULL patterns")
                    .execute(self.pool())
                    .await?;
            }
        }
        Ok(())
    }
}
