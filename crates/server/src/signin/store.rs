//! Storage of sign-ins (migration 0005), a typed view per record kind: applications' policies
//! ([`Db::sign_in_policies`]), sign-in rows updated by compare-and-swap on their version
//! ([`Db::sign_ins`]), issued texts ([`Db::sign_in_texts`]); and on [`Db`] the reads of other
//! kinds a sign-in needs (a tenant's id and settings, the user's type 2 enrolments).

use keycadence_core::pattern::Pattern;
use sqlx::Row;

use crate::db::sealed_patterns::{open_row, SEALED_COLUMNS};
use crate::db::Db;

/// An application enabled for sign-ins.
#[derive(Clone, Debug)]
pub struct StoredPolicy {
    pub tenant_id: i64,
    pub policy: String,
}

/// A stored sign-in.
#[derive(Clone, Debug)]
pub struct StoredSignIn {
    pub id: String,
    pub tenant_id: i64,
    pub app_ref: i64,
    pub token_hash: String,
    pub record: String,
    pub version: i64,
}

/// A new sign-in row.
pub struct NewSignIn<'a> {
    pub id: &'a str,
    pub tenant_id: i64,
    pub app_ref: i64,
    pub user_id: &'a str,
    pub token_hash: &'a str,
    pub record: &'a str,
    pub expire_at: i64,
}

/// How long an ended sign-in row is kept after its expiry (for reads by the back end).
pub(crate) const KEEP_AFTER_EXPIRY_MS: i64 = 24 * 3600 * 1000;

impl Db {
    /// Applications' sign-in policies.
    pub fn sign_in_policies(&self) -> SignInPolicyStore<'_> {
        SignInPolicyStore { db: self }
    }

    /// Sign-in rows.
    pub fn sign_ins(&self) -> SignInStore<'_> {
        SignInStore { db: self }
    }

    /// Issued sign-in texts.
    pub fn sign_in_texts(&self) -> SignInTextStore<'_> {
        SignInTextStore { db: self }
    }

    /// The user's newest `limit` type 2 patterns (every text) on a device class, oldest first.
    /// A row that does not open is an error; an opened pattern that no longer parses is left
    /// out.
    pub async fn type2_enrolments(
        &self,
        tenant_id: i64,
        user_id: &str,
        mobile: bool,
        limit: u32,
    ) -> Result<Vec<Pattern>, sqlx::Error> {
        let sealer = self.pattern_sealer()?;
        let rows = sqlx::query(&format!(
            "SELECT {SEALED_COLUMNS} FROM patterns WHERE user_id = \
             (SELECT id FROM users WHERE tenant_id = $1 AND external_id = $2) \
             AND is_mobile = $3 AND kind = 2 ORDER BY id DESC LIMIT $4"
        ))
        .bind(tenant_id)
        .bind(user_id)
        .bind(i64::from(mobile))
        .bind(i64::from(limit))
        .fetch_all(self.pool())
        .await?;
        let mut patterns = Vec::with_capacity(rows.len());
        for row in rows.iter().rev() {
            let (_, text) = open_row(sealer, tenant_id, row)?;
            if let Ok(pattern) = Pattern::parse(&text) {
                patterns.push(pattern);
            }
        }
        Ok(patterns)
    }
}

/// Applications' sign-in policies as stored: the view [`Db::sign_in_policies`] gives.
#[derive(Clone, Copy)]
pub struct SignInPolicyStore<'a> {
    db: &'a Db,
}

impl SignInPolicyStore<'_> {
    /// Enables (or re-configures) sign-ins for an application, for one tenant.
    pub async fn set(
        &self,
        app_ref: i64,
        tenant_id: i64,
        policy: &str,
        now: i64,
    ) -> Result<(), sqlx::Error> {
        let mut w = self.db.begin_write().await?;
        sqlx::query(
            "INSERT INTO sign_in_apps (app_ref, tenant_id, policy, updated_at) \
             VALUES ($1, $2, $3, $4) ON CONFLICT (app_ref) DO UPDATE \
             SET tenant_id = excluded.tenant_id, policy = excluded.policy, \
             updated_at = excluded.updated_at",
        )
        .bind(app_ref)
        .bind(tenant_id)
        .bind(policy)
        .bind(now)
        .execute(&mut *w.tx)
        .await?;
        w.commit().await
    }

    pub async fn find(&self, app_ref: i64) -> Result<Option<StoredPolicy>, sqlx::Error> {
        sqlx::query("SELECT tenant_id, policy FROM sign_in_apps WHERE app_ref = $1")
            .bind(app_ref)
            .fetch_optional(self.db.pool())
            .await?
            .map(|row| {
                Ok(StoredPolicy {
                    tenant_id: row.try_get("tenant_id")?,
                    policy: row.try_get("policy")?,
                })
            })
            .transpose()
    }
}

/// Sign-in rows as stored: the view [`Db::sign_ins`] gives.
#[derive(Clone, Copy)]
pub struct SignInStore<'a> {
    db: &'a Db,
}

impl SignInStore<'_> {
    /// Forgets sign-ins (and the contact details they hold) that ended more than a day before
    /// `now`; returns how many. The retention pass does the same with its own batch size.
    pub async fn expire(&self, now: i64) -> Result<u64, sqlx::Error> {
        self.db
            .expire_ended_sign_ins(now - KEEP_AFTER_EXPIRY_MS, crate::privacy::retention::BATCH)
            .await
    }

    /// Stores a new sign-in.
    pub async fn insert(&self, new: &NewSignIn<'_>, now: i64) -> Result<(), sqlx::Error> {
        let record = self.db.pattern_sealer()?.seal_sign_in(new.id, new.record);
        let mut w = self.db.begin_write().await?;
        sqlx::query(
            "INSERT INTO sign_ins (id, tenant_id, app_ref, user_id, token_hash, record, version, \
             created_at, expire_at) VALUES ($1, $2, $3, $4, $5, $6, 1, $7, $8)",
        )
        .bind(new.id)
        .bind(new.tenant_id)
        .bind(new.app_ref)
        .bind(new.user_id)
        .bind(new.token_hash)
        .bind(&record)
        .bind(now)
        .bind(new.expire_at)
        .execute(&mut *w.tx)
        .await?;
        w.commit().await
    }

    pub async fn find(&self, id: &str) -> Result<Option<StoredSignIn>, sqlx::Error> {
        let sealer = self.db.pattern_sealer()?;
        sqlx::query(
            "SELECT id, tenant_id, app_ref, token_hash, record, version FROM sign_ins \
             WHERE id = $1",
        )
        .bind(id)
        .fetch_optional(self.db.pool())
        .await?
        .map(|row| {
            let id: String = row.try_get("id")?;
            let record = sealer.open_sign_in(&id, &row.try_get::<String, _>("record")?)?;
            Ok(StoredSignIn {
                id,
                tenant_id: row.try_get("tenant_id")?,
                app_ref: row.try_get("app_ref")?,
                token_hash: row.try_get("token_hash")?,
                record,
                version: row.try_get("version")?,
            })
        })
        .transpose()
    }

    /// Stores a sign-in's record if it is still at `expected`; `false` when another request
    /// changed it first.
    pub async fn swap(&self, id: &str, expected: i64, record: &str) -> Result<bool, sqlx::Error> {
        let record = self.db.pattern_sealer()?.seal_sign_in(id, record);
        let mut w = self.db.begin_write().await?;
        let done = sqlx::query(
            "UPDATE sign_ins SET record = $1, version = version + 1 \
             WHERE id = $2 AND version = $3",
        )
        .bind(&record)
        .bind(id)
        .bind(expected)
        .execute(&mut *w.tx)
        .await?;
        w.commit().await?;
        Ok(done.rows_affected() == 1)
    }
}

/// Issued sign-in texts as stored: the view [`Db::sign_in_texts`] gives.
#[derive(Clone, Copy)]
pub struct SignInTextStore<'a> {
    db: &'a Db,
}

impl SignInTextStore<'_> {
    /// Records a text as issued; `false` when it was issued before (to anyone).
    pub async fn claim(
        &self,
        text: &str,
        tenant_id: i64,
        user_id: &str,
        now: i64,
    ) -> Result<bool, sqlx::Error> {
        let mut w = self.db.begin_write().await?;
        let done = sqlx::query(
            "INSERT INTO sign_in_texts (text, tenant_id, user_id, created_at) \
             VALUES ($1, $2, $3, $4) ON CONFLICT (text) DO NOTHING",
        )
        .bind(text)
        .bind(tenant_id)
        .bind(user_id)
        .bind(now)
        .execute(&mut *w.tx)
        .await?;
        w.commit().await?;
        Ok(done.rows_affected() == 1)
    }

    /// The user's `limit` most recent texts.
    pub async fn recent(
        &self,
        tenant_id: i64,
        user_id: &str,
        limit: i64,
    ) -> Result<Vec<String>, sqlx::Error> {
        sqlx::query(
            "SELECT text FROM sign_in_texts WHERE tenant_id = $1 AND user_id = $2 \
             ORDER BY created_at DESC LIMIT $3",
        )
        .bind(tenant_id)
        .bind(user_id)
        .bind(limit)
        .fetch_all(self.db.pool())
        .await?
        .iter()
        .map(|row| row.try_get("text"))
        .collect()
    }
}
