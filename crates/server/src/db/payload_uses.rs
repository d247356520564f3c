//! Single use of Verify payloads: a payload's replay token is inserted once; a second insert of
//! the same token (in this process or another sharing the database) finds the row and is
//! refused. Rows go once the payload would be too old to accept anyway.

use super::Db;

impl Db {
    /// Records the use of a payload; `false` when it was used before.
    pub async fn record_payload_use(
        &self,
        app_ref: i64,
        purpose: &str,
        token: &str,
        usable_until: i64,
    ) -> Result<bool, sqlx::Error> {
        let mut w = self.begin_write().await?;
        let done = sqlx::query(
            "INSERT INTO verify_payload_uses (app_ref, purpose, token, usable_until) \
             VALUES ($1, $2, $3, $4) ON CONFLICT (app_ref, purpose, token) DO NOTHING",
        )
        .bind(app_ref)
        .bind(purpose)
        .bind(token)
        .bind(usable_until)
        .execute(&mut *w.tx)
        .await?;
        w.commit().await?;
        Ok(done.rows_affected() == 1)
    }

    /// Forgets uses of payloads that expired before `now`; returns how many.
    pub async fn expire_payload_uses(&self, now: i64) -> Result<u64, sqlx::Error> {
        let mut w = self.begin_write().await?;
        let done = sqlx::query("DELETE FROM verify_payload_uses WHERE usable_until < $1")
            .bind(now)
            .execute(&mut *w.tx)
            .await?;
        w.commit().await?;
        Ok(done.rows_affected())
    }
}
