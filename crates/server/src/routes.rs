//! The HTTP handlers: read parameters, call the domain, return its answer.

use axum::extract::State;
use axum::http::{header, StatusCode, Uri};
use axum::response::{IntoResponse, Response};

use crate::app::AppState;
use crate::call::{ApiCall, UserPath};
use crate::db::enrolments::PatternFilter;
use crate::domain::decision::Endpoint;
use crate::domain::{self, VerifyRequest};
use crate::error::{ApiError, ErrorCode};
use crate::privacy::audit::{audited, Action};
use crate::response::{ApiResponse, OutcomeCode};

type ApiResult = Result<ApiResponse, ApiError>;

const QUALITY: &[&str] = &["quality"];
const DEVICE_SIMILARITY_ONLY: &[&str] = &["device_similarity_only", "deviceSimilarityOnly"];
const POSITION_ONLY: &[&str] = &["position_only", "positionOnly"];

fn required<'a>(call: &'a ApiCall, name: &str) -> Result<&'a str, ApiError> {
    call.params
        .get(&[name])
        .ok_or_else(|| call.error(ErrorCode::Syntax))
}

fn verify_request(call: &ApiCall) -> Result<VerifyRequest, ApiError> {
    Ok(VerifyRequest {
        tp: required(call, "tp")?.to_string(),
        quality: call
            .params
            .integer(QUALITY)
            .map_err(|code| call.error(code))?,
        device_similarity_only: call.params.flag(DEVICE_SIMILARITY_ONLY),
        position_only: call.params.flag(POSITION_ONLY),
    })
}

pub async fn save(State(state): State<AppState>, id: UserPath, call: ApiCall) -> ApiResult {
    let result = async {
        call.require_advanced()?;
        let user = call.user_id(&id)?;
        let tp = required(&call, "tp")?;
        let answer = domain::save(&call.ctx(&state), &user, tp).await;
        let answer = answer.map(ApiResponse::from).map_err(ApiError::from);
        audited(&state, &call, &user, Action::Enrol, answer).await
    }
    .await;
    call.finish(result)
}

pub async fn verify(State(state): State<AppState>, id: UserPath, call: ApiCall) -> ApiResult {
    let result = async {
        call.require_advanced()?;
        let user = call.user_id(&id)?;
        let request = verify_request(&call)?;
        let answer = domain::verify(&call.ctx(&state), Endpoint::Verify, &user, &request).await;
        let answer = answer
            .map(|outcome| ApiResponse::verify(Endpoint::Verify, outcome))
            .map_err(ApiError::from);
        audited(&state, &call, &user, Action::Verify, answer).await
    }
    .await;
    call.finish(result)
}

pub async fn auto(State(state): State<AppState>, id: UserPath, call: ApiCall) -> ApiResult {
    let result = async {
        let user = call.user_id(&id)?;
        let request = verify_request(&call)?;
        let answer = domain::verify(&call.ctx(&state), Endpoint::Auto, &user, &request).await;
        let answer = answer
            .map(|outcome| ApiResponse::verify(Endpoint::Auto, outcome))
            .map_err(ApiError::from);
        audited(&state, &call, &user, Action::Auto, answer).await
    }
    .await;
    call.finish(result)
}

/// `type` (0/1/2/all, repeatable), `textid` and `device` (all/desktop/mobile) of `/user`.
fn pattern_filter(call: &ApiCall) -> Result<PatternFilter, ApiError> {
    let mut kinds = Vec::new();
    for value in call.params.all(&["type"]) {
        for part in value.split(',').map(str::trim).filter(|p| !p.is_empty()) {
            match part.to_ascii_lowercase().as_str() {
                "all" => return filter_rest(call, None),
                "0" | "1" | "2" => kinds.push(part.as_bytes()[0] - b'0'),
                _ => return Err(call.error(ErrorCode::Syntax)),
            }
        }
    }
    kinds.sort_unstable();
    kinds.dedup();
    filter_rest(call, (!kinds.is_empty()).then_some(kinds))
}

fn filter_rest(call: &ApiCall, kinds: Option<Vec<u8>>) -> Result<PatternFilter, ApiError> {
    let text_id = call
        .params
        .integer(&["textid", "textId", "text_id"])
        .map_err(|code| call.error(code))?;
    let is_mobile = match call
        .params
        .get(&["device"])
        .map(str::to_ascii_lowercase)
        .as_deref()
    {
        None | Some("all") => None,
        Some("desktop") => Some(false),
        Some("mobile") => Some(true),
        Some(_) => return Err(call.error(ErrorCode::Syntax)),
    };
    Ok(PatternFilter {
        kinds,
        text_id,
        is_mobile,
    })
}

pub async fn check_user(State(state): State<AppState>, id: UserPath, call: ApiCall) -> ApiResult {
    let result = async {
        let user = call.user_id(&id)?;
        let filter = pattern_filter(&call)?;
        let counts = domain::check_user(&call.ctx(&state), &user, &filter).await?;
        Ok(ApiResponse::user_patterns(counts, &filter))
    }
    .await;
    call.finish(result)
}

pub async fn delete_user(State(state): State<AppState>, id: UserPath, call: ApiCall) -> ApiResult {
    let result = async {
        let user = call.user_id(&id)?;
        let filter = pattern_filter(&call)?;
        let answer = domain::delete_user(&call.ctx(&state), &user, &filter).await;
        let answer = answer.map(ApiResponse::deleted).map_err(ApiError::from);
        audited(&state, &call, &user, Action::DeletePatterns, answer).await
    }
    .await;
    call.finish(result)
}

pub async fn change_user(State(state): State<AppState>, id: UserPath, call: ApiCall) -> ApiResult {
    let result = async {
        let user = call.user_id(&id)?;
        let new_user = call
            .params
            .get(&["newuserid", "newUserId", "new_user_id"])
            .ok_or_else(|| call.error(ErrorCode::Syntax))?;
        let new_user =
            crate::user_id::validate(new_user, call.tenant.settings.reject_contact_like_user_ids)
                .map_err(|code| call.error(code))?;
        let outcome = domain::change_user(&call.ctx(&state), &user, &new_user).await?;
        Ok(outcome.into())
    }
    .await;
    call.finish(result)
}

pub async fn match_patterns(call: ApiCall) -> ApiResult {
    let result = async {
        let tp1 = required(&call, "tp1")?.to_string();
        let tp2 = required(&call, "tp2")?.to_string();
        let quality = call
            .params
            .integer(QUALITY)
            .map_err(|code| call.error(code))?;
        let settings = &call.tenant.settings;
        let quality = domain::effective_quality(quality, settings.default_quality);
        let similarity_only = call.params.flag(DEVICE_SIMILARITY_ONLY);
        let max_patterns = settings.max_patterns_per_verify;
        let outcome = tokio::task::spawn_blocking(move || {
            domain::match_patterns(&tp1, &tp2, quality, max_patterns)
        })
        .await
        .map_err(|_| ApiError::new(ErrorCode::Internal))??;
        Ok(ApiResponse::matched(outcome, similarity_only))
    }
    .await;
    call.finish(result)
}

pub async fn quote(State(state): State<AppState>, call: ApiCall) -> ApiResult {
    let result = (|| {
        let bound = |name: &str, default: usize| -> Result<usize, ApiError> {
            match call
                .params
                .integer(&[name])
                .map_err(|code| call.error(code))?
            {
                Some(n) => Ok(n.max(0) as usize),
                None => Ok(default),
            }
        };
        let min = bound("min", 0)?;
        let max = bound("max", usize::MAX)?;
        Ok(match state.quotes.pick(min, max) {
            Some(q) => {
                let mut response = ApiResponse::outcome(OutcomeCode::Done).with_success(true);
                response.quote = Some(q.text.clone());
                response.author = Some(q.author.clone());
                response
            }
            None => ApiResponse::outcome(OutcomeCode::NoMatchingQuote).with_success(false),
        })
    })();
    call.finish(result)
}

pub async fn healthz(State(state): State<AppState>) -> Response {
    let backend = format!("{:?}", state.db.backend()).to_lowercase();
    match state.db.ping().await {
        Ok(()) => {
            axum::Json(serde_json::json!({"status": "ok", "database": backend})).into_response()
        }
        Err(err) => {
            tracing::warn!(error = %err, "health check: database unreachable");
            (
                StatusCode::SERVICE_UNAVAILABLE,
                axum::Json(serde_json::json!({"status": "unavailable", "database": backend})),
            )
                .into_response()
        }
    }
}

pub async fn metrics(State(state): State<AppState>) -> Response {
    (
        [(
            header::CONTENT_TYPE,
            "application/openmetrics-text; version=1.0.0; charset=utf-8",
        )],
        state.metrics.render(),
    )
        .into_response()
}

/// Where the recorder's classic-script build is served when `--recorder-script` names it (as
/// TypingDNA serves its recorder under `/scripts/`).
pub const RECORDER_SCRIPT_PATH: &str = "/scripts/keycadence.js";

/// The configured classic-script build, read per request (a rebuilt file is served at once);
/// 404 when it cannot be read.
pub async fn recorder_script(path: std::path::PathBuf) -> Response {
    let read = {
        let path = path.clone();
        tokio::task::spawn_blocking(move || std::fs::read(path)).await
    };
    match read.map_err(std::io::Error::other).and_then(|read| read) {
        Ok(bytes) => (
            [
                (header::CONTENT_TYPE, "text/javascript; charset=utf-8"),
                (header::CACHE_CONTROL, "no-cache"),
            ],
            bytes,
        )
            .into_response(),
        Err(error) => {
            tracing::warn!(path = %path.display(), %error, "cannot read the recorder script");
            StatusCode::NOT_FOUND.into_response()
        }
    }
}

pub const OPENAPI: &str = include_str!("../assets/openapi.json");

pub async fn openapi() -> Response {
    ([(header::CONTENT_TYPE, "application/json")], OPENAPI).into_response()
}

/// Unknown paths are 38; the user endpoints without an id are 35.
pub async fn not_found(uri: Uri) -> ApiError {
    let path = uri.path().trim_end_matches('/');
    let user_endpoint = ["/save", "/verify", "/auto", "/user", "/changeuser"].contains(&path);
    ApiError::new(if user_endpoint {
        ErrorCode::InvalidUserId
    } else {
        ErrorCode::NotFound
    })
}

pub async fn method_not_allowed() -> ApiError {
    ApiError::new(ErrorCode::MethodNotAllowed)
}
