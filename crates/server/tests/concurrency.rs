//! Verifications that arrive together (SQLite books them in shared transactions) and servers
//! that share one database (each keeps parsed enrolments in memory and must still see the
//! others' changes at once).

mod common;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Instant;

use common::{Client, TestServer, Typist};
use keycadence_server::db::enrolments::{Booking, VerifyRefusal};
use sqlx::Row;
use tokio::sync::Barrier;

const USER: &str = "user-0001-alice";

/// Sends every pattern to `/verify` at the same time (the tasks wait on a barrier, then send);
/// returns the message codes in order and asserts that the requests really were outstanding
/// together: every one was sent before the first answer came back, or at least half of them
/// overlapped.
async fn verify_all_at_once(c: &Client, user: &str, probes: &[String]) -> Vec<i64> {
    let barrier = Arc::new(Barrier::new(probes.len()));
    let overlap = Arc::new(Outstanding::default());
    let tasks: Vec<_> = probes
        .iter()
        .map(|tp| {
            let (c, user, tp) = (c.clone(), user.to_string(), tp.clone());
            let (barrier, overlap) = (barrier.clone(), overlap.clone());
            tokio::spawn(async move {
                barrier.wait().await;
                overlap.sent();
                let code = c.verify(&user, &tp).await.code();
                overlap.answered();
                code
            })
        })
        .collect();
    let mut codes = Vec::new();
    for task in tasks {
        codes.push(task.await.unwrap());
    }
    assert!(
        overlap.most() >= probes.len().div_ceil(2),
        "only {} of {} requests were outstanding together",
        overlap.most(),
        probes.len()
    );
    codes
}

/// Requests sent and not yet answered, and the most there were at once.
#[derive(Default)]
struct Outstanding {
    now: AtomicUsize,
    most: AtomicUsize,
}

impl Outstanding {
    fn sent(&self) {
        let now = self.now.fetch_add(1, Ordering::SeqCst) + 1;
        self.most.fetch_max(now, Ordering::SeqCst);
    }

    fn answered(&self) {
        self.now.fetch_sub(1, Ordering::SeqCst);
    }

    fn most(&self) -> usize {
        self.most.load(Ordering::SeqCst)
    }
}

fn count(codes: &[i64], code: i64) -> usize {
    codes.iter().filter(|&&c| c == code).count()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_probe_sent_many_times_at_once_is_accepted_once() {
    let server = TestServer::start().await;
    let c = server.client(&["auto_enroll=false"]).await;
    let mut alice = Typist::new(41);
    for _ in 0..3 {
        assert_eq!(c.save(USER, &alice.same_text()).await.code(), 1);
    }
    let probe = alice.same_text();
    let codes = verify_all_at_once(&c, USER, &vec![probe; 16]).await;
    assert_eq!((count(&codes, 1), count(&codes, 5)), (1, 15), "{codes:?}");

    let distinct: Vec<String> = (0..16).map(|_| alice.same_text()).collect();
    let codes = verify_all_at_once(&c, USER, &distinct).await;
    assert_eq!(count(&codes, 1), 16, "{codes:?}");
    // Dual pass at once: each distinct probe after the one refused before.
    let dual: Vec<String> = (0..8)
        .map(|i| format!("{};{}", distinct[i], alice.same_text()))
        .collect();
    let codes = verify_all_at_once(&c, USER, &dual).await;
    assert_eq!(count(&codes, 1), 8, "{codes:?}");
    // 3 enrolled, 1 + 16 + 8 verified.
    assert_eq!(server.stored(&c).await, (1, 3, 28));
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_daily_cap_holds_when_verifications_arrive_together() {
    let server = TestServer::start().await;
    let c = server
        .client(&["auto_enroll=false", "max_verifications_per_user_per_day=5"])
        .await;
    let mut alice = Typist::new(42);
    c.save(USER, &alice.same_text()).await;
    let probes: Vec<String> = (0..12).map(|_| alice.same_text()).collect();
    let codes = verify_all_at_once(&c, USER, &probes).await;
    assert_eq!((count(&codes, 1), count(&codes, 57)), (5, 7), "{codes:?}");
    // Only the five counted verifications left their digests.
    assert_eq!(server.stored(&c).await, (1, 1, 6));
    server.stop().await;
}

/// Saves `patterns[i]` for `users[i]`, all at the same time; returns the message codes in order.
async fn save_all_at_once(c: &Client, users: &[String], patterns: &[String]) -> Vec<i64> {
    let barrier = Arc::new(Barrier::new(users.len()));
    let tasks: Vec<_> = users
        .iter()
        .zip(patterns)
        .map(|(user, tp)| {
            let (c, user, tp, barrier) = (c.clone(), user.clone(), tp.clone(), barrier.clone());
            tokio::spawn(async move {
                barrier.wait().await;
                c.save(&user, &tp).await.code()
            })
        })
        .collect();
    let mut codes = Vec::new();
    for task in tasks {
        codes.push(task.await.unwrap());
    }
    codes
}

/// Each enrolment of a new user counts the tenant's users before creating it: enrolments that
/// arrive together must not all see room for one more.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_user_cap_holds_when_new_users_enrol_together() {
    let server = TestServer::start().await;
    let c = server.client(&["max_users=3"]).await;
    let mut alice = Typist::new(43);
    let users: Vec<String> = (0..12).map(|i| format!("user-{i:04}-new")).collect();
    let patterns: Vec<String> = users.iter().map(|_| alice.same_text()).collect();
    let codes = save_all_at_once(&c, &users, &patterns).await;
    assert_eq!((count(&codes, 1), count(&codes, 51)), (3, 9), "{codes:?}");
    assert_eq!(server.stored(&c).await.0, 3);
    server.stop().await;
}

/// Enrolments of one new user that arrive together create the user once and are all kept.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn enrolments_creating_the_same_user_together_all_succeed() {
    let server = TestServer::start().await;
    let c = server.client(&[]).await;
    let mut alice = Typist::new(44);
    let users = vec![USER.to_string(); 8];
    let patterns: Vec<String> = users.iter().map(|_| alice.same_text()).collect();
    let codes = save_all_at_once(&c, &users, &patterns).await;
    assert_eq!(count(&codes, 1), 8, "{codes:?}");
    assert_eq!(server.stored(&c).await.0, 1);
    assert_eq!(c.counts(USER).await.0, 8);
    server.stop().await;
}

#[tokio::test]
async fn a_server_sees_enrolment_changes_made_through_another_server() {
    let a = TestServer::start().await;
    let b = a.start_beside().await;
    let via_a = a.client(&["auto_enroll=false"]).await;
    let via_b = Client::new(&b.base, &via_a.key, &via_a.secret);
    let mut alice = Typist::new(43);
    let previous = |r: common::Reply| (r.code(), r.body["previous_samples"].as_i64());

    for _ in 0..3 {
        via_a.save(USER, &alice.same_text()).await;
    }
    let r = via_a.verify(USER, &alice.same_text()).await;
    assert_eq!(previous(r), (1, Some(3)));

    assert_eq!(via_b.save(USER, &alice.same_text()).await.code(), 1);
    let r = via_a.verify(USER, &alice.same_text()).await;
    assert_eq!(previous(r), (1, Some(4)), "a pattern saved through b");

    assert_eq!(via_b.delete(&format!("/user/{USER}")).await.code(), 1);
    let r = via_a.verify(USER, &alice.same_text()).await;
    assert_eq!(r.code(), 4, "deleted through b: {}", r.body);

    for _ in 0..2 {
        via_b.save(USER, &alice.same_text()).await;
    }
    let r = via_a.verify(USER, &alice.same_text()).await;
    assert_eq!(previous(r), (1, Some(2)), "enrolled again through b");

    let renamed = "user-0002-alice";
    let r = via_b
        .post(&format!("/changeuser/{USER}"), &[("newuserid", renamed)])
        .await;
    assert_eq!(r.code(), 1, "{}", r.body);
    assert_eq!(via_a.verify(USER, &alice.same_text()).await.code(), 4);
    let r = via_a.verify(renamed, &alice.same_text()).await;
    assert_eq!(previous(r), (1, Some(2)), "renamed through b");
    b.stop().await;
    a.stop().await;
}

/// A user's id, `None` when the user row is gone.
async fn user_id(server: &TestServer, c: &Client, user: &str) -> Option<i64> {
    sqlx::query(
        "SELECT u.id FROM users u JOIN tenants t ON t.id = u.tenant_id \
         WHERE t.name = $1 AND u.external_id = $2",
    )
    .bind(format!("t-{}", c.key))
    .bind(user)
    .fetch_optional(server.db.pool())
    .await
    .unwrap()
    .map(|row| row.get(0))
}

/// A user's stored rows: `(patterns, digests, verify_count)`, `None` when the user row is gone.
async fn user_rows(server: &TestServer, c: &Client, user: &str) -> Option<(i64, i64, i64)> {
    let id = user_id(server, c, user).await?;
    let number = |sql: &'static str| async move {
        sqlx::query(sql)
            .bind(id)
            .fetch_one(server.db.pool())
            .await
            .unwrap()
            .get::<i64, _>(0)
    };
    Some((
        number("SELECT COUNT(*) FROM patterns WHERE user_id = $1").await,
        number("SELECT COUNT(*) FROM pattern_digests WHERE user_id = $1").await,
        number("SELECT verify_count FROM users WHERE id = $1").await,
    ))
}

/// `DELETE /user` while many verifications of that user (and of another user of the same
/// tenant) are in flight: every verification gets either the answer computed before the
/// delete or the answer of a user who does not exist (4, or 9 with auto-enrolment on), never
/// an error; the delete succeeds and the other user's rows are exactly what its own
/// verifications wrote. With replay protection, the daily count, both and auto-enrolment.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn verifications_racing_the_deletion_of_their_user_answer_without_errors() {
    const ALICE: &str = "user-0003-alice";
    const BOB: &str = "user-0004-bob";
    let server = TestServer::start().await;
    let tenants: [(&[&str], i64); 4] = [
        (&["auto_enroll=false"], 4),
        (
            &[
                "auto_enroll=false",
                "allow_identical_on_verify=true",
                "max_verifications_per_user_per_day=100000",
            ],
            4,
        ),
        (
            &[
                "auto_enroll=false",
                "max_verifications_per_user_per_day=100000",
            ],
            4,
        ),
        (&["max_verifications_per_user_per_day=100000"], 9),
    ];
    let mut alice = Typist::new(44);
    let mut bob = Typist::new(45);
    for (settings, unknown_user) in tenants {
        let auto_enroll = !settings.contains(&"auto_enroll=false");
        let replay = !settings.contains(&"allow_identical_on_verify=true");
        let counted = settings.iter().any(|s| s.starts_with("max_verifications"));
        let c = server.client(settings).await;
        for _ in 0..3 {
            assert_eq!(c.save(BOB, &bob.same_text()).await.code(), 1);
        }
        let mut bob_verified = 0;
        let mut overlapping_the_delete = 0;
        let mut answers: Vec<i64> = Vec::new();
        for round in 0..8u64 {
            for _ in 0..3 {
                let r = c.save(ALICE, &alice.same_text()).await;
                assert_eq!(r.code(), 1, "{settings:?}: {}", r.body);
            }
            // The verifications and the delete leave together (a barrier); the delete is
            // sent after `round` of the verifications were answered, so the rounds move the
            // delete through the verifications.
            let barrier = Arc::new(Barrier::new(33));
            let answered = Arc::new(AtomicUsize::new(0));
            let calls: Vec<_> = (0..32)
                .map(|i| {
                    let (user, tp) = if i % 4 == 3 {
                        (BOB, bob.same_text())
                    } else {
                        (ALICE, alice.same_text())
                    };
                    let (c, barrier, answered) = (c.clone(), barrier.clone(), answered.clone());
                    tokio::spawn(async move {
                        barrier.wait().await;
                        let sent = Instant::now();
                        let r = c.verify(user, &tp).await;
                        answered.fetch_add(1, Ordering::SeqCst);
                        (user, r, sent, Instant::now())
                    })
                })
                .collect();
            barrier.wait().await;
            while answered.load(Ordering::SeqCst) < round as usize {
                tokio::task::yield_now().await;
            }
            let delete_sent = Instant::now();
            let deleted = c.delete(&format!("/user/{ALICE}")).await;
            let delete_answered = Instant::now();
            assert_eq!(
                (deleted.status, deleted.code()),
                (200, 1),
                "{settings:?}: {}",
                deleted.body
            );
            for call in calls {
                let (user, r, sent, answered) = call.await.unwrap();
                if user == ALICE && sent < delete_answered && answered > delete_sent {
                    overlapping_the_delete += 1;
                }
                assert_eq!(r.status, 200, "{settings:?} {user}: {}", r.body);
                if user == BOB {
                    assert_eq!(r.code(), 1, "{settings:?} bob: {}", r.body);
                    bob_verified += 1;
                } else {
                    assert!(
                        [1, unknown_user].contains(&r.code()),
                        "{settings:?} alice: {}",
                        r.body
                    );
                    answers.push(r.code());
                }
            }
            if auto_enroll {
                // A verification that ran after the delete may have enrolled alice anew.
                c.delete(&format!("/user/{ALICE}")).await;
            }
            assert_eq!(user_rows(&server, &c, ALICE).await, None, "{settings:?}");
        }
        eprintln!(
            "{settings:?}: alice verified {} times, {} answered as unknown, {overlapping_the_delete} in flight with the delete",
            count(&answers, 1),
            count(&answers, unknown_user)
        );
        // The race happened: verifications of alice were in flight while she was deleted
        // (about 100 of the 192 in a run here; few of them are answered as unknown, since most
        // read her enrolments before the delete commits).
        assert!(overlapping_the_delete > 0, "{settings:?}");
        let (patterns, digests, verify_count) = user_rows(&server, &c, BOB).await.unwrap();
        if !auto_enroll {
            assert_eq!(patterns, 3, "{settings:?}");
        }
        // Digests outlive patterns rotated out; a verified probe enrolled keeps its row.
        let verify_digests = if replay { bob_verified } else { 0 };
        assert_eq!(digests, 3 + verify_digests, "{settings:?}");
        let expected_count = if counted { bob_verified } else { 0 };
        assert_eq!(verify_count, expected_count, "{settings:?}");
    }
    server.stop().await;
}

/// Bookings for a user deleted after their enrolments were read (here: before the booking,
/// deterministically), with replay protection, the daily count or both, queued together with
/// other users' bookings while the writer is busy (on SQLite they share one batch): the
/// deleted user's are refused as an unknown user and write nothing; the others are booked.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_booking_for_a_deleted_user_is_refused_without_failing_the_others() {
    let server = TestServer::start().await;
    let c = server
        .client(&[
            "auto_enroll=false",
            "max_verifications_per_user_per_day=100",
        ])
        .await;
    let users = ["user-0005-alice", "user-0006-bob", "user-0007-carol"];
    let mut typist = Typist::new(46);
    for user in users {
        assert_eq!(c.save(user, &typist.same_text()).await.code(), 1);
    }
    let ids: Vec<i64> = user_ids(&server, &c, &users).await;
    assert_eq!(c.delete(&format!("/user/{}", users[0])).await.code(), 1);
    let booking = |user_id: i64, replay_protection: bool, daily_cap: u32, digest: &str| Booking {
        user_id,
        digests: vec![digest.to_string()],
        replay_protection,
        daily_cap,
        record_use: false,
    };
    let bookings = [
        booking(ids[1], true, 100, "b1"),
        booking(ids[0], true, 0, "a1"),
        booking(ids[2], true, 100, "c1"),
        booking(ids[0], false, 100, "a2"),
        booking(ids[1], true, 100, "b2"),
        booking(ids[0], true, 100, "a3"),
        booking(ids[2], false, 100, "c2"),
    ];
    // Holding a write transaction makes the bookings queue up (SQLite's writer lock).
    let busy = server.db.begin_write().await.unwrap();
    let calls: Vec<_> = bookings
        .iter()
        .cloned()
        .map(|b| {
            let db = server.db.clone();
            tokio::spawn(async move {
                db.book_verification(b, keycadence_server::clock::now_millis())
                    .await
            })
        })
        .collect();
    tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    busy.rollback().await.unwrap();
    for (call, booking) in calls.into_iter().zip(&bookings) {
        let answer = call.await.unwrap();
        if booking.user_id == ids[0] {
            assert_eq!(
                answer.unwrap(),
                Err(VerifyRefusal::UnknownUser),
                "{booking:?}"
            );
        } else {
            assert_eq!(answer.unwrap(), Ok(()), "{booking:?}");
        }
    }
    assert_eq!(user_id(&server, &c, users[0]).await, None);
    let orphans: i64 = sqlx::query("SELECT COUNT(*) FROM pattern_digests WHERE user_id = $1")
        .bind(ids[0])
        .fetch_one(server.db.pool())
        .await
        .unwrap()
        .get(0);
    assert_eq!(orphans, 0);
    // One enrolled pattern each, the verified digests, three and two counted verifications.
    assert_eq!(user_rows(&server, &c, users[1]).await, Some((1, 3, 2)));
    assert_eq!(user_rows(&server, &c, users[2]).await, Some((1, 2, 2)));
    server.stop().await;
}

async fn user_ids(server: &TestServer, c: &Client, users: &[&str]) -> Vec<i64> {
    let mut ids = Vec::new();
    for user in users {
        ids.push(user_id(server, c, user).await.unwrap());
    }
    ids
}
