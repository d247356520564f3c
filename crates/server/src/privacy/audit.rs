//! The audit log: one record per enrolment, verification decision, deletion, export, erasure,
//! removal by retention, key rotation and settings change. A record says who (the API key, or
//! `cli` / `server`), what (the action and its counts or outcome codes), when, and about which
//! user, named by a keyed hash of tenant and user id (so the log holds no user id in clear and
//! a copy of it cannot be linked to users without the server's pepper). It never holds a
//! pattern, a code or a secret.
//!
//! Records of API calls are written by one task in batches (one transaction per batch, as the
//! booking queue does for verifications), and a call is answered only once its record is
//! committed: a record that cannot be written fails the call (fail closed) instead of leaving
//! an action off the record.

use serde_json::{json, Value};
use tokio::sync::{mpsc, oneshot};
use zeroize::Zeroizing;

use crate::app::AppState;
use crate::auth::Tenant;
use crate::call::ApiCall;
use crate::db::audit::AuditEntry;
use crate::db::Db;
use crate::error::{database_error_code, ApiError, ErrorCode};
use crate::keyed_hash::keyed_hex;
use crate::response::ApiResponse;

/// Records per transaction at most, and records waiting at most (callers then wait to queue).
const MAX_BATCH: usize = 256;
const QUEUE: usize = 4096;

/// What is recorded.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Action {
    Enrol,
    Verify,
    Auto,
    DeletePatterns,
    Export,
    Erase,
    RetentionRemoval,
    RotateAtRest,
    SettingsChange,
}

impl Action {
    pub fn name(self) -> &'static str {
        match self {
            Action::Enrol => "enrol",
            Action::Verify => "verify",
            Action::Auto => "auto",
            Action::DeletePatterns => "delete_patterns",
            Action::Export => "export",
            Action::Erase => "erase",
            Action::RetentionRemoval => "retention_removal",
            Action::RotateAtRest => "rotate_at_rest",
            Action::SettingsChange => "settings_change",
        }
    }
}

#[derive(Debug, thiserror::Error)]
#[error("the audit record could not be written: {message}")]
pub struct AuditError {
    message: String,
    /// What the call answers instead: 49 while the database is away (a retry may succeed),
    /// 48 otherwise.
    pub code: ErrorCode,
}

impl AuditError {
    fn writer_stopped() -> AuditError {
        AuditError {
            message: "the audit writer has stopped".into(),
            code: ErrorCode::Unavailable,
        }
    }
}

struct Job {
    entry: AuditEntry,
    done: oneshot::Sender<Result<(), AuditError>>,
}

/// Names users in the log and writes records.
pub struct Auditor {
    pepper: Zeroizing<Vec<u8>>,
    jobs: mpsc::Sender<Job>,
}

impl Auditor {
    /// Starts the writer task; it ends when the auditor is dropped.
    pub fn start(db: Db, pepper: &[u8]) -> Auditor {
        let (jobs, queue) = mpsc::channel(QUEUE);
        tokio::spawn(write_batches(db, queue));
        Auditor {
            pepper: Zeroizing::new(pepper.to_vec()),
            jobs,
        }
    }

    /// The keyed hash naming `external_id` of `tenant_id` in the log.
    pub fn user_ref(&self, tenant_id: i64, external_id: &str) -> String {
        keyed_hex(
            &self.pepper,
            &[
                b"keycadence-server/audit-user/v1\0",
                tenant_id.to_string().as_bytes(),
                b"\0",
                external_id.as_bytes(),
            ],
        )
    }

    /// A record of an action of `tenant`'s API key, about `user` when given, made `at`.
    pub fn entry(
        &self,
        tenant: &Tenant,
        user: Option<&str>,
        action: Action,
        detail: Value,
        at: i64,
    ) -> AuditEntry {
        AuditEntry {
            at,
            tenant_id: Some(tenant.tenant_id),
            actor: tenant.api_key.clone(),
            user_ref: user.map(|user| self.user_ref(tenant.tenant_id, user)),
            action: action.name().to_string(),
            detail,
        }
    }

    /// Stores a record; returns once it is committed.
    pub async fn record(&self, entry: AuditEntry) -> Result<(), AuditError> {
        let (done, committed) = oneshot::channel();
        self.jobs
            .send(Job { entry, done })
            .await
            .map_err(|_| AuditError::writer_stopped())?;
        committed.await.map_err(|_| AuditError::writer_stopped())?
    }
}

async fn write_batches(db: Db, mut queue: mpsc::Receiver<Job>) {
    let mut batch = Vec::with_capacity(MAX_BATCH);
    while queue.recv_many(&mut batch, MAX_BATCH).await > 0 {
        let entries: Vec<AuditEntry> = batch.iter().map(|job| job.entry.clone()).collect();
        let written = db.audit().insert(&entries).await;
        if let Err(err) = &written {
            tracing::error!(error = %err, records = entries.len(), "audit records not written");
        }
        for job in batch.drain(..) {
            let answer = match &written {
                Ok(()) => Ok(()),
                Err(err) => Err(AuditError {
                    message: err.to_string(),
                    code: database_error_code(err),
                }),
            };
            // A caller that has gone away needs no answer.
            let _ = job.done.send(answer);
        }
    }
}

/// What a record of an Authentication API call holds: the answer's codes, never its scores'
/// inputs.
fn call_detail(result: &Result<ApiResponse, ApiError>) -> Value {
    match result {
        Ok(response) => {
            let mut detail = json!({ "message_code": response.message_code });
            for (name, value) in [
                ("result", response.result.map(Value::from)),
                ("enrollment", response.enrollment.map(Value::from)),
                ("action", response.action.map(Value::from)),
                ("deleted", response.deleted.map(Value::from)),
            ] {
                if let Some(value) = value {
                    detail[name] = value;
                }
            }
            detail
        }
        Err(error) => json!({ "error_code": error.code.message_code() }),
    }
}

/// Records an Authentication API call about `user` and passes its answer on; when the record
/// cannot be written the call fails (code of an internal error) instead.
pub async fn audited(
    state: &AppState,
    call: &ApiCall,
    user: &str,
    action: Action,
    result: Result<ApiResponse, ApiError>,
) -> Result<ApiResponse, ApiError> {
    let entry = state.audit.entry(
        &call.tenant,
        Some(user),
        action,
        call_detail(&result),
        state.clock.now_millis(),
    );
    match state.audit.record(entry).await {
        Ok(()) => result,
        Err(err) => {
            tracing::error!(error = %err, action = action.name(), "refusing a call that cannot be audited");
            Err(err.code.into())
        }
    }
}

/// Records an action of the command line (`keys rotate-at-rest`, `keys set`) made `at`.
pub async fn record_cli(
    db: &Db,
    tenant_id: Option<i64>,
    action: Action,
    detail: Value,
    at: i64,
) -> Result<(), sqlx::Error> {
    db.audit()
        .insert(&[AuditEntry {
            at,
            tenant_id,
            actor: "cli".into(),
            user_ref: None,
            action: action.name().into(),
            detail,
        }])
        .await
}
