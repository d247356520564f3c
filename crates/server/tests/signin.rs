//! Sign-in second factors over real connections (issue 12): each strategy end to end (codes
//! read from the real SMTP sink and the SMS gateway stand-in, TOTP codes computed here,
//! backup codes), typing with simulated typists, the invisible second factor, enrolment after
//! a root of trust, every documented refusal, and limits under concurrent attempts.

#[path = "common/mod.rs"]
mod common;
#[allow(dead_code)]
#[path = "otp/support.rs"]
mod support;

use std::time::{Duration, Instant};

use common::Typist;
use keycadence_otp::totp::totp;
use keycadence_otp::{Algorithm, TotpConfig, TotpSecret};
use serde_json::{json, Value};
use sqlx::Row;
use support::{code_in, unique_email, SmsGateway, SmtpSink, TestApp, TestServer};

/// A status and JSON body.
#[derive(Debug)]
struct Reply {
    status: u16,
    body: Value,
    allow_origin: Option<String>,
}

impl Reply {
    /// Asserts a refusal with this wire code and HTTP status.
    fn refused(&self, code: &str, http: u16) -> &Reply {
        assert_eq!(self.status, http, "{}", self.body);
        assert_eq!(self.body["errors"][0]["code"], code, "{}", self.body);
        assert!(self.body["errors"][0]["message"].is_string());
        assert_eq!(self.body["status"], http);
        self
    }

    fn ok(&self) -> &Value {
        assert_eq!(self.status, 200, "{}", self.body);
        &self.body
    }

    fn strategies(&self) -> Vec<String> {
        self.body["supported_second_factors"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| f["strategy"].as_str().unwrap().to_string())
            .collect()
    }
}

async fn reply(response: reqwest::Response) -> Reply {
    let status = response.status().as_u16();
    let allow_origin = response
        .headers()
        .get("access-control-allow-origin")
        .map(|v| v.to_str().unwrap().to_string());
    let text = response.text().await.unwrap();
    let body = serde_json::from_str(&text).unwrap_or_else(|_| panic!("not JSON: {text}"));
    Reply {
        status,
        body,
        allow_origin,
    }
}

/// Everything a test needs: the server, its gateways, a tenant's key and an application with
/// e-mail and SMS delivery enabled for sign-ins of that tenant.
struct World {
    server: TestServer,
    smtp: SmtpSink,
    sms: SmsGateway,
    key: (String, String),
    app: TestApp,
}

impl World {
    async fn start(policy: Value) -> World {
        let (smtp, sms, server) = support::server_with_delivery().await;
        let key = server.api_key().await;
        let app = server
            .app(
                |s| {
                    s.email_from = Some("Example <codes@example.com>".into());
                    s.sms_account_sid = Some("AC123".into());
                    s.sms_from = Some("+15550001111".into());
                },
                Some("sms-token"),
            )
            .await;
        keycadence_server::cli::signin::enable(
            &server.db,
            &app.application_id,
            &format!("t-{}", key.0),
            &policy.to_string(),
        )
        .await
        .unwrap();
        World {
            server,
            smtp,
            sms,
            key,
            app,
        }
    }

    fn backend(&self, method: reqwest::Method, path: &str) -> reqwest::RequestBuilder {
        self.server
            .http
            .request(method, format!("{}{path}", self.server.base))
            .basic_auth(&self.key.0, Some(&self.key.1))
    }

    /// The Authentication API of the same tenant (enrolments).
    fn typing_api(&self) -> common::Client {
        common::Client::new(&self.server.base, &self.key.0, &self.key.1)
    }

    async fn create(&self, fields: Value) -> Reply {
        let mut body = json!({"application_id": self.app.application_id});
        for (k, v) in fields.as_object().unwrap() {
            body[k] = v.clone();
        }
        reply(
            self.backend(reqwest::Method::POST, "/v1/sign_ins")
                .json(&body)
                .send()
                .await
                .unwrap(),
        )
        .await
    }

    /// Creates a sign-in and returns the page's handle on it.
    async fn sign_in(&self, fields: Value) -> Page {
        let created = self.create(fields).await;
        assert_eq!(created.status, 201, "{}", created.body);
        Page {
            http: self.server.http.clone(),
            base: self.server.base.clone(),
            id: created.body["id"].as_str().unwrap().to_string(),
            token: created.body["client_token"].as_str().unwrap().to_string(),
            created: created.body,
        }
    }

    async fn read(&self, id: &str) -> Reply {
        reply(
            self.backend(reqwest::Method::GET, &format!("/v1/sign_ins/{id}"))
                .send()
                .await
                .unwrap(),
        )
        .await
    }

    /// Enrols `typist`'s type 2 patterns of five texts for `user`.
    async fn enrol_typing(&self, user: &str, typist: &mut Typist) {
        let api = self.typing_api();
        for text in ENROLMENT_TEXTS {
            let saved = api.save(user, &typist.type_text(text, 2)).await;
            assert_eq!(saved.code(), 1, "{}", saved.body);
        }
    }
}

/// Texts a user typed before (their type 2 enrolments).
const ENROLMENT_TEXTS: [&str; 5] = [
    "quick zebra climbs over seven boxes",
    "vivid jumbo lynx chased a comet",
    "frozen bacon mixed with quartz dust",
    "nimble wizard buzzed the canopy",
    "cobalt prism and velvet banjo",
];

#[derive(Clone)]
struct Page {
    http: reqwest::Client,
    base: String,
    id: String,
    token: String,
    created: Value,
}

impl Page {
    async fn post(&self, op: &str, body: Value, token: &str, origin: Option<&str>) -> Reply {
        let mut request = self
            .http
            .post(format!("{}/v1/sign_ins/{}/{op}", self.base, self.id))
            .bearer_auth(token)
            .json(&body);
        if let Some(origin) = origin {
            request = request.header("Origin", origin);
        }
        reply(request.send().await.unwrap()).await
    }

    async fn prepare(&self, strategy: &str) -> Reply {
        self.post(
            "prepare_second_factor",
            json!({"strategy": strategy}),
            &self.token,
            None,
        )
        .await
    }

    async fn attempt(&self, body: Value) -> Reply {
        self.post("attempt_second_factor", body, &self.token, None)
            .await
    }

    /// Prepares typing and returns the text to type.
    async fn text(&self) -> String {
        let prepared = self.prepare("typing").await;
        let v = &prepared.ok()["second_factor_verification"];
        assert_eq!(v["strategy"], "typing");
        assert_eq!(v["status"], "unverified");
        v["text"].as_str().unwrap().to_string()
    }

    async fn type_text(&self, typist: &mut Typist) -> Reply {
        let text = self.text().await;
        self.attempt(json!({"strategy": "typing", "pattern": typist.type_text(&text, 2)}))
            .await
    }
}

/// A type 2 pattern of `text` typed by a script: every key held 250 ms, 900 ms apart. No
/// enrolled person types like this, whatever the matcher behind the typing check.
fn robot_pattern(text: &str) -> String {
    use keycadence_core::recorder::{
        KeyEvent, KeyKind, NoDocument, Recorder, TypingPatternOptions,
    };
    let t0 = 1_700_000_000_000;
    let mut recorder = Recorder::new(keycadence_core::Environment::desktop_chrome(), t0);
    let mut t = t0 + 1000;
    for c in text.chars() {
        t += 900;
        let (key_code, char_code) = (c.to_ascii_uppercase() as u32, c as u32);
        recorder.key(&KeyEvent::new(KeyKind::Down, t, key_code, "inp"));
        recorder.key(&KeyEvent::new(KeyKind::Press, t, char_code, "inp").char_code(char_code));
        recorder.key(&KeyEvent::new(KeyKind::Up, t + 250, key_code, "inp"));
    }
    recorder
        .typing_pattern(&TypingPatternOptions::extended(text), &NoDocument)
        .unwrap()
}

fn assert_no_secret(body: &Value, secrets: &[&str]) {
    let text = body.to_string();
    for secret in secrets {
        assert!(!text.contains(secret), "an answer carried a secret: {text}");
    }
}

#[tokio::test]
async fn typing_completes_for_the_enrolled_typist_and_another_falls_back_to_email() {
    let world = World::start(json!({})).await;
    let user = "user-typing-1";
    let mut owner = Typist::new(11);
    world.enrol_typing(user, &mut owner).await;
    let email = unique_email("typing");
    // Every passing typing attempt is enrolled (the tenant's auto-enrol settings).
    let settings = keycadence_server::settings::TenantSettings {
        auto_enroll: true,
        auto_enroll_threshold: 0.0,
        ..world.server.db.keys().settings(&world.key.0).await.unwrap()
    };
    world
        .server
        .db
        .keys()
        .set_settings(&world.key.0, &settings)
        .await
        .unwrap();

    let page = world
        .sign_in(json!({"user_id": user, "email": email}))
        .await;
    assert_eq!(page.created["status"], "needs_second_factor");
    assert_eq!(
        page.created["supported_second_factors"][0]["strategy"],
        "typing"
    );
    let passed = page.type_text(&mut owner).await;
    let body = passed.ok();
    assert_eq!(body["status"], "complete", "{body}");
    assert_eq!(body["second_factor_verification"]["status"], "verified");
    assert_eq!(body["completed_by"], "typing");
    assert_eq!(world.read(&page.id).await.ok()["status"], "complete");
    assert_eq!(
        world.typing_api().counts(user).await,
        (6, 0),
        "auto-enrolled"
    );

    // A script with the password: typing fails twice, then the e-mail code completes. (Two
    // people told apart by their rhythm: the browser test, with real typists' timings.)
    let page = world
        .sign_in(json!({"user_id": user, "email": email}))
        .await;
    let text = page.text().await;
    let first = page
        .attempt(json!({"strategy": "typing", "pattern": robot_pattern(&text)}))
        .await;
    let v = &first.ok()["second_factor_verification"];
    assert_eq!(v["status"], "failed", "{}", first.body);
    assert_eq!(v["error"]["code"], "typing_not_matched");
    assert_eq!(v["attempts"], 1);
    assert!(first.strategies().contains(&"typing".to_string()));
    let text = page.text().await;
    let second = page
        .attempt(json!({"strategy": "typing", "pattern": robot_pattern(&text)}))
        .await;
    assert_eq!(second.ok()["second_factor_verification"]["attempts"], 2);
    assert_eq!(second.strategies(), ["email_code"], "typing is withdrawn");
    assert_eq!(
        world.typing_api().counts(user).await,
        (6, 0),
        "failed attempts store nothing"
    );
    page.prepare("typing")
        .await
        .refused("attempts_exhausted", 429);

    let sent = page.prepare("email_code").await;
    assert_eq!(
        sent.ok()["second_factor_verification"]["strategy"],
        "email_code"
    );
    let code = code_in(&world.smtp.wait_for(&email, 1).await, 6);
    assert_no_secret(&sent.body, &[&code, &page.token]);
    let done = page
        .attempt(json!({"strategy": "email_code", "code": code}))
        .await;
    assert_eq!(done.ok()["status"], "complete");
    assert_eq!(done.body["completed_by"], "email_code");
    // Single use: after completion nothing more is accepted.
    page.attempt(json!({"strategy": "email_code", "code": code}))
        .await
        .refused("sign_in_complete", 409);
}

#[tokio::test]
async fn phone_codes_arrive_through_the_sms_gateway() {
    let world = World::start(json!({"strategies": ["phone_code"]})).await;
    let page = world
        .sign_in(json!({"user_id": "user-phone-1", "phone_number": "+40722000034"}))
        .await;
    assert_eq!(
        page.created["supported_second_factors"],
        json!([{"strategy": "phone_code", "safe_identifier": "+*********34"}])
    );
    page.attempt(json!({"strategy": "phone_code", "code": "123456"}))
        .await
        .refused("not_prepared", 409);
    page.prepare("phone_code").await.ok();
    let request = world.sms.requests().pop().unwrap();
    assert_eq!(request.field("To"), Some("+40722000034"));
    let code = world.sms.last_code();
    let wrong = if code == "000000" { "111111" } else { "000000" };
    let failed = page
        .attempt(json!({"strategy": "phone_code", "code": wrong}))
        .await;
    assert_eq!(
        failed.ok()["second_factor_verification"]["error"]["code"],
        "code_incorrect"
    );
    let done = page
        .attempt(json!({"strategy": "phone_code", "code": code}))
        .await;
    assert_eq!(done.ok()["status"], "complete");
}

#[tokio::test]
async fn ended_sign_ins_and_their_contact_details_are_forgotten_a_day_later() {
    let world = World::start(json!({"strategies": ["email_code"]})).await;
    let ended = world
        .sign_in(json!({"user_id": "user-expiry-1", "email": "expiry-1@example.com"}))
        .await;
    let live = world
        .sign_in(json!({"user_id": "user-expiry-2", "email": "expiry-2@example.com"}))
        .await;
    let db = &world.server.db;
    let now = keycadence_server::db::now_millis();
    // One sign-in ended two days ago (other tests may share the database: only rows older
    // than a day are due, and theirs are fresh).
    sqlx::query("UPDATE sign_ins SET expire_at = $1 WHERE id = $2")
        .bind(now - 2 * 24 * 3600 * 1000)
        .bind(&ended.id)
        .execute(db.pool())
        .await
        .unwrap();
    let stored = |id: String| async move {
        sqlx::query("SELECT COUNT(*) FROM sign_ins WHERE id = $1")
            .bind(id)
            .fetch_one(db.pool())
            .await
            .unwrap()
            .get::<i64, _>(0)
    };
    assert!(db.sign_ins().expire(now).await.unwrap() >= 1);
    assert_eq!(
        stored(ended.id.clone()).await,
        0,
        "the ended sign-in is gone"
    );
    assert_eq!(stored(live.id.clone()).await, 1, "a live sign-in stays");
    let gone = world.read(&ended.id).await;
    assert_eq!(gone.status, 404, "{}", gone.body);
    assert_eq!(
        gone.body["errors"][0]["code"], "sign_in_not_found",
        "{}",
        gone.body
    );
}

/// A TOTP service, an entity with a verified factor, and its backup codes: (service sid,
/// identity, secret, backup codes).
async fn totp_user(world: &World) -> (String, String, TotpSecret, Vec<String>) {
    let api = |method, path: &str| world.backend(method, path);
    let service: Value = api(reqwest::Method::POST, "/v2/Services")
        .form(&[("FriendlyName", "Acme")])
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let service = service["sid"].as_str().unwrap().to_string();
    let identity = "user-totp-0001".to_string();
    let entity = format!("/v2/Services/{service}/Entities/{identity}");
    let factor: Value = api(reqwest::Method::POST, &format!("{entity}/Factors"))
        .form(&[("FactorType", "totp"), ("FriendlyName", "phone")])
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let secret = TotpSecret::from_base32(factor["binding"]["secret"].as_str().unwrap()).unwrap();
    let sid = factor["sid"].as_str().unwrap();
    let config = TotpConfig::new(Algorithm::Sha1, 6, 30, 2).unwrap();
    let code = totp(&secret, support::now_ms() / 1000, &config);
    let verified = api(reqwest::Method::POST, &format!("{entity}/Factors/{sid}"))
        .form(&[("AuthPayload", code.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(verified.status(), 200);
    let backup: Value = api(reqwest::Method::POST, &format!("{entity}/BackupCodes"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let codes = backup["codes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c.as_str().unwrap().to_string())
        .collect();
    (service, identity, secret, codes)
}

#[tokio::test]
async fn totp_and_backup_codes_complete_without_preparation() {
    let world = World::start(json!({"strategies": ["totp", "backup_code"]})).await;
    let (service, identity, secret, backup) = totp_user(&world).await;
    let fields =
        json!({"user_id": "user-totp-1", "totp_service": service, "totp_identity": identity});

    let page = world.sign_in(fields.clone()).await;
    assert_eq!(
        page.created["supported_second_factors"],
        json!([{"strategy": "totp"}, {"strategy": "backup_code"}])
    );
    // The step after the one that verified the factor (that one is used).
    let config = TotpConfig::new(Algorithm::Sha1, 6, 30, 2).unwrap();
    let code = totp(&secret, support::now_ms() / 1000 + 30, &config);
    let done = page
        .attempt(json!({"strategy": "totp", "code": code}))
        .await;
    assert_eq!(done.ok()["status"], "complete", "{}", done.body);
    assert_eq!(done.body["completed_by"], "totp");

    // The same code again, in a new sign-in: TOTP refuses a used step.
    let page = world.sign_in(fields.clone()).await;
    let replay = page
        .attempt(json!({"strategy": "totp", "code": code}))
        .await;
    assert_eq!(
        replay.ok()["second_factor_verification"]["status"],
        "failed"
    );
    let done = page
        .attempt(json!({"strategy": "backup_code", "code": backup[0]}))
        .await;
    assert_eq!(done.ok()["status"], "complete", "{}", done.body);

    // A backup code is used up.
    let page = world.sign_in(fields).await;
    let again = page
        .attempt(json!({"strategy": "backup_code", "code": backup[0]}))
        .await;
    assert_eq!(
        again.ok()["second_factor_verification"]["error"]["code"],
        "code_incorrect"
    );
    page.attempt(json!({"strategy": "backup_code", "code": "not a code"}))
        .await
        .refused("parameter_invalid", 400);
}

#[tokio::test]
async fn the_first_factors_rhythm_completes_the_sign_in_at_once() {
    let world = World::start(json!({})).await;
    let user = "user-invisible-1";
    let email = unique_email("invisible");
    // The user name typed on the login form.
    let login = "orla mcbride";
    let mut owner = Typist::new(21);
    let api = world.typing_api();
    for _ in 0..3 {
        let saved = api.save(user, &owner.type_text(login, 1)).await;
        assert_eq!(saved.code(), 1, "{}", saved.body);
    }
    world.enrol_typing(user, &mut owner).await;
    let typed = owner.type_text(login, 1);
    let page = world
        .sign_in(json!({"user_id": user, "email": email, "first_factor_pattern": typed}))
        .await;
    assert_eq!(page.created["status"], "complete", "{}", page.created);
    assert_eq!(page.created["completed_by"], "typing");
    // The same pattern again is a replay: no invisible pass.
    let replayed = world
        .sign_in(json!({"user_id": user, "email": email, "first_factor_pattern": typed}))
        .await;
    assert_eq!(replayed.created["status"], "needs_second_factor");
    let other = Typist::new(22).type_text(login, 1);
    let page = world
        .sign_in(json!({"user_id": user, "email": email, "first_factor_pattern": other}))
        .await;
    assert_eq!(page.created["status"], "needs_second_factor");
}

#[tokio::test]
async fn a_new_user_enrols_typing_only_after_an_email_code() {
    let world = World::start(json!({})).await;
    let user = "user-enrol-1";
    let email = unique_email("enrol");
    let mut typist = Typist::new(31);
    let page = world
        .sign_in(json!({"user_id": user, "email": email}))
        .await;
    assert_eq!(
        page.created["typing_enrolment"],
        json!({"texts": 3, "received": 0})
    );
    assert_eq!(
        page.created["supported_second_factors"][0]["strategy"],
        "email_code"
    );
    let mut texts = Vec::new();
    let mut samples = Vec::new();
    for received in 1..=3 {
        let text = page.text().await;
        let sample = typist.type_text(&text, 2);
        let kept = page
            .attempt(json!({"strategy": "typing", "pattern": sample}))
            .await;
        assert_eq!(kept.ok()["typing_enrolment"]["received"], received);
        assert_eq!(kept.body["status"], "needs_second_factor");
        texts.push(text);
        samples.push(sample);
    }
    // The samples wait in the sign-in's record until the code is proven: sealed, like the
    // contact address it holds.
    let stored: String = sqlx::query("SELECT record FROM sign_ins WHERE user_id = $1")
        .bind(user)
        .fetch_one(world.server.db.pool())
        .await
        .unwrap()
        .get(0);
    assert!(stored.starts_with("sealed:"), "{stored}");
    for sample in &samples {
        let timings = sample.split_once('|').unwrap().1;
        assert!(!stored.contains(timings), "a sample in the stored record");
    }
    assert!(!stored.contains(&email), "the address in the stored record");
    page.prepare("typing")
        .await
        .refused("enrolment_texts_issued", 409);
    let words: Vec<&str> = texts.iter().flat_map(|t| t.split(' ')).collect();
    let mut distinct = words.clone();
    distinct.sort_unstable();
    distinct.dedup();
    assert_eq!(distinct.len(), words.len(), "no word repeats: {texts:?}");
    // Nothing stored before the root of trust.
    let check = world.typing_api().get(&format!("/user/{user}")).await;
    assert_eq!(check.body["count"], 0, "{}", check.body);
    page.prepare("email_code").await.ok();
    let code = code_in(&world.smtp.wait_for(&email, 1).await, 6);
    let done = page
        .attempt(json!({"strategy": "email_code", "code": code}))
        .await;
    assert_eq!(done.ok()["status"], "complete");
    assert_eq!(world.typing_api().counts(user).await, (3, 0));

    // Now enrolled, the user's next sign-in offers typing first, and their typing passes.
    let page = world
        .sign_in(json!({"user_id": user, "email": email}))
        .await;
    assert_eq!(
        page.created["supported_second_factors"][0]["strategy"],
        "typing"
    );
    let passed = page.type_text(&mut typist).await;
    assert_eq!(passed.ok()["status"], "complete", "{}", passed.body);
}

#[tokio::test]
async fn bad_input_gets_documented_errors_and_changes_nothing() {
    let world = World::start(json!({"lifetime_seconds": 2})).await;
    let user = "user-errors-1";
    let mut owner = Typist::new(11);
    world.enrol_typing(user, &mut owner).await;
    let email = unique_email("errors");
    let page = world
        .sign_in(json!({"user_id": user, "email": email}))
        .await;
    let other = world
        .sign_in(json!({"user_id": user, "email": email}))
        .await;

    // Unknown sign-in, another sign-in's token, no token, another origin.
    let unknown = Page {
        id: "sia_00000000000000000000000000000000".into(),
        ..world
            .sign_in(json!({"user_id": user, "email": email}))
            .await
    };
    unknown
        .prepare("typing")
        .await
        .refused("sign_in_not_found", 404);
    world
        .read("sia_00000000000000000000000000000000")
        .await
        .refused("sign_in_not_found", 404);
    page.post(
        "prepare_second_factor",
        json!({"strategy": "typing"}),
        &other.token,
        None,
    )
    .await
    .refused("token_invalid", 401);
    page.post(
        "prepare_second_factor",
        json!({"strategy": "typing"}),
        "",
        None,
    )
    .await
    .refused("token_invalid", 401);
    page.post(
        "prepare_second_factor",
        json!({"strategy": "typing"}),
        &page.token,
        Some("https://evil.example"),
    )
    .await
    .refused("origin_not_allowed", 403);
    let allowed = page
        .post(
            "prepare_second_factor",
            json!({"strategy": "sms"}),
            &page.token,
            Some("https://example.com"),
        )
        .await;
    allowed.refused("strategy_unknown", 400);
    assert_eq!(allowed.allow_origin.as_deref(), Some("https://example.com"));

    // Strategies the user does not have; malformed bodies.
    page.prepare("phone_code")
        .await
        .refused("strategy_not_available", 422);
    page.attempt(json!({"strategy": "totp", "code": "123456"}))
        .await
        .refused("strategy_not_available", 422);
    page.attempt(json!({"strategy": "typing"}))
        .await
        .refused("parameter_invalid", 400);
    page.post("attempt_second_factor", json!("typing"), &page.token, None)
        .await
        .refused("parameter_invalid", 400);

    // Patterns: malformed, type 1, another text, then a replay.
    let text = page.text().await;
    page.attempt(json!({"strategy": "typing", "pattern": "0,3.2,0,2,abc"}))
        .await
        .refused("pattern_invalid", 400);
    page.attempt(json!({"strategy": "typing", "pattern": owner.type_text(&text, 1)}))
        .await
        .refused("pattern_invalid", 400);
    page.attempt(json!({"strategy": "typing", "pattern": owner.type_text("some other words", 2)}))
        .await
        .refused("wrong_text", 422);
    let impostor = robot_pattern(&text);
    let failed = page
        .attempt(json!({"strategy": "typing", "pattern": impostor}))
        .await;
    assert_eq!(
        failed.ok()["second_factor_verification"]["status"],
        "failed"
    );
    assert_eq!(failed.body["second_factor_verification"]["attempts"], 1);
    page.attempt(json!({"strategy": "typing", "pattern": impostor}))
        .await
        .refused("pattern_replayed", 409);
    page.attempt(json!({"strategy": "typing", "pattern": owner.type_text(&text, 2)}))
        .await
        .refused("text_already_used", 409);
    // Refusals counted nothing.
    assert_eq!(
        world.read(&page.id).await.ok()["second_factor_verification"]["attempts"],
        1
    );

    // A code sent for another sign-in is wrong here.
    other.prepare("email_code").await.ok();
    let code = code_in(&world.smtp.wait_for(&email, 1).await, 6);
    page.prepare("email_code").await.ok();
    let foreign = page
        .attempt(json!({"strategy": "email_code", "code": code}))
        .await;
    assert_eq!(
        foreign.ok()["second_factor_verification"]["error"]["code"],
        "code_incorrect"
    );

    // Expiry (a 2-second policy), reached by moving the server's clock.
    world
        .server
        .state
        .clock
        .advance(Duration::from_millis(2100));
    page.prepare("email_code")
        .await
        .refused("sign_in_expired", 410);
    assert_eq!(world.read(&page.id).await.ok()["status"], "expired");

    // The back end: an application not enabled for this tenant, bad parameters.
    let foreign_app = world.server.email_app(|_| {}).await;
    world
        .create(
            json!({"application_id": foreign_app.application_id, "user_id": user, "email": email}),
        )
        .await
        .refused("application_unavailable", 403);
    world
        .create(json!({"user_id": user, "email": "not an address"}))
        .await
        .refused("parameter_invalid", 400);
    world
        .create(json!({"user_id": "user-nothing-1"}))
        .await
        .refused("no_second_factor", 422);
    let unauthenticated = world
        .server
        .http
        .get(format!("{}/v1/sign_ins/{}", world.server.base, page.id))
        .send()
        .await
        .unwrap();
    assert_eq!(unauthenticated.status(), 401);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn code_limits_hold_under_concurrent_attempts() {
    let world = World::start(json!({"strategies": ["email_code"], "code_attempts": 3})).await;
    let email = unique_email("race");
    let page = world
        .sign_in(json!({"user_id": "user-race-1", "email": email}))
        .await;
    page.prepare("email_code").await.ok();
    let code = code_in(&world.smtp.wait_for(&email, 1).await, 6);
    let wrong: Vec<String> = (0..12)
        .map(|i| format!("{:06}", (code.parse::<u32>().unwrap() + 1 + i) % 1_000_000))
        .collect();
    let tasks: Vec<_> = wrong
        .into_iter()
        .map(|c| {
            let page = page.clone();
            tokio::spawn(async move {
                page.attempt(json!({"strategy": "email_code", "code": c}))
                    .await
            })
        })
        .collect();
    let mut replies = Vec::new();
    for task in tasks {
        replies.push(task.await.unwrap());
    }
    let counted = replies.iter().filter(|r| r.status == 200).count();
    assert!(
        counted <= 3,
        "{counted} wrong codes counted, the limit is 3"
    );
    for r in replies.iter().filter(|r| r.status != 200) {
        let code = r.body["errors"][0]["code"].as_str().unwrap();
        assert!(
            ["contended", "attempts_exhausted", "sign_in_failed"].contains(&code),
            "{}",
            r.body
        );
    }
    let state = world.read(&page.id).await;
    let left_open = state.body["status"] == "needs_second_factor";
    if counted == 3 {
        assert_eq!(state.body["status"], "failed", "{}", state.body);
        page.attempt(json!({"strategy": "email_code", "code": code}))
            .await
            .refused("sign_in_failed", 409);
    } else {
        assert!(left_open, "{}", state.body);
    }
}

/// Latency of the sign-in calls on SQLite (printed; run with --nocapture to read them).
#[tokio::test]
async fn latency_of_create_prepare_and_attempt() {
    let world = World::start(json!({})).await;
    let user = "user-latency-1";
    let mut owner = Typist::new(51);
    world.enrol_typing(user, &mut owner).await;
    let email = unique_email("latency");
    let rounds = 20;
    let mut typing = Vec::new();
    let mut code = Vec::new();
    for round in 0..rounds {
        let started = Instant::now();
        let page = world
            .sign_in(json!({"user_id": user, "email": email}))
            .await;
        let created = started.elapsed();
        let text = page.text().await;
        let prepared = started.elapsed();
        let attempt = page
            .attempt(json!({"strategy": "typing", "pattern": owner.type_text(&text, 2)}))
            .await;
        attempt.ok();
        typing.push((created, prepared, started.elapsed()));

        let started = Instant::now();
        let page = world
            .sign_in(json!({"user_id": user, "email": email}))
            .await;
        let created = started.elapsed();
        page.prepare("email_code").await.ok();
        let prepared = started.elapsed();
        let message = world.smtp.wait_for(&email, round + 1).await;
        let waited = started.elapsed();
        let done = page
            .attempt(json!({"strategy": "email_code", "code": code_in(&message, 6)}))
            .await;
        assert_eq!(done.ok()["status"], "complete");
        code.push((created, prepared, started.elapsed() - (waited - prepared)));
    }
    let report = |name: &str, runs: &mut Vec<(Duration, Duration, Duration)>| {
        runs.sort_by_key(|r| r.2);
        let median = runs[runs.len() / 2];
        println!(
            "{name}: median of {rounds} flows: create {:?}, +prepare {:?}, +attempt {:?} (total)",
            median.0, median.1, median.2
        );
    };
    report("typing", &mut typing);
    report("email code (mail delivery wait excluded)", &mut code);
}
