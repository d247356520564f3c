//! Verify code records: one versioned record per application and user.

use super::{swap_versioned_in, Versioned, VersionedTable};
use crate::db::Db;

const CODE_RECORDS: VersionedTable = VersionedTable {
    table: "verify_otp_records",
    key_columns: ["app_ref", "user_key"],
    json_column: "record",
};

/// Verify code records as stored: the view [`Db::code_records`] gives.
#[derive(Clone, Copy)]
pub struct CodeRecordStore<'a> {
    db: &'a Db,
}

impl Db {
    /// Verify code records.
    pub fn code_records(&self) -> CodeRecordStore<'_> {
        CodeRecordStore { db: self }
    }
}

impl CodeRecordStore<'_> {
    pub async fn load(
        &self,
        app_ref: i64,
        user_key: &str,
    ) -> Result<Option<Versioned>, sqlx::Error> {
        self.db
            .load_versioned(&CODE_RECORDS, app_ref, user_key)
            .await
    }

    /// Stores a code record if it is still at `expected` (`None`: not stored yet).
    pub async fn swap(
        &self,
        app_ref: i64,
        user_key: &str,
        expected: Option<i64>,
        json: &str,
        now: i64,
    ) -> Result<bool, sqlx::Error> {
        self.db
            .swap_versioned(&CODE_RECORDS, app_ref, user_key, expected, json, now)
            .await
    }

    /// Undoes a booked send whose code did not go out: puts `previous` back (or removes the
    /// record when there was none) if the record is still at `booked_version`. `false` when
    /// another request changed it meanwhile; it then stays as that request left it.
    pub async fn restore(
        &self,
        app_ref: i64,
        user_key: &str,
        booked_version: i64,
        previous: Option<&str>,
        now: i64,
    ) -> Result<bool, sqlx::Error> {
        if let Some(json) = previous {
            return self
                .swap(app_ref, user_key, Some(booked_version), json, now)
                .await;
        }
        let mut w = self.db.begin_write().await?;
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
    pub async fn delete(&self, app_ref: i64, user_keys: &[String]) -> Result<u64, sqlx::Error> {
        let mut w = self.db.begin_write().await?;
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
}

/// [`CodeRecordStore::swap`] inside a caller's write transaction.
pub(crate) async fn swap_otp_record_in(
    tx: &mut sqlx::Transaction<'static, sqlx::Any>,
    app_ref: i64,
    user_key: &str,
    expected: Option<i64>,
    json: &str,
    now: i64,
) -> Result<bool, sqlx::Error> {
    swap_versioned_in(tx, &CODE_RECORDS, app_ref, user_key, expected, json, now).await
}
