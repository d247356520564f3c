//! `/otp/send`, `/otp/validate` and `/user/reset-profile` over real HTTP, with codes delivered
//! to a real SMTP server and to a recording SMS gateway.

use std::time::Duration;

use keycadence_otp::payload::encrypt_with_iv;
use keycadence_otp::{KdfVersion, PayloadKey, UnixMillis, VerifyPayload};
use serde_json::json;

use super::support::*;

#[tokio::test]
async fn an_emailed_code_validates_once() {
    let (smtp, _sms, server) = server_with_delivery().await;
    let app = server.email_app(|_| {}).await;
    let user = unique_email("alice");

    let sent = app.send(TestApp::email(&user)).await;
    sent.expect(9, 200).no_otp();
    let mail = smtp.wait_for(&user, 1).await;
    let otp = code_in(&mail, 6);
    assert!(mail.contains("From: Example <codes@example.com>"), "{mail}");
    assert!(mail.contains("Subject: Your verification code"), "{mail}");
    assert!(
        mail.lines().any(|line| line == format!("To: {user}")),
        "addressed to the user: {mail}"
    );

    // Upper case and surrounding spaces name the same user; the code may be a number.
    let mut body = app.body(app.payload(TestApp::email(&format!(" {} ", user.to_uppercase()))));
    body["code"] = json!(otp.parse::<u64>().unwrap());
    app.post("/otp/validate", &body).await.expect(19, 200);
    // Single use.
    app.validate(TestApp::email(&user), &otp)
        .await
        .expect(10, 200);
    server.stop().await;
}

#[tokio::test]
async fn codes_are_stored_hashed_under_a_keyed_user_hash() {
    let (smtp, _sms, server) = server_with_delivery().await;
    let app = server.email_app(|_| {}).await;
    let user = unique_email("hashed");
    let otp = app.send_email_code(&smtp, &user).await;
    let rows = server.stored_records(&app).await;
    assert_eq!(rows.len(), 1);
    assert!(
        !rows[0].contains(&otp),
        "the code is stored in clear: {}",
        rows[0]
    );
    assert!(
        !rows[0].contains(&user),
        "the e-mail address is stored: {}",
        rows[0]
    );
    assert!(!rows[0].contains("alice"), "{}", rows[0]);
    server.stop().await;
}

#[tokio::test]
async fn an_sms_code_goes_through_the_twilio_style_gateway() {
    let smtp = SmtpSink::start();
    let sms = SmsGateway::start().await;
    let server = TestServer::start(Gateways {
        smtp_port: Some(smtp.port),
        sms_base: format!("{}/", sms.base),
    })
    .await;
    let app = server
        .app(
            |s| {
                s.sms_account_sid = Some("AC0123456789".into());
                s.sms_from = Some("+15550001111".into());
            },
            Some("token-xyz"),
        )
        .await;
    let phone = TestApp::phone("0722 000 111");
    let with_country = VerifyPayload {
        country_code: Some("40".into()),
        ..phone.clone()
    };
    app.send(with_country.clone()).await.expect(9, 200).no_otp();
    let otp = sms.last_code();

    let requests = sms.requests();
    assert_eq!(requests.len(), 1);
    let request = &requests[0];
    assert_eq!(
        request.path,
        "/2010-04-01/Accounts/AC0123456789/Messages.json"
    );
    use base64::Engine;
    let basic = base64::engine::general_purpose::STANDARD.encode("AC0123456789:token-xyz");
    assert_eq!(
        request.authorization.as_deref(),
        Some(format!("Basic {basic}").as_str())
    );
    assert!(request
        .content_type
        .as_deref()
        .is_some_and(|ct| ct.starts_with("application/x-www-form-urlencoded")));
    assert_eq!(request.field("To"), Some("+40722000111"));
    assert_eq!(request.field("From"), Some("+15550001111"));
    assert!(request.field("Body").unwrap().contains(&otp));

    // The same number written internationally is the same user.
    app.validate(TestApp::phone("+40 722 000 111"), &otp)
        .await
        .expect(19, 200);
    server.stop().await;
}

#[tokio::test]
async fn a_failed_delivery_answers_26_and_consumes_nothing() {
    let (_smtp, sms, server) = server_with_delivery().await;
    let app = server
        .app(
            |s| {
                s.sms_account_sid = Some("AC1".into());
                s.sms_from = Some("+15550001111".into());
                s.max_sends = 2;
            },
            Some("t"),
        )
        .await;
    let phone = TestApp::phone("+15551234567");
    app.send(phone.clone()).await.expect(9, 200).no_otp();
    let first = sms.last_code();
    let stored = server.stored_records(&app).await;

    sms.fail_with(400);
    for _ in 0..3 {
        let failed = app.send(phone.clone()).await;
        failed.expect(26, 200);
        assert!(failed.body.get("otp").is_none());
    }
    assert_eq!(sms.requests().len(), 4, "each attempt reached the gateway");
    assert_eq!(
        server.stored_records(&app).await,
        stored,
        "nothing was stored"
    );

    // The failures used no quota: one more send is allowed, then 13.
    sms.fail_with(201);
    app.send(phone.clone()).await.expect(9, 200).no_otp();
    let second = sms.last_code();
    let refused = app.send(phone.clone()).await;
    refused.expect(13, 200);
    assert!(refused.limited_until() > now_ms());
    // The second code replaced the first.
    if first != second {
        app.validate(phone.clone(), &first).await.expect(10, 200);
    }
    app.validate(phone.clone(), &second).await.expect(19, 200);
    server.stop().await;
}

#[tokio::test]
async fn an_unreachable_smtp_relay_answers_26_and_the_old_code_stays_valid() {
    let (smtp, _sms, server) = server_with_delivery().await;
    let app = server.email_app(|_| {}).await;
    let user = unique_email("relay");
    let otp = app.send_email_code(&smtp, &user).await;
    let stored = server.stored_records(&app).await;
    drop(smtp); // the relay goes away
    app.send(TestApp::email(&user)).await.expect(26, 200);
    assert_eq!(server.stored_records(&app).await, stored);
    app.validate(TestApp::email(&user), &otp)
        .await
        .expect(19, 200);
    server.stop().await;
}

#[tokio::test]
async fn expired_codes_are_refused() {
    let (smtp, _sms, server) = server_with_delivery().await;
    let app = server.email_app(|s| s.code_lifetime_seconds = 1).await;
    let user = unique_email("expiry");
    app.send(TestApp::email(&user))
        .await
        .expect(9, 200)
        .no_otp();
    let mail = smtp.wait_for(&user, 1).await;
    let otp = code_in(&mail, 6);
    assert!(
        mail.contains("1 seconds"),
        "the mail states the lifetime: {mail}"
    );
    server.state.clock.advance(Duration::from_millis(1100));
    app.validate(TestApp::email(&user), &otp)
        .await
        .expect(10, 200);
    server.stop().await;
}

#[tokio::test]
async fn brute_force_locks_the_user_out() {
    let (smtp, _sms, server) = server_with_delivery().await;
    let app = server
        .email_app(|s| {
            s.max_failed_attempts = 3;
            s.lockout_seconds = 2;
        })
        .await;
    let user = unique_email("brute");
    let otp = app.send_email_code(&smtp, &user).await;
    let wrong = if otp == "123456" { "654321" } else { "123456" };
    // A malformed guess is not a guess at a real code: not counted.
    app.validate(TestApp::email(&user), "12ab")
        .await
        .expect(10, 200);
    app.validate(TestApp::email(&user), wrong)
        .await
        .expect(10, 200);
    app.validate(TestApp::email(&user), wrong)
        .await
        .expect(10, 200);
    let locked = app.validate(TestApp::email(&user), wrong).await;
    locked.expect(11, 200);
    let until = locked.limited_until();
    assert!(until > now_ms() && until <= now_ms() + 2_000);
    // Locked: even the right code is refused unchecked, and no new code is sent.
    let refused = app.validate(TestApp::email(&user), &otp).await;
    refused.expect(12, 200);
    assert_eq!(refused.limited_until(), until);
    app.send(TestApp::email(&user)).await.expect(13, 200);
    assert_eq!(smtp.messages_to(&user).len(), 1);

    // After the lock-out the old code is void (the lock-out voided it), a new one works.
    let clock = &server.state.clock;
    clock.advance(Duration::from_millis(
        until.saturating_sub(clock.now_millis() as u64) + 50,
    ));
    app.validate(TestApp::email(&user), &otp)
        .await
        .expect(10, 200);
    let fresh = app.send_email_code(&smtp, &user).await;
    app.validate(TestApp::email(&user), &fresh)
        .await
        .expect(19, 200);
    server.stop().await;
}

#[tokio::test]
async fn sends_are_limited_per_window() {
    let (smtp, _sms, server) = server_with_delivery().await;
    let app = server.email_app(|s| s.max_sends = 2).await;
    let user = unique_email("quota");
    app.send(TestApp::email(&user)).await.expect(9, 200);
    app.send(TestApp::email(&user)).await.expect(9, 200);
    let refused = app.send(TestApp::email(&user)).await;
    refused.expect(13, 200);
    let window_end = refused.limited_until();
    assert!(
        window_end > now_ms() + 3_500_000,
        "one-hour window: {window_end}"
    );
    smtp.wait_for(&user, 2).await;
    assert_eq!(smtp.messages_to(&user).len(), 2);
    // Another user of the same application is not affected.
    app.send(TestApp::email(&unique_email("other")))
        .await
        .expect(9, 200);
    server.stop().await;
}

#[tokio::test]
async fn application_and_client_errors() {
    let (_smtp, _sms, server) = server_with_delivery().await;
    let app = server.email_app(|_| {}).await;
    let other = server.email_app(|_| {}).await;
    let user = unique_email("errors");
    let records_before = server.stored_records(&app).await;

    let mut body = app.body(app.payload(TestApp::email(&user)));
    body["applicationId"] = json!("0123456789abcdef0123456789abcdef");
    app.post("/otp/send", &body).await.expect(106, 400);
    let mut body = app.body(app.payload(TestApp::email(&user)));
    body["clientId"] = json!(other.client_id);
    app.post("/otp/send", &body).await.expect(105, 400);
    let mut body = app.body(app.payload(TestApp::email(&user)));
    body.as_object_mut().unwrap().remove("clientId");
    app.post("/otp/validate", &body).await.expect(105, 400);
    let mut body = app.body(app.payload(TestApp::email(&user)));
    body.as_object_mut().unwrap().remove("applicationId");
    app.post("/otp/send", &body).await.expect(106, 400);

    // A revoked application is unknown.
    server
        .db
        .verify_apps()
        .revoke(
            &other.application_id,
            keycadence_server::clock::now_millis(),
        )
        .await
        .unwrap();
    other.send(TestApp::email(&user)).await.expect(106, 400);
    assert_eq!(server.stored_records(&app).await, records_before);
    server.stop().await;
}

#[tokio::test]
async fn wrong_and_tampered_payloads() {
    let (_smtp, _sms, server) = server_with_delivery().await;
    let app = server.email_app(|s| s.legacy_payloads = true).await;
    let other = server.email_app(|_| {}).await;
    let user = unique_email("tamper");
    let send = |payload: serde_json::Value| {
        let mut body = app.body(String::new());
        body["payload"] = payload;
        body
    };

    // Not JSON, or not an object.
    let raw = app
        .http
        .post(format!("{}/otp/send", app.base))
        .header("content-type", "application/json")
        .body("clientId=x")
        .send()
        .await
        .unwrap();
    assert_eq!(raw.status().as_u16(), 400);
    let raw: serde_json::Value = raw.json().await.unwrap();
    assert_eq!(raw["code"], 104);
    app.post("/otp/send", &json!([1, 2])).await.expect(104, 400);

    // Missing, not hex, too short, not whole blocks.
    let mut body = app.body(String::new());
    body.as_object_mut().unwrap().remove("payload");
    app.post("/otp/send", &body).await.expect(104, 400);
    app.post("/otp/send", &send(json!("zz".repeat(48))))
        .await
        .expect(104, 400);
    app.post("/otp/send", &send(json!("ab".repeat(16))))
        .await
        .expect(104, 400);
    app.post("/otp/send", &send(json!("ab".repeat(40))))
        .await
        .expect(104, 400);

    // A flipped bit in the ciphertext, another application's key, a wrong secret: 124.
    let good = app.legacy_payload(TestApp::email(&user));
    let mut flipped = good.clone().into_bytes();
    flipped[0] = if flipped[0] == b'0' { b'1' } else { b'0' };
    let flipped = String::from_utf8(flipped).unwrap();
    app.post("/otp/send", &send(json!(flipped)))
        .await
        .expect(124, 400);
    let foreign = other.payload(TestApp::email(&user));
    app.post("/otp/send", &send(json!(foreign)))
        .await
        .expect(124, 400);
    let wrong_secret = PayloadKey::derive(
        "not-the-secret",
        &app.application_id,
        KdfVersion::V1_1Pbkdf2,
    );
    let wrong = keycadence_otp::payload::seal(
        &wrong_secret,
        &TestApp::email(&user),
        &mut rand::rngs::OsRng,
    );
    app.post("/otp/validate", &send(json!(wrong)))
        .await
        .expect(124, 400);
    // A right key but a plaintext that is not a JSON object.
    let not_object = encrypt_with_iv(&app.key, b"[\"alice@example.com\"]", [7; 16]);
    app.post("/otp/send", &send(json!(not_object)))
        .await
        .expect(124, 400);

    // A version the server does not know.
    let mut body = app.body(good.clone());
    body["version"] = json!("v2");
    app.post("/otp/send", &body).await.expect(101, 400);

    // Upper-case hex (Java and C# clients) opens.
    let mut body = app.body(app.legacy_payload(TestApp::email(&user)).to_uppercase());
    body["version"] = json!("1.1");
    app.post("/otp/send", &body).await.expect(9, 200);
    assert_eq!(
        server.stored_records(&app).await.len(),
        1,
        "only the good send stored"
    );
    server.stop().await;
}

#[tokio::test]
async fn payload_age_and_identifier_errors() {
    let (_smtp, _sms, server) = server_with_delivery().await;
    let app = server.email_app(|s| s.legacy_payloads = true).await;
    let user = unique_email("age");
    let old = VerifyPayload {
        ts: Some(UnixMillis(now_ms() - 301_000)),
        ..TestApp::email(&user)
    };
    app.send(old.clone()).await.expect(108, 400);
    app.validate(old, "123456").await.expect(108, 400);
    // PHP's microtime string, fresh, is read as a time.
    let php = VerifyPayload {
        ts: None,
        ..TestApp::email(&user)
    };
    let mut json: serde_json::Value = serde_json::from_str(&php.to_json()).unwrap();
    json["ts"] = json!(format!("0.25000000 {}", now_ms() / 1000 - 400));
    let sealed = keycadence_otp::payload::encrypt(
        &app.key,
        json.to_string().as_bytes(),
        &mut rand::rngs::OsRng,
    );
    app.post("/otp/send", &app.body(sealed))
        .await
        .expect(108, 400);

    app.send(VerifyPayload::default()).await.expect(109, 400);
    app.send(TestApp::email("not-an-address"))
        .await
        .expect(111, 400);
    app.send(TestApp::phone("12ab")).await.expect(112, 400);
    // An id alone names a user but gives no address to send to.
    let id_only = VerifyPayload {
        id: Some("user-000123".into()),
        ..VerifyPayload::default()
    };
    app.send(id_only.clone()).await.expect(109, 400);
    // Validating for a user who never got a code is simply wrong (and counted).
    app.validate(id_only, "123456").await.expect(10, 200);
    // `code` missing or of the wrong type.
    let body = app.body(app.payload(TestApp::email(&user)));
    app.post("/otp/validate", &body).await.expect(101, 400);
    let mut body = app.body(app.payload(TestApp::email(&user)));
    body["code"] = json!([1]);
    app.post("/otp/validate", &body).await.expect(101, 400);
    server.stop().await;
}

#[tokio::test]
async fn gateways_and_root_of_trust() {
    let (_smtp, sms, server) = server_with_delivery().await;
    let no_rot = server.email_app(|s| s.disable_rot = true).await;
    let user = unique_email("rot");
    no_rot.send(TestApp::email(&user)).await.expect(126, 401);
    // E-mail only: SMS has no gateway, and the other way round.
    let email_only = server.email_app(|_| {}).await;
    email_only
        .send(TestApp::phone("+15551234567"))
        .await
        .expect(129, 400);
    let sms_only = server
        .app(
            |s| {
                s.sms_account_sid = Some("AC1".into());
                s.sms_from = Some("+15550001111".into());
            },
            Some("t"),
        )
        .await;
    sms_only.send(TestApp::email(&user)).await.expect(132, 400);
    assert!(sms.requests().is_empty());
    for app in [&no_rot, &email_only, &sms_only] {
        assert!(server.stored_records(app).await.is_empty());
    }

    // A server without an SMTP relay has no e-mail gateway at all.
    let relayless = TestServer::start(Gateways {
        smtp_port: None,
        sms_base: sms.base.clone(),
    })
    .await;
    let app = relayless.email_app(|_| {}).await;
    app.send(TestApp::email(&user)).await.expect(132, 400);
    relayless.stop().await;
    server.stop().await;
}

#[tokio::test]
async fn version_1_0_scrypt_payloads_and_unstated_versions_open() {
    let (smtp, _sms, server) = server_with_delivery().await;
    let app = server.email_app(|s| s.legacy_payloads = true).await;
    let user = unique_email("scrypt");
    let scrypt = PayloadKey::derive(&app.secret, &app.application_id, KdfVersion::V1_0Scrypt);
    let fields = VerifyPayload {
        ts: Some(UnixMillis(now_ms())),
        ..TestApp::email(&user)
    };
    let sealed = keycadence_otp::payload::seal(&scrypt, &fields, &mut rand::rngs::OsRng);
    let mut body = app.body(sealed.clone());
    body["version"] = json!(1.0);
    app.post("/otp/send", &body).await.expect(9, 200).no_otp();
    let otp = code_in(&smtp.wait_for(&user, 1).await, 6);
    // Without `version` the server tries PBKDF2, then scrypt.
    let mut body = app.body(keycadence_otp::payload::seal(
        &scrypt,
        &fields,
        &mut rand::rngs::OsRng,
    ));
    body.as_object_mut().unwrap().remove("version");
    body["code"] = json!(otp);
    app.post("/otp/validate", &body).await.expect(19, 200);
    // A scrypt payload that claims version 1.1 does not open.
    let mut body = app.body(sealed);
    body["code"] = json!("123456");
    app.post("/otp/validate", &body).await.expect(124, 400);
    server.stop().await;
}

#[tokio::test]
async fn reset_profile_forgets_the_users_code_state() {
    let (smtp, _sms, server) = server_with_delivery().await;
    let app = server
        .email_app(|s| {
            s.max_failed_attempts = 1;
        })
        .await;
    let user = unique_email("reset");
    let otp = app.send_email_code(&smtp, &user).await;
    let wrong = if otp == "111111" { "222222" } else { "111111" };
    app.validate(TestApp::email(&user), wrong)
        .await
        .expect(11, 200);
    app.send(TestApp::email(&user)).await.expect(13, 200);

    let answer = app.reset_profile(None, &json!({"user_id": user})).await;
    assert_eq!(answer.status, 401);
    assert_eq!(
        answer.body,
        json!({"success": 0, "message": "unauthorized"})
    );
    let answer = app
        .reset_profile(Some("wrong-token"), &json!({"user_id": user}))
        .await;
    assert_eq!(answer.status, 401);
    let answer = app.reset_profile(Some(&app.reset_token), &json!({})).await;
    assert_eq!(answer.status, 400);
    assert_eq!(
        answer.body,
        json!({"success": 0, "message": "identifier missing"})
    );
    assert_eq!(server.stored_records(&app).await.len(), 1);

    let answer = app
        .reset_profile(
            Some(&app.reset_token),
            &json!({"user_id": user.to_uppercase()}),
        )
        .await;
    assert_eq!(answer.status, 200);
    assert_eq!(
        answer.body,
        json!({"success": 1, "deleted": 1, "message": "Done"})
    );
    assert!(server.stored_records(&app).await.is_empty());
    // The lock-out is gone.
    let fresh = app.send_email_code(&smtp, &user).await;
    app.validate(TestApp::email(&user), &fresh)
        .await
        .expect(19, 200);
    // Nothing left to delete, and another application's token does not reach this user.
    let other = server.email_app(|_| {}).await;
    let answer = other
        .reset_profile(
            Some(&format!("Basic {}", other.reset_token)),
            &json!({"user_id": user}),
        )
        .await;
    assert_eq!(answer.body["deleted"], 0);
    assert_eq!(server.stored_records(&app).await.len(), 1);
    server.stop().await;
}

#[tokio::test]
async fn concurrent_validations_of_one_code_match_once() {
    let (smtp, _sms, server) = server_with_delivery().await;
    let user = unique_email("race");
    let app = server.email_app(|s| s.max_failed_attempts = 20).await;
    let otp = app.send_email_code(&smtp, &user).await;
    let app = std::sync::Arc::new(app);
    let attempts: Vec<_> = (0..8)
        .map(|_| {
            let (app, user, otp) = (app.clone(), user.clone(), otp.clone());
            tokio::spawn(async move { app.validate(TestApp::email(&user), &otp).await.code() })
        })
        .collect();
    let mut codes = Vec::new();
    for attempt in attempts {
        codes.push(attempt.await.unwrap());
    }
    codes.sort();
    assert_eq!(codes, [10, 10, 10, 10, 10, 10, 10, 19]);
    server.stop().await;
}

/// The storage under `send` and `validate`: a code record is written only over the version
/// that was read (`None`: none stored yet), so a writer that lost a race learns it.
#[tokio::test]
async fn code_records_are_swapped_only_at_the_version_read() {
    let sms = SmsGateway::start().await;
    let server = TestServer::start(Gateways {
        smtp_port: None,
        sms_base: sms.base.clone(),
    })
    .await;
    let app = server.app(|_| {}, None).await;
    let db = &server.db;
    let app_ref = db
        .verify_apps()
        .find(&app.application_id)
        .await
        .unwrap()
        .unwrap()
        .app_ref;
    let load = |user_key: &'static str| async move {
        let stored = db.code_records().load(app_ref, user_key).await.unwrap();
        stored.map(|record| (record.json, record.version))
    };
    let swap = |expected: Option<i64>, json: &'static str| async move {
        db.code_records()
            .swap(
                app_ref,
                "user",
                expected,
                json,
                keycadence_server::clock::now_millis(),
            )
            .await
            .unwrap()
    };

    assert_eq!(load("user").await, None);
    assert!(swap(None, "1").await);
    assert!(!swap(None, "2").await, "a second first write lost the race");
    assert_eq!(load("user").await, Some(("1".into(), 1)));
    assert!(!swap(Some(0), "3").await);
    assert!(swap(Some(1), "4").await);
    assert!(!swap(Some(1), "5").await);
    assert_eq!(load("user").await, Some(("4".into(), 2)));
    assert_eq!(load("another user").await, None);
    server.stop().await;
}

/// The development outbox: e-mails land in the folder (a code validates from there), and a
/// server listening beyond loopback refuses to start with it.
#[tokio::test]
async fn the_development_outbox_keeps_mails_and_is_refused_beyond_loopback() {
    let outbox = tempfile::tempdir().unwrap();
    let folder = outbox.path().to_path_buf();
    let sms = SmsGateway::start().await;
    let server = TestServer::start_with(
        Gateways {
            smtp_port: None,
            sms_base: sms.base.clone(),
        },
        |config| config.otp.email_outbox = Some(folder.clone()),
    )
    .await;
    let app = server.email_app(|_| {}).await;
    let user = unique_email("outbox");
    app.send(TestApp::email(&user))
        .await
        .expect(9, 200)
        .no_otp();
    let mails: Vec<String> = std::fs::read_dir(&folder)
        .unwrap()
        .map(|entry| std::fs::read_to_string(entry.unwrap().path()).unwrap())
        .collect();
    assert_eq!(mails.len(), 1);
    assert!(mails[0].contains(&format!("To: {user}")), "{}", mails[0]);
    let code = code_in(&mails[0], 6);
    app.validate(TestApp::email(&user), &code)
        .await
        .expect(19, 200);

    let mut config = keycadence_server::config::ServeConfig {
        database_url: database_url(outbox.path()),
        ..Default::default()
    };
    config.otp.email_outbox = Some(folder.clone());
    config.listen = "0.0.0.0:0".parse().unwrap();
    let refused = keycadence_server::app::AppState::new(config).await;
    let message = refused.err().expect("refused").to_string();
    assert!(
        message.contains("--email-outbox is for development only"),
        "{message}"
    );
}
