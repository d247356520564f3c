//! How many patterns a call may carry and how many enrolments a verification reports, at the
//! edges a tenant's settings draw. Runs on SQLite, or on PostgreSQL when
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
