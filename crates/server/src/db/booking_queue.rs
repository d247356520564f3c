//! SQLite only: verification bookings (replay digests, daily counters) from all requests are
//! written by one task, many per transaction, in a constant number of statements per batch.
//! SQLite has a single writer, and a transaction per verification spent its time taking the
//! write lock, beginning and committing, each statement a round trip to the connection's
//! thread.
//!
//! A batch runs under `BEGIN IMMEDIATE` (SQLite's write lock, so nothing else writes while it
//! runs): it reads what the database holds for the batch's users and digests, works out in
//! memory what running the bookings one after another would answer and write (the rule engine's `plan`),
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

use std::collections::VecDeque;
use std::sync::Arc;

use sqlx::AnyPool;
use tokio::sync::{mpsc, oneshot, Mutex};

use super::bookings::{apply, plan, read_snapshot};
use super::enrolments::{utc_day, Booking, VerifyRefusal};
use super::wal_checkpoints::WalCheckpoints;

/// Bookings per transaction at most: bounds how long other writers wait for the lock.
const MAX_BATCH: usize = 128;

type Answer = Result<Result<(), VerifyRefusal>, sqlx::Error>;

struct Job {
    booking: Booking,
    /// When the request was made.
    now: i64,
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

    /// Books `booking`, a request made at `now`.
    pub async fn book(&self, booking: Booking, now: i64) -> Answer {
        let (answer, answered) = oneshot::channel();
        self.jobs
            .send(Job {
                booking,
                now,
                answer,
            })
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
    // The batch is written as of its latest request (its day counts towards the daily caps).
    let now = batch.iter().map(|job| job.now).max().unwrap_or(0);
    let written = async {
        let snapshot = read_snapshot(&mut tx, &bookings).await?;
        let plan = plan(&bookings, &snapshot, utc_day(now));
        apply(&mut tx, &plan, now).await?;
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

#[cfg(test)]
mod tests {
    use rand::rngs::StdRng;
    use rand::{Rng, SeedableRng};

    use sqlx::Row;

    use super::*;
    use crate::db::bookings::tests::booking;
    use crate::db::bookings::{book_alone, ROWS_PER_STATEMENT};
    use crate::db::now_millis;
    use crate::db::Db;

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
        .map(|r| (r.get("user_id"), r.get("digest"), r.get("source")))
        .collect();
        let users =
            sqlx::query("SELECT id, verify_day, verify_count, last_used_at FROM users ORDER BY id")
                .fetch_all(db.pool())
                .await
                .unwrap()
                .iter()
                .map(|r| {
                    (
                        r.get("id"),
                        r.get("verify_day"),
                        r.get("verify_count"),
                        r.get::<i64, _>("last_used_at") > 0,
                    )
                })
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
            let now = now_millis();
            for b in &bookings {
                let mut w = one_by_one.begin_write().await.unwrap();
                expected.push(book_alone(&mut w.tx, b, now, false).await.unwrap());
                w.commit().await.unwrap();
            }
            let mut answers = Vec::new();
            let jobs = bookings
                .into_iter()
                .map(|booking| {
                    let (answer, answered) = oneshot::channel();
                    answers.push(answered);
                    Job {
                        booking,
                        now,
                        answer,
                    }
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
        assert_eq!(
            queue.book(large.clone(), now_millis()).await.unwrap(),
            Ok(())
        );
        assert_eq!(
            queue.book(large, now_millis()).await.unwrap(),
            Err(VerifyRefusal::Repeat)
        );
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
                tokio::spawn(async move {
                    queue
                        .book(booking(1, &[&format!("x{i}")], true, 0), now_millis())
                        .await
                })
            })
            .collect();
        for call in calls {
            assert!(call.await.unwrap().is_err());
        }
    }
}
