//! The back end's privacy routes, authenticated like the Authentication API (HTTP Basic
//! `apiKey:apiSecret`; a tenant reaches only its own users):
//!
//! | route | does |
//! |---|---|
//! | `GET /privacy/data/{id}` | everything stored about the user; `patterns=1` adds the enrolled patterns' texts |
//! | `DELETE /privacy/data/{id}` | erases all of it; answers the rows removed per kind |
//! | `GET /privacy/audit/{id}` | the audit records about the user, oldest first |

use axum::extract::State;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, MethodRouter};
use axum::Json;
use serde_json::{json, Value};

use super::audit::Action;
use crate::app::AppState;
use crate::call::{ApiCall, UserPath};
use crate::error::ApiError;

pub fn routes() -> Vec<(String, MethodRouter<AppState>)> {
    vec![
        (
            "/privacy/data/{*id}".into(),
            get(export_user).delete(erase_user),
        ),
        ("/privacy/audit/{*id}".into(), get(user_audit)),
    ]
}

/// The Authentication API's envelope around `fields`.
fn done(fields: Value) -> Response {
    let mut body = json!({ "status": 200, "message": "Done", "message_code": 1, "success": 1 });
    if let (Some(body), Value::Object(fields)) = (body.as_object_mut(), fields) {
        body.extend(fields);
    }
    Json(body).into_response()
}

/// `GET /privacy/data/{id}`. The patterns' texts only when asked for (`patterns=1`): they are
/// the data subject's to have (a copy of their personal data), but most requests want the
/// inventory, and every copy of a biometric template is one more to protect. Each export is
/// on the audit record, with whether it held the texts.
pub async fn export_user(
    State(state): State<AppState>,
    id: UserPath,
    call: ApiCall,
) -> Result<Response, ApiError> {
    let user = call.user_id(&id)?;
    let with_patterns = call.params.flag(&["patterns"]);
    let tenant_id = call.tenant.tenant_id;
    let user_ref = state.audit.user_ref(tenant_id, &user);
    let data = state
        .db
        .user_data(tenant_id, &user, &user_ref, with_patterns)
        .await?;
    let entry = state.audit.entry(
        &call.tenant,
        Some(&user),
        Action::Export,
        json!({ "patterns": with_patterns, "enrolments": data.enrolments.len() }),
        state.clock.now_millis(),
    );
    state.audit.record(entry).await.map_err(|err| {
        tracing::error!(error = %err, "refusing an export that cannot be audited");
        ApiError::from(err.code)
    })?;
    Ok(done(json!({ "user": data })))
}

/// `DELETE /privacy/data/{id}`: the user's enrolments, replay digests, sign-ins (with their
/// code records), issued texts, TOTP factors, challenges and backup codes, and earlier audit
/// records (records of earlier erasures stay), in one transaction with the record of this
/// erasure.
pub async fn erase_user(
    State(state): State<AppState>,
    id: UserPath,
    call: ApiCall,
) -> Result<Response, ApiError> {
    let user = call.user_id(&id)?;
    let tenant_id = call.tenant.tenant_id;
    let user_ref = state.audit.user_ref(tenant_id, &user);
    let erased = state
        .db
        .erase_user(tenant_id, &user, &user_ref, |erased| {
            state.audit.entry(
                &call.tenant,
                Some(&user),
                Action::Erase,
                serde_json::to_value(erased).unwrap_or(Value::Null),
                state.clock.now_millis(),
            )
        })
        .await?;
    Ok(done(json!({ "erased": erased, "total": erased.total() })))
}

/// `GET /privacy/audit/{id}`.
pub async fn user_audit(
    State(state): State<AppState>,
    id: UserPath,
    call: ApiCall,
) -> Result<Response, ApiError> {
    let user = call.user_id(&id)?;
    let tenant_id = call.tenant.tenant_id;
    let records = state
        .db
        .audit()
        .of_user(tenant_id, &state.audit.user_ref(tenant_id, &user))
        .await?;
    Ok(done(json!({ "records": records })))
}
