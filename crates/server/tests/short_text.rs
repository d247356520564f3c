//! Type-2 patterns of short texts that change every time (a freshly generated phrase):
//! `/verify` and `/auto` match them against the user's type-2 enrolments of other texts, and
//! say which matcher decided. Runs on SQLite, or on PostgreSQL when
//! KEYCADENCE_TEST_DATABASE_URL is set.

mod common;

use common::*;

const USER: &str = "user-0002-bob";

/// Phrases of four words, as a Verify-style window would generate them.
const PHRASES: [&str; 8] = [
    "green river stone lamp",
    "quiet morning bread jar",
    "seven paper boats drift",
    "cold winter fox tracks",
    "bright yellow kite flies",
    "small wooden door opens",
    "warm summer rain falls",
    "blue glass bottle shines",
];

/// Saves the first `n` phrases as type-2 patterns, one each.
async fn enrol_phrases(c: &Client, typist: &mut Typist, n: usize) {
    for phrase in &PHRASES[..n] {
        let r = c.save(USER, &typist.type_text(phrase, 2)).await;
        assert_eq!(r.code(), 1, "{}", r.body);
    }
}

#[tokio::test]
async fn verify_matches_a_new_phrase_against_other_phrases_and_tells_people_apart() {
    let server = TestServer::start().await;
    let c = server.client(&["auto_enroll=false"]).await;
    let mut alice = Typist::new(71);
    enrol_phrases(&c, &mut alice, 5).await;
    let mut genuine = Vec::new();
    let mut impostor = Vec::new();
    let mut refused = 0;
    for (i, phrase) in PHRASES[5..].iter().enumerate() {
        let r = c.verify(USER, &alice.type_text(phrase, 2)).await;
        assert_eq!(
            (r.code(), r.body["mode"].as_str()),
            (1, Some("short_any_text")),
            "{}",
            r.body
        );
        assert_eq!(r.body["compared_samples"], 5, "every other phrase compared");
        genuine.push(r.body["score"].as_i64().unwrap());
        assert_eq!(r.body["result"], 1, "the typist is accepted: {}", r.body);
        for k in 0..3 {
            let mut mallory = Typist::new(700 + 10 * i as u64 + k);
            let r = c.verify(USER, &mallory.type_text(phrase, 2)).await;
            assert_eq!(r.body["mode"], "short_any_text", "{}", r.body);
            impostor.push(r.body["score"].as_i64().unwrap());
            refused += usize::from(r.body["result"] == 0);
        }
    }
    let mean = |v: &[i64]| v.iter().sum::<i64>() as f64 / v.len() as f64;
    assert!(
        mean(&genuine) > mean(&impostor) + 20.0 && refused >= 7,
        "genuine {genuine:?} impostor {impostor:?}: {refused} of 9 refused"
    );
    server.stop().await;
}

#[tokio::test]
async fn a_phrase_with_enough_enrolments_of_its_own_is_matched_on_its_text() {
    let server = TestServer::start().await;
    let c = server.client(&["auto_enroll=false"]).await;
    let mut alice = Typist::new(72);
    enrol_phrases(&c, &mut alice, 4).await;
    // Two enrolments of the probe's phrase: too few for the same-text matcher, so the six
    // type-2 patterns of all phrases decide.
    for _ in 0..2 {
        c.save(USER, &alice.type_text(PHRASES[6], 2)).await;
    }
    let r = c.verify(USER, &alice.type_text(PHRASES[6], 2)).await;
    assert_eq!(
        (r.body["mode"].as_str(), r.body["compared_samples"].as_i64()),
        (Some("short_any_text"), Some(6)),
        "{}",
        r.body
    );
    // A third: the phrase's own enrolments decide.
    c.save(USER, &alice.type_text(PHRASES[6], 2)).await;
    let r = c.verify(USER, &alice.type_text(PHRASES[6], 2)).await;
    assert_eq!(
        (r.body["mode"].as_str(), r.body["compared_samples"].as_i64()),
        (Some("same_text"), Some(3)),
        "{}",
        r.body
    );
    // Type 1 has no short any-text mode: another text has nothing to compare with.
    c.save(USER, &alice.type_text(PHRASES[0], 1)).await;
    assert_eq!(
        c.verify(USER, &alice.type_text(PHRASES[1], 1)).await.code(),
        4
    );
    server.stop().await;
}

#[tokio::test]
async fn auto_verifies_a_fresh_phrase_and_enrols_it_for_later_phrases() {
    let server = TestServer::start().await;
    let c = server.client(&[]).await;
    let mut alice = Typist::new(73);
    // Below the minimum of 3, /auto enrols each new phrase.
    for phrase in &PHRASES[..3] {
        let r = c
            .post(
                &format!("/auto/{USER}"),
                &[("tp", &alice.type_text(phrase, 2))],
            )
            .await;
        assert_eq!(r.body["action"], "enroll", "{}", r.body);
    }
    // Three phrases enrolled: a fourth is verified against them, though its own text was
    // never seen, and a strong match is enrolled.
    let mut enrolled_now = 0;
    for phrase in &PHRASES[3..] {
        let r = c
            .post(
                &format!("/auto/{USER}"),
                &[("tp", &alice.type_text(phrase, 2))],
            )
            .await;
        assert_eq!(
            (r.code(), r.body["mode"].as_str()),
            (1, Some("short_any_text")),
            "{}",
            r.body
        );
        let action = r.body["action"].as_str().unwrap();
        assert!(action.starts_with("verify"), "{}", r.body);
        enrolled_now += usize::from(action == "verify;enroll");
    }
    assert!(enrolled_now >= 1, "no fresh phrase was auto-enrolled");
    assert_eq!(c.counts(USER).await, (3 + enrolled_now as i64, 0));
    // Someone else's fresh phrase is refused and not enrolled.
    let mut mallory = Typist::new(730);
    let r = c
        .post(
            &format!("/auto/{USER}"),
            &[("tp", &mallory.type_text("dark forest owl calls", 2))],
        )
        .await;
    assert_eq!(
        (r.body["result"].as_i64(), r.body["action"].as_str()),
        (Some(0), Some("verify")),
        "{}",
        r.body
    );
    server.stop().await;
}
