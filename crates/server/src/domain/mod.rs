//! The Authentication API's service: what the endpoints do, over domain types and independent
//! of HTTP. Handlers parse the request, call one function here and map the outcome it returns
//! to the wire (`crate::response`); failures are the family's [`ErrorCode`]s.

pub mod decision;
pub mod matching;
pub mod submission;

use std::sync::Arc;

use keycadence_core::matcher::MIN_SAME_TEXT_ENROLMENTS;
use keycadence_core::pattern::Pattern;

use crate::auth::Tenant;
use crate::clock::Clock;
use crate::db::enrolments::{
    Booking, Bucket, EnrolOutcome, Enrolled, PatternCounts, PatternFilter, VerifyRefusal,
};
use crate::db::Db;
use crate::error::ErrorCode;
use decision::{decide, Decision, Endpoint};
use matching::MatchFailure;
pub use matching::Verification;
use submission::Submission;

/// The store, the authenticated tenant a call runs for and the clock it reads.
pub struct Ctx<'a> {
    pub db: &'a Db,
    pub tenant: &'a Tenant,
    pub clock: &'a Clock,
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

/// What `/save` did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SaveOutcome {
    Stored,
    /// A pattern was enrolled before (or repeated in the call): nothing stored.
    Duplicate,
}

/// What `/verify` or `/auto` did.
#[derive(Clone, Debug, PartialEq)]
pub enum VerifyOutcome {
    /// `position_only`: the typing positions the probe was detected in.
    Positions(Bucket),
    /// `device_similarity_only`: how alike the devices are, nothing booked.
    DeviceSimilarity(f64),
    /// Nothing enrolled to compare with; `other_positions` when a mobile user has enrolments in
    /// other typing positions.
    NothingToCompare {
        other_positions: bool,
    },
    /// The probe repeats a pattern of the same call or an enrolment.
    Duplicate,
    /// The probe was verified before (replay protection).
    PreviouslyVerified,
    /// Too few enrolments to verify, and this endpoint does not enrol.
    NotEnoughEnrolments,
    /// Enrolled instead of verified.
    Enrolled(EnrolOnly),
    Verified(Verified),
}

/// The enrolment of a call that only enrols.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum EnrolOnly {
    /// Stored; `ready` when the bucket now has the minimum enrolments to verify.
    Stored {
        ready: bool,
    },
    Duplicate,
}

/// A verification's result.
#[derive(Clone, Debug, PartialEq)]
pub struct Verified {
    pub verification: Verification,
    /// The decision: the tenant's net-score threshold when set, the matcher's otherwise.
    pub result: bool,
    /// Enrolments compared with.
    pub previous: usize,
    /// The decision could enrol the probe (`/auto` past the minimum).
    pub auto_enrol: bool,
    pub enrolled_now: bool,
    pub bucket: Bucket,
}

/// What `/changeuser` did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ChangeOutcome {
    Renamed,
    UnknownUser,
}

/// What `/match` found.
#[derive(Clone, Debug, PartialEq)]
pub enum MatchOutcome {
    Compared(Verification),
    NothingComparable,
}

/// `POST /save/{id}`: store all patterns or none.
pub async fn save(ctx: &Ctx<'_>, user: &str, tp: &str) -> Result<SaveOutcome, ErrorCode> {
    let max = ctx.tenant.settings.max_patterns_per_bucket as usize;
    if submission::count_patterns(tp) > max {
        return Err(ErrorCode::TooManyPatterns);
    }
    let sub = submission::parse(tp)?;
    Ok(match enrol(ctx, user, &sub).await? {
        EnrolOutcome::Stored { .. } => SaveOutcome::Stored,
        _ => SaveOutcome::Duplicate,
    })
}

/// `POST /verify/{id}` and `POST /auto/{id}`: the enrol/verify decision, then enrol, verify or
/// both.
pub async fn verify(
    ctx: &Ctx<'_>,
    endpoint: Endpoint,
    user: &str,
    req: &VerifyRequest,
) -> Result<VerifyOutcome, ErrorCode> {
    let settings = &ctx.tenant.settings;
    if submission::count_patterns(&req.tp) > settings.max_patterns_per_verify as usize {
        return Err(ErrorCode::TooManyPatterns);
    }
    let sub = submission::parse(&req.tp)?;
    let quality = effective_quality(req.quality, settings.default_quality);
    if endpoint == Endpoint::Verify && req.position_only {
        return Ok(VerifyOutcome::Positions(sub.bucket));
    }
    let (user_id, enrolled) = match ctx
        .db
        .patterns()
        .enrolled(
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
        return match matching::compare(&enrolled, &sub.patterns, quality) {
            Ok(v) => Ok(VerifyOutcome::DeviceSimilarity(v.device_similarity)),
            Err(MatchFailure::NothingComparable) => {
                nothing_to_compare(ctx, user_id, sub.bucket).await
            }
            Err(MatchFailure::Refused(code)) => Err(code),
        };
    }
    match decide(endpoint, enrolled.len() as u64, settings) {
        Decision::Verify { enrol_at_score } => {
            let Some(user_id) = user_id else {
                return nothing_to_compare(ctx, None, sub.bucket).await;
            };
            let replay_protection = !settings.allow_identical_on_verify;
            let booked = ctx
                .db
                .book_verification(
                    Booking {
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
                    },
                    ctx.clock.now_millis(),
                )
                .await?;
            match booked {
                Ok(()) => {}
                Err(VerifyRefusal::Duplicate) => return Ok(VerifyOutcome::Duplicate),
                Err(VerifyRefusal::Repeat) => return Ok(VerifyOutcome::PreviouslyVerified),
                Err(VerifyRefusal::LimitReached) => return Err(ErrorCode::VerificationLimit),
                Err(VerifyRefusal::UnknownUser) => {
                    // Deleted since its enrolments were read: the answer of a request that
                    // arrived after the delete.
                    let decision = decide(endpoint, 0, settings);
                    return without_verifying(ctx, user, &sub, decision, None).await;
                }
            }
            let verification = match matching::compare(&enrolled, &sub.patterns, quality) {
                Ok(v) => v,
                Err(MatchFailure::NothingComparable) => {
                    return nothing_to_compare(ctx, Some(user_id), sub.bucket).await
                }
                Err(MatchFailure::Refused(code)) => return Err(code),
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
            Ok(VerifyOutcome::Verified(Verified {
                verification,
                result,
                previous: enrolled.len(),
                auto_enrol: enrol_at_score.is_some(),
                enrolled_now,
                bucket: sub.bucket,
            }))
        }
        decision => without_verifying(ctx, user, &sub, decision, user_id).await,
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
) -> Result<Arc<[Pattern]>, ErrorCode> {
    let Some(user_id) = user_id else {
        return Ok(same_text);
    };
    if bucket.kind != 2 || bucket.is_mobile || same_text.len() >= MIN_SAME_TEXT_ENROLMENTS {
        return Ok(same_text);
    }
    let limit = ctx.tenant.settings.max_patterns_per_bucket;
    let any_text = ctx
        .db
        .patterns()
        .short_text(ctx.tenant.tenant_id, user_id, bucket, limit)
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
    user: &str,
    sub: &Submission,
    decision: Decision,
    user_id: Option<i64>,
) -> Result<VerifyOutcome, ErrorCode> {
    match decision {
        Decision::RefuseNotEnough => Ok(VerifyOutcome::NotEnoughEnrolments),
        Decision::Enrol => Ok(VerifyOutcome::Enrolled(enrol_only(ctx, user, sub).await?)),
        // Verify is not decided without enrolments (the minimum is at least 1).
        Decision::NothingToCompare | Decision::Verify { .. } => {
            nothing_to_compare(ctx, user_id, sub.bucket).await
        }
    }
}

async fn enrol_only(ctx: &Ctx<'_>, user: &str, sub: &Submission) -> Result<EnrolOnly, ErrorCode> {
    let minimum = u64::from(ctx.tenant.settings.min_initial_enrollments);
    Ok(match enrol(ctx, user, sub).await? {
        EnrolOutcome::Stored { bucket_count } => EnrolOnly::Stored {
            ready: bucket_count >= minimum,
        },
        _ => EnrolOnly::Duplicate,
    })
}

async fn enrol(ctx: &Ctx<'_>, user: &str, sub: &Submission) -> Result<EnrolOutcome, ErrorCode> {
    let settings = &ctx.tenant.settings;
    let outcome = ctx
        .db
        .patterns()
        .enrol(
            ctx.tenant.tenant_id,
            user,
            sub.prepared(),
            settings.max_patterns_per_bucket,
            settings.max_users,
            ctx.clock.now_millis(),
        )
        .await?;
    if outcome == EnrolOutcome::UserLimitReached {
        return Err(ErrorCode::UserLimit);
    }
    Ok(outcome)
}

/// Whether a mobile user has enrolments in other typing positions (code 3) or not (code 4).
async fn nothing_to_compare(
    ctx: &Ctx<'_>,
    user_id: Option<i64>,
    bucket: Bucket,
) -> Result<VerifyOutcome, ErrorCode> {
    let other_positions = match user_id {
        Some(id) if bucket.is_mobile => {
            ctx.db.patterns().mobile_any_position(id, bucket).await? > 0
        }
        _ => false,
    };
    Ok(VerifyOutcome::NothingToCompare { other_positions })
}

/// `GET /user/{id}`: pattern counts per device class; an unknown user has none.
pub async fn check_user(
    ctx: &Ctx<'_>,
    user: &str,
    filter: &PatternFilter,
) -> Result<PatternCounts, ErrorCode> {
    Ok(
        match ctx.db.users().find(ctx.tenant.tenant_id, user).await? {
            Some(id) => ctx.db.patterns().count(id, filter).await?,
            None => PatternCounts::default(),
        },
    )
}

/// `DELETE /user/{id}`: removes the matching patterns (the whole user without filters);
/// answers how many went.
pub async fn delete_user(
    ctx: &Ctx<'_>,
    user: &str,
    filter: &PatternFilter,
) -> Result<u64, ErrorCode> {
    Ok(
        match ctx.db.users().find(ctx.tenant.tenant_id, user).await? {
            Some(id) => ctx.db.patterns().delete(id, filter).await?,
            None => 0,
        },
    )
}

/// `POST /changeuser/{id}`: code 50 when the new id is taken.
pub async fn change_user(
    ctx: &Ctx<'_>,
    user: &str,
    new_user: &str,
) -> Result<ChangeOutcome, ErrorCode> {
    let Some(id) = ctx.db.users().find(ctx.tenant.tenant_id, user).await? else {
        return Ok(ChangeOutcome::UnknownUser);
    };
    if user == new_user {
        return Ok(ChangeOutcome::Renamed);
    }
    if !ctx
        .db
        .users()
        .rename(id, ctx.tenant.tenant_id, new_user)
        .await?
    {
        return Err(ErrorCode::UserIdTaken);
    }
    Ok(ChangeOutcome::Renamed)
}

/// `POST /match`: compares `tp2` with `tp1` without storing anything. Each side may hold at
/// most `max_patterns` patterns (code 56), as a verification may: the comparison's cost grows
/// with their product. CPU-bound: call it off the async workers.
pub fn match_patterns(
    tp1: &str,
    tp2: &str,
    quality: i64,
    max_patterns: u32,
) -> Result<MatchOutcome, ErrorCode> {
    let cap = max_patterns as usize;
    if submission::count_patterns(tp1) > cap || submission::count_patterns(tp2) > cap {
        return Err(ErrorCode::TooManyPatterns);
    }
    let reference = submission::parse(tp1)?;
    let probe = submission::parse(tp2)?;
    match matching::compare(&reference.patterns, &probe.patterns, quality) {
        Ok(v) => Ok(MatchOutcome::Compared(v)),
        Err(MatchFailure::NothingComparable) => Ok(MatchOutcome::NothingComparable),
        Err(MatchFailure::Refused(code)) => Err(code),
    }
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
