//! TOTP services, factors and challenges.

use sqlx::Row;

use super::Versioned;
use crate::db::Db;

#[derive(Clone, Debug)]
pub struct StoredService {
    pub service_ref: i64,
    pub sid: String,
    pub friendly_name: String,
    pub config: String,
    pub created_at: i64,
    pub updated_at: i64,
}

#[derive(Clone, Debug)]
pub struct StoredFactor {
    pub factor_ref: i64,
    pub sid: String,
    pub identity: String,
    pub friendly_name: String,
    pub state: Versioned,
    pub created_at: i64,
    pub updated_at: i64,
}

#[derive(Clone, Debug)]
pub struct StoredChallenge {
    pub challenge_ref: i64,
    pub sid: String,
    pub state: String,
    /// Compare-and-swap token of [`TotpStore::update_challenge`].
    pub version: i64,
    pub created_at: i64,
    pub updated_at: i64,
    pub factor: StoredFactor,
}

/// A factor's columns, named apart from those of a challenge read beside them.
const FACTOR_COLUMNS: &str =
    "f.id AS factor_id, f.sid AS factor_sid, f.identity AS factor_identity, \
     f.friendly_name AS factor_friendly_name, f.state AS factor_state, \
     f.version AS factor_version, f.created_at AS factor_created_at, \
     f.updated_at AS factor_updated_at";

fn stored_factor(row: &sqlx::any::AnyRow) -> Result<StoredFactor, sqlx::Error> {
    Ok(StoredFactor {
        factor_ref: row.try_get("factor_id")?,
        sid: row.try_get("factor_sid")?,
        identity: row.try_get("factor_identity")?,
        friendly_name: row.try_get("factor_friendly_name")?,
        state: Versioned {
            json: row.try_get("factor_state")?,
            version: row.try_get("factor_version")?,
        },
        created_at: row.try_get("factor_created_at")?,
        updated_at: row.try_get("factor_updated_at")?,
    })
}

/// TOTP services, factors and challenges as stored: the view [`Db::totp`] gives.
#[derive(Clone, Copy)]
pub struct TotpStore<'a> {
    db: &'a Db,
}

impl Db {
    /// TOTP services, factors and challenges.
    pub fn totp(&self) -> TotpStore<'_> {
        TotpStore { db: self }
    }
}

impl TotpStore<'_> {
    pub async fn insert_service(
        &self,
        tenant_id: i64,
        sid: &str,
        friendly_name: &str,
        config: &str,
        now: i64,
    ) -> Result<StoredService, sqlx::Error> {
        let mut w = self.db.begin_write().await?;
        sqlx::query(
            "INSERT INTO totp_services (tenant_id, sid, friendly_name, config, created_at, updated_at) \
             VALUES ($1, $2, $3, $4, $5, $5)",
        )
        .bind(tenant_id)
        .bind(sid)
        .bind(friendly_name)
        .bind(config)
        .bind(now)
        .execute(&mut *w.tx)
        .await?;
        w.commit().await?;
        self.find_service(tenant_id, sid)
            .await?
            .ok_or(sqlx::Error::RowNotFound)
    }

    /// A service of this tenant (another tenant's services do not exist for it).
    pub async fn find_service(
        &self,
        tenant_id: i64,
        sid: &str,
    ) -> Result<Option<StoredService>, sqlx::Error> {
        sqlx::query(
            "SELECT id, sid, friendly_name, config, created_at, updated_at FROM totp_services \
             WHERE tenant_id = $1 AND sid = $2",
        )
        .bind(tenant_id)
        .bind(sid)
        .fetch_optional(self.db.pool())
        .await?
        .map(|row| {
            Ok(StoredService {
                service_ref: row.try_get("id")?,
                sid: row.try_get("sid")?,
                friendly_name: row.try_get("friendly_name")?,
                config: row.try_get("config")?,
                created_at: row.try_get("created_at")?,
                updated_at: row.try_get("updated_at")?,
            })
        })
        .transpose()
    }

    // ---- TOTP factors ----

    pub async fn insert_factor(
        &self,
        service_ref: i64,
        identity: &str,
        sid: &str,
        friendly_name: &str,
        state: &str,
        now: i64,
    ) -> Result<StoredFactor, sqlx::Error> {
        let mut w = self.db.begin_write().await?;
        sqlx::query(
            "INSERT INTO totp_factors (service_ref, identity, sid, friendly_name, state, version, \
             created_at, updated_at) VALUES ($1, $2, $3, $4, $5, 1, $6, $6)",
        )
        .bind(service_ref)
        .bind(identity)
        .bind(sid)
        .bind(friendly_name)
        .bind(state)
        .bind(now)
        .execute(&mut *w.tx)
        .await?;
        w.commit().await?;
        self.find_factor(service_ref, identity, sid)
            .await?
            .ok_or(sqlx::Error::RowNotFound)
    }

    pub async fn find_factor(
        &self,
        service_ref: i64,
        identity: &str,
        sid: &str,
    ) -> Result<Option<StoredFactor>, sqlx::Error> {
        let sql = format!(
            "SELECT {FACTOR_COLUMNS} FROM totp_factors f \
             WHERE f.service_ref = $1 AND f.identity = $2 AND f.sid = $3"
        );
        sqlx::query(&sql)
            .bind(service_ref)
            .bind(identity)
            .bind(sid)
            .fetch_optional(self.db.pool())
            .await?
            .map(|row| stored_factor(&row))
            .transpose()
    }

    pub async fn list_factors(
        &self,
        service_ref: i64,
        identity: &str,
    ) -> Result<Vec<StoredFactor>, sqlx::Error> {
        let sql = format!(
            "SELECT {FACTOR_COLUMNS} FROM totp_factors f \
             WHERE f.service_ref = $1 AND f.identity = $2 ORDER BY f.id"
        );
        sqlx::query(&sql)
            .bind(service_ref)
            .bind(identity)
            .fetch_all(self.db.pool())
            .await?
            .iter()
            .map(stored_factor)
            .collect()
    }

    /// Stores a factor's state (and, when given, a new friendly name) if it is still at
    /// `expected_version`.
    pub async fn swap_factor(
        &self,
        factor_ref: i64,
        expected_version: i64,
        state: &str,
        friendly_name: Option<&str>,
        now: i64,
    ) -> Result<bool, sqlx::Error> {
        let mut w = self.db.begin_write().await?;
        let swapped = swap_factor(
            &mut w.tx,
            factor_ref,
            expected_version,
            state,
            friendly_name,
            now,
        )
        .await?;
        w.commit().await?;
        Ok(swapped)
    }

    /// Deletes a factor and its challenges; `false` when it did not exist.
    pub async fn delete_factor(&self, factor_ref: i64) -> Result<bool, sqlx::Error> {
        let mut w = self.db.begin_write().await?;
        sqlx::query("DELETE FROM totp_challenges WHERE factor_ref = $1")
            .bind(factor_ref)
            .execute(&mut *w.tx)
            .await?;
        let done = sqlx::query("DELETE FROM totp_factors WHERE id = $1")
            .bind(factor_ref)
            .execute(&mut *w.tx)
            .await?;
        w.commit().await?;
        Ok(done.rows_affected() == 1)
    }

    // ---- TOTP challenges ----

    /// Creates a challenge together with its factor's new state, if the factor is still at
    /// `expected_version` (`false` otherwise, and nothing is written).
    pub async fn insert_challenge(
        &self,
        factor_ref: i64,
        expected_version: i64,
        factor_state: &str,
        sid: &str,
        state: &str,
        now: i64,
    ) -> Result<bool, sqlx::Error> {
        let mut w = self.db.begin_write().await?;
        if !swap_factor(
            &mut w.tx,
            factor_ref,
            expected_version,
            factor_state,
            None,
            now,
        )
        .await?
        {
            w.rollback().await?;
            return Ok(false);
        }
        sqlx::query(
            "INSERT INTO totp_challenges (factor_ref, sid, state, created_at, updated_at) \
             VALUES ($1, $2, $3, $4, $4)",
        )
        .bind(factor_ref)
        .bind(sid)
        .bind(state)
        .bind(now)
        .execute(&mut *w.tx)
        .await?;
        w.commit().await?;
        Ok(true)
    }

    pub async fn find_challenge(
        &self,
        service_ref: i64,
        identity: &str,
        sid: &str,
    ) -> Result<Option<StoredChallenge>, sqlx::Error> {
        let sql = format!(
            "SELECT ch.id, ch.sid, ch.state, ch.created_at, ch.updated_at, ch.version, {FACTOR_COLUMNS} \
             FROM totp_challenges ch JOIN totp_factors f ON f.id = ch.factor_ref \
             WHERE f.service_ref = $1 AND f.identity = $2 AND ch.sid = $3"
        );
        sqlx::query(&sql)
            .bind(service_ref)
            .bind(identity)
            .bind(sid)
            .fetch_optional(self.db.pool())
            .await?
            .map(|row| {
                Ok(StoredChallenge {
                    challenge_ref: row.try_get("id")?,
                    sid: row.try_get("sid")?,
                    state: row.try_get("state")?,
                    created_at: row.try_get("created_at")?,
                    updated_at: row.try_get("updated_at")?,
                    version: row.try_get("version")?,
                    factor: stored_factor(&row)?,
                })
            })
            .transpose()
    }

    /// Updates a challenge still at `expected_version` and, when given, its factor's state at
    /// the factor's expected version (`false` when either moved on; nothing is written then).
    /// Two requests that read the same pending challenge (one approving it, one denying it)
    /// cannot both write: the second finds the version changed.
    pub async fn update_challenge(
        &self,
        challenge_ref: i64,
        expected_version: i64,
        state: &str,
        factor: Option<(i64, i64, &str)>,
        now: i64,
    ) -> Result<bool, sqlx::Error> {
        let mut w = self.db.begin_write().await?;
        if let Some((factor_ref, factor_version, factor_state)) = factor {
            if !swap_factor(
                &mut w.tx,
                factor_ref,
                factor_version,
                factor_state,
                None,
                now,
            )
            .await?
            {
                w.rollback().await?;
                return Ok(false);
            }
        }
        let done = sqlx::query(
            "UPDATE totp_challenges SET state = $1, updated_at = $2, version = version + 1 \
             WHERE id = $3 AND version = $4",
        )
        .bind(state)
        .bind(now)
        .bind(challenge_ref)
        .bind(expected_version)
        .execute(&mut *w.tx)
        .await?;
        if done.rows_affected() != 1 {
            w.rollback().await?;
            return Ok(false);
        }
        w.commit().await?;
        Ok(true)
    }
}

async fn swap_factor(
    tx: &mut sqlx::Transaction<'static, sqlx::Any>,
    factor_ref: i64,
    expected_version: i64,
    state: &str,
    friendly_name: Option<&str>,
    now: i64,
) -> Result<bool, sqlx::Error> {
    let done = sqlx::query(
        "UPDATE totp_factors SET state = $1, friendly_name = COALESCE($2, friendly_name), \
         version = version + 1, updated_at = $3 WHERE id = $4 AND version = $5",
    )
    .bind(state)
    .bind(friendly_name)
    .bind(now)
    .bind(factor_ref)
    .bind(expected_version)
    .execute(&mut **tx)
    .await?;
    Ok(done.rows_affected() == 1)
}
