//! Removal of stored data that is due, in bounded batches: each statement deletes at most
//! `batch` rows in its own transaction, so a large backlog never holds the writer (SQLite) or
//! long row locks (PostgreSQL) for long. The caller passes the time, so tests drive it
//! without waiting (see `crate::privacy::retention` for the schedule).

use sqlx::Row;

use super::audit::{insert_in, AuditEntry};
use super::Db;

const DAY_MS: i64 = 86_400_000;

/// The cut-off `days` before `now`.
pub fn days_before(now: i64, days: u32) -> i64 {
    now.saturating_sub(i64::from(days) * DAY_MS)
}

impl Db {
    /// Runs `delete` (a statement whose last parameter is the batch size) until it deletes
    /// fewer rows than a batch; returns how many it deleted.
    async fn delete_in_batches(
        &self,
        sql: &str,
        binds: &[i64],
        batch: u32,
    ) -> Result<u64, sqlx::Error> {
        let batch = i64::from(batch.max(1));
        let mut total = 0;
        loop {
            let mut w = self.begin_write().await?;
            let mut query = sqlx::query(sql);
            for value in binds {
                query = query.bind(*value);
            }
            let done = query.bind(batch).execute(&mut *w.tx).await?.rows_affected();
            w.commit().await?;
            total += done;
            if done < batch as u64 {
                return Ok(total);
            }
        }
    }

    /// Verify digests of the tenant's users seen before `cutoff`.
    pub async fn expire_verify_digests(
        &self,
        tenant_id: i64,
        cutoff: i64,
        batch: u32,
    ) -> Result<u64, sqlx::Error> {
        self.delete_in_batches(
            "DELETE FROM pattern_digests WHERE (user_id, digest) IN (SELECT d.user_id, d.digest \
             FROM pattern_digests d JOIN users u ON u.id = d.user_id WHERE u.tenant_id = $1 \
             AND d.source = 'verify' AND d.seen_at < $2 LIMIT $3)",
            &[tenant_id, cutoff],
            batch,
        )
        .await
    }

    /// Sign-ins that ended before `cutoff`, with the contact details and code records they hold.
    pub async fn expire_ended_sign_ins(&self, cutoff: i64, batch: u32) -> Result<u64, sqlx::Error> {
        self.delete_in_batches(
            "DELETE FROM sign_ins WHERE id IN (SELECT id FROM sign_ins WHERE expire_at < $1 LIMIT $2)",
            &[cutoff],
            batch,
        )
        .await
    }

    /// Audit records of the tenant (`None`: of the whole server) made before `cutoff`.
    pub async fn expire_audit(
        &self,
        tenant_id: Option<i64>,
        cutoff: i64,
        batch: u32,
    ) -> Result<u64, sqlx::Error> {
        match tenant_id {
            Some(tenant_id) => {
                self.delete_in_batches(
                    "DELETE FROM audit_log WHERE id IN (SELECT id FROM audit_log \
                     WHERE tenant_id = $1 AND at < $2 LIMIT $3)",
                    &[tenant_id, cutoff],
                    batch,
                )
                .await
            }
            None => {
                self.delete_in_batches(
                    "DELETE FROM audit_log WHERE id IN (SELECT id FROM audit_log \
                     WHERE tenant_id IS NULL AND at < $1 LIMIT $2)",
                    &[cutoff],
                    batch,
                )
                .await
            }
        }
    }

    /// Removes up to `batch` of the tenant's users whose enrolments were last used (enrolled
    /// or verified) before `cutoff`: their patterns, replay digests and user row, each user in
    /// a transaction with its audit record (made by `record` from the patterns removed).
    /// Returns (users, patterns) removed; call again while users come back.
    pub async fn remove_unused_enrolments(
        &self,
        tenant_id: i64,
        cutoff: i64,
        batch: u32,
        record: impl Fn(&str, u64) -> AuditEntry,
    ) -> Result<(u64, u64), sqlx::Error> {
        let due = sqlx::query(
            "SELECT id, external_id FROM users WHERE tenant_id = $1 AND last_used_at < $2 \
             AND created_at < $2 ORDER BY last_used_at LIMIT $3",
        )
        .bind(tenant_id)
        .bind(cutoff)
        .bind(i64::from(batch.max(1)))
        .fetch_all(self.pool())
        .await?;
        let (mut users, mut patterns) = (0, 0);
        for row in &due {
            let (user_id, external_id): (i64, String) =
                (row.try_get("id")?, row.try_get("external_id")?);
            let mut w = self.begin_write().await?;
            // Still unused? An enrolment or a booking may have come since the read; on
            // PostgreSQL the row stays locked against them until commit.
            let lock = match self.backend() {
                super::Backend::Sqlite => {
                    "SELECT id FROM users WHERE id = $1 AND last_used_at < $2"
                }
                super::Backend::Postgres => {
                    "SELECT id FROM users WHERE id = $1 AND last_used_at < $2 FOR UPDATE"
                }
            };
            let locked = sqlx::query(lock)
                .bind(user_id)
                .bind(cutoff)
                .fetch_optional(&mut *w.tx)
                .await?;
            if locked.is_none() {
                w.rollback().await?;
                continue;
            }
            let removed = sqlx::query("DELETE FROM patterns WHERE user_id = $1")
                .bind(user_id)
                .execute(&mut *w.tx)
                .await?
                .rows_affected();
            sqlx::query("DELETE FROM pattern_digests WHERE user_id = $1")
                .bind(user_id)
                .execute(&mut *w.tx)
                .await?;
            sqlx::query("DELETE FROM users WHERE id = $1")
                .bind(user_id)
                .execute(&mut *w.tx)
                .await?;
            insert_in(&mut w.tx, &record(&external_id, removed)).await?;
            w.commit().await?;
            self.bucket_cache.forget_user(user_id);
            users += 1;
            patterns += removed;
        }
        Ok((users, patterns))
    }
}
