//! Storage of one-time codes: Verify clients, applications and code records; TOTP services,
//! factors, challenges and backup codes. The records are keycadence-otp's state as JSON text;
//! the ones that change under concurrent requests carry a `version`, and every update is a
//! compare-and-swap on it (`false` = someone else wrote first: reload and redo).

use sqlx::Row;

use super::{now_millis, Db};

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

/// A versioned JSON record.
#[derive(Clone, Debug)]
pub struct Versioned {
    pub json: String,
    pub version: i64,
}

/// A table of versioned JSON records, each found by the id of the row it belongs to and a
/// text (a user key, an identity). The names go into the SQL as they are, so they come only
/// from the constants below, never from a request.
struct VersionedTable {
    table: &'static str,
    /// The key: the owner's id column, then the text column.
    key_columns: [&'static str; 2],
    json_column: &'static str,
}

const CODE_RECORDS: VersionedTable = VersionedTable {
    table: "verify_otp_records",
    key_columns: ["app_ref", "user_key"],
    json_column: "record",
};

const BACKUP_CODES: VersionedTable = VersionedTable {
    table: "totp_backup_codes",
    key_columns: ["service_ref", "identity"],
    json_column: "state",
};

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
    /// Compare-and-swap token of [`Db::update_totp_challenge`].
    pub version: i64,
    pub created_at: i64,
    pub updated_at: i64,
    pub factor: StoredFactor,
}

const APP_COLUMNS: &str = "a.id, c.client_id, c.sealed_secret, a.application_id, a.domain, \
     a.settings, a.sealed_sms_token, a.revoked_at";

fn stored_app(row: &sqlx::any::AnyRow) -> Result<StoredApp, sqlx::Error> {
    Ok(StoredApp {
        app_ref: row.try_get(0)?,
        client_id: row.try_get(1)?,
        sealed_client_secret: row.try_get(2)?,
        application_id: row.try_get(3)?,
        domain: row.try_get(4)?,
        settings: row.try_get(5)?,
        sealed_sms_token: row.try_get(6)?,
        revoked: row.try_get::<Option<i64>, _>(7)?.is_some(),
    })
}

const FACTOR_COLUMNS: &str =
    "f.id, f.sid, f.identity, f.friendly_name, f.state, f.version, f.created_at, f.updated_at";

fn stored_factor(row: &sqlx::any::AnyRow, offset: usize) -> Result<StoredFactor, sqlx::Error> {
    Ok(StoredFactor {
        factor_ref: row.try_get(offset)?,
        sid: row.try_get(offset + 1)?,
        identity: row.try_get(offset + 2)?,
        friendly_name: row.try_get(offset + 3)?,
        state: Versioned {
            json: row.try_get(offset + 4)?,
            version: row.try_get(offset + 5)?,
        },
        created_at: row.try_get(offset + 6)?,
        updated_at: row.try_get(offset + 7)?,
    })
}

impl Db {
    // ---- Verify clients and applications ----

    pub async fn insert_verify_app(&self, app: &NewApp<'_>) -> Result<(), AppStoreError> {
        let now = now_millis();
        let mut w = self.begin_write().await?;
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
                .map(|row| row.try_get(0))
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
    pub async fn find_verify_app(
        &self,
        application_id: &str,
    ) -> Result<Option<StoredApp>, sqlx::Error> {
        self.find_verify_app_where("a.application_id = $1", application_id)
            .await
    }

    /// The active application whose reset-profile token has this SHA-256 (hex).
    pub async fn find_verify_app_by_reset_token(
        &self,
        token_hash: &str,
    ) -> Result<Option<StoredApp>, sqlx::Error> {
        self.find_verify_app_where(
            "a.reset_token_hash = $1 AND a.revoked_at IS NULL",
            token_hash,
        )
        .await
    }

    /// The application that meets `condition` (SQL of this module, the value as `$1`).
    async fn find_verify_app_where(
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
            .fetch_optional(self.pool())
            .await?
            .as_ref()
            .map(stored_app)
            .transpose()
    }

    /// The sealed secret of a client.
    pub async fn find_verify_client_secret(
        &self,
        client_id: &str,
    ) -> Result<Option<String>, sqlx::Error> {
        sqlx::query("SELECT sealed_secret FROM verify_clients WHERE client_id = $1")
            .bind(client_id)
            .fetch_optional(self.pool())
            .await?
            .map(|row| row.try_get(0))
            .transpose()
    }

    pub async fn list_verify_apps(&self) -> Result<Vec<AppListing>, sqlx::Error> {
        let rows = sqlx::query(
            "SELECT c.client_id, a.application_id, a.domain, a.settings, a.created_at, a.revoked_at \
             FROM verify_apps a JOIN verify_clients c ON c.id = a.client_ref ORDER BY a.id",
        )
        .fetch_all(self.pool())
        .await?;
        rows.iter()
            .map(|row| {
                Ok(AppListing {
                    client_id: row.try_get(0)?,
                    application_id: row.try_get(1)?,
                    domain: row.try_get(2)?,
                    settings: row.try_get(3)?,
                    created_at: row.try_get(4)?,
                    revoked_at: row.try_get(5)?,
                })
            })
            .collect()
    }

    /// Active applications (sizes the payload key cache).
    pub async fn count_active_verify_apps(&self) -> Result<i64, sqlx::Error> {
        sqlx::query("SELECT COUNT(*) FROM verify_apps WHERE revoked_at IS NULL")
            .fetch_one(self.pool())
            .await?
            .try_get(0)
    }

    /// Revokes an application; revoking twice keeps the first time.
    pub async fn revoke_verify_app(&self, application_id: &str) -> Result<(), AppStoreError> {
        let mut w = self.begin_write().await?;
        let done = sqlx::query(
            "UPDATE verify_apps SET revoked_at = COALESCE(revoked_at, $1) WHERE application_id = $2",
        )
        .bind(now_millis())
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

    // ---- Verify code records ----

    pub async fn load_otp_record(
        &self,
        app_ref: i64,
        user_key: &str,
    ) -> Result<Option<Versioned>, sqlx::Error> {
        self.load_versioned(&CODE_RECORDS, app_ref, user_key).await
    }

    /// Stores a code record if it is still at `expected` (`None`: not stored yet).
    pub async fn swap_otp_record(
        &self,
        app_ref: i64,
        user_key: &str,
        expected: Option<i64>,
        json: &str,
    ) -> Result<bool, sqlx::Error> {
        self.swap_versioned(&CODE_RECORDS, app_ref, user_key, expected, json)
            .await
    }

    /// Undoes a booked send whose code did not go out: puts `previous` back (or removes the
    /// record when there was none) if the record is still at `booked_version`. `false` when
    /// another request changed it meanwhile; it then stays as that request left it.
    pub async fn restore_otp_record(
        &self,
        app_ref: i64,
        user_key: &str,
        booked_version: i64,
        previous: Option<&str>,
    ) -> Result<bool, sqlx::Error> {
        if let Some(json) = previous {
            return self
                .swap_otp_record(app_ref, user_key, Some(booked_version), json)
                .await;
        }
        let mut w = self.begin_write().await?;
        let done = sqlx::query(
            "DELETE FROM verify_otp_records WHERE app_ref = $1 AND user_key = $2 AND version = $3",
        )
        .bind(app_ref)
        .bind(user_key)
        .bind(booked_version)
        .execute(&mut *w.tx)
        .await?;
        w.commit().await?;
        Ok(done.rows_affected() == 1)
    }

    /// Deletes the code records of these users of an application; returns how many existed.
    pub async fn delete_otp_records(
        &self,
        app_ref: i64,
        user_keys: &[String],
    ) -> Result<u64, sqlx::Error> {
        let mut w = self.begin_write().await?;
        let mut deleted = 0;
        for key in user_keys {
            deleted +=
                sqlx::query("DELETE FROM verify_otp_records WHERE app_ref = $1 AND user_key = $2")
                    .bind(app_ref)
                    .bind(key)
                    .execute(&mut *w.tx)
                    .await?
                    .rows_affected();
        }
        w.commit().await?;
        Ok(deleted)
    }

    // ---- TOTP services ----

    pub async fn insert_totp_service(
        &self,
        tenant_id: i64,
        sid: &str,
        friendly_name: &str,
        config: &str,
    ) -> Result<StoredService, sqlx::Error> {
        let now = now_millis();
        let mut w = self.begin_write().await?;
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
        self.find_totp_service(tenant_id, sid)
            .await?
            .ok_or(sqlx::Error::RowNotFound)
    }

    /// A service of this tenant (another tenant's services do not exist for it).
    pub async fn find_totp_service(
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
        .fetch_optional(self.pool())
        .await?
        .map(|row| {
            Ok(StoredService {
                service_ref: row.try_get(0)?,
                sid: row.try_get(1)?,
                friendly_name: row.try_get(2)?,
                config: row.try_get(3)?,
                created_at: row.try_get(4)?,
                updated_at: row.try_get(5)?,
            })
        })
        .transpose()
    }

    // ---- TOTP factors ----

    pub async fn insert_totp_factor(
        &self,
        service_ref: i64,
        identity: &str,
        sid: &str,
        friendly_name: &str,
        state: &str,
    ) -> Result<StoredFactor, sqlx::Error> {
        let now = now_millis();
        let mut w = self.begin_write().await?;
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
        self.find_totp_factor(service_ref, identity, sid)
            .await?
            .ok_or(sqlx::Error::RowNotFound)
    }

    pub async fn find_totp_factor(
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
            .fetch_optional(self.pool())
            .await?
            .map(|row| stored_factor(&row, 0))
            .transpose()
    }

    pub async fn list_totp_factors(
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
            .fetch_all(self.pool())
            .await?
            .iter()
            .map(|row| stored_factor(row, 0))
            .collect()
    }

    /// Stores a factor's state (and, when given, a new friendly name) if it is still at
    /// `expected_version`.
    pub async fn swap_totp_factor(
        &self,
        factor_ref: i64,
        expected_version: i64,
        state: &str,
        friendly_name: Option<&str>,
    ) -> Result<bool, sqlx::Error> {
        let mut w = self.begin_write().await?;
        let swapped = swap_factor(
            &mut w.tx,
            factor_ref,
            expected_version,
            state,
            friendly_name,
        )
        .await?;
        w.commit().await?;
        Ok(swapped)
    }

    /// Deletes a factor and its challenges; `false` when it did not exist.
    pub async fn delete_totp_factor(&self, factor_ref: i64) -> Result<bool, sqlx::Error> {
        let mut w = self.begin_write().await?;
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
    pub async fn insert_totp_challenge(
        &self,
        factor_ref: i64,
        expected_version: i64,
        factor_state: &str,
        sid: &str,
        state: &str,
    ) -> Result<bool, sqlx::Error> {
        let now = now_millis();
        let mut w = self.begin_write().await?;
        if !swap_factor(&mut w.tx, factor_ref, expected_version, factor_state, None).await? {
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

    pub async fn find_totp_challenge(
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
            .fetch_optional(self.pool())
            .await?
            .map(|row| {
                Ok(StoredChallenge {
                    challenge_ref: row.try_get(0)?,
                    sid: row.try_get(1)?,
                    state: row.try_get(2)?,
                    created_at: row.try_get(3)?,
                    updated_at: row.try_get(4)?,
                    version: row.try_get(5)?,
                    factor: stored_factor(&row, 6)?,
                })
            })
            .transpose()
    }

    /// Updates a challenge still at `expected_version` and, when given, its factor's state at
    /// the factor's expected version (`false` when either moved on; nothing is written then).
    /// Two requests that read the same pending challenge (one approving it, one denying it)
    /// cannot both write: the second finds the version changed.
    pub async fn update_totp_challenge(
        &self,
        challenge_ref: i64,
        expected_version: i64,
        state: &str,
        factor: Option<(i64, i64, &str)>,
    ) -> Result<bool, sqlx::Error> {
        let mut w = self.begin_write().await?;
        if let Some((factor_ref, factor_version, factor_state)) = factor {
            if !swap_factor(&mut w.tx, factor_ref, factor_version, factor_state, None).await? {
                w.rollback().await?;
                return Ok(false);
            }
        }
        let done = sqlx::query(
            "UPDATE totp_challenges SET state = $1, updated_at = $2, version = version + 1 \
             WHERE id = $3 AND version = $4",
        )
        .bind(state)
        .bind(now_millis())
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

    // ---- TOTP backup codes ----

    pub async fn load_backup_codes(
        &self,
        service_ref: i64,
        identity: &str,
    ) -> Result<Option<Versioned>, sqlx::Error> {
        self.load_versioned(&BACKUP_CODES, service_ref, identity)
            .await
    }

    /// Stores a new set of backup codes, replacing any previous set.
    pub async fn replace_backup_codes(
        &self,
        service_ref: i64,
        identity: &str,
        state: &str,
    ) -> Result<(), sqlx::Error> {
        let mut w = self.begin_write().await?;
        sqlx::query(
            "INSERT INTO totp_backup_codes (service_ref, identity, state, version, updated_at) \
             VALUES ($1, $2, $3, 1, $4) ON CONFLICT (service_ref, identity) DO UPDATE \
             SET state = excluded.state, version = totp_backup_codes.version + 1, \
             updated_at = excluded.updated_at",
        )
        .bind(service_ref)
        .bind(identity)
        .bind(state)
        .bind(now_millis())
        .execute(&mut *w.tx)
        .await?;
        w.commit().await
    }

    pub async fn swap_backup_codes(
        &self,
        service_ref: i64,
        identity: &str,
        expected_version: i64,
        state: &str,
    ) -> Result<bool, sqlx::Error> {
        self.swap_versioned(
            &BACKUP_CODES,
            service_ref,
            identity,
            Some(expected_version),
            state,
        )
        .await
    }

    // ---- Versioned records of any table ----

    async fn load_versioned(
        &self,
        records: &VersionedTable,
        owner_ref: i64,
        name: &str,
    ) -> Result<Option<Versioned>, sqlx::Error> {
        let VersionedTable {
            table,
            key_columns: [owner_column, name_column],
            json_column,
        } = records;
        let sql = format!(
            "SELECT {json_column}, version FROM {table} \
             WHERE {owner_column} = $1 AND {name_column} = $2"
        );
        sqlx::query(&sql)
            .bind(owner_ref)
            .bind(name)
            .fetch_optional(self.pool())
            .await?
            .map(|row| {
                Ok(Versioned {
                    json: row.try_get(0)?,
                    version: row.try_get(1)?,
                })
            })
            .transpose()
    }

    /// Stores a record if it is still at `expected` (`None`: not stored yet); `false` when
    /// another writer got there first.
    async fn swap_versioned(
        &self,
        records: &VersionedTable,
        owner_ref: i64,
        name: &str,
        expected: Option<i64>,
        json: &str,
    ) -> Result<bool, sqlx::Error> {
        let mut w = self.begin_write().await?;
        let swapped =
            swap_versioned_in(&mut w.tx, records, owner_ref, name, expected, json).await?;
        w.commit().await?;
        Ok(swapped)
    }
}

/// [`Db::swap_otp_record`] inside a caller's write transaction.
pub(super) async fn swap_otp_record_in(
    tx: &mut sqlx::Transaction<'static, sqlx::Any>,
    app_ref: i64,
    user_key: &str,
    expected: Option<i64>,
    json: &str,
) -> Result<bool, sqlx::Error> {
    swap_versioned_in(tx, &CODE_RECORDS, app_ref, user_key, expected, json).await
}

async fn swap_versioned_in(
    tx: &mut sqlx::Transaction<'static, sqlx::Any>,
    records: &VersionedTable,
    owner_ref: i64,
    name: &str,
    expected: Option<i64>,
    json: &str,
) -> Result<bool, sqlx::Error> {
    let VersionedTable {
        table,
        key_columns: [owner_column, name_column],
        json_column,
    } = records;
    // Both statements take the key, the JSON and the time as $1 to $4; the update also takes
    // the version it expects as $5. An insert that finds a record already there (stored
    // meanwhile by another writer) lost the race like a stale update.
    let sql = match expected {
        None => format!(
            "INSERT INTO {table} ({owner_column}, {name_column}, {json_column}, version, \
             updated_at) VALUES ($1, $2, $3, 1, $4) \
             ON CONFLICT ({owner_column}, {name_column}) DO NOTHING"
        ),
        Some(_) => format!(
            "UPDATE {table} SET {json_column} = $3, version = version + 1, updated_at = $4 \
             WHERE {owner_column} = $1 AND {name_column} = $2 AND version = $5"
        ),
    };
    let mut query = sqlx::query(&sql)
        .bind(owner_ref)
        .bind(name)
        .bind(json)
        .bind(now_millis());
    if let Some(version) = expected {
        query = query.bind(version);
    }
    let done = query.execute(&mut **tx).await?;
    Ok(done.rows_affected() == 1)
}

async fn swap_factor(
    tx: &mut sqlx::Transaction<'static, sqlx::Any>,
    factor_ref: i64,
    expected_version: i64,
    state: &str,
    friendly_name: Option<&str>,
) -> Result<bool, sqlx::Error> {
    let done = sqlx::query(
        "UPDATE totp_factors SET state = $1, friendly_name = COALESCE($2, friendly_name), \
         version = version + 1, updated_at = $3 WHERE id = $4 AND version = $5",
    )
    .bind(state)
    .bind(friendly_name)
    .bind(now_millis())
    .bind(factor_ref)
    .bind(expected_version)
    .execute(&mut **tx)
    .await?;
    Ok(done.rows_affected() == 1)
}
