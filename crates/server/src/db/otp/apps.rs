//! Verify clients and applications.

use sqlx::Row;

use crate::db::Db;

/// A Verify application as stored, with its client.
#[derive(Clone, Debug)]
pub struct StoredApp {
    pub app_ref: i64,
    pub client_id: String,
    pub sealed_client_secret: String,
    pub application_id: String,
    pub domain: String,
    pub settings: String,
    pub sealed_sms_token: Option<String>,
    pub revoked: bool,
}

#[derive(Clone, Debug)]
pub struct AppListing {
    pub client_id: String,
    pub application_id: String,
    pub domain: String,
    pub settings: String,
    pub created_at: i64,
    pub revoked_at: Option<i64>,
}

/// A new application; `client` is either a new client (id and sealed secret) or an existing
/// client id.
pub struct NewApp<'a> {
    pub client: NewAppClient<'a>,
    pub application_id: &'a str,
    pub domain: &'a str,
    pub settings: &'a str,
    pub sealed_sms_token: Option<&'a str>,
    pub reset_token_hash: &'a str,
}

pub enum NewAppClient<'a> {
    New {
        client_id: &'a str,
        sealed_secret: &'a str,
    },
    Existing {
        client_id: &'a str,
    },
}

#[derive(Debug, thiserror::Error)]
pub enum AppStoreError {
    #[error("no Verify client `{0}`")]
    UnknownClient(String),
    #[error("no Verify application `{0}`")]
    UnknownApplication(String),
    #[error(transparent)]
    Db(#[from] sqlx::Error),
}

const APP_COLUMNS: &str = "a.id, c.client_id, c.sealed_secret, a.application_id, a.domain, \
     a.settings, a.sealed_sms_token, a.revoked_at";

fn stored_app(row: &sqlx::any::AnyRow) -> Result<StoredApp, sqlx::Error> {
    Ok(StoredApp {
        app_ref: row.try_get("id")?,
        client_id: row.try_get("client_id")?,
        sealed_client_secret: row.try_get("sealed_secret")?,
        application_id: row.try_get("application_id")?,
        domain: row.try_get("domain")?,
        settings: row.try_get("settings")?,
        sealed_sms_token: row.try_get("sealed_sms_token")?,
        revoked: row.try_get::<Option<i64>, _>("revoked_at")?.is_some(),
    })
}

/// Verify clients and applications as stored: the view [`Db::verify_apps`] gives.
#[derive(Clone, Copy)]
pub struct VerifyAppStore<'a> {
    db: &'a Db,
}

impl Db {
    /// Verify clients and applications.
    pub fn verify_apps(&self) -> VerifyAppStore<'_> {
        VerifyAppStore { db: self }
    }
}

impl VerifyAppStore<'_> {
    /// Stores a new application, created at `now`.
    pub async fn insert(&self, app: &NewApp<'_>, now: i64) -> Result<(), AppStoreError> {
        let mut w = self.db.begin_write().await?;
        let client_id = match app.client {
            NewAppClient::New {
                client_id,
                sealed_secret,
            } => {
                sqlx::query(
                    "INSERT INTO verify_clients (client_id, sealed_secret, created_at) VALUES ($1, $2, $3)",
                )
                .bind(client_id)
                .bind(sealed_secret)
                .bind(now)
                .execute(&mut *w.tx)
                .await?;
                client_id
            }
            NewAppClient::Existing { client_id } => client_id,
        };
        let client_ref: Option<i64> =
            sqlx::query("SELECT id FROM verify_clients WHERE client_id = $1")
                .bind(client_id)
                .fetch_optional(&mut *w.tx)
                .await?
                .map(|row| row.try_get("id"))
                .transpose()?;
        let Some(client_ref) = client_ref else {
            w.rollback().await?;
            return Err(AppStoreError::UnknownClient(client_id.to_string()));
        };
        sqlx::query(
            "INSERT INTO verify_apps (client_ref, application_id, domain, settings, \
             sealed_sms_token, reset_token_hash, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7)",
        )
        .bind(client_ref)
        .bind(app.application_id)
        .bind(app.domain)
        .bind(app.settings)
        .bind(app.sealed_sms_token)
        .bind(app.reset_token_hash)
        .bind(now)
        .execute(&mut *w.tx)
        .await?;
        w.commit().await?;
        Ok(())
    }

    /// An application by its applicationId, revoked or not.
    pub async fn find(&self, application_id: &str) -> Result<Option<StoredApp>, sqlx::Error> {
        self.find_where("a.application_id = $1", application_id)
            .await
    }

    /// The active application whose reset-profile token has this SHA-256 (hex).
    pub async fn find_by_reset_token(
        &self,
        token_hash: &str,
    ) -> Result<Option<StoredApp>, sqlx::Error> {
        self.find_where(
            "a.reset_token_hash = $1 AND a.revoked_at IS NULL",
            token_hash,
        )
        .await
    }

    /// The application that meets `condition` (SQL of this module, the value as `$1`).
    async fn find_where(
        &self,
        condition: &'static str,
        value: &str,
    ) -> Result<Option<StoredApp>, sqlx::Error> {
        let sql = format!(
            "SELECT {APP_COLUMNS} FROM verify_apps a JOIN verify_clients c ON c.id = a.client_ref \
             WHERE {condition}"
        );
        sqlx::query(&sql)
            .bind(value)
            .fetch_optional(self.db.pool())
            .await?
            .as_ref()
            .map(stored_app)
            .transpose()
    }

    pub async fn list(&self) -> Result<Vec<AppListing>, sqlx::Error> {
        let rows = sqlx::query(
            "SELECT c.client_id, a.application_id, a.domain, a.settings, a.created_at, a.revoked_at \
             FROM verify_apps a JOIN verify_clients c ON c.id = a.client_ref ORDER BY a.id",
        )
        .fetch_all(self.db.pool())
        .await?;
        rows.iter()
            .map(|row| {
                Ok(AppListing {
                    client_id: row.try_get("client_id")?,
                    application_id: row.try_get("application_id")?,
                    domain: row.try_get("domain")?,
                    settings: row.try_get("settings")?,
                    created_at: row.try_get("created_at")?,
                    revoked_at: row.try_get("revoked_at")?,
                })
            })
            .collect()
    }

    /// Active applications (sizes the payload key cache).
    pub async fn count_active(&self) -> Result<i64, sqlx::Error> {
        sqlx::query("SELECT COUNT(*) AS n FROM verify_apps WHERE revoked_at IS NULL")
            .fetch_one(self.db.pool())
            .await?
            .try_get("n")
    }

    /// Revokes an application at `now`; revoking twice keeps the first time.
    pub async fn revoke(&self, application_id: &str, now: i64) -> Result<(), AppStoreError> {
        let mut w = self.db.begin_write().await?;
        let done = sqlx::query(
            "UPDATE verify_apps SET revoked_at = COALESCE(revoked_at, $1) WHERE application_id = $2",
        )
        .bind(now)
        .bind(application_id)
        .execute(&mut *w.tx)
        .await?;
        w.commit().await?;
        if done.rows_affected() == 0 {
            return Err(AppStoreError::UnknownApplication(
                application_id.to_string(),
            ));
        }
        Ok(())
    }
}
