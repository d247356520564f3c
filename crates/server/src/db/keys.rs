//! Tenants and their API keys. A tenant owns users and settings; it may have several keys, so a
//! leaked key can be replaced (create a new one, revoke the old) without losing enrolments.

use sqlx::Row;

use super::Db;
use crate::settings::TenantSettings;

/// What authentication needs to know about a key.
#[derive(Clone, Debug)]
pub struct KeyRecord {
    pub key_id: i64,
    pub tenant_id: i64,
    pub secret_hash: String,
    pub revoked: bool,
    pub settings: TenantSettings,
}

#[derive(Clone, Debug)]
pub struct KeyListing {
    pub api_key: String,
    pub tenant: String,
    pub label: String,
    pub created_at: i64,
    pub revoked_at: Option<i64>,
}

#[derive(Debug, thiserror::Error)]
pub enum KeyStoreError {
    #[error("no API key `{0}`")]
    UnknownKey(String),
    #[error("stored settings of tenant {tenant_id} are unreadable: {source}")]
    BadStoredSettings {
        tenant_id: i64,
        #[source]
        source: crate::settings::SettingsError,
    },
    #[error(transparent)]
    Db(#[from] sqlx::Error),
}

/// Tenants' API keys as stored: the view [`Db::keys`] gives.
#[derive(Clone, Copy)]
pub struct KeyStore<'a> {
    db: &'a Db,
}

/// Tenants as stored: the view [`Db::tenants`] gives.
#[derive(Clone, Copy)]
pub struct TenantStore<'a> {
    db: &'a Db,
}

impl Db {
    /// API keys.
    pub fn keys(&self) -> KeyStore<'_> {
        KeyStore { db: self }
    }

    /// Tenants.
    pub fn tenants(&self) -> TenantStore<'_> {
        TenantStore { db: self }
    }
}

impl KeyStore<'_> {
    /// Stores a new key for `tenant` (created with default settings when new).
    pub async fn insert(
        &self,
        tenant: &str,
        label: &str,
        api_key: &str,
        secret_hash: &str,
        now: i64,
    ) -> Result<(), sqlx::Error> {
        let mut w = self.db.begin_write().await?;
        sqlx::query("INSERT INTO tenants (name, settings, created_at) VALUES ($1, $2, $3) ON CONFLICT (name) DO NOTHING")
            .bind(tenant)
            .bind(TenantSettings::default().to_json())
            .bind(now)
            .execute(&mut *w.tx)
            .await?;
        let tenant_id: i64 = sqlx::query("SELECT id FROM tenants WHERE name = $1")
            .bind(tenant)
            .fetch_one(&mut *w.tx)
            .await?
            .try_get("id")?;
        sqlx::query(
            "INSERT INTO api_keys (tenant_id, api_key, secret_hash, label, created_at) VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(tenant_id)
        .bind(api_key)
        .bind(secret_hash)
        .bind(label)
        .bind(now)
        .execute(&mut *w.tx)
        .await?;
        w.commit().await
    }

    pub async fn find(&self, api_key: &str) -> Result<Option<KeyRecord>, KeyStoreError> {
        let row = sqlx::query(
            "SELECT k.id, k.tenant_id, k.secret_hash, k.revoked_at, t.settings \
             FROM api_keys k JOIN tenants t ON t.id = k.tenant_id WHERE k.api_key = $1",
        )
        .bind(api_key)
        .fetch_optional(self.db.pool())
        .await?;
        let Some(row) = row else { return Ok(None) };
        let tenant_id: i64 = row.try_get("tenant_id")?;
        let settings = TenantSettings::from_json(&row.try_get::<String, _>("settings")?)
            .map_err(|source| KeyStoreError::BadStoredSettings { tenant_id, source })?;
        Ok(Some(KeyRecord {
            key_id: row.try_get("id")?,
            tenant_id,
            secret_hash: row.try_get("secret_hash")?,
            revoked: row.try_get::<Option<i64>, _>("revoked_at")?.is_some(),
            settings,
        }))
    }

    pub async fn list(&self) -> Result<Vec<KeyListing>, sqlx::Error> {
        let rows = sqlx::query(
            "SELECT k.api_key, t.name, k.label, k.created_at, k.revoked_at \
             FROM api_keys k JOIN tenants t ON t.id = k.tenant_id ORDER BY k.id",
        )
        .fetch_all(self.db.pool())
        .await?;
        rows.into_iter()
            .map(|row| {
                Ok(KeyListing {
                    api_key: row.try_get("api_key")?,
                    tenant: row.try_get("name")?,
                    label: row.try_get("label")?,
                    created_at: row.try_get("created_at")?,
                    revoked_at: row.try_get("revoked_at")?,
                })
            })
            .collect()
    }

    /// Revokes a key at `now`; revoking twice keeps the first revocation time.
    pub async fn revoke(&self, api_key: &str, now: i64) -> Result<(), KeyStoreError> {
        let mut w = self.db.begin_write().await?;
        let done = sqlx::query(
            "UPDATE api_keys SET revoked_at = COALESCE(revoked_at, $1) WHERE api_key = $2",
        )
        .bind(now)
        .bind(api_key)
        .execute(&mut *w.tx)
        .await?;
        w.commit().await?;
        if done.rows_affected() == 0 {
            return Err(KeyStoreError::UnknownKey(api_key.to_string()));
        }
        Ok(())
    }

    /// The settings of the tenant that owns `api_key`.
    pub async fn settings(&self, api_key: &str) -> Result<TenantSettings, KeyStoreError> {
        match self.find(api_key).await? {
            Some(record) => Ok(record.settings),
            None => Err(KeyStoreError::UnknownKey(api_key.to_string())),
        }
    }

    pub async fn set_settings(
        &self,
        api_key: &str,
        settings: &TenantSettings,
    ) -> Result<(), KeyStoreError> {
        let mut w = self.db.begin_write().await?;
        let done =
            sqlx::query("UPDATE tenants SET settings = $1 WHERE id = (SELECT tenant_id FROM api_keys WHERE api_key = $2)")
                .bind(settings.to_json())
                .bind(api_key)
                .execute(&mut *w.tx)
                .await?;
        w.commit().await?;
        if done.rows_affected() == 0 {
            return Err(KeyStoreError::UnknownKey(api_key.to_string()));
        }
        Ok(())
    }
}

impl TenantStore<'_> {
    /// All tenants with their settings (for periodic maintenance such as digest retention).
    pub async fn all(&self) -> Result<Vec<(i64, TenantSettings)>, KeyStoreError> {
        let rows = sqlx::query("SELECT id, settings FROM tenants")
            .fetch_all(self.db.pool())
            .await?;
        rows.into_iter()
            .map(|row| {
                let tenant_id: i64 = row.try_get("id")?;
                let settings = TenantSettings::from_json(&row.try_get::<String, _>("settings")?)
                    .map_err(|source| KeyStoreError::BadStoredSettings { tenant_id, source })?;
                Ok((tenant_id, settings))
            })
            .collect()
    }

    /// The id of the tenant named `name`.
    pub async fn find_id(&self, name: &str) -> Result<Option<i64>, sqlx::Error> {
        sqlx::query("SELECT id FROM tenants WHERE name = $1")
            .bind(name)
            .fetch_optional(self.db.pool())
            .await?
            .map(|row| row.try_get("id"))
            .transpose()
    }

    /// The settings of a tenant (for requests that come with a sign-in's token, not a key).
    pub async fn settings(&self, tenant_id: i64) -> Result<Option<TenantSettings>, sqlx::Error> {
        let Some(row) = sqlx::query("SELECT settings FROM tenants WHERE id = $1")
            .bind(tenant_id)
            .fetch_optional(self.db.pool())
            .await?
        else {
            return Ok(None);
        };
        let text: String = row.try_get("settings")?;
        serde_json::from_str(&text)
            .map(Some)
            .map_err(|err| sqlx::Error::Decode(Box::new(err)))
    }
}
