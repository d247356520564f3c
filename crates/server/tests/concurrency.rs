//! Verifications that arrive together (SQLite books them in shared transactions) and servers
//! that share one database (each keeps parsed enrolments in memory and must still see the
//! others' changes at once).

mod common;

use common::{Client, TestServer, Typist};

const USER: &str = "user-0001-alice";

/// Sends every pattern to `/verify` at the same time; returns the message codes in order.
async fn verify_all_at_once(c: &Client, user: &str, probes: &[String]) -> Vec<i64> {
    let tasks: Vec<_> = probes
        .iter()
        .map(|tp| {
            let (c, user, tp) = (c.clone(), user.to_string(), tp.clone());
            tokio::spawn(async move { c.verify(&user, &tp).await.code() })
        })
        .collect();
    let mut codes = Vec::new();
    for task in tasks {
        codes.push(task.await.unwrap());
    }
    codes
}

fn count(codes: &[i64], code: i64) -> usize {
    codes.iter().filter(|&&c| c == code).count()
}

#[tokio::test]
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

#[tokio::test]
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

#[tokio::test]
async fn a_server_sees_enrolment_changes_made_through_another_server() {
    let a = TestServer::start().await;
    let b = TestServer::start_with(|config| config.database_url = a.database_url.clone()).await;
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
