//! The Twilio-shaped TOTP endpoints over real HTTP: services, factors, challenges and backup
//! codes, with codes computed by an authenticator (keycadence-otp's RFC 6238 code).

use std::time::Duration;

use keycadence_otp::totp::totp;
use keycadence_otp::{Algorithm, TotpConfig, TotpSecret};
use serde_json::{json, Value};
use sqlx::Row;

use super::support::*;

struct Api {
    http: reqwest::Client,
    base: String,
    key: String,
    secret: String,
}

impl Api {
    async fn new(server: &TestServer) -> Api {
        let (key, secret) = server.api_key().await;
        Api {
            http: server.http.clone(),
            base: server.base.clone(),
            key,
            secret,
        }
    }

    async fn call(&self, method: reqwest::Method, path: &str, form: &[(&str, &str)]) -> Reply {
        let response = self
            .http
            .request(method, format!("{}{path}", self.base))
            .basic_auth(&self.key, Some(&self.secret))
            .form(form)
            .send()
            .await
            .unwrap();
        let status = response.status().as_u16();
        let text = response.text().await.unwrap();
        let body = if text.is_empty() {
            Value::Null
        } else {
            serde_json::from_str(&text).unwrap()
        };
        Reply { status, body }
    }

    async fn post(&self, path: &str, form: &[(&str, &str)]) -> Reply {
        self.call(reqwest::Method::POST, path, form).await
    }

    async fn get(&self, path: &str) -> Reply {
        self.call(reqwest::Method::GET, path, &[]).await
    }

    async fn service(&self, form: &[(&str, &str)]) -> String {
        let created = self.post("/v2/Services", form).await;
        assert_eq!(created.status, 201, "{}", created.body);
        created.body["sid"].as_str().unwrap().to_string()
    }
}

fn expect_error(reply: &Reply, status: u16, code: i64) {
    assert_eq!(reply.status, status, "{}", reply.body);
    assert_eq!(reply.body["status"], status, "{}", reply.body);
    assert_eq!(reply.body["code"], code, "{}", reply.body);
    assert!(reply.body["message"].is_string());
}

fn now_secs() -> u64 {
    now_ms() / 1000
}

async fn server() -> (SmsGateway, TestServer) {
    let sms = SmsGateway::start().await;
    let server = TestServer::start(Gateways {
        smtp_port: None,
        sms_base: sms.base.clone(),
    })
    .await;
    (sms, server)
}

#[tokio::test]
async fn a_factor_is_created_verified_challenged_and_deleted() {
    let (_sms, server) = server().await;
    let api = Api::new(&server).await;
    let service = api
        .service(&[
            ("FriendlyName", "Acme Co"),
            ("Totp.Skew", "2"),
            ("Totp.AllowWeakCodes", "true"),
        ])
        .await;
    assert!(service.starts_with("VA") && service.len() == 34);
    let fetched = api.get(&format!("/v2/Services/{service}")).await;
    assert_eq!(
        fetched.body["totp"],
        json!({"issuer": "Acme Co", "time_step": 30, "code_length": 6, "skew": 2, "allow_weak_codes": true})
    );

    let entity = format!("/v2/Services/{service}/Entities/user-0001-abcd");
    let created = api
        .post(
            &format!("{entity}/Factors"),
            &[("FactorType", "totp"), ("FriendlyName", "alice's phone")],
        )
        .await;
    assert_eq!(created.status, 201, "{}", created.body);
    let factor = created.body["sid"].as_str().unwrap().to_string();
    assert!(factor.starts_with("YF"));
    assert_eq!(created.body["status"], "unverified");
    assert_eq!(created.body["identity"], "user-0001-abcd");
    assert_eq!(
        created.body["config"],
        json!({"alg": "sha1", "code_length": 6, "time_step": 30, "skew": 2})
    );
    let secret_b32 = created.body["binding"]["secret"]
        .as_str()
        .unwrap()
        .to_string();
    assert_eq!(secret_b32.len(), 32, "160-bit secret in Base32");
    assert_eq!(
        created.body["binding"]["uri"],
        format!(
            "otpauth://totp/Acme%20Co:alice%27s%20phone?secret={secret_b32}&issuer=Acme%20Co\
             &algorithm=SHA1&digits=6&period=30"
        )
    );
    assert!(created.body["binding"]["qr_svg"]
        .as_str()
        .unwrap()
        .contains("<svg"));
    let secret = TotpSecret::from_base32(&secret_b32).unwrap();
    let config = TotpConfig::new(Algorithm::Sha1, 6, 30, 2).unwrap();
    let code_at = |offset_steps: u64| totp(&secret, now_secs() + 30 * offset_steps, &config);

    // The secret is shown once: never read back, and stored sealed.
    let fetched = api.get(&format!("{entity}/Factors/{factor}")).await;
    assert_eq!(fetched.status, 200);
    assert!(fetched.body.get("binding").is_none(), "{}", fetched.body);
    let stored: String = sqlx::query("SELECT state FROM totp_factors WHERE sid = $1")
        .bind(&factor)
        .fetch_one(server.db.pool())
        .await
        .unwrap()
        .get(0);
    assert!(!stored.contains(&secret_b32));
    assert!(!stored.contains(&hex::encode(secret.as_bytes())));

    // Unverified factors cannot be challenged.
    let refused = api
        .post(
            &format!("{entity}/Challenges"),
            &[("FactorSid", &factor), ("AuthPayload", &code_at(0))],
        )
        .await;
    expect_error(&refused, 400, 60200);

    // A wrong code leaves it unverified; the right one verifies it.
    let wrong = if code_at(0) == "000000" {
        "111111"
    } else {
        "000000"
    };
    let answer = api
        .post(
            &format!("{entity}/Factors/{factor}"),
            &[("AuthPayload", wrong)],
        )
        .await;
    assert_eq!(answer.body["status"], "unverified", "{}", answer.body);
    let answer = api
        .post(
            &format!("{entity}/Factors/{factor}"),
            &[("AuthPayload", &code_at(0))],
        )
        .await;
    assert_eq!(answer.body["status"], "verified", "{}", answer.body);
    let listed = api.get(&format!("{entity}/Factors")).await;
    assert_eq!(listed.body["factors"].as_array().unwrap().len(), 1);
    assert_eq!(listed.body["factors"][0]["status"], "verified");

    // A code accepted once is refused for the rest of its step: the challenge stays pending,
    // and a retry with the next step's code approves it.
    let challenges = format!("{entity}/Challenges");
    let a = api
        .post(
            &challenges,
            &[("FactorSid", &factor), ("AuthPayload", &code_at(0))],
        )
        .await;
    assert_eq!(a.status, 201, "{}", a.body);
    assert_eq!(a.body["status"], "pending");
    assert_eq!(a.body["factor_sid"], factor.as_str());
    let a_sid = a.body["sid"].as_str().unwrap().to_string();
    assert!(a_sid.starts_with("YC"));
    let a_path = format!("{challenges}/{a_sid}");
    let approved = api.post(&a_path, &[("AuthPayload", &code_at(1))]).await;
    assert_eq!(approved.body["status"], "approved", "{}", approved.body);
    assert!(approved.body["date_responded"].is_string());
    assert_eq!(api.get(&a_path).await.body["status"], "approved");
    let again = api.post(&a_path, &[("AuthPayload", &code_at(2))]).await;
    expect_error(&again, 400, 60200);

    // Created approved directly with a fresh step's code.
    let b = api
        .post(
            &challenges,
            &[("FactorSid", &factor), ("AuthPayload", &code_at(2))],
        )
        .await;
    assert_eq!(b.body["status"], "approved", "{}", b.body);

    // Expiry: pending until its ExpirationDate, then expired.
    let soon =
        humantime::format_rfc3339_seconds(std::time::SystemTime::now() + Duration::from_secs(2))
            .to_string();
    let c = api
        .post(
            &challenges,
            &[
                ("FactorSid", &factor),
                ("AuthPayload", wrong),
                ("ExpirationDate", &soon),
            ],
        )
        .await;
    assert_eq!(c.body["status"], "pending", "{}", c.body);
    assert_eq!(c.body["expiration_date"], soon.as_str());
    let c_path = format!("{challenges}/{}", c.body["sid"].as_str().unwrap());
    // Pending until the expiration date passes, then expired: ask until it changes.
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    loop {
        let status = api.get(&c_path).await.body["status"].clone();
        if status != "pending" {
            assert_eq!(status, "expired");
            break;
        }
        assert!(std::time::Instant::now() < deadline, "never expired");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    expect_error(
        &api.post(&c_path, &[("AuthPayload", wrong)]).await,
        400,
        60200,
    );

    // Denied.
    let d = api
        .post(
            &challenges,
            &[("FactorSid", &factor), ("AuthPayload", wrong)],
        )
        .await;
    let d_path = format!("{challenges}/{}", d.body["sid"].as_str().unwrap());
    let denied = api.post(&d_path, &[("Status", "denied")]).await;
    assert_eq!(denied.body["status"], "denied", "{}", denied.body);
    assert_eq!(api.get(&d_path).await.body["status"], "denied");

    // Expiry limits: at most 60 minutes ahead, and in the future.
    let far = humantime::format_rfc3339_seconds(
        std::time::SystemTime::now() + Duration::from_secs(2 * 3600),
    )
    .to_string();
    for date in [far.as_str(), "2001-01-01T00:00:00Z", "tomorrow"] {
        let refused = api
            .post(
                &challenges,
                &[
                    ("FactorSid", &factor),
                    ("AuthPayload", wrong),
                    ("ExpirationDate", date),
                ],
            )
            .await;
        expect_error(&refused, 400, 60200);
    }

    // Delete: the factor and its challenges are gone.
    let deleted = api
        .call(
            reqwest::Method::DELETE,
            &format!("{entity}/Factors/{factor}"),
            &[],
        )
        .await;
    assert_eq!(deleted.status, 204);
    expect_error(
        &api.get(&format!("{entity}/Factors/{factor}")).await,
        404,
        20404,
    );
    expect_error(&api.get(&a_path).await, 404, 20404);
    assert_eq!(
        api.get(&format!("{entity}/Factors")).await.body["factors"],
        json!([])
    );
    server.stop().await;
}

#[tokio::test]
async fn wrong_codes_lock_the_factor() {
    let (_sms, server) = server().await;
    let api = Api::new(&server).await;
    let service = api.service(&[("FriendlyName", "Locks")]).await;
    let entity = format!("/v2/Services/{service}/Entities/user-0002-abcd");
    let created = api
        .post(
            &format!("{entity}/Factors"),
            &[("FactorType", "totp"), ("FriendlyName", "phone")],
        )
        .await;
    let factor = created.body["sid"].as_str().unwrap().to_string();
    let secret =
        TotpSecret::from_base32(created.body["binding"]["secret"].as_str().unwrap()).unwrap();
    let config = TotpConfig::default();
    let good = totp(&secret, now_secs(), &config);
    api.post(
        &format!("{entity}/Factors/{factor}"),
        &[("AuthPayload", &good)],
    )
    .await;
    let challenges = format!("{entity}/Challenges");
    let next = totp(&secret, now_secs() + 30, &config);
    let wrong = ["000001", "000002", "000003", "000004", "000005"]
        .into_iter()
        .find(|w| *w != next)
        .unwrap();
    // Default policy: five failures lock the factor for 15 minutes.
    for _ in 0..4 {
        let pending = api
            .post(
                &challenges,
                &[("FactorSid", &factor), ("AuthPayload", wrong)],
            )
            .await;
        assert_eq!(pending.body["status"], "pending", "{}", pending.body);
    }
    let locked = api
        .post(
            &challenges,
            &[("FactorSid", &factor), ("AuthPayload", wrong)],
        )
        .await;
    expect_error(&locked, 429, 60202);
    assert!(locked.body["limited_until"].is_string());
    // Locked: even a good code is refused, on challenges and on the factor itself.
    let refused = api
        .post(
            &challenges,
            &[("FactorSid", &factor), ("AuthPayload", &next)],
        )
        .await;
    expect_error(&refused, 429, 60202);
    let refused = api
        .post(
            &format!("{entity}/Factors/{factor}"),
            &[("AuthPayload", &next)],
        )
        .await;
    expect_error(&refused, 429, 60202);
    server.stop().await;
}

#[tokio::test]
async fn imported_secrets_and_configurations_are_honoured() {
    let (_sms, server) = server().await;
    let api = Api::new(&server).await;
    let service = api.service(&[("FriendlyName", "Import")]).await;
    let factors = format!("/v2/Services/{service}/Entities/user-0003-abcd/Factors");
    // The RFC 6238 SHA-256 seed, 8 digits, 60-second steps, no skew.
    let seed = "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQGEZA";
    let created = api
        .post(
            &factors,
            &[
                ("FactorType", "totp"),
                ("FriendlyName", "imported"),
                ("Binding.Secret", seed),
                ("Config.Alg", "sha256"),
                ("Config.CodeLength", "8"),
                ("Config.TimeStep", "60"),
                ("Config.Skew", "0"),
            ],
        )
        .await;
    assert_eq!(created.status, 201, "{}", created.body);
    assert_eq!(created.body["binding"]["secret"], seed);
    assert!(created.body["binding"]["uri"]
        .as_str()
        .unwrap()
        .ends_with("&algorithm=SHA256&digits=8&period=60"));
    let factor = created.body["sid"].as_str().unwrap();
    let secret = TotpSecret::from_bytes(b"12345678901234567890123456789012").unwrap();
    let sha1 = TotpConfig::new(Algorithm::Sha1, 8, 60, 0).unwrap();
    let sha256 = TotpConfig::new(Algorithm::Sha256, 8, 60, 0).unwrap();
    let path = format!("{factors}/{factor}");
    let now = now_secs();
    // The same seed with another algorithm is a wrong code.
    let answer = api
        .post(&path, &[("AuthPayload", &totp(&secret, now, &sha1))])
        .await;
    assert_eq!(answer.body["status"], "unverified");
    let mut answer = api
        .post(&path, &[("AuthPayload", &totp(&secret, now, &sha256))])
        .await;
    if answer.body["status"] != "verified" && now_secs() / 60 != now / 60 {
        // The step changed between computing and checking (no skew allowed): once more.
        answer = api
            .post(
                &path,
                &[("AuthPayload", &totp(&secret, now_secs(), &sha256))],
            )
            .await;
    }
    assert_eq!(answer.body["status"], "verified", "{}", answer.body);

    // Outside the ranges a service accepts (digits, time step, skew), or not a factor at all.
    for (name, value) in [
        ("Config.CodeLength", "9"),
        ("Config.CodeLength", "2"),
        ("Config.TimeStep", "10"),
        ("Config.TimeStep", "61"),
        ("Config.Skew", "3"),
        ("Config.Alg", "md5"),
        ("Config.Skew", "one"),
        ("Binding.Secret", "not base32!"),
        ("Binding.Secret", "GEZDGNBV"),
        ("FactorType", "push"),
    ] {
        let mut form = vec![("FactorType", "totp"), ("FriendlyName", "x")];
        form.retain(|(k, _)| *k != name);
        form.push((name, value));
        let refused = api.post(&factors, &form).await;
        expect_error(&refused, 400, 60200);
        assert!(
            refused.body["message"]
                .as_str()
                .unwrap()
                .contains(name.split('.').next().unwrap()),
            "{name}: {}",
            refused.body
        );
    }
    expect_error(
        &api.post(&factors, &[("FactorType", "totp")]).await,
        400,
        60200,
    );
    let bad_entity = format!("/v2/Services/{service}/Entities/short/Factors");
    expect_error(
        &api.post(
            &bad_entity,
            &[("FactorType", "totp"), ("FriendlyName", "x")],
        )
        .await,
        400,
        60200,
    );
    expect_error(
        &api.post(
            "/v2/Services",
            &[("FriendlyName", "S"), ("Totp.CodeLength", "12")],
        )
        .await,
        400,
        60200,
    );
    expect_error(&api.post("/v2/Services", &[]).await, 400, 60200);
    let stored: i64 = sqlx::query("SELECT COUNT(*) FROM totp_factors f JOIN totp_services s ON s.id = f.service_ref WHERE s.sid = $1")
        .bind(&service)
        .fetch_one(server.db.pool())
        .await
        .unwrap()
        .get(0);
    assert_eq!(stored, 1, "refused factors are not stored");
    server.stop().await;
}

#[tokio::test]
async fn tenants_see_only_their_services_and_calls_need_a_key() {
    let (_sms, server) = server().await;
    let api = Api::new(&server).await;
    let other = Api::new(&server).await;
    let service = api.service(&[("FriendlyName", "Mine")]).await;
    expect_error(
        &other.get(&format!("/v2/Services/{service}")).await,
        404,
        20404,
    );
    let theirs = other
        .post(
            &format!("/v2/Services/{service}/Entities/user-0004-abcd/Factors"),
            &[("FactorType", "totp"), ("FriendlyName", "x")],
        )
        .await;
    expect_error(&theirs, 404, 20404);
    let anonymous = server
        .http
        .get(format!("{}/v2/Services/{service}", server.base))
        .send()
        .await
        .unwrap();
    // A failed login is answered in Twilio's shape, like every other TOTP error.
    assert_eq!(anonymous.status().as_u16(), 401);
    let body: Value = anonymous.json().await.unwrap();
    assert_eq!(body["code"], 20003, "{body}");
    assert_eq!(body["status"], 401, "{body}");
    assert!(body.get("message_code").is_none(), "{body}");
    // Each failure is counted in /metrics under its Twilio code.
    let metrics = server
        .http
        .get(format!("{}/metrics", server.base))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    for (status, code) in [(401, 20003), (404, 20404)] {
        let counted = format!(r#"status="{status}",message_code="{code}"}}"#);
        assert!(metrics.contains(&counted), "{counted} not in {metrics}");
    }
    server.stop().await;
}

#[tokio::test]
async fn backup_codes_are_single_use_and_stored_hashed() {
    let (_sms, server) = server().await;
    let api = Api::new(&server).await;
    let service = api.service(&[("FriendlyName", "Backup")]).await;
    let path = format!("/v2/Services/{service}/Entities/user-0005-abcd/BackupCodes");
    expect_error(&api.get(&path).await, 404, 20404);
    let created = api.post(&path, &[]).await;
    assert_eq!(created.status, 201, "{}", created.body);
    let codes: Vec<String> = created.body["codes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c.as_str().unwrap().to_string())
        .collect();
    assert_eq!(codes.len(), 10);
    assert!(codes
        .iter()
        .all(|c| c.len() == 14 && c.matches('-').count() == 2));
    let mut unique = codes.clone();
    unique.sort();
    unique.dedup();
    assert_eq!(unique.len(), 10);
    assert_eq!(api.get(&path).await.body["remaining"], 10);
    let stored: String = sqlx::query("SELECT b.state FROM totp_backup_codes b JOIN totp_services s ON s.id = b.service_ref WHERE s.sid = $1")
        .bind(&service)
        .fetch_one(server.db.pool())
        .await
        .unwrap()
        .get(0);
    for code in &codes {
        assert!(!stored.contains(&code.replace('-', "")));
    }

    let redeem = format!("{path}/Redeem");
    let used = api.post(&redeem, &[("Code", &codes[0])]).await;
    assert_eq!(used.body["valid"], true, "{}", used.body);
    assert_eq!(used.body["remaining"], 9);
    let reused = api.post(&redeem, &[("Code", &codes[0])]).await;
    assert_eq!(reused.body["valid"], false);
    // Any case, without dashes.
    let loose = codes[1].replace('-', "").to_uppercase();
    assert_eq!(
        api.post(&redeem, &[("Code", &loose)]).await.body["valid"],
        true
    );
    expect_error(&api.post(&redeem, &[("Code", "abc")]).await, 400, 60200);
    assert_eq!(api.get(&path).await.body["remaining"], 8);

    // A new set replaces the old one.
    let renewed = api.post(&path, &[]).await;
    assert_eq!(renewed.body["remaining"], 10);
    assert_eq!(
        api.post(&redeem, &[("Code", &codes[2])]).await.body["valid"],
        false
    );
    server.stop().await;
}

/// A verified factor of a new entity: (entity path, factor sid, secret). The code of the
/// current step is used up by the verification.
async fn verified_factor(
    api: &Api,
    service: &str,
    identity: &str,
    config: &TotpConfig,
) -> (String, String, TotpSecret) {
    let entity = format!("/v2/Services/{service}/Entities/{identity}");
    let code_length = config.digits().to_string();
    let skew = config.skew().to_string();
    let created = api
        .post(
            &format!("{entity}/Factors"),
            &[
                ("FactorType", "totp"),
                ("FriendlyName", "phone"),
                ("Config.CodeLength", &code_length),
                ("Config.Skew", &skew),
            ],
        )
        .await;
    assert_eq!(created.status, 201, "{}", created.body);
    let factor = created.body["sid"].as_str().unwrap().to_string();
    let secret =
        TotpSecret::from_base32(created.body["binding"]["secret"].as_str().unwrap()).unwrap();
    let verified = api
        .post(
            &format!("{entity}/Factors/{factor}"),
            &[("AuthPayload", &totp(&secret, now_secs(), config))],
        )
        .await;
    assert_eq!(verified.body["status"], "verified", "{}", verified.body);
    (entity, factor, secret)
}

/// A code of `config`'s length that is not `good`.
fn wrong_code(config: &TotpConfig, good: &[String]) -> String {
    (1..)
        .map(|n: u32| format!("{n:0width$}", width = usize::from(config.digits())))
        .find(|c| !good.contains(c))
        .unwrap()
}

#[tokio::test]
async fn an_approval_and_a_denial_racing_on_one_challenge_never_both_win() {
    let (_sms, server) = server().await;
    let api = std::sync::Arc::new(Api::new(&server).await);
    let service = api.service(&[("FriendlyName", "Races")]).await;
    let config = TotpConfig::default();
    let mut overlapping = 0;
    let mut outcomes = std::collections::BTreeMap::<(u16, u16), usize>::new();
    const RACES: usize = 12;
    for race in 0..RACES {
        let identity = format!("user-race-{race:04}");
        let (entity, factor, secret) = verified_factor(&api, &service, &identity, &config).await;
        // The next step's code (skew 1 accepts it): the current one verified the factor.
        let good = totp(&secret, now_secs() + 30, &config);
        let wrong = wrong_code(&config, &[good.clone(), totp(&secret, now_secs(), &config)]);
        let pending = api
            .post(
                &format!("{entity}/Challenges"),
                &[("FactorSid", &factor), ("AuthPayload", &wrong)],
            )
            .await;
        assert_eq!(pending.body["status"], "pending", "{}", pending.body);
        let path = format!(
            "{entity}/Challenges/{}",
            pending.body["sid"].as_str().unwrap()
        );
        let barrier = std::sync::Arc::new(tokio::sync::Barrier::new(2));
        let send = |form: Vec<(&'static str, String)>| {
            let (api, path, barrier) = (api.clone(), path.clone(), barrier.clone());
            tokio::spawn(async move {
                barrier.wait().await;
                let started = std::time::Instant::now();
                let form: Vec<(&str, &str)> = form.iter().map(|(k, v)| (*k, v.as_str())).collect();
                let reply = api.post(&path, &form).await;
                (started, std::time::Instant::now(), reply)
            })
        };
        let approve = send(vec![("AuthPayload", good)]);
        let deny = send(vec![("Status", "denied".to_string())]);
        let (a_start, a_end, approved) = approve.await.unwrap();
        let (d_start, d_end, denied) = deny.await.unwrap();
        if a_start < d_end && d_start < a_end {
            overlapping += 1;
        }
        *outcomes
            .entry((approved.status, denied.status))
            .or_default() += 1;
        let winners = [&approved, &denied]
            .iter()
            .filter(|r| r.status == 200)
            .count();
        assert_eq!(
            winners, 1,
            "race {race}: approve {} {}, deny {} {}",
            approved.status, approved.body, denied.status, denied.body
        );
        let fetched = api.get(&path).await;
        let winner = if approved.status == 200 {
            "approved"
        } else {
            "denied"
        };
        assert_eq!(
            fetched.body["status"], winner,
            "the stored state is the winner's"
        );
    }
    eprintln!("{RACES} races, {overlapping} with both requests in flight at once; (approve, deny) statuses: {outcomes:?}");
    assert!(
        overlapping > 0,
        "the requests never overlapped: no race was run"
    );
    server.stop().await;
}

#[tokio::test]
async fn weak_codes_need_the_services_consent_and_lock_sooner() {
    let (_sms, server) = server().await;
    let api = Api::new(&server).await;
    for form in [
        [("FriendlyName", "Weak"), ("Totp.CodeLength", "4")],
        [("FriendlyName", "Weak"), ("Totp.Skew", "2")],
    ] {
        let refused = api.post("/v2/Services", &form).await;
        expect_error(&refused, 400, 60200);
        assert!(
            refused.body["message"]
                .as_str()
                .unwrap()
                .contains("AllowWeakCodes"),
            "{}",
            refused.body
        );
    }
    let strict = api.service(&[("FriendlyName", "Strict")]).await;
    for (name, value) in [("Config.CodeLength", "5"), ("Config.Skew", "2")] {
        let refused = api
            .post(
                &format!("/v2/Services/{strict}/Entities/user-weak-0001/Factors"),
                &[("FactorType", "totp"), ("FriendlyName", "x"), (name, value)],
            )
            .await;
        expect_error(&refused, 400, 60200);
    }
    expect_error(
        &api.post(
            "/v2/Services",
            &[("FriendlyName", "W"), ("Totp.AllowWeakCodes", "maybe")],
        )
        .await,
        400,
        60200,
    );

    // Allowed, a 5-digit factor (a guess is right 10 times as often as for 6 digits) locks
    // at its first wrong code, and a 6-digit one with skew 2 at its third.
    let lenient = api
        .service(&[("FriendlyName", "Lenient"), ("Totp.AllowWeakCodes", "true")])
        .await;
    for (digits, skew, allowed_failures) in [(5, 1, 1), (6, 2, 3)] {
        let config = TotpConfig::new(Algorithm::Sha1, digits, 30, skew).unwrap();
        let identity = format!("user-weak-{digits}{skew}00");
        let (entity, factor, secret) = verified_factor(&api, &lenient, &identity, &config).await;
        let now = now_secs();
        let near: Vec<String> = (0..=2 * u64::from(skew))
            .map(|k| totp(&secret, now + 30 * k - 30 * u64::from(skew), &config))
            .collect();
        let wrong = wrong_code(&config, &near);
        for attempt in 1..=allowed_failures {
            let reply = api
                .post(
                    &format!("{entity}/Challenges"),
                    &[("FactorSid", &factor), ("AuthPayload", &wrong)],
                )
                .await;
            if attempt < allowed_failures {
                assert_eq!(reply.body["status"], "pending", "{}", reply.body);
            } else {
                expect_error(&reply, 429, 60202);
            }
        }
    }
    server.stop().await;
}
