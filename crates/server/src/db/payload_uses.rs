//! Single use of Verify payloads: a payload's replay token is inserted once; a second insert of
//! the same token (in this process or another sharing the database) finds the row and is
//! refused. Rows go once the payload would be too old to accept anyway.

use super::Db;

/// The use of one payload, to be recorded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PayloadUse {
    pub app_ref: i64,
    pub purpose: &'static str,
    pub token: String,
    /// Unix milliseconds after which the payload is refused as expired anyway.
    pub usable_until: i64,
}

/// What [`PayloadUseStore::record_with_swap`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UseAndSwap {
    /// The use is recorded and the code record (if one was given) stored.
    Done,
    /// The payload was used before: nothing was written.
    Replayed,
    /// Another writer changed the code record first: nothing was written; read it again.
    Stale,
}

async fn insert_use(
    tx: &mut sqlx::Transaction<'static, sqlx::Any>,
    payload_use: &PayloadUse,
) -> Result<bool, sqlx::Error> {
    let done = sqlx::query(
        "INSERT INTO verify_payload_uses (app_ref, purpose, token, usable_until) \
         VALUES ($1, $2, $3, $4) ON CONFLICT (app_ref, purpose, token) DO NOTHING",
    )
    .bind(payload_use.app_ref)
    .bind(payload_use.purpose)
    .bind(&payload_use.token)
    .bind(payload_use.usable_until)
    .execute(&mut **tx)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Uses of payloads (each accepted once) as stored: the view [`Db::payload_uses`] gives.
#[derive(Clone, Copy)]
pub struct PayloadUseStore<'a> {
    db: &'a Db,
}

impl Db {
    /// Uses of payloads.
    pub fn payload_uses(&self) -> PayloadUseStore<'_> {
        PayloadUseStore { db: self }
    }
}

impl PayloadUseStore<'_> {
    /// Records the use of a payload; `false` when it was used before.
    pub async fn record(&self, payload_use: &PayloadUse) -> Result<bool, sqlx::Error> {
        let mut w = self.db.begin_write().await?;
        let first = insert_use(&mut w.tx, payload_use).await?;
        w.commit().await?;
        Ok(first)
    }

    /// A validation's one write: the payload's use and, when the validation changed it, the
    /// user's code record (compare-and-swap on `expected`), together or not at all.
    pub async fn record_with_swap(
        &self,
        payload_use: &PayloadUse,
        user_key: &str,
        expected: Option<i64>,
        record_json: Option<&str>,
        now: i64,
    ) -> Result<UseAndSwap, sqlx::Error> {
        let mut w = self.db.begin_write().await?;
        if !insert_use(&mut w.tx, payload_use).await? {
            w.rollback().await?;
            return Ok(UseAndSwap::Replayed);
        }
        if let Some(json) = record_json {
            let swapped = super::otp::swap_otp_record_in(
                &mut w.tx,
                payload_use.app_ref,
                user_key,
                expected,
                json,
                now,
            )
            .await?;
            if !swapped {
                w.rollback().await?;
                return Ok(UseAndSwap::Stale);
            }
        }
        w.commit().await?;
        Ok(UseAndSwap::Done)
    }

    /// Forgets uses of payloads that expired before `now`; returns how many.
    pub async fn expire(&self, now: i64) -> Result<u64, sqlx::Error> {
        let mut w = self.db.begin_write().await?;
        let done = sqlx::query("DELETE FROM verify_payload_uses WHERE usable_until < $1")
            .bind(now)
            .execute(&mut *w.tx)
            .await?;
        w.commit().await?;
        Ok(done.rows_affected())
    }
}
