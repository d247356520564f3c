//! SQLite only: verification bookings (replay digests, daily counters) from all requests are
//! written by one task, many per transaction, in a constant number of statements per batch.
//! SQLite has a single writer, and a transaction per verification spent its time taking the
//! write lock, beginning and committing, each statement a round trip to the connection's
//! thread.
//!
//! A batch runs under `BEGIN IMMEDIATE` (SQLite's write lock, so nothing else writes while it
//! runs): it reads what the database holds for the batch's users and digests, works out in
//! memory what running the bookings one after another would answer and write ([`plan`]),
//! writes that and commits. Guarantees are those of one transaction per booking:
//! * a request hears its answer only after the transaction holding its booking committed;
//! * a pattern booked earlier in the same batch is refused later in it exactly as if it had
//!   been committed before (the plan keeps the batch's own digests and counters);
//! * a booking that refuses writes nothing;
//! * a booking whose user was deleted before the batch began (after the request read the
//!   enrolments) is refused as [`VerifyRefusal::UnknownUser`]: nothing of the batch refers to a
//!   missing user, so it does not fail the other bookings;
//! * when a statement or the commit fails, the transaction is rolled back, the first booking
//!   of the batch gets the error and the others run again in a new transaction, so no answer
//!   rests on rolled-back writes and every failure answers someone.

use std::collections::{HashMap, HashSet, VecDeque};
use std::sync::Arc;

use sqlx::{AnyConnection, AnyPool, Row};
use tokio::sync::{mpsc, oneshot, Mutex};

use super::enrolments::{utc_day, Booking, VerifyRefusal};
use super::now_millis;
use super::wal_checkpoints::WalCheckpoints;

/// Bookings per transaction at most: bounds how long other writers wait for the lock.
const MAX_BATCH: usize = 128;
/// Rows per statement, well below SQLite's 32 766 bound variables.
const ROWS_PER_STATEMENT: usize = 500;

type Answer = Result<Result<(), VerifyRefusal>, sqlx::Error>;

struct Job {
    booking: Booking,
    answer: oneshot::Sender<Answer>,
}

/// The handle requests book through; the writer task ends when the last handle is dropped.
#[derive(Clone)]
pub struct BookingQueue {
    jobs: mpsc::UnboundedSender<Job>,
}

impl BookingQueue {
    /// Starts the writer task. `writer` is the lock every SQLite write transaction of this
    /// process takes, so batches queue with the other writes instead of hitting a busy file;
    /// `checkpoints` hears of every commit.
    pub fn start(
        pool: AnyPool,
        writer: Arc<Mutex<()>>,
        checkpoints: WalCheckpoints,
    ) -> BookingQueue {
        let (jobs, queue) = mpsc::unbounded_channel();
        tokio::spawn(write_batches(pool, writer, checkpoints, queue));
        BookingQueue { jobs }
    }

    pub async fn book(&self, booking: Booking) -> Answer {
        let (answer, answered) = oneshot::channel();
        self.jobs
            .send(Job { booking, answer })
            .map_err(|_| sqlx::Error::PoolClosed)?;
        // The writer drops a job unanswered only when the runtime shuts down.
        answered.await.map_err(|_| sqlx::Error::PoolClosed)?
    }
}

async fn write_batches(
    pool: AnyPool,
    writer: Arc<Mutex<()>>,
    checkpoints: WalCheckpoints,
    mut queue: mpsc::UnboundedReceiver<Job>,
) {
    let mut pending: VecDeque<Job> = VecDeque::new();
    loop {
        if pending.is_empty() {
            match queue.recv().await {
                Some(job) => pending.push_back(job),
                None => return,
            }
        }
        let _lock = writer.lock().await;
        // Everything that arrived while the previous batch or another writer held the lock.
        while pending.len() < MAX_BATCH {
            match queue.try_recv() {
                Ok(job) => pending.push_back(job),
                Err(_) => break,
            }
        }
        let size = pending.len().min(MAX_BATCH);
        let batch: Vec<Job> = pending.drain(..size).collect();
        let again = write_batch(&pool, &checkpoints, batch).await;
        for job in again.into_iter().rev() {
            pending.push_front(job);
        }
    }
}

/// Runs one batch in one transaction and answers it; after a failure, answers the first job
/// with the error and returns the others to run again.
async fn write_batch(
    pool: &AnyPool,
    checkpoints: &WalCheckpoints,
    mut batch: Vec<Job>,
) -> Vec<Job> {
    let mut tx = match pool.begin_with("BEGIN IMMEDIATE").await {
        Ok(tx) => tx,
        Err(err) => return fail_first(batch, err),
    };
    let bookings: Vec<&Booking> = batch.iter().map(|job| &job.booking).collect();
    let written = async {
        let now = now_millis();
        let snapshot = read_snapshot(&mut tx, &bookings).await?;
        let plan = plan(&bookings, &snapshot, utc_day(now));
        insert_digests(&mut tx, &plan.new_digests, now).await?;
        update_counters(&mut tx, &plan.counters).await?;
        record_uses(&mut tx, &plan.used, now).await?;
        Ok::<_, sqlx::Error>(plan.answers)
    }
    .await;
    let answers = match written {
        Ok(answers) => answers,
        Err(err) => {
            // Before the writer lock is released, so the next writer finds the file free.
            if let Err(rollback) = tx.rollback().await {
                tracing::warn!(error = %rollback, "booking batch: rollback failed");
            }
            return fail_first(batch, err);
        }
    };
    if let Err(err) = tx.commit().await {
        return fail_first(batch, err);
    }
    checkpoints.committed();
    for (job, answer) in batch.drain(..).zip(answers) {
        // A request that has gone away leaves its booking standing.
        let _ = job.answer.send(Ok(answer));
    }
    Vec::new()
}

fn fail_first(mut batch: Vec<Job>, err: sqlx::Error) -> Vec<Job> {
    let first = batch.remove(0);
    let _ = first.answer.send(Err(err));
    batch
}

/// What the database holds for a batch before it runs.
#[derive(Debug, Default)]
struct Snapshot {
    /// `(verify_day, verify_count)` of each of the batch's users that still exists.
    counters: HashMap<i64, (i64, i64)>,
    /// Whether each of the batch's stored digests was enrolled (`false`: seen by verify).
    digests: HashMap<(i64, String), bool>,
}

/// Reads the batch's users and stored digests: one statement (one round trip) unless the
/// batch is large enough to need several.
async fn read_snapshot(
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
                "SELECT id, verify_day, verify_count, NULL, NULL FROM users WHERE id IN ({})",
                placeholders(users.len(), 1, 0)
            ));
        }
        if !digests.is_empty() {
            parts.push(format!(
                "SELECT p.user_id, 0, 0, p.digest, p.source FROM (VALUES {}) v \
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
            let user_id: i64 = row.try_get(0)?;
            match row.try_get::<Option<String>, _>(3)? {
                None => {
                    let counter = (row.try_get(1)?, row.try_get(2)?);
                    snapshot.counters.insert(user_id, counter);
                }
                Some(digest) => {
                    let source: String = row.try_get(4)?;
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
struct Plan<'a> {
    answers: Vec<Result<(), VerifyRefusal>>,
    new_digests: Vec<(i64, &'a str)>,
    /// `(user_id, verify_day, verify_count)` to store.
    counters: Vec<(i64, i64, i64)>,
    /// Users with a booking done: their enrolments were used.
    used: Vec<i64>,
}

/// What booking `bookings` one after another from `snapshot` answers and writes, by the rules
/// of [`super::enrolments::book`]: the user deleted meanwhile (not in the snapshot), the daily
/// cap (57), then the newest probe enrolled (2) or sent for verification before (5), also
/// earlier in the same call or batch. Earlier probes may repeat (dual pass).
fn plan<'a>(bookings: &[&'a Booking], snapshot: &Snapshot, today: i64) -> Plan<'a> {
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
                // Nothing to check or write (not sent to the queue by the server).
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
/// [`super::enrolments::record_use`] (only where the last use is stale).
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

#[cfg(test)]
mod tests {
    use rand::rngs::StdRng;
    use rand::{Rng, SeedableRng};

    use super::*;
    use crate::db::enrolments::book;
    use crate::db::Db;

    fn booking(user_id: i64, digests: &[&str], replay_protection: bool, cap: u32) -> Booking {
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

    async fn database(dir: &std::path::Path, name: &str) -> Db {
        let db = Db::connect(&format!("sqlite:{}", dir.join(name).display()), 2)
            .await
            .unwrap();
        let setup =
            "INSERT INTO tenants (id, name, settings, created_at) VALUES (1, 't', '{}', 0); \
             INSERT INTO users (id, tenant_id, external_id, created_at, verify_day, verify_count) \
             VALUES (1, 1, 'a', 0, 0, 0), (2, 1, 'b', 0, 0, 5), (3, 1, 'c', 0, 0, 0); \
             INSERT INTO pattern_digests (user_id, digest, source, seen_at) \
             VALUES (1, 'd0', 'enrol', 0), (2, 'd1', 'enrol', 0), (3, 'd2', 'verify', 0)";
        sqlx::raw_sql(setup).execute(db.pool()).await.unwrap();
        db
    }

    /// The digests, and per user the counter and whether a use was recorded.
    async fn contents(db: &Db) -> (Vec<(i64, String, String)>, Vec<(i64, i64, i64, bool)>) {
        let digests = sqlx::query(
            "SELECT user_id, digest, source FROM pattern_digests ORDER BY user_id, digest",
        )
        .fetch_all(db.pool())
        .await
        .unwrap()
        .iter()
        .map(|r| (r.get(0), r.get(1), r.get(2)))
        .collect();
        let users =
            sqlx::query("SELECT id, verify_day, verify_count, last_used_at FROM users ORDER BY id")
                .fetch_all(db.pool())
                .await
                .unwrap()
                .iter()
                .map(|r| (r.get(0), r.get(1), r.get(2), r.get::<i64, _>(3) > 0))
                .collect();
        (digests, users)
    }

    /// Random batches of bookings answer and write exactly what the same bookings do one
    /// after another, each in its own transaction; user 4 does not exist (deleted meanwhile).
    /// Every batch holds several users, so a refused or unknown user fails none of the others.
    #[tokio::test]
    async fn batches_answer_and_write_as_bookings_one_after_another() {
        let dir = tempfile::tempdir().unwrap();
        let one_by_one = database(dir.path(), "one.db").await;
        let batched = database(dir.path(), "batched.db").await;
        let mut rng = StdRng::seed_from_u64(7);
        let (mut refusals, mut unknown) = (0, 0);
        for _ in 0..150 {
            let size = rng.gen_range(1..=12);
            let bookings: Vec<Booking> = (0..size)
                .map(|_| {
                    let count = rng.gen_range(1..=3);
                    let digests: Vec<String> = (0..count)
                        .map(|_| format!("d{}", rng.gen_range(0..40)))
                        .collect();
                    Booking {
                        user_id: rng.gen_range(1..=4),
                        digests,
                        replay_protection: rng.gen_bool(0.8),
                        daily_cap: [0, 0, 40, 90][rng.gen_range(0..4)],
                        record_use: rng.gen_bool(0.3),
                    }
                })
                .collect();
            let mut expected = Vec::new();
            for b in &bookings {
                let mut w = one_by_one.begin_write().await.unwrap();
                expected.push(book(&mut w.tx, b, now_millis()).await.unwrap());
                w.commit().await.unwrap();
            }
            let mut answers = Vec::new();
            let jobs = bookings
                .into_iter()
                .map(|booking| {
                    let (answer, answered) = oneshot::channel();
                    answers.push(answered);
                    Job { booking, answer }
                })
                .collect();
            let checkpoints =
                WalCheckpoints::start(batched.pool().clone(), Arc::new(Mutex::new(())));
            assert!(write_batch(batched.pool(), &checkpoints, jobs)
                .await
                .is_empty());
            for (answered, expected) in answers.into_iter().zip(expected) {
                let answer = answered.await.unwrap().unwrap();
                assert_eq!(answer, expected);
                refusals += usize::from(answer.is_err());
                unknown += usize::from(answer == Err(VerifyRefusal::UnknownUser));
            }
            assert_eq!(contents(&batched).await, contents(&one_by_one).await);
        }
        assert!(refusals > 100, "the batches exercised refusals: {refusals}");
        assert!(unknown > 50, "and unknown users: {unknown}");
    }

    #[tokio::test]
    async fn bookings_larger_than_one_statement_are_split() {
        let dir = tempfile::tempdir().unwrap();
        let db = database(dir.path(), "large.db").await;
        let writer = Arc::new(Mutex::new(()));
        let checkpoints = WalCheckpoints::start(db.pool().clone(), writer.clone());
        let queue = BookingQueue::start(db.pool().clone(), writer, checkpoints);
        let digests: Vec<String> = (0..2 * ROWS_PER_STATEMENT + 7)
            .map(|i| format!("large{i}"))
            .collect();
        let refs: Vec<&str> = digests.iter().map(String::as_str).collect();
        let large = booking(1, &refs, true, 0);
        assert_eq!(queue.book(large.clone()).await.unwrap(), Ok(()));
        assert_eq!(queue.book(large).await.unwrap(), Err(VerifyRefusal::Repeat));
        let (stored, _) = contents(&db).await;
        assert_eq!(stored.len(), 3 + digests.len());
    }

    #[tokio::test]
    async fn a_failing_database_answers_every_booking_with_an_error() {
        let dir = tempfile::tempdir().unwrap();
        let db = database(dir.path(), "broken.db").await;
        sqlx::query("DROP TABLE pattern_digests")
            .execute(db.pool())
            .await
            .unwrap();
        let writer = Arc::new(Mutex::new(()));
        let checkpoints = WalCheckpoints::start(db.pool().clone(), writer.clone());
        let queue = BookingQueue::start(db.pool().clone(), writer, checkpoints);
        let calls: Vec<_> = (0..6)
            .map(|i| {
                let queue = queue.clone();
                tokio::spawn(
                    async move { queue.book(booking(1, &[&format!("x{i}")], true, 0)).await },
                )
            })
            .collect();
        for call in calls {
            assert!(call.await.unwrap().is_err());
        }
    }
}
