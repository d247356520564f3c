//! Attacks on the Verify endpoints, against a `keycadence-server serve` process set up with the
//! command line as an operator would: a forged protocol 1.1 payload, replayed and misdirected
//! payloads, send and validation floods, malformed identifiers. Codes reach the attacker only
//! through the user's inbox or phone, never through an answer.

use keycadence_otp::payload::{self, v2, Purpose};
use keycadence_otp::{KdfVersion, PayloadKey, UnixMillis, VerifyPayload};
use serde_json::{json, Value};

use super::cli::{cli, field, serve_with, Served};
use super::support::*;

/// `serve` on `db` with e-mail delivery to `smtp`, SMS to `sms`, and `flags`.
fn serve_delivering(db: &str, smtp: &SmtpSink, sms: &SmsGateway, flags: &[&str]) -> Served {
    let port = smtp.port.to_string();
    let mut all = vec![
        "--smtp-host",
        "127.0.0.1",
        "--smtp-port",
        &port,
        "--smtp-tls",
        "off",
        "--sms-base-url",
        &sms.base,
    ];
    all.extend_from_slice(flags);
    serve_with(db, &all)
}

/// A server process with e-mail and SMS delivery, and its database.
struct Target {
    served: Served,
    db: String,
    _dir: tempfile::TempDir,
    http: reqwest::Client,
}

/// An application as `apps create` printed it.
struct CreatedApp {
    client_id: String,
    application_id: String,
    secret: String,
}

impl Target {
    fn start(smtp: &SmtpSink, sms: &SmsGateway, flags: &[&str]) -> Target {
        let dir = tempfile::tempdir().unwrap();
        let db = format!("sqlite:{}", dir.path().join("target.db").display());
        // The keys are generated beside the database by the first command.
        let (ok, _, err) = cli(&db, &["apps", "list"]);
        assert!(ok, "{err}");
        Target {
            served: serve_delivering(&db, smtp, sms, flags),
            db,
            _dir: dir,
            http: reqwest::Client::new(),
        }
    }

    /// `apps create` with e-mail and SMS gateways and `flags`.
    fn app(&self, flags: &[&str]) -> CreatedApp {
        let mut args = vec![
            "apps",
            "create",
            "--domain",
            "shop.example.com",
            "--email-from",
            "Shop <codes@shop.example.com>",
            "--sms-account-sid",
            "AC0123",
            "--sms-auth-token",
            "token",
            "--sms-from",
            "+15550001111",
        ];
        args.extend_from_slice(flags);
        let (ok, out, err) = cli(&self.db, &args);
        assert!(ok, "{err}");
        CreatedApp {
            client_id: field(&out, "clientId:").unwrap(),
            application_id: field(&out, "applicationId:").unwrap(),
            secret: field(&out, "secret:").unwrap(),
        }
    }

    /// `/otp/send` with a fresh 2.0 back-end payload of `app` for `fields`.
    async fn send(&self, app: &CreatedApp, fields: VerifyPayload) -> Reply {
        self.post("/otp/send", &app.v2(Purpose::Backend, fields))
            .await
            .0
    }

    async fn post(&self, path: &str, body: &Value) -> (Reply, Option<String>) {
        let response = self
            .http
            .post(format!("{}{path}", self.served.base))
            .json(body)
            .send()
            .await
            .unwrap();
        let retry_after = response
            .headers()
            .get("retry-after")
            .map(|v| v.to_str().unwrap().to_string());
        let status = response.status().as_u16();
        let body = response.json().await.unwrap();
        (Reply { status, body }, retry_after)
    }
}

impl CreatedApp {
    fn body(&self, payload: String, version: Value) -> Value {
        json!({"clientId": self.client_id, "applicationId": self.application_id,
               "payload": payload, "version": version})
    }

    fn v2(&self, purpose: Purpose, fields: VerifyPayload) -> Value {
        let key = v2::derive_key(&self.secret, &self.application_id);
        let fields = VerifyPayload {
            ts: Some(UnixMillis(now_ms())),
            ..fields
        };
        let sealed = v2::seal(
            &key,
            &self.application_id,
            purpose,
            &fields,
            &mut rand::rngs::OsRng,
        );
        self.body(sealed, json!("2.0"))
    }

    fn legacy_key(&self) -> PayloadKey {
        PayloadKey::derive(&self.secret, &self.application_id, KdfVersion::V1_1Pbkdf2)
    }

    /// A protocol 1.1 body as TypingDNA's Node client makes it.
    fn legacy(&self, fields: VerifyPayload) -> Value {
        let fields = VerifyPayload {
            ts: Some(UnixMillis(now_ms())),
            ..fields
        };
        let sealed = payload::seal(&self.legacy_key(), &fields, &mut rand::rngs::OsRng);
        self.body(sealed, json!(1.1))
    }
}

/// How many of `answers` have `code`.
fn count(answers: &[(i64, Option<String>)], code: i64) -> usize {
    answers.iter().filter(|(c, _)| *c == code).count()
}

fn with_code(mut body: Value, code: &str) -> Value {
    body["code"] = json!(code);
    body
}

/// XORs `from ^ to` into the IV bytes that encrypt plaintext bytes `at..at + from.len()` of the
/// first block: CBC without a MAC turns `from` into `to` and nothing notices.
fn flip_first_block(payload: &str, at: usize, from: &str, to: &str) -> String {
    let mut bytes = hex::decode(payload).unwrap();
    let iv = bytes.len() - 16;
    for (i, (a, b)) in from.bytes().zip(to.bytes()).enumerate() {
        bytes[iv + at + i] ^= a ^ b;
    }
    hex::encode(bytes)
}

#[tokio::test]
async fn a_forged_legacy_payload_reveals_no_code_and_protocol_2_0_refuses_forgeries() {
    let smtp = SmtpSink::start();
    let sms = SmsGateway::start().await;
    let target = Target::start(&smtp, &sms, &[]);
    let legacy_app = target.app(&["--legacy-payloads"]);

    // The attacker's own payload, `{"email":"attack@example.com",...}`: bytes 10-15 are
    // "attack". Flipping the IV makes it say "victim".
    let attacker = legacy_app.legacy(TestApp::email("attack@example.com"));
    let forged = flip_first_block(
        attacker["payload"].as_str().unwrap(),
        10,
        "attack",
        "victim",
    );
    let (sent, _) = target
        .post("/otp/send", &legacy_app.body(forged.clone(), json!(1.1)))
        .await;
    // Unauthenticated 1.x cannot stop the mail going out, but the answer holds no code.
    sent.expect(9, 200).no_otp();
    let mailed = code_in(&smtp.wait_for("victim@example.com", 1).await, 6);
    assert!(
        !sent.body.to_string().contains(&mailed),
        "the victim's code reached the sender: {}",
        sent.body
    );
    // The forged payload is used up.
    target
        .post("/otp/send", &legacy_app.body(forged, json!(1.1)))
        .await
        .0
        .expect(124, 400);

    // An application without legacy payloads refuses 1.x outright, and a 2.0 payload with
    // any altered byte does not open.
    let app = target.app(&[]);
    target
        .post(
            "/otp/send",
            &app.legacy(TestApp::email("attack@example.com")),
        )
        .await
        .0
        .expect(124, 400);
    let genuine = app.v2(Purpose::Backend, TestApp::email("attack@example.com"));
    let text = genuine["payload"].as_str().unwrap();
    let mut altered = text.as_bytes().to_vec();
    let middle = altered.len() / 2;
    altered[middle] = if altered[middle] == b'A' { b'B' } else { b'A' };
    let altered = String::from_utf8(altered).unwrap();
    target
        .post("/otp/send", &app.body(altered, json!("2.0")))
        .await
        .0
        .expect(124, 400);
    assert_eq!(smtp.messages_to("victim@example.com").len(), 1);
}

#[tokio::test]
async fn a_2_0_payload_is_accepted_once_and_only_for_its_purpose() {
    let smtp = SmtpSink::start();
    let sms = SmsGateway::start().await;
    let target = Target::start(&smtp, &sms, &[]);
    let app = target.app(&[]);
    let user = unique_email("once");

    let send = app.v2(Purpose::Backend, TestApp::email(&user));
    target.post("/otp/send", &send).await.0.expect(9, 200);
    target.post("/otp/send", &send).await.0.expect(124, 400);
    let code = code_in(&smtp.wait_for(&user, 1).await, 6);

    let validate = with_code(app.v2(Purpose::Backend, TestApp::email(&user)), &code);
    let (replayed_wrong, _) = target
        .post("/otp/validate", &with_code(validate.clone(), "000000"))
        .await;
    replayed_wrong.expect(10, 200);
    // The same payload again, now with the right code: refused, and the code stays unused.
    target
        .post("/otp/validate", &validate)
        .await
        .0
        .expect(124, 400);
    let fresh = with_code(app.v2(Purpose::Backend, TestApp::email(&user)), &code);
    target.post("/otp/validate", &fresh).await.0.expect(19, 200);

    // A page's (window) payload is not accepted by the back-end routes.
    let window = app.v2(Purpose::Window, TestApp::email(&user));
    target.post("/otp/send", &window).await.0.expect(124, 400);
    target
        .post("/otp/validate", &with_code(window, &code))
        .await
        .0
        .expect(124, 400);
    assert_eq!(smtp.messages_to(&user).len(), 1);
}

/// Fires `count` sends at once and returns the answers' codes.
async fn concurrent_sends(target: &Target, bodies: Vec<Value>) -> Vec<(i64, Option<String>)> {
    let barrier = std::sync::Arc::new(tokio::sync::Barrier::new(bodies.len()));
    let tasks: Vec<_> = bodies
        .into_iter()
        .map(|body| {
            let http = target.http.clone();
            let url = format!("{}/otp/send", target.served.base);
            let barrier = barrier.clone();
            tokio::spawn(async move {
                barrier.wait().await;
                let response = http.post(url).json(&body).send().await.unwrap();
                let retry_after = response
                    .headers()
                    .get("retry-after")
                    .map(|v| v.to_str().unwrap().to_string());
                let body: Value = response.json().await.unwrap();
                assert!(body.get("otp").is_none(), "{body}");
                (body["code"].as_i64().unwrap(), retry_after)
            })
        })
        .collect();
    let mut answers = Vec::new();
    for task in tasks {
        answers.push(task.await.unwrap());
    }
    answers
}

#[tokio::test]
async fn send_floods_stop_at_each_limit_under_concurrency() {
    let smtp = SmtpSink::start();
    let sms = SmsGateway::start().await;

    // Per client address: 4 a minute, whatever the application.
    let target = Target::start(
        &smtp,
        &sms,
        &[
            "--sends-per-ip-per-minute",
            "4",
            "--sends-per-app-per-minute",
            "0",
        ],
    );
    let (a, b) = (target.app(&[]), target.app(&[]));
    let bodies = (0..12)
        .map(|i| {
            let app = if i % 2 == 0 { &a } else { &b };
            app.v2(Purpose::Backend, TestApp::email(&unique_email("ip")))
        })
        .collect();
    let answers = concurrent_sends(&target, bodies).await;
    let sent = count(&answers, 9);
    assert_eq!(sent, 4, "{answers:?}");
    for (code, retry_after) in &answers {
        if *code != 9 {
            assert_eq!(*code, 13, "{answers:?}");
            assert!(retry_after
                .as_deref()
                .is_some_and(|s| s.parse::<u64>().unwrap() >= 1));
        }
    }
    let refused = target.send(&a, TestApp::email(&unique_email("ip"))).await;
    refused.expect(13, 200);
    assert!(refused.limited_until() > now_ms());
    drop(target);

    // Per application: 5 a minute; another application keeps its own budget.
    let target = Target::start(
        &smtp,
        &sms,
        &[
            "--sends-per-ip-per-minute",
            "0",
            "--sends-per-app-per-minute",
            "5",
        ],
    );
    let (a, b) = (target.app(&[]), target.app(&[]));
    let bodies = (0..15)
        .map(|_| a.v2(Purpose::Backend, TestApp::email(&unique_email("app"))))
        .collect();
    let answers = concurrent_sends(&target, bodies).await;
    assert_eq!(count(&answers, 9), 5, "{answers:?}");
    assert_eq!(count(&answers, 13), 10, "{answers:?}");
    target
        .send(&b, TestApp::email(&unique_email("b")))
        .await
        .expect(9, 200);
    drop(target);

    // SMS budget per application: 3 an hour; e-mail is not in it.
    let target = Target::start(
        &smtp,
        &sms,
        &[
            "--sends-per-ip-per-minute",
            "0",
            "--sms-per-app-per-hour",
            "3",
        ],
    );
    let app = target.app(&[]);
    let before = sms.requests().len();
    let bodies = (0..9)
        .map(|i| app.v2(Purpose::Backend, TestApp::phone(&format!("+4072200{i:04}"))))
        .collect();
    let answers = concurrent_sends(&target, bodies).await;
    assert_eq!(count(&answers, 9), 3, "{answers:?}");
    assert_eq!(
        sms.requests().len() - before,
        3,
        "only 3 texts left the server"
    );
    target
        .send(&app, TestApp::email(&unique_email("mail")))
        .await
        .expect(9, 200);
}

#[tokio::test]
async fn validation_floods_are_limited_per_address() {
    let smtp = SmtpSink::start();
    let sms = SmsGateway::start().await;
    let target = Target::start(&smtp, &sms, &["--validations-per-ip-per-minute", "6"]);
    let app = target.app(&[]);
    let mut answers = Vec::new();
    for _ in 0..10 {
        let body = with_code(
            app.v2(Purpose::Backend, TestApp::email(&unique_email("guess"))),
            "123456",
        );
        answers.push(target.post("/otp/validate", &body).await);
    }
    for (reply, _) in &answers[..6] {
        reply.expect(10, 200);
    }
    for (reply, retry_after) in &answers[6..] {
        reply.expect(11, 200);
        assert!(reply.limited_until() > now_ms());
        assert!(retry_after.is_some(), "{}", reply.body);
    }
}

#[tokio::test]
async fn malformed_identifiers_get_their_codes_not_a_panic() {
    let smtp = SmtpSink::start();
    let sms = SmsGateway::start().await;
    let target = Target::start(&smtp, &sms, &[]);
    let app = target.app(&["--legacy-payloads"]);

    // Both spellings of the phone number: 104, as a 1.1 and as a 2.0 payload.
    let both = r#"{"phoneNumber":"+15551234567","phone_number":"+15557654321","ts":TS}"#
        .replace("TS", &now_ms().to_string());
    let sealed = payload::encrypt(&app.legacy_key(), both.as_bytes(), &mut rand::rngs::OsRng);
    target
        .post("/otp/send", &app.body(sealed, json!(1.1)))
        .await
        .0
        .expect(104, 400);
    let mut object: serde_json::Map<String, Value> = serde_json::from_str(&both).unwrap();
    object.insert("purpose".into(), json!("backend"));
    object.insert("jti".into(), json!(v2::new_jti(&mut rand::rngs::OsRng)));
    let sealed = v2::seal_object(
        &v2::derive_key(&app.secret, &app.application_id),
        &app.application_id,
        Purpose::Backend,
        &object,
        &mut rand::rngs::OsRng,
    );
    target
        .post("/otp/send", &app.body(sealed, json!("2.0")))
        .await
        .0
        .expect(104, 400);

    // A national number without a country code is not guessed at (it was read as +55).
    let before = sms.requests().len();
    target
        .send(&app, TestApp::phone("5551234567"))
        .await
        .expect(112, 400);
    assert_eq!(sms.requests().len(), before);
}

#[tokio::test]
async fn echoed_codes_are_an_explicit_sandbox_setting_and_logged() {
    let smtp = SmtpSink::start();
    let sms = SmsGateway::start().await;
    let dir = tempfile::tempdir().unwrap();
    let db = format!("sqlite:{}", dir.path().join("sandbox.db").display());
    let (ok, out, err) = cli(
        &db,
        &[
            "apps",
            "create",
            "--domain",
            "sandbox.example.com",
            "--email-from",
            "codes@sandbox.example.com",
            "--echo-codes",
        ],
    );
    assert!(ok && err.contains("echo"), "{err}");
    let app = CreatedApp {
        client_id: field(&out, "clientId:").unwrap(),
        application_id: field(&out, "applicationId:").unwrap(),
        secret: field(&out, "secret:").unwrap(),
    };
    let served = serve_delivering(&db, &smtp, &sms, &[]);
    assert!(
        served.log.contains("echo_codes on") && served.log.contains(&app.application_id),
        "{}",
        served.log
    );
    let user = unique_email("sandbox");
    let body = app.v2(Purpose::Backend, TestApp::email(&user));
    let response = reqwest::Client::new()
        .post(format!("{}/otp/send", served.base))
        .json(&body)
        .send()
        .await
        .unwrap();
    let reply = Reply {
        status: response.status().as_u16(),
        body: response.json().await.unwrap(),
    };
    reply.expect(9, 200);
    let mailed = code_in(&smtp.wait_for(&user, 1).await, 6);
    assert_eq!(reply.otp(), mailed, "the echoed code is the mailed one");
}
