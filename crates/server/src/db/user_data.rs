//! Everything stored about one user of a tenant, read for an export or erased. A user's data
//! is spread over the tables of the Authentication API (`users`, `patterns`,
//! `pattern_digests`), of sign-ins (`sign_ins` with their one-time-code records,
//! `sign_in_texts`), of TOTP (the factors, challenges and backup codes of the entity named
//! like the user in the tenant's services) and of the audit log. Codes, secrets and hashes
//! are never read out: an export gives their metadata.

use serde::Serialize;
use serde_json::Value;
use sqlx::any::AnyRow;
use sqlx::{AnyConnection, Row};
use zeroize::Zeroizing;

use super::audit::AuditEntry;
use super::sealed_patterns::{bucket_of, open_row, SEALED_COLUMNS};
use super::{Backend, Db};

/// One enrolled pattern: where it is kept, when it was stored and, when asked for, its text.
#[derive(Clone, Debug, Serialize)]
pub struct EnrolmentRecord {
    pub id: i64,
    pub device: &'static str,
    #[serde(rename = "type")]
    pub kind: i64,
    pub text_id: i64,
    pub position: i64,
    pub created_at: i64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pattern: Option<String>,
}

/// A TOTP factor without its secret or attempt state.
#[derive(Clone, Debug, Serialize)]
pub struct FactorRecord {
    pub sid: String,
    pub service_sid: String,
    pub friendly_name: String,
    pub status: Value,
    pub challenges: i64,
    pub created_at: i64,
    pub updated_at: i64,
}

/// A sign-in without its token hash, code hashes, typed patterns or digests.
#[derive(Clone, Debug, Serialize)]
pub struct SignInRecordView {
    pub id: String,
    pub created_at: i64,
    pub expire_at: i64,
    /// The state's public parts (status, strategies, attempts, codes sent) and the contact
    /// addresses the back end gave.
    pub summary: Value,
}

/// What is stored about a user.
#[derive(Clone, Debug, Serialize)]
pub struct UserData {
    pub user_id: String,
    /// `None` when the user has no enrolment row (sign-ins or TOTP only).
    pub created_at: Option<i64>,
    pub last_used_at: Option<i64>,
    pub enrolments: Vec<EnrolmentRecord>,
    /// Replay digests by source (`enrol`, `verify`); the digests themselves are keyed hashes
    /// that say nothing without the server's key.
    pub replay_digests: serde_json::Map<String, Value>,
    pub totp_factors: Vec<FactorRecord>,
    /// Services (sids) where the user has a set of backup codes (hashes, not exported).
    pub backup_code_sets: Vec<String>,
    pub sign_ins: Vec<SignInRecordView>,
    /// Texts issued to the user to type at sign-in, with when.
    pub sign_in_texts: Vec<(String, i64)>,
    pub audit_records: i64,
}

/// Rows erased, per kind.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Erased {
    pub users: u64,
    pub enrolments: u64,
    pub replay_digests: u64,
    pub sign_ins: u64,
    pub sign_in_texts: u64,
    pub totp_factors: u64,
    pub totp_challenges: u64,
    pub backup_code_sets: u64,
    pub audit_records: u64,
}

impl Erased {
    pub fn total(&self) -> u64 {
        self.users
            + self.enrolments
            + self.replay_digests
            + self.sign_ins
            + self.sign_in_texts
            + self.totp_factors
            + self.totp_challenges
            + self.backup_code_sets
            + self.audit_records
    }
}

/// The TOTP factors of the user's entity: same identity, in a service of the tenant.
const USER_FACTORS: &str =
    "SELECT f.id FROM totp_factors f JOIN totp_services s ON s.id = f.service_ref \
     WHERE s.tenant_id = $1 AND f.identity = $2";

impl Db {
    /// Everything stored about `external_id` of `tenant_id` (`user_ref` names it in the audit
    /// log); with `with_patterns`, the enrolled patterns' texts, opened.
    pub async fn user_data(
        &self,
        tenant_id: i64,
        external_id: &str,
        user_ref: &str,
        with_patterns: bool,
    ) -> Result<UserData, sqlx::Error> {
        let pool = self.pool();
        let user = sqlx::query(
            "SELECT id, created_at, last_used_at FROM users WHERE tenant_id = $1 AND external_id = $2",
        )
        .bind(tenant_id)
        .bind(external_id)
        .fetch_optional(pool)
        .await?;
        let mut data = UserData {
            user_id: external_id.to_string(),
            created_at: None,
            last_used_at: None,
            enrolments: Vec::new(),
            replay_digests: serde_json::Map::new(),
            totp_factors: Vec::new(),
            backup_code_sets: Vec::new(),
            sign_ins: Vec::new(),
            sign_in_texts: Vec::new(),
            audit_records: 0,
        };
        if let Some(user) = user {
            let user_id: i64 = user.try_get("id")?;
            data.created_at = Some(user.try_get("created_at")?);
            data.last_used_at = Some(user.try_get("last_used_at")?);
            let rows = sqlx::query(&format!(
                "SELECT {SEALED_COLUMNS}, created_at FROM patterns WHERE user_id = $1 ORDER BY id"
            ))
            .bind(user_id)
            .fetch_all(pool)
            .await?;
            for row in &rows {
                data.enrolments
                    .push(enrolment(self, tenant_id, row, with_patterns)?);
            }
            for row in sqlx::query(
                "SELECT source, COUNT(*) AS n FROM pattern_digests WHERE user_id = $1 GROUP BY source",
            )
            .bind(user_id)
            .fetch_all(pool)
            .await?
            {
                let count: i64 = row.try_get("n")?;
                data.replay_digests
                    .insert(row.try_get("source")?, Value::from(count));
            }
        }
        for row in sqlx::query(&format!(
            "SELECT f.sid, s.sid AS service_sid, f.friendly_name, f.state, f.created_at, \
             f.updated_at, \
             (SELECT COUNT(*) FROM totp_challenges c WHERE c.factor_ref = f.id) AS challenges \
             FROM totp_factors f JOIN totp_services s ON s.id = f.service_ref \
             WHERE f.id IN ({USER_FACTORS}) ORDER BY f.id"
        ))
        .bind(tenant_id)
        .bind(external_id)
        .fetch_all(pool)
        .await?
        {
            let state: Value =
                serde_json::from_str(&row.try_get::<String, _>("state")?).unwrap_or(Value::Null);
            data.totp_factors.push(FactorRecord {
                sid: row.try_get("sid")?,
                service_sid: row.try_get("service_sid")?,
                friendly_name: row.try_get("friendly_name")?,
                status: state["status"].clone(),
                created_at: row.try_get("created_at")?,
                updated_at: row.try_get("updated_at")?,
                challenges: row.try_get("challenges")?,
            });
        }
        data.backup_code_sets = sqlx::query(
            "SELECT s.sid FROM totp_backup_codes b JOIN totp_services s ON s.id = b.service_ref \
             WHERE s.tenant_id = $1 AND b.identity = $2 ORDER BY s.sid",
        )
        .bind(tenant_id)
        .bind(external_id)
        .fetch_all(pool)
        .await?
        .iter()
        .map(|row| row.try_get("sid"))
        .collect::<Result<_, _>>()?;
        for row in sqlx::query(
            "SELECT id, record, created_at, expire_at FROM sign_ins \
             WHERE tenant_id = $1 AND user_id = $2 ORDER BY created_at, id",
        )
        .bind(tenant_id)
        .bind(external_id)
        .fetch_all(pool)
        .await?
        {
            let id: String = row.try_get("id")?;
            let record = self
                .pattern_sealer()?
                .open_sign_in(&id, &row.try_get::<String, _>("record")?)?;
            let record: Value = serde_json::from_str(&record).unwrap_or(Value::Null);
            data.sign_ins.push(SignInRecordView {
                id,
                created_at: row.try_get("created_at")?,
                expire_at: row.try_get("expire_at")?,
                summary: sign_in_summary(&record),
            });
        }
        data.sign_in_texts = sqlx::query(
            "SELECT text, created_at FROM sign_in_texts WHERE tenant_id = $1 AND user_id = $2 \
             ORDER BY created_at, text",
        )
        .bind(tenant_id)
        .bind(external_id)
        .fetch_all(pool)
        .await?
        .iter()
        .map(|row| Ok((row.try_get("text")?, row.try_get("created_at")?)))
        .collect::<Result<_, sqlx::Error>>()?;
        data.audit_records = sqlx::query(
            "SELECT COUNT(*) AS n FROM audit_log WHERE tenant_id = $1 AND user_ref = $2",
        )
        .bind(tenant_id)
        .bind(user_ref)
        .fetch_one(pool)
        .await?
        .try_get("n")?;
        Ok(data)
    }

    /// Erases everything stored about `external_id` of `tenant_id`, the user's earlier audit
    /// records (`user_ref`) included but for those of earlier erasures (proof that they were
    /// done), and records the erasure (made by `record` from what was
    /// erased), all in one transaction.
    pub async fn erase_user(
        &self,
        tenant_id: i64,
        external_id: &str,
        user_ref: &str,
        record: impl FnOnce(&Erased) -> AuditEntry,
    ) -> Result<Erased, sqlx::Error> {
        let mut w = self.begin_write().await?;
        let (user_id, erased) =
            erase_in(&mut w.tx, self.backend(), tenant_id, external_id, user_ref).await?;
        super::audit::insert_in(&mut w.tx, &record(&erased)).await?;
        w.commit().await?;
        if let Some(user_id) = user_id {
            self.bucket_cache.forget_user(user_id);
        }
        Ok(erased)
    }
}

/// [`Db::erase_user`] inside the caller's write transaction; also returns the user's internal
/// id when they had enrolments.
async fn erase_in(
    conn: &mut AnyConnection,
    backend: Backend,
    tenant_id: i64,
    external_id: &str,
    user_ref: &str,
) -> Result<(Option<i64>, Erased), sqlx::Error> {
    let mut erased = Erased::default();
    // On PostgreSQL the user row is locked first, so that no booking or enrolment adds a row
    // referring to it between the deletes below (as `delete_patterns` does).
    let lock = match backend {
        Backend::Sqlite => "SELECT id FROM users WHERE tenant_id = $1 AND external_id = $2",
        Backend::Postgres => {
            "SELECT id FROM users WHERE tenant_id = $1 AND external_id = $2 FOR UPDATE"
        }
    };
    let user_id: Option<i64> = sqlx::query(lock)
        .bind(tenant_id)
        .bind(external_id)
        .fetch_optional(&mut *conn)
        .await?
        .map(|row| row.try_get("id"))
        .transpose()?;
    if let Some(user_id) = user_id {
        let by_user = |table: &str| format!("DELETE FROM {table} WHERE user_id = $1");
        erased.enrolments = sqlx::query(&by_user("patterns"))
            .bind(user_id)
            .execute(&mut *conn)
            .await?
            .rows_affected();
        erased.replay_digests = sqlx::query(&by_user("pattern_digests"))
            .bind(user_id)
            .execute(&mut *conn)
            .await?
            .rows_affected();
        erased.users = sqlx::query("DELETE FROM users WHERE id = $1")
            .bind(user_id)
            .execute(&mut *conn)
            .await?
            .rows_affected();
    }
    fn by_tenant_user<'q>(
        sql: &'q str,
        tenant_id: i64,
        external_id: &str,
    ) -> sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments<'q>> {
        sqlx::query(sql)
            .bind(tenant_id)
            .bind(external_id.to_string())
    }
    let challenges = format!("DELETE FROM totp_challenges WHERE factor_ref IN ({USER_FACTORS})");
    let factors = format!("DELETE FROM totp_factors WHERE id IN ({USER_FACTORS})");
    let statements: [(&str, &mut u64); 5] = [
        (&challenges, &mut erased.totp_challenges),
        (&factors, &mut erased.totp_factors),
        (
            "DELETE FROM totp_backup_codes WHERE identity = $2 AND service_ref IN \
             (SELECT id FROM totp_services WHERE tenant_id = $1)",
            &mut erased.backup_code_sets,
        ),
        (
            "DELETE FROM sign_ins WHERE tenant_id = $1 AND user_id = $2",
            &mut erased.sign_ins,
        ),
        (
            "DELETE FROM sign_in_texts WHERE tenant_id = $1 AND user_id = $2",
            &mut erased.sign_in_texts,
        ),
    ];
    for (sql, count) in statements {
        *count = by_tenant_user(sql, tenant_id, external_id)
            .execute(&mut *conn)
            .await?
            .rows_affected();
    }
    erased.audit_records = sqlx::query(
        "DELETE FROM audit_log WHERE tenant_id = $1 AND user_ref = $2 AND action <> 'erase'",
    )
    .bind(tenant_id)
    .bind(user_ref)
    .execute(&mut *conn)
    .await?
    .rows_affected();
    Ok((user_id, erased))
}

/// An enrolment row read with [`SEALED_COLUMNS`] and `created_at`.
fn enrolment(
    db: &Db,
    tenant_id: i64,
    row: &AnyRow,
    with_pattern: bool,
) -> Result<EnrolmentRecord, sqlx::Error> {
    let bucket = bucket_of(row)?;
    let pattern = if with_pattern {
        let (_, text): (i64, Zeroizing<String>) = open_row(db.pattern_sealer()?, tenant_id, row)?;
        Some(text.to_string())
    } else {
        None
    };
    Ok(EnrolmentRecord {
        id: row.try_get("id")?,
        device: if bucket.is_mobile {
            "mobile"
        } else {
            "desktop"
        },
        kind: bucket.kind,
        text_id: bucket.text_id,
        position: bucket.position,
        created_at: row.try_get("created_at")?,
        pattern,
    })
}

/// The parts of a stored sign-in record an export shows: its application, the contact
/// addresses, and of its state the status, strategies, attempt counts and when codes were
/// sent. Code records (hashes), typed samples and digests are left out.
fn sign_in_summary(record: &Value) -> Value {
    let state = &record["state"];
    let pick = |value: &Value, names: &[&str]| -> Value {
        names
            .iter()
            .filter(|name| !value[**name].is_null())
            .map(|name| (name.to_string(), value[*name].clone()))
            .collect::<serde_json::Map<_, _>>()
            .into()
    };
    let mut summary = pick(record, &["application_id"]);
    summary["contact"] = pick(&record["contact"], &["email", "phone"]);
    summary["state"] = pick(
        state,
        &[
            "status",
            "device",
            "supported",
            "typing_attempts",
            "code_attempts",
            "codes_sent",
            "completed_by",
        ],
    );
    summary
}
