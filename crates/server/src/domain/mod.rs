//! What the endpoints do, independent of HTTP: handlers parse the request, call one function
//! here and send back what it returns.

pub mod decision;
pub mod matching;
pub mod submission;

use std::sync::Arc;

use keycadence_core::matcher::MIN_SAME_TEXT_ENROLMENTS;
use keycadence_core::pattern::Pattern;

use crate::auth::Tenant;
use crate::db::enrolments::{
    Booking, Bucket, EnrolOutcome, Enrolled, PatternFilter, VerifyRefusal,
};
use crate::db::Db;
use crate::error::{ApiError, ErrorCode};
use crate::response::{whole, ApiResponse, OutcomeCode};
use decision::{decide, Decision, Endpoint};
use matching::{MatchFailure, Verification};
use submission::Submission;

/// The store and the authenticated tenant a call runs for.
pub struct Ctx<'a> {
    pub db: &'a Db,
    pub tenant: &'a Tenant,
}

#[derive(Clone, Debug, Default)]
pub struct VerifyRequest {
    pub tp: String,
    pub quality: Option<i64>,
    pub device_similarity_only: bool,
    pub position_only: bool,
}

/// `quality` clamped to 1..=3 like the official Node client; the tenant default when absent.
pub fn effective_quality(requested: Option<i64>, default: i64) -> i64 {
    requested.map_or(default, |q| q.clamp(1, 3))
}

/// `POST /save/{id}`: store all patterns or none (code 2 when any was stored before).
pub async fn save(ctx: &Ctx<'_>, user: &str, tp: &str) -> Result<ApiResponse, ApiError> {
    let max = ctx.tenant.settings.max_patterns_per_bucket as usize;
    if submission::count_patterns(tp) > max {
        return Err(ErrorCode::TooManyPatterns.into());
    }
    let sub = submission::parse(tp)?;
    Ok(match enrol(ctx, user, &sub).await? {
        EnrolOutcome::Stored { .. } => ApiResponse::outcome(OutcomeCode::Done).with_success(true),
        _ => ApiResponse::outcome(OutcomeCode::DuplicatePattern).with_success(false),
    })
}

/// `POST /verify/{id}` and `POST /auto/{id}`: the enrol/verify decision, then enrol, verify or
/// both.
pub async fn verify(
    ctx: &Ctx<'_>,
    endpoint: Endpoint,
    user: &str,
    req: &VerifyRequest,
) -> Result<ApiResponse, ApiError> {
    let settings = &ctx.tenant.settings;
    if submission::count_patterns(&req.tp) > settings.max_patterns_per_verify as usize {
        return Err(ErrorCode::TooManyPatterns.into());
    }
    let sub = submission::parse(&req.tp)?;
    let quality = effective_quality(req.quality, settings.default_quality);
    if endpoint == Endpoint::Verify && req.position_only {
        let mut response = ApiResponse::outcome(OutcomeCode::Done).with_success(true);
        response.positions = Some(submission::detected_positions(sub.bucket));
        return Ok(response);
    }
    let (user_id, enrolled) = match ctx
        .db
        .enrolled_patterns(
            ctx.tenant.tenant_id,
            user,
            sub.bucket,
            settings.max_patterns_per_bucket,
        )
        .await?
    {
        Some(Enrolled { user_id, patterns }) => (Some(user_id), patterns),
        None => (None, Arc::from(Vec::new())),
    };
    let enrolled = comparable_enrolments(ctx, user_id, sub.bucket, enrolled).await?;
    if endpoint == Endpoint::Verify && req.device_similarity_only {
        if enrolled.is_empty() {
            return nothing_to_compare(ctx, user_id, sub.bucket).await;
        }
        return Ok(match matching::compare(&enrolled, &sub.patterns, quality) {
            Ok(v) => {
                let mut response = ApiResponse::outcome(OutcomeCode::Done).with_success(true);
                response.device_similarity = Some(whole(v.device_similarity));
                response
            }
            Err(MatchFailure::NothingComparable) => {
                nothing_to_compare(ctx, user_id, sub.bucket).await?
            }
            Err(MatchFailure::Refused(code)) => return Err(code.into()),
        });
    }
    match decide(endpoint, enrolled.len() as u64, settings) {
        Decision::Verify { enrol_at_score } => {
            let Some(user_id) = user_id else {
                return nothing_to_compare(ctx, None, sub.bucket).await;
            };
            let replay_protection = !settings.allow_identical_on_verify;
            let booked = ctx
                .db
                .book_verification(Booking {
                    user_id,
                    // Digests cost a canonical print and a hash: only when they are checked.
                    digests: if replay_protection {
                        sub.digests()
                    } else {
                        Vec::new()
                    },
                    replay_protection,
                    daily_cap: settings.max_verifications_per_user_per_day,
                    record_use: settings.enrolment_retention_days > 0,
                })
                .await?;
            match booked {
                Ok(()) => {}
                Err(VerifyRefusal::Duplicate) => {
                    return Ok(
                        ApiResponse::outcome(OutcomeCode::DuplicatePattern).with_success(false)
                    )
                }
                Err(VerifyRefusal::Repeat) => {
                    return Ok(
                        ApiResponse::outcome(OutcomeCode::PreviouslyVerified).with_success(false)
                    )
                }
                Err(VerifyRefusal::LimitReached) => return Err(ErrorCode::VerificationLimit.into()),
                Err(VerifyRefusal::UnknownUser) => {
                    // Deleted since its enrolments were read: the answer of a request that
                    // arrived after the delete.
                    let decision = decide(endpoint, 0, settings);
                    return without_verifying(ctx, endpoint, user, &sub, decision, None).await;
                }
            }
            let verification = match matching::compare(&enrolled, &sub.patterns, quality) {
                Ok(v) => v,
                Err(MatchFailure::NothingComparable) => {
                    return nothing_to_compare(ctx, Some(user_id), sub.bucket).await
                }
                Err(MatchFailure::Refused(code)) => return Err(code.into()),
            };
            let result = match settings.result_threshold {
                Some(threshold) => verification.net_score >= threshold,
                None => verification.result,
            };
            let enrolled_now = match enrol_at_score {
                Some(min_score) if result && verification.score >= min_score => {
                    matches!(enrol(ctx, user, &sub).await?, EnrolOutcome::Stored { .. })
                }
                _ => false,
            };
            Ok(verified_response(
                endpoint,
                &verification,
                result,
                enrolled.len(),
                enrol_at_score.is_some(),
                enrolled_now,
                sub.bucket,
            ))
        }
        decision => without_verifying(ctx, endpoint, user, &sub, decision, user_id).await,
    }
}

/// The patterns a probe is compared with: its bucket's; or, for a desktop type-2 probe whose
/// text has fewer than [`MIN_SAME_TEXT_ENROLMENTS`] enrolments, the user's desktop type-2
/// patterns of every text when there are more of those (a freshly generated phrase is then
/// matched in the short any-text mode; mobile patterns have no such mode). The enrolment
/// count that decides between enrolling and verifying is that of the patterns returned.
async fn comparable_enrolments(
    ctx: &Ctx<'_>,
    user_id: Option<i64>,
    bucket: Bucket,
    same_text: Arc<[Pattern]>,
) -> Result<Arc<[Pattern]>, ApiError> {
    let Some(user_id) = user_id else {
        return Ok(same_text);
    };
    if bucket.kind != 2 || bucket.is_mobile || same_text.len() >= MIN_SAME_TEXT_ENROLMENTS {
        return Ok(same_text);
    }
    let limit = ctx.tenant.settings.max_patterns_per_bucket;
    let any_text = ctx
        .db
        .short_text_patterns(ctx.tenant.tenant_id, user_id, bucket, limit)
        .await?;
    Ok(if any_text.len() > same_text.len() {
        any_text.into()
    } else {
        same_text
    })
}

/// The decisions other than verifying: nothing to compare with (3 or 4), not enough
/// enrolments (9), or enrol.
async fn without_verifying(
    ctx: &Ctx<'_>,
    endpoint: Endpoint,
    user: &str,
    sub: &Submission,
    decision: Decision,
    user_id: Option<i64>,
) -> Result<ApiResponse, ApiError> {
    match decision {
        Decision::RefuseNotEnough => {
            Ok(ApiResponse::outcome(OutcomeCode::NotEnrolledNotEnough).with_success(false))
        }
        Decision::Enrol => enrol_only(ctx, endpoint, user, sub).await,
        // Verify is not decided without enrolments (the minimum is at least 1).
        Decision::NothingToCompare | Decision::Verify { .. } => {
            nothing_to_compare(ctx, user_id, sub.bucket).await
        }
    }
}

fn verified_response(
    endpoint: Endpoint,
    v: &Verification,
    result: bool,
    previous: usize,
    auto_enrol: bool,
    enrolled_now: bool,
    bucket: Bucket,
) -> ApiResponse {
    let mut response = ApiResponse::outcome(OutcomeCode::Done).with_success(true);
    response.result = Some(u8::from(result));
    response.high_confidence = Some(u8::from(v.high_confidence));
    response.mode = Some(v.mode);
    if auto_enrol {
        response.action = Some(if enrolled_now {
            "verify;enroll"
        } else {
            "verify"
        });
        response.enrollment = Some(u8::from(enrolled_now));
    }
    if endpoint == Endpoint::Verify {
        response.score = Some(whole(v.score));
        response.confidence = Some(whole(v.confidence));
        response.net_score = Some(whole(v.net_score));
        response.compared_samples = Some(v.compared_samples);
        response.previous_samples = Some(previous as u64);
        response.device_similarity = Some(whole(v.device_similarity));
        response.positions = Some(submission::detected_positions(bucket));
    }
    response
}

async fn enrol_only(
    ctx: &Ctx<'_>,
    endpoint: Endpoint,
    user: &str,
    sub: &Submission,
) -> Result<ApiResponse, ApiError> {
    let minimum = u64::from(ctx.tenant.settings.min_initial_enrollments);
    let mut response = match enrol(ctx, user, sub).await? {
        EnrolOutcome::Stored { bucket_count } => {
            let ready = bucket_count >= minimum;
            let code = if ready {
                OutcomeCode::Done
            } else {
                OutcomeCode::EnrolledNotEnough
            };
            let mut response = ApiResponse::outcome(code).with_success(endpoint == Endpoint::Auto);
            response.enrollment = Some(1);
            response.has_minimum_enrollments = Some(ready);
            response
        }
        _ => {
            let mut response =
                ApiResponse::outcome(OutcomeCode::DuplicatePattern).with_success(false);
            response.enrollment = Some(0);
            response
        }
    };
    response.action = Some("enroll");
    Ok(response)
}

async fn enrol(ctx: &Ctx<'_>, user: &str, sub: &Submission) -> Result<EnrolOutcome, ApiError> {
    let settings = &ctx.tenant.settings;
    let outcome = ctx
        .db
        .enrol(
            ctx.tenant.tenant_id,
            user,
            sub.prepared(),
            settings.max_patterns_per_bucket,
            settings.max_users,
        )
        .await?;
    if outcome == EnrolOutcome::UserLimitReached {
        return Err(ErrorCode::UserLimit.into());
    }
    Ok(outcome)
}

/// Code 3 when a mobile user has enrolments in other typing positions, code 4 otherwise.
async fn nothing_to_compare(
    ctx: &Ctx<'_>,
    user_id: Option<i64>,
    bucket: Bucket,
) -> Result<ApiResponse, ApiError> {
    let other_positions = match user_id {
        Some(id) if bucket.is_mobile => ctx.db.mobile_patterns_any_position(id, bucket).await? > 0,
        _ => false,
    };
    let code = if other_positions {
        OutcomeCode::NoPositionEnrolments
    } else {
        OutcomeCode::NoPreviousPatterns
    };
    Ok(ApiResponse::outcome(code).with_success(false))
}

/// `GET /user/{id}`: pattern counts per device class; an unknown user has none.
pub async fn check_user(
    ctx: &Ctx<'_>,
    user: &str,
    filter: &PatternFilter,
) -> Result<ApiResponse, ApiError> {
    let counts = match ctx.db.find_user(ctx.tenant.tenant_id, user).await? {
        Some(id) => ctx.db.count_patterns(id, filter).await?,
        None => Default::default(),
    };
    let mut response = ApiResponse::outcome(OutcomeCode::Done).with_success(true);
    response.count = Some(counts.desktop);
    response.mobilecount = Some(counts.mobile);
    response.pattern_type = Some(type_label(filter));
    Ok(response)
}

fn type_label(filter: &PatternFilter) -> String {
    match &filter.kinds {
        None => "All".to_string(),
        Some(kinds) => kinds
            .iter()
            .map(u8::to_string)
            .collect::<Vec<_>>()
            .join(","),
    }
}

/// `DELETE /user/{id}`: removes the matching patterns (the whole user without filters).
pub async fn delete_user(
    ctx: &Ctx<'_>,
    user: &str,
    filter: &PatternFilter,
) -> Result<ApiResponse, ApiError> {
    let deleted = match ctx.db.find_user(ctx.tenant.tenant_id, user).await? {
        Some(id) => ctx.db.delete_patterns(id, filter).await?,
        None => 0,
    };
    let mut response = ApiResponse::outcome(OutcomeCode::Done).with_success(true);
    response.deleted = Some(deleted);
    Ok(response)
}

/// `POST /changeuser/{id}`: code 50 when the new id is taken, code 4 when the user is unknown.
pub async fn change_user(
    ctx: &Ctx<'_>,
    user: &str,
    new_user: &str,
) -> Result<ApiResponse, ApiError> {
    let Some(id) = ctx.db.find_user(ctx.tenant.tenant_id, user).await? else {
        return Ok(ApiResponse::outcome(OutcomeCode::NoPreviousPatterns).with_success(false));
    };
    if user == new_user {
        return Ok(ApiResponse::outcome(OutcomeCode::Done).with_success(true));
    }
    if !ctx
        .db
        .rename_user(id, ctx.tenant.tenant_id, new_user)
        .await?
    {
        return Err(ErrorCode::UserIdTaken.into());
    }
    Ok(ApiResponse::outcome(OutcomeCode::Done).with_success(true))
}

/// `POST /match`: compares `tp2` with `tp1` without storing anything.
/// `POST /match`. Each side may hold at most `max_patterns` patterns (code 56), as a
/// verification may: the comparison's cost grows with their product. CPU-bound: call it off
/// the async workers.
pub fn match_patterns(
    tp1: &str,
    tp2: &str,
    quality: i64,
    device_similarity_only: bool,
    max_patterns: u32,
) -> Result<ApiResponse, ApiError> {
    let cap = max_patterns as usize;
    if submission::count_patterns(tp1) > cap || submission::count_patterns(tp2) > cap {
        return Err(ErrorCode::TooManyPatterns.into());
    }
    let reference = submission::parse(tp1)?;
    let probe = submission::parse(tp2)?;
    let v = match matching::compare(&reference.patterns, &probe.patterns, quality) {
        Ok(v) => v,
        Err(MatchFailure::NothingComparable) => {
            return Ok(ApiResponse::outcome(OutcomeCode::NoPreviousPatterns).with_success(false))
        }
        Err(MatchFailure::Refused(code)) => return Err(code.into()),
    };
    let mut response = ApiResponse::outcome(OutcomeCode::Done).with_success(true);
    response.device_similarity = Some(whole(v.device_similarity));
    if !device_similarity_only {
        response.result = Some(u8::from(v.result));
        response.score = Some(whole(v.score));
        response.confidence = Some(whole(v.confidence));
        response.net_score = Some(whole(v.net_score));
        response.high_confidence = Some(u8::from(v.high_confidence));
        response.compared_samples = Some(v.compared_samples);
        response.mode = Some(v.mode);
    }
    Ok(response)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quality_is_clamped_and_defaults_to_the_tenant_setting() {
        assert_eq!(effective_quality(None, 3), 3);
        assert_eq!(effective_quality(Some(0), 2), 1);
        assert_eq!(effective_quality(Some(7), 2), 3);
        assert_eq!(effective_quality(Some(2), 1), 2);
    }
}
