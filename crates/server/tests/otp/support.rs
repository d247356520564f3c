//! Test support for one-time codes: a real server on an ephemeral port (SQLite in a temp dir,
//! or the PostgreSQL database of `KEYCADENCE_TEST_DATABASE_URL`), a real SMTP server process
//! (`tests/otp/smtp_sink.py`, aiosmtpd), a local HTTP listener standing in for the SMS gateway,
//! and a Verify backend client made with keycadence-otp.
// The `pub` items are for the test files beside this module, not for a crate outside.
#![allow(unreachable_pub)]

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicU16, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use keycadence_otp::payload;
use keycadence_otp::{KdfVersion, PayloadKey, UnixMillis, VerifyPayload};
use keycadence_server::app::{self, AppState};
use keycadence_server::auth::generate_key_pair;
use keycadence_server::config::ServeConfig;
use keycadence_server::db::Db;
use keycadence_server::otp::apps::{create_app, AppSettings, CreateApp};
use keycadence_server::otp::settings::{OtpSettings, SmtpSettings, SmtpTls};
use serde_json::{json, Value};
use sqlx::Row;

pub fn now_ms() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis() as u64
}

/// A unique e-mail address per call (tests share a PostgreSQL database).
pub fn unique_email(tag: &str) -> String {
    let (key, _) = generate_key_pair();
    format!("{tag}-{}@example.com", &key[..12])
}

/// The aiosmtpd process and the directory it saves messages to.
pub struct SmtpSink {
    pub port: u16,
    dir: tempfile::TempDir,
    child: Child,
}

/// What a submission server demands: STARTTLS (or, with `implicit_tls`, TLS from the first
/// byte) with this certificate chain and key, then AUTH with this user and password.
pub struct SmtpSecurity<'a> {
    pub cert_chain: &'a Path,
    pub key: &'a Path,
    pub user: &'a str,
    pub password: &'a str,
    pub implicit_tls: bool,
}

impl SmtpSink {
    pub fn start() -> SmtpSink {
        SmtpSink::start_with(None)
    }

    /// A sink that requires TLS and AUTH (see `tests/otp/smtp_sink.py`).
    pub fn start_secure(security: &SmtpSecurity) -> SmtpSink {
        SmtpSink::start_with(Some(security))
    }

    fn start_with(security: Option<&SmtpSecurity>) -> SmtpSink {
        let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/otp/smtp_sink.py");
        let dir = tempfile::tempdir().unwrap();
        let mut command = Command::new("python3");
        command.arg(&script).arg(dir.path());
        if let Some(s) = security {
            command
                .arg(s.cert_chain)
                .arg(s.key)
                .arg(format!("{}:{}", s.user, s.password))
                .arg(if s.implicit_tls { "tls" } else { "starttls" });
        }
        let mut child = command
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .expect("python3 runs");
        let mut line = String::new();
        let stdout = child.stdout.take().unwrap();
        std::io::BufRead::read_line(&mut std::io::BufReader::new(stdout), &mut line).unwrap();
        let port = line
            .trim()
            .strip_prefix("PORT ")
            .unwrap_or_else(|| {
                panic!(
                    "the SMTP sink did not start (is aiosmtpd installed? run \
                     scripts/bootstrap.d/otp.sh); it said {line:?}"
                )
            })
            .parse()
            .unwrap();
        SmtpSink { port, dir, child }
    }

    /// The messages received so far for `recipient`, oldest first (raw RFC 5322 text).
    pub fn messages_to(&self, recipient: &str) -> Vec<String> {
        let mut files: Vec<PathBuf> = std::fs::read_dir(self.dir.path())
            .unwrap()
            .map(|e| e.unwrap().path())
            .filter(|p| p.extension().is_some_and(|e| e == "eml"))
            .collect();
        files.sort();
        files
            .iter()
            .map(|p| std::fs::read_to_string(p).unwrap())
            .filter(|m| {
                m.lines()
                    .next()
                    .is_some_and(|first| first.contains(recipient))
            })
            .collect()
    }

    /// Waits (up to 5 s) until `recipient` has `count` messages and returns the last one.
    pub async fn wait_for(&self, recipient: &str, count: usize) -> String {
        let deadline = Instant::now() + Duration::from_secs(5);
        loop {
            let messages = self.messages_to(recipient);
            if messages.len() >= count {
                return messages[count - 1].clone();
            }
            assert!(
                Instant::now() < deadline,
                "{recipient} received {} messages, expected {count}",
                messages.len()
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
}

impl Drop for SmtpSink {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The first run of exactly `length` digits in a message body (after the headers).
pub fn code_in(message: &str, length: usize) -> String {
    let body = message
        .split_once("\r\n\r\n")
        .or_else(|| message.split_once("\n\n"))
        .map_or(message, |(_, body)| body);
    body.split(|c: char| !c.is_ascii_digit())
        .find(|run| run.len() == length)
        .unwrap_or_else(|| panic!("no {length}-digit code in {body:?}"))
        .to_string()
}

/// One request the SMS gateway stand-in received.
#[derive(Clone, Debug)]
pub struct SmsRequest {
    pub path: String,
    pub authorization: Option<String>,
    pub content_type: Option<String>,
    pub form: Vec<(String, String)>,
}

impl SmsRequest {
    pub fn field(&self, name: &str) -> Option<&str> {
        self.form
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }
}

/// A local HTTP listener that records every request and answers with `status` (201 with a
/// Twilio-like message resource, or an error body).
#[derive(Clone)]
pub struct SmsGateway {
    pub base: String,
    pub requests: Arc<Mutex<Vec<SmsRequest>>>,
    pub status: Arc<AtomicU16>,
}

impl SmsGateway {
    pub async fn start() -> SmsGateway {
        use axum::extract::{OriginalUri, State};
        use axum::http::{HeaderMap, StatusCode};
        let gateway = SmsGateway {
            base: String::new(),
            requests: Arc::default(),
            status: Arc::new(AtomicU16::new(201)),
        };
        async fn record(
            State(gateway): State<SmsGateway>,
            uri: OriginalUri,
            headers: HeaderMap,
            body: axum::body::Bytes,
        ) -> (StatusCode, axum::Json<Value>) {
            let header = |name: &str| {
                headers
                    .get(name)
                    .and_then(|v| v.to_str().ok())
                    .map(str::to_owned)
            };
            gateway.requests.lock().unwrap().push(SmsRequest {
                path: uri.path().to_string(),
                authorization: header("authorization"),
                content_type: header("content-type"),
                form: form_urlencoded::parse(&body).into_owned().collect(),
            });
            let status = StatusCode::from_u16(gateway.status.load(Ordering::SeqCst)).unwrap();
            let body = if status.is_success() {
                json!({"sid": "SM0123456789abcdef0123456789abcdef", "status": "queued"})
            } else {
                json!({"code": 21211, "message": "Invalid 'To' Phone Number", "status": status.as_u16()})
            };
            (status, axum::Json(body))
        }
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let gateway = SmsGateway {
            base: format!("http://{}", listener.local_addr().unwrap()),
            ..gateway
        };
        let router = axum::Router::new()
            .fallback(record)
            .with_state(gateway.clone());
        tokio::spawn(async move { axum::serve(listener, router).await.unwrap() });
        gateway
    }

    pub fn requests(&self) -> Vec<SmsRequest> {
        self.requests.lock().unwrap().clone()
    }

    /// The 6-digit code in the last text message the gateway was asked to send.
    pub fn last_code(&self) -> String {
        let requests = self.requests();
        let last = requests.last().expect("the gateway received a message");
        code_in(last.field("Body").expect("a Body field"), 6)
    }

    pub fn fail_with(&self, status: u16) {
        self.status.store(status, Ordering::SeqCst);
    }
}

/// A real SMTP server, an SMS gateway stand-in and a server delivering to both.
pub async fn server_with_delivery() -> (SmtpSink, SmsGateway, TestServer) {
    let smtp = SmtpSink::start();
    let sms = SmsGateway::start().await;
    let server = TestServer::start(Gateways {
        smtp_port: Some(smtp.port),
        sms_base: sms.base.clone(),
    })
    .await;
    (smtp, sms, server)
}

pub fn database_url(dir: &Path) -> String {
    match std::env::var("KEYCADENCE_TEST_DATABASE_URL") {
        Ok(url) if !url.is_empty() => url,
        _ => format!("sqlite:{}", dir.join("test.db").display()),
    }
}

pub struct TestServer {
    pub base: String,
    pub db: Db,
    pub state: AppState,
    pub http: reqwest::Client,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    task: Option<tokio::task::JoinHandle<()>>,
    _dir: tempfile::TempDir,
}

/// The delivery endpoints a server is configured with.
pub struct Gateways {
    pub smtp_port: Option<u16>,
    pub sms_base: String,
}

impl TestServer {
    pub async fn start(gateways: Gateways) -> TestServer {
        TestServer::start_with(gateways, |_| {}).await
    }

    pub async fn start_with(
        gateways: Gateways,
        configure: impl FnOnce(&mut ServeConfig),
    ) -> TestServer {
        let _ = tracing_subscriber::fmt()
            .with_env_filter(tracing_subscriber::EnvFilter::from_env("KEYCADENCE_LOG"))
            .with_test_writer()
            .try_init();
        let dir = tempfile::tempdir().unwrap();
        let (pepper, at_rest) = (
            generate_key_pair().0.repeat(2),
            generate_key_pair().0.repeat(2),
        );
        let mut otp = OtpSettings {
            smtp: gateways.smtp_port.map(|port| SmtpSettings {
                host: "127.0.0.1".into(),
                port: Some(port),
                tls: SmtpTls::Off,
                username: None,
                password: None,
                ca_file: None,
            }),
            sms_base_url: gateways.sms_base,
            delivery_timeout: Duration::from_secs(5),
            backup_code_memory_kib: 1024,
            ..OtpSettings::default()
        };
        otp.keys.otp_pepper = Some(pepper.parse().unwrap());
        otp.keys.at_rest_key = Some(at_rest.parse().unwrap());
        let mut config = ServeConfig {
            database_url: database_url(dir.path()),
            auth_cache_seconds: 0,
            shutdown_grace_seconds: 5,
            otp,
            ..ServeConfig::default()
        };
        configure(&mut config);
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        let state = AppState::new(config).await.unwrap();
        let db = state.db.clone();
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let served = state.clone();
        let task = tokio::spawn(async move {
            app::serve(served, listener, async {
                let _ = stopped.await;
            })
            .await
            .unwrap();
        });
        TestServer {
            base,
            db,
            state,
            http: reqwest::Client::new(),
            stop: Some(stop),
            task: Some(task),
            _dir: dir,
        }
    }

    /// A new application with `configure` applied to its default settings.
    pub async fn app(
        &self,
        configure: impl FnOnce(&mut AppSettings),
        sms_auth_token: Option<&str>,
    ) -> TestApp {
        let mut settings = AppSettings::default();
        configure(&mut settings);
        let created = create_app(
            &self.db,
            &self.state.otp.sealer,
            CreateApp {
                client_id: None,
                domain: "example.com".into(),
                settings,
                sms_auth_token: sms_auth_token.map(str::to_owned),
            },
        )
        .await
        .unwrap();
        let secret = created.secret.unwrap().to_string();
        TestApp {
            http: self.http.clone(),
            base: self.base.clone(),
            key: PayloadKey::derive(&secret, &created.application_id, KdfVersion::V1_1Pbkdf2),
            v2_key: payload::v2::derive_key(&secret, &created.application_id),
            client_id: created.client_id,
            application_id: created.application_id,
            secret,
            reset_token: created.reset_token.to_string(),
        }
    }

    /// An application with e-mail delivery from `codes@example.com`.
    pub async fn email_app(&self, configure: impl FnOnce(&mut AppSettings)) -> TestApp {
        self.app(
            |s| {
                s.email_from = Some("Example <codes@example.com>".into());
                configure(s);
            },
            None,
        )
        .await
    }

    /// A new API key (of a new tenant) for the TOTP endpoints: (apiKey, apiSecret).
    pub async fn api_key(&self) -> (String, String) {
        use argon2::password_hash::{PasswordHasher, SaltString};
        let (key, secret) = generate_key_pair();
        // Minimal argon2 cost: verified like any other hash, but quick in test builds.
        let params = argon2::Params::new(1024, 1, 1, None).unwrap();
        let argon =
            argon2::Argon2::new(argon2::Algorithm::Argon2id, argon2::Version::V0x13, params);
        let hash = argon
            .hash_password(
                secret.as_bytes(),
                &SaltString::generate(&mut rand::rngs::OsRng),
            )
            .unwrap()
            .to_string();
        self.db
            .keys()
            .insert(
                &format!("t-{key}"),
                "otp-test",
                &key,
                &hash,
                keycadence_server::clock::now_millis(),
            )
            .await
            .unwrap();
        (key, secret)
    }

    /// Rows of code state stored for an application.
    pub async fn stored_records(&self, app: &TestApp) -> Vec<String> {
        sqlx::query(
            "SELECT r.user_key, r.record FROM verify_otp_records r \
             JOIN verify_apps a ON a.id = r.app_ref WHERE a.application_id = $1",
        )
        .bind(&app.application_id)
        .fetch_all(self.db.pool())
        .await
        .unwrap()
        .iter()
        .map(|row| format!("{} {}", row.get::<String, _>(0), row.get::<String, _>(1)))
        .collect()
    }

    pub async fn stop(mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(task) = self.task.take() {
            task.await.unwrap();
        }
    }
}

/// A Verify application and a backend client for it.
pub struct TestApp {
    pub http: reqwest::Client,
    pub base: String,
    pub client_id: String,
    pub application_id: String,
    pub secret: String,
    pub reset_token: String,
    /// The protocol 1.1 key (PBKDF2), for applications that allow legacy payloads.
    pub key: PayloadKey,
    pub v2_key: PayloadKey,
}

/// Status and JSON body of an answer.
#[derive(Debug)]
pub struct Reply {
    pub status: u16,
    pub body: Value,
}

impl Reply {
    pub fn code(&self) -> i64 {
        self.body["code"]
            .as_i64()
            .unwrap_or_else(|| panic!("no code in {}", self.body))
    }

    /// Asserts the Verify answer shape: `success`, `status` (= HTTP status), `code`, `message`.
    pub fn expect(&self, code: i64, http: u16) -> &Reply {
        assert_eq!(self.code(), code, "{}", self.body);
        assert_eq!(self.status, http, "{}", self.body);
        assert_eq!(self.body["status"], http, "{}", self.body);
        assert!(self.body["message"].is_string(), "{}", self.body);
        let success = i64::from(matches!(code, 9 | 19));
        assert_eq!(self.body["success"], success, "{}", self.body);
        self
    }

    pub fn otp(&self) -> String {
        self.body["otp"]
            .as_u64()
            .unwrap_or_else(|| panic!("no otp in {}", self.body))
            .to_string()
    }

    /// Asserts that the answer carries no code: codes reach only the user's inbox or phone.
    pub fn no_otp(&self) -> &Reply {
        assert!(
            self.body.get("otp").is_none(),
            "an answer carried a code: {}",
            self.body
        );
        self
    }

    pub fn limited_until(&self) -> u64 {
        self.body["limitedUntil"]
            .as_u64()
            .unwrap_or_else(|| panic!("no limitedUntil in {}", self.body))
    }
}

pub async fn post_json(http: &reqwest::Client, url: &str, body: &Value) -> Reply {
    let response = http.post(url).json(body).send().await.unwrap();
    let status = response.status().as_u16();
    let body = response.json().await.unwrap();
    Reply { status, body }
}

/// `fields` with a `ts` of now unless they have one.
fn fresh(fields: VerifyPayload) -> VerifyPayload {
    VerifyPayload {
        ts: fields.ts.or(Some(UnixMillis(now_ms()))),
        ..fields
    }
}

impl TestApp {
    /// A protocol 2.0 back-end payload, as keycadence's VerifyClient makes it (fresh `ts`,
    /// new `jti`).
    pub fn payload(&self, fields: VerifyPayload) -> String {
        payload::v2::seal(
            &self.v2_key,
            &self.application_id,
            payload::Purpose::Backend,
            &fresh(fields),
            &mut rand::rngs::OsRng,
        )
    }

    /// A protocol 1.1 payload, as the official Node client's backend calls make it (fresh
    /// `ts`); accepted only by applications that allow legacy payloads.
    pub fn legacy_payload(&self, fields: VerifyPayload) -> String {
        payload::seal(&self.key, &fresh(fields), &mut rand::rngs::OsRng)
    }

    /// Sends a code to `user`'s address and reads it from the mail the SMTP server received
    /// (the answer itself must not carry it).
    pub async fn send_email_code(&self, smtp: &SmtpSink, user: &str) -> String {
        let before = smtp.messages_to(user).len();
        self.send(TestApp::email(user))
            .await
            .expect(9, 200)
            .no_otp();
        code_in(&smtp.wait_for(user, before + 1).await, 6)
    }

    pub fn email(address: &str) -> VerifyPayload {
        VerifyPayload {
            email: Some(address.to_string()),
            ..VerifyPayload::default()
        }
    }

    pub fn phone(number: &str) -> VerifyPayload {
        VerifyPayload {
            phone_number: Some(number.to_string()),
            ..VerifyPayload::default()
        }
    }

    pub fn body(&self, payload: String) -> Value {
        let version = if payload.starts_with(payload::v2::V2_PREFIX) {
            json!("2.0")
        } else {
            json!(1.1)
        };
        json!({
            "clientId": self.client_id,
            "applicationId": self.application_id,
            "payload": payload,
            "version": version,
        })
    }

    pub async fn post(&self, path: &str, body: &Value) -> Reply {
        post_json(&self.http, &format!("{}{path}", self.base), body).await
    }

    pub async fn send(&self, fields: VerifyPayload) -> Reply {
        let body = self.body(self.payload(fields));
        self.post("/otp/send", &body).await
    }

    pub async fn validate(&self, fields: VerifyPayload, code: &str) -> Reply {
        let mut body = self.body(self.payload(fields));
        body["code"] = json!(code);
        self.post("/otp/validate", &body).await
    }

    pub async fn reset_profile(&self, token: Option<&str>, body: &Value) -> Reply {
        let mut request = self
            .http
            .post(format!("{}/user/reset-profile", self.base))
            .json(body);
        if let Some(token) = token {
            request = request.header("Authorization", token);
        }
        let response = request.send().await.unwrap();
        let status = response.status().as_u16();
        Reply {
            status,
            body: response.json().await.unwrap(),
        }
    }
}
