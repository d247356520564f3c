//! TOTP backup codes: one versioned set per service and identity.

use super::{Versioned, VersionedTable};
use crate::db::Db;

const BACKUP_CODES: VersionedTable = VersionedTable {
    table: "totp_backup_codes",
    key_columns: ["service_ref", "identity"],
    json_column: "state",
};

/// TOTP backup-code sets as stored: the view [`Db::backup_codes`] gives.
#[derive(Clone, Copy)]
pub struct BackupCodeStore<'a> {
    db: &'a Db,
}

impl Db {
    /// TOTP backup-code sets.
    pub fn backup_codes(&self) -> BackupCodeStore<'_> {
        BackupCodeStore { db: self }
    }
}

impl BackupCodeStore<'_> {
    pub async fn load(
        &self,
        service_ref: i64,
        identity: &str,
    ) -> Result<Option<Versioned>, sqlx::Error> {
        self.db
            .load_versioned(&BACKUP_CODES, service_ref, identity)
            .await
    }

    /// Stores a new set of backup codes, replacing any previous set.
    pub async fn replace(
        &self,
        service_ref: i64,
        identity: &str,
        state: &str,
        now: i64,
    ) -> Result<(), sqlx::Error> {
        let mut w = self.db.begin_write().await?;
        sqlx::query(
            "INSERT INTO totp_backup_codes (service_ref, identity, state, version, updated_at) \
             VALUES ($1, $2, $3, 1, $4) ON CONFLICT (service_ref, identity) DO UPDATE \
             SET state = excluded.state, version = totp_backup_codes.version + 1, \
             updated_at = excluded.updated_at",
        )
        .bind(service_ref)
        .bind(identity)
        .bind(state)
        .bind(now)
        .execute(&mut *w.tx)
        .await?;
        w.commit().await
    }

    pub async fn swap(
        &self,
        service_ref: i64,
        identity: &str,
        expected_version: i64,
        state: &str,
        now: i64,
    ) -> Result<bool, sqlx::Error> {
        self.db
            .swap_versioned(
                &BACKUP_CODES,
                service_ref,
                identity,
                Some(expected_version),
                state,
                now,
            )
            .await
    }
}
