//! Time through the server's clock: the test moves the clock in the application state forward
//! instead of sleeping until a code expires.

use std::time::Duration;

use keycadence_otp::VerifyPayload;

use super::support::*;

#[tokio::test]
async fn a_code_expires_when_the_servers_clock_passes_its_lifetime() {
    let (smtp, _sms, server) = server_with_delivery().await;
    let app = server.email_app(|s| s.code_lifetime_seconds = 300).await;
    let clock = server.state.clock.clone();
    // Payloads are stamped with the server's time, as a back end in step with it would.
    let stamped = |fields: VerifyPayload| VerifyPayload {
        ts: Some(clock.now()),
        ..fields
    };
    let in_time = unique_email("clock-in-time");
    let too_late = unique_email("clock-too-late");
    app.send(stamped(TestApp::email(&in_time)))
        .await
        .expect(9, 200);
    app.send(stamped(TestApp::email(&too_late)))
        .await
        .expect(9, 200);
    let in_time_code = code_in(&smtp.wait_for(&in_time, 1).await, 6);
    let too_late_code = code_in(&smtp.wait_for(&too_late, 1).await, 6);

    // A second before the lifetime ends the code still matches; after it, the other user's
    // (right) code is refused as expired.
    clock.advance(Duration::from_secs(299));
    app.validate(stamped(TestApp::email(&in_time)), &in_time_code)
        .await
        .expect(19, 200);
    clock.advance(Duration::from_secs(2));
    app.validate(stamped(TestApp::email(&too_late)), &too_late_code)
        .await
        .expect(10, 200);
    server.stop().await;
}

#[tokio::test]
async fn a_totp_lock_out_is_timed_by_the_servers_clock() {
    let (_smtp, _sms, server) = server_with_delivery().await;
    let (key, secret) = server.api_key().await;
    let post = |path: String, form: Vec<(&'static str, String)>| {
        let request = server
            .http
            .post(format!("{}{path}", server.base))
            .basic_auth(&key, Some(&secret))
            .form(&form);
        async move { request.send().await.unwrap() }
    };
    let service: serde_json::Value = post(
        "/v2/Services".into(),
        vec![("FriendlyName", "Clocked".into())],
    )
    .await
    .json()
    .await
    .unwrap();
    let codes = format!(
        "/v2/Services/{}/Entities/user-0009-abcd/BackupCodes",
        service["sid"].as_str().unwrap()
    );
    let issued: serde_json::Value = post(codes.clone(), Vec::new()).await.json().await.unwrap();
    let used = issued["codes"][0].as_str().unwrap().to_string();
    let redeem = format!("{codes}/Redeem");
    assert_eq!(
        post(redeem.clone(), vec![("Code", used.clone())])
            .await
            .status(),
        200
    );

    // A day later by the server's clock, the used code is tried until the set locks.
    server.state.clock.advance(Duration::from_secs(24 * 3600));
    let mut locked = None;
    for _ in 0..10 {
        let reply = post(redeem.clone(), vec![("Code", used.clone())]).await;
        if reply.status() == 429 {
            locked = Some(reply);
            break;
        }
    }
    let locked = locked.expect("the wrong codes lock the set");
    // The lock-out lasts its 15 minutes from the clock's time, not from the system's.
    let wait: u64 = locked.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((899..=900).contains(&wait), "Retry-After: {wait}");
    server.stop().await;
}
