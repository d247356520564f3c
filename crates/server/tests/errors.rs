//! Every error the API documents that a client can provoke, over real HTTP, and proof that
//! refused requests change nothing stored.

mod common;

use std::time::{Duration, Instant};

use common::*;
use serde_json::json;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

const USER: &str = "user-0001-alice";

fn assert_error(r: &Reply, status: u16, code: i64) {
    assert_eq!((r.status, r.code()), (status, code), "{}", r.body);
    assert!(
        r.body["name"].as_str().is_some_and(|n| !n.is_empty()),
        "error bodies carry a name: {}",
        r.body
    );
    assert!(
        r.body.get("success").is_none(),
        "error bodies carry no success: {}",
        r.body
    );
}

#[tokio::test]
async fn credentials_are_checked_and_failures_echo_nothing() {
    let server = TestServer::start().await;
    let c = server.client(&[]).await;
    let path = format!("/user/{USER}?custom_field=secret-echo");
    let r = Client::send(c.http.get(format!("{}{path}", server.base))).await;
    assert_error(&r, 401, 32);
    assert!(r.body.get("custom_field").is_none());
    assert_error(&c.with_secret("wrong").get(&path).await, 401, 32);
    assert_error(
        &Client::new(&server.base, "unknown-key", "x")
            .get(&path)
            .await,
        403,
        33,
    );
    let r = Client::send(
        c.http
            .get(format!("{}{path}", server.base))
            .header("authorization", "Bearer abc"),
    )
    .await;
    assert_error(&r, 401, 32);
    assert_eq!(c.get(&path).await.code(), 1);
    server
        .db
        .keys()
        .revoke(&c.key, keycadence_server::clock::now_millis())
        .await
        .unwrap();
    assert_error(&c.get(&path).await, 403, 33);
    server.stop().await;
}

#[tokio::test]
async fn malformed_requests_get_their_code_and_change_nothing() {
    let server = TestServer::start().await;
    let c = server.client(&[]).await;
    let mut alice = Typist::new(1);
    c.save(USER, &alice.same_text()).await;
    let before = server.stored(&c).await;
    let good = alice.same_text();
    let truncated = good[..good.len() / 2].to_string();
    let type1_and_type2 = format!("{};{}", alice.same_text(), alice.type_text(TEXT, 2));
    let desktop_and_mobile = format!("{};{}", alice.same_text(), mobile_pattern(1, false));
    let four = vec![alice.same_text(); 4].join(";");
    let long_id = "x".repeat(257);
    type Case<'a> = (String, Vec<(&'a str, String)>, u16, i64);
    let cases: Vec<Case> = vec![
        (
            format!("/save/{USER}"),
            vec![("tp", "null".into())],
            445,
            36,
        ),
        (format!("/save/{USER}"), vec![("tp", "".into())], 400, 31),
        (format!("/save/{USER}"), vec![], 400, 31),
        (
            format!("/save/{USER}"),
            vec![("tp", truncated.clone())],
            445,
            36,
        ),
        (
            format!("/save/{USER}"),
            vec![("tp", "0,3.2,0,0,5,1|1,2".into())],
            445,
            36,
        ),
        (
            format!("/save/{USER}"),
            vec![("tp", "hello world".into())],
            445,
            36,
        ),
        (
            format!("/save/{USER}"),
            vec![("tp", format!("{good};null"))],
            445,
            36,
        ),
        (
            format!("/save/{USER}"),
            vec![("tp", mouse_pattern())],
            445,
            36,
        ),
        (
            format!("/save/{USER}"),
            vec![("tp", type1_and_type2.clone())],
            458,
            55,
        ),
        (
            format!("/save/{USER}"),
            vec![("tp", desktop_and_mobile)],
            458,
            55,
        ),
        (
            format!("/save/{USER}"),
            vec![("tp", mobile_pattern_without_motion())],
            453,
            46,
        ),
        ("/save/abc".into(), vec![("tp", good.clone())], 444, 35),
        (
            format!("/save/{long_id}"),
            vec![("tp", good.clone())],
            444,
            35,
        ),
        ("/save/".into(), vec![("tp", good.clone())], 444, 35),
        (format!("/verify/{USER}"), vec![("tp", four)], 459, 56),
        (
            format!("/verify/{USER}"),
            vec![("tp", truncated.clone())],
            445,
            36,
        ),
        (
            format!("/verify/{USER}"),
            vec![("tp", good.clone()), ("quality", "x".into())],
            400,
            31,
        ),
        (
            format!("/auto/{USER}"),
            vec![("tp", type1_and_type2)],
            458,
            55,
        ),
        (
            format!("/auto/{USER}"),
            vec![("tp", "null".into())],
            445,
            36,
        ),
        (format!("/changeuser/{USER}"), vec![], 400, 31),
        ("/match".into(), vec![("tp1", good.clone())], 400, 31),
        (
            "/match".into(),
            vec![("tp1", good.clone()), ("tp2", truncated)],
            445,
            36,
        ),
    ];
    for (path, form, status, code) in cases {
        let form: Vec<(&str, &str)> = form.iter().map(|(k, v)| (*k, v.as_str())).collect();
        let mut with_custom = form.clone();
        with_custom.push(("custom_field", "cf-1"));
        let r = c.post(&path, &with_custom).await;
        assert_eq!((r.status, r.code()), (status, code), "{path} {form:?}");
        assert_error(&r, status, code);
        // No echo for syntax errors, nor for a missing id (the route needs no authentication).
        if code != 31 && !path.ends_with('/') {
            assert_eq!(
                r.body["custom_field"], "cf-1",
                "{path}: custom_field echoed on {code}"
            );
        }
        assert_eq!(
            server.stored(&c).await,
            before,
            "{path} {code} changed what is stored"
        );
    }
    let bad_json = Client::send(
        c.request(reqwest::Method::POST, &format!("/save/{USER}"))
            .header("content-type", "application/json")
            .body("{\"tp\": "),
    )
    .await;
    assert_error(&bad_json, 400, 31);
    assert_error(
        &c.post_json(&format!("/save/{USER}"), &json!({"tp": {"nested": 1}}))
            .await,
        400,
        31,
    );
    assert_error(&c.get(&format!("/user/{USER}?type=7")).await, 400, 31);
    assert_error(
        &c.get(&format!("/user/{USER}?device=tablet")).await,
        400,
        31,
    );
    assert_error(
        &c.delete(&format!("/user/{USER}?textid=abc")).await,
        400,
        31,
    );
    assert_eq!(server.stored(&c).await, before);
    server.stop().await;
}

#[tokio::test]
async fn unknown_routes_and_methods() {
    let server = TestServer::start().await;
    let c = server.client(&[]).await;
    assert_error(&c.get("/nothing/here").await, 404, 38);
    assert_error(&c.post("/delete/abcdefgh", &[]).await, 404, 38);
    assert_error(
        &Client::send(c.request(reqwest::Method::PUT, &format!("/save/{USER}"))).await,
        405,
        34,
    );
    assert_error(&c.get(&format!("/verify/{USER}")).await, 405, 34);
    assert_error(&c.post(&format!("/user/{USER}"), &[]).await, 405, 34);
    server.stop().await;
}

#[tokio::test]
async fn oversize_bodies_are_refused_with_or_without_a_length() {
    let server = TestServer::start().await;
    let c = server.client(&["max_request_bytes=2048"]).await;
    let big = "7".repeat(4000);
    assert_error(
        &c.post(&format!("/save/{USER}"), &[("tp", &big)]).await,
        447,
        42,
    );
    // Chunked, so the size is only known while reading.
    let address = server.base.trim_start_matches("http://").to_string();
    let mut stream = tokio::net::TcpStream::connect(&address).await.unwrap();
    let head = format!(
        "POST /save/{USER} HTTP/1.1\r\nHost: {address}\r\nAuthorization: Basic {}\r\n\
         Content-Type: application/x-www-form-urlencoded\r\nTransfer-Encoding: chunked\r\n\r\n",
        base64_basic(&c.key, &c.secret)
    );
    stream.write_all(head.as_bytes()).await.unwrap();
    for _ in 0..4 {
        stream
            .write_all(format!("3e8\r\n{}\r\n", "1".repeat(1000)).as_bytes())
            .await
            .unwrap();
    }
    stream.write_all(b"0\r\n\r\n").await.unwrap();
    let mut answer = Vec::new();
    let mut buf = vec![0u8; 4096];
    while !String::from_utf8_lossy(&answer).contains("}") {
        let n = stream.read(&mut buf).await.unwrap();
        assert!(n > 0, "connection closed without an answer");
        answer.extend_from_slice(&buf[..n]);
    }
    let answer = String::from_utf8_lossy(&answer);
    assert!(answer.starts_with("HTTP/1.1 447"), "{answer}");
    assert!(answer.contains(r#""message_code":42"#), "{answer}");
    assert_eq!(server.stored(&c).await, (0, 0, 0));
    server.stop().await;
}

#[tokio::test]
async fn rate_limits_answer_with_retry_after() {
    let server = TestServer::start_with(|c| c.ip_requests_per_second = 3).await;
    let c = server.client(&[]).await;
    let path = format!("/user/{USER}");
    let replies: Vec<Reply> = futures_join(&c, &path, 6).await;
    let limited: Vec<&Reply> = replies.iter().filter(|r| r.status == 452).collect();
    assert!(
        !limited.is_empty(),
        "6 requests at once over a 3/s per-IP limit"
    );
    for r in limited {
        assert_error(r, 452, 43);
        assert_eq!(r.headers["retry-after"], "1");
    }
    server.stop().await;

    let server = TestServer::start().await;
    let c = server.client(&["requests_per_second=2"]).await;
    let replies = futures_join(&c, &path, 5).await;
    let limited: Vec<&Reply> = replies.iter().filter(|r| r.status == 429).collect();
    assert!(!limited.is_empty());
    for r in &limited {
        assert_error(r, 429, 52);
        assert!(r.headers.contains_key("retry-after"));
    }
    // The bucket refills with time (2 a second): ask until it has, refused meanwhile.
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        let r = c.get(&path).await;
        if r.code() == 1 {
            break;
        }
        assert_error(&r, 429, 52);
        assert!(Instant::now() < deadline, "the bucket never refilled");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let other = server.client(&[]).await;
    assert_eq!(other.get(&path).await.code(), 1, "limits are per tenant");

    let per_ip = server.client(&["requests_per_second_per_ip=1"]).await;
    let replies = futures_join(&per_ip, &path, 3).await;
    assert!(replies
        .iter()
        .any(|r| r.status == 452 && r.code() == 43 && r.headers.contains_key("retry-after")));
    server.stop().await;
}

async fn futures_join(c: &Client, path: &str, n: usize) -> Vec<Reply> {
    let tasks: Vec<_> = (0..n)
        .map(|_| {
            let (c, path) = (c.clone(), path.to_string());
            tokio::spawn(async move { c.get(&path).await })
        })
        .collect();
    let mut replies = Vec::new();
    for t in tasks {
        replies.push(t.await.unwrap());
    }
    replies
}

#[tokio::test]
async fn concurrency_limit_refuses_while_a_request_is_in_flight() {
    let server = TestServer::start().await;
    let c = server.client(&["max_concurrent_requests=1"]).await;
    let address = server.base.trim_start_matches("http://").to_string();
    let auth = base64_basic(&c.key, &c.secret);
    let body = format!("newuserid=user-0009-zed&custom_field={}", "a".repeat(20));
    let head = format!(
        "POST /changeuser/{USER} HTTP/1.1\r\nHost: {address}\r\nAuthorization: Basic {auth}\r\n\
         Content-Type: application/x-www-form-urlencoded\r\nContent-Length: {}\r\n\r\n",
        body.len()
    );
    // A request whose body is still coming holds the tenant's one permit. The server counts it
    // in flight (/metrics) once its head is read, a little before it takes the permit: a probe
    // that still got the permit first makes the round start again.
    let mut refused = None;
    for _round in 0..20 {
        let mut slow = tokio::net::TcpStream::connect(&address).await.unwrap();
        slow.write_all(head.as_bytes()).await.unwrap();
        slow.write_all(&body.as_bytes()[..10]).await.unwrap();
        while requests_in_flight(&server).await < 2 {
            tokio::task::yield_now().await;
        }
        let r = c.get(&format!("/user/{USER}")).await;
        slow.write_all(&body.as_bytes()[10..]).await.unwrap();
        let mut answer = vec![0u8; 4096];
        let n = slow.read(&mut answer).await.unwrap();
        let slow_answer = String::from_utf8_lossy(&answer[..n]).to_string();
        if r.status == 429 {
            assert!(slow_answer.starts_with("HTTP/1.1 200"), "{slow_answer}");
            refused = Some(r);
            break;
        }
    }
    assert_error(
        &refused.expect("a request was refused while another held the permit"),
        429,
        37,
    );
    assert_eq!(
        c.get(&format!("/user/{USER}")).await.code(),
        1,
        "the permit is returned"
    );
    server.stop().await;
}

/// `http_requests_in_flight` from `/metrics` (which counts itself).
async fn requests_in_flight(server: &TestServer) -> u64 {
    let text = reqwest::get(format!("{}/metrics", server.base))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    text.lines()
        .find_map(|line| line.strip_prefix("keycadence_http_requests_in_flight "))
        .expect("the in-flight gauge is exported")
        .trim()
        .parse()
        .unwrap()
}

pub fn base64_basic(key: &str, secret: &str) -> String {
    use base64::Engine;
    base64::engine::general_purpose::STANDARD.encode(format!("{key}:{secret}"))
}

#[tokio::test]
async fn tenant_caps_on_users_verifications_and_advanced_endpoints() {
    let server = TestServer::start().await;
    let mut alice = Typist::new(5);
    let c = server.client(&["max_users=1"]).await;
    assert_eq!(c.save(USER, &alice.same_text()).await.code(), 1);
    assert_error(&c.save("user-0002-bob", &alice.same_text()).await, 461, 51);
    assert_eq!(
        c.save(USER, &alice.same_text()).await.code(),
        1,
        "existing users may still enrol"
    );
    assert_eq!(server.stored(&c).await.0, 1);

    let c = server
        .client(&["max_verifications_per_user_per_day=2", "auto_enroll=false"])
        .await;
    c.save(USER, &alice.same_text()).await;
    assert_eq!(c.verify(USER, &alice.same_text()).await.code(), 1);
    assert_eq!(c.verify(USER, &alice.same_text()).await.code(), 1);
    assert_error(&c.verify(USER, &alice.same_text()).await, 462, 57);

    let c = server.client(&["advanced_endpoints=false"]).await;
    assert_error(&c.save(USER, &alice.same_text()).await, 456, 53);
    assert_error(&c.verify(USER, &alice.same_text()).await, 456, 53);
    assert_eq!(
        c.post(&format!("/auto/{USER}"), &[("tp", &alice.same_text())])
            .await
            .code(),
        10
    );

    let c = server.client(&["reject_contact_like_user_ids=true"]).await;
    assert_error(
        &c.save("alice%40example.com", &alice.same_text()).await,
        444,
        35,
    );
    server.stop().await;
}

#[tokio::test]
async fn maintenance_mode_answers_45_but_health_stays_up() {
    let server = TestServer::start_with(|c| c.maintenance = true).await;
    let c = server.client(&[]).await;
    assert_error(&c.get(&format!("/user/{USER}")).await, 451, 45);
    let health = reqwest::get(format!("{}/healthz", server.base))
        .await
        .unwrap();
    assert_eq!(health.status(), 200);
    server.stop().await;
}
