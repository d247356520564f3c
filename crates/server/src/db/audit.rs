//! The audit log's store: records of what was done with personal data (see
//! `crate::privacy::audit` for what is recorded and how users are named in it).

use serde::Serialize;
use serde_json::Value;
use sqlx::{AnyConnection, Row};

use super::Db;

/// One action on record.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct AuditEntry {
    /// Unix milliseconds.
    pub at: i64,
    /// `None` for actions on the whole server (a key rotation).
    #[serde(skip)]
    pub tenant_id: Option<i64>,
    /// The API key that called, or `cli` / `server`.
    pub actor: String,
    /// The keyed hash naming the user, for actions on one user.
    #[serde(skip)]
    pub user_ref: Option<String>,
    pub action: String,
    /// Counts, outcome codes and names: never a pattern, a code or a secret.
    pub detail: Value,
}

/// Rows per insert statement (6 parameters each, well below SQLite's 32 766).
const ROWS_PER_STATEMENT: usize = 256;

/// Records returned per query at most.
pub const MAX_AUDIT_RECORDS: i64 = 1000;

pub(super) async fn insert_in(
    conn: &mut AnyConnection,
    entry: &AuditEntry,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO audit_log (at, tenant_id, actor, user_ref, action, detail) \
         VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind(entry.at)
    .bind(entry.tenant_id)
    .bind(&entry.actor)
    .bind(&entry.user_ref)
    .bind(&entry.action)
    .bind(entry.detail.to_string())
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// The audit log as stored: the view [`Db::audit`] gives.
#[derive(Clone, Copy)]
pub struct AuditStore<'a> {
    db: &'a Db,
}

impl Db {
    /// The audit log.
    pub fn audit(&self) -> AuditStore<'_> {
        AuditStore { db: self }
    }
}

impl AuditStore<'_> {
    /// Stores the entries in one transaction, many rows per statement (a statement is a
    /// round trip to SQLite's connection thread; one per record halved verify throughput).
    pub async fn insert(&self, entries: &[AuditEntry]) -> Result<(), sqlx::Error> {
        let mut w = self.db.begin_write().await?;
        for chunk in entries.chunks(ROWS_PER_STATEMENT) {
            let rows: Vec<String> = (0..chunk.len())
                .map(|i| {
                    let n = i * 6;
                    format!(
                        "(${}, ${}, ${}, ${}, ${}, ${})",
                        n + 1,
                        n + 2,
                        n + 3,
                        n + 4,
                        n + 5,
                        n + 6
                    )
                })
                .collect();
            let sql = format!(
                "INSERT INTO audit_log (at, tenant_id, actor, user_ref, action, detail) VALUES {}",
                rows.join(", ")
            );
            let mut query = sqlx::query(&sql).persistent(false);
            for entry in chunk {
                query = query
                    .bind(entry.at)
                    .bind(entry.tenant_id)
                    .bind(entry.actor.clone())
                    .bind(entry.user_ref.clone())
                    .bind(entry.action.clone())
                    .bind(entry.detail.to_string());
            }
            query.execute(&mut *w.tx).await?;
        }
        w.commit().await
    }

    /// The newest records about one user of a tenant (at most [`MAX_AUDIT_RECORDS`]), oldest
    /// first.
    pub async fn of_user(
        &self,
        tenant_id: i64,
        user_ref: &str,
    ) -> Result<Vec<AuditEntry>, sqlx::Error> {
        let rows = sqlx::query(
            "SELECT at, actor, action, detail FROM audit_log WHERE tenant_id = $1 AND user_ref = $2 \
             ORDER BY id DESC LIMIT $3",
        )
        .bind(tenant_id)
        .bind(user_ref)
        .bind(MAX_AUDIT_RECORDS)
        .fetch_all(self.db.pool())
        .await?;
        let mut entries = rows
            .iter()
            .map(|row| {
                let detail: String = row.try_get("detail")?;
                Ok(AuditEntry {
                    at: row.try_get("at")?,
                    tenant_id: Some(tenant_id),
                    actor: row.try_get("actor")?,
                    user_ref: Some(user_ref.to_string()),
                    action: row.try_get("action")?,
                    detail: serde_json::from_str(&detail).unwrap_or(Value::String(detail)),
                })
            })
            .collect::<Result<Vec<_>, sqlx::Error>>()?;
        entries.reverse();
        Ok(entries)
    }
}
