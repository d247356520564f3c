//! The Verify 2FA window over real connections (issue 14), without a browser: every refusal
//! of opening a window (with its documented code, told only to a page of the registered
//! domain), the Content-Security-Policy, tokens of back-end sign-ins refused by the window,
//! and the code a window mints: delivered once under concurrent attempts, valid once through
//! `/otp/validate`, for that user only. The browser flows are in
//! tests/browser/verify-window.test.js.

#[path = "common/mod.rs"]
mod common;
#[allow(dead_code)]
#[path = "otp/support.rs"]
mod support;

use keycadence_otp::payload::{self, Purpose};
use keycadence_otp::{UnixMillis, VerifyPayload};
use serde_json::{json, Value};
use support::{code_in, now_ms, unique_email, Gateways, SmtpSink, TestApp, TestServer};

const IPHONE: &str = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) Mobile/15E148";
const PAGE: &str = "https://example.com";

struct World {
    server: TestServer,
    smtp: SmtpSink,
    app: TestApp,
    key: (String, String),
}

impl World {
    async fn start() -> World {
        let smtp = SmtpSink::start();
        let sms = support::SmsGateway::start().await;
        let script = tempfile::NamedTempFile::new().unwrap();
        let path = script.path().to_path_buf();
        let server = TestServer::start_with(
            Gateways {
                smtp_port: Some(smtp.port),
                sms_base: sms.base.clone(),
            },
            |config| config.recorder_script = Some(path),
        )
        .await;
        std::mem::forget(script);
        let key = server.api_key().await;
        let app = server.email_app(|_| {}).await;
        keycadence_server::cli::signin::enable(
            &server.db,
            &app.application_id,
            &format!("t-{}", key.0),
            "{}",
        )
        .await
        .unwrap();
        World {
            server,
            smtp,
            app,
            key,
        }
    }

    /// A `window` payload of `app` for `fields` (fresh `ts` unless given).
    fn window_payload(app: &TestApp, fields: VerifyPayload) -> String {
        let fields = VerifyPayload {
            ts: fields.ts.or(Some(UnixMillis(now_ms()))),
            ..fields
        };
        payload::v2::seal(
            &app.v2_key,
            &app.application_id,
            Purpose::Window,
            &fields,
            &mut rand::rngs::OsRng,
        )
    }

    async fn open(&self, form: &[(&str, &str)], user_agent: Option<&str>) -> Page {
        let mut request = self
            .server
            .http
            .post(format!("{}/verify-2fa/window", self.server.base))
            .form(form);
        if let Some(ua) = user_agent {
            request = request.header("user-agent", ua);
        }
        let response = request.send().await.unwrap();
        let status = response.status().as_u16();
        let csp = response
            .headers()
            .get("content-security-policy")
            .map(|v| v.to_str().unwrap().to_string())
            .unwrap_or_default();
        let html = response.text().await.unwrap();
        Page { status, csp, html }
    }

    async fn open_owned(&self, form: Vec<(String, String)>) -> Page {
        let borrowed: Vec<(&str, &str)> =
            form.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
        self.open(&borrowed, None).await
    }

    async fn open_for(&self, email: &str, user_agent: Option<&str>) -> Page {
        let payload = World::window_payload(&self.app, TestApp::email(email));
        self.open(
            &[
                ("clientId", &self.app.client_id),
                ("applicationId", &self.app.application_id),
                ("payload", &payload),
                ("origin", PAGE),
            ],
            user_agent,
        )
        .await
    }

    async fn call(&self, session: &str, token: &str, op: &str, body: Value) -> (u16, Value) {
        let response = self
            .server
            .http
            .post(format!(
                "{}/verify-2fa/sessions/{session}/{op}",
                self.server.base
            ))
            .bearer_auth(token)
            .json(&body)
            .send()
            .await
            .unwrap();
        let status = response.status().as_u16();
        (status, response.json().await.unwrap())
    }

    /// Sign-ins of this test's application (the PostgreSQL database is shared by tests).
    async fn sign_in_rows(&self) -> i64 {
        let app = self
            .server
            .db
            .verify_apps()
            .find(&self.app.application_id)
            .await
            .unwrap()
            .unwrap();
        sqlx::query_scalar::<_, i64>("SELECT COUNT(*) FROM sign_ins WHERE app_ref = $1")
            .bind(app.app_ref)
            .fetch_one(self.server.db.pool())
            .await
            .unwrap()
    }
}

struct Page {
    status: u16,
    csp: String,
    html: String,
}

impl Page {
    /// The value of `data-{name}` on the window's element.
    fn data(&self, name: &str) -> Option<String> {
        let marker = format!("data-{name}=\"");
        let start = self.html.find(&marker)? + marker.len();
        let end = self.html[start..].find('"')? + start;
        Some(self.html[start..end].replace("&amp;", "&"))
    }

    fn refused(&self, code: u16) -> &Page {
        assert_eq!(
            self.data("error-code").as_deref(),
            Some(code.to_string().as_str()),
            "{}",
            self.html
        );
        assert!(self.status >= 400, "{}", self.status);
        assert!(self.data("session").is_none(), "no session on a refusal");
        self
    }
}

#[tokio::test]
async fn opening_refuses_bad_input_with_the_documented_codes_and_stores_nothing() {
    let world = World::start().await;
    let app = &world.app;
    let other = world.server.email_app(|_| {}).await;
    let email = unique_email("window-bad");
    let fields = |payload: &str| -> Vec<(String, String)> {
        vec![
            ("clientId".into(), app.client_id.clone()),
            ("applicationId".into(), app.application_id.clone()),
            ("payload".into(), payload.into()),
            ("origin".into(), PAGE.into()),
        ]
    };

    // Opened without its data: nobody to tell, nobody may frame it.
    let page = world.open(&[], None).await;
    page.refused(104);
    assert!(page.csp.contains("frame-ancestors 'none'"), "{}", page.csp);
    assert!(page.html.contains("without its data"));

    let mut unknown = fields("x");
    unknown[1].1 = "0".repeat(32);
    world.open_owned(unknown).await.refused(106);
    let mut wrong_client = fields("x");
    wrong_client[0].1 = other.client_id.clone();
    world.open_owned(wrong_client).await.refused(105);

    // A page on another origin: the window says why and tells that page nothing.
    let good = World::window_payload(app, TestApp::email(&email));
    let mut evil = fields(&good);
    evil[3].1 = "https://example.com.evil.example".into();
    let page = world.open_owned(evil).await;
    page.refused(124);
    assert_eq!(page.data("origin").as_deref(), Some(""));
    assert!(page.csp.contains("frame-ancestors 'none'"));
    assert!(page.html.contains("is not the registered site"));
    // The browser's Origin header wins over the script's claim.
    let response = world
        .server
        .http
        .post(format!("{}/verify-2fa/window", world.server.base))
        .header("origin", "https://evil.example")
        .form(&fields(&good))
        .send()
        .await
        .unwrap();
    assert!(response
        .text()
        .await
        .unwrap()
        .contains("https://evil.example is not"));

    // Payloads: of another application, of the back end, 1.x where not allowed, expired.
    let foreign = World::window_payload(&other, TestApp::email(&email));
    let page = world.open_owned(fields(&foreign)).await;
    page.refused(124);
    assert_eq!(
        page.data("origin").as_deref(),
        Some(PAGE),
        "the page hears it"
    );
    assert!(page.csp.ends_with(&format!("frame-ancestors {PAGE}")));
    world
        .open_owned(fields(&app.payload(TestApp::email(&email))))
        .await
        .refused(124);
    world
        .open_owned(fields(&app.legacy_payload(TestApp::email(&email))))
        .await
        .refused(124);
    let old = VerifyPayload {
        ts: Some(UnixMillis(now_ms() - 31 * 60 * 1000)),
        ..TestApp::email(&email)
    };
    let page = world
        .open_owned(fields(&World::window_payload(app, old)))
        .await;
    page.refused(108);
    assert!(page.html.contains("expired"));
    let nobody = World::window_payload(app, VerifyPayload::default());
    world.open_owned(fields(&nobody)).await.refused(109);
    assert_eq!(world.sign_in_rows().await, 0, "no refusal stored a sign-in");

    // The good payload opens a window, once.
    let page = world.open_owned(fields(&good)).await;
    assert_eq!(page.status, 200, "{}", page.html);
    assert!(page.data("session").is_some());
    assert!(page.csp.contains("script-src 'self' 'wasm-unsafe-eval'"));
    assert!(page.csp.ends_with(&format!("frame-ancestors {PAGE}")));
    let page = world.open_owned(fields(&good)).await;
    page.refused(124);
    assert!(page.html.contains("already used"));
    assert_eq!(world.sign_in_rows().await, 1);
}

#[tokio::test]
async fn a_mobile_window_sends_a_code_and_mints_one_code_valid_once_for_that_user() {
    let world = World::start().await;
    let email = unique_email("window-mobile");
    let page = world.open_for(&email, Some(IPHONE)).await;
    assert_eq!(page.status, 200, "{}", page.html);
    let (session, token) = (page.data("session").unwrap(), page.data("token").unwrap());
    let (status, step) = world.call(&session, &token, "next", json!({})).await;
    assert_eq!(status, 200, "{step}");
    assert_eq!(step["step"], "code", "{step}");
    assert_eq!(step["mobile"], true);
    let code = code_in(&world.smtp.wait_for(&email, 1).await, 6);

    // Concurrent attempts with the right code: exactly one gets the page's code.
    let tasks: Vec<_> = (0..4)
        .map(|_| {
            let request = world
                .server
                .http
                .post(format!(
                    "{}/verify-2fa/sessions/{session}/attempt",
                    world.server.base
                ))
                .bearer_auth(&token)
                .json(&json!({"code": code}));
            tokio::spawn(async move {
                let response = request.send().await.unwrap();
                let status = response.status().as_u16();
                (status, response.json::<Value>().await.unwrap())
            })
        })
        .collect();
    let mut answers = Vec::new();
    for task in tasks {
        answers.push(task.await.unwrap());
    }
    let minted: Vec<String> = answers
        .iter()
        .filter_map(|(_, body)| body["otp"].as_str().map(str::to_owned))
        .collect();
    assert_eq!(minted.len(), 1, "{answers:?}");
    for (status, body) in answers.iter().filter(|(_, b)| b["otp"].is_null()) {
        assert!(*status >= 400 && body["success"] == 0, "{status} {body}");
    }
    let otp = &minted[0];
    assert_ne!(otp, &code, "the page's code is not the e-mailed one");
    assert!(
        !world
            .smtp
            .messages_to(&email)
            .iter()
            .any(|m| m.contains(otp.as_str())),
        "the minted code is never e-mailed"
    );

    // Another user's validation does not take it; the user's does, once.
    let stranger = unique_email("window-stranger");
    world
        .app
        .validate(TestApp::email(&stranger), otp)
        .await
        .expect(10, 200);
    world
        .app
        .validate(TestApp::email(&email), otp)
        .await
        .expect(19, 200);
    world
        .app
        .validate(TestApp::email(&email), otp)
        .await
        .expect(10, 200);
    // The window is over.
    let (status, body) = world.call(&session, &token, "next", json!({})).await;
    assert_eq!((status, body["code"].clone()), (409, json!(108)), "{body}");
}

#[tokio::test]
async fn tokens_of_back_end_sign_ins_and_other_windows_do_not_drive_a_window() {
    let world = World::start().await;
    let email = unique_email("window-token");
    // A sign-in the back end created: its page holds the client token.
    let created: Value = world
        .server
        .http
        .post(format!("{}/v1/sign_ins", world.server.base))
        .basic_auth(&world.key.0, Some(&world.key.1))
        .json(&json!({
            "application_id": world.app.application_id,
            "user_id": "shopper-42",
            "email": email,
            "device": "mobile",
        }))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let id = created["id"].as_str().unwrap();
    let client_token = created["client_token"].as_str().unwrap();
    for token in [
        client_token.to_string(),
        format!("{client_token}.{}", "0".repeat(64)),
    ] {
        let (status, body) = world.call(id, &token, "next", json!({})).await;
        assert_eq!((status, body["code"].clone()), (401, json!(124)), "{body}");
    }
    // One window's token on another window's session.
    let a = world.open_for(&unique_email("window-a"), None).await;
    let b = world.open_for(&unique_email("window-b"), None).await;
    let (status, _) = world
        .call(
            &b.data("session").unwrap(),
            &a.data("token").unwrap(),
            "next",
            json!({}),
        )
        .await;
    assert_eq!(status, 401);
    assert!(
        world.smtp.messages_to(&email).is_empty(),
        "nothing was sent"
    );
}

#[tokio::test]
async fn typing_only_applications_and_show_otp_in_frames_are_refused_with_126() {
    let world = World::start().await;
    // Root of trust disabled: a user without typing enrolment has no way to verify here.
    let typing_only = world.server.email_app(|s| s.disable_rot = true).await;
    keycadence_server::cli::signin::enable(
        &world.server.db,
        &typing_only.application_id,
        &format!("t-{}", world.key.0),
        "{}",
    )
    .await
    .unwrap();
    let email = unique_email("window-rot");
    let payload = World::window_payload(&typing_only, TestApp::email(&email));
    let page = world
        .open(
            &[
                ("clientId", &typing_only.client_id),
                ("applicationId", &typing_only.application_id),
                ("payload", &payload),
                ("origin", PAGE),
            ],
            None,
        )
        .await;
    page.refused(126);
    assert!(page.html.contains("no typing enrolment"), "{}", page.html);
    assert!(world.smtp.messages_to(&email).is_empty());

    // show_otp is for pop-ups only.
    let show = VerifyPayload {
        flow: Some(payload::Flow::ShowOtp),
        ..TestApp::email(&email)
    };
    let payload = World::window_payload(&world.app, show);
    let page = world
        .open(
            &[
                ("clientId", &world.app.client_id),
                ("applicationId", &world.app.application_id),
                ("payload", &payload),
                ("origin", PAGE),
                ("frame", "iframe"),
            ],
            None,
        )
        .await;
    page.refused(126);
    assert!(page.html.contains("only available in the pop-up"));
}

#[tokio::test]
async fn legacy_payloads_open_a_window_only_where_the_application_allows_them() {
    let world = World::start().await;
    let legacy = world.server.email_app(|s| s.legacy_payloads = true).await;
    keycadence_server::cli::signin::enable(
        &world.server.db,
        &legacy.application_id,
        &format!("t-{}", world.key.0),
        "{}",
    )
    .await
    .unwrap();
    let email = unique_email("window-legacy");
    let open = |app: &TestApp| {
        let payload = app.legacy_payload(TestApp::email(&email));
        let form: Vec<(String, String)> = vec![
            ("clientId".into(), app.client_id.clone()),
            ("applicationId".into(), app.application_id.clone()),
            ("payload".into(), payload),
            ("origin".into(), PAGE.into()),
        ];
        form
    };
    let page = world.open_owned(open(&legacy)).await;
    assert_eq!(page.status, 200, "{}", page.html);
    assert!(page.data("session").is_some());
    world.open_owned(open(&world.app)).await.refused(124);
}

#[tokio::test]
async fn a_pattern_of_another_text_and_too_many_wrong_codes_store_nothing() {
    let world = World::start().await;
    let email = unique_email("window-enrol");
    let page = world.open_for(&email, None).await;
    let (session, token) = (page.data("session").unwrap(), page.data("token").unwrap());
    let (_, step) = world.call(&session, &token, "next", json!({})).await;
    assert_eq!(step["step"], "type", "{step}");
    assert_eq!(step["purpose"], "enrol");
    assert_eq!(step["enrolment"]["received"], 0);
    let text = step["text"].as_str().unwrap().to_string();
    let mut typist = common::Typist::new(7);

    // The pattern of another text: refused, the window may go on, nothing kept.
    let other = typist.type_text("quite another text to type", 2);
    let (status, refused) = world
        .call(&session, &token, "attempt", json!({ "pattern": other }))
        .await;
    assert_eq!(
        (status, refused["code"].clone()),
        (422, json!(104)),
        "{refused}"
    );
    assert_eq!(refused["recoverable"], true);
    assert!(refused["error"]
        .as_str()
        .unwrap()
        .contains("not of the text shown"));
    let (_, again) = world.call(&session, &token, "next", json!({})).await;
    assert_eq!(
        (
            again["text"].as_str(),
            again["enrolment"]["received"].clone()
        ),
        (Some(text.as_str()), json!(0))
    );

    // The texts typed, then three wrong codes: the window ends with code 11.
    let mut step = again;
    for received in 1..=3 {
        let pattern = typist.type_text(step["text"].as_str().unwrap(), 2);
        let (status, next) = world
            .call(&session, &token, "attempt", json!({ "pattern": pattern }))
            .await;
        assert_eq!(status, 200, "{next}");
        if received < 3 {
            assert_eq!(next["enrolment"]["received"], received, "{next}");
        }
        step = next;
    }
    assert_eq!(step["step"], "code", "{step}");
    let mut last = (0, Value::Null);
    for _ in 0..3 {
        last = world
            .call(&session, &token, "attempt", json!({ "code": "000000" }))
            .await;
    }
    assert_eq!(
        (last.0, last.1["code"].clone()),
        (409, json!(11)),
        "{}",
        last.1
    );
    assert_eq!(last.1["recoverable"], false);

    // Nothing was enrolled: the next window starts the enrolment again.
    let page = world.open_for(&email, None).await;
    let (session, token) = (page.data("session").unwrap(), page.data("token").unwrap());
    let (_, step) = world.call(&session, &token, "next", json!({})).await;
    assert_eq!(
        (
            step["purpose"].clone(),
            step["enrolment"]["received"].clone()
        ),
        (json!("enrol"), json!(0)),
        "{step}"
    );
}
