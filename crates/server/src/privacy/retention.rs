//! Retention: what is due goes, by each tenant's settings, in passes of bounded batches.
//! * users whose enrolments were not used (no enrolment, no verification booked) for
//!   `enrolment_retention_days` (0, the default: kept): their patterns, replay digests and
//!   user row, each removal on the audit record;
//! * verify digests older than `verify_digest_retention_days`;
//! * sign-ins a day after they ended (with the contact details and code records they hold);
//! * audit records older than `audit_retention_days` (0: kept; records of the whole server,
//!   such as key rotations, by the default setting).
//!
//! [`run_once`] takes the time, so tests drive a pass without waiting; the server runs one at
//! start and then every `retention_interval_seconds` (an hour by default) and counts what
//! went in `/metrics` (`keycadence_retention_removed_total{kind}`).

use std::time::Duration;

use serde_json::json;

use super::audit::{Action, Auditor};
use crate::db::audit::AuditEntry;
use crate::db::retention::days_before;
use crate::db::Db;
use crate::metrics::{Metrics, RETENTION_KINDS};
use crate::settings::TenantSettings;

/// Rows per transaction.
pub const BATCH: u32 = 500;

/// What one pass removed.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Removed {
    pub users: u64,
    pub enrolments: u64,
    pub verify_digests: u64,
    pub sign_ins: u64,
    pub audit_records: u64,
}

impl Removed {
    /// (kind, count) for the metrics, in the order of [`RETENTION_KINDS`].
    pub fn kinds(&self) -> impl Iterator<Item = (&'static str, u64)> {
        RETENTION_KINDS.into_iter().zip([
            self.users,
            self.enrolments,
            self.verify_digests,
            self.sign_ins,
            self.audit_records,
        ])
    }
}

#[derive(Debug, thiserror::Error)]
pub enum RetentionError {
    #[error(transparent)]
    Tenants(#[from] crate::db::keys::KeyStoreError),
    #[error(transparent)]
    Db(#[from] sqlx::Error),
}

/// One pass at time `now` (Unix milliseconds), in transactions of at most `batch` rows.
pub async fn run_once(
    db: &Db,
    auditor: &Auditor,
    now: i64,
    batch: u32,
) -> Result<Removed, RetentionError> {
    let mut removed = Removed {
        sign_ins: db
            .expire_ended_sign_ins(now - crate::signin::store::KEEP_AFTER_EXPIRY_MS, batch)
            .await?,
        ..Removed::default()
    };
    for (tenant_id, settings) in db.tenants().all().await? {
        if settings.enrolment_retention_days > 0 {
            let cutoff = days_before(now, settings.enrolment_retention_days);
            loop {
                let record = |external_id: &str, patterns: u64| AuditEntry {
                    at: now,
                    tenant_id: Some(tenant_id),
                    actor: "server".into(),
                    user_ref: Some(auditor.user_ref(tenant_id, external_id)),
                    action: Action::RetentionRemoval.name().into(),
                    detail: json!({
                        "enrolments": patterns,
                        "unused_days": settings.enrolment_retention_days,
                    }),
                };
                let (users, patterns) = db
                    .remove_unused_enrolments(tenant_id, cutoff, batch, record)
                    .await?;
                removed.users += users;
                removed.enrolments += patterns;
                if users < u64::from(batch) {
                    break;
                }
            }
        }
        removed.verify_digests += db
            .expire_verify_digests(
                tenant_id,
                days_before(now, settings.verify_digest_retention_days),
                batch,
            )
            .await?;
        if settings.audit_retention_days > 0 {
            removed.audit_records += db
                .expire_audit(
                    Some(tenant_id),
                    days_before(now, settings.audit_retention_days),
                    batch,
                )
                .await?;
        }
    }
    let server_wide = TenantSettings::default().audit_retention_days;
    removed.audit_records += db
        .expire_audit(None, days_before(now, server_wide), batch)
        .await?;
    Ok(removed)
}

/// Runs a pass every `period` (the first at start) and counts what went.
pub async fn run_every(
    period: Duration,
    db: Db,
    auditor: std::sync::Arc<Auditor>,
    metrics: std::sync::Arc<Metrics>,
    clock: crate::clock::Clock,
) {
    let mut tick = tokio::time::interval(period);
    loop {
        tick.tick().await;
        match run_once(&db, &auditor, clock.now_millis(), BATCH).await {
            Ok(removed) => {
                for (kind, count) in removed.kinds() {
                    metrics.retention_removed(kind, count);
                }
                if removed != Removed::default() {
                    tracing::info!(?removed, "retention: removed what was due");
                }
            }
            Err(err) => tracing::warn!(error = %err, "retention pass failed"),
        }
    }
}
