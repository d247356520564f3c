//! The rules of booking verifications, once for both databases: what a booking answers (the
//! user deleted meanwhile, the daily cap, a replayed probe) and what it writes (replay
//! digests, the day's counter, the use of the user's enrolments) are worked out by [`plan`],
//! a function over a [`Snapshot`] of what the database holds. Both backends read the snapshot,
//! plan and write what the plan says:
//! * SQLite: many bookings per transaction under the single writer's lock
//!   ([`super::booking_queue`]);
//! * PostgreSQL: one booking per transaction, the user's row locked (`FOR UPDATE`) before the
//!   snapshot is read, so concurrent bookings and enrolments of the user, in this process or
//!   another, wait for it ([`book_alone`]).

use std::collections::{HashMap, HashSet};

use sqlx::{AnyConnection, Row};

use super::enrolments::{utc_day, Booking, VerifyRefusal};

/// Rows per statement, well below SQLite's 32 766 bound variables.
pub(super) const ROWS_PER_STATEMENT: usize = 500;

/// What the database holds for a batch before it runs.
#[derive(Debug, Default)]
pub(super) struct Snapshot {
    /// `(verify_day, verify_count)` of each of the batch's users that still exists.
    counters: HashMap<i64, (i64, i64)>,
    /// Whether each of the batch's stored digests was enrolled (`false`: seen by verify).
    digests: HashMap<(i64, String), bool>,
}

/// Reads the batch's users and stored digests: one statement (one round trip) unless the
/// batch is large enough to need several.
pub(super) async fn read_snapshot(
    conn: &mut AnyConnection,
    bookings: &[&Booking],
) -> Result<Snapshot, sqlx::Error> {
    let mut users: Vec<i64> = bookings.iter().map(|b| b.user_id).collect();
    users.sort_unstable();
    users.dedup();
    let mut digests: Vec<(i64, &str)> = bookings
        .iter()
        .filter(|b| b.replay_protection)
        .flat_map(|b| b.digests.iter().map(|d| (b.user_id, d.as_str())))
        .collect();
    digests.sort_unstable();
    digests.dedup();
    let mut user_chunks = users.chunks(ROWS_PER_STATEMENT);
    let mut digest_chunks = digests.chunks(ROWS_PER_STATEMENT);
    let mut snapshot = Snapshot::default();
    loop {
        let (users, digests) = (user_chunks.next(), digest_chunks.next());
        if users.is_none() && digests.is_none() {
            return Ok(snapshot);
        }
        let users = users.unwrap_or_default();
        let digests = digests.unwrap_or_default();
        // User rows have no digest; digest rows no counters. A join with the VALUES list, not
        // `(user_id, digest) IN (VALUES ...)`, which SQLite answers with a table scan.
        let mut parts = Vec::new();
        if !users.is_empty() {
            parts.push(format!(
                "SELECT id AS user_id, verify_day, verify_count, NULL AS digest, NULL AS source \
                 FROM users WHERE id IN ({})",
                placeholders(users.len(), 1, 0)
            ));
        }
        if !digests.is_empty() {
            parts.push(format!(
                "SELECT p.user_id, 0 AS verify_day, 0 AS verify_count, p.digest, p.source \
                 FROM (VALUES {}) v \
                 JOIN pattern_digests p ON p.user_id = v.column1 AND p.digest = v.column2",
                placeholders(digests.len(), 2, users.len())
            ));
        }
        let sql = parts.join(" UNION ALL ");
        let mut query = sqlx::query(&sql).persistent(false);
        for id in users {
            query = query.bind(*id);
        }
        for (user_id, digest) in digests {
            query = query.bind(*user_id).bind(*digest);
        }
        for row in query.fetch_all(&mut *conn).await? {
            let user_id: i64 = row.try_get("user_id")?;
            match row.try_get::<Option<String>, _>("digest")? {
                None => {
                    let counter = (row.try_get("verify_day")?, row.try_get("verify_count")?);
                    snapshot.counters.insert(user_id, counter);
                }
                Some(digest) => {
                    let source: String = row.try_get("source")?;
                    snapshot
                        .digests
                        .insert((user_id, digest), source == "enrol");
                }
            }
        }
    }
}

/// A batch's answers and its writes.
#[derive(Debug, PartialEq)]
pub(super) struct Plan<'a> {
    pub(super) answers: Vec<Result<(), VerifyRefusal>>,
    new_digests: Vec<(i64, &'a str)>,
    /// `(user_id, verify_day, verify_count)` to store.
    counters: Vec<(i64, i64, i64)>,
    /// Users with a booking done: their enrolments were used.
    used: Vec<i64>,
}

/// What booking `bookings` one after another from `snapshot` answers and writes: the user
/// deleted meanwhile (not in the snapshot), the daily
/// cap (57), then the newest probe enrolled (2) or sent for verification before (5), also
/// earlier in the same call or batch. Earlier probes may repeat (dual pass).
pub(super) fn plan<'a>(bookings: &[&'a Booking], snapshot: &Snapshot, today: i64) -> Plan<'a> {
    let mut counters = snapshot.counters.clone();
    let mut counted: Vec<i64> = Vec::new();
    let mut used: Vec<i64> = Vec::new();
    // Digests added by this batch; all of them come from verify.
    let mut added: HashSet<(i64, &str)> = HashSet::new();
    let mut new_digests = Vec::new();
    let known = |added: &HashSet<(i64, &str)>, user_id: i64, digest: &str| {
        if added.contains(&(user_id, digest)) {
            Some(false)
        } else {
            snapshot
                .digests
                .get(&(user_id, digest.to_string()))
                .copied()
        }
    };
    let answers = bookings
        .iter()
        .map(|&booking| {
            let user_id = booking.user_id;
            let newest = booking.digests.last().filter(|_| booking.replay_protection);
            if booking.daily_cap == 0 && newest.is_none() && !booking.record_use {
                // Nothing to check or write (the server does not book these).
                return Ok(());
            }
            let Some(&(day, count)) = counters.get(&user_id) else {
                return Err(VerifyRefusal::UnknownUser);
            };
            if booking.daily_cap > 0 && day == today && count >= i64::from(booking.daily_cap) {
                return Err(VerifyRefusal::LimitReached);
            }
            if let Some(newest) = newest {
                let earlier = &booking.digests[..booking.digests.len() - 1];
                let seen = known(&added, user_id, newest);
                if seen.is_some() || earlier.contains(newest) {
                    return Err(if seen == Some(true) {
                        VerifyRefusal::Duplicate
                    } else {
                        VerifyRefusal::Repeat
                    });
                }
                for digest in booking.digests.iter().rev() {
                    if known(&added, user_id, digest).is_none() {
                        added.insert((user_id, digest.as_str()));
                        new_digests.push((user_id, digest.as_str()));
                    }
                }
            }
            if booking.daily_cap > 0 {
                let count = if day == today { count + 1 } else { 1 };
                counters.insert(user_id, (today, count));
                counted.push(user_id);
            }
            used.push(user_id);
            Ok(())
        })
        .collect();
    counted.sort_unstable();
    counted.dedup();
    used.sort_unstable();
    used.dedup();
    Plan {
        answers,
        new_digests,
        used,
        counters: counted
            .into_iter()
            .map(|id| (id, counters[&id].0, counters[&id].1))
            .collect(),
    }
}

async fn insert_digests(
    conn: &mut AnyConnection,
    digests: &[(i64, &str)],
    now: i64,
) -> Result<(), sqlx::Error> {
    for chunk in digests.chunks(ROWS_PER_STATEMENT) {
        let rows: Vec<String> = (0..chunk.len())
            .map(|i| format!("(${}, ${}, 'verify', ${})", 3 * i + 1, 3 * i + 2, 3 * i + 3))
            .collect();
        let sql = format!(
            "INSERT INTO pattern_digests (user_id, digest, source, seen_at) VALUES {}",
            rows.join(", ")
        );
        let mut query = sqlx::query(&sql).persistent(false);
        for (user_id, digest) in chunk {
            query = query.bind(*user_id).bind(*digest).bind(now);
        }
        query.execute(&mut *conn).await?;
    }
    Ok(())
}

async fn update_counters(
    conn: &mut AnyConnection,
    counters: &[(i64, i64, i64)],
) -> Result<(), sqlx::Error> {
    for chunk in counters.chunks(ROWS_PER_STATEMENT) {
        let sql = format!(
            "UPDATE users SET verify_day = v.column2, verify_count = v.column3 \
             FROM (VALUES {}) v WHERE users.id = v.column1",
            placeholders(chunk.len(), 3, 0)
        );
        let mut query = sqlx::query(&sql).persistent(false);
        for (user_id, day, count) in chunk {
            query = query.bind(*user_id).bind(*day).bind(*count);
        }
        query.execute(&mut *conn).await?;
    }
    Ok(())
}

/// Notes the bookings as uses of the users' enrolments, like
/// an enrolment does (only where the last use is stale).
async fn record_uses(conn: &mut AnyConnection, users: &[i64], now: i64) -> Result<(), sqlx::Error> {
    for chunk in users.chunks(ROWS_PER_STATEMENT) {
        let sql = format!(
            "UPDATE users SET last_used_at = $1 WHERE last_used_at < $2 AND id IN ({})",
            placeholders(chunk.len(), 1, 2)
        );
        let mut query = sqlx::query(&sql)
            .persistent(false)
            .bind(now)
            .bind(now - super::enrolments::LAST_USE_PRECISION_MS);
        for user_id in chunk {
            query = query.bind(*user_id);
        }
        query.execute(&mut *conn).await?;
    }
    Ok(())
}

/// `rows` groups of `width` numbered placeholders after the first `skip`: `($1, $2), ($3, $4)`
/// for 2 rows of width 2, or `$1, $2` for width 1.
fn placeholders(rows: usize, width: usize, skip: usize) -> String {
    let group = |row: usize| -> String {
        let names: Vec<String> = (1..=width)
            .map(|c| format!("${}", skip + row * width + c))
            .collect();
        names.join(", ")
    };
    let groups: Vec<String> = (0..rows)
        .map(|row| {
            if width == 1 {
                group(row)
            } else {
                format!("({})", group(row))
            }
        })
        .collect();
    groups.join(", ")
}

/// Writes what `plan` says.
pub(super) async fn apply(
    conn: &mut AnyConnection,
    plan: &Plan<'_>,
    now: i64,
) -> Result<(), sqlx::Error> {
    insert_digests(conn, &plan.new_digests, now).await?;
    update_counters(conn, &plan.counters).await?;
    record_uses(conn, &plan.used, now).await
}

/// Books one verification in the transaction `conn` (PostgreSQL's path, and the reference the
/// SQLite batches are tested against). With `lock_user`, the user's row is locked first
/// (PostgreSQL; SQLite's writer lock already excludes every other writer). A refusal writes
/// nothing.
pub(super) async fn book_alone(
    conn: &mut AnyConnection,
    booking: &Booking,
    now: i64,
    lock_user: bool,
) -> Result<Result<(), VerifyRefusal>, sqlx::Error> {
    if lock_user {
        sqlx::query("SELECT id FROM users WHERE id = $1 FOR UPDATE")
            .bind(booking.user_id)
            .fetch_optional(&mut *conn)
            .await?;
    }
    let bookings = [booking];
    let snapshot = read_snapshot(conn, &bookings).await?;
    let plan = plan(&bookings, &snapshot, utc_day(now));
    apply(conn, &plan, now).await?;
    Ok(plan.answers[0])
}

#[cfg(test)]
pub(super) mod tests {
    use super::*;

    /// A booking of `user_id`'s probes `digests` (the newest last), no use recorded.
    pub(in crate::db) fn booking(
        user_id: i64,
        digests: &[&str],
        replay_protection: bool,
        cap: u32,
    ) -> Booking {
        Booking {
            user_id,
            digests: digests.iter().map(|d| d.to_string()).collect(),
            replay_protection,
            daily_cap: cap,
            record_use: false,
        }
    }

    #[test]
    fn a_batch_refuses_what_an_earlier_booking_of_the_same_batch_recorded() {
        let today = 20_000;
        let snapshot = Snapshot {
            counters: HashMap::from([(1, (today, 0)), (2, (today - 1, 9))]),
            digests: HashMap::from([((1, "enrolled".to_string()), true)]),
        };
        let bookings = [
            booking(1, &["a"], true, 0),
            booking(1, &["a"], true, 0),
            booking(1, &["enrolled"], true, 0),
            booking(2, &["a"], true, 2),
            booking(2, &["b", "c"], true, 2),
            booking(2, &["d"], true, 2),
            booking(1, &["c", "c"], true, 0),
            booking(3, &["e"], true, 0),
        ];
        let refs: Vec<&Booking> = bookings.iter().collect();
        let plan = plan(&refs, &snapshot, today);
        use VerifyRefusal::*;
        assert_eq!(
            plan.answers,
            vec![
                Ok(()),
                Err(Repeat),
                Err(Duplicate),
                Ok(()),
                Ok(()),
                Err(LimitReached),
                Err(Repeat),
                Err(UnknownUser),
            ]
        );
        assert_eq!(
            plan.new_digests,
            vec![(1, "a"), (2, "a"), (2, "c"), (2, "b")]
        );
        assert_eq!(plan.counters, vec![(2, today, 2)]);
        assert_eq!(plan.used, vec![1, 2]);
    }

    #[test]
    fn placeholders_are_numbered_across_groups() {
        assert_eq!(placeholders(3, 1, 0), "$1, $2, $3");
        assert_eq!(placeholders(2, 2, 3), "($4, $5), ($6, $7)");
    }
}
