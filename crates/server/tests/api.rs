//! The Authentication API over real HTTP connections: every endpoint and its outcomes.
//! Runs on SQLite, or on PostgreSQL when KEYCADENCE_TEST_DATABASE_URL is set.

mod common;

use common::*;
use serde_json::json;

const USER: &str = "user-0001-alice";

#[tokio::test]
async fn save_refuses_duplicates_and_check_user_counts_by_device_type_and_text() {
    let server = TestServer::start().await;
    let c = server.client(&[]).await;
    let mut alice = Typist::new(1);
    let first = alice.same_text();
    let r = c.save(USER, &first).await;
    assert_eq!(
        (r.status, r.code(), r.body["success"].as_i64()),
        (200, 1, Some(1)),
        "{}",
        r.body
    );
    let again = c.save(USER, &first).await;
    assert_eq!((again.code(), again.body["success"].as_i64()), (2, Some(0)));
    // Two joined patterns, one of them already stored: all or nothing.
    let joined = format!("{};{first}", alice.same_text());
    assert_eq!(c.save(USER, &joined).await.code(), 2);
    assert_eq!(c.counts(USER).await, (1, 0));
    let joined = format!("{};{}", alice.same_text(), alice.same_text());
    assert_eq!(c.save(USER, &joined).await.code(), 1);
    assert_eq!(c.save(USER, &alice.type_text(TEXT, 2)).await.code(), 1);
    assert_eq!(c.save(USER, &alice.type_text(LONG_TEXT, 0)).await.code(), 1);
    assert_eq!(c.save(USER, &mobile_pattern(1, false)).await.code(), 1);
    assert_eq!(c.counts(USER).await, (5, 1));

    let check = |q: &'static str| {
        let c = c.clone();
        async move {
            let r = c.get(&format!("/user/{USER}?{q}")).await;
            assert_eq!(r.code(), 1, "{q}: {}", r.body);
            (
                r.body["count"].as_i64().unwrap(),
                r.body["mobilecount"].as_i64().unwrap(),
                r.body["type"].clone(),
            )
        }
    };
    assert_eq!(check("type=1").await, (3, 1, json!("1")));
    assert_eq!(check("type=1&type=2").await, (4, 1, json!("1,2")));
    assert_eq!(check("type=0").await, (1, 0, json!("0")));
    assert_eq!(
        check("type=all&textid=&device=all").await,
        (5, 1, json!("All"))
    );
    assert_eq!(check("device=mobile").await, (0, 1, json!("All")));
    let text_id = keycadence_core::text_id::text_id(TEXT);
    assert_eq!(
        check(Box::leak(
            format!("textid={text_id}&type=2").into_boxed_str()
        ))
        .await,
        (1, 0, json!("2"))
    );
    // An unknown user is not an error.
    assert_eq!(c.counts("nobody-at-all").await, (0, 0));
    server.stop().await;
}

#[tokio::test]
async fn verify_follows_the_enrolment_rules_and_tells_people_apart() {
    let server = TestServer::start().await;
    let c = server.client(&["auto_enroll=false"]).await;
    let mut alice = Typist::new(11);
    let mut mallory = Typist::new(12);
    let r = c.verify(USER, &alice.same_text()).await;
    assert_eq!(
        (r.status, r.code(), r.body["success"].as_i64()),
        (200, 4, Some(0)),
        "{}",
        r.body
    );
    assert!(r.body.get("result").is_none());
    for _ in 0..6 {
        assert_eq!(c.save(USER, &alice.same_text()).await.code(), 1);
    }
    let mut genuine = Vec::new();
    let mut impostor = Vec::new();
    for _ in 0..4 {
        let r = c.verify(USER, &alice.same_text()).await;
        assert_eq!(
            (r.code(), r.body["success"].as_i64()),
            (1, Some(1)),
            "{}",
            r.body
        );
        for field in ["score", "confidence", "net_score", "device_similarity"] {
            let v = r.body[field].as_i64().unwrap();
            assert!((0..=100).contains(&v), "{field} = {v}");
        }
        assert_eq!(r.body["compared_samples"], 6);
        assert_eq!(r.body["previous_samples"], 6);
        assert!(
            r.body.get("action").is_none(),
            "no auto-enrol fields when it is off"
        );
        genuine.push(r.body["score"].as_i64().unwrap());
        impostor.push(
            c.verify(USER, &mallory.same_text()).await.body["score"]
                .as_i64()
                .unwrap(),
        );
    }
    let mean = |v: &[i64]| v.iter().sum::<i64>() as f64 / v.len() as f64;
    assert!(
        mean(&genuine) > mean(&impostor) + 10.0,
        "genuine {genuine:?} impostor {impostor:?}"
    );
    // Another text or device has nothing to compare with.
    assert_eq!(
        c.verify(USER, &alice.type_text("another text entirely", 1))
            .await
            .code(),
        4
    );
    assert_eq!(c.verify(USER, &mobile_pattern(2, false)).await.code(), 4);
    server.stop().await;
}

#[tokio::test]
async fn verify_refuses_replays_unless_the_tenant_allows_them() {
    let server = TestServer::start().await;
    let c = server.client(&["auto_enroll=false"]).await;
    let mut alice = Typist::new(21);
    let enrolled = alice.same_text();
    c.save(USER, &enrolled).await;
    c.save(
        USER,
        &format!("{};{}", alice.same_text(), alice.same_text()),
    )
    .await;
    let probe = alice.same_text();
    assert_eq!(c.verify(USER, &probe).await.code(), 1);
    let replay = c.verify(USER, &probe).await;
    assert_eq!(
        (replay.code(), replay.body["success"].as_i64()),
        (5, Some(0))
    );
    assert_eq!(
        c.verify(USER, &enrolled).await.code(),
        2,
        "an enrolled pattern sent to verify"
    );
    // Dual pass: the failed pattern again with a new one is fine.
    let dual = format!("{probe};{}", alice.same_text());
    let r = c.verify(USER, &dual).await;
    assert_eq!(r.code(), 1, "{}", r.body);
    // A pattern first seen by verify may still be enrolled afterwards (e.g. after a fallback).
    assert_eq!(c.save(USER, &probe).await.code(), 1);

    let lenient = server
        .client(&["auto_enroll=false", "allow_identical_on_verify=true"])
        .await;
    lenient.save(USER, &enrolled).await;
    assert_eq!(lenient.verify(USER, &probe).await.code(), 1);
    assert_eq!(lenient.verify(USER, &probe).await.code(), 1);
    server.stop().await;
}

#[tokio::test]
async fn verify_with_auto_enrol_refuses_forces_or_enrols_strong_matches() {
    let server = TestServer::start().await;
    let strict = server
        .client(&["auto_enroll=true", "force_initial_enrollments=false"])
        .await;
    let mut alice = Typist::new(31);
    strict.save(USER, &alice.same_text()).await;
    let r = strict.verify(USER, &alice.same_text()).await;
    assert_eq!(
        (r.code(), r.body["success"].as_i64()),
        (9, Some(0)),
        "{}",
        r.body
    );
    assert_eq!(strict.counts(USER).await, (1, 0), "code 9 stores nothing");

    let forced = server
        .client(&["auto_enroll=true", "force_initial_enrollments=true"])
        .await;
    let r = forced.verify(USER, &alice.same_text()).await;
    assert_eq!(
        (
            r.code(),
            r.body["action"].as_str(),
            r.body["enrollment"].as_i64()
        ),
        (10, Some("enroll"), Some(1))
    );
    assert_eq!(r.body["has_minimum_enrollments"], false);
    forced.verify(USER, &alice.same_text()).await;
    let third = forced.verify(USER, &alice.same_text()).await;
    assert_eq!(
        (
            third.code(),
            third.body["has_minimum_enrollments"].as_bool()
        ),
        (1, Some(true)),
        "{}",
        third.body
    );
    assert_eq!(forced.counts(USER).await, (3, 0));

    // At the minimum: verify, and enrol what scores at least the threshold.
    let low_bar = server
        .client(&[
            "auto_enroll=true",
            "auto_enroll_threshold=0",
            "min_initial_enrollments=2",
        ])
        .await;
    low_bar
        .save(
            USER,
            &format!("{};{}", alice.same_text(), alice.same_text()),
        )
        .await;
    let r = low_bar.verify(USER, &alice.same_text()).await;
    let enrolled = r.body["result"] == 1;
    assert_eq!(
        r.body["action"],
        if enrolled { "verify;enroll" } else { "verify" },
        "{}",
        r.body
    );
    assert_eq!(low_bar.counts(USER).await.0, if enrolled { 3 } else { 2 });
    let high_bar = server
        .client(&[
            "auto_enroll=true",
            "auto_enroll_threshold=100",
            "min_initial_enrollments=2",
        ])
        .await;
    high_bar
        .save(
            USER,
            &format!("{};{}", alice.same_text(), alice.same_text()),
        )
        .await;
    let r = high_bar.verify(USER, &Typist::new(99).same_text()).await;
    assert_eq!(
        (r.body["action"].as_str(), r.body["enrollment"].as_i64()),
        (Some("verify"), Some(0)),
        "{}",
        r.body
    );
    assert_eq!(high_bar.counts(USER).await.0, 2);
    server.stop().await;
}

#[tokio::test]
async fn verify_modes_quality_and_the_tenant_result_threshold() {
    let server = TestServer::start().await;
    let c = server.client(&["auto_enroll=false"]).await;
    let mut alice = Typist::new(41);
    for _ in 0..3 {
        c.save(USER, &alice.same_text()).await;
    }
    let r = c
        .post(
            &format!("/verify/{USER}"),
            &[("tp", &alice.same_text()), ("deviceSimilarityOnly", "1")],
        )
        .await;
    assert_eq!(r.code(), 1);
    assert!(r.body["device_similarity"].as_i64().is_some());
    assert!(
        r.body.get("score").is_none() && r.body.get("result").is_none(),
        "{}",
        r.body
    );
    let r = c
        .post(
            &format!("/verify/{USER}"),
            &[("tp", &mobile_pattern(3, true)), ("position_only", "true")],
        )
        .await;
    assert_eq!(
        (r.code(), r.body["positions"].clone()),
        (1, json!([6])),
        "{}",
        r.body
    );
    assert!(r.body.get("score").is_none());

    // The same probe at the three qualities: a stricter quality never accepts more.
    let lenient = server
        .client(&["auto_enroll=false", "allow_identical_on_verify=true"])
        .await;
    for _ in 0..3 {
        lenient.save(USER, &alice.same_text()).await;
    }
    let probe = Typist::new(42).same_text();
    let mut results = Vec::new();
    for q in ["1", "2", "3", "0", "9"] {
        let r = lenient
            .post(
                &format!("/verify/{USER}"),
                &[("tp", &probe), ("quality", q)],
            )
            .await;
        assert_eq!(r.code(), 1, "{}", r.body);
        results.push(r.body["result"].as_i64().unwrap());
    }
    assert!(
        results[0] >= results[1] && results[1] >= results[2],
        "{results:?}"
    );
    assert_eq!(
        (results[3], results[4]),
        (results[0], results[2]),
        "out-of-range quality is clamped"
    );
    let r = lenient
        .post(
            &format!("/verify/{USER}"),
            &[("tp", &probe), ("quality", "high")],
        )
        .await;
    assert_eq!((r.status, r.code()), (400, 31));

    // result follows net_score against the tenant threshold when one is set.
    for (threshold, expected) in [("0", 1), ("100", 0)] {
        let t = server
            .client(&[
                "auto_enroll=false",
                &format!("result_threshold={threshold}"),
            ])
            .await;
        t.save(USER, &alice.same_text()).await;
        assert_eq!(
            t.verify(USER, &alice.same_text()).await.body["result"],
            expected
        );
    }
    server.stop().await;
}

#[tokio::test]
async fn auto_enrols_three_joined_samples_then_verifies() {
    let server = TestServer::start().await;
    let c = server.client(&[]).await;
    let mut alice = Typist::new(51);
    let r = c
        .post(&format!("/auto/{USER}"), &[("tp", &alice.same_text())])
        .await;
    assert_eq!(
        (
            r.code(),
            r.body["action"].as_str(),
            r.body["enrollment"].as_i64()
        ),
        (10, Some("enroll"), Some(1))
    );
    let c2 = server.client(&[]).await;
    let three = format!(
        "{};{};{}",
        alice.same_text(),
        alice.same_text(),
        alice.same_text()
    );
    let r = c2.post(&format!("/auto/{USER}"), &[("tp", &three)]).await;
    assert_eq!(
        (r.code(), r.body["has_minimum_enrollments"].as_bool()),
        (1, Some(true)),
        "{}",
        r.body
    );
    let r = c2
        .post(
            &format!("/auto/{USER}"),
            &[("tp", &alice.same_text()), ("custom_field", "login-7781")],
        )
        .await;
    assert_eq!(r.code(), 1, "{}", r.body);
    assert!(matches!(
        r.body["action"].as_str(),
        Some("verify") | Some("verify;enroll")
    ));
    assert!(r.body["result"].as_i64().is_some() && r.body["high_confidence"].as_i64().is_some());
    assert!(
        r.body.get("score").is_none(),
        "/auto returns no score fields"
    );
    assert_eq!(r.body["custom_field"], "login-7781");
    assert_eq!(
        c2.post(&format!("/auto/{USER}"), &[("tp", &three)])
            .await
            .code(),
        2,
        "replayed enrolment"
    );
    server.stop().await;
}

#[tokio::test]
async fn delete_removes_what_the_filters_select_and_everything_without_them() {
    let server = TestServer::start().await;
    let c = server.client(&[]).await;
    let mut alice = Typist::new(61);
    let type1 = alice.same_text();
    c.save(USER, &type1).await;
    c.save(USER, &alice.same_text()).await;
    c.save(USER, &alice.type_text(TEXT, 2)).await;
    c.save(USER, &mobile_pattern(1, false)).await;
    let r = c
        .delete(&format!("/user/{USER}?type=2&custom_field=abc"))
        .await;
    assert_eq!(
        (
            r.code(),
            r.body["deleted"].as_i64(),
            r.body["custom_field"].as_str()
        ),
        (1, Some(1), Some("abc"))
    );
    let r = c.delete(&format!("/user/{USER}?device=mobile")).await;
    assert_eq!(r.body["deleted"], 1);
    assert_eq!(c.counts(USER).await, (2, 0));
    assert_eq!(
        c.save(USER, &type1).await.code(),
        2,
        "filtered deletes keep replay protection"
    );
    let r = c.delete(&format!("/user/{USER}")).await;
    assert_eq!(r.body["deleted"], 2);
    assert_eq!(
        server.stored(&c).await,
        (0, 0, 0),
        "nothing of the user is left"
    );
    assert_eq!(
        c.save(USER, &type1).await.code(),
        1,
        "a deleted user starts afresh"
    );
    assert_eq!(c.delete("/user/nobody-at-all").await.body["deleted"], 0);
    server.stop().await;
}

#[tokio::test]
async fn changeuser_renames_and_refuses_taken_or_invalid_ids() {
    let server = TestServer::start().await;
    let c = server.client(&[]).await;
    let mut alice = Typist::new(71);
    c.save(USER, &alice.same_text()).await;
    c.save("user-0002-bob", &alice.same_text()).await;
    let r = c
        .post(
            &format!("/changeuser/{USER}"),
            &[("newuserid", "user-0002-bob")],
        )
        .await;
    assert_eq!((r.status, r.code()), (455, 50), "{}", r.body);
    let r = c
        .post(&format!("/changeuser/{USER}"), &[("newuserid", "abc")])
        .await;
    assert_eq!((r.status, r.code()), (444, 35));
    let r = c
        .post(
            &format!("/changeuser/{USER}"),
            &[("newuserid", "user-0003-carol")],
        )
        .await;
    assert_eq!((r.code(), r.body["success"].as_i64()), (1, Some(1)));
    assert_eq!(c.counts(USER).await, (0, 0));
    assert_eq!(c.counts("user-0003-carol").await, (1, 0));
    let r = c
        .post(
            "/changeuser/unknown-user",
            &[("newuserid", "user-0004-dave")],
        )
        .await;
    assert_eq!((r.code(), r.body["success"].as_i64()), (4, Some(0)));
    server.stop().await;
}

#[tokio::test]
async fn match_compares_without_storing_and_reports_mismatches() {
    let server = TestServer::start().await;
    let c = server.client(&[]).await;
    let mut alice = Typist::new(81);
    let tp1 = format!("{};{}", alice.same_text(), alice.same_text());
    let r = c
        .post(
            "/match",
            &[("tp1", &tp1), ("tp2", &alice.same_text()), ("quality", "2")],
        )
        .await;
    assert_eq!(r.code(), 1, "{}", r.body);
    assert!(r.body["score"].as_i64().is_some() && r.body["result"].as_i64().is_some());
    let r = c
        .post(
            "/match",
            &[
                ("tp1", &tp1),
                ("tp2", &alice.same_text()),
                ("deviceSimilarityOnly", "1"),
            ],
        )
        .await;
    assert!(r.body.get("score").is_none() && r.body["device_similarity"].as_i64().is_some());
    let cases = [
        (alice.type_text(LONG_TEXT, 0), 450, 44),
        (alice.type_text("some other words", 1), 449, 41),
        (mobile_pattern(1, false), 448, 40),
    ];
    for (tp2, status, code) in cases {
        let r = c.post("/match", &[("tp1", &tp1), ("tp2", &tp2)]).await;
        assert_eq!((r.status, r.code()), (status, code), "{}", r.body);
    }
    assert_eq!(server.stored(&c).await, (0, 0, 0));
    server.stop().await;
}

#[tokio::test]
async fn quote_picks_a_phrase_in_range_or_says_none_matches() {
    let server = TestServer::start().await;
    let c = server.client(&[]).await;
    let r = c.get("/quote?min=40&max=60").await;
    let quote = r.body["quote"].as_str().unwrap();
    assert!((40..=60).contains(&quote.chars().count()), "{quote}");
    assert!(r.body["author"].as_str().is_some());
    // Bounds in a form body on GET, as some clients send them.
    let r = Client::send(
        c.request(reqwest::Method::GET, "/quote")
            .header("content-type", "application/x-www-form-urlencoded")
            .body("min=140&max=180"),
    )
    .await;
    assert!((140..=180).contains(&r.body["quote"].as_str().unwrap().chars().count()));
    let r = c.get("/quote?min=900&max=1000").await;
    assert_eq!(
        (r.status, r.code(), r.body["success"].as_i64()),
        (200, 6, Some(0))
    );
    server.stop().await;
}

#[tokio::test]
async fn json_bodies_aliases_whitespace_and_custom_field_echo() {
    let server = TestServer::start().await;
    let c = server.client(&["auto_enroll=false"]).await;
    let mut alice = Typist::new(91);
    let r = c.post_json(&format!("/save/{USER}"), &json!({"tp": format!("  {}\n", alice.same_text()), "custom_field": "x y", "userId": "ignored"})).await;
    assert_eq!(
        (r.code(), r.body["custom_field"].as_str()),
        (1, Some("x y")),
        "{}",
        r.body
    );
    let r = c
        .post_json(
            &format!("/verify/{USER}"),
            &json!({"tp": alice.same_text(), "quality": 2, "positionOnly": true}),
        )
        .await;
    assert_eq!(r.body["positions"], json!([]));
    let r = Client::send(
        c.request(reqwest::Method::GET, &format!("/user/{USER}"))
            .header("Cache-Control", "no-cache")
            .header("tdna-advanced", "1")
            .header("Accept", "application/json"),
    )
    .await;
    assert_eq!(r.body["count"], 1);
    // A PHP client's trailing newline, an id with the characters of a bcrypt hash.
    let bcrypt_id = "$2b$10$N9qo8uLOickgx2ZMRZoMye/IjZAgcfl7p92ldGxad68LJZdL17lhW";
    let encoded = bcrypt_id.replace('$', "%24").replace('/', "%2F");
    let r = Client::send(
        c.request(reqwest::Method::POST, &format!("/save/{encoded}"))
            .header("content-type", "application/x-www-form-urlencoded")
            .body(format!("tp={}\n", urlencode(&alice.same_text()))),
    )
    .await;
    assert_eq!(r.code(), 1, "{}", r.body);
    assert_eq!(c.counts(&encoded).await, (1, 0));
    server.stop().await;
}

fn urlencode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'a'..=b'z' | b'A'..=b'Z' | b'0'..=b'9' | b'-' | b'.' | b'_' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

#[tokio::test]
async fn buckets_rotate_the_oldest_pattern_out_beyond_the_cap() {
    let server = TestServer::start().await;
    let c = server.client(&["max_patterns_per_bucket=3"]).await;
    let mut alice = Typist::new(101);
    let oldest = alice.same_text();
    c.save(USER, &oldest).await;
    for _ in 0..4 {
        assert_eq!(c.save(USER, &alice.same_text()).await.code(), 1);
    }
    assert_eq!(c.counts(USER).await, (3, 0));
    assert_eq!(
        c.save(USER, &oldest).await.code(),
        2,
        "a rotated-out pattern is still a replay"
    );
    server.stop().await;
}

#[tokio::test]
async fn mobile_patterns_are_kept_by_typing_position() {
    let server = TestServer::start().await;
    let c = server.client(&["auto_enroll=false"]).await;
    for v in 1..=3 {
        assert_eq!(c.save(USER, &mobile_pattern(v, false)).await.code(), 1);
    }
    let r = c.verify(USER, &mobile_pattern(4, true)).await;
    assert_eq!(
        (r.code(), r.body["success"].as_i64()),
        (3, Some(0)),
        "landscape has no enrolments: {}",
        r.body
    );
    let r = c.verify(USER, &mobile_pattern(5, false)).await;
    assert_eq!(r.code(), 1, "{}", r.body);
    assert_eq!(r.body["compared_samples"], 3);
    assert_eq!(c.counts(USER).await, (0, 3));
    server.stop().await;
}

#[tokio::test]
async fn concurrent_saves_for_one_user_lose_nothing_and_store_no_duplicate() {
    let server = TestServer::start().await;
    let c = server.client(&["max_patterns_per_bucket=100"]).await;
    let mut alice = Typist::new(111);
    let patterns: Vec<String> = (0..24).map(|_| alice.same_text()).collect();
    // Every pattern is sent twice, all at once.
    let mut tasks = Vec::new();
    for tp in patterns.iter().chain(patterns.iter()) {
        let (c, tp) = (c.clone(), tp.clone());
        tasks.push(tokio::spawn(async move { c.save(USER, &tp).await.code() }));
    }
    let mut codes = Vec::new();
    for t in tasks {
        codes.push(t.await.unwrap());
    }
    assert_eq!(codes.iter().filter(|&&c| c == 1).count(), 24, "{codes:?}");
    assert_eq!(codes.iter().filter(|&&c| c == 2).count(), 24, "{codes:?}");
    assert_eq!(c.counts(USER).await, (24, 0));
    assert_eq!(server.stored(&c).await, (1, 24, 24));
    server.stop().await;
}

#[tokio::test]
async fn health_metrics_and_openapi_are_served() {
    let server = TestServer::start().await;
    let c = server.client(&[]).await;
    c.get("/user/someone-here").await;
    let health = server.get_json("/healthz").await;
    assert_eq!(health["status"], "ok");
    let expected = match std::env::var("KEYCADENCE_TEST_DATABASE_URL") {
        Ok(url) if url.starts_with("postgres") => "postgres",
        _ => "sqlite",
    };
    assert_eq!(
        health["database"], expected,
        "the suite runs on the database it was given"
    );
    let metrics = reqwest::get(format!("{}/metrics", server.base))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        metrics.contains(r#"keycadence_http_requests_total{route="/user",method="GET",status="200",message_code="1"} 1"#),
        "{metrics}"
    );
    assert!(metrics.contains("keycadence_http_request_duration_seconds_bucket"));
    let doc = server.get_json("/openapi.json").await;
    assert_eq!(doc["openapi"], "3.0.3");
    let paths = doc["paths"].as_object().unwrap();
    // Every documented status is one the server can send: the Authentication API's errors
    // (which include every status the Verify endpoints use), and the TOTP endpoints' own 201
    // Created, 204 No Content and 409 (Twilio code 20409, `otp::totp::TotpError`).
    let mut statuses: std::collections::BTreeSet<String> = keycadence_server::error::ErrorCode::ALL
        .iter()
        .map(|c| c.http_status().to_string())
        .collect();
    statuses.extend(["200", "201", "204", "409"].map(String::from));
    // The sign-in routes' own statuses (`signin::error::SignInFailure::wire`).
    statuses.extend(["410", "422", "502"].map(String::from));
    for (path, item) in paths {
        for op in item.as_object().unwrap().values() {
            for status in op["responses"].as_object().unwrap().keys() {
                assert!(statuses.contains(status), "{path}: {status}");
            }
        }
    }
    server.stop().await;
}

/// The OpenAPI form of a router path: `{*id}` (rest of the path) is the `{id}` parameter.
fn openapi_path(route: &str) -> String {
    route.replace("{*", "{")
}

/// A request path the router path matches. A new parameter name must be added here.
fn concrete_path(route: &str) -> String {
    let path = route
        .replace("{*id}", "someone-here")
        .replace("{service}", &format!("VA{}", "0".repeat(32)))
        .replace("{identity}", "user-0001")
        .replace("{factor}", &format!("YF{}", "0".repeat(32)))
        .replace("{challenge}", &format!("YC{}", "0".repeat(32)))
        .replace("{sign_in}", &format!("sia_{}", "0".repeat(32)));
    assert!(
        !path.contains('{'),
        "no sample value for a parameter of {route}"
    );
    path
}

/// Every (method, path) the router serves is described in /openapi.json, and the document
/// describes nothing else. The paths come from the list the router is built from
/// (`app::routes`); which methods each serves is asked of the running server (anything but
/// 405 Method Not Allowed).
#[tokio::test]
async fn every_served_route_is_in_the_openapi_document() {
    let server = TestServer::start().await;
    let doc = server.get_json("/openapi.json").await;
    let documented = doc["paths"].as_object().unwrap();
    let routes = keycadence_server::app::route_paths();
    let http = reqwest::Client::new();
    let mut missing = Vec::new();
    let mut unserved = Vec::new();
    for route in &routes {
        let path = concrete_path(route);
        let item = &doc["paths"][openapi_path(route)];
        let mut served = 0;
        for method in ["GET", "POST", "PUT", "PATCH", "DELETE"] {
            let status = http
                .request(method.parse().unwrap(), format!("{}{path}", server.base))
                .send()
                .await
                .unwrap()
                .status()
                .as_u16();
            assert_ne!(status, 404, "{method} {path}: the path matches no route");
            let operation = item.get(method.to_ascii_lowercase()).is_some();
            if status == 405 {
                if operation {
                    unserved.push(format!("{method} {route}"));
                }
            } else {
                served += 1;
                if !operation {
                    missing.push(format!("{method} {route}"));
                }
            }
        }
        assert!(served > 0, "{route} answers no method");
    }
    assert!(
        missing.is_empty(),
        "served but missing from the OpenAPI document: {missing:?}"
    );
    assert!(
        unserved.is_empty(),
        "in the OpenAPI document but not served: {unserved:?}"
    );
    let served_paths: std::collections::BTreeSet<String> =
        routes.iter().map(|r| openapi_path(r)).collect();
    let stale: Vec<&String> = documented
        .keys()
        .filter(|p| !served_paths.contains(*p))
        .collect();
    assert!(
        stale.is_empty(),
        "documented paths no route serves: {stale:?}"
    );
    server.stop().await;
}
