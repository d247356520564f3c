//! Storage of one-time codes: Verify clients, applications and code records; TOTP services,
//! factors, challenges and backup codes. The records are keycadence-otp's state as JSON text;
//! the ones that change under concurrent requests carry a `version`, and every update is a
//! compare-and-swap on it (`false` = someone else wrote first: reload and redo).
//!
//! One module per record kind, each a typed view of the store: `apps` (Verify clients and
//! applications, [`Db::verify_apps`]), `codes` (Verify code records, [`Db::code_records`]),
//! `totp` (services, factors, challenges, [`Db::totp`]), `backup_codes`
//! ([`Db::backup_codes`]); the versioned records they share are read and swapped here (one
//! compare-and-swap for all).

mod apps;
mod backup_codes;
mod codes;
mod totp;

pub use apps::{AppListing, AppStoreError, NewApp, NewAppClient, StoredApp, VerifyAppStore};
pub use backup_codes::BackupCodeStore;
pub(crate) use codes::swap_otp_record_in;
pub use codes::CodeRecordStore;
pub use totp::{StoredChallenge, StoredFactor, StoredService, TotpStore};

use sqlx::Row;

use super::Db;

/// A versioned JSON record.
#[derive(Clone, Debug)]
pub struct Versioned {
    pub json: String,
    pub version: i64,
}

/// A table of versioned JSON records, each found by the id of the row it belongs to and a
/// text (a user key, an identity). The names go into the SQL as they are, so they come only
/// from the constants of the record modules, never from a request.
struct VersionedTable {
    table: &'static str,
    /// The key: the owner's id column, then the text column.
    key_columns: [&'static str; 2],
    json_column: &'static str,
}

impl Db {
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
            "SELECT {json_column} AS json, version FROM {table} \
             WHERE {owner_column} = $1 AND {name_column} = $2"
        );
        sqlx::query(&sql)
            .bind(owner_ref)
            .bind(name)
            .fetch_optional(self.pool())
            .await?
            .map(|row| {
                Ok(Versioned {
                    json: row.try_get("json")?,
                    version: row.try_get("version")?,
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
        now: i64,
    ) -> Result<bool, sqlx::Error> {
        let mut w = self.begin_write().await?;
        let swapped =
            swap_versioned_in(&mut w.tx, records, owner_ref, name, expected, json, now).await?;
        w.commit().await?;
        Ok(swapped)
    }
}
async fn swap_versioned_in(
    tx: &mut sqlx::Transaction<'static, sqlx::Any>,
    records: &VersionedTable,
    owner_ref: i64,
    name: &str,
    expected: Option<i64>,
    json: &str,
    now: i64,
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
        .bind(now);
    if let Some(version) = expected {
        query = query.bind(version);
    }
    let done = query.execute(&mut **tx).await?;
    Ok(done.rows_affected() == 1)
}
