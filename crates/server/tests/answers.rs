//! Answers of `/save`, `/verify`, `/auto` and `/match` at the edges a tenant's settings and a
//! user's enrolments draw: how many patterns a call may carry, how many enrolments a
//! verification reports, what an enrolment below the minimum answers on each endpoint, and
//! which "nothing to compare" code a desktop probe gets. Runs on SQLite, or on PostgreSQL when
//! KEYCADENCE_TEST_DATABASE_URL is set.

mod common;

use common::*;

const USER: &str = "user-0003-carol";

/// `/save` takes as many patterns in one call as the bucket keeps (max_patterns_per_bucket),
/// and refuses one more with code 56, storing none of them.
#[tokio::test]
async fn save_takes_a_full_bucket_in_one_call_and_refuses_one_more() {
    let server = TestServer::start().await;
    let c = server.client(&["max_patterns_per_bucket=3"]).await;
    let mut alice = Typist::new(81);
    let four: Vec<String> = (0..4).map(|_| alice.same_text()).collect();
    let r = c.save(USER, &four.join(";")).await;
    assert_eq!((r.code(), r.status), (56, 459), "{}", r.body);
    assert_eq!(c.counts(USER).await, (0, 0), "nothing stored");
    let r = c.save(USER, &four[..3].join(";")).await;
    assert_eq!(r.code(), 1, "{}", r.body);
    assert_eq!(c.counts(USER).await, (3, 0));
    server.stop().await;
}

/// A desktop type-2 probe whose text has enough enrolments of its own (3) is verified against
/// those, and `previous_samples` counts them, not the user's enrolments of other texts.
#[tokio::test]
async fn a_text_with_its_own_enrolments_reports_only_those() {
    let server = TestServer::start().await;
    let c = server.client(&["auto_enroll=false"]).await;
    let mut alice = Typist::new(82);
    let own = "green river stone lamp";
    for phrase in [
        "quiet morning bread jar",
        "seven paper boats drift",
        "cold winter fox tracks",
        "bright yellow kite flies",
        own,
        own,
        own,
    ] {
        let r = c.save(USER, &alice.type_text(phrase, 2)).await;
        assert_eq!(r.code(), 1, "{}", r.body);
    }
    let r = c.verify(USER, &alice.type_text(own, 2)).await;
    assert_eq!(
        (
            r.body["mode"].as_str(),
            r.body["compared_samples"].as_i64(),
            r.body["previous_samples"].as_i64()
        ),
        (Some("same_text"), Some(3), Some(3)),
        "{}",
        r.body
    );
    server.stop().await;
}

/// Below the minimum of enrolments both endpoints store the pattern (`/verify` because the
/// tenant forces initial enrolments) and answer alike, except `success`: `/auto` did what it
/// was asked, `/verify` did not verify.
#[tokio::test]
async fn an_enrolment_below_the_minimum_succeeds_on_auto_and_not_on_verify() {
    let server = TestServer::start().await;
    let c = server.client(&["force_initial_enrollments=true"]).await;
    let mut alice = Typist::new(83);
    let auto = c
        .post(&format!("/auto/{USER}"), &[("tp", &alice.same_text())])
        .await;
    let verify = c.verify(USER, &alice.same_text()).await;
    for (r, success) in [(&auto, 1), (&verify, 0)] {
        assert_eq!(
            (
                r.body["action"].as_str(),
                r.body["enrollment"].as_i64(),
                r.body["success"].as_i64()
            ),
            (Some("enroll"), Some(1), Some(success)),
            "{}",
            r.body
        );
    }
    assert_eq!(auto.code(), verify.code());
    assert_eq!(c.counts(USER).await, (2, 0));
    server.stop().await;
}

/// A desktop probe for a user enrolled only on mobile, of the same text, has nothing to compare
/// with: code 4 (no previous patterns), not 3, which tells a mobile user to type in a position
/// they enrolled.
#[tokio::test]
async fn a_desktop_probe_for_a_mobile_only_user_answers_no_previous_patterns() {
    use keycadence_core::pattern::Pattern;
    let server = TestServer::start().await;
    let c = server.client(&["auto_enroll=false"]).await;
    for v in 1..=3 {
        assert_eq!(c.save(USER, &mobile_pattern(v, false)).await.code(), 1);
    }
    // The same text typed on a desktop: the mobile pattern's rows without its mobile flag and
    // motion data.
    let mut desktop = Pattern::parse(&mobile_pattern(4, false)).unwrap();
    let Pattern::Diagram(d) = &mut desktop else {
        panic!("a diagram")
    };
    d.header.mobile = false;
    d.motion = None;
    let r = c.verify(USER, &desktop.to_string()).await;
    assert_eq!(
        (r.code(), r.body["success"].as_i64()),
        (4, Some(0)),
        "{}",
        r.body
    );
    server.stop().await;
}

/// `/match` takes up to max_patterns_per_verify patterns on each side, and refuses a call with
/// one more on either side (56): the comparison's cost grows with their product.
#[tokio::test]
async fn match_takes_the_verify_cap_on_each_side_and_refuses_one_more_on_either() {
    let server = TestServer::start().await;
    let c = server.client(&["max_patterns_per_verify=2"]).await;
    let mut alice = Typist::new(85);
    let mut patterns = |n: usize| {
        (0..n)
            .map(|_| alice.same_text())
            .collect::<Vec<_>>()
            .join(";")
    };
    let (two, three) = (patterns(2), patterns(3));
    let r = c.post("/match", &[("tp1", &two), ("tp2", &two)]).await;
    assert_eq!(r.code(), 1, "{}", r.body);
    for (tp1, tp2) in [(&three, &two), (&two, &three)] {
        let r = c.post("/match", &[("tp1", tp1), ("tp2", tp2)]).await;
        assert_eq!((r.code(), r.status), (56, 459), "{}", r.body);
    }
    server.stop().await;
}
