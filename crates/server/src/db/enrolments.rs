//! Users, their enrolled patterns (kept in buckets) and the replay-protection digests: the
//! types, and the writes (enrol, book a verification, delete, rename). The reads are in
//! [`super::enrolled_patterns`].

use std::sync::Arc;

use keycadence_core::pattern::Pattern;
use sqlx::any::AnyArguments;
use sqlx::query::Query;
use sqlx::{Any, Row};

use super::bookings::book_alone;
use super::{Backend, Db};

/// Where an enrolment is kept and what it is compared with (only patterns of one bucket match):
/// device class, pattern type, text id (0 for type 0) and mobile typing position (0 when unknown).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Bucket {
    pub is_mobile: bool,
    pub kind: i64,
    pub text_id: i64,
    pub position: i64,
}

/// A pattern ready to store: its canonical text (stored sealed) and the SHA-256 digest used
/// against replays.
#[derive(Clone, Debug)]
pub struct NewPattern {
    pub bucket: Bucket,
    pub text: String,
    pub digest: String,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum EnrolOutcome {
    /// Stored; the bucket now holds this many patterns.
    Stored { bucket_count: u64 },
    /// At least one pattern was enrolled before (or repeated in the call): nothing stored.
    Duplicate,
    /// The user is new and the tenant has reached its user cap: nothing stored.
    UserLimitReached,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum VerifyRefusal {
    /// The newest pattern is an enrolled one (code 2).
    Duplicate,
    /// The newest pattern was sent for verification before (code 5).
    Repeat,
    /// The user's verifications for today are used up (code 57).
    LimitReached,
    /// The user was deleted after their enrolments were read: the request is answered as one
    /// that arrived after the delete, and nothing is booked.
    UnknownUser,
}

/// One verification to book: counted against the daily cap (when `daily_cap` is not 0) and,
/// with replay protection, its probes' digests recorded (the newest last).
#[derive(Clone, Debug)]
pub struct Booking {
    pub user_id: i64,
    pub digests: Vec<String>,
    pub replay_protection: bool,
    pub daily_cap: u32,
    /// Record the verification as a use of the user's enrolments (for retention) even when
    /// neither the cap nor replay protection books anything else.
    pub record_use: bool,
}

/// A user's id and the newest enrolled patterns of one bucket, oldest first.
#[derive(Clone, Debug)]
pub struct Enrolled {
    pub user_id: i64,
    pub patterns: Arc<[Pattern]>,
}

/// Filters of `GET`/`DELETE /user` (pattern types, text id, device class); `None` means "any".
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PatternFilter {
    pub kinds: Option<Vec<u8>>,
    pub text_id: Option<i64>,
    pub is_mobile: Option<bool>,
}

impl PatternFilter {
    pub fn is_everything(&self) -> bool {
        self.kinds.is_none() && self.text_id.is_none() && self.is_mobile.is_none()
    }

    /// The WHERE conditions after `user_id = $1`; kinds are small validated integers written
    /// inline, the text id is bound as `$2`.
    pub(super) fn conditions(&self) -> String {
        let mut sql = String::new();
        if let Some(kinds) = &self.kinds {
            let list: Vec<String> = kinds.iter().map(|k| k.to_string()).collect();
            sql.push_str(&format!(" AND kind IN ({})", list.join(",")));
        }
        if self.text_id.is_some() {
            sql.push_str(" AND text_id = $2");
        }
        if let Some(mobile) = self.is_mobile {
            sql.push_str(if mobile {
                " AND is_mobile = 1"
            } else {
                " AND is_mobile = 0"
            });
        }
        sql
    }
}

/// Per device class pattern counts for `GET /user`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct PatternCounts {
    pub desktop: u64,
    pub mobile: u64,
}

pub(super) const BUCKET_WHERE: &str =
    "user_id = $1 AND is_mobile = $2 AND kind = $3 AND text_id = $4 AND position = $5";

/// Binds a bucket's columns, in the order of [`BUCKET_WHERE`] (`is_mobile`, `kind`, `text_id`,
/// `position`), as a query's next four parameters.
pub(super) trait BindBucket {
    fn bind_bucket(self, bucket: Bucket) -> Self;
}

impl<'q> BindBucket for Query<'q, Any, AnyArguments<'q>> {
    fn bind_bucket(self, bucket: Bucket) -> Self {
        self.bind(bucket.is_mobile as i64)
            .bind(bucket.kind)
            .bind(bucket.text_id)
            .bind(bucket.position)
    }
}

pub(super) fn utc_day(millis: i64) -> i64 {
    millis.div_euclid(86_400_000)
}

/// Enrolled patterns as stored: the view [`Db::patterns`] gives (writes here, reads in
/// `enrolled_patterns`).
#[derive(Clone, Copy)]
pub struct PatternStore<'a> {
    pub(super) db: &'a Db,
}

/// Users (a tenant's external ids) as stored: the view [`Db::users`] gives.
#[derive(Clone, Copy)]
pub struct UserStore<'a> {
    db: &'a Db,
}

impl Db {
    /// Enrolled patterns.
    pub fn patterns(&self) -> PatternStore<'_> {
        PatternStore { db: self }
    }

    /// Users.
    pub fn users(&self) -> UserStore<'_> {
        UserStore { db: self }
    }

    /// Books one verification by the booking rules (`db::bookings`). On SQLite the booking joins
    /// the batches of the process's booking writer; on PostgreSQL, whose writers do not exclude
    /// each other (and whose batches could deadlock across server processes), it has a
    /// transaction of its own.
    pub async fn book_verification(
        &self,
        mut booking: Booking,
        now: i64,
    ) -> Result<Result<(), VerifyRefusal>, sqlx::Error> {
        if !booking.replay_protection && booking.daily_cap == 0 && !booking.record_use {
            return Ok(Ok(()));
        }
        booking.digests = booking
            .digests
            .iter()
            .map(|digest| self.keyed_digest(digest))
            .collect::<Result<_, _>>()?;
        if let Some(sqlite) = &self.sqlite {
            return sqlite.bookings.book(booking, now).await;
        }
        let mut w = self.begin_write().await?;
        let outcome = book_alone(&mut w.tx, &booking, now, true).await?;
        w.commit().await?;
        Ok(outcome)
    }
}

impl PatternStore<'_> {
    /// Stores patterns (all of one bucket) for a user, creating the user if needed, refusing
    /// the whole call when any pattern was enrolled before, and rotating the oldest patterns
    /// out of the bucket beyond `cap`. All or nothing; the rows are stamped `now`.
    pub async fn enrol(
        &self,
        tenant_id: i64,
        external_id: &str,
        patterns: &[NewPattern],
        cap: u32,
        max_users: u64,
        now: i64,
    ) -> Result<EnrolOutcome, sqlx::Error> {
        let Some(first) = patterns.first() else {
            return Ok(EnrolOutcome::Stored { bucket_count: 0 });
        };
        let bucket = first.bucket;
        let sealer = self.db.pattern_sealer()?;
        let mut w = self.db.begin_write().await?;
        // On PostgreSQL the user row stays locked against a concurrent delete until commit (a
        // delete that got there first has locked it: the lookup waits and finds no user). The
        // lock is the one the `UPDATE users` below needs, taken now: a weaker one upgraded
        // there deadlocks with a delete or booking already queued for the row (seen under load
        // in `verifications_racing_the_deletion_of_their_user_answer_without_errors`). A SQLite
        // write transaction excludes every other writer.
        let lookup = match self.db.backend() {
            Backend::Sqlite => "SELECT id FROM users WHERE tenant_id = $1 AND external_id = $2",
            Backend::Postgres => {
                "SELECT id FROM users WHERE tenant_id = $1 AND external_id = $2 FOR NO KEY UPDATE"
            }
        };
        let existing = sqlx::query(lookup)
            .bind(tenant_id)
            .bind(external_id)
            .fetch_optional(&mut *w.tx)
            .await?;
        let user_id: i64 = match existing {
            Some(row) => {
                let user_id = row.try_get("id")?;
                sqlx::query("UPDATE users SET last_used_at = $1 WHERE id = $2")
                    .bind(now)
                    .bind(user_id)
                    .execute(&mut *w.tx)
                    .await?;
                user_id
            }
            None => {
                if max_users > 0 {
                    // On PostgreSQL, enrolments of new users take turns per tenant from the
                    // count to the commit: each would otherwise count the users committed
                    // before it and see room for one more (a SQLite write transaction excludes
                    // every other writer already).
                    if self.db.backend() == Backend::Postgres {
                        sqlx::query("SELECT id FROM tenants WHERE id = $1 FOR NO KEY UPDATE")
                            .bind(tenant_id)
                            .execute(&mut *w.tx)
                            .await?;
                    }
                    let users: i64 =
                        sqlx::query("SELECT COUNT(*) AS n FROM users WHERE tenant_id = $1")
                            .bind(tenant_id)
                            .fetch_one(&mut *w.tx)
                            .await?
                            .try_get("n")?;
                    if users as u64 >= max_users {
                        w.rollback().await?;
                        return Ok(EnrolOutcome::UserLimitReached);
                    }
                }
                // The new user's last use is now. A concurrent call may have created the user
                // meanwhile (PostgreSQL): the conflict updates that row instead, which locks it
                // until commit as the lookup above would have, and returns its id.
                sqlx::query(
                    "INSERT INTO users (tenant_id, external_id, created_at, last_used_at) \
                     VALUES ($1, $2, $3, $3) ON CONFLICT (tenant_id, external_id) \
                     DO UPDATE SET last_used_at = excluded.last_used_at RETURNING id",
                )
                .bind(tenant_id)
                .bind(external_id)
                .bind(now)
                .fetch_one(&mut *w.tx)
                .await?
                .try_get("id")?
            }
        };
        for pattern in patterns {
            let digest = self.db.keyed_digest(&pattern.digest)?;
            // A digest first seen on /verify may be enrolled (e.g. after a fallback factor);
            // an already enrolled one may not.
            let claimed = sqlx::query(
                "INSERT INTO pattern_digests (user_id, digest, source, seen_at) VALUES ($1, $2, 'enrol', $3) \
                 ON CONFLICT (user_id, digest) DO UPDATE SET source = 'enrol', seen_at = $3 \
                 WHERE pattern_digests.source <> 'enrol'",
            )
            .bind(user_id)
            .bind(&digest)
            .bind(now)
            .execute(&mut *w.tx)
            .await?;
            if claimed.rows_affected() == 0 {
                w.rollback().await?;
                return Ok(EnrolOutcome::Duplicate);
            }
            let sealed = sealer.seal(&pattern.text, tenant_id, user_id, pattern.bucket);
            // `pattern` is a column of plain texts from before migration 6; always '' now.
            sqlx::query(
                "INSERT INTO patterns (user_id, is_mobile, kind, text_id, position, pattern, sealed, \
                 key_id, digest, created_at) VALUES ($1, $2, $3, $4, $5, '', $6, $7, $8, $9)",
            )
            .bind(user_id)
            .bind_bucket(pattern.bucket)
            .bind(sealed.sealed)
            .bind(sealed.key_id)
            .bind(&digest)
            .bind(now)
            .execute(&mut *w.tx)
            .await?;
        }
        let rotate = format!(
            "DELETE FROM patterns WHERE id IN (SELECT id FROM patterns WHERE {BUCKET_WHERE} \
             ORDER BY id DESC LIMIT 1000000000 OFFSET $6)"
        );
        sqlx::query(&rotate)
            .bind(user_id)
            .bind_bucket(bucket)
            .bind(cap as i64)
            .execute(&mut *w.tx)
            .await?;
        let count: i64 = sqlx::query(&format!(
            "SELECT COUNT(*) AS n FROM patterns WHERE {BUCKET_WHERE}"
        ))
        .bind(user_id)
        .bind_bucket(bucket)
        .fetch_one(&mut *w.tx)
        .await?
        .try_get("n")?;
        w.commit().await?;
        Ok(EnrolOutcome::Stored {
            bucket_count: count as u64,
        })
    }

    /// Deletes the user's patterns matching `filter`; with no filter the user disappears
    /// entirely (patterns, replay digests and the user row). Returns the patterns removed.
    pub async fn delete(&self, user_id: i64, filter: &PatternFilter) -> Result<u64, sqlx::Error> {
        let mut w = self.db.begin_write().await?;
        if filter.is_everything() && self.db.backend() == Backend::Postgres {
            // The user row is locked first, so that no booking or enrolment adds a row that
            // refers to it between the deletes below (the user's delete would then fail): they
            // wait, and then find no user. A SQLite write transaction excludes them anyway.
            sqlx::query("SELECT id FROM users WHERE id = $1 FOR UPDATE")
                .bind(user_id)
                .execute(&mut *w.tx)
                .await?;
        }
        let sql = format!(
            "DELETE FROM patterns WHERE user_id = $1{}",
            filter.conditions()
        );
        let mut query = sqlx::query(&sql).bind(user_id);
        if let Some(text_id) = filter.text_id {
            query = query.bind(text_id);
        }
        let deleted = query.execute(&mut *w.tx).await?.rows_affected();
        if filter.is_everything() {
            sqlx::query("DELETE FROM pattern_digests WHERE user_id = $1")
                .bind(user_id)
                .execute(&mut *w.tx)
                .await?;
            sqlx::query("DELETE FROM users WHERE id = $1")
                .bind(user_id)
                .execute(&mut *w.tx)
                .await?;
        }
        w.commit().await?;
        Ok(deleted)
    }
}

impl UserStore<'_> {
    pub async fn find(
        &self,
        tenant_id: i64,
        external_id: &str,
    ) -> Result<Option<i64>, sqlx::Error> {
        let row = sqlx::query("SELECT id FROM users WHERE tenant_id = $1 AND external_id = $2")
            .bind(tenant_id)
            .bind(external_id)
            .fetch_optional(self.db.pool())
            .await?;
        row.map(|r| r.try_get("id")).transpose()
    }

    /// Renames a user. `Ok(false)` when the new id is taken.
    pub async fn rename(
        &self,
        user_id: i64,
        tenant_id: i64,
        new_external_id: &str,
    ) -> Result<bool, sqlx::Error> {
        let mut w = self.db.begin_write().await?;
        let taken = sqlx::query("SELECT id FROM users WHERE tenant_id = $1 AND external_id = $2")
            .bind(tenant_id)
            .bind(new_external_id)
            .fetch_optional(&mut *w.tx)
            .await?
            .is_some();
        if taken {
            w.rollback().await?;
            return Ok(false);
        }
        sqlx::query("UPDATE users SET external_id = $1 WHERE id = $2")
            .bind(new_external_id)
            .bind(user_id)
            .execute(&mut *w.tx)
            .await?;
        w.commit().await?;
        Ok(true)
    }
}

/// How stale `users.last_used_at` may get before a booking updates it: retention counts in
/// days, and most bookings then write no user row.
pub(super) const LAST_USE_PRECISION_MS: i64 = 3_600_000;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn filters_build_conditions_with_inline_kinds_and_bound_text_id() {
        let f = PatternFilter {
            kinds: Some(vec![1, 2]),
            text_id: Some(7),
            is_mobile: Some(false),
        };
        assert_eq!(
            f.conditions(),
            " AND kind IN (1,2) AND text_id = $2 AND is_mobile = 0"
        );
        assert!(PatternFilter::default().is_everything());
        assert_eq!(utc_day(86_400_000 * 3 + 5), 3);
    }
}
