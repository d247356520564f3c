//! Test support: a real server on an ephemeral port (SQLite in a temp dir, or the PostgreSQL
//! database named by `KEYCADENCE_TEST_DATABASE_URL`), HTTP clients with keys, and realistic
//! typing patterns made by the core recorder.
// Each test binary uses a different part of this module, and its `pub` items are for the test
// files beside it, not for a crate outside.
#![allow(dead_code, unreachable_pub)]

use std::collections::HashMap;

use keycadence_core::pattern::{DiagramRows, Pattern};
use keycadence_core::recorder::{KeyEvent, KeyKind, NoDocument, Recorder, TypingPatternOptions};
use keycadence_core::Environment;
use keycadence_server::app::{self, AppState};
use keycadence_server::auth::generate_key_pair;
use keycadence_server::config::ServeConfig;
use keycadence_server::db::Db;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use serde_json::Value;
use sqlx::Row;

pub const TEXT: &str = "hello world from keycadence";

pub struct TestServer {
    pub base: String,
    pub db: Db,
    /// The database it serves from: another server given this URL shares its data.
    pub database_url: String,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    task: Option<tokio::task::JoinHandle<()>>,
    _dir: tempfile::TempDir,
}

pub fn database_url(dir: &std::path::Path) -> String {
    match std::env::var("KEYCADENCE_TEST_DATABASE_URL") {
        Ok(url) if !url.is_empty() => url,
        _ => format!("sqlite:{}", dir.join("test.db").display()),
    }
}

impl TestServer {
    pub async fn start() -> TestServer {
        TestServer::start_with(|_| {}).await
    }

    pub async fn start_with(configure: impl FnOnce(&mut ServeConfig)) -> TestServer {
        let _ = tracing_subscriber::fmt()
            .with_env_filter(tracing_subscriber::EnvFilter::from_env("KEYCADENCE_LOG"))
            .with_test_writer()
            .try_init();
        let dir = tempfile::tempdir().unwrap();
        let mut config = ServeConfig {
            database_url: database_url(dir.path()),
            auth_cache_seconds: 0,
            shutdown_grace_seconds: 5,
            ..ServeConfig::default()
        };
        // Key files generated on first start go to the test's own directory (on PostgreSQL the
        // default would be the working directory: the source tree).
        config.otp.keys.data_dir = Some(dir.path().to_path_buf());
        configure(&mut config);
        let database_url = config.database_url.clone();
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        let state = AppState::new(config).await.unwrap();
        let db = state.db.clone();
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let task = tokio::spawn(async move {
            app::serve(state, listener, async {
                let _ = stopped.await;
            })
            .await
            .unwrap();
        });
        TestServer {
            base,
            db,
            database_url,
            stop: Some(stop),
            task: Some(task),
            _dir: dir,
        }
    }

    /// A client with a new key of a new tenant, with `settings` (`name=value`) applied.
    pub async fn client(&self, settings: &[&str]) -> Client {
        let (key, secret) = generate_key_pair();
        let tenant = format!("t-{key}");
        self.db
            .keys()
            .insert(
                &tenant,
                "test",
                &key,
                &cheap_hash(&secret),
                keycadence_server::clock::now_millis(),
            )
            .await
            .unwrap();
        if !settings.is_empty() {
            let assignments: Vec<String> = settings.iter().map(|s| s.to_string()).collect();
            let updated = self
                .db
                .keys()
                .settings(&key)
                .await
                .unwrap()
                .with_assignments(&assignments)
                .unwrap();
            self.db.keys().set_settings(&key, &updated).await.unwrap();
        }
        Client::new(&self.base, &key, &secret)
    }

    /// Rows stored for a tenant's users: (users, patterns, digests).
    pub async fn stored(&self, client: &Client) -> (i64, i64, i64) {
        let tenant = format!("t-{}", client.key);
        let count = |sql: &'static str| {
            let tenant = tenant.clone();
            async move {
                sqlx::query(sql)
                    .bind(tenant)
                    .fetch_one(self.db.pool())
                    .await
                    .unwrap()
                    .get::<i64, _>(0)
            }
        };
        (
            count("SELECT COUNT(*) FROM users u JOIN tenants t ON t.id = u.tenant_id WHERE t.name = $1").await,
            count(
                "SELECT COUNT(*) FROM patterns p JOIN users u ON u.id = p.user_id \
                 JOIN tenants t ON t.id = u.tenant_id WHERE t.name = $1",
            )
            .await,
            count(
                "SELECT COUNT(*) FROM pattern_digests d JOIN users u ON u.id = d.user_id \
                 JOIN tenants t ON t.id = u.tenant_id WHERE t.name = $1",
            )
            .await,
        )
    }

    /// A server on the same database with the same keys (servers sharing a database must
    /// share the at-rest key: each opens what the others sealed).
    pub async fn start_beside(&self) -> TestServer {
        let url = self.database_url.clone();
        let keys = self._dir.path().to_path_buf();
        TestServer::start_with(move |config| {
            config.database_url = url;
            config.otp.keys.data_dir = Some(keys);
        })
        .await
    }

    /// `GET path` without credentials, read as JSON (health, the OpenAPI document).
    pub async fn get_json(&self, path: &str) -> Value {
        reqwest::get(format!("{}{path}", self.base))
            .await
            .unwrap()
            .json()
            .await
            .unwrap()
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

/// The apiKey and apiSecret printed by `keys create`.
pub fn created_key_pair(output: &str) -> (String, String) {
    let field = |name: &str| {
        output
            .lines()
            .find_map(|l| l.strip_prefix(name))
            .unwrap_or_else(|| panic!("no {name} in {output}"))
            .trim()
            .to_string()
    };
    (field("apiKey:"), field("apiSecret:"))
}

/// An argon2id hash with minimal cost: the server verifies it like any other (the parameters
/// travel in the hash), but unoptimised test builds do not spend a second per key.
pub fn cheap_hash(secret: &str) -> String {
    use argon2::password_hash::{PasswordHasher, SaltString};
    let params = argon2::Params::new(1024, 1, 1, None).unwrap();
    let argon = argon2::Argon2::new(argon2::Algorithm::Argon2id, argon2::Version::V0x13, params);
    argon
        .hash_password(
            secret.as_bytes(),
            &SaltString::generate(&mut rand::rngs::OsRng),
        )
        .unwrap()
        .to_string()
}

#[derive(Clone)]
pub struct Client {
    pub http: reqwest::Client,
    pub base: String,
    pub key: String,
    pub secret: String,
}

/// Status, JSON body and headers of an answer.
pub struct Reply {
    pub status: u16,
    pub body: Value,
    pub headers: reqwest::header::HeaderMap,
}

impl Reply {
    pub fn code(&self) -> i64 {
        self.body["message_code"]
            .as_i64()
            .unwrap_or_else(|| panic!("no message_code in {}", self.body))
    }
}

impl Client {
    pub fn new(base: &str, key: &str, secret: &str) -> Client {
        Client {
            http: reqwest::Client::new(),
            base: base.to_string(),
            key: key.to_string(),
            secret: secret.to_string(),
        }
    }

    pub fn with_secret(&self, secret: &str) -> Client {
        Client {
            secret: secret.to_string(),
            ..self.clone()
        }
    }

    pub fn request(&self, method: reqwest::Method, path: &str) -> reqwest::RequestBuilder {
        self.http
            .request(method, format!("{}{}", self.base, path))
            .basic_auth(&self.key, Some(&self.secret))
    }

    pub async fn send(builder: reqwest::RequestBuilder) -> Reply {
        let response = builder.send().await.unwrap();
        let status = response.status().as_u16();
        let headers = response.headers().clone();
        let text = response.text().await.unwrap();
        let body: Value =
            serde_json::from_str(&text).unwrap_or_else(|_| panic!("not JSON ({status}): {text}"));
        assert_eq!(
            body["status"].as_i64(),
            Some(i64::from(status)),
            "status field mirrors HTTP: {body}"
        );
        Reply {
            status,
            body,
            headers,
        }
    }

    pub async fn post(&self, path: &str, form: &[(&str, &str)]) -> Reply {
        Client::send(self.request(reqwest::Method::POST, path).form(form)).await
    }

    pub async fn post_json(&self, path: &str, json: &Value) -> Reply {
        Client::send(self.request(reqwest::Method::POST, path).json(json)).await
    }

    pub async fn get(&self, path: &str) -> Reply {
        Client::send(self.request(reqwest::Method::GET, path)).await
    }

    pub async fn delete(&self, path: &str) -> Reply {
        Client::send(self.request(reqwest::Method::DELETE, path)).await
    }

    pub async fn save(&self, user: &str, tp: &str) -> Reply {
        self.post(&format!("/save/{user}"), &[("tp", tp)]).await
    }

    pub async fn verify(&self, user: &str, tp: &str) -> Reply {
        self.post(&format!("/verify/{user}"), &[("tp", tp)]).await
    }

    pub async fn counts(&self, user: &str) -> (i64, i64) {
        let r = self.get(&format!("/user/{user}")).await;
        assert_eq!(r.code(), 1, "{}", r.body);
        (
            r.body["count"].as_i64().unwrap(),
            r.body["mobilecount"].as_i64().unwrap(),
        )
    }
}

/// A simulated person: their own hold time per key and flight time per key pair, typed with
/// natural variation. Different seeds are different people.
pub struct Typist {
    hold: HashMap<char, f64>,
    flight: HashMap<(char, char), f64>,
    pace: f64,
    rng: StdRng,
}

fn key_codes(c: char) -> (u32, u32) {
    match c {
        'a'..='z' => (c.to_ascii_uppercase() as u32, c as u32),
        '0'..='9' | ' ' => (c as u32, c as u32),
        _ => panic!("the test typist types [a-z0-9 ] only, not {c:?}"),
    }
}

impl Typist {
    pub fn new(person: u64) -> Typist {
        let mut rng = StdRng::seed_from_u64(person);
        let pace = rng.gen_range(0.7..1.4);
        let mut hold = HashMap::new();
        for c in ('a'..='z').chain('0'..='9').chain([' ']) {
            hold.insert(c, rng.gen_range(60.0..150.0));
        }
        Typist {
            hold,
            flight: HashMap::new(),
            pace,
            rng,
        }
    }

    fn normal(&mut self, mean: f64, relative_sd: f64) -> f64 {
        // Box-Muller.
        let u1: f64 = self.rng.gen_range(f64::EPSILON..1.0);
        let u2: f64 = self.rng.gen();
        let z = (-2.0 * u1.ln()).sqrt() * (2.0 * std::f64::consts::PI * u2).cos();
        (mean * (1.0 + relative_sd * z)).max(15.0)
    }

    fn flight_mean(&mut self, a: char, b: char) -> f64 {
        if let Some(&f) = self.flight.get(&(a, b)) {
            return f;
        }
        let f = self.rng.gen_range(90.0..280.0) * self.pace;
        self.flight.insert((a, b), f);
        f
    }

    /// Types `text` once into a fresh recorder and returns its pattern of `kind` (0, 1 or 2).
    pub fn type_text(&mut self, text: &str, kind: u8) -> String {
        let t0 = 1_700_000_000_000;
        let mut recorder = Recorder::new(Environment::desktop_chrome(), t0);
        let mut t = t0 + 1500;
        let mut previous = ' ';
        for c in text.chars() {
            let mean = self.flight_mean(previous, c);
            t += self.normal(mean, 0.06) as i64;
            let hold_mean = self.hold[&c];
            let hold = self.normal(hold_mean, 0.05) as i64;
            let (key_code, char_code) = key_codes(c);
            recorder.key(&KeyEvent::new(KeyKind::Down, t, key_code, "inp"));
            recorder.key(&KeyEvent::new(KeyKind::Press, t, char_code, "inp").char_code(char_code));
            recorder.key(&KeyEvent::new(KeyKind::Up, t + hold, key_code, "inp"));
            previous = c;
        }
        let options = match kind {
            0 => TypingPatternOptions::any_text(),
            1 => TypingPatternOptions::same_text(text),
            _ => TypingPatternOptions::extended(text),
        };
        recorder
            .typing_pattern(&options, &NoDocument)
            .expect("every character was typed")
    }

    pub fn same_text(&mut self) -> String {
        self.type_text(TEXT, 1)
    }
}

/// A long text for any-text (type 0) patterns.
pub const LONG_TEXT: &str =
    "the quick brown fox jumps over the lazy dog while the five boxing wizards jump quickly \
     and a lazy dog sleeps in the warm afternoon sun near the old river bank";

fn golden(name: &str) -> Value {
    let path = format!(
        "{}/../core/tests/golden/{name}.json",
        env!("CARGO_MANIFEST_DIR")
    );
    let text =
        std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("golden vector {path}: {e}"));
    serde_json::from_str(&text).unwrap()
}

/// The mouse diagram (type 9) of golden vector v14: valid, but no typing.
pub fn mouse_pattern() -> String {
    golden("v14_mouse_special_keys")["ops"]
        .as_array()
        .unwrap()
        .iter()
        .find(|op| op["method"] == "getMouseDiagram")
        .and_then(|op| op["expect"].as_str())
        .unwrap()
        .to_string()
}

/// The first type-1 pattern a golden vector expects.
fn golden_same_text(name: &str) -> String {
    let vector = golden(name);
    vector["ops"]
        .as_array()
        .unwrap()
        .iter()
        .find(|op| {
            op["op"] == "call" && op["method"] == "getTypingPattern" && op["args"][0]["type"] == 1
        })
        .and_then(|op| op["expect"].as_str())
        .unwrap()
        .to_string()
}

/// A mobile type-1 pattern with motion data (iPhone, golden vector v11), its timings shifted
/// by `variant` so that each variant is a distinct sample; `landscape` flips the orientation.
pub fn mobile_pattern(variant: i64, landscape: bool) -> String {
    let mut pattern = Pattern::parse(&golden_same_text("v11_iphone_motion")).unwrap();
    let Pattern::Diagram(d) = &mut pattern else {
        panic!("v11 is a diagram")
    };
    assert!(d.header.mobile && d.motion.is_some());
    if let DiagramRows::SameText(rows) = &mut d.rows {
        for (i, row) in rows.iter_mut().enumerate() {
            row.seek += (variant * 7 + i as i64 * variant) % 23;
            row.press += variant % 5;
        }
    }
    if landscape {
        d.header.device_signature.as_mut().unwrap().0[15] = 2.0;
    }
    pattern.to_string()
}

/// A mobile type-1 pattern without motion data (iPhone without motion events, v10).
pub fn mobile_pattern_without_motion() -> String {
    golden_same_text("v10_iphone_no_motion")
}

/// Strings that must not appear anywhere when `pattern` is stored: the whole text and every
/// run of six consecutive timing fields (a pattern is comma- and pipe-separated numbers). The
/// header before the first `|` is left out: it says which text was typed and on what device,
/// the same for every typist of the text, so on PostgreSQL, where the test binaries share one
/// database, another test's deliberately plain row would match it.
pub fn pattern_needles(pattern: &str) -> Vec<String> {
    let timings = pattern.split_once('|').map_or("", |(_, rows)| rows);
    let fields: Vec<&str> = timings.split([',', '|']).collect();
    let mut needles = vec![pattern.to_string()];
    needles.extend(
        fields
            .windows(6)
            .map(|w| w.join(","))
            .filter(|n| n.len() >= 16),
    );
    needles.extend(
        timings
            .split('|')
            .filter(|row| row.len() >= 16)
            .map(str::to_string),
    );
    needles
}
